//! Resource history (lrm_rsc_op entries): where each resource is active, in
//! which role, what failed, and fail counts.

use libcrmcommon::xml::Element;

use super::nodes::fence_node;
use super::resources::{parse_interval_ms, strip_instance};
use super::rsc_lookup::ResourceLookup;
use crate::model::{ActiveRecurring, FailedOp, NodeIdx, OnFail, RecordedOp, Resource, Role, RscIdx, Variant, WorkingSet};
use crate::score::INFINITY;

// OCF exit codes used below.
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
    let states: Vec<&Element> = status
        .elements()
        .filter(|e| e.name == "node_state")
        .collect();
    let mut order: Vec<(NodeIdx, &Element)> = Vec::new();
    for state in &states {
        let (Some(id), Some(uname)) = (state.id(), state.attr("uname")) else {
            continue;
        };
        if let Some(idx) = ws.nodes.iter().position(|n| n.id == id || n.uname == uname) {
            if !order.iter().any(|(n, _)| *n == idx) {
                order.push((idx, state));
            }
        }
    }
    // Without fencing (or shutdown locks), the history of offline nodes is
    // not used at all: nothing there can be acted on.
    if !ws.options.stonith_enabled && !ws.options.shutdown_lock {
        order.retain(|(n, _)| ws.nodes[*n].online);
    }
    let mut lookup = ResourceLookup::default();
    for (node, state) in order {
        if ws.nodes[node].is_remote {
            continue;
        }
        let Some(lrm) = state.child("lrm").and_then(|l| l.child("lrm_resources")) else {
            continue;
        };
        for entry in lrm.elements().filter(|e| e.name == "lrm_resource") {
            unpack_lrm_resource(ws, &mut lookup, node, entry);
        }
    }
    compute_failcounts(ws);
    for r in 0..ws.resources.len() {
        if ws.resources[r].variant == Variant::Primitive {
            apply_target_role(ws, r);
            // A started instance of a promotable clone is unpromoted.
            if ws.resources[r].role == Role::Started && ws.is_promotable_member(r) {
                ws.resources[r].role = Role::Unpromoted;
            }
        }
    }
}

/// Operation fields we need from an lrm_rsc_op.
struct Op {
    id: String,
    task: String,
    key: String,
    rc: i32,
    status: i32,
    target_rc: i32,
    interval_ms: u64,
    call_id: i64,
    /// The entry's parameter digests, for the definition checks.
    recorded: RecordedOp,
    /// The entry as the failed actions list shows it, should it be listed there.
    shown: FailedOp,
}

impl Op {
    fn from_xml(xml: &Element) -> Option<Op> {
        let task = xml.attr("operation")?.to_string();
        let interval_ms = xml
            .attr("interval")
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| parse_interval_ms(v))
            })
            .unwrap_or(0);
        let key = xml
            .attr("operation_key")
            .map(str::to_string)
            .unwrap_or_else(|| xml.id().unwrap_or("").to_string());
        let target_rc = xml
            .attr("transition-key")
            .and_then(|k| k.split(':').nth(2))
            .and_then(|t| t.parse().ok())
            .unwrap_or(-1);
        Some(Op {
            id: xml.id().unwrap_or_default().to_string(),
            task,
            key: key.clone(),
            rc: xml
                .attr("rc-code")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            status: xml
                .attr("op-status")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            target_rc,
            interval_ms,
            call_id: xml
                .attr("call-id")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            recorded: RecordedOp {
                node: 0,
                task: xml.attr("operation").unwrap_or_default().to_string(),
                interval_ms,
                call_id: xml.attr("call-id").unwrap_or_default().to_string(),
                digest_all: xml.attr("op-digest").map(str::to_string),
                digest_restart: xml.attr("op-restart-digest").map(str::to_string),
                force_restart: xml.attr("op-force-restart").map(str::to_string),
                digest_secure: xml.attr("op-secure-digest").map(str::to_string),
                secure_params: xml.attr("op-secure-params").map(str::to_string),
                feature_set: xml.attr("crm_feature_set").map(str::to_string),
                transition_magic: xml.attr("transition-magic").map(str::to_string),
            },
            shown: FailedOp {
                node: 0,
                key: key.clone(),
                has_operation_key: xml.attr("operation_key").is_some(),
                task: xml.attr("operation").unwrap_or_default().to_string(),
                interval_ms,
                rc: xml.attr("rc-code").and_then(|v| v.trim().parse().ok()).unwrap_or(0),
                status: xml.attr("op-status").and_then(|v| v.trim().parse().ok()).unwrap_or(0),
                call_id: xml.attr("call-id").map(str::to_string),
                exit_reason: xml.attr("exit-reason").map(str::to_string),
                last_rc_change: xml.attr("last-rc-change").and_then(|v| v.trim().parse().ok()),
                queue_time: xml.attr("queue-time").map(str::to_string),
                exec_time: xml.attr("exec-time").map(str::to_string),
            },
        })
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
struct Replay {
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
}

/// Among the anonymous instances sharing `template`'s base name, picks the one
/// to hold history on `node`: one already active there, else the first one
/// active nowhere.
fn pick_anonymous_instance(
    ws: &WorkingSet,
    lookup: &ResourceLookup,
    template: RscIdx,
    node: NodeIdx,
) -> Option<RscIdx> {
    let candidates = lookup
        .clone_members(strip_instance(&ws.resources[template].id))
        .to_vec();
    // Instances are compared by their top-level instance (group instances move together).
    if let Some(&c) = candidates
        .iter()
        .find(|&&c| ws.resources[c].running_on.contains(&node))
    {
        return Some(c);
    }
    // Prefer an instance whose sibling group members are already on this node.
    for &c in &candidates {
        let inst = instance_root(ws, c);
        if ws.running_nodes(inst).contains(&node) && ws.resources[c].running_on.is_empty() {
            return Some(c);
        }
    }
    candidates
        .into_iter()
        .find(|&c| ws.running_nodes(instance_root(ws, c)).is_empty())
}

/// The direct child of the clone that contains `r`.
fn instance_root(ws: &WorkingSet, r: RscIdx) -> RscIdx {
    let mut cur = r;
    while let Some(p) = ws.resources[cur].parent {
        if ws.resources[p].variant == Variant::Clone {
            return cur;
        }
        cur = p;
    }
    cur
}

fn default_on_fail(ws: &WorkingSet, rsc: &Resource, op: &Op) -> OnFail {
    let configured = rsc
        .ops
        .iter()
        .find(|d| d.name == op.task && d.interval_ms == op.interval_ms)
        .and_then(|d| d.on_fail.clone());
    let value = configured.map(|v| v.to_ascii_lowercase());
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
        return;
    }
    // Replay in call order; pending operations (call-id -1) go last.
    ops.sort_by_key(|o| if o.call_id < 0 { i64::MAX } else { o.call_id });

    lookup.catch_up(ws);
    let (template, anonymous) = match lookup.find(ws, rsc_id) {
        Some(found) => found,
        None => (create_orphan(ws, rsc_id, entry), false),
    };
    let mut replay = replay_ops(ws, template, node, &ops);
    note_failed_ops(ws, node, std::mem::take(&mut replay.noteworthy));
    let failure_timeout_s = replay.failure_timeout_s;
    let clear_fail_count = replay.clear_fail_count;

    let active = replay.role > Role::Stopped;
    let rsc = if anonymous && active {
        match pick_anonymous_instance(ws, lookup, template, node) {
            Some(r) => r,
            None => create_anonymous_orphan(ws, template),
        }
    } else if anonymous {
        // Stopped: recorded on the instance active here, else on the first
        // instance active nowhere (as Pacemaker matches history to instances).
        pick_anonymous_instance(ws, lookup, template, node).unwrap_or(template)
    } else {
        template
    };
    if anonymous && active && ws.resources[rsc].history_name.is_none() {
        ws.resources[rsc].history_name = Some(rsc_id.to_string());
    }
    // A second history entry for an instance already active here belongs to
    // an orphan instance in Pacemaker: it doesn't rename this one.
    let shadowed = anonymous && !active && ws.resources[rsc].running_on.contains(&node);
    if anonymous && !shadowed && rsc_id != ws.resources[rsc].id {
        // The most recent history name wins (Pacemaker's clone_name).
        ws.resources[rsc].clone_name = Some(rsc_id.to_string());
    }
    if !ws.resources[rsc].history_on.contains(&node) {
        ws.resources[rsc].history_on.push(node);
    }
    if ws.nodes[node].online {
        for (task, interval_ms, call_id) in active_recurring_ops(&ops) {
            ws.resources[rsc].active_recurring.push(ActiveRecurring { node, task, interval_ms, call_id });
        }
        if active {
            let checked = ops_to_check(&ops);
            let rescheduled = &replay.rescheduled_calls;
            ws.resources[rsc].recorded_ops.extend(checked.map(|op| {
                let mut recorded = RecordedOp { node, ..op.recorded.clone() };
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
        match op.task.as_str() {
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
fn ops_to_check(ops: &[Op]) -> impl Iterator<Item = &Op> {
    let (start, stop) = start_and_stop_positions(ops);
    let start = start.map(|s| s as i64).unwrap_or(-1);
    let stopped = start < stop.map(|s| s as i64).unwrap_or(-1);
    ops.iter().enumerate().filter_map(move |(i, op)| {
        let checked = op.interval_ms > 0
            || matches!(
                op.task.as_str(),
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
        out.push((op.task.clone(), op.interval_ms, op.call_id));
    }
    out
}

fn create_orphan(ws: &mut WorkingSet, id: &str, entry: &Element) -> RscIdx {
    let mut rsc = Resource::new(id, Variant::Primitive, "primitive");
    rsc.class = entry.attr("class").unwrap_or("unknown").to_string();
    rsc.provider = entry.attr("provider").map(str::to_string);
    rsc.agent = entry.attr("type").unwrap_or("unknown").to_string();
    rsc.is_stonith = rsc.class == "stonith";
    rsc.orphan = true;
    rsc.managed = ws.options.stop_orphan_resources && !ws.options.maintenance_mode;
    let idx = ws.resources.len();
    ws.resources.push(rsc);
    ws.top_level.push(idx);
    idx
}

fn create_anonymous_orphan(ws: &mut WorkingSet, template: RscIdx) -> RscIdx {
    // More active instances than clone-max: add an orphan instance.
    let Some(clone) = ws.enclosing_clone(template) else {
        return template;
    };
    let n = ws.resources[clone].children.len();
    let base = strip_instance(&ws.resources[template].id).to_string();
    let mut rsc = ws.resources[template].clone();
    rsc.id = format!("{base}:{n}");
    rsc.instance = Some(n);
    rsc.orphan = true;
    rsc.running_on.clear();
    rsc.known_on.clear();
    rsc.parent = Some(clone);
    let idx = ws.resources.len();
    ws.resources.push(rsc);
    ws.resources[clone].children.push(idx);
    idx
}

fn replay_ops(ws: &WorkingSet, rsc: RscIdx, node: NodeIdx, ops: &[Op]) -> Replay {
    let mut r = Replay {
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
    };
    let managed = ws.resources[rsc].managed;
    for op in ops {
        if op.task == "notify" || op.task == "meta-data" {
            continue;
        }
        let mut rc = op.rc;
        let mut status = op.status;
        if op.task == "monitor" && matches!(op.rc, OCF_DEGRADED | OCF_DEGRADED_PROMOTED) {
            r.noteworthy.push(op.shown.clone());
        }
        let expired = status != EXEC_NOT_INSTALLED && has_expired(ws, rsc, node, op, &mut r);
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
            r.failed_probe_rc = Some(op.rc);
            r.noteworthy.push(op.shown.clone());
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
                OCF_UNIMPLEMENTED => {
                    status = if op.interval_ms == 0 {
                        EXEC_ERROR_HARD
                    } else {
                        EXEC_ERROR
                    };
                }
                OCF_NOT_INSTALLED | OCF_INVALID_PARAM | OCF_INSUFFICIENT_PRIV => {
                    if op.task == "stop" && !ws.options.stonith_enabled {
                        r.unmanaged = true;
                        r.blocked = true;
                    }
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
                    r.pending_task = Some(op.task.clone());
                }
                if op.task == "start" {
                    r.start_pending = true;
                    if r.role < Role::Started {
                        r.role = active_role(ws, rsc);
                    }
                } else if op.task == "promote" {
                    r.role = Role::Promoted;
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
        let strategy = default_on_fail(ws, &ws.resources[rsc], op);
        if strategy == OnFail::Ignore {
            set_state_from_result(ws, rsc, &mut r, op, op.target_rc);
            r.failure_ignored = true;
            r.noteworthy.push(op.shown.clone());
            continue;
        }
        // An agent missing where resources need not run is no news.
        if ws.options.symmetric_cluster || rc != OCF_NOT_INSTALLED {
            r.noteworthy.push(op.shown.clone());
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

/// Whether the failure-timeout has made this entry's result irrelevant (Pacemaker's
/// check_operation_expiry): it is older than the timeout, and so are the resource's
/// failures on the node (going by the fail count; then the count is to be cleared),
/// unless a failure that blocks the resource is among them, which disables the timeout
/// for good. Probes that found the resource running or stopped never expire.
fn has_expired(ws: &WorkingSet, rsc: RscIdx, node: NodeIdx, op: &Op, r: &mut Replay) -> bool {
    let Some(changed) = op.shown.last_rc_change else { return false };
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
    r.last_failure_key = Some(op.key.clone());
    if on_fail_rank(strategy) > on_fail_rank(r.on_fail) {
        r.on_fail = strategy;
    }
    match op.task.as_str() {
        "stop" => r.bans.push((Some(node), false)),
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
        match op.task.as_str() {
            "monitor" => {
                if r.last_failure_key.as_deref() == Some(op.key.as_str()) {
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
                // Partial migration handling is not modelled yet: the resource
                // remains considered active on the source.
                if r.role < Role::Started {
                    r.role = active_role(ws, rsc);
                }
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
            _ => {}
        }
    }
}

fn ban(ws: &mut WorkingSet, rsc: RscIdx, node: Option<NodeIdx>) {
    let nodes: Vec<NodeIdx> = match node {
        Some(n) => vec![n],
        None => (0..ws.nodes.len()).collect(),
    };
    for n in nodes {
        ws.resources[rsc].allowed.insert(n, -INFINITY);
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
    ws.resources[rsc].failure_ignored |= replay.failure_ignored;
    if !active {
        if replay.next_role != Role::Unknown && !anonymous {
            set_next_role(ws, rsc, replay.next_role);
        }
        apply_target_role(ws, rsc);
        return;
    }
    if replay.unmanaged {
        ws.resources[rsc].managed = false;
        ws.resources[rsc].blocked = true;
    }
    ws.resources[rsc].start_pending |= replay.start_pending;
    if ws.resources[rsc].pending_task.is_none() {
        ws.resources[rsc].pending_task = replay.pending_task.clone();
    }
    ws.resources[rsc].failure_ignored |= replay.failure_ignored;

    let managed = ws.resources[rsc].managed;
    let node_online = ws.nodes[node].online;
    if role > Role::Stopped
        && !node_online
        && !ws.nodes[node].maintenance
        && managed
        && ws.options.stonith_enabled
    {
        let reason = format!("{} is thought to be active there", ws.resources[rsc].id);
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
        OnFail::Demote => ws.resources[rsc].failed = true,
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
        OnFail::Recover | OnFail::RestartContainer | OnFail::ResetRemote => {
            if role != Role::Stopped && role != Role::Unknown {
                ws.resources[rsc].failed = true;
                ws.resources[rsc].failed_stop = true;
            }
        }
    }
    let _ = save_on_fail;
    if role != Role::Stopped && role != Role::Unknown {
        if !ws.resources[rsc].running_on.contains(&node) {
            ws.resources[rsc].running_on.push(node);
            // What runs on a node in maintenance is left alone there.
            if ws.nodes[node].maintenance && ws.resources[rsc].variant == Variant::Primitive {
                ws.resources[rsc].managed = false;
            }
            if ws.resources[rsc].running_on.len() > 1 {
                handle_multiply_active(ws, rsc);
            }
        }
        if !ws.nodes[node].running.contains(&rsc) {
            ws.nodes[node].running.push(rsc);
        }
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

/// What to do about a resource active on more than one node (multiple-active).
fn handle_multiply_active(ws: &mut WorkingSet, rsc: RscIdx) {
    let policy = ws.resources[rsc]
        .meta
        .get("multiple-active")
        .map(|v| v.to_ascii_lowercase());
    match policy.as_deref() {
        Some("stop_only") => ws.resources[rsc].next_role = Role::Stopped,
        Some("block") => {
            ws.resources[rsc].managed = false;
            ws.resources[rsc].blocked = true;
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

/// Each primitive's fail count on each node, unless all its failures there are older than
/// its failure-timeout (Pacemaker's effective fail count).
fn compute_failcounts(ws: &mut WorkingSet) {
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
            }
        }
    }
}
