//! Bridge from rust-corosync's plain-`fn` callbacks to per-connection state.
//!
//! rust-corosync calls back with only the library handle, from inside
//! `cpg::dispatch` / `quorum::dispatch` on the calling thread. Each
//! [`CorosyncCluster`](super::CorosyncCluster) gets a numeric context (set
//! with `context_set`; the `context` argument of rust-corosync 3.2.0's
//! `initialize` stores the address of a temporary, not the value), and the
//! callbacks file raw events into a thread-local inbox under that context.
//! Nothing here may call back into rust-corosync functions that take its
//! handle-table lock (initialize/finalize): the callbacks run while it is held.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_corosync::cpg;
use rust_corosync::quorum;
use rust_corosync::NodeId;

use crate::cluster::types::ChangeReason;

/// A CPG address as delivered: node, pid, reason.
#[derive(Debug, Clone)]
pub(super) struct RawAddress {
    pub node_id: u32,
    pub pid: u32,
    pub reason: ChangeReason,
}

/// What a callback saw, in delivery order.
#[derive(Debug)]
pub(super) enum RawEvent {
    Delivered { group: String, node_id: u32, pid: u32, bytes: Vec<u8> },
    ConfigChange {
        group: String,
        members: Vec<RawAddress>,
        left: Vec<RawAddress>,
        joined: Vec<RawAddress>,
    },
    Quorum { quorate: bool, ring_id: u64, members: Vec<u32> },
}

thread_local! {
    static INBOX: RefCell<HashMap<u64, Vec<RawEvent>>> = RefCell::new(HashMap::new());
}

static NEXT_CONTEXT: AtomicU64 = AtomicU64::new(1);

/// A fresh context value, never 0 (0 is what a failed `context_get` yields).
pub(super) fn new_context() -> u64 {
    NEXT_CONTEXT.fetch_add(1, Ordering::Relaxed)
}

fn file(context: u64, event: RawEvent) {
    if context == 0 {
        tracing::warn!("corosync callback for a connection without context; dropped");
        return;
    }
    INBOX.with(|inbox| inbox.borrow_mut().entry(context).or_default().push(event));
}

/// Take everything filed for `context` so far.
pub(super) fn take(context: u64) -> Vec<RawEvent> {
    INBOX.with(|inbox| inbox.borrow_mut().remove(&context).unwrap_or_default())
}

/// Forget anything filed for `context` (when its connection is dropped).
pub(super) fn discard(context: u64) {
    INBOX.with(|inbox| {
        inbox.borrow_mut().remove(&context);
    });
}

fn reason(reason: &cpg::Reason) -> ChangeReason {
    match reason {
        cpg::Reason::Join => ChangeReason::Join,
        cpg::Reason::Leave => ChangeReason::Leave,
        cpg::Reason::NodeDown => ChangeReason::NodeDown,
        cpg::Reason::NodeUp => ChangeReason::NodeUp,
        cpg::Reason::ProcDown => ChangeReason::ProcessDown,
        _ => ChangeReason::Unknown,
    }
}

fn addresses(list: &[cpg::Address]) -> Vec<RawAddress> {
    list.iter()
        .map(|a| RawAddress { node_id: u32::from(a.nodeid), pid: a.pid, reason: reason(&a.reason) })
        .collect()
}

pub(super) fn on_cpg_deliver(
    handle: &cpg::Handle,
    group: String,
    node_id: NodeId,
    pid: u32,
    msg: &[u8],
    _msg_len: usize,
) {
    let context = cpg::context_get(handle).unwrap_or(0);
    file(
        context,
        RawEvent::Delivered { group, node_id: u32::from(node_id), pid, bytes: msg.to_vec() },
    );
}

pub(super) fn on_cpg_confchg(
    handle: &cpg::Handle,
    group: &str,
    members: Vec<cpg::Address>,
    left: Vec<cpg::Address>,
    joined: Vec<cpg::Address>,
) {
    let context = cpg::context_get(handle).unwrap_or(0);
    file(
        context,
        RawEvent::ConfigChange {
            group: group.to_string(),
            members: addresses(&members),
            left: addresses(&left),
            joined: addresses(&joined),
        },
    );
}

pub(super) fn on_quorum_notification(
    handle: &quorum::Handle,
    quorate: bool,
    ring_id: quorum::RingId,
    members: Vec<NodeId>,
) {
    let context = quorum::context_get(handle).unwrap_or(0);
    file(
        context,
        RawEvent::Quorum {
            quorate,
            ring_id: ring_id.seq,
            members: members.into_iter().map(u32::from).collect(),
        },
    );
}
