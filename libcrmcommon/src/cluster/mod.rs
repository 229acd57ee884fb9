//! Cluster messaging for the daemons: CPG groups, membership and quorum.
//!
//! Daemons run a single-threaded poll loop. They hold a [`ClusterLayer`],
//! add its [`poll_fds`](ClusterLayer::poll_fds) to their loop, call
//! [`dispatch`](ClusterLayer::dispatch) when any of them is readable and act
//! on the returned [`ClusterEvent`]s. Sending never blocks: messages corosync
//! cannot take yet are queued, and the loop calls
//! [`flush`](ClusterLayer::flush) after [`retry_after`](ClusterLayer::retry_after).
//!
//! Two implementations:
//! * [`CorosyncCluster`]: the real thing, wire-compatible with Pacemaker 2.1.5.
//! * [`LocalCluster`]: one node, no corosync, for the embedded single-node mode.
//!
//! # Protocol facts (checked against Pacemaker 2.1.5 and corosync 3.1.7)
//!
//! Verified by the interop tests in `tests/cluster_corosync.rs`, which run
//! Debian's C `pacemaker-based` in a private corosync:
//!
//! * Group names: Pacemaker joins `cib`, `crmd`, `attrd`, `stonith-ng` with
//!   the name length counting the terminating NUL. Corosync compares length
//!   and bytes, so a group joined as the 3 bytes "cib" is a different group
//!   from C's 4-byte "cib\0": joining with the NUL is what makes us see C's
//!   traffic.
//! * Every message is one `cpg_mcast_joined(CPG_TYPE_AGREED)` of a 592-byte
//!   packed header plus the payload (see [`wire`] for the layout). The header
//!   class is 0 (`crm_class_cluster`), the libqb error field 1 (`CS_OK`), the
//!   libqb size field the total length. The sender leaves its node id 0 and
//!   fills pid, type (its daemon type, `crm_ais_msg_types`, or its pid if it
//!   is no daemon) and its node name; receivers take the node id from CPG.
//! * The payload is the unformatted XML plus one NUL. From 128 KiB
//!   (`CRM_BZ2_THRESHOLD`, counting the NUL) it is bzip2 compressed (block
//!   size 4) including the NUL; `size` stays the uncompressed length and
//!   `compressed_size` the length on the wire.
//! * Addressing: CPG delivers every message to every member. An addressed
//!   message carries the destination's node id and/or name in the header;
//!   receivers drop it unless the id is 0 or theirs and the name is empty or
//!   theirs ignoring case. The sender receives its own broadcasts.
//! * On delivery every C daemon sets the attribute `src` (`F_ORIG`) of the
//!   parsed XML to the sender's node name; this layer does it for all.
//! * based forwards every CIB write (`cibadmin --modify` etc.) as the client's
//!   `cib_command` request, with `cib_delegated_from` = its node, broadcast
//!   to the `cib` group, sender type 3 (`cib`).
//! * A peer request `<cib_command t="cib" cib_op="cib_query" cib_host=NODE
//!   .../>` addressed to that node is answered by based with a
//!   `<cib-reply t="cib" cib_op="cib_query" cib_rc="0" cib_isreplyto=OUR_NODE
//!   ...><cib_calldata><cib .../></cib_calldata></cib-reply>` addressed back
//!   to the requesting node.
//! * Node names come from cmap `nodelist.node.<i>.name`, else a `ring0_addr`
//!   that is not an IP address, else (local node only) `uname -n`.
//! * Quorum: `quorum_initialize` must report a quorum provider
//!   (`QUORUM_SET`); the first notification after `quorum_trackstart` carries
//!   the current view; empty views before the first real one are skipped.
//! * A process running as hacluster gets `CS_ERR_ACCESS` from every corosync
//!   service until root sets cmap `uidgid.gid.<haclient gid>` = 1
//!   ([`authorize_group`]).

mod corosync;
mod local;
mod types;
pub mod wire;

pub use corosync::cmap::{authorize_group, cluster_name, CmapConnection, NodelistEntry};
pub use corosync::CorosyncCluster;
pub use local::{local_hostname, LocalCluster};
pub use types::{
    ChangeReason, ClusterError, ClusterEvent, ClusterMessage, GroupMember, MemberChange,
    MessageType, NodeIdentity, QuorumMember, Target,
};

use std::os::fd::RawFd;
use std::time::Duration;

use crate::xml::Element;

/// Attribute every daemon sets on a delivered message: the sender's node name.
pub const ORIGIN_ATTRIBUTE: &str = "src";

/// Longest group name: corosync's `CPG_MAX_NAME_LENGTH` (128) less the NUL
/// that Pacemaker counts in the name.
pub const MAX_GROUP_NAME: usize = 127;

fn check_group_name(group: &str) -> Result<(), ClusterError> {
    if group.is_empty() || group.len() > MAX_GROUP_NAME || group.contains('\0') {
        return Err(ClusterError::InvalidGroupName(group.to_string()));
    }
    Ok(())
}

/// The cluster as a daemon sees it. Loop-agnostic: no threads, no blocking.
pub trait ClusterLayer {
    /// This node's id and name.
    fn local_node(&self) -> &NodeIdentity;

    /// Join a process group (`cib`, `crmd`, `attrd`, `stonith-ng`). The
    /// sender type in our messages is derived from the group name, which for
    /// the daemons' groups is the daemon's type. A
    /// [`ClusterEvent::Membership`] including this process follows.
    fn join(&mut self, group: &str) -> Result<(), ClusterError>;

    /// Leave a joined group; nothing more is delivered for it.
    fn leave(&mut self, group: &str) -> Result<(), ClusterError>;

    /// Send `payload` to a joined group: to every member (`to` = `None`) or
    /// only to the processes of one node. `destination_type` is the kind of
    /// daemon it is for (informational, as in C). Queued and sent in order
    /// if corosync is busy.
    fn send(
        &mut self,
        group: &str,
        to: Option<&Target>,
        destination_type: MessageType,
        payload: &Element,
    ) -> Result<(), ClusterError>;

    /// File descriptors to watch for readability; call
    /// [`dispatch`](Self::dispatch) when any is readable. The set changes
    /// after `join`, `leave` and `track_quorum`.
    fn poll_fds(&self) -> Vec<RawFd>;

    /// Handle everything pending without blocking and return it in order.
    fn dispatch(&mut self) -> Vec<ClusterEvent>;

    /// Retry sending queued messages.
    fn flush(&mut self) -> Result<(), ClusterError>;

    /// When messages are queued, how long to wait before calling
    /// [`flush`](Self::flush).
    fn retry_after(&self) -> Option<Duration>;

    /// The name of a node, if known.
    fn node_name(&mut self, node_id: u32) -> Option<String>;
}
