//! Resource history (lrm_rsc_op entries): where each resource is active, in
//! which role, what failed, and fail counts.

use std::collections::HashMap;

use libcrmcommon::xml::Element;

use super::migration::{MigrationEffect, StatusHistory};
use super::nodes::fence_node;
use super::resources::{parse_interval_ms, strip_instance};
use super::anonymous::{self, InstancePrototypes};
use super::rsc_lookup::ResourceLookup;
use crate::model::{ActiveRecurring, FailedOp, NodeIdx, OnFail, RecordedOp, Resource, Role, RscIdx, Variant, WorkingSet};
use crate::score::INFINITY;

// OCF exit codes used below.
/// The node an lrm_rsc_op ran on, as recorded in the entry itself.
const ATTR_ON_NODE: &str = "on_node";
const OCF_OK: i32 = 0;
const OCF_INVALID_PARAM: i32 = 2;
const OCF_UNIMPLEMENTED: i32 = 3;
const OCF_INSUFFICIENT_PRIV: i32 = 4;
const OCF_NOT_INSTALLED: i32 = 5;
const OCF_NOT_CONFIGURED: i32 = 6;
const OCF_NOT_RUNNING: i32 = 7;
const OCF_RUNNING_PROMOTED: i32 = 8;
const OCF_FAILED_PROMOTED: i32 = 9;
const OCF_DEGRADED: i32 = 190;
const OCF_DEGRADED_PROMOTED: i32 = 191;

/// The restart digest Pacemaker gives a recurring operation whose failure expired, which
/// no computed digest matches.
const FAILURE_TIMEOUT_DIGEST: &str = "calculated-failure-timeout";

// Executor statuses.
const EXEC_PENDING: i32 = -1;
const EXEC_DONE: i32 = 0;
const EXEC_CANCELLED: i32 = 1;
const EXEC_ERROR: i32 = 4;
const EXEC_ERROR_HARD: i32 = 5;
const EXEC_ERROR_FATAL: i32 = 6;
const EXEC_NOT_INSTALLED: i32 = 7;
const EXEC_NO_FENCE_DEVICE: i32 = 9;
const EXEC_NO_SECRETS: i32 = 10;

pub(super) fn unpack_history(ws: &mut WorkingSet, status: &Element) {
    let mut lookup = ResourceLookup::default();
    let mut ctx = HistoryContext { prototypes: InstancePrototypes::snapshot(ws), agent_changed: Vec::new() };
    // A remote node's history is read once its connection is known to be
    // up, which takes the history of the node running the connection: read
    // in passes until one reads nothing new.
    while unpack_history_pass(ws, &mut lookup, &mut ctx, status, false) {}
    // Then the rest, which matters only where what is believed active on an
    // unseen node can be fenced.
    if ws.options.stonith_enabled {
        unpack_history_pass(ws, &mut lookup, &mut ctx, status, true);
    }
    super::remote::finish_remote_nodes(ws);
    note_agent_changes(ws, &ctx.agent_changed);
    compute_failcounts(ws);
    for r in 0..ws.resources.len() {
        if ws.resources[r].variant == Variant::Primitive {
            apply_target_role(ws, r);
            // A started instance of a promotable clone is unpromoted.
            if ws.resources[r].role == Role::Started && ws.is_promotable_member(r) {
                ws.resources[r].role = Role::Unpromoted;
                ws.resources[r].started_before_roles = true;
            }
        }
    }
}

/// What reading history gathers besides the working set.
struct HistoryContext {
    prototypes: InstancePrototypes,
    /// History entries (resource name, node) that recorded another agent
    /// than the one configured.
    agent_changed: Vec<(String, NodeIdx)>,
}

/// Notes where each resource's agent changed. Like Pacemaker, which checks
/// this when scheduling, an entry concerns the configured resources its name
/// matches by id or by the name history knows them by, once all history is
/// read (an orphan instance's entry concerns no configured instance).
fn note_agent_changes(ws: &mut WorkingSet, entries: &[(String, NodeIdx)]) {
    for (name, node) in entries {
        for r in 0..ws.resources.len() {
            let res = &ws.resources[r];
            let matches = res.id == *name || res.clone_name.as_deref() == Some(name.as_str());
            if matches && !res.orphan && res.variant == Variant::Primitive && !res.agent_changed_on.contains(node) {
                ws.resources[r].agent_changed_on.push(*node);
            }
        }
    }
}

/// The history entry attribute recording when the resource was locked to
/// the node at the node's shutdown.
const SHUTDOWN_LOCK_ATTR: &str = "shutdown-lock";

/// Locks the resource to the node if its history entry records a shutdown
/// lock that has not expired; an expired lock's history is deleted.
fn unpack_shutdown_lock(ws: &mut WorkingSet, rsc: RscIdx, node: NodeIdx, entry: &Element) {
    let lock_time = entry
        .attr(SHUTDOWN_LOCK_ATTR)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    if lock_time == 0 {
        return;
    }
    let limit = ws.options.shutdown_lock_limit_s;
    let res = &mut ws.resources[rsc];
    if limit > 0 && ws.now > lock_time + limit {
        res.history_to_clear.push(node);
    } else {
        res.lock_node = Some(node);
        res.lock_time = lock_time;
    }
}

/// Operation fields we need from an lrm_rsc_op (borrowed from it).
struct Op<'a> {
    /// The entry's id (`rsc_last_failure_0`, ...).
    id: &'a str,
    task: &'a str,
    key: &'a str,
    rc: i32,
    status: i32,
    target_rc: i32,
    interval_ms: u64,
    call_id: i64,
    /// The entry's attributes, for what the definition checks need of it.
    attrs: OpAttrs<'a>,
    /// The entry itself (migrations compare it with other nodes' entries).
    xml: &'a Element,
}

/// The lrm_rsc_op attributes read, found in one pass over its attributes
/// (a large status section holds tens of thousands of entries).
#[derive(Default, Clone, Copy)]
struct OpAttrs<'a> {
    id: Option<&'a str>,
    operation: Option<&'a str>,
    operation_key: Option<&'a str>,
    interval: Option<&'a str>,
    transition_key: Option<&'a str>,
    transition_magic: Option<&'a str>,
    rc_code: Option<&'a str>,
    op_status: Option<&'a str>,
    call_id: Option<&'a str>,
    last_rc_change: Option<&'a str>,
    last_run: Option<&'a str>,
    op_digest: Option<&'a str>,
    op_restart_digest: Option<&'a str>,
    op_force_restart: Option<&'a str>,
    op_secure_digest: Option<&'a str>,
    op_secure_params: Option<&'a str>,
    crm_feature_set: Option<&'a str>,
    exit_reason: Option<&'a str>,
    queue_time: Option<&'a str>,
    exec_time: Option<&'a str>,
}

impl<'a> OpAttrs<'a> {
    fn of(xml: &'a Element) -> Self {
        let mut a = OpAttrs::default();
        for (name, value) in &xml.attrs {
            // By length first: most names are then told apart without comparing
            // them to several candidates.
            let slot = match (name.len(), name) {
                (2, "id") => &mut a.id,
                (7, "rc-code") => &mut a.rc_code,
                (7, "call-id") => &mut a.call_id,
                (9, "exec-time") => &mut a.exec_time,
                (10, "queue-time") => &mut a.queue_time,
                (11, "exit-reason") => &mut a.exit_reason,
                (8, "interval") => &mut a.interval,
                (8, "last-run") => &mut a.last_run,
                (9, "operation") => &mut a.operation,
                (9, "op-status") => &mut a.op_status,
                (9, "op-digest") => &mut a.op_digest,
                (13, "operation_key") => &mut a.operation_key,
                (14, "transition-key") => &mut a.transition_key,
                (14, "last-rc-change") => &mut a.last_rc_change,
                (15, "crm_feature_set") => &mut a.crm_feature_set,
                (16, "transition-magic") => &mut a.transition_magic,
                (16, "op-force-restart") => &mut a.op_force_restart,
                (16, "op-secure-digest") => &mut a.op_secure_digest,
                (16, "op-secure-params") => &mut a.op_secure_params,
                (17, "op-restart-digest") => &mut a.op_restart_digest,
                _ => continue,
            };
            // The first of repeated names counts, as for Element::attr.
            slot.get_or_insert(value);
        }
        a
    }
}

impl<'a> Op<'a> {
    fn from_xml(xml: &'a Element) -> Option<Op<'a>> {
        let attrs = OpAttrs::of(xml);
        let task = attrs.operation?;
        let interval_ms = attrs
            .interval
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| parse_interval_ms(v))
            })
            .unwrap_or(0);
        let key = attrs.operation_key.or(attrs.id).unwrap_or("");
        let target_rc = attrs
            .transition_key
            .and_then(|k| k.split(':').nth(2))
            .and_then(|t| t.parse().ok())
            .unwrap_or(-1);
        Some(Op {
            id: attrs.id.unwrap_or_default(),
            task,
            key,
            rc: attrs.rc_code.and_then(|v| v.parse().ok()).unwrap_or(0),
            status: attrs.op_status.and_then(|v| v.parse().ok()).unwrap_or(0),
            target_rc,
            interval_ms,
            call_id: attrs.call_id.and_then(|v| v.parse().ok()).unwrap_or(0),
            attrs,
            xml,
        })
    }

    /// The entry's parameter digests, for the definition checks.
    fn recorded(&self, node: NodeIdx) -> RecordedOp {
        let owned = |v: Option<&str>| v.map(str::to_string);
        RecordedOp {
            node,
            task: self.task.to_string(),
            interval_ms: self.interval_ms,
            call_id: self.attrs.call_id.unwrap_or_default().to_string(),
            digest_all: owned(self.attrs.op_digest),
            digest_restart: owned(self.attrs.op_restart_digest),
            force_restart: owned(self.attrs.op_force_restart),
            digest_secure: owned(self.attrs.op_secure_digest),
            secure_params: owned(self.attrs.op_secure_params),
            feature_set: owned(self.attrs.crm_feature_set),
            transition_magic: owned(self.attrs.transition_magic),
        }
    }

    /// The entry as the failed actions list shows it, should it be listed there.
    fn shown(&self) -> FailedOp {
        let owned = |v: Option<&str>| v.map(str::to_string);
        FailedOp {
            node: 0,
            key: self.key.to_string(),
            has_operation_key: self.attrs.operation_key.is_some(),
            task: self.task.to_string(),
            interval_ms: self.interval_ms,
            rc: self.attrs.rc_code.and_then(|v| v.trim().parse().ok()).unwrap_or(0),
            status: self.attrs.op_status.and_then(|v| v.trim().parse().ok()).unwrap_or(0),
            call_id: owned(self.attrs.call_id),
            exit_reason: owned(self.attrs.exit_reason),
            last_rc_change: self.attrs.last_rc_change.and_then(|v| v.trim().parse().ok()),
            queue_time: owned(self.attrs.queue_time),
            exec_time: owned(self.attrs.exec_time),
        }
    }

    fn is_probe(&self) -> bool {
        self.task == "monitor" && self.interval_ms == 0
    }

    fn is_maskable_probe_failure(&self) -> bool {
        self.is_probe()
            && (self.rc == OCF_NOT_INSTALLED
                || self.rc == OCF_INVALID_PARAM
                || self.status == EXEC_NOT_INSTALLED)
    }
}

/// The outcome of replaying one resource's history on one node.
struct Replay<'s> {
    /// The node whose history this is, and every node's (for migrations).
    node: NodeIdx,
    history: StatusHistory<'s>,
    /// What migration entries tell of other nodes and of the migration.
    migration: Vec<MigrationEffect>,
    role: Role,
    next_role: Role,
    on_fail: OnFail,
    last_failure_key: Option<String>,
    failure_ignored: bool,
    start_pending: bool,
    blocked: bool,
    unmanaged: bool,
    /// Nodes to ban the resource from (-INFINITY), and whether to ban the whole
    /// anonymous clone.
    bans: Vec<(Option<NodeIdx>, bool)>,
    failed_probe_rc: Option<i32>,
    pending_task: Option<String>,
    /// The resource's failure-timeout, or 0 once a blocking failure has overridden it.
    failure_timeout_s: u64,
    /// The resource's failures here have all expired: its fail count is to be cleared.
    clear_fail_count: bool,
    /// Call ids of recurring operations whose failure expired.
    rescheduled_calls: Vec<i64>,
    /// Entries to list among the failed resource actions (Pacemaker's record_failed_op):
    /// failures, failures ignored, failed probes and degraded monitors.
    noteworthy: Vec<FailedOp>,
    /// Unexpired last failures of starts and monitors (see `Resource::failure_records`).
    failure_records: Vec<RecordedOp>,
}

fn default_on_fail(ws: &WorkingSet, rsc: &Resource, op: &Op) -> OnFail {
    let configured = rsc
        .ops
        .iter()
        .find(|d| d.name == op.task && d.interval_ms == op.interval_ms)
        .and_then(|d| d.on_fail.clone());
    let mut value = configured.map(|v| v.to_ascii_lowercase());
    // A demote without its own on-fail takes that of the promoted role's
    // recurring monitor (unless that says demote).
    if value.is_none() && op.task == "demote" {
        value = rsc
            .ops
            .iter()
            .filter(|d| d.name == "monitor" && d.role == Some(Role::Promoted) && d.enabled && d.interval_ms > 0)
            .filter_map(|d| d.on_fail.as_deref().map(str::to_ascii_lowercase))
            .find(|v| v != "demote");
    }
    // A failure inside a container restarts the container.
    if value.is_none() && rsc.container.is_some() {
        return OnFail::RestartContainer;
    }
    // A failure that drops a remote node's connection resets the node,
    // except a probe's or a start's (no connection existed yet).
    let probe_or_start = op.task == "start" || (op.task == "monitor" && op.interval_ms == 0);
    if rsc.is_remote_connection && (value.is_none() || !rsc.managed) && !probe_or_start {
        return if rsc.managed { OnFail::ResetRemote } else { OnFail::Stop };
    }
    match value.as_deref() {
        Some("ignore") => OnFail::Ignore,
        Some("block") => OnFail::Block,
        Some("stop") => OnFail::Stop,
        Some("standby") => OnFail::Standby,
        Some("fence") if ws.options.stonith_enabled => OnFail::Fence,
        Some("fence") => OnFail::Block,
        Some("demote") => OnFail::Demote,
        Some("restart") => OnFail::Recover,
        _ => {
            if op.task == "stop" {
                if ws.options.stonith_enabled {
                    OnFail::Fence
                } else {
                    OnFail::Block
                }
            } else {
                OnFail::Recover
            }
        }
    }
}

/// Pacemaker's ranking of on-fail severities (cmp_on_fail): higher wins.
fn on_fail_rank(f: OnFail) -> i32 {
    match f {
        OnFail::Ignore => 0,
        OnFail::Demote => 1,
        OnFail::Recover => 2,
        OnFail::RestartContainer => 3,
        OnFail::ResetRemote => 4,
        OnFail::Migrate => 5,
        OnFail::Block => 6,
        OnFail::Stop => 7,
        OnFail::Standby => 8,
        OnFail::Fence => 9,
    }
}

fn active_role(ws: &WorkingSet, rsc: RscIdx) -> Role {
    if ws.is_promotable_member(rsc) {
        Role::Unpromoted
    } else {
        Role::Started
    }
}

fn unpack_lrm_resource(
    ws: &mut WorkingSet,
    lookup: &mut ResourceLookup,
    ctx: &mut HistoryContext,
    history: StatusHistory,
    node: NodeIdx,
    entry: &Element,
) {
    let Some(rsc_id) = entry.id() else { return };
    let mut ops: Vec<Op> = entry
        .elements()
        .filter(|e| e.name == "lrm_rsc_op")
        .filter_map(Op::from_xml)
        .collect();
    if ops.is_empty() {
        // Without operations, an entry matters only for the lock it records.
        if ws.options.shutdown_lock {
            lookup.catch_up(ws);
            if let Some((rsc, _)) = lookup.find(ws, rsc_id) {
                unpack_shutdown_lock(ws, rsc, node, entry);
            }
        }
        return;
    }
    // Pacemaker lists the entries last first and sorts them with GLib's
    // merge sort; replay_order is not transitive around pending entries,
    // so only the same algorithm on the same list gives the same order.
    ops.reverse();
    let mut order: Vec<usize> = (0..ops.len()).collect();
    crate::sched::list_sort::sort_like_glib(&mut order, &mut |&a, &b| replay_order(&ops[a], &ops[b]));
    let mut slots: Vec<Option<Op>> = ops.into_iter().map(Some).collect();
    let ops: Vec<Op> = order.into_iter().map(|i| slots[i].take().expect("each entry once")).collect();

    lookup.catch_up(ws);
    let (template, anonymous) = match lookup.find(ws, rsc_id) {
        Some(found) => found,
        None => (create_orphan(ws, rsc_id, entry), false),
    };
    // The instance is chosen before its operations are replayed.
    let rsc = match ws.enclosing_clone(template).filter(|_| anonymous) {
        Some(clone) => {
            anonymous::find_instance(ws, &ctx.prototypes, clone, strip_instance(rsc_id), node).unwrap_or(template)
        }
        None => template,
    };
    let mut replay = replay_ops(ws, history, rsc, node, &ops);
    note_failed_ops(ws, node, std::mem::take(&mut replay.noteworthy));
    let failure_timeout_s = replay.failure_timeout_s;
    let clear_fail_count = replay.clear_fail_count;

    let active = replay.role > Role::Stopped;
    if anonymous && rsc_id != ws.resources[rsc].id {
        // The most recent history name wins (Pacemaker's clone_name).
        ws.resources[rsc].clone_name = Some(rsc_id.to_string());
    }
    if ws.options.shutdown_lock {
        unpack_shutdown_lock(ws, rsc, node, entry);
    }
    if !ws.resources[rsc].history_on.contains(&node) {
        ws.resources[rsc].history_on.push(node);
    }
    if recorded_agent_differs(&ws.resources[rsc], entry) {
        ctx.agent_changed.push((rsc_id.to_string(), node));
    }
    if ws.nodes[node].online {
        let failure_records = std::mem::take(&mut replay.failure_records);
        ws.resources[rsc].failure_records.extend(failure_records);
        for (task, interval_ms, call_id) in active_recurring_ops(&ops) {
            ws.resources[rsc].active_recurring.push(ActiveRecurring { node, task, interval_ms, call_id });
        }
        if active {
            let checked = ops_to_check(&ops);
            let rescheduled = &replay.rescheduled_calls;
            ws.resources[rsc].recorded_ops.extend(checked.map(|op| {
                let mut recorded = op.recorded(node);
                if rescheduled.contains(&op.call_id) {
                    recorded.digest_restart = Some(FAILURE_TIMEOUT_DIGEST.to_string());
                }
                recorded
            }));
        }
    }
    if failure_timeout_s == 0 {
        ws.resources[rsc].failure_timeout_s = 0;
    }
    if clear_fail_count && !ws.expired_fail_counts.contains(&(rsc, node)) {
        ws.expired_fail_counts.push((rsc, node));
    }
    apply_replay(ws, rsc, node, replay, anonymous, active);
}

/// Adds entries to the working set's failed operations, once per operation key and node,
/// and only for nodes online (as Pacemaker's record_failed_op).
fn note_failed_ops(ws: &mut WorkingSet, node: NodeIdx, entries: Vec<FailedOp>) {
    if !ws.nodes[node].online {
        return;
    }
    for entry in entries {
        let seen = ws.failed_ops.iter().any(|f| {
            f.node == node
                && f.has_operation_key == entry.has_operation_key
                && (!f.has_operation_key || f.key.eq_ignore_ascii_case(&entry.key))
        });
        if !seen {
            ws.failed_ops.push(FailedOp { node, ..entry });
        }
    }
}

/// Positions (in call order) of the last start-like and the last successful
/// stop operation (Pacemaker's calculate_active_ops): a start may be implied
/// by a later promote/demote or by a successful monitor.
fn start_and_stop_positions(ops: &[Op]) -> (Option<usize>, Option<usize>) {
    let mut stop: Option<usize> = None;
    let mut start: Option<usize> = None;
    let mut implied_by_monitor: Option<usize> = None;
    let mut implied_by_role_change: Option<usize> = None;
    for (i, op) in ops.iter().enumerate() {
        match op.task {
            "stop" if op.status == EXEC_DONE => stop = Some(i),
            "start" | "migrate_from" => start = Some(i),
            "monitor"
                if implied_by_monitor.map(|m| m as i64).unwrap_or(-1)
                    <= stop.map(|s| s as i64).unwrap_or(-1)
                    && (op.rc == OCF_OK || op.rc == OCF_RUNNING_PROMOTED) =>
            {
                implied_by_monitor = Some(i);
            }
            "promote" | "demote" => implied_by_role_change = Some(i),
            _ => {}
        }
    }
    (
        start.or(implied_by_role_change).or(implied_by_monitor),
        stop,
    )
}

/// The operations whose definitions are compared with the configuration
/// (Pacemaker's process_rsc_history): those since the last start, unless
/// the resource stopped since; recurring ones, and the one-shot operations
/// that ran with the start's parameters.
fn ops_to_check<'o, 'x>(ops: &'o [Op<'x>]) -> impl Iterator<Item = &'o Op<'x>> {
    let (start, stop) = start_and_stop_positions(ops);
    let start = start.map(|s| s as i64).unwrap_or(-1);
    let stopped = start < stop.map(|s| s as i64).unwrap_or(-1);
    ops.iter().enumerate().filter_map(move |(i, op)| {
        let checked = op.interval_ms > 0
            || matches!(
                op.task,
                "monitor" | "start" | "promote" | "migrate_from"
            );
        (!stopped && i as i64 >= start && checked).then_some(op)
    })
}

/// Recurring operations recorded since the resource last started here
/// (Pacemaker's process_recurring): they are running now.
fn active_recurring_ops(ops: &[Op]) -> Vec<(String, u64, i64)> {
    let (start, stop) = start_and_stop_positions(ops);
    let start = start.map(|s| s as i64).unwrap_or(-1);
    let stop = stop.map(|s| s as i64).unwrap_or(-1);
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let i = i as i64;
        if (start < stop && i <= stop) || i < start {
            continue;
        }
        if op.interval_ms == 0 || op.status == EXEC_PENDING {
            continue;
        }
        out.push((op.task.to_string(), op.interval_ms, op.call_id));
    }
    out
}

/// Whether a history entry names another agent (class, provider or type)
/// than the resource's configuration does.
fn recorded_agent_differs(rsc: &Resource, entry: &Element) -> bool {
    let configured_class = Some(rsc.class.as_str()).filter(|c| !c.is_empty());
    let configured_type = Some(rsc.agent.as_str()).filter(|t| !t.is_empty());
    entry.attr("class") != configured_class
        || entry.attr("provider") != rsc.provider.as_deref()
        || entry.attr("type") != configured_type
}

fn create_orphan(ws: &mut WorkingSet, id: &str, entry: &Element) -> RscIdx {
    let mut rsc = Resource::new(id, Variant::Primitive, "primitive");
    rsc.class = entry.attr("class").unwrap_or("unknown").to_string();
    rsc.provider = entry.attr("provider").map(str::to_string);
    rsc.agent = entry.attr("type").unwrap_or("unknown").to_string();
    rsc.is_stonith = rsc.class == "stonith";
    rsc.orphan = true;
    rsc.managed = ws.options.stop_orphan_resources && !ws.options.maintenance_mode;
    rsc.is_remote_connection = super::remote::is_remote_connection_xml(entry);
    rsc.orphan_container_filler = entry.attr(CONTAINER_ATTR).is_some();
    let idx = ws.resources.len();
    ws.resources.push(rsc);
    ws.top_level.push(idx);
    if ws.resources[idx].is_remote_connection {
        super::remote::orphaned_connection(ws, idx);
    }
    idx
}

fn replay_ops<'s>(ws: &WorkingSet, history: StatusHistory<'s>, rsc: RscIdx, node: NodeIdx, ops: &[Op]) -> Replay<'s> {
    let mut r = Replay {
        node,
        history,
        migration: Vec::new(),
        role: Role::Unknown,
        next_role: Role::Unknown,
        on_fail: OnFail::Ignore,
        last_failure_key: None,
        failure_ignored: false,
        start_pending: false,
        blocked: false,
        unmanaged: false,
        bans: Vec::new(),
        failed_probe_rc: None,
        pending_task: None,
        failure_timeout_s: ws.resources[rsc].failure_timeout_s,
        clear_fail_count: false,
        rescheduled_calls: Vec::new(),
        noteworthy: Vec::new(),
        failure_records: Vec::new(),
    };
    let managed = ws.resources[rsc].managed;
    for op in ops {
        if op.task == "notify" || op.task == "meta-data" {
            continue;
        }
        let mut rc = op.rc;
        let mut status = op.status;
        if op.task == "monitor" && matches!(op.rc, OCF_DEGRADED | OCF_DEGRADED_PROMOTED) {
            r.noteworthy.push(op.shown());
        }
        let expired = status != EXEC_NOT_INSTALLED
            && has_expired(ws, rsc, node, op, &mut r)
            && !super::remote::failure_kept_until_fenced(ws, rsc, op.task, op.interval_ms);
        if !expired
            && matches!(op.task, "start" | "monitor")
            && op.attrs.id.is_some_and(|id| id.ends_with("_last_failure_0"))
        {
            r.failure_records.push(op.recorded(node));
        }
        if expired && op.rc != op.target_rc {
            if op.is_maskable_probe_failure() {
                if r.role <= Role::Stopped {
                    r.role = Role::Unknown;
                }
                continue;
            }
            // An expired failure is forgotten; a recurring operation that failed is
            // scheduled again where it can run (Pacemaker marks its restart digest so
            // that the definition check asks for it).
            if op.interval_ms > 0 && ws.nodes[node].online && !ws.nodes[node].unclean {
                r.rescheduled_calls.push(op.call_id);
            }
            continue;
        }
        // Remap degraded monitor results to their healthy equivalents.
        if op.task == "monitor" {
            rc = match rc {
                OCF_DEGRADED => OCF_OK,
                OCF_DEGRADED_PROMOTED => OCF_RUNNING_PROMOTED,
                other => other,
            };
        }
        if op.is_maskable_probe_failure() {
            // Treated as "not running", but never try here again.
            set_state_from_result(ws, rsc, &mut r, op, OCF_NOT_RUNNING);
            r.role = Role::Stopped;
            r.bans.push((Some(node), true));
            // Shown beside the resource only when the entry names its node
            // (entries of old CIBs have no on_node; Pacemaker's lookup skips them).
            if op.xml.attr(ATTR_ON_NODE).is_some() {
                r.failed_probe_rc = Some(op.rc);
            }
            r.noteworthy.push(op.shown());
            continue;
        }
        if status == EXEC_DONE || status == EXEC_ERROR {
            status = EXEC_DONE;
            if op.target_rc < 0 || op.target_rc != rc {
                status = EXEC_ERROR;
            }
            match rc {
                OCF_OK => {
                    if op.is_probe() && op.target_rc == OCF_NOT_RUNNING {
                        status = EXEC_DONE;
                    }
                }
                OCF_NOT_RUNNING => {
                    if op.is_probe() || op.target_rc == rc || !managed {
                        status = EXEC_DONE;
                        r.role = Role::Stopped;
                        r.on_fail = OnFail::Ignore;
                        r.next_role = Role::Unknown;
                    }
                }
                OCF_RUNNING_PROMOTED => {
                    if op.is_probe() && rc != op.target_rc {
                        status = EXEC_DONE;
                    }
                    r.role = Role::Promoted;
                }
                OCF_FAILED_PROMOTED => {
                    r.role = Role::Promoted;
                    status = EXEC_ERROR;
                }
                OCF_NOT_CONFIGURED => status = EXEC_ERROR_FATAL,
                OCF_UNIMPLEMENTED if op.interval_ms == 0 => {
                    block_unrecoverable_stop(ws, node, op, &mut r);
                    status = EXEC_ERROR_HARD;
                }
                OCF_UNIMPLEMENTED => status = EXEC_ERROR,
                OCF_NOT_INSTALLED | OCF_INVALID_PARAM | OCF_INSUFFICIENT_PRIV => {
                    block_unrecoverable_stop(ws, node, op, &mut r);
                    status = EXEC_ERROR_HARD;
                }
                _ => {
                    if status == EXEC_DONE {
                        status = EXEC_ERROR;
                    }
                }
            }
        }
        match status {
            EXEC_CANCELLED => continue,
            EXEC_PENDING => {
                if r.pending_task.is_none() && (op.interval_ms != 0 || op.task != "monitor") {
                    r.pending_task = Some(op.task.to_string());
                }
                if op.task == "start" {
                    r.start_pending = true;
                    if r.role < Role::Started {
                        r.role = active_role(ws, rsc);
                    }
                } else if op.task == "promote" {
                    r.role = Role::Promoted;
                } else if op.task == "migrate_to" && ws.nodes[node].unclean {
                    super::migration::migrate_to_pending_on_lost_node(ws, op.xml, &mut r.migration);
                }
                continue;
            }
            EXEC_DONE => {
                set_state_from_result(ws, rsc, &mut r, op, rc);
                continue;
            }
            EXEC_NOT_INSTALLED => {
                r.bans.push((Some(node), true));
            }
            EXEC_NO_FENCE_DEVICE | EXEC_NO_SECRETS => status = EXEC_ERROR_HARD,
            _ => {}
        }
        let strategy = match default_on_fail(ws, &ws.resources[rsc], op) {
            // A missing agent cannot be ignored: the failure is handled (and shown)
            // as on-fail=migrate would handle it.
            OnFail::Ignore if status == EXEC_NOT_INSTALLED => OnFail::Migrate,
            strategy => strategy,
        };
        // A failed stop inside a container counts as done: restarting the
        // container stops the resource anyway.
        let container_stops_it = strategy == OnFail::RestartContainer && op.task == "stop";
        if strategy == OnFail::Ignore || container_stops_it {
            set_state_from_result(ws, rsc, &mut r, op, op.target_rc);
            r.failure_ignored = true;
            r.noteworthy.push(op.shown());
            if container_stops_it && on_fail_rank(r.on_fail) <= on_fail_rank(OnFail::Recover) {
                r.on_fail = strategy;
            }
            continue;
        }
        // An agent missing where resources need not run is no news.
        if ws.options.symmetric_cluster || rc != OCF_NOT_INSTALLED {
            r.noteworthy.push(op.shown());
        }
        record_failure(ws, rsc, node, &mut r, op, rc, strategy);
        if status == EXEC_ERROR_HARD {
            r.bans.push((Some(node), true));
        } else if status == EXEC_ERROR_FATAL {
            r.bans.push((None, true));
        }
    }
    r
}

/// The order entries are replayed in (Pacemaker's sort_op_by_callid): by call id; by
/// last-rc-change between two records of one call; a pending entry (call id -1) after
/// the others, unless the transition it belongs to is older than theirs.
fn replay_order(a: &Op, b: &Op) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (a_call, b_call) = (a.call_id, b.call_id);
    if a.attrs.id == b.attrs.id || (a_call == -1 && b_call == -1) {
        return Equal;
    }
    if a_call >= 0 && a_call < b_call {
        return Less;
    }
    if b_call >= 0 && a_call > b_call {
        return Greater;
    }
    if a_call >= 0 && b_call >= 0 {
        let changed = |op: &Op| op.attrs.last_rc_change.and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(-1);
        let (a_changed, b_changed) = (changed(a), changed(b));
        return if a_changed >= 0 && a_changed < b_changed {
            Less
        } else if b_changed >= 0 && a_changed > b_changed {
            Greater
        } else {
            Equal
        };
    }
    // One of them is pending: its transition tells how old it is.
    let (Some((a_uuid, a_transition)), Some((b_uuid, b_transition))) =
        (magic_transition(a), magic_transition(b))
    else {
        return Equal;
    };
    if a_uuid != b_uuid || a_transition == b_transition {
        if b_call == -1 {
            Less
        } else if a_call == -1 {
            Greater
        } else {
            Equal
        }
    } else if (a_transition >= 0 && a_transition < b_transition) || b_transition == -1 {
        Less
    } else if (b_transition >= 0 && a_transition > b_transition) || a_transition == -1 {
        Greater
    } else {
        Equal
    }
}

/// The controller's UUID and the transition number in an entry's transition-magic
/// ("status:rc;action:transition:target-rc:uuid"); `None` for older or malformed forms.
fn magic_transition<'a>(op: &Op<'a>) -> Option<(&'a str, i64)> {
    let (_, key) = op.attrs.transition_magic?.split_once(';')?;
    let mut fields = key.splitn(4, ':');
    let _action: i64 = fields.next()?.parse().ok()?;
    let transition: i64 = fields.next()?.parse().ok()?;
    let _target_rc: i64 = fields.next()?.parse().ok()?;
    Some((fields.next()?, transition))
}

/// A stop that failed for good (the agent can't work there) leaves the
/// resource blocked, unless fencing the node can stop it (Pacemaker's
/// check_recoverable).
fn block_unrecoverable_stop(ws: &WorkingSet, node: NodeIdx, op: &Op, r: &mut Replay) {
    if op.task == "stop" && !ws.can_fence(node) {
        r.unmanaged = true;
        r.blocked = true;
    }
}

/// Whether the failure-timeout has made this entry's result irrelevant (Pacemaker's
/// check_operation_expiry): it is older than the timeout, and so are the resource's
/// failures on the node (going by the fail count; then the count is to be cleared),
/// unless a failure that blocks the resource is among them, which disables the timeout
/// for good. Probes that found the resource running or stopped never expire.
fn has_expired(ws: &WorkingSet, rsc: RscIdx, node: NodeIdx, op: &Op, r: &mut Replay) -> bool {
    let Some(changed) = op.attrs.last_rc_change.and_then(|v| v.trim().parse::<i64>().ok()) else { return false };
    if r.failure_timeout_s == 0 {
        return false;
    }
    let mut expired = ws.now >= changed + r.failure_timeout_s as i64;
    let (fail_count, last_failure) = super::fail_count(ws, node, rsc);
    if fail_count > 0 && blocks_resource(&ws.resources[rsc], op) {
        r.failure_timeout_s = 0;
    }
    let timeout = r.failure_timeout_s as i64;
    let failures_expired = timeout > 0 && last_failure.is_some_and(|last| ws.now > last + timeout);
    if expired && fail_count > 0 {
        if failures_expired {
            r.clear_fail_count = true;
        } else {
            expired = false;
        }
    }
    if expired
        && op.is_probe()
        && matches!(op.rc, OCF_OK | OCF_NOT_RUNNING | OCF_RUNNING_PROMOTED | OCF_DEGRADED | OCF_DEGRADED_PROMOTED)
    {
        expired = false;
    }
    expired
}

/// Whether `op` records a failure of an operation configured with on-fail="block"
/// (Pacemaker's block_failure): the resource's last failure entry, or the operation's own
/// entry with an unexpected result.
fn blocks_resource(res: &Resource, op: &Op) -> bool {
    let name = strip_instance(&res.id);
    res.ops.iter().filter(|d| d.on_fail.as_deref() == Some("block")).any(|d| {
        d.interval_ms == op.interval_ms
            && d.name.eq_ignore_ascii_case(&op.task)
            && (op.id.eq_ignore_ascii_case(&format!("{name}_last_failure_0"))
                || (op.id.eq_ignore_ascii_case(&format!("{name}_{}_{}", d.name, d.interval_ms)) && op.rc != op.target_rc))
    })
}

fn record_failure(
    ws: &WorkingSet,
    rsc: RscIdx,
    node: NodeIdx,
    r: &mut Replay,
    op: &Op,
    rc: i32,
    strategy: OnFail,
) {
    let _ = node;
    r.last_failure_key = Some(op.key.to_string());
    if on_fail_rank(strategy) > on_fail_rank(r.on_fail) {
        r.on_fail = strategy;
    }
    let id = &ws.resources[rsc].id;
    match op.task {
        "stop" => r.bans.push((Some(node), false)),
        "migrate_to" => super::migration::migrate_to_failed(ws, r.history, id, node, op.xml, &mut r.role, &mut r.migration),
        "migrate_from" => {
            super::migration::migrate_from_failed(ws, r.history, id, node, op.xml, &mut r.role, &mut r.migration)
        }
        "promote" => r.role = Role::Promoted,
        "demote" => {
            if strategy == OnFail::Block {
                r.role = Role::Promoted;
                r.next_role = Role::Stopped;
            } else if rc == OCF_NOT_RUNNING {
                r.role = Role::Stopped;
            } else {
                r.role = Role::Unpromoted;
            }
        }
        _ => {}
    }
    if op.is_probe() && rc == OCF_NOT_INSTALLED {
        r.role = Role::Stopped;
    } else if r.role < Role::Started {
        r.role = active_role(ws, rsc);
    }
    if strategy == OnFail::Stop {
        if r.next_role == Role::Unknown || r.next_role > Role::Stopped {
            r.next_role = Role::Stopped;
        }
        r.bans.push((None, true));
    }
}

fn set_state_from_result(ws: &WorkingSet, rsc: RscIdx, r: &mut Replay, op: &Op, rc: i32) {
    let mut clear = false;
    if rc == OCF_NOT_INSTALLED || op.is_maskable_probe_failure() {
        r.role = Role::Stopped;
    } else if rc == OCF_NOT_RUNNING {
        clear = true;
    } else {
        match op.task {
            "monitor" => {
                if r.last_failure_key.as_deref() == Some(op.key) {
                    clear = true;
                }
                if r.role < Role::Started {
                    r.role = active_role(ws, rsc);
                }
            }
            "start" => {
                r.role = Role::Started;
                clear = true;
            }
            "stop" => {
                r.role = Role::Stopped;
                clear = true;
            }
            "promote" => {
                r.role = Role::Promoted;
                clear = true;
            }
            "demote" => {
                if r.on_fail == OnFail::Demote {
                    clear = true;
                }
                r.role = Role::Unpromoted;
            }
            "migrate_from" => {
                r.role = Role::Started;
                clear = true;
            }
            "migrate_to" => {
                let id = &ws.resources[rsc].id;
                super::migration::migrate_to_succeeded(ws, r.history, id, r.node, op.xml, &mut r.role, &mut r.migration);
            }
            _ => {
                if r.role < Role::Started {
                    r.role = active_role(ws, rsc);
                }
            }
        }
    }
    if clear {
        match r.on_fail {
            OnFail::Block
            | OnFail::Ignore
            | OnFail::Demote
            | OnFail::Recover
            | OnFail::RestartContainer => {
                r.on_fail = OnFail::Ignore;
                r.next_role = Role::Unknown;
            }
            // A reconnect interval keeps the connection down until the
            // failure expires.
            OnFail::ResetRemote if ws.resources[rsc].remote_reconnect_ms == 0 => {
                r.on_fail = OnFail::Ignore;
                r.next_role = Role::Unknown;
            }
            _ => {}
        }
    }
}

fn ban(ws: &mut WorkingSet, rsc: RscIdx, node: Option<NodeIdx>) {
    let nodes: Vec<NodeIdx> = match node {
        Some(n) => vec![n],
        None => (0..ws.nodes.len()).collect(),
    };
    // As a location constraint would: members and instances are banned too.
    let mut pending = vec![rsc];
    while let Some(r) = pending.pop() {
        for &n in &nodes {
            ws.resources[r].allowed.insert(n, -INFINITY);
        }
        pending.extend(ws.resources[r].children.iter().copied());
    }
}

/// A failure inside a container is recovered by restarting the container.
fn restart_container(ws: &mut WorkingSet, rsc: RscIdx) {
    ws.resources[rsc].failed = true;
    ws.resources[rsc].failed_stop = true;
    if let Some(container) = ws.resources[rsc].container {
        ws.resources[container].stop_required = true;
    }
}

fn apply_replay(
    ws: &mut WorkingSet,
    rsc: RscIdx,
    node: NodeIdx,
    replay: Replay,
    anonymous: bool,
    active: bool,
) {
    let clone_parent = if anonymous {
        ws.enclosing_clone(rsc)
    } else {
        None
    };
    let mut role = replay.role;
    for (ban_node, whole_clone) in &replay.bans {
        let target = if *whole_clone {
            clone_parent.map(|_| ws.top_parent(rsc)).unwrap_or(rsc)
        } else {
            rsc
        };
        ban(ws, target, *ban_node);
    }
    if let Some(rc) = replay.failed_probe_rc {
        ws.resources[rsc].failed_probe.insert(node, rc);
        if let Some(c) = clone_parent {
            ws.resources[c].failed_probe.insert(node, rc);
        }
    }
    // known_on propagates up to the anonymous clone.
    if role != Role::Unknown {
        let mut cur = Some(rsc);
        while let Some(c) = cur {
            if !ws.resources[c].known_on.contains(&node) {
                ws.resources[c].known_on.push(node);
            }
            if ws.resources[c].variant == Variant::Clone && ws.resources[c].clone.unique {
                break;
            }
            cur = ws.resources[c].parent;
            if anonymous && cur.is_none() {
                break;
            }
        }
    }
    // A pending operation is remembered even when a later entry stopped the
    // resource (Pacemaker records it while replaying, before the outcome).
    ws.resources[rsc].start_pending |= replay.start_pending;
    if ws.resources[rsc].pending_task.is_none() && replay.pending_task.is_some() {
        ws.resources[rsc].pending_task = replay.pending_task.clone();
        ws.resources[rsc].pending_node = Some(node);
    }
    ws.resources[rsc].failure_ignored |= replay.failure_ignored;
    apply_migration_effects(ws, rsc, &replay.migration);
    if !active {
        // An instance stopped per history that names instances (older
        // CIBs) is known by its own id again, lest it look like an orphan.
        if ws.resources[rsc].clone_name.as_ref().is_some_and(|name| name.contains(':')) {
            ws.resources[rsc].clone_name = None;
        }
        // A stop on the source after a partial migration leaves the
        // resource active on the target.
        let partial_from_here = ws.resources[rsc].migration.partial.is_some_and(|(source, _)| source == node);
        if partial_from_here && !ws.resources[rsc].running_on.is_empty() && ws.resources[rsc].role < Role::Started {
            ws.resources[rsc].role = Role::Started;
        }
        if replay.next_role != Role::Unknown && !anonymous {
            set_next_role(ws, rsc, replay.next_role);
        }
        // A connection failure waiting for its reconnect interval keeps the
        // stopped connection failed (and its node fenced).
        if replay.on_fail == OnFail::ResetRemote && !ws.nodes[node].unclean {
            reset_remote(ws, rsc);
        }
        // A failed stop inside a container still restarts the container.
        if replay.on_fail == OnFail::RestartContainer && !ws.nodes[node].unclean {
            restart_container(ws, rsc);
        }
        apply_target_role(ws, rsc);
        return;
    }
    if replay.unmanaged {
        ws.resources[rsc].managed = false;
        ws.resources[rsc].blocked = true;
    }
    ws.resources[rsc].failure_ignored |= replay.failure_ignored;

    let managed = ws.resources[rsc].managed;
    let node_online = ws.nodes[node].online;
    if role > Role::Stopped && !node_online && !ws.nodes[node].maintenance && managed && ws.is_guest(node) {
        // Whatever was active on a lost guest is recovered with the guest,
        // fencing or not.
        ws.resources[rsc].failed = true;
        ws.resources[rsc].failed_stop = true;
        let reason = format!("{} is thought to be active there", ws.resources[rsc].id);
        fence_node(ws, node, &reason);
    } else if role > Role::Stopped
        && !node_online
        && !ws.nodes[node].maintenance
        && managed
        && ws.options.stonith_enabled
    {
        let connection_healthy = ws.nodes[node].remote_rsc.is_some_and(|c| !ws.resources[c].failed);
        let reason = if ws.nodes[node].is_remote && connection_healthy {
            // Fencing is revoked if the connection can start elsewhere.
            ws.nodes[node].unseen = true;
            format!(
                "{} is active there (fencing will be revoked if remote connection can be re-established elsewhere)",
                ws.resources[rsc].id
            )
        } else {
            format!("{} is thought to be active there", ws.resources[rsc].id)
        };
        fence_node(ws, node, &reason);
    }
    let mut on_fail = replay.on_fail;
    let save_on_fail = on_fail;
    if ws.nodes[node].unclean {
        on_fail = OnFail::Ignore;
    }
    let mut next_role = replay.next_role;
    match on_fail {
        OnFail::Ignore => {}
        OnFail::Demote => {
            ws.resources[rsc].failed = true;
            ws.resources[rsc].demote_after_failure.push(node);
        }
        OnFail::Fence => {
            let reason = format!("{} failed there", ws.resources[rsc].id);
            fence_node(ws, node, &reason);
        }
        OnFail::Standby => {
            ws.nodes[node].standby = true;
            ws.nodes[node].standby_onfail = true;
        }
        OnFail::Block => {
            ws.resources[rsc].managed = false;
            ws.resources[rsc].blocked = true;
        }
        OnFail::Migrate => ban(ws, rsc, Some(node)),
        OnFail::Stop => next_role = Role::Stopped,
        OnFail::Recover => {
            if role != Role::Stopped && role != Role::Unknown {
                ws.resources[rsc].failed = true;
                ws.resources[rsc].failed_stop = true;
            }
        }
        OnFail::RestartContainer => restart_container(ws, rsc),
        OnFail::ResetRemote => reset_remote(ws, rsc),
    }
    if role != Role::Stopped && role != Role::Unknown {
        add_running(ws, rsc, node, role, save_on_fail != OnFail::Ignore);
        match on_fail {
            OnFail::Ignore => {}
            OnFail::Demote | OnFail::Block => ws.resources[rsc].failed = true,
            _ => {
                ws.resources[rsc].failed = true;
                ws.resources[rsc].failed_stop = true;
            }
        }
    } else {
        role = Role::Stopped;
    }
    if next_role != Role::Unknown {
        set_next_role(ws, rsc, next_role);
    }
    apply_target_role(ws, rsc);
    if role > ws.resources[rsc].role {
        ws.resources[rsc].role = role;
    }
}

/// Records the resource as active on the node (Pacemaker's
/// native_add_running); `failed` when a failure left it there.
fn add_running(ws: &mut WorkingSet, rsc: RscIdx, node: NodeIdx, role: Role, failed: bool) {
    if !ws.resources[rsc].running_on.contains(&node) {
        ws.resources[rsc].running_on.push(node);
        add_priority_to_node(ws, rsc, node, role, failed);
        // What runs on a node in maintenance is left alone there.
        if ws.nodes[node].maintenance && ws.resources[rsc].variant == Variant::Primitive {
            ws.resources[rsc].managed = false;
        }
        if !ws.resources[rsc].managed {
            // An unmanaged resource is left where it is found (Pacemaker's
            // "not_managed_default" location).
            let base = if ws.nodes[node].bundle_guest { -INFINITY } else { ws.nodes[node].weight };
            let entry = ws.resources[rsc].allowed.entry(node).or_insert(base);
            *entry = crate::score::add(*entry, INFINITY);
        }
        if ws.resources[rsc].running_on.len() > 1 {
            handle_multiply_active(ws, rsc);
        }
    }
    if !ws.nodes[node].running.contains(&rsc) {
        ws.nodes[node].running.push(rsc);
    }
}

/// What the node's migration entries said of the resource elsewhere.
fn apply_migration_effects(ws: &mut WorkingSet, rsc: RscIdx, effects: &[MigrationEffect]) {
    for effect in effects {
        match *effect {
            MigrationEffect::ActiveOn { node, failed } => add_running(ws, rsc, node, Role::Started, failed),
            MigrationEffect::Partial { source, target } => ws.resources[rsc].migration.partial = Some((source, target)),
            MigrationEffect::Dangling(node) => ws.resources[rsc].migration.dangling_sources.push(node),
            MigrationEffect::StopOn(node) => ws.resources[rsc].migration.stop_targets.push(node),
            MigrationEffect::ForceRestart => {
                let res = &mut ws.resources[rsc];
                res.failed = true;
                res.failed_stop = true;
                res.migration.forbidden = true;
            }
        }
    }
}

/// A remote connection failure that resets the node: the connection is
/// failed (and stops), its node is fenced, and with a reconnect interval
/// the connection stays down until the failure expires.
fn reset_remote(ws: &mut WorkingSet, rsc: RscIdx) {
    ws.resources[rsc].failed = true;
    ws.resources[rsc].failed_stop = true;
    if ws.resources[rsc].is_remote_connection {
        super::remote::connection_unrecoverable(ws, rsc);
        super::remote::failed_connection_keeps_fencing(ws, rsc);
    }
    if ws.resources[rsc].remote_reconnect_ms > 0 {
        set_next_role(ws, rsc, Role::Stopped);
    }
}

/// Adds the priority of a resource found active on a node to the node's
/// (Pacemaker's native_priority_to_node): a promoted instance counts one
/// more, a failed one nothing.
fn add_priority_to_node(ws: &mut WorkingSet, rsc: RscIdx, node: NodeIdx, role: Role, failed: bool) {
    let res = &ws.resources[rsc];
    if res.variant != Variant::Primitive || res.priority == 0 || failed {
        return;
    }
    let priority = res.priority.saturating_add(i32::from(role == Role::Promoted));
    ws.nodes[node].priority = ws.nodes[node].priority.saturating_add(priority);
    // What runs on a guest counts for the nodes hosting the guest too.
    if let Some(container) = ws.guest_container(node) {
        for host in ws.resources[container].running_on.clone() {
            ws.nodes[host].priority = ws.nodes[host].priority.saturating_add(priority);
        }
    }
}

/// What to do about a resource active on more than one node (multiple-active).
fn handle_multiply_active(ws: &mut WorkingSet, rsc: RscIdx) {
    let policy = ws.resources[rsc]
        .meta
        .get("multiple-active")
        .map(|v| v.to_ascii_lowercase());
    match policy.as_deref() {
        Some("stop_only") => ws.resources[rsc].next_role = Role::Stopped,
        Some("block") => {
            // A group that blocks when multiply active blocks as a whole.
            let group = ws.resources[rsc].parent.filter(|&p| {
                let parent = &ws.resources[p];
                parent.variant == Variant::Group
                    && parent.meta.get("multiple-active").is_some_and(|v| v.eq_ignore_ascii_case("block"))
            });
            let blocked = match group {
                Some(g) => ws.resources[g].children.clone(),
                None => vec![rsc],
            };
            for r in blocked {
                ws.resources[r].managed = false;
                ws.resources[r].blocked = true;
            }
        }
        _ => {}
    }
}

fn set_next_role(ws: &mut WorkingSet, rsc: RscIdx, role: Role) {
    ws.resources[rsc].next_role = role;
}

fn apply_target_role(ws: &mut WorkingSet, rsc: RscIdx) {
    let Some(target) = ws.resources[rsc].target_role else {
        return;
    };
    // Only promotable instances have roles beyond Started.
    if target > Role::Started && !ws.is_promotable_member(rsc) {
        return;
    }
    let next = ws.resources[rsc].next_role;
    if next == Role::Unknown || target < next {
        // Started as a target means "no limit" for promotable instances.
        if target == Role::Started && ws.is_promotable_member(rsc) {
            return;
        }
        ws.resources[rsc].next_role = target;
    }
}

/// Reads the history of every node whose turn it is; returns whether any was
/// read. `remaining` reads all nodes not read yet.
fn unpack_history_pass(
    ws: &mut WorkingSet,
    lookup: &mut ResourceLookup,
    ctx: &mut HistoryContext,
    status: &Element, remaining: bool) -> bool {
    let mut progress = false;
    for state in status.elements().filter(|e| e.name == "node_state") {
        let (Some(id), Some(uname)) = (state.id(), state.attr("uname")) else {
            continue;
        };
        // Looked up on each pass: history can create nodes (of orphaned
        // remote connections).
        let Some(node) = ws.nodes.iter().position(|n| n.id == id || n.uname == uname) else {
            continue;
        };
        if ws.nodes[node].history_unpacked {
            continue;
        }
        let is_remote = ws.nodes[node].is_remote;
        if !remaining {
            if is_remote && !super::remote::history_readable(ws, node) {
                continue;
            }
            // Without fencing (or shutdown locks), offline nodes come last,
            // so that active clone instances are numbered first.
            if !is_remote
                && !ws.options.stonith_enabled
                && !ws.options.shutdown_lock
                && !ws.nodes[node].online
            {
                continue;
            }
        }
        if is_remote {
            super::remote::determine_online_status(ws, node);
            super::remote::unpack_remote_attributes(ws, node, state);
        }
        ws.nodes[node].history_unpacked = true;
        progress = true;
        let Some(lrm) = state.child("lrm").and_then(|l| l.child("lrm_resources")) else {
            continue;
        };
        for entry in lrm.elements().filter(|e| e.name == "lrm_resource") {
            unpack_lrm_resource(ws, lookup, ctx, StatusHistory::new(status), node, entry);
        }
        link_orphaned_fillers(ws, lookup, lrm);
    }
    progress
}

/// History entry attribute naming the container of the resource (kept so
/// that orphans still run inside their container).
const CONTAINER_ATTR: &str = "container";

/// Orphans whose history names a container get it once the node's history
/// is read (an orphaned guest connection stays a guest node's).
fn link_orphaned_fillers(ws: &mut WorkingSet, lookup: &mut ResourceLookup, lrm: &Element) {
    lookup.catch_up(ws);
    for entry in lrm.elements().filter(|e| e.name == "lrm_resource") {
        let (Some(id), Some(container_id)) = (entry.id(), entry.attr(CONTAINER_ATTR)) else { continue };
        let (Some(container), Some((rsc, _))) = (ws.rsc_by_id(container_id), lookup.find(ws, id)) else {
            continue;
        };
        if ws.resources[rsc].orphan_container_filler && ws.resources[rsc].container.is_none() {
            ws.resources[rsc].container = Some(container);
            ws.resources[container].fillers.push(rsc);
        }
    }
}

/// Sums fail-count-* node attributes per resource and node.
/// Each primitive's fail count on each node, unless all its failures there are older than
/// its failure-timeout (Pacemaker's effective fail count).
fn compute_failcounts(ws: &mut WorkingSet) {
    // The latest failure behind each (resource, node)'s unexpired fail count.
    let mut latest_failure: HashMap<(RscIdx, NodeIdx), i64> = HashMap::new();
    for n in 0..ws.nodes.len() {
        if !ws.nodes[n].attrs.keys().any(|k| k.starts_with("fail-count-")) {
            continue;
        }
        for r in 0..ws.resources.len() {
            if ws.resources[r].variant != Variant::Primitive {
                continue;
            }
            let (count, last_failure) = super::fail_count(ws, n, r);
            let timeout = ws.resources[r].failure_timeout_s as i64;
            let expired = timeout > 0 && last_failure.is_some_and(|last| ws.now > last + timeout);
            if count != 0 && !expired {
                ws.resources[r].failcount.insert(n, count);
                if let (true, Some(t)) = (timeout > 0 && count > 0, last_failure) {
                    latest_failure.insert((r, n), t);
                }
            }
        }
    }
    // Once the failure-timeout has passed since the latest failure, the
    // fail count expires: the cluster must be scheduled again then.
    for ((r, n), latest) in latest_failure {
        if ws.resources[r].history_on.contains(&n) {
            ws.update_recheck_time(latest + ws.resources[r].failure_timeout_s as i64 + 1);
        }
    }
}
