//! Live migrations in the resource history (Pacemaker's
//! unpack_migrate_to_success, unpack_migrate_to_failure and
//! unpack_migrate_from_failure): a migration is recorded by a migrate_to on
//! the source and a migrate_from on the target, so what one entry means
//! depends on the other node's history. A migration may be partial
//! (migrate_to done, migrate_from not yet: active on both nodes, and it
//! may continue), dangling (both done, no stop on the source yet) or
//! failed (active wherever it may still be, restarted rather than
//! migrated).

use libcrmcommon::xml::Element;

use crate::model::{NodeIdx, Role, WorkingSet};

// lrm_rsc_op attributes read here.
const ATTR_TASK: &str = "operation";
const ATTR_CALL_ID: &str = "call-id";
const ATTR_RC: &str = "rc-code";
const ATTR_OP_STATUS: &str = "op-status";
const ATTR_ON_NODE: &str = "on_node";
const ATTR_LAST_RC_CHANGE: &str = "last-rc-change";
const ATTR_MAGIC: &str = "transition-magic";
const ATTR_MIGRATE_SOURCE: &str = "migrate_source";
const ATTR_MIGRATE_TARGET: &str = "migrate_target";

const MIGRATE_TO: &str = "migrate_to";
const MIGRATE_FROM: &str = "migrate_from";

const OCF_OK: i32 = 0;
const OCF_NOT_RUNNING: i32 = 7;
const EXEC_PENDING: i32 = -1;
const EXEC_DONE: i32 = 0;

/// What a migration entry tells beyond the role on its own node; applied
/// to the resource once its history on that node is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MigrationEffect {
    /// The resource may (still) be active on this other node of the
    /// migration; `failed` as for a failed operation (priority fencing).
    ActiveOn { node: NodeIdx, failed: bool },
    /// The migration stopped halfway and may continue.
    Partial { source: NodeIdx, target: NodeIdx },
    /// The migration is over but the source still needs a stop.
    Dangling(NodeIdx),
    /// The migration failed: recover by a full restart, not a migration.
    ForceRestart,
    /// The migration may have reached this target: stop it there.
    StopOn(NodeIdx),
}

/// The status section, for looking up another node's history of a resource.
#[derive(Clone, Copy)]
pub(super) struct StatusHistory<'s> {
    status: &'s Element,
}

impl<'s> StatusHistory<'s> {
    pub(super) fn new(status: &'s Element) -> Self {
        StatusHistory { status }
    }

    /// The resource's lrm_resource entry on the named node.
    fn lrm_resource(&self, rsc_id: &str, node_name: &str) -> Option<&'s Element> {
        let state = self
            .status
            .elements()
            .find(|e| e.name == "node_state" && e.attr("uname") == Some(node_name))?;
        let resources = state.child("lrm")?.child("lrm_resources")?;
        resources
            .elements()
            .find(|e| e.name == "lrm_resource" && e.id() == Some(rsc_id))
    }

    fn ops(&self, rsc_id: &str, node_name: &str) -> impl Iterator<Item = &'s Element> {
        self.lrm_resource(rsc_id, node_name)
            .into_iter()
            .flat_map(|r| r.elements().filter(|e| e.name == "lrm_rsc_op"))
    }

    /// The first entry of a task on the node (Pacemaker's find_lrm_op): a
    /// migrate_to towards `peer`, or a migrate_from from `peer`; with
    /// `expected_rc`, only if it completed with that result.
    fn first_op(
        &self,
        rsc_id: &str,
        task: &str,
        node_name: &str,
        peer: Option<&str>,
        expected_rc: Option<i32>,
    ) -> Option<&'s Element> {
        let peer_attr = match task {
            MIGRATE_TO => Some(ATTR_MIGRATE_TARGET),
            MIGRATE_FROM => Some(ATTR_MIGRATE_SOURCE),
            _ => None,
        };
        let op = self.ops(rsc_id, node_name).find(|op| {
            op.attr(ATTR_TASK) == Some(task)
                && match (peer, peer_attr) {
                    (Some(p), Some(attr)) => op.attr(attr) == Some(p),
                    _ => true,
                }
        })?;
        match expected_rc {
            Some(rc) if int_attr(op, ATTR_RC, -1) != rc || int_attr(op, ATTR_OP_STATUS, -2) != EXEC_DONE => None,
            _ => Some(op),
        }
    }

    /// No operation of the resource is recorded on the node: it will be
    /// probed there.
    fn unknown_on(&self, rsc_id: &str, node_name: &str) -> bool {
        self.ops(rsc_id, node_name).next().is_none()
    }

    /// A start, stop or migration on the node came after `event`.
    fn non_monitor_after(&self, rsc_id: &str, node_name: &str, event: &Element, same_node: bool) -> bool {
        self.ops(rsc_id, node_name).any(|op| {
            !std::ptr::eq(op, event)
                && matches!(op.attr(ATTR_TASK), Some("start" | "stop" | MIGRATE_TO | MIGRATE_FROM))
                && newer_op(op, event, same_node) > 0
        })
    }

    /// A monitor found the resource stopped on the node after `event`.
    fn monitor_not_running_after(&self, rsc_id: &str, node_name: &str, event: &Element, same_node: bool) -> bool {
        self.first_op(rsc_id, "monitor", node_name, None, Some(OCF_NOT_RUNNING))
            .is_some_and(|monitor| newer_op(monitor, event, same_node) > 0)
    }

    /// The node's history of the resource moved on after the migration
    /// (compared with the migration entry on that node when there is one).
    fn newer_state_after_migrate(
        &self,
        rsc_id: &str,
        node_name: &str,
        migrate_to: Option<&Element>,
        migrate_from: Option<&Element>,
    ) -> bool {
        let Some(any) = migrate_from.or(migrate_to) else { return false };
        let (event, same_node) = if any.attr(ATTR_MIGRATE_TARGET).is_some_and(|t| t.eq_ignore_ascii_case(node_name)) {
            match migrate_from {
                Some(from) => (from, true),
                None => (any, false),
            }
        } else if any.attr(ATTR_MIGRATE_SOURCE).is_some_and(|s| s.eq_ignore_ascii_case(node_name)) {
            match migrate_to {
                Some(to) => (to, true),
                None => (any, false),
            }
        } else {
            (any, false)
        };
        self.non_monitor_after(rsc_id, node_name, event, same_node)
            || self.monitor_not_running_after(rsc_id, node_name, event, same_node)
    }
}

fn int_attr(e: &Element, name: &str, default: i32) -> i32 {
    e.attr(name).and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

fn node_named(ws: &WorkingSet, name: &str) -> Option<NodeIdx> {
    ws.nodes.iter().position(|n| n.uname.eq_ignore_ascii_case(name))
}

/// The migration's source and target, when the entry names them and the
/// source is this entry's node.
fn endpoints<'e>(op: &'e Element, expected_node: &str, on: &str) -> Option<(&'e str, &'e str)> {
    let source = op.attr(ATTR_MIGRATE_SOURCE)?;
    let target = op.attr(ATTR_MIGRATE_TARGET)?;
    let own = if on == ATTR_MIGRATE_SOURCE { source } else { target };
    (own == expected_node).then_some((source, target))
}

/// A migrate_to that succeeded on `node` (the source).
pub(super) fn migrate_to_succeeded(
    ws: &WorkingSet,
    history: StatusHistory,
    rsc_id: &str,
    node: NodeIdx,
    op: &Element,
    role: &mut Role,
    effects: &mut Vec<MigrationEffect>,
) {
    let Some((source, target)) = endpoints(op, &ws.nodes[node].uname, ATTR_MIGRATE_SOURCE) else { return };
    // A later start, stop or migration here may make this migrate_to
    // irrelevant for the source; for the target, what counts is whether
    // the migrate_from happened and anything since.
    let source_moved_on = history.non_monitor_after(rsc_id, source, op, true);
    let migrate_from = history.first_op(rsc_id, MIGRATE_FROM, target, Some(source), None);
    if source_moved_on && migrate_from.is_some() {
        return;
    }
    let target_moved_on = history.newer_state_after_migrate(rsc_id, target, Some(op), migrate_from);
    if source_moved_on && target_moved_on {
        return;
    }
    // (Clones don't migrate: no promoted role to consider.)
    *role = Role::Started;
    let target_node = node_named(ws, target);
    let source_node = node_named(ws, source);
    let target_up = target_node.filter(|&t| ws.nodes[t].online);
    match migrate_from.map(|f| (int_attr(f, ATTR_RC, 0), int_attr(f, ATTR_OP_STATUS, 0))) {
        Some((OCF_OK, EXEC_DONE)) => {
            // Both halves done: only the stop on the source is missing.
            *role = Role::Stopped;
            effects.push(MigrationEffect::Dangling(node));
        }
        Some((_, status)) if status != EXEC_PENDING => {
            // The migrate_from failed: active on both until stopped.
            match target_up {
                Some(t) if !target_moved_on => effects.push(MigrationEffect::ActiveOn { node: t, failed: true }),
                _ => effects.push(MigrationEffect::ForceRestart),
            }
        }
        _ => match target_up {
            // migrate_from pending or not recorded: the migration is partial.
            Some(t) if !target_moved_on => {
                effects.push(MigrationEffect::ActiveOn { node: t, failed: false });
                if let Some(s) = source_node.filter(|&s| ws.nodes[s].online) {
                    effects.push(MigrationEffect::Partial { source: s, target: t });
                }
            }
            _ if !source_moved_on => effects.push(MigrationEffect::ForceRestart),
            _ => {}
        },
    }
}

/// A migrate_to still in progress on a node that was lost: it may have
/// started the resource on the target already.
pub(super) fn migrate_to_pending_on_lost_node(ws: &WorkingSet, op: &Element, effects: &mut Vec<MigrationEffect>) {
    if let Some(target) = op.attr(ATTR_MIGRATE_TARGET).and_then(|t| node_named(ws, t)) {
        effects.push(MigrationEffect::StopOn(target));
    }
}

/// A migrate_to that failed on `node` (the source).
pub(super) fn migrate_to_failed(
    ws: &WorkingSet,
    history: StatusHistory,
    rsc_id: &str,
    node: NodeIdx,
    op: &Element,
    role: &mut Role,
    effects: &mut Vec<MigrationEffect>,
) {
    let Some((source, target)) = endpoints(op, &ws.nodes[node].uname, ATTR_MIGRATE_SOURCE) else { return };
    // A failed migration leaves the resource possibly active.
    *role = Role::Started;
    let migrate_from = history.first_op(rsc_id, MIGRATE_FROM, target, Some(source), Some(OCF_OK));
    // Where the resource's state is unknown, a probe will tell.
    if !history.unknown_on(rsc_id, target)
        && !history.newer_state_after_migrate(rsc_id, target, Some(op), migrate_from)
    {
        if let Some(t) = node_named(ws, target).filter(|&t| ws.nodes[t].online) {
            effects.push(MigrationEffect::ActiveOn { node: t, failed: false });
        }
    } else if !history.non_monitor_after(rsc_id, source, op, true) {
        // The target moved on, but the source still needs a stop.
        effects.push(MigrationEffect::Dangling(node));
    }
}

/// A migrate_from that failed on `node` (the target).
pub(super) fn migrate_from_failed(
    ws: &WorkingSet,
    history: StatusHistory,
    rsc_id: &str,
    node: NodeIdx,
    op: &Element,
    role: &mut Role,
    effects: &mut Vec<MigrationEffect>,
) {
    let Some((source, target)) = endpoints(op, &ws.nodes[node].uname, ATTR_MIGRATE_TARGET) else { return };
    *role = Role::Started;
    let migrate_to = history.first_op(rsc_id, MIGRATE_TO, source, Some(target), Some(OCF_OK));
    if !history.unknown_on(rsc_id, source)
        && !history.newer_state_after_migrate(rsc_id, source, migrate_to, Some(op))
    {
        if let Some(s) = node_named(ws, source).filter(|&s| ws.nodes[s].online) {
            effects.push(MigrationEffect::ActiveOn { node: s, failed: true });
        }
    }
}

/// Pacemaker's pe__is_newer_op: positive when `a` happened after `b`, by
/// call id on the same node, else by last-rc-change; a pending entry is
/// placed by the transition that scheduled it.
fn newer_op(a: &Element, b: &Element, same_node_default: bool) -> i32 {
    let same_node = match (a.attr(ATTR_ON_NODE), b.attr(ATTR_ON_NODE)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => same_node_default,
    };
    if same_node && a.id().is_some() && a.id() == b.id() {
        return 0;
    }
    let a_call = int_attr(a, ATTR_CALL_ID, -1);
    let b_call = int_attr(b, ATTR_CALL_ID, -1);
    if a_call == -1 && b_call == -1 {
        return 0;
    }
    if same_node && a_call >= 0 && a_call < b_call {
        return -1;
    }
    if same_node && b_call >= 0 && a_call > b_call {
        return 1;
    }
    if a_call >= 0 && b_call >= 0 && (!same_node || a_call == b_call) {
        let changed = |e: &Element| e.attr(ATTR_LAST_RC_CHANGE).and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(-1);
        let (last_a, last_b) = (changed(a), changed(b));
        return if last_a >= 0 && last_a < last_b {
            -1
        } else if last_b >= 0 && last_a > last_b {
            1
        } else {
            0
        };
    }
    let (Some((a_uuid, a_id)), Some((b_uuid, b_id))) = (magic_transition(a), magic_transition(b)) else {
        return 0;
    };
    if !a_uuid.eq_ignore_ascii_case(b_uuid) || a_id == b_id {
        if b_call == -1 {
            -1
        } else if a_call == -1 {
            1
        } else {
            0
        }
    } else if (a_id >= 0 && a_id < b_id) || b_id == -1 {
        -1
    } else if (b_id >= 0 && a_id > b_id) || a_id == -1 {
        1
    } else {
        0
    }
}

/// The scheduler's id and the transition number in an entry's
/// transition-magic ("status:rc;action:transition:target-rc:uuid").
fn magic_transition(e: &Element) -> Option<(&str, i32)> {
    let (_, key) = e.attr(ATTR_MAGIC)?.split_once(';')?;
    let mut fields = key.splitn(4, ':');
    let _action = fields.next()?;
    let transition = fields.next()?.parse().ok()?;
    let _target_rc = fields.next()?;
    Some((fields.next()?, transition))
}
