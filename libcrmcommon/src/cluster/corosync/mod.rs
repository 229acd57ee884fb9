//! The cluster layer on a running corosync: CPG for messages and process
//! membership, the quorum service for node membership and quorum, cmap for
//! node names.

mod auth;
mod callbacks;
pub mod cmap;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::os::fd::RawFd;
use std::time::Duration;

use rust_corosync::{cpg, quorum, CsError, DispatchFlags, TrackFlags};

use self::callbacks::{RawAddress, RawEvent};
use self::cmap::CmapConnection;
use super::local::local_hostname;
use super::types::{
    ClusterError, ClusterEvent, ClusterMessage, GroupMember, MemberChange, MessageType,
    NodeIdentity, QuorumMember, Target,
};
use super::wire::{self, OutgoingHeader};
use super::{check_group_name, ClusterLayer, ORIGIN_ATTRIBUTE};
use crate::xml::{self, Element};

/// How many queued messages one flush sends at most (C's `CS_SEND_MAX`).
const SEND_BATCH: usize = 200;

fn corosync_error(call: &'static str, error: CsError) -> ClusterError {
    ClusterError::Corosync { call, error: error.to_string() }
}

/// Whether corosync asks us to try the call again later.
fn is_transient(error: CsError) -> bool {
    matches!(error, CsError::CsErrTryAgain | CsError::CsErrQueueFull)
}

/// How long connect and join keep retrying while corosync answers "try again".
/// C retries these calls 30 times sleeping 1, 2, 3... seconds; giving up much sooner
/// turns a busy corosync (it answers so while it processes a membership change, such
/// as a killed daemon leaving its group) into a fatal exit of the daemon, which makes
/// pacemakerd stop the whole node.
const TRANSIENT_PATIENCE: Duration = Duration::from_secs(60);

/// Call `operation` until corosync stops answering "try again", for up to
/// [`TRANSIENT_PATIENCE`]. This blocks the caller as C does, which only matters at
/// connect and join time.
fn retry_transient<T>(
    call: &'static str,
    mut operation: impl FnMut() -> Result<T, CsError>,
) -> Result<T, ClusterError> {
    let mut delay = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    loop {
        match operation() {
            Ok(value) => return Ok(value),
            Err(e) if is_transient(e) && waited < TRANSIENT_PATIENCE => {
                tracing::debug!("{call}: corosync asks to try again; retrying in {delay:?}");
                std::thread::sleep(delay);
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(corosync_error(call, e)),
        }
    }
}

/// The name under which a group is joined on the wire. Pacemaker's group
/// names count the terminating NUL in their length (`strlen + 1`), and
/// corosync compares names by length and bytes, so "cib" without the NUL
/// would be a different group. rust-corosync copies `len()` bytes of the str,
/// so the NUL goes into the str.
fn wire_group_name(group: &str) -> String {
    format!("{group}\0")
}

struct GroupConnection {
    handle: cpg::Handle,
    fd: RawFd,
    sender_type: MessageType,
    /// Encoded messages corosync has not accepted yet, oldest first.
    outbox: VecDeque<Vec<u8>>,
}

/// Pacemaker-compatible cluster messaging over a running corosync.
///
/// One CPG connection per joined group (corosync lets a connection join only
/// one group), plus an optional quorum connection. Every fd from
/// [`poll_fds`](ClusterLayer::poll_fds) is level-triggered readable while
/// corosync has callbacks pending; [`dispatch`](ClusterLayer::dispatch)
/// serves all of them without blocking.
pub struct CorosyncCluster {
    context: u64,
    identity: NodeIdentity,
    pid: u32,
    groups: BTreeMap<String, GroupConnection>,
    quorum: Option<(quorum::Handle, RawFd)>,
    /// Whether a quorum view with members has been seen; earlier empty views
    /// mean the membership is still forming and are skipped (as C does).
    quorum_view_seen: bool,
    names: HashMap<u32, String>,
    message_counter: u32,
}

impl CorosyncCluster {
    /// Connect to corosync and work out who we are: the node id from CPG
    /// (`cpg_local_get`), the name from cmap's node list, else the host name.
    pub fn connect() -> Result<Self, ClusterError> {
        let context = callbacks::new_context();
        let probe = Self::open_cpg(context)?;
        let node_id = retry_transient("cpg_local_get", || cpg::local_get(&probe.0))?;
        drop(probe);
        let node_id = u32::from(node_id);
        if node_id == 0 {
            return Err(ClusterError::Corosync {
                call: "cpg_local_get",
                error: "local node id is 0".into(),
            });
        }
        let configured = CmapConnection::open()
            .map(|cmap| cmap.node_name(node_id))
            .unwrap_or_else(|e| {
                tracing::warn!("cannot read the corosync node list: {e}");
                None
            });
        let name = match configured {
            Some(name) => name,
            None => {
                let name = local_hostname()?;
                tracing::info!("using the host name {name} as the local node name");
                name
            }
        };
        let mut names = HashMap::new();
        names.insert(node_id, name.clone());
        Ok(CorosyncCluster {
            context,
            identity: NodeIdentity { id: node_id, name },
            pid: std::process::id(),
            groups: BTreeMap::new(),
            quorum: None,
            quorum_view_seen: false,
            names,
            message_counter: 0,
        })
    }

    fn open_cpg(context: u64) -> Result<(cpg::Handle, RawFd), ClusterError> {
        let model = cpg::ModelData::ModelV1(cpg::Model1Data {
            flags: cpg::Model1Flags::None,
            deliver_fn: Some(callbacks::on_cpg_deliver),
            confchg_fn: Some(callbacks::on_cpg_confchg),
            totem_confchg_fn: None,
        });
        let handle = retry_transient("cpg_initialize", || cpg::initialize(&model, 0))?;
        cpg::context_set(&handle, context).map_err(|e| corosync_error("cpg_context_set", e))?;
        let fd = cpg::fd_get(&handle).map_err(|e| corosync_error("cpg_fd_get", e))?;
        auth::require_root_provider(fd, "cpg")?;
        Ok((handle, fd))
    }

    /// Start receiving [`ClusterEvent::Quorum`]: connects to corosync's quorum
    /// service, which must have a provider configured, and asks for the
    /// current view and every change. Returns whether the cluster is quorate
    /// right now.
    pub fn track_quorum(&mut self) -> Result<bool, ClusterError> {
        if self.quorum.is_some() {
            return Err(ClusterError::AlreadyJoined("quorum".into()));
        }
        let model = quorum::ModelData::ModelV1(quorum::Model1Data {
            flags: quorum::Model1Flags::None,
            quorum_notification_fn: Some(callbacks::on_quorum_notification),
            nodelist_notification_fn: None,
        });
        let (handle, quorum_type) =
            quorum::initialize(&model, 0).map_err(|e| corosync_error("quorum_initialize", e))?;
        if !matches!(quorum_type, quorum::QuorumType::Set) {
            return Err(ClusterError::QuorumNotConfigured);
        }
        quorum::context_set(&handle, self.context)
            .map_err(|e| corosync_error("quorum_context_set", e))?;
        let fd = quorum::fd_get(&handle).map_err(|e| corosync_error("quorum_fd_get", e))?;
        auth::require_root_provider(fd, "quorum")?;
        let quorate =
            quorum::getquorate(&handle).map_err(|e| corosync_error("quorum_getquorate", e))?;
        // C asks for CURRENT|CHANGES; rust-corosync's flags are a plain enum,
        // and corosync sends the current view for CHANGES alone as well.
        quorum::trackstart(&handle, TrackFlags::Changes)
            .map_err(|e| corosync_error("quorum_trackstart", e))?;
        self.quorum = Some((handle, fd));
        Ok(quorate)
    }

    /// The configured names of all nodes, from cmap.
    pub fn configured_nodes(&mut self) -> Result<Vec<cmap::NodelistEntry>, ClusterError> {
        let nodes = CmapConnection::open()?.nodelist();
        for node in &nodes {
            if let Some(name) = &node.name {
                self.names.insert(node.node_id, name.clone());
            }
        }
        Ok(nodes)
    }

    fn lookup_name(&mut self, node_id: u32) -> Option<String> {
        if let Some(name) = self.names.get(&node_id) {
            return Some(name.clone());
        }
        let name = CmapConnection::open().ok()?.node_name(node_id)?;
        self.names.insert(node_id, name.clone());
        Some(name)
    }

    fn member(&mut self, address: &RawAddress) -> GroupMember {
        GroupMember {
            node_id: address.node_id,
            pid: address.pid,
            name: self.lookup_name(address.node_id),
        }
    }

    fn flush_group(group: &str, connection: &mut GroupConnection) -> Result<(), ClusterError> {
        let mut sent = 0;
        while sent < SEND_BATCH {
            let Some(message) = connection.outbox.front() else { break };
            match cpg::mcast_joined(&connection.handle, cpg::Guarantee::TypeAgreed, message) {
                Ok(()) => {
                    connection.outbox.pop_front();
                    sent += 1;
                }
                Err(e) if is_transient(e) => {
                    tracing::debug!(
                        "CPG group {group}: corosync busy, {} message(s) queued",
                        connection.outbox.len()
                    );
                    break;
                }
                Err(e) => {
                    // Not something waiting helps with: drop this message so
                    // it cannot block the ones behind it.
                    connection.outbox.pop_front();
                    return Err(corosync_error("cpg_mcast_joined", e));
                }
            }
        }
        Ok(())
    }

    fn convert_delivery(&mut self, group: String, node_id: u32, pid: u32, bytes: &[u8]) -> Option<ClusterEvent> {
        let message = match wire::decode(bytes) {
            Ok(message) => message,
            Err(e) => {
                tracing::error!("invalid CPG message in group {group} from node {node_id} pid {pid}: {e}");
                return None;
            }
        };
        if message.class != wire::CLASS_CLUSTER {
            tracing::warn!("ignoring CPG message of class {} in group {group}", message.class);
            return None;
        }
        if message.sender.node_id != 0 && message.sender.node_id != node_id {
            tracing::error!(
                "CPG message from node {node_id} pid {pid} claims node id {}; dropped",
                message.sender.node_id
            );
            return None;
        }
        if !wire::is_for_node(&message.destination, self.identity.id, &self.identity.name) {
            return None;
        }
        let from_name = if message.sender.name.is_empty() {
            self.lookup_name(node_id).unwrap_or_default()
        } else {
            message.sender.name.clone()
        };
        let mut payload = match xml::parse(&message.text) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!("CPG message from {from_name} in group {group} is not XML: {e}");
                return None;
            }
        };
        payload.set_attr(ORIGIN_ATTRIBUTE, from_name.clone());
        let addressed = message.destination.node_id != 0 || !message.destination.name.is_empty();
        Some(ClusterEvent::Message(ClusterMessage {
            group,
            from_node_id: node_id,
            from_pid: pid,
            from_name,
            message_id: message.message_id,
            sender_type: MessageType(message.sender.message_type),
            destination_type: MessageType(message.destination.message_type),
            addressed,
            compressed: message.was_compressed,
            payload,
        }))
    }

    fn convert(&mut self, raw: RawEvent) -> Option<ClusterEvent> {
        match raw {
            RawEvent::Delivered { group, node_id, pid, bytes } => {
                self.convert_delivery(group, node_id, pid, &bytes)
            }
            RawEvent::ConfigChange { group, members, left, joined } => {
                let local_is_member = members
                    .iter()
                    .any(|m| m.node_id == self.identity.id && m.pid == self.pid);
                let members = members.iter().map(|a| self.member(a)).collect();
                let joined = joined
                    .iter()
                    .map(|a| MemberChange { member: self.member(a), reason: a.reason })
                    .collect();
                let left = left
                    .iter()
                    .map(|a| MemberChange { member: self.member(a), reason: a.reason })
                    .collect();
                Some(ClusterEvent::Membership { group, members, joined, left, local_is_member })
            }
            RawEvent::Quorum { quorate, ring_id, members } => {
                if members.is_empty() && !self.quorum_view_seen {
                    tracing::info!("corosync membership is still forming; quorum view ignored");
                    return None;
                }
                self.quorum_view_seen = true;
                let members = members
                    .into_iter()
                    .map(|node_id| QuorumMember { node_id, name: self.lookup_name(node_id) })
                    .collect();
                Some(ClusterEvent::Quorum { quorate, ring_id, members })
            }
        }
    }
}

impl Drop for CorosyncCluster {
    fn drop(&mut self) {
        for (group, connection) in &self.groups {
            let _ = cpg::leave(&connection.handle, &wire_group_name(group));
        }
        callbacks::discard(self.context);
    }
}

impl ClusterLayer for CorosyncCluster {
    fn local_node(&self) -> &NodeIdentity {
        &self.identity
    }

    fn join(&mut self, group: &str) -> Result<(), ClusterError> {
        check_group_name(group)?;
        if self.groups.contains_key(group) {
            return Err(ClusterError::AlreadyJoined(group.to_string()));
        }
        let (handle, fd) = Self::open_cpg(self.context)?;
        let wire_name = wire_group_name(group);
        retry_transient("cpg_join", || cpg::join(&handle, &wire_name))?;
        let connection = GroupConnection {
            handle,
            fd,
            sender_type: MessageType::for_sender(group, self.pid),
            outbox: VecDeque::new(),
        };
        self.groups.insert(group.to_string(), connection);
        Ok(())
    }

    fn leave(&mut self, group: &str) -> Result<(), ClusterError> {
        let connection =
            self.groups.remove(group).ok_or_else(|| ClusterError::NotJoined(group.to_string()))?;
        cpg::leave(&connection.handle, &wire_group_name(group))
            .map_err(|e| corosync_error("cpg_leave", e))?;
        // Dropping the handle finalizes the connection.
        Ok(())
    }

    fn send(
        &mut self,
        group: &str,
        to: Option<&Target>,
        destination_type: MessageType,
        payload: &Element,
    ) -> Result<(), ClusterError> {
        let connection =
            self.groups.get_mut(group).ok_or_else(|| ClusterError::NotJoined(group.to_string()))?;
        let text = xml::to_compact(payload);
        if text.len() + 1 > wire::MAX_UNCOMPRESSED_PAYLOAD {
            return Err(ClusterError::MessageTooLarge {
                size: text.len() + 1,
                limit: wire::MAX_UNCOMPRESSED_PAYLOAD,
            });
        }
        let message_id = self.message_counter.wrapping_add(1);
        let header = OutgoingHeader {
            message_id,
            sender_pid: self.pid,
            sender_type: connection.sender_type,
            sender_name: &self.identity.name,
            destination_type,
            destination_node_id: to.map_or(0, |t| t.node_id),
            destination_name: to.and_then(|t| t.name.as_deref()),
        };
        let bytes = wire::encode(&header, &text)?;
        self.message_counter = message_id;
        connection.outbox.push_back(bytes);
        Self::flush_group(group, connection)
    }

    fn poll_fds(&self) -> Vec<RawFd> {
        let mut fds: Vec<RawFd> = self.groups.values().map(|c| c.fd).collect();
        if let Some((_, fd)) = &self.quorum {
            fds.push(*fd);
        }
        fds
    }

    fn dispatch(&mut self) -> Vec<ClusterEvent> {
        let mut events = Vec::new();
        let mut failed_groups = Vec::new();
        for (group, connection) in self.groups.iter_mut() {
            if let Err(e) = Self::flush_group(group, connection) {
                tracing::error!("sending to CPG group {group} failed: {e}");
            }
            if let Err(e) = cpg::dispatch(&connection.handle, DispatchFlags::All) {
                failed_groups.push((group.clone(), e));
            }
        }
        let mut quorum_failed = None;
        if let Some((handle, _)) = &self.quorum {
            if let Err(e) = quorum::dispatch(handle, DispatchFlags::All) {
                quorum_failed = Some(e);
            }
        }
        for raw in callbacks::take(self.context) {
            if let Some(event) = self.convert(raw) {
                events.push(event);
            }
        }
        for (group, error) in failed_groups {
            tracing::error!("connection to CPG group {group} failed: {error}");
            self.groups.remove(&group);
            events.push(ClusterEvent::Disconnected {
                service: format!("cpg:{group}"),
                reason: error.to_string(),
            });
        }
        if let Some(error) = quorum_failed {
            tracing::error!("connection to the corosync quorum service failed: {error}");
            self.quorum = None;
            events.push(ClusterEvent::Disconnected { service: "quorum".into(), reason: error.to_string() });
        }
        events
    }

    fn flush(&mut self) -> Result<(), ClusterError> {
        let mut result = Ok(());
        for (group, connection) in self.groups.iter_mut() {
            if let Err(e) = Self::flush_group(group, connection) {
                result = Err(e);
            }
        }
        result
    }

    fn retry_after(&self) -> Option<Duration> {
        let queued: usize = self.groups.values().map(|c| c.outbox.len()).sum();
        // C retries after 100 ms, and backs off up to 1 s with a long queue.
        (queued > 0).then(|| Duration::from_millis((100 + 10 * queued as u64).min(1000)))
    }

    fn node_name(&mut self, node_id: u32) -> Option<String> {
        self.lookup_name(node_id)
    }
}
