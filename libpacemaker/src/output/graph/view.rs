//! How the graph sees one planned action: its element, task, keys, node and
//! priority. Every read of `Action` fields by the graph writer goes through
//! here, so the plan can grow (probes, recurring monitors, notifications)
//! without touching the rest of the writer.

use crate::model::{Variant, WorkingSet};
use crate::sched::actions::Action;
use crate::score::INFINITY;

/// The element an action becomes in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Executed by a node's executor (`<rsc_op>`).
    ResourceOp,
    /// Bookkeeping only (`<pseudo_event>`): collective actions, implied stops.
    Pseudo,
    /// Executed by the controller (`<crm_event>`): fencing, shutdown.
    ControllerEvent,
}

pub(super) const FENCE_TASK: &str = "stonith";
pub(super) const SHUTDOWN_TASK: &str = crate::sched::shutdown::SHUTDOWN_TASK;
pub(super) const CLEAR_FAILCOUNT_TASK: &str = "clear_failcount";
pub(super) const CLEAR_HISTORY_TASK: &str = crate::sched::shutdown_lock::CLEAR_HISTORY_TASK;
pub(super) const REPROBE_TASK: &str = crate::sched::probes::REPROBE_TASK;

pub(super) fn kind(a: &Action) -> Kind {
    if a.task == FENCE_TASK {
        return if a.pseudo { Kind::Pseudo } else { Kind::ControllerEvent };
    }
    if a.task == SHUTDOWN_TASK || a.task == CLEAR_FAILCOUNT_TASK || a.task == CLEAR_HISTORY_TASK {
        return Kind::ControllerEvent;
    }
    if a.pseudo {
        Kind::Pseudo
    } else {
        Kind::ResourceOp
    }
}

pub(super) fn element_name(a: &Action) -> &'static str {
    match kind(a) {
        Kind::ResourceOp => "rsc_op",
        Kind::Pseudo => "pseudo_event",
        Kind::ControllerEvent => "crm_event",
    }
}

/// The operation's interval in milliseconds (0 for one-shot operations; for
/// a cancellation, the interval of the operation it cancels).
pub(super) fn interval_ms(a: &Action) -> u64 {
    a.interval_ms
}

/// The task the operation key is built from: for a cancellation, the task
/// of the operation being cancelled.
fn key_task(a: &Action) -> &str {
    a.cancel_task.as_deref().unwrap_or(&a.task)
}

/// The fencing action (reboot, off, on) of a fencing event.
pub(super) fn fence_action(a: &Action) -> &str {
    a.fence_action.as_deref().unwrap_or("reboot")
}

/// The key the executor knows the action by ("rsc_start_0",
/// "stonith-node1-reboot", ...): for an anonymous clone instance known by
/// another name in its history, built from that name (the plan's key).
pub(super) fn operation_key(ws: &WorkingSet, a: &Action) -> String {
    if let Some(key) = renamed_notification_key(ws, a) {
        return key;
    }
    match a.rsc {
        Some(r) if !a.op_key.is_empty() => {
            // The plan's key may use another name; keep only what follows it.
            let res = &ws.resources[r];
            let planned = res.clone_name.as_deref().unwrap_or(&res.id);
            match a.op_key.strip_prefix(planned) {
                Some(rest) => {
                    let name = clone_name(ws, a).unwrap_or_else(|| res.id.clone());
                    format!("{name}{rest}")
                }
                None => a.op_key.clone(),
            }
        }
        Some(r) => {
            let name = clone_name(ws, a).unwrap_or_else(|| ws.resources[r].id.clone());
            op_key(&name, key_task(a), interval_ms(a))
        }
        None => match (a.task.as_str(), a.node) {
            (FENCE_TASK, Some(n)) => {
                format!("stonith-{}-{}", ws.nodes[n].uname, fence_action(a))
            }
            (SHUTDOWN_TASK | REPROBE_TASK, Some(n)) => format!("{}-{}", a.task, ws.nodes[n].uname),
            _ => a.task.clone(),
        },
    }
}

/// A clone instance's notification known by a clone name is keyed by the
/// notification it belongs to (its type and operation) rather than by its
/// own key, which may name another task (the notifications after fencing
/// are "rsc:0_post_notify_stonith_0"); its confirmation, by the bare task.
fn renamed_notification_key(ws: &WorkingSet, a: &Action) -> Option<String> {
    if a.task != "notify" && a.task != "notified" {
        return None;
    }
    let r = a.rsc?;
    if ws.resources[r].variant != Variant::Primitive {
        return None;
    }
    let name = clone_name(ws, a)?;
    let meta = |wanted: &str| a.added_meta.iter().find(|(n, _)| n == wanted).map(|(_, v)| v.as_str());
    if a.task == "notified" {
        return Some(op_key(&name, "notified", 0));
    }
    Some(format!("{name}_{}_notify_{}_0", meta("notify_type")?, meta("notify_operation")?))
}

pub(super) fn op_key(rsc_id: &str, task: &str, interval_ms: u64) -> String {
    format!("{rsc_id}_{task}_{interval_ms}")
}

/// The name the resource's history knows it by, when that differs from its
/// id (an anonymous clone instance recorded without, or with another,
/// instance number). Pacemaker calls it the clone name.
pub(super) fn clone_name(ws: &WorkingSet, a: &Action) -> Option<String> {
    let r = a.rsc?;
    let res = &ws.resources[r];
    res.clone_name
        .as_ref()
        .filter(|name| **name != res.id)
        .cloned()
}

/// The scheduler's own key for an action of a resource with a clone name
/// (built from the resource id), shown as internal_operation_key.
pub(super) fn internal_key(ws: &WorkingSet, a: &Action) -> Option<String> {
    let name = clone_name(ws, a)?;
    if renamed_notification_key(ws, a).is_some() {
        // The plan's own key, with the resource's id for the name it used.
        let res = &ws.resources[a.rsc?];
        let planned = res.clone_name.as_deref().unwrap_or(&res.id);
        let rest = a.op_key.strip_prefix(planned).unwrap_or(&a.op_key);
        return Some(format!("{}{rest}", res.id));
    }
    let id = &ws.resources[a.rsc?].id;
    let key = operation_key(ws, a);
    let rest = key.strip_prefix(name.as_str())?;
    Some(format!("{id}{rest}"))
}

/// A synapse's priority: the resource's, raised for actions that complete a
/// clone's state change (so the controller processes them first).
pub(super) fn priority(ws: &WorkingSet, a: &Action) -> i32 {
    let Some(r) = a.rsc else { return 0 };
    let res = &ws.resources[r];
    let mut priority = res.priority;
    let completes_clone_change = matches!(res.variant, Variant::Clone | Variant::Bundle)
        && matches!(a.task.as_str(), "running" | "stopped" | "promoted" | "demoted");
    // Notifications after the fact (and their confirmation) go first too.
    let post_notification = a.op_key.contains("post_notify_");
    if completes_clone_change || post_notification {
        priority = priority.max(INFINITY);
    }
    priority
}

/// Meta-attributes the scheduler attached to the action itself (expected
/// result of a probe, notification keys ...), without the CRM_meta_ prefix.
pub(super) fn scheduler_meta(a: &Action) -> Vec<(String, String)> {
    let mut meta = Vec::new();
    if a.task == FENCE_TASK {
        meta.push(("stonith_action".to_string(), fence_action(a).to_string()));
    }
    if let Some(rc) = a.target_rc {
        meta.push(("op_target_rc".to_string(), rc.to_string()));
    }
    if let Some(task) = &a.cancel_task {
        meta.push(("operation".to_string(), task.clone()));
    }
    if a.task == SHUTDOWN_TASK {
        meta.push(("op_no_wait".to_string(), "true".to_string()));
    }
    meta.extend(a.added_meta.iter().cloned());
    meta
}
