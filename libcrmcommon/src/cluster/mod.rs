//! Cluster messaging for the daemons: CPG groups, membership and quorum.
//!
//! Daemons run a single-threaded poll loop. They hold a [`ClusterLayer`],
//! add its [`poll_fds`](ClusterLayer::poll_fds) to their loop, call
//! [`dispatch`](ClusterLayer::dispatch) when any of them is readable and act
//! on the returned [`ClusterEvent`]s. Sending never blocks: messages corosync
//! cannot take yet are queued, and the loop calls
//! [`flush`](ClusterLayer::flush) after [`retry_after`](ClusterLayer::retry_after).
//!
//! ```
//! use libcrmcommon::cluster::{ClusterEvent, ClusterLayer, LocalCluster, MessageType, NodeIdentity};
//! use libcrmcommon::xml::Element;
//!
//! let mut cluster = LocalCluster::new(NodeIdentity { id: 1, name: "node1".into() })?;
//! cluster.join("attrd")?;
//! let update = Element::new("attrd_update").with_attr("attr_name", "foo");
//! cluster.send("attrd", None, MessageType::ATTRD, &update)?;
//! // A daemon would wait for cluster.poll_fds() to be readable first.
//! for event in cluster.dispatch() {
//!     if let ClusterEvent::Message(message) = event {
//!         assert_eq!(message.payload.attr("src"), Some("node1"));
//!     }
//! }
//! # Ok::<(), libcrmcommon::cluster::ClusterError>(())
//! ```
//!
//! Two implementations:
//! * [`CorosyncCluster`]: the real thing, wire-compatible with Pacemaker 2.1.5.
//! * [`LocalCluster`]: one node, no corosync, for the embedded single-node mode.
//!
//! # Protocol facts (Pacemaker 2.1.5, corosync 3.1.7)
//!
//! Read from Pacemaker's lib/cluster/cpg.c, lib/cluster/corosync.c and
//! daemons/based; the ones marked (tested) are exercised against the real
//! stack by `tests/cluster_corosync.rs`, which runs corosync and Debian's C
//! `pacemaker-based` in a private sandbox.
//!
//! * Group names (tested): Pacemaker joins `cib`, `crmd`, `attrd`,
//!   `stonith-ng` with the name length counting the terminating NUL.
//!   Corosync compares length and bytes, so the 3-byte "cib" is a different
//!   group from C's 4-byte "cib\0": joined without the NUL we never see based
//!   (tried). rust-corosync copies `str::len()` bytes, so we pass "cib\0".
//! * Framing (tested): one `cpg_mcast_joined(CPG_TYPE_AGREED)` per message: a
//!   592-byte packed header plus the payload ([`wire`] has the layout). Class
//!   0 (`crm_class_cluster`), libqb error field 1 (`CS_OK`), libqb size field
//!   = total length. The sender leaves its node id 0 and fills pid, type (its
//!   daemon's `crm_ais_msg_types` value, or its pid if it is no daemon) and
//!   node name; receivers take the node id from CPG. based's messages carry
//!   sender and destination type 3 (`cib`).
//! * Payload (tested): unformatted XML plus one NUL. From 128 KiB
//!   (`CRM_BZ2_THRESHOLD`, NUL included) it is bzip2-compressed (block size
//!   4), NUL included; `size` stays the uncompressed length and
//!   `compressed_size` is the length on the wire. A 190 KB request forwarded
//!   by based arrived compressed and decoded to the XML cibadmin sent.
//! * Size: libcpg fragments messages above its atomic size and reassembles
//!   them; 20 MiB of incompressible text went through one send in a trial.
//!   This layer refuses payloads above
//!   [`wire::MAX_UNCOMPRESSED_PAYLOAD`] (256 MiB) in both directions.
//! * Addressing (tested): CPG delivers every message to every member, the
//!   sender included. An addressed message carries the destination's node id
//!   and/or name; receivers drop it unless the id is 0 or theirs and the name
//!   is empty or theirs ignoring case.
//! * On delivery every C daemon sets the attribute `src` (`F_ORIG`) of the
//!   parsed XML to the sender's node name; this layer does it for all.
//! * CIB writes (tested): based forwards each client write as the client's
//!   request, e.g. `<cib_command __name__="cib_command" t="cib"
//!   cib_op="cib_modify" cib_section=.. cib_callid=.. cib_callopt=..
//!   cib_clientid=.. cib_clientname="cibadmin" acl_target="root"
//!   cib_user="root" src=NODE cib_delegated_from=NODE><cib_calldata>...`,
//!   broadcast to group `cib`.
//! * Peer query (tested): `<cib_command t="cib" cib_op="cib_query"
//!   cib_host=NODE cib_section=.. cib_callid=.. cib_callopt="0"
//!   cib_clientid=.. cib_clientname=../>` addressed to NODE is answered with
//!   `<cib-reply t="cib" cib_op="cib_query" cib_callid=.. cib_clientid=..
//!   cib_callopt=.. cib_rc="0" cib_isreplyto=OUR_NODE><cib_calldata>SECTION
//!   </cib_calldata></cib-reply>`, addressed to the requesting node.
//! * Ping (tested): a broadcast `cib_op="ping"` with `cib_ping_id` is answered
//!   the same way; the calldata is `<ping_response crm_feature_set="3.16.1"
//!   digest=.. cib_ping_id=..><cib_calldata><cib ...version attributes.../>`,
//!   and the digest equals `cibadmin --md5-sum-versioned` of the CIB.
//! * Node names (tested for the local node): cmap `nodelist.node.<i>.name`
//!   for the entry whose `.nodeid` matches, else its `ring0_addr` unless
//!   that is an IP address, else (local node only) `uname -n`.
//! * Membership (tested): CPG confchg lists processes (node id, pid); a
//!   process stopping normally leaves with reason "leave". C treats its own
//!   (node id, pid) missing from the list as eviction.
//! * Quorum (tested): `quorum_initialize` must report a provider
//!   (`QUORUM_SET`); after `quorum_trackstart` the first notification carries
//!   the current view (quorate, ring sequence, node ids). C skips empty views
//!   until the first real one, and so does this layer.
//! * Access (tested through based): a process running as hacluster gets
//!   `CS_ERR_ACCESS` from every corosync service until root sets cmap
//!   `uidgid.gid.<haclient gid>` = 1 ([`authorize_group`]), as pacemakerd
//!   does. Pacemaker also insists that corosync itself runs as root; so do we.
//! * rust-corosync 3.2.0 quirks: callbacks are plain `fn`s (routed through a
//!   thread-local inbox keyed by a context set with `context_set`, because
//!   the `context` argument of its `initialize` stores a stack address);
//!   `TrackFlags` cannot be combined, but corosync sends the current quorum
//!   view for `CS_TRACK_CHANGES` alone.

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

/// Longest group name. Corosync's names hold 128 bytes and Pacemaker counts
/// the NUL in them, which would leave 127; rust-corosync accepts at most 127
/// bytes including that NUL, so 126.
pub const MAX_GROUP_NAME: usize = 126;

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
