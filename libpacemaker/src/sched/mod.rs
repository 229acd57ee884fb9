//! Scheduling: from an unpacked working set to placement and a plan of actions.

pub mod actions;
pub mod anti_colocation;
pub mod assign;
pub mod bundle;
pub mod config_changes;
pub mod digests;
pub mod discovery;
pub mod fencing;
pub mod guest;
pub mod interleave;
pub mod list_sort;
pub mod migration;
pub mod monitors;
pub mod notify;
pub mod probes;
pub mod promote;
pub mod promotion_scores;
pub mod remote;
pub mod shutdown;
pub mod unfencing;
pub mod shutdown_lock;

use libcrmcommon::xml::Element;

use crate::model::{Colocation, RscIdx, Variant, WorkingSet};
use crate::options::is_true;
use crate::score::{self, INFINITY};
use actions::{Builder, Plan};

/// The task a collective's completion pseudo-action stands for ("running"
/// for "start", ...), as its members do it; other tasks are themselves.
pub(crate) fn member_task(task: &str) -> &str {
    match task {
        "running" => "start",
        "stopped" => "stop",
        "promoted" => "promote",
        "demoted" => "demote",
        other => other,
    }
}

/// What the scheduler decided.
#[derive(Debug, Default)]
pub struct Schedule {
    pub plan: Plan,
    /// Top-level resources in the order they were placed (also the order
    /// of the transition summary).
    pub order: Vec<RscIdx>,
    /// Allocation score lines as crm_simulate -s prints them (unsorted).
    pub scores: String,
    /// Messages crm_simulate prints before the scores in its plain layout
    /// (changes of private parameters alone), one per line.
    pub notices: String,
    /// Node capacity and resource utilization lines (crm_simulate -U).
    pub utilization: String,
    /// Score and utilization lines interleaved (crm_simulate -s -U).
    pub assignment_log: String,
}

fn add_group_colocations(ws: &mut WorkingSet) {
    for g in 0..ws.resources.len() {
        if ws.resources[g].variant != Variant::Group {
            continue;
        }
        let colocated = ws.resources[g]
            .meta
            .get("collocated")
            .map(|v| is_true(v))
            .unwrap_or(true);
        if !colocated {
            continue;
        }
        let children = ws.resources[g].children.clone();
        for w in children.windows(2) {
            let influence = ws.resources[w[1]]
                .meta
                .get("critical")
                .map(|v| is_true(v))
                .unwrap_or(true);
            ws.colocations.push(Colocation {
                id: "group:internal_colocation".to_string(),
                dependent: w[1],
                primary: w[0],
                score: INFINITY,
                dependent_role: crate::model::Role::Unknown,
                primary_role: crate::model::Role::Unknown,
                node_attribute: None,
                influence,
            });
        }
    }
}

fn apply_stickiness(ws: &mut WorkingSet) {
    for r in 0..ws.resources.len() {
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive
            || !res.managed
            || res.stickiness < 1
            || res.running_on.len() != 1
        {
            continue;
        }
        let node = res.running_on[0];
        if !ws.options.symmetric_cluster && !res.allowed.contains_key(&node) {
            continue;
        }
        let stickiness = res.stickiness;
        let entry = ws.resources[r].allowed.entry(node).or_insert(0);
        *entry = score::add(*entry, stickiness);
    }
}

fn apply_failure_thresholds(ws: &mut WorkingSet, failcounts_cleared: &[(RscIdx, usize)]) {
    for r in 0..ws.resources.len() {
        if ws.resources[r].variant != Variant::Primitive || ws.resources[r].failure_ignored {
            continue;
        }
        let threshold = ws.resources[r].migration_threshold;
        if threshold <= 0 {
            continue;
        }
        let anonymous = ws
            .enclosing_clone(r)
            .map(|c| !ws.resources[c].clone.unique)
            .unwrap_or(false);
        let target = if anonymous { ws.top_parent(r) } else { r };
        let mut nodes: Vec<usize> = Vec::new();
        collect_failed_nodes(ws, r, &mut nodes);
        let counts: Vec<(usize, i64)> = nodes.into_iter().map(|n| (n, failcount_with_fillers(ws, r, n))).collect();
        for (node, count) in counts {
            // A fail count about to be cleared doesn't count.
            if failcounts_cleared.contains(&(r, node)) {
                continue;
            }
            let threshold = i64::from(threshold);
            if count > 0 && count >= threshold {
                // As with any location score, a clone's instances (and a
                // group's members) are banned along with it.
                for banned in all_resources_in_order(ws, &[target]) {
                    ws.resources[banned].allowed.insert(node, -INFINITY);
                }
            }
        }
    }
}

/// A container's fail count includes the failures of what runs inside it
/// (a guest node's connection failing makes its container move too).
fn failcount_with_fillers(ws: &WorkingSet, r: RscIdx, node: usize) -> i64 {
    let own = i64::from(ws.resources[r].failcount.get(&node).copied().unwrap_or(0));
    ws.resources[r].fillers.iter().fold(own, |sum, &f| sum + failcount_with_fillers(ws, f, node))
}

/// The nodes where a resource or anything inside it has a fail count.
fn collect_failed_nodes(ws: &WorkingSet, r: RscIdx, out: &mut Vec<usize>) {
    for &n in ws.resources[r].failcount.keys() {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    for &f in &ws.resources[r].fillers {
        collect_failed_nodes(ws, f, out);
    }
}

/// Remote connections and fencing devices never run on Pacemaker Remote
/// nodes (no nested connections; remote nodes run no fence agents).
fn keep_off_remote_nodes(ws: &mut WorkingSet) {
    for r in 0..ws.resources.len() {
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive || !res.managed || !(res.is_remote_connection || res.is_stonith) {
            continue;
        }
        for n in 0..ws.nodes.len() {
            if ws.nodes[n].remote_rsc.is_some() {
                if let Some(score) = ws.resources[r].allowed.get_mut(&n) {
                    *score = -INFINITY;
                }
            }
        }
    }
}

fn all_resources_in_order(ws: &WorkingSet, top: &[RscIdx]) -> Vec<RscIdx> {
    fn walk(ws: &WorkingSet, r: RscIdx, out: &mut Vec<RscIdx>) {
        out.push(r);
        for &c in &ws.resources[r].children {
            walk(ws, c, out);
        }
    }
    let mut out = Vec::new();
    for &r in top {
        walk(ws, r, &mut out);
    }
    out
}

/// The fencing notices made before the definition checks, those checks'
/// notices, then the later fencing notices.
fn notices_in_order(fencing: &[String], early: usize, definitions: &[String]) -> String {
    let (before, after) = fencing.split_at(early);
    before.iter().chain(definitions).chain(after).map(String::as_str).collect()
}

/// Places resources and plans the actions to get there.
pub fn schedule(ws: &mut WorkingSet, cib: &Element) -> Schedule {
    crate::health::apply_node_health(ws);
    shutdown_lock::apply_shutdown_locks(ws);
    crate::unpack::unpack_constraints(ws, cib);
    let definition_changes = digests::check_definitions(ws, cib);
    add_group_colocations(ws);
    bundle::add_bundle_colocations(ws);
    apply_stickiness(ws);
    apply_failure_thresholds(ws, &definition_changes.failures_with_old_parameters);
    keep_off_remote_nodes(ws);
    guest::container_placement(ws);
    discovery::ban_outside_exclusive_discovery(ws);

    let (order, scores, (utilization, assignment_log)) = {
        let mut placement = assign::Placement::new(ws);
        placement.assign_all();
        placement.log_capacities("Remaining");
        (placement.order(), placement.scores(), placement.utilization_logs())
    };

    let all = all_resources_in_order(ws, &order);
    let fence_device_digests = digests::fence_device_digests(ws, cib);
    let failures_with_changed_parameters = digests::failures_with_changed_parameters(ws, cib, &definition_changes);
    let mut builder = Builder::new(ws);
    builder.fence_device_digests = fence_device_digests;
    builder.create_running_recurring();
    builder.demote_after_failures();
    builder.schedule_fencing();
    builder.create_unfencing();
    builder.clear_expired_fail_counts();
    for (r, node) in failures_with_changed_parameters {
        builder.clear_fail_count(r, node, Some("resource parameters have changed"));
    }
    let probe_orders = builder.schedule_probes();
    // Pacemaker makes the fencing actions so far (while unpacking and with
    // its internal constraints) before it checks definitions: their notices
    // come first.
    let early_fencing_notices = builder.fencing_notices.len();
    builder.apply_definition_changes(&definition_changes);
    for &r in &all {
        match builder.ws.resources[r].variant {
            Variant::Primitive => {
                builder.create_primitive_actions(r);
                builder.create_recurring_actions(r);
            }
            _ => builder.create_collective_actions(r),
        }
    }
    builder.note_clone_changes_at_creation();
    for &r in &all {
        builder.require_clone_role_changes(r);
    }
    builder.create_utilization_orderings();
    builder.cancel_stale_recurring();
    builder.clean_up_orphans();
    builder.clean_up_changed_agents(&definition_changes);
    builder.clear_unlocked_histories();
    builder.clear_orphan_failcounts();
    builder.schedule_shutdowns();
    // Pacemaker orders starts after unfencing as it creates them, before
    // any other ordering (the newest orderings are considered first).
    builder.order_unfencing();
    // Orderings needing only some instances of a clone are made while the
    // configuration is unpacked, before the internal ones.
    let orders = builder.ws.orders.clone();
    for o in orders.iter().filter(|o| o.min_first_instances > 0) {
        builder.order_clone_min(&o.id, o.first, &o.first_task, o.then, &o.then_task, o.flags, o.min_first_instances);
    }
    builder.internal_orderings_begin = builder.plan.orderings.len();
    // A group or clone orders its members itself, each member's own
    // orderings first; a bundle its members too, among its own orderings.
    let ordered_alone: Vec<RscIdx> = all
        .iter()
        .copied()
        .filter(|&r| builder.ws.resources[r].parent.is_none() && !bundle::is_inside_bundle(builder.ws, r))
        .collect();
    for r in ordered_alone {
        builder.internal_orderings(r);
    }
    builder.order_probes(&probe_orders);
    builder.applying_configured_orderings = true;
    let configured_begin = builder.plan.orderings.len();
    for o in orders.iter().filter(|o| o.min_first_instances == 0) {
        builder.order_tasks(o.first, &o.first_task, o.then, &o.then_task, o.flags);
    }
    for gate in builder.ws.set_gates.clone() {
        builder.order_set_gate(&gate);
    }
    builder.applying_configured_orderings = false;
    builder.configured_orderings = configured_begin..builder.plan.orderings.len();
    builder.order_remote_connection_actions();
    builder.fence_guests();
    // Stops implied by fencing are pseudo-actions before probes are ordered
    // (Pacemaker schedules fencing before it applies orderings).
    builder.apply_fencing_to_stops();
    // Pacemaker creates these when it unpacks the colocation, so probes are
    // ordered against them like against any other ordering.
    anti_colocation::order_anti_colocations(&mut builder);
    builder.order_probes_before_restarts();
    builder.order_connection_probes_of_stopped_containers();
    builder.propagate();
    builder.order_connection_probes_of_active_containers();
    builder.cancel_superseded_reloads(&definition_changes);
    builder.settle_migrations();
    builder.create_notifications();
    fencing::order_fencing(builder.ws, &mut builder.plan);
    shutdown::order_shutdowns(builder.ws, &mut builder.plan);
    guest::disable_guest_container_orderings(builder.ws, &mut builder.plan);
    migration::break_load_loops(builder.ws, &mut builder.plan);
    Schedule {
        plan: builder.plan,
        order,
        scores,
        notices: notices_in_order(&builder.fencing_notices, early_fencing_notices, &definition_changes.notices),
        utilization,
        assignment_log,
    }
}
