//! Recurring operations (Pacemaker's pcmk_sched_recurring.c): monitors from
//! the resource's `<op interval=...>` definitions on the node where the
//! resource will be active, monitors of the Stopped role on the other nodes,
//! and cancellations of recurring operations whose role no longer applies.
//! Also the operation meta-data every resource action carries.

use std::collections::{BTreeMap, HashMap};

use libcrmcommon::duration::msec;

use super::actions::{Action, Builder};
use crate::model::{order_flags as of, NodeIdx, OpDef, Role, RscIdx, Variant, WorkingSet};
use crate::rules::{collect_nvpairs_for, OperationKind, ResourceAgent, RuleContext, RuleSubject};

/// Timeout of an operation nobody configured (Pacemaker's default of 20s).
const DEFAULT_TIMEOUT_MS: u64 = 20_000;

/// OCF result a monitor of a resource that is not running returns.
pub const RC_NOT_RUNNING: i32 = 7;
/// OCF result a monitor of a promoted resource returns.
pub const RC_PROMOTED: i32 = 8;

/// Operations that can't be recurring however they are configured.
const NEVER_RECURRING: &[&str] = &[
    "stop",
    "start",
    "demote",
    "promote",
    "reload-agent",
    "migrate_to",
    "migrate_from",
];

/// The `<op>` definition an action uses: the first one with the action's
/// name and interval, enabled or not (migrations use the "migrate"
/// definition, notifications the "notify" one).
fn op_definition<'a>(ops: &'a [OpDef], task: &str, interval_ms: u64) -> Option<&'a OpDef> {
    let find = |name: &str| {
        ops.iter()
            .find(|d| d.name.eq_ignore_ascii_case(name) && d.interval_ms == interval_ms)
    };
    find(task).or_else(|| {
        if task.starts_with("migrate") {
            find("migrate")
        } else if task.contains("notify") {
            find("notify")
        } else {
            None
        }
    })
}

/// The enabled monitor with the shortest non-zero interval (its timeout is
/// the default timeout of probes).
fn shortest_monitor(ops: &[OpDef]) -> Option<&OpDef> {
    let mut best: Option<&OpDef> = None;
    for d in ops {
        if !d.enabled || !d.name.eq_ignore_ascii_case("monitor") || d.interval_ms == 0 {
            continue;
        }
        if best.map(|b| d.interval_ms < b.interval_ms).unwrap_or(true) {
            best = Some(d);
        }
    }
    best
}

/// Fills in an action's operation key, meta-data and timeout (Pacemaker's
/// unpack_operation, for what the transition graph shows).
pub fn describe_operation(ws: &WorkingSet, action: &mut Action, rsc: RscIdx) {
    let res = &ws.resources[rsc];
    let key_task = action
        .cancel_task
        .clone()
        .unwrap_or_else(|| action.task.clone());
    // An anonymous clone instance known by another name in the history is
    // addressed by that name (Pacemaker's clone_op_key).
    let name = res.clone_name.as_deref().unwrap_or(&res.id);
    action.op_key = format!("{}_{}_{}", name, key_task, action.interval_ms);
    let mut meta: BTreeMap<String, String> =
        operation_defaults(ws, rsc, &key_task, action.interval_ms).into_iter().collect();
    if key_task == "monitor" && action.interval_ms == 0 {
        if let Some(timeout) = shortest_monitor(&res.ops).and_then(|d| d.meta.get("timeout")) {
            meta.insert("timeout".to_string(), timeout.clone());
        }
    }
    if let Some(def) = op_definition(&res.ops, &key_task, action.interval_ms) {
        meta.extend(def.meta.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if action.interval_ms > 0 {
        meta.insert("interval".to_string(), action.interval_ms.to_string());
    } else {
        meta.remove("interval");
    }
    let timeout = meta
        .get("timeout")
        .and_then(|v| msec(v))
        .unwrap_or(DEFAULT_TIMEOUT_MS);
    meta.insert("timeout".to_string(), timeout.to_string());
    action.timeout_ms = timeout;
    action.op_meta = meta;
}

/// The op_defaults meta-attributes that apply to one operation of a
/// resource (their rules may name its agent and the operation).
pub fn operation_defaults(ws: &WorkingSet, rsc: RscIdx, task: &str, interval_ms: u64) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(defaults) = &ws.op_defaults else { return out };
    let res = &ws.resources[rsc];
    let subject = RuleSubject {
        resource: Some(ResourceAgent {
            class: &res.class,
            provider: res.provider.as_deref(),
            agent: &res.agent,
        }),
        operation: Some(OperationKind { name: task, interval_ms }),
    };
    let ctx = RuleContext { node_attrs: None, now: Some(ws.now) };
    collect_nvpairs_for(defaults, "meta_attributes", &ctx, &subject, &mut out);
    out
}

/// Whether an anonymous clone's instances share their history (Pacemaker's
/// "not unique" resources): Stopped-role monitors don't apply to them.
fn is_unique(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.enclosing_clone(r)
        .map(|c| ws.resources[c].clone.unique)
        .unwrap_or(true)
}

/// A configured recurring operation, validated as Pacemaker does.
struct Recurring {
    name: String,
    interval_ms: u64,
    role: Role,
}

fn recurring_definitions(ops: &[OpDef]) -> Vec<Recurring> {
    let mut out = Vec::new();
    for d in ops {
        if d.interval_ms == 0 || d.id.is_empty() || NEVER_RECURRING.contains(&d.name.as_str()) {
            continue;
        }
        // A name and interval configured more than once is ignored entirely.
        let same = ops
            .iter()
            .filter(|o| o.name == d.name && o.interval_ms == d.interval_ms && !o.id.is_empty())
            .count();
        if same > 1 || !d.enabled {
            continue;
        }
        out.push(Recurring {
            name: d.name.clone(),
            interval_ms: d.interval_ms,
            role: d.role.unwrap_or(Role::Unknown),
        });
    }
    out
}

impl Builder<'_> {
    /// The recurring operations the history shows running, as optional
    /// actions where they run (Pacemaker creates them while unpacking the
    /// history): scheduling them again where the resource stays is finding
    /// them, and one on a node the resource leaves can still be required
    /// by what it is ordered after.
    pub fn create_running_recurring(&mut self) {
        for r in 0..self.ws.resources.len() {
            let running: Vec<(NodeIdx, String, u64)> = self.ws.resources[r]
                .active_recurring
                .iter()
                .map(|a| (a.node, a.task.clone(), a.interval_ms))
                .collect();
            // Placed nowhere, it runs no recurring operation anywhere.
            let placed = self.ws.resources[r].assigned_to.is_some();
            for (node, task, interval_ms) in running {
                let op = self.resource_operation(r, &task, Some(node), interval_ms, true);
                self.plan.actions[op].found_running = true;
                if !placed {
                    self.plan.actions[op].runnable = false;
                    self.unrunnable_until_rescheduled.insert(op);
                }
            }
        }
    }

    /// Whether the history shows this recurring operation active on `node`.
    fn recurring_active_on(&self, r: RscIdx, node: NodeIdx, op: &Recurring) -> bool {
        self.ws.resources[r]
            .active_recurring
            .iter()
            .any(|a| a.node == node && a.task == op.name && a.interval_ms == op.interval_ms)
    }

    /// Orders every `task` action of `first` (any node) before `then`.
    fn order_rsc_task_before(&mut self, first: RscIdx, task: &str, then: usize, flags: u32) {
        for f in self.plan.rsc_actions(first, task) {
            if self.plan.actions[f].interval_ms == 0 {
                self.plan.order(f, then, flags);
            }
        }
    }

    /// A required cancellation of a recurring operation on a node.
    pub(crate) fn cancel_operation(
        &mut self,
        r: RscIdx,
        task: &str,
        interval_ms: u64,
        node: NodeIdx,
    ) -> usize {
        if let Some(i) = self
            .plan
            .find_interval(Some(r), "cancel", Some(node), interval_ms)
        {
            return i;
        }
        let mut action = Action {
            rsc: Some(r),
            task: "cancel".to_string(),
            node: Some(node),
            optional: false,
            runnable: self.ws.nodes[node].online && !self.ws.nodes[node].pending,
            interval_ms,
            cancel_task: Some(task.to_string()),
            ..Default::default()
        };
        describe_operation(self.ws, &mut action, r);
        action
            .op_meta
            .entry("operation".to_string())
            .or_insert_with(|| task.to_string());
        self.plan.add_raw(action)
    }

    /// Creates the recurring operations of a primitive (Pacemaker's
    /// pcmk__create_recurring_actions).
    pub fn create_recurring_actions(&mut self, r: RscIdx) {
        let res = &self.ws.resources[r];
        if res.variant != Variant::Primitive || res.blocked || res.maintenance {
            return;
        }
        let assigned = res.assigned_to;
        let mut start = None;
        if let Some(node) = assigned {
            if !self.ws.nodes[node].maintenance && (res.next_role != Role::Stopped || !res.managed)
            {
                start = Some(self.resource_action(r, "start", Some(node), true));
            }
        }
        for op in recurring_definitions(&self.ws.resources[r].ops) {
            if let (Some(start), Some(node)) = (start, assigned) {
                self.recurring_for_active_role(r, start, node, &op);
            }
            self.recurring_for_stopped_role(r, assigned, &op);
        }
    }

    fn recurring_for_active_role(
        &mut self,
        r: RscIdx,
        start: usize,
        node: NodeIdx,
        op: &Recurring,
    ) {
        if op.role == Role::Stopped {
            return;
        }
        let is_optional = self.plan.actions[start].optional
            && self.recurring_active_on(r, node, op)
            && !self.is_rescheduled(r, node, &op.name, op.interval_ms);
        let (role, next_role) = (self.ws.resources[r].role, self.ws.resources[r].next_role);
        let role_mismatch = (op.role != Role::Unknown && next_role != op.role)
            || (op.role == Role::Unknown && next_role == Role::Promoted);
        if role_mismatch {
            if is_optional {
                // Running in a role it no longer applies to: cancel it first.
                let cancel = self.cancel_operation(r, &op.name, op.interval_ms, node);
                let before = match role {
                    Role::Unpromoted | Role::Started if next_role == Role::Promoted => {
                        Some("promote")
                    }
                    Role::Unpromoted | Role::Started if next_role == Role::Stopped => Some("stop"),
                    Role::Promoted => Some("demote"),
                    _ => None,
                };
                if let Some(task) = before {
                    for t in self.plan.rsc_actions(r, task) {
                        self.plan.order(cancel, t, of::RUNNABLE_LEFT);
                    }
                }
            }
            return;
        }
        let mon = self.resource_operation(r, &op.name, Some(node), op.interval_ms, is_optional);
        let n = &self.ws.nodes[node];
        if !self.plan.actions[start].runnable || !n.online || n.unclean {
            self.plan.actions[mon].runnable = false;
        }
        if next_role == Role::Promoted {
            self.plan.actions[mon].target_rc = Some(RC_PROMOTED);
        }
        if self.ws.resources[r].managed {
            self.order_rsc_task_before(r, "start", mon, of::IMPLIES_THEN | of::RUNNABLE_LEFT);
            if next_role == Role::Promoted {
                self.order_rsc_task_before(r, "promote", mon, of::RUNNABLE_LEFT);
            } else if role == Role::Promoted {
                self.order_rsc_task_before(r, "demote", mon, of::RUNNABLE_LEFT);
            }
        }
    }

    fn recurring_for_stopped_role(&mut self, r: RscIdx, assigned: Option<NodeIdx>, op: &Recurring) {
        if op.role != Role::Stopped || !is_unique(self.ws, r) {
            return;
        }
        for node in 0..self.ws.nodes.len() {
            if Some(node) == assigned {
                // It will be active here: a running Stopped-role monitor goes.
                if self.recurring_active_on(r, node, op) {
                    let cancel = self.cancel_operation(r, &op.name, op.interval_ms, node);
                    let next_role = self.ws.resources[r].next_role;
                    if matches!(next_role, Role::Started | Role::Unpromoted) {
                        for t in self.plan.rsc_actions(r, "start") {
                            self.plan.order(cancel, t, of::RUNNABLE_LEFT);
                        }
                    }
                }
                continue;
            }
            let is_optional = self.recurring_active_on(r, node, op);
            let mon = self.resource_operation(r, &op.name, Some(node), op.interval_ms, is_optional);
            self.plan.actions[mon].target_rc = Some(RC_NOT_RUNNING);
            let managed = self.ws.resources[r].managed;
            if managed {
                let probes: Vec<usize> = self
                    .plan
                    .rsc_actions(r, "monitor")
                    .into_iter()
                    .filter(|&p| {
                        self.plan.actions[p].is_probe && self.plan.actions[p].node == Some(node)
                    })
                    .collect();
                for p in probes {
                    self.plan.order(p, mon, of::RUNNABLE_LEFT);
                }
            }
            // Not before the resource has stopped there.
            let stops: Vec<usize> = self
                .plan
                .rsc_actions(r, "stop")
                .into_iter()
                .filter(|&s| self.plan.actions[s].node == Some(node))
                .collect();
            for stop in stops {
                let (stop_optional, stop_runnable) = (
                    self.plan.actions[stop].optional,
                    self.plan.actions[stop].runnable,
                );
                if !stop_optional && !self.plan.actions[mon].optional && !managed {
                    self.plan.actions[mon].optional = true;
                }
                if !stop_runnable {
                    self.plan.actions[mon].runnable = false;
                }
                if managed {
                    self.plan
                        .order(stop, mon, of::IMPLIES_THEN | of::RUNNABLE_LEFT);
                }
            }
            let n = &self.ws.nodes[node];
            if !n.online || n.unclean {
                self.plan.actions[mon].runnable = false;
            }
        }
    }
}
