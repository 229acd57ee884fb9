//! Value types shared by every cluster layer implementation.

use std::fmt;

use crate::xml::Element;

/// Who this process is in the cluster.
///
/// `id` is the corosync node id (Pacemaker uses its decimal form as the node
/// "uuid": `<node id>`, `node_state id`, `dc-uuid`); `name` is the node name
/// Pacemaker uses everywhere else (`uname`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    pub id: u32,
    pub name: String,
}

impl NodeIdentity {
    /// The node "uuid" as Pacemaker writes it into the CIB for corosync nodes.
    pub fn uuid(&self) -> String {
        self.id.to_string()
    }
}

/// Destination of an addressed message.
///
/// CPG always multicasts to the whole group; an addressed message carries the
/// destination in its header and every other receiver drops it. A receiver
/// keeps the message when the id is 0 or its own id, and when the name is
/// absent or equal (ignoring ASCII case) to its own name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Corosync node id, or 0 when only the name is known.
    pub node_id: u32,
    /// Node name, or `None` when only the id is known.
    pub name: Option<String>,
}

impl Target {
    pub fn node(node_id: u32, name: impl Into<String>) -> Self {
        Target { node_id, name: Some(name.into()) }
    }

    pub fn by_name(name: impl Into<String>) -> Self {
        Target { node_id: 0, name: Some(name.into()) }
    }

    pub fn by_id(node_id: u32) -> Self {
        Target { node_id, name: None }
    }
}

/// Pacemaker's `enum crm_ais_msg_types`: which kind of daemon sent a message
/// or is meant to handle it.
///
/// A newtype rather than an enum because C puts a client's pid in the sender
/// type when the sending process is not one of the known daemons, so any
/// value can arrive on the wire. Routing is by CPG group; the type is only
/// informational (attrd, for instance, sends votes typed `crmd` inside the
/// `attrd` group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType(pub u32);

impl MessageType {
    pub const NONE: MessageType = MessageType(0);
    pub const AIS: MessageType = MessageType(1);
    pub const LRMD: MessageType = MessageType(2);
    pub const CIB: MessageType = MessageType(3);
    pub const CRMD: MessageType = MessageType(4);
    pub const ATTRD: MessageType = MessageType(5);
    pub const STONITHD: MessageType = MessageType(6);
    pub const TENGINE: MessageType = MessageType(7);
    pub const PENGINE: MessageType = MessageType(8);
    pub const STONITH_NG: MessageType = MessageType(9);

    /// The type a process named `system_name` puts in the sender field, as
    /// `text2msg_type()` computes it. Unknown names map to [`MessageType::NONE`];
    /// use [`MessageType::for_sender`] for what actually goes on the wire.
    pub fn from_system_name(system_name: &str) -> MessageType {
        let name = system_name.to_ascii_lowercase();
        match name.as_str() {
            "ais" => Self::AIS,
            "cib" => Self::CIB,
            // The controller's long name and "dc" both mean the controller.
            "crmd" | "pacemaker-controld" | "dc" => Self::CRMD,
            "tengine" => Self::TENGINE,
            "pengine" | "pacemaker-schedulerd" => Self::PENGINE,
            "lrmd" | "pacemaker-execd" => Self::LRMD,
            "stonithd" => Self::STONITHD,
            "stonith-ng" | "pacemaker-fenced" => Self::STONITH_NG,
            "attrd" | "pacemaker-attrd" => Self::ATTRD,
            "pacemaker-based" => Self::CIB,
            _ => match name.parse::<u32>() {
                Ok(number) if number > Self::STONITH_NG.0 => MessageType(number),
                _ => Self::NONE,
            },
        }
    }

    /// The sender type C writes for a process: its daemon type, or its pid
    /// when it is not a known daemon.
    pub fn for_sender(system_name: &str, pid: u32) -> MessageType {
        match Self::from_system_name(system_name) {
            Self::NONE => MessageType(pid),
            known => known,
        }
    }

    /// Pacemaker's name for the type (its `msg_type2text()`), "unknown" for
    /// values outside the enum.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "ais",
            2 => "lrmd",
            3 => "cib",
            4 => "crmd",
            5 => "attrd",
            6 => "stonithd",
            7 => "tengine",
            8 => "pengine",
            9 => "stonith-ng",
            _ => "unknown",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

/// One process in a CPG group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub node_id: u32,
    pub pid: u32,
    /// Node name, when the cluster layer knows it.
    pub name: Option<String>,
}

/// Why a process left a group or joined it (corosync's `cpg_reason_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeReason {
    /// The process called join.
    Join,
    /// The process called leave.
    Leave,
    /// Its node left the cluster membership.
    NodeDown,
    /// Its node joined the cluster membership.
    NodeUp,
    /// The process died or closed its connection.
    ProcessDown,
    Unknown,
}

/// A member together with the reason it joined or left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    pub member: GroupMember,
    pub reason: ChangeReason,
}

/// A node in the cluster's quorum view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumMember {
    pub node_id: u32,
    pub name: Option<String>,
}

/// A message delivered to a group this process joined.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMessage {
    /// Group it was delivered in.
    pub group: String,
    /// Node id of the sender, as CPG reports it (not as the sender claims).
    pub from_node_id: u32,
    /// Process id of the sender.
    pub from_pid: u32,
    /// Node name of the sender: the name in the header, or, if the sender
    /// left it empty, the name the cluster layer knows for `from_node_id`.
    /// Empty if neither is known.
    pub from_name: String,
    /// The sender's per-process message counter.
    pub message_id: u32,
    pub sender_type: MessageType,
    pub destination_type: MessageType,
    /// Whether the message was addressed to this node (rather than broadcast).
    pub addressed: bool,
    /// Whether the payload travelled bzip2-compressed (diagnostics only).
    pub compressed: bool,
    /// The XML, with the `src` attribute set to `from_name` as every C daemon
    /// does on delivery.
    pub payload: Element,
}

/// What [`ClusterLayer::dispatch`](super::ClusterLayer::dispatch) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterEvent {
    /// A message for this node arrived in a joined group. Messages this
    /// process sent itself are delivered too, in the same total order as
    /// everyone else's; daemons depend on that.
    Message(ClusterMessage),
    /// The process membership of a joined group changed (CPG confchg).
    /// `members` is the full list after the change.
    Membership {
        group: String,
        members: Vec<GroupMember>,
        joined: Vec<MemberChange>,
        left: Vec<MemberChange>,
        /// False when this process is no longer in `members`: C daemons treat
        /// that as eviction and exit.
        local_is_member: bool,
    },
    /// The quorum state or the node membership changed. The first one after
    /// connecting reports the current state.
    Quorum {
        quorate: bool,
        /// Corosync ring sequence number of this view.
        ring_id: u64,
        members: Vec<QuorumMember>,
    },
    /// A connection to the cluster stack failed; C daemons exit on this.
    Disconnected { service: String, reason: String },
}

/// Failures of the cluster layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterError {
    /// A corosync library call failed.
    Corosync { call: &'static str, error: String },
    /// `send` or `leave` named a group this process has not joined.
    NotJoined(String),
    /// `join` named a group this process already joined.
    AlreadyJoined(String),
    /// The group name is empty, too long or contains a NUL.
    InvalidGroupName(String),
    /// A node name does not fit the 255 bytes of the CPG header.
    InvalidNodeName(String),
    /// The encoded message is larger than corosync accepts.
    MessageTooLarge { size: usize, limit: usize },
    /// The payload could not be compressed.
    Compression(String),
    /// Corosync is configured without a quorum provider.
    QuorumNotConfigured,
    /// An operating-system call failed.
    Io(String),
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Corosync { call, error } => write!(f, "corosync {call} failed: {error}"),
            ClusterError::NotJoined(group) => write!(f, "not a member of CPG group '{group}'"),
            ClusterError::AlreadyJoined(group) => write!(f, "already joined CPG group '{group}'"),
            ClusterError::InvalidGroupName(group) => write!(f, "invalid CPG group name '{group}'"),
            ClusterError::InvalidNodeName(name) => write!(f, "invalid node name '{name}'"),
            ClusterError::MessageTooLarge { size, limit } => {
                write!(f, "cluster message of {size} bytes exceeds the limit of {limit} bytes")
            }
            ClusterError::Compression(why) => write!(f, "compression failed: {why}"),
            ClusterError::QuorumNotConfigured => write!(f, "corosync quorum is not configured"),
            ClusterError::Io(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for ClusterError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_types_follow_text2msg_type() {
        assert_eq!(MessageType::for_sender("cib", 77), MessageType::CIB);
        assert_eq!(MessageType::for_sender("pacemaker-based", 77), MessageType::CIB);
        assert_eq!(MessageType::for_sender("crmd", 77), MessageType::CRMD);
        assert_eq!(MessageType::for_sender("dc", 77), MessageType::CRMD);
        assert_eq!(MessageType::for_sender("attrd", 77), MessageType::ATTRD);
        assert_eq!(MessageType::for_sender("stonith-ng", 77), MessageType::STONITH_NG);
        assert_eq!(MessageType::for_sender("X", 77), MessageType(77));
        // Numeric names above the enum are taken as they are, small ones not.
        assert_eq!(MessageType::from_system_name("1234"), MessageType(1234));
        assert_eq!(MessageType::from_system_name("3"), MessageType::NONE);
        assert_eq!(MessageType::STONITH_NG.name(), "stonith-ng");
        assert_eq!(MessageType(4242).name(), "unknown");
    }
}
