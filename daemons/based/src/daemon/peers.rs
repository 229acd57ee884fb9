//! The CIB manager among its peers: writes go out through the `cib` process group and are
//! applied when the cluster delivers them back, in the same order on every node; queries can be
//! sent to one named node; the primary checks its peers' digests, heals replicas that differ
//! and decides cluster-wide upgrades.

use super::*;
use libcrmcommon::mainloop;

impl Based {
    pub(super) fn cluster_send(&mut self, host: Option<&str>, msg: &Element) {
        let Some(cluster) = self.cluster.as_mut() else { return };
        let target = host.map(Target::by_name);
        if let Err(e) = cluster.send(CIB_GROUP, target.as_ref(), MessageType::CIB, msg) {
            tracing::error!("Could not send CIB message to {}: {}", host.unwrap_or("the cluster"), e);
        }
    }

    /// Sends our whole CIB to every peer (or the requester) as a replace, as the DC asks for
    /// when nodes join.
    pub(super) fn sync_our_cib(&mut self, request: &CibRequest, all: bool) -> i32 {
        const COPIED: [&str; 12] = [
            attr::TYPE, attr::CLIENT_ID, attr::CALL_OPTIONS, attr::CALL_ID, attr::SECTION, attr::HOST,
            attr::DELEGATED_FROM, attr::ASYNC_ID, attr::CLIENT_NAME, attr::USER, attr::ACL_TARGET, "__name__",
        ];
        let host = request.attr(attr::ORIGIN).map(str::to_owned);
        let mut replace = Element::new(element::COMMAND);
        for a in COPIED {
            if let Some(v) = request.attr(a) {
                replace.set_attr(a, v);
            }
        }
        if let Some(h) = &host {
            replace.set_attr(attr::IS_REPLY_TO, h.clone());
        }
        if all {
            replace.remove_attr(attr::HOST);
        }
        replace.set_attr(attr::OPERATION, op::REPLACE);
        replace.set_attr("original_cib_op", request.op.clone());
        replace.set_attr(attr::GLOBAL_UPDATE, "true");
        replace.set_attr(attr::FEATURE_SET, libcib::protocol::FEATURE_SET);
        replace.set_attr(attr::DIGEST, support::versioned_digest(&self.cib));
        replace.push_child(Element::new(element::CALLDATA)).push_child(Element::clone(&self.cib));
        tracing::debug!("Syncing CIB to {}", if all { "all peers" } else { host.as_deref().unwrap_or("?") });
        let to = if all { None } else { host };
        self.cluster_send(to.as_deref(), &replace);
        rc::OK
    }

    /// Handles whatever the cluster layer delivered.
    pub fn on_cluster_events(&mut self) {
        let events = match self.cluster.as_mut() {
            Some(c) => c.dispatch(),
            None => return,
        };
        for event in events {
            match event {
                ClusterEvent::Message(m) if m.group == CIB_GROUP => self.on_peer_message(m.payload),
                ClusterEvent::Membership { group, members, local_is_member, .. } if group == CIB_GROUP => {
                    tracing::info!("CIB peer membership changed: {} member process(es)", members.len());
                    self.note_cib_members(&members);
                    if !local_is_member {
                        tracing::error!("We were evicted from the cib process group");
                    }
                }
                ClusterEvent::Disconnected { service, reason } => {
                    tracing::error!("Lost connection to cluster layer ({}: {}), shutting down", service, reason);
                    std::process::exit(libc::EXIT_FAILURE);
                }
                _ => {}
            }
        }
        if let Some(c) = self.cluster.as_mut() {
            let _ = c.flush();
        }
    }

    /// How long until [`Based::on_timers`] has something to do.
    pub fn timer_timeout(&self) -> Option<Duration> {
        let timeout = mainloop::min_timeout(self.digest_check.time_left(), self.shutdown_time_left());
        mainloop::min_timeout(timeout, self.next_hold_expiry())
    }

    /// Runs what is due: the primary asks every peer for its CIB digest.
    pub fn on_timers(&mut self) {
        if !self.digest_check.take_expired() || !self.primary || self.cluster.is_none() {
            return;
        }
        let ping = self.digest_check.next_ping();
        tracing::trace!("Requesting peer digests ({})", ping.attr(attr::PING_ID).unwrap_or("?"));
        self.cluster_send(None, &ping);
    }

    /// A peer's answer to our ping: push our CIB to it when its digest differs.
    fn on_ping_reply(&mut self, reply: &CibRequest) {
        let peer = reply.attr(attr::ORIGIN).unwrap_or("?").to_owned();
        match self.digest_check.judge(&reply.msg, &self.cib) {
            Verdict::Ignore(reason) => tracing::trace!("Ignoring ping reply from {}: {}", peer, reason),
            Verdict::Same => tracing::trace!("CIB of {} matches ours", peer),
            Verdict::Differs { ours, theirs } => {
                let theirs_version = reply
                    .msg
                    .child(element::CALLDATA)
                    .and_then(Element::first_element)
                    .and_then(|pong| pong.child(element::CALLDATA))
                    .and_then(Element::first_element)
                    .map(|cib| {
                        let (a, e, n) = ops::version_tuple(cib);
                        format!("{a}.{e}.{n}")
                    })
                    .unwrap_or_else(|| "_._._".to_owned());
                let (a, e, n) = ops::version_tuple(&self.cib);
                tracing::info!("Local CIB {a}.{e}.{n}.{ours} differs from {peer}: {theirs_version}.{theirs}");
                self.sync_our_cib(reply, false);
            }
        }
    }

    /// Fds and retry timeout of the cluster layer, for the main loop.
    pub fn cluster_fds(&self) -> Vec<std::os::unix::io::RawFd> {
        self.cluster.as_ref().map(|c| c.poll_fds()).unwrap_or_default()
    }

    pub fn cluster_retry(&self) -> Option<Duration> {
        self.cluster.as_ref().and_then(|c| c.retry_after())
    }

    /// A CIB message from a peer (or our own write coming back through the cluster).
    fn on_peer_message(&mut self, msg: Element) {
        if msg.attr(attr::TYPE) != Some(msg_type::CIB) {
            return;
        }
        let request = CibRequest::from_element(msg);
        let our = self.node_name.clone();
        let same = |v: Option<&str>| v.is_some_and(|v| v.eq_ignore_ascii_case(&our));
        let reply_to = request.attr(attr::IS_REPLY_TO).map(str::to_owned);
        let is_reply = same(reply_to.as_deref());
        let Some(info) = op_info(&request.op) else {
            tracing::warn!("Ignoring peer CIB message with unknown operation {:?}", request.op);
            return;
        };
        if request.op == op::SHUTDOWN {
            self.on_peer_shutdown_message(&request, reply_to.as_deref(), is_reply);
            return;
        }
        let mut delegated = request.attr(attr::DELEGATED_FROM).map(str::to_owned);
        let mut skip_reply_check = false;
        match request.op.as_str() {
            op::REPLACE => {
                if reply_to.is_some() {
                    delegated = reply_to.clone();
                }
                skip_reply_check = true;
            }
            op::SYNC_TO_ALL => {}
            op::PING if is_reply => {
                self.on_ping_reply(&request);
                return;
            }
            op::UPGRADE => {
                if let Some(upgrade_rc) = request.attr(attr::UPGRADE_RC).map(str::to_owned) {
                    let mut r = request.msg.clone();
                    r.set_attr(attr::RC, upgrade_rc);
                    if same(delegated.as_deref()) {
                        self.deliver_to_local_client(&r, &request);
                    }
                    return;
                }
                if request.attr(attr::SCHEMA_MAX).is_none() {
                    // Only the primary decides; it re-broadcasts the upgrade with a limit.
                    if self.primary {
                        self.upgrade_as_primary(&request);
                    }
                    return;
                }
                skip_reply_check = true;
            }
            _ if request.attr(attr::GLOBAL_UPDATE).is_some_and(libcrmcommon::options::is_true) => {
                tracing::warn!("Ignoring legacy {} global update from {}", request.op, request.attr(attr::ORIGIN).unwrap_or("?"));
                return;
            }
            _ if is_reply && info.modifies => return,
            _ => {}
        }
        if is_reply && !skip_reply_check {
            // The answer to a request we forwarded to one node.
            self.deliver_to_local_client(&request.msg, &request);
            return;
        }
        let local_notify = same(delegated.as_deref());
        let host = request.attr(attr::HOST).map(str::to_owned);
        let mut needs_reply = false;
        match host {
            Some(h) if h.eq_ignore_ascii_case(&our) => needs_reply = true,
            Some(_) => return,
            None if request.op == op::PING => needs_reply = true,
            None => {}
        }
        let reply = self.execute(&request, info, true);
        if needs_reply {
            if let Some(origin) = request.attr(attr::ORIGIN).map(str::to_owned) {
                let mut r = reply.clone();
                r.set_attr(attr::IS_REPLY_TO, origin.clone());
                self.cluster_send(Some(&origin), &r);
            }
        }
        if local_notify && request.call_options & call_opt::DISCARD_REPLY == 0 {
            self.deliver_to_local_client(&reply, &request);
        }
    }

    /// The primary's part of a cluster-wide upgrade: check that the CIB can be upgraded, then
    /// ask every node (itself included) to upgrade up to that schema, or tell the originator
    /// why not. The originator answers its client when the outcome reaches it.
    fn upgrade_as_primary(&mut self, request: &CibRequest) {
        let host = request.attr(attr::ORIGIN).unwrap_or("").to_owned();
        let mut up = Element::new("cib_process_upgrade_server")
            .with_attr(attr::TYPE, msg_type::CIB)
            .with_attr(attr::OPERATION, op::UPGRADE);
        match libcrmcommon::schemas::Schemas::system().check_upgrade_request(&self.cib) {
            Ok(target) => {
                tracing::info!("Upgrade request from {} verified", host);
                up.set_attr(attr::SCHEMA_MAX, target);
                up.set_attr(attr::DELEGATED_FROM, host.clone());
                self.copy_call_identity(request, &mut up);
                self.cluster_send(None, &up);
            }
            Err(failure) => {
                let code = failure.error.legacy_rc();
                tracing::info!("Rejecting upgrade request from {}: {} (rc={})", host, failure, code);
                up.set_attr(attr::DELEGATED_FROM, host.clone());
                up.set_attr(attr::IS_REPLY_TO, host.clone());
                self.copy_call_identity(request, &mut up);
                up.set_attr(attr::UPGRADE_RC, code.to_string());
                self.cluster_send(Some(&host), &up);
            }
        }
    }

    fn copy_call_identity(&self, request: &CibRequest, to: &mut Element) {
        for a in [attr::CLIENT_ID, attr::CALL_OPTIONS, attr::CALL_ID] {
            if let Some(v) = request.attr(a) {
                to.set_attr(a, v);
            }
        }
    }

    /// Sends a reply to the local client named by the request's `cib_clientid`.
    fn deliver_to_local_client(&mut self, reply: &Element, request: &CibRequest) {
        let Some(token) = request.attr(attr::CLIENT_ID) else { return };
        let Some(&client) = self.by_token.get(token) else {
            tracing::debug!("Could not send response {}: client {} not found", request.call_id.as_deref().unwrap_or("?"), token);
            return;
        };
        self.send_reply(client, request, reply);
    }
}
