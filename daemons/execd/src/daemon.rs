//! The executor: its clients, resources and operations, and the handling of client
//! requests on the `lrmd` IPC.

use crate::state::{OpId, Operation, Resource, TimerEvent};
use libcrmcommon::ipc::server::{self as ipc, ServerEvent};
use libcrmcommon::ipc::{flags, ClientId, Message};
use libcrmcommon::mainloop::Timers;
use libcrmcommon::xml::{self, Element};
use liblrmd::event::generic_notify;
use liblrmd::protocol::{self, attr, call_opt, element, op, origin, rc};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default)]
pub struct ClientState {
    /// Set from the first request (`lrmd_clientname`, else the pid); nameless clients get no
    /// notifications, as in Pacemaker.
    pub name: Option<String>,
}

pub struct Execd {
    pub clients: HashMap<ClientId, ClientState>,
    pub resources: HashMap<String, Resource>,
    pub ops: HashMap<OpId, Operation>,
    next_op: OpId,
    /// The last call id handed out (every accepted request takes one).
    call_id: i32,
    pub timers: Timers<TimerEvent>,
    /// Resources whose queue needs another look after this loop iteration.
    pub work: BTreeSet<String>,
    /// Per resource, the operation whose agent process is running.
    pub inflight: HashMap<String, OpId>,
    /// Operations waiting for their resource's running process to end, in order.
    pub blocked: Vec<OpId>,
    /// Agent processes by pid.
    pub processes: HashMap<i32, OpId>,
    /// Open agent output pipes (read ends) by descriptor.
    pub output_fds: HashMap<i32, OpId>,
    /// Sequence number of the last alert run (given to alert agents).
    pub alert_sequence: i32,
    /// The fencer connection, made when a fence device operation first needs it.
    pub fencer: Option<crate::fencer::FencerClient>,
    /// Fence device monitors waiting for the fencer's result, by fencer call id.
    pub fence_calls: HashMap<i32, OpId>,
    /// Fence device operations waiting for a fencer connection attempt to succeed.
    pub fencer_waiters: Vec<OpId>,
    /// The last failed fencer connection attempt of the current series (0: none).
    pub fencer_attempt: u32,
    /// The system bus link for systemd resources, made when one is first acted on.
    pub systemd: Option<crate::systemd::bus::SystemdBus>,
    /// The last systemd request number handed out.
    pub systemd_seq: u64,
}

impl Execd {
    pub fn new() -> Execd {
        Execd {
            clients: HashMap::new(),
            resources: HashMap::new(),
            ops: HashMap::new(),
            next_op: 0,
            call_id: 0,
            timers: Timers::new(),
            work: BTreeSet::new(),
            inflight: HashMap::new(),
            blocked: Vec::new(),
            processes: HashMap::new(),
            output_fds: HashMap::new(),
            alert_sequence: 0,
            fencer: None,
            fence_calls: HashMap::new(),
            fencer_waiters: Vec::new(),
            fencer_attempt: 0,
            systemd: None,
            systemd_seq: 0,
        }
    }

    pub fn insert_op(&mut self, operation: Operation) -> OpId {
        self.next_op += 1;
        self.ops.insert(self.next_op, operation);
        self.next_op
    }

    pub fn on_ipc_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::Connected { client } => {
                self.clients.insert(client, ClientState::default());
                let notify = Element::new(element::NOTIFY)
                    .with_attr(attr::ORIGIN, origin::NEW_CLIENT)
                    .with_attr(attr::OPERATION, op::NEW_CLIENT);
                let others: Vec<ClientId> = self
                    .clients
                    .keys()
                    .copied()
                    .filter(|c| *c != client)
                    .collect();
                for other in others {
                    self.notify_client(other, &notify);
                }
            }
            ServerEvent::Disconnected { client, info } => {
                tracing::debug!("Client {} (pid {}) disconnected", info.uuid, info.pid);
                self.clients.remove(&client);
                self.drop_recurring_of(&info.uuid);
            }
            ServerEvent::BadRequest { client, error, .. } => {
                // Pacemaker drops a message it cannot read without answering.
                tracing::warn!(
                    "Ignoring unreadable message from client {:?}: {}",
                    client,
                    error
                );
            }
            ServerEvent::Request { client, request } => self.on_request(client, request),
        }
    }

    /// Sends `msg` as an event to one client, if it has a name (as Pacemaker does).
    pub fn notify_client(&self, client: ClientId, msg: &Element) {
        let named = self.clients.get(&client).is_some_and(|c| c.name.is_some());
        if !named {
            return;
        }
        if let Err(e) = ipc::send_event(client, msg) {
            tracing::info!("Could not notify client {:?}: {}", client, e);
        }
    }

    pub fn notify_all(&self, msg: &Element) {
        for client in self.clients.keys() {
            self.notify_client(*client, msg);
        }
    }

    fn on_request(&mut self, client: ClientId, message: Message) {
        if message.header.flags & flags::CLIENT_RESPONSE == 0 {
            tracing::error!(
                "Invalid client request from {:?}: not flagged as expecting a reply",
                client
            );
            return;
        }
        let Ok(mut request) = xml::parse(&message.text) else {
            tracing::warn!("Ignoring unparsable request from client {:?}", client);
            return;
        };
        let Some(info) = ipc::client_info(client) else {
            return;
        };
        let state = self.clients.entry(client).or_default();
        if state.name.is_none() {
            state.name = Some(
                request
                    .attr(attr::CLIENT_NAME)
                    .map(str::to_owned)
                    .unwrap_or_else(|| info.pid.to_string()),
            );
        }
        let client_name = state.name.clone().unwrap_or_default();
        self.call_id = self.call_id.wrapping_add(1);
        if self.call_id < 1 {
            self.call_id = 1;
        }
        request.set_attr(attr::CLIENT_ID, info.uuid.clone());
        request.set_attr(attr::CLIENT_NAME, client_name.clone());
        request.set_attr(attr::CALL_ID, self.call_id.to_string());
        self.process_request(client, &info, &client_name, message.header.id, &request);
    }

    fn process_request(
        &mut self,
        client: ClientId,
        info: &libcrmcommon::ipc::ClientInfo,
        client_name: &str,
        ipc_id: i32,
        request: &Element,
    ) {
        let operation = request.attr(attr::OPERATION).unwrap_or_default().to_owned();
        let call_id = self.call_id;
        let allowed = info.privileged;
        let mut status = rc::OK;
        let mut reply: Option<Element> = None;
        let mut do_reply = true;
        let mut do_notify = false;

        match operation.as_str() {
            op::IPC_FWD => status = rc::EPROTONOSUPPORT,
            op::REGISTER => {
                let (code, signon) = self.signon(info, request, call_id);
                status = code;
                reply = Some(signon);
            }
            op::RSC_REGISTER if allowed => {
                status = self.register_rsc(request);
                do_notify = true;
            }
            op::RSC_INFO if allowed => reply = Some(self.rsc_info_reply(request, call_id)),
            op::RSC_UNREGISTER if allowed => {
                status = self.unregister_rsc(request);
                do_notify = status == rc::OK || status == rc::EINPROGRESS;
            }
            op::RSC_EXEC if allowed => {
                status = self.exec_request(client, &info.uuid, request, call_id)
            }
            op::RSC_CANCEL if allowed => status = self.cancel_request(request),
            op::POKE => do_notify = true,
            op::CHECK => {
                // Pacemaker validates the watchdog timeout here and never replies.
                do_reply = false;
                if !allowed {
                    status = rc::EACCES;
                }
            }
            op::ALERT_EXEC if allowed => {
                status = self.alert_request(client, &info.uuid, request, call_id)
            }
            op::GET_RECURRING if allowed => reply = Some(self.recurring_reply(request, call_id)),
            op::RSC_REGISTER
            | op::RSC_INFO
            | op::RSC_UNREGISTER
            | op::RSC_EXEC
            | op::RSC_CANCEL
            | op::ALERT_EXEC
            | op::GET_RECURRING => status = rc::EACCES,
            other => {
                status = rc::EOPNOTSUPP;
                tracing::error!(
                    "Unknown IPC request '{}' from client {}",
                    other,
                    client_name
                );
            }
        }
        if status == rc::EACCES {
            tracing::warn!(
                "Rejecting IPC request '{}' from unprivileged client {}",
                operation,
                client_name
            );
        }
        tracing::debug!(
            "Processed {} operation from {}: rc={}, reply={}, notify={}",
            operation,
            info.uuid,
            status,
            do_reply as i32,
            do_notify as i32
        );
        if do_reply {
            let reply = reply.unwrap_or_else(|| lrmd_reply(origin::MESSAGE, status, call_id));
            if let Err(e) = ipc::send_response(client, ipc_id, &reply) {
                tracing::warn!("Reply to client {} failed: {}", client_name, e);
            }
        }
        if do_notify && !self.clients.is_empty() {
            let rsc_id = rsc_xml(request).and_then(|r| r.attr(attr::RSC_ID));
            self.notify_all(&generic_notify(&operation, rsc_id, status, call_id));
        }
    }

    fn signon(
        &mut self,
        info: &libcrmcommon::ipc::ClientInfo,
        request: &Element,
        call_id: i32,
    ) -> (i32, Element) {
        let mut status = rc::OK;
        let version = request.attr(attr::PROTOCOL_VERSION).unwrap_or("");
        if compare_versions(version, protocol::MIN_PROTOCOL_VERSION) == std::cmp::Ordering::Less {
            tracing::error!(
                "Cluster API version must be greater than or equal to {}, not {}",
                protocol::MIN_PROTOCOL_VERSION,
                version
            );
            status = rc::EPROTO;
        }
        if request
            .attr(attr::IS_IPC_PROVIDER)
            .is_some_and(libcrmcommon::options::is_true)
        {
            // Proxy providers exist only for Pacemaker Remote.
            status = rc::EPROTONOSUPPORT;
        }
        let reply = lrmd_reply(origin::SIGNON, status, call_id)
            .with_attr(attr::OPERATION, op::REGISTER)
            .with_attr(attr::CLIENT_ID, info.uuid.clone())
            .with_attr(attr::PROTOCOL_VERSION, protocol::PROTOCOL_VERSION);
        (status, reply)
    }

    fn register_rsc(&mut self, request: &Element) -> i32 {
        let Some(rsc) = rsc_xml(request) else {
            return rc::EINVAL;
        };
        let Some(id) = rsc.attr(attr::RSC_ID).filter(|id| !id.is_empty()) else {
            return rc::EINVAL;
        };
        let spec = crate::agent::AgentSpec {
            class: rsc.attr(attr::CLASS).unwrap_or_default().to_owned(),
            provider: rsc.attr(attr::PROVIDER).map(str::to_owned),
            agent: rsc.attr(attr::AGENT_TYPE).unwrap_or_default().to_owned(),
        };
        let call_opts = request
            .attr(attr::CALL_OPTIONS)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if let Some(existing) = self.resources.get(id) {
            let same = existing.spec.class.eq_ignore_ascii_case(&spec.class)
                && eq_opt_ignore_case(existing.spec.provider.as_deref(), spec.provider.as_deref())
                && existing.spec.agent.eq_ignore_ascii_case(&spec.agent);
            if same {
                tracing::info!("Ignoring duplicate registration of '{}'", id);
                return rc::OK;
            }
            // A changed definition replaces the old one, whose queued work is dropped.
            self.remove_resource(id);
        }
        self.resources.insert(
            id.to_owned(),
            Resource {
                id: id.to_owned(),
                spec,
                call_opts,
                pending: Default::default(),
                active: None,
                recurring: Vec::new(),
                fence_probe: (
                    protocol::ocf::UNKNOWN_ERROR,
                    protocol::exec_status::NO_FENCE_DEVICE,
                ),
            },
        );
        tracing::info!("Cached agent information for '{}'", id);
        rc::OK
    }

    fn rsc_info_reply(&self, request: &Element, call_id: i32) -> Element {
        let rsc_id = rsc_xml(request).and_then(|r| r.attr(attr::RSC_ID));
        let rsc = rsc_id.and_then(|id| self.resources.get(id));
        if rsc.is_none() {
            if let Some(id) = rsc_id {
                tracing::info!("Agent information for '{}' not in cache", id);
            }
        }
        let mut reply = lrmd_reply(
            origin::GET_RSC_INFO,
            if rsc.is_some() { rc::OK } else { rc::ENODEV },
            call_id,
        );
        if let Some(rsc) = rsc {
            reply.set_attr(attr::RSC_ID, rsc.id.clone());
            reply.set_attr(attr::CLASS, rsc.spec.class.clone());
            if let Some(provider) = &rsc.spec.provider {
                reply.set_attr(attr::PROVIDER, provider.clone());
            }
            reply.set_attr(attr::AGENT_TYPE, rsc.spec.agent.clone());
        }
        reply
    }

    fn unregister_rsc(&mut self, request: &Element) -> i32 {
        let Some(id) = rsc_xml(request).and_then(|r| r.attr(attr::RSC_ID)) else {
            return rc::ENODEV;
        };
        let Some(rsc) = self.resources.get(id) else {
            tracing::info!(
                "Ignoring unregistration of resource '{}', which is not registered",
                id
            );
            return rc::OK;
        };
        let status = if rsc.active.is_some() {
            rc::EINPROGRESS
        } else {
            rc::OK
        };
        let id = id.to_owned();
        self.remove_resource(&id);
        status
    }

    fn recurring_reply(&self, request: &Element, call_id: i32) -> Element {
        let rsc_id = request
            .child(element::CALLDATA)
            .and_then(|d| d.child(element::RSC))
            .and_then(|r| r.attr(attr::RSC_ID));
        let mut status = rc::OK;
        if let Some(id) = rsc_id {
            if !self.resources.contains_key(id) {
                tracing::info!(
                    "Resource '{}' not found ({} active resources)",
                    id,
                    self.resources.len()
                );
                status = rc::ENODEV;
            }
        }
        let mut reply = lrmd_reply(origin::GET_RECURRING, status, call_id);
        let mut listed: Vec<&Resource> = match rsc_id {
            Some(id) => self.resources.get(id).into_iter().collect(),
            None => self.resources.values().collect(),
        };
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        for rsc in listed {
            let mut rsc_el = Element::new(element::RSC).with_attr(attr::RSC_ID, rsc.id.clone());
            for op in rsc.recurring.iter().filter_map(|id| self.ops.get(id)) {
                rsc_el.push_child(
                    Element::new(element::RSC_OP)
                        .with_attr(attr::RSC_ACTION, op.action.clone())
                        .with_attr(attr::RSC_INTERVAL, op.interval_ms.to_string())
                        .with_attr(attr::TIMEOUT, op.timeout_orig_ms.to_string()),
                );
            }
            reply.push_child(rsc_el);
        }
        reply
    }

    /// A client with drop-recurring registrations left: cancel its recurring operations.
    fn drop_recurring_of(&mut self, client_uuid: &str) {
        let ids: Vec<String> = self
            .resources
            .values()
            .filter(|r| r.call_opts & call_opt::DROP_RECURRING == call_opt::DROP_RECURRING)
            .map(|r| r.id.clone())
            .collect();
        for id in ids {
            self.cancel_all_recurring(&id, Some(client_uuid));
        }
    }
}

impl Default for Execd {
    fn default() -> Self {
        Self::new()
    }
}

/// A reply as Pacemaker builds it.
pub fn lrmd_reply(origin: &str, status: i32, call_id: i32) -> Element {
    Element::new(element::REPLY)
        .with_attr(attr::ORIGIN, origin)
        .with_attr(attr::RC, status.to_string())
        .with_attr(attr::CALL_ID, call_id.to_string())
}

/// The first `lrmd_rsc` element anywhere in the request (Pacemaker searches with `//lrmd_rsc`).
pub fn rsc_xml(request: &Element) -> Option<&Element> {
    request.descendants().find(|e| e.name == element::RSC)
}

fn eq_opt_ignore_case(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// Compares dotted version strings numerically (missing parts count as 0; an empty or
/// unparsable string is older than anything).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parse =
        |s: &str| -> Option<Vec<u64>> { s.split('.').map(|p| p.trim().parse().ok()).collect() };
    match (parse(a), parse(b)) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => {
            let n = x.len().max(y.len());
            let get = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
            (0..n)
                .map(|i| get(&x, i).cmp(&get(&y, i)))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("1.1", "1.0"), Ordering::Greater);
        assert_eq!(compare_versions("1.0", "1"), Ordering::Equal);
        assert_eq!(compare_versions("0.9", "1.0"), Ordering::Less);
        assert_eq!(compare_versions("", "1.0"), Ordering::Less);
        assert_eq!(compare_versions("1.10", "1.9"), Ordering::Greater);
    }
}
