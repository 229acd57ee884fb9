//! Shutdown locks (the shutdown-lock cluster option): a resource cleanly
//! stopped because its node shut down stays with that node, stopped, until
//! the node returns or the lock expires (shutdown-lock-limit), instead of
//! being recovered elsewhere.

use super::actions::Builder;
use crate::model::{NodeIdx, RscIdx, Variant, WorkingSet};
use crate::score::INFINITY;

/// The task deleting a resource's history on a node from the CIB.
pub const CLEAR_HISTORY_TASK: &str = "lrm_delete";

/// Locks resources to the nodes shutting down under them, and bans each
/// locked resource from every other node (Pacemaker's apply_shutdown_locks).
pub fn apply_shutdown_locks(ws: &mut WorkingSet) {
    if !ws.options.shutdown_lock {
        return;
    }
    for r in ws.top_level.clone() {
        match ws.resources[r].variant {
            Variant::Primitive => lock_primitive(ws, r),
            Variant::Group => {
                for member in ws.resources[r].children.clone() {
                    lock_primitive(ws, member);
                }
            }
            // Clones are never locked.
            Variant::Clone | Variant::Bundle => {}
        }
    }
}

fn lock_primitive(ws: &mut WorkingSet, r: RscIdx) {
    let res = &ws.resources[r];
    if res.class.is_empty() || res.is_stonith || res.is_remote_connection {
        return;
    }
    if let Some(lock_node) = res.lock_node {
        // Locked by history but active (elsewhere) after all: leave it be,
        // and forget the lock.
        if !res.running_on.is_empty() {
            let res = &mut ws.resources[r];
            res.history_to_clear.push(lock_node);
            res.lock_node = None;
            res.lock_time = 0;
        }
    } else if let [node] = res.running_on[..] {
        let n = &ws.nodes[node];
        if n.shutdown && !n.unclean {
            let lock_time = shutdown_time(ws, node);
            let res = &mut ws.resources[r];
            res.lock_node = Some(node);
            res.lock_time = lock_time;
        }
    }
    let Some(lock_node) = ws.resources[r].lock_node else {
        return;
    };
    let limit = ws.options.shutdown_lock_limit_s;
    if limit > 0 {
        // Once the lock has expired, the resource may be recovered.
        ws.update_recheck_time(ws.resources[r].lock_time + limit + 1);
    }
    for n in (0..ws.nodes.len()).filter(|&n| n != lock_node) {
        ws.resources[r].allowed.insert(n, -INFINITY);
    }
}

/// When the node asked to shut down (its "shutdown" attribute), else now.
fn shutdown_time(ws: &WorkingSet, node: NodeIdx) -> i64 {
    ws.nodes[node]
        .attrs
        .get("shutdown")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&t| t != 0)
        .unwrap_or(ws.now)
}

/// Whether an action keeps its resource locked to the action's node: any
/// action there, except that on a node shutting down only the stop does
/// (the graph marks such actions with the lock's start).
pub fn locks_resource(ws: &WorkingSet, rsc: RscIdx, task: &str, node: Option<NodeIdx>) -> bool {
    let res = &ws.resources[rsc];
    match (res.lock_node, node) {
        (Some(lock), Some(n)) if lock == n => !ws.nodes[n].shutdown || task == "stop",
        _ => false,
    }
}

impl Builder<'_> {
    /// Deletes from the CIB the history of resources whose shutdown lock
    /// expired or was given up. The controller does it itself, so this
    /// happens even on nodes that are down.
    pub fn clear_unlocked_histories(&mut self) {
        for r in 0..self.ws.resources.len() {
            for node in self.ws.resources[r].history_to_clear.clone() {
                let clear = self.resource_action(r, CLEAR_HISTORY_TASK, Some(node), false);
                self.plan.actions[clear].runnable = true;
            }
        }
    }
}
