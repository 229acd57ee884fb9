//! The CIB manager: owns the CIB, serves `cib_ro`/`cib_rw`/`cib_shm`, applies operations,
//! replies, notifies and persists.

use crate::digest_check::{DigestCheck, Verdict};
mod ordering;
mod peers;
mod shutdown;

use crate::notify::{self, NotifyFlags};
use crate::ops;
use crate::perform::{self, WriteOutcome};
use crate::request::{op_info, CibRequest};
use crate::reaper::Reaper;
use crate::store::Store;
use crate::support;
use crate::writer::DiskWriter;
use libcib::protocol::{attr, call_opt, element, msg_type, op, rc};
use libcrmcommon::ipc::server::{self as ipc, ServerEvent};
use libcrmcommon::cluster::{ClusterEvent, ClusterLayer, MessageType, Target};
use libcrmcommon::ipc::{flags, ClientId, Message, ServerId};
use libcrmcommon::xml::{self, Element};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CRM_EX_PROTOCOL: what a nack carries for an unparsable message.
const EXIT_PROTOCOL: i32 = 76;
const EXIT_INVALID_PARAM: i32 = 2;

#[derive(Debug, Default)]
struct CibClient {
    name: Option<String>,
    notify: NotifyFlags,
    /// IPC id of the synchronous request awaiting its reply.
    sync_request: Option<i32>,
    order: ordering::ClientOrder,
}

/// The CPG group the CIB managers of a cluster share.
pub const CIB_GROUP: &str = "cib";

pub struct Config {
    pub node_name: String,
    pub stand_alone: bool,
    /// Peers to replicate through; `None` in stand-alone mode.
    pub cluster: Option<Box<dyn ClusterLayer>>,
    pub cib_dir: std::path::PathBuf,
    pub disk_writes: bool,
    /// Keep the status section found on disk instead of starting with an empty one.
    pub preserve_status: bool,
}

pub struct Based {
    node_name: String,
    /// The user this daemon runs as (root or hacluster), which decides who may delegate.
    daemon_user: String,
    /// Shared with the disk writer, which gets the same tree instead of a copy.
    cib: Arc<Element>,
    /// Non-zero when the CIB could not be loaded usably: every request gets this code.
    cib_status: i32,
    primary: bool,
    read_only_server: Option<ServerId>,
    clients: HashMap<ClientId, CibClient>,
    /// Client tokens (`cib_clientid`) to connections, for replies that come back via peers.
    by_token: HashMap<String, ClientId>,
    cluster: Option<Box<dyn ClusterLayer>>,
    writer: DiskWriter,
    digest_expires: Instant,
    /// The primary's periodic comparison of its peers' CIB digests with its own.
    digest_check: DigestCheck,
    /// Nodes with a CIB manager in the `cib` group, ourselves included.
    active_peers: usize,
    shutdown: shutdown::ShutdownState,
    reaper: Reaper,
}

impl Based {
    pub fn new(config: Config) -> Based {
        let store = Store::new(&config.cib_dir);
        let loaded = store.load(config.preserve_status);
        tracing::info!("Loaded the CIB from {}", loaded.source);
        let mut cib_status = rc::OK;
        if let Err(e) = support::validate(&loaded.cib) {
            tracing::error!("CIB does not validate against its schema: {}", e);
            cib_status = rc::SCHEMA_VALIDATION;
        }
        // SAFETY: geteuid cannot fail.
        let daemon_user = libcrmcommon::users::user_name(unsafe { libc::geteuid() }).unwrap_or_else(|| "root".into());
        Based {
            node_name: config.node_name,
            daemon_user,
            cib: Arc::new(loaded.cib),
            cib_status,
            primary: config.stand_alone,
            read_only_server: None,
            clients: HashMap::new(),
            by_token: HashMap::new(),
            cluster: config.cluster,
            writer: DiskWriter::start(store, config.disk_writes),
            digest_expires: Instant::now(),
            digest_check: DigestCheck::default(),
            active_peers: 0,
            shutdown: shutdown::ShutdownState::default(),
            reaper: Reaper::start(),
        }
    }

    /// Starts the three IPC servers.
    pub fn serve(&mut self) -> Result<(), ipc::ServerError> {
        self.read_only_server = Some(ipc::serve("cib_ro")?);
        ipc::serve("cib_rw")?;
        ipc::serve_typed("cib_shm", libqb_sys::qb_ipc_type::QB_IPC_SHM)?;
        Ok(())
    }

    pub fn flush_disk(&self) {
        self.writer.flush();
    }

    /// Housekeeping after each loop iteration.
    pub fn after_iteration(&mut self) {
        if let Some(failure) = self.writer.take_failure() {
            tracing::error!("{}; disk writes are now disabled", failure);
        }
        self.release_held_requests();
    }

    /// Runs the requests that waited for their clients' writes, where nothing holds them
    /// any more.
    fn release_held_requests(&mut self) {
        let now = Instant::now();
        let waiting: Vec<ClientId> = self.clients.iter().filter(|(_, c)| c.order.has_held()).map(|(id, _)| *id).collect();
        for client in waiting {
            while let Some((request, privileged)) = self.clients.get_mut(&client).and_then(|c| c.order.release(now)) {
                self.dispatch_request(request, privileged, Some(client));
            }
        }
    }

    /// When a held request may have to be released because its writes went unanswered.
    fn next_hold_expiry(&self) -> Option<Duration> {
        let now = Instant::now();
        self.clients.values().filter_map(|c| c.order.hold_expires()).min().map(|at| at.saturating_duration_since(now))
    }

    pub fn on_ipc_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::Connected { client } => {
                self.clients.insert(client, CibClient::default());
                if let Some(info) = ipc::client_info(client) {
                    self.by_token.insert(info.uuid, client);
                }
            }
            ServerEvent::Disconnected { client, info } => {
                tracing::debug!("Client {} (pid {}) disconnected", info.uuid, info.pid);
                self.clients.remove(&client);
                self.by_token.remove(&info.uuid);
            }
            ServerEvent::BadRequest { client, id, flags: f, error } => {
                tracing::warn!("Invalid message from client {:?}: {}", client, error);
                self.send_ack(client, id, f, "nack", EXIT_PROTOCOL);
            }
            ServerEvent::Request { client, request } => self.on_client_message(client, request),
        }
    }

    fn send_ack(&self, client: ClientId, id: i32, request_flags: u32, name: &str, status: i32) {
        if request_flags & flags::CLIENT_RESPONSE == 0 {
            return;
        }
        let ack = Element::new(name)
            .with_attr("function", "cib_common_callback")
            .with_attr("line", "0")
            .with_attr("status", status.to_string());
        if let Err(e) = ipc::send_response(client, id, &ack) {
            tracing::warn!("Could not send {} to client: {}", name, e);
        }
    }

    fn on_client_message(&mut self, client: ClientId, message: Message) {
        let Ok(mut msg) = xml::parse(&message.text) else {
            tracing::warn!("Unparsable message from client {:?}; sending nack", client);
            self.send_ack(client, message.header.id, message.header.flags, "nack", EXIT_PROTOCOL);
            return;
        };
        let Some(info) = ipc::client_info(client) else { return };
        let ipc_limit = self.cluster_option("cluster-ipc-limit").and_then(|v| v.trim().parse().ok()).unwrap_or(500);
        let cib_client = self.clients.entry(client).or_default();
        let op_name = msg.attr(attr::OPERATION).unwrap_or("").to_owned();
        let sync_flag = message.header.flags & flags::CLIENT_RESPONSE != 0;

        if op_name == op::REGISTER {
            if sync_flag {
                let reply = Element::new(element::REGISTER_REPLY)
                    .with_attr(attr::OPERATION, op::REGISTER)
                    .with_attr(attr::CLIENT_ID, info.uuid.clone());
                if let Err(e) = ipc::send_response(client, message.header.id, &reply) {
                    tracing::warn!("Could not answer registration: {}", e);
                }
            }
            if cib_client.name.is_none() {
                cib_client.name = msg.attr(attr::CLIENT_NAME).map(str::to_owned);
            }
            return;
        }
        if op_name == op::NOTIFY {
            let on = msg.attr(attr::NOTIFY_ACTIVATE).and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0) != 0;
            let status = match msg.attr(attr::NOTIFY_TYPE).and_then(NotifyFlags::for_type) {
                Some(bit) => {
                    cib_client.notify.set(bit, on);
                    0
                }
                None => EXIT_INVALID_PARAM,
            };
            self.send_ack(client, message.header.id, message.header.flags, "ack", status);
            return;
        }

        let call_options = CibRequest::from_element(msg.clone()).call_options;
        if call_options & call_opt::SYNC_CALL != 0 {
            cib_client.sync_request = Some(message.header.id);
        }
        if cib_client.name.is_none() {
            cib_client.name = Some(msg.attr(attr::CLIENT_NAME).map(str::to_owned).unwrap_or_else(|| info.pid.to_string()));
            if let Some(n) = &cib_client.name {
                if libcib::protocol::DAEMON_CLIENT_NAMES.contains(&n.as_str()) {
                    ipc::set_queue_max(client, ipc_limit);
                }
            }
        }
        let name = cib_client.name.clone().unwrap_or_default();
        msg.set_attr(attr::CLIENT_ID, info.uuid.clone());
        msg.set_attr(attr::CLIENT_NAME, name);
        // Root and hacluster may act on behalf of another user; everyone else is themselves.
        let requested = msg.attr(attr::ACL_TARGET).or(msg.attr(attr::USER)).filter(|u| !u.is_empty());
        let user = libcrmcommon::acl::effective_request_user(&self.daemon_user, Some(&info.user), requested).to_owned();
        msg.set_attr(attr::USER, user.clone());
        msg.set_attr(attr::ACL_TARGET, user);
        msg.set_attr(attr::ORIGIN, self.node_name.clone());
        let privileged_channel = Some(info.server) != self.read_only_server;
        self.process_request(CibRequest::from_element(msg), privileged_channel, Some(client));
    }

    fn cluster_option(&self, name: &str) -> Option<String> {
        let crm_config = self.cib.child("configuration")?.child("crm_config")?;
        crm_config
            .elements()
            .flat_map(|set| set.elements())
            .find(|nv| nv.name == "nvpair" && nv.attr("name") == Some(name))
            .and_then(|nv| nv.attr("value"))
            .map(str::to_owned)
    }

    /// A request from a local client, unless it has to wait for the same client's writes
    /// (see [`ordering`]).
    fn process_request(&mut self, request: CibRequest, privileged: bool, client: Option<ClientId>) {
        if let (Some(c), Some(info)) = (client, op_info(&request.op)) {
            let host = request.attr(attr::HOST).filter(|h| !h.is_empty());
            let is_local_read = !info.modifies && host.is_none_or(|h| h.eq_ignore_ascii_case(&self.node_name));
            if let Some(state) = self.clients.get_mut(&c) {
                if state.order.must_hold(is_local_read, Instant::now()) {
                    state.order.hold(request, privileged);
                    return;
                }
            }
        }
        self.dispatch_request(request, privileged, client);
    }

    /// Writes go through the cluster so every replica applies them in the same order; reads
    /// are answered here (or by the node named in `cib_host`).
    fn dispatch_request(&mut self, mut request: CibRequest, privileged: bool, client: Option<ClientId>) {
        let Some(info) = op_info(&request.op) else {
            tracing::error!(
                "Operation {:?} from client {} is not valid; replying with an error",
                request.op,
                request.attr(attr::CLIENT_NAME).unwrap_or("unknown")
            );
            if let Some(c) = client {
                let reply = self.reply_skeleton(&request, rc::EOPNOTSUPP);
                self.send_reply(c, &request, &reply);
            }
            return;
        };
        let host = request.attr(attr::HOST).filter(|h| !h.is_empty()).map(str::to_owned);
        let local_only = matches!(request.op.as_str(), op::PRIMARY | op::SECONDARY);
        if self.cluster.is_some() && self.cib_status == rc::OK {
            if info.modifies && !local_only {
                if !privileged && info.needs_privileges {
                    if let Some(c) = client {
                        let reply = self.reply_skeleton(&request, rc::EACCES);
                        self.send_reply(c, &request, &reply);
                    }
                    return;
                }
                request.msg.set_attr(attr::DELEGATED_FROM, self.node_name.clone());
                self.cluster_send(host.as_deref(), &request.msg);
                let answered = request.call_options & call_opt::DISCARD_REPLY == 0;
                if let (Some(c), true) = (client, answered) {
                    if let Some(state) = self.clients.get_mut(&c) {
                        state.order.write_sent(request.call_id.as_deref(), Instant::now());
                    }
                }
                return;
            }
            if let Some(h) = host.filter(|h| !h.eq_ignore_ascii_case(&self.node_name)) {
                request.msg.set_attr(attr::DELEGATED_FROM, self.node_name.clone());
                self.cluster_send(Some(&h), &request.msg);
                return;
            }
        }
        let reply = self.execute(&request, info, privileged);
        if request.call_options & call_opt::DISCARD_REPLY != 0 {
            return;
        }
        if let Some(c) = client {
            self.send_reply(c, &request, &reply);
        }
    }

    /// Runs an operation (or reports the load failure that blocks all operations).
    fn execute(&mut self, request: &CibRequest, info: crate::request::OpInfo, privileged: bool) -> Element {
        if self.cib_status != rc::OK {
            tracing::error!("Operation ignored, cluster configuration is invalid. Please repair and restart");
            let mut r = self.reply_skeleton(request, self.cib_status);
            r.push_child(Element::new(element::CALLDATA)).push_child(Element::clone(&self.cib));
            return r;
        }
        match request.op.as_str() {
            op::SYNC_TO_ALL | op::SYNC_TO_ONE if self.cluster.is_some() => {
                let all = request.op == op::SYNC_TO_ALL;
                let result = self.sync_our_cib(request, all);
                return self.reply_skeleton(request, result);
            }
            _ => {}
        }
        self.process_command(request, info, privileged)
    }

    fn reply_skeleton(&self, request: &CibRequest, result: i32) -> Element {
        let mut reply = Element::new(element::REPLY)
            .with_attr(attr::TYPE, msg_type::CIB)
            .with_attr(attr::OPERATION, request.op.clone());
        if let Some(id) = &request.call_id {
            reply.set_attr(attr::CALL_ID, id.clone());
        }
        if let Some(cid) = request.attr(attr::CLIENT_ID) {
            reply.set_attr(attr::CLIENT_ID, cid);
        }
        reply.set_attr(attr::CALL_OPTIONS, (request.call_options as i32).to_string());
        reply.set_attr(attr::RC, result.to_string());
        reply
    }

    fn send_reply(&mut self, client: ClientId, request: &CibRequest, reply: &Element) {
        let sync = request.call_options & call_opt::SYNC_CALL != 0;
        if let Some(state) = self.clients.get_mut(&client) {
            state.order.answered(request.call_id.as_deref());
        }
        // Only a synchronous answer may take the waiting synchronous call's IPC id: an
        // asynchronous answer can come first when a synchronous read waits for writes.
        let pending = if sync { self.clients.get_mut(&client).and_then(|c| c.sync_request.take()) } else { None };
        let result = match (sync, pending) {
            (true, Some(id)) => ipc::send_response(client, id, reply),
            _ => ipc::send_event(client, reply),
        };
        if let Err(e) = result {
            tracing::warn!(
                "{} reply to client failed: {}",
                if sync { "Synchronous" } else { "Asynchronous" },
                e
            );
        }
    }

    fn process_command(&mut self, request: &CibRequest, info: crate::request::OpInfo, privileged: bool) -> Element {
        if !privileged && info.needs_privileges {
            return self.reply_skeleton(request, rc::EACCES);
        }
        let section = request.section.as_deref();
        let opts = request.call_options;
        let input = request.input();
        if !info.modifies {
            let (result, output) = self.run_read_only(request, section, opts);
            let mut reply = self.reply_skeleton(request, result);
            if let Some(out) = output {
                reply.push_child(Element::new(element::CALLDATA)).push_child(out);
            }
            return reply;
        }
        if request.op == op::PRIMARY {
            if !self.primary {
                tracing::info!("We are now in R/W mode");
            }
            self.primary = true;
            return self.reply_skeleton(request, rc::OK);
        }
        self.digest_check.note_write();
        let with_digest = Instant::now() >= self.digest_expires;
        if with_digest {
            self.digest_expires = Instant::now() + Duration::from_secs(60);
        }
        let outcome = perform::perform_write(request, input.as_ref(), &self.cib, with_digest);
        let WriteOutcome { result, result_cib, diff, config_changed, output, change_sections } = outcome;
        let mut effective_opts = opts;
        if section == Some("status") && opts & call_opt::DRYRUN == 0 {
            effective_opts |= call_opt::ZERO_COPY;
        }
        let mut reply_output = output;
        if result == rc::OK && opts & call_opt::DRYRUN == 0 {
            self.digest_check.restart_timer();
            if let Some(new_cib) = result_cib {
                let replaced = std::mem::replace(&mut self.cib, Arc::new(new_cib));
                self.reaper.free(replaced);
                if config_changed || request.op == op::REPLACE {
                    self.writer.request(&self.cib);
                }
            }
        } else if result == rc::SCHEMA_VALIDATION {
            reply_output = result_cib;
        }
        tracing::info!(
            "Completed {} operation for section {}: {} (rc={}, origin={}/{}/{}, version={}.{}.{})",
            request.op,
            section.unwrap_or("'all'"),
            libcib::protocol::rc_text(result),
            result,
            request.attr(attr::ORIGIN).unwrap_or("local"),
            request.attr(attr::CLIENT_NAME).unwrap_or(""),
            request.call_id.as_deref().unwrap_or(""),
            self.cib.attr("admin_epoch").unwrap_or("0"),
            self.cib.attr("epoch").unwrap_or("0"),
            self.cib.attr("num_updates").unwrap_or("0"),
        );
        if opts & (call_opt::INHIBIT_NOTIFY | call_opt::DRYRUN) == 0 {
            if let Some(d) = &diff {
                let note = notify::diff_notification(&request.op, input.as_ref(), result, d, &self.cib);
                self.broadcast(&note, NotifyFlags::DIFF);
            }
        }
        if result == rc::OK && change_sections != 0 {
            if let Some(d) = &diff {
                let _ = d;
                let note = notify::replace_notification(result, change_sections, &self.cib);
                self.broadcast(&note, NotifyFlags::REPLACE);
            }
        }
        let mut reply = self.reply_skeleton(request, result);
        reply.set_attr(attr::CALL_OPTIONS, (effective_opts as i32).to_string());
        if let Some(out) = reply_output {
            reply.push_child(Element::new(element::CALLDATA)).push_child(out);
        }
        reply
    }

    fn run_read_only(&mut self, request: &CibRequest, section: Option<&str>, opts: u32) -> (i32, Option<Element>) {
        match request.op.as_str() {
            op::QUERY => {
                let user = request.attr(attr::USER).unwrap_or("root");
                let view = perform::readable_view(&self.cib, user);
                let Some(view) = view else { return (rc::EACCES, None) };
                match ops::query(opts, section, &view) {
                    Ok(out) => (rc::OK, out),
                    Err((code, out)) => (code, out),
                }
            }
            op::PING => {
                let mut answer = Element::new(element::PING_RESPONSE)
                    .with_attr(attr::FEATURE_SET, libcib::protocol::FEATURE_SET)
                    .with_attr(attr::DIGEST, support::versioned_digest(&self.cib));
                if let Some(id) = request.attr(attr::PING_ID) {
                    answer.set_attr(attr::PING_ID, id);
                }
                answer.push_child(Element::new(element::CALLDATA)).push_child(self.cib.shallow_copy());
                (rc::OK, Some(answer))
            }
            op::IS_PRIMARY => (if self.primary { rc::OK } else { rc::EPERM }, None),
            op::SECONDARY | op::ALL_SECONDARY => {
                if self.primary {
                    tracing::info!("We are now in R/O mode");
                }
                self.primary = false;
                (rc::OK, None)
            }
            op::NOOP => (rc::OK, None),
            // With no peers, syncing and peer shutdown requests have nothing to do.
            op::SYNC_TO_ALL | op::SYNC_TO_ONE | op::SHUTDOWN => (rc::OK, None),
            _ => (rc::EINVAL, None),
        }
    }

    fn broadcast(&mut self, note: &Element, kind: NotifyFlags) {
        let targets: Vec<ClientId> =
            self.clients.iter().filter(|(_, c)| c.notify.contains(kind)).map(|(id, _)| *id).collect();
        for client in targets {
            if let Err(e) = ipc::send_event(client, note) {
                tracing::warn!("Could not notify client: {}", e);
            }
        }
    }
}
