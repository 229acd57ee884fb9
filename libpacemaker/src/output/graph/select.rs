//! Which actions become synapses, in which order, and which orderings become
//! their inputs (Pacemaker 2.1.5's rules for the transition graph).

use std::collections::BTreeMap;

use crate::model::{order_flags as of, RscIdx, Variant, WorkingSet};
use crate::sched::actions::{Action, Plan};
use crate::sched::Schedule;

use super::view;
use crate::output::status::natural_cmp;

/// Graph ids of the plan's actions, numbered from 1 in the order Pacemaker
/// would have created them: pseudo-actions of resource sets while unpacking
/// constraints, then probes (node by node, nodes in name order), then each
/// resource's actions, then fencing.
pub(super) fn action_ids(ws: &WorkingSet, schedule: &Schedule) -> Vec<u64> {
    let plan = &schedule.plan;
    let node_rank = node_name_ranks(ws);
    let rsc_rank = resource_ranks(ws, schedule);
    let phase = |i: usize| -> (u8, usize, usize) {
        let a = &plan.actions[i];
        let on_node = a.node.map(|n| node_rank[n]).unwrap_or(0);
        match a.rsc {
            // Created while unpacking constraints and creating implicit ones.
            None if a.pseudo && a.task.contains("one-or-more:") => (0, 0, i),
            None if a.pseudo && a.task.starts_with("load_stopped_") => (0, 0, i),
            Some(_) if a.found_running => (0, 0, i),
            Some(_) if a.is_probe => (1, on_node, i),
            // A primitive's action without a node was created on demand by
            // an ordering, after every resource had created its own.
            Some(r) if a.node.is_none() && ws.resources[r].variant == Variant::Primitive => {
                (3, 0, i)
            }
            Some(r) => (2, rsc_rank[r], i),
            None if a.task == view::FENCE_TASK || a.task == view::SHUTDOWN_TASK => {
                (4, on_node, i)
            }
            None => (5, 0, i),
        }
    };
    let mut order: Vec<usize> = (0..plan.actions.len()).collect();
    order.sort_by_key(|&i| phase(i));
    let mut ids = vec![0; plan.actions.len()];
    for (position, &i) in order.iter().enumerate() {
        ids[i] = position as u64 + 1;
    }
    ids
}

/// The order in which resources create their actions: top-level resources
/// in placement order, and within each, children before their parent.
fn resource_ranks(ws: &WorkingSet, schedule: &Schedule) -> Vec<usize> {
    fn walk(ws: &WorkingSet, r: RscIdx, next: &mut usize, rank: &mut [usize]) {
        for &c in &ws.resources[r].children {
            walk(ws, c, next, rank);
        }
        rank[r] = *next;
        *next += 1;
    }
    let mut rank = vec![usize::MAX; ws.resources.len()];
    let mut next = 0;
    for &r in schedule.order.iter().chain(ws.top_level.iter()) {
        if rank[r] == usize::MAX {
            walk(ws, r, &mut next, &mut rank);
        }
    }
    rank
}

/// Each node's position when nodes are sorted by name as Pacemaker sorts them.
fn node_name_ranks(ws: &WorkingSet) -> Vec<usize> {
    let mut nodes: Vec<usize> = (0..ws.nodes.len()).collect();
    nodes.sort_by(|&a, &b| natural_cmp(&ws.nodes[a].uname, &ws.nodes[b].uname));
    let mut rank = vec![0; ws.nodes.len()];
    for (position, &n) in nodes.iter().enumerate() {
        rank[n] = position;
    }
    rank
}

/// Which actions the graph must show even though they are optional: the
/// collective pseudo-actions around required member actions (Pacemaker's
/// "print always", from the *_PRINTED ordering flags). Judged on the final
/// flags (collective actions are required as their members are by then):
/// the scheduler's own `print_always`, set while flags still change, can
/// mark actions whose reason later went away.
pub(crate) fn shown_anyway(ws: &WorkingSet, plan: &Plan) -> Vec<bool> {
    let mut shown = vec![false; plan.actions.len()];
    for o in &plan.orderings {
        let first = &plan.actions[o.first];
        if o.flags & of::IMPLIES_THEN_PRINTED != 0 && first.runnable && !first.optional {
            shown[o.then] = true;
        }
        if o.flags & of::IMPLIES_FIRST_PRINTED != 0 && requires_showing_first(ws, plan, o.then) {
            shown[o.first] = true;
        }
    }
    for (i, a) in plan.actions.iter().enumerate() {
        if represents_pending_start(ws, a) {
            shown[i] = true;
        }
    }
    shown
}

/// Whether a required action shows what is ordered before it. A clone's
/// start that only became required late, because instances' starts that
/// cannot run became required, was weighed by Pacemaker while still optional
/// (nothing about it changes after, so it is not weighed again). A
/// promotable clone's start is weighed again as its demotions settle (seen
/// in bundle-order-stop-clone; an approximation of Pacemaker's order of
/// updates, which no-promote-on-unrunnable-guest shows is not the whole
/// story).
fn requires_showing_first(ws: &WorkingSet, plan: &Plan, then: usize) -> bool {
    let a = &plan.actions[then];
    if a.optional {
        return false;
    }
    let (true, Some(r)) = (a.required_too_late_to_show_first, a.rsc) else { return true };
    if ws.resources[r].clone.promotable {
        return true;
    }
    ws.primitives_of(r).into_iter().flat_map(|p| plan.rsc_actions(p, "start")).any(|i| {
        let start = &plan.actions[i];
        !start.optional && start.runnable
    })
}

/// The start standing for one already in progress where the resource stays
/// (Pacemaker's create_pending_start shows it always).
fn represents_pending_start(ws: &WorkingSet, a: &Action) -> bool {
    let Some(r) = a.rsc else { return false };
    let res = &ws.resources[r];
    res.start_pending && a.task == "start" && a.node.is_some() && a.node == res.assigned_to
}

/// Whether an action is part of the graph (Pacemaker's should_add_action_to_graph).
pub(super) fn in_graph(ws: &WorkingSet, a: &Action, shown: bool) -> bool {
    if !a.runnable || (a.optional && !shown) {
        return false;
    }
    if let Some(r) = a.rsc {
        // Unmanaged resources keep only their monitors (and cancellations of
        // recurring ones).
        if !ws.resources[r].managed && a.task != "monitor" && view::interval_ms(a) == 0 {
            return false;
        }
    }
    if a.pseudo || a.task == view::FENCE_TASK || a.task == view::SHUTDOWN_TASK {
        return true;
    }
    // The controller deletes history itself, whatever the node's state.
    if a.task == view::CLEAR_HISTORY_TASK {
        return a.node.is_some();
    }
    let Some(n) = a.node else {
        return false;
    };
    let node = &ws.nodes[n];
    node.online && !node.unclean
}

/// The order synapses are written in: each placed resource's actions (most
/// recently created first), then its children's, then the actions that
/// belong to no resource (most recent first).
pub(super) fn synapse_order(
    ws: &WorkingSet,
    schedule: &Schedule,
    ids: &[u64],
    shown: &[bool],
) -> Vec<usize> {
    let plan = &schedule.plan;
    let mut by_rsc: BTreeMap<RscIdx, Vec<usize>> = BTreeMap::new();
    let mut others = Vec::new();
    let mut newest_first: Vec<usize> = (0..plan.actions.len()).collect();
    newest_first.sort_by_key(|&i| std::cmp::Reverse(ids[i]));
    for i in newest_first {
        let a = &plan.actions[i];
        match a.rsc {
            Some(r) => by_rsc.entry(r).or_default().push(i),
            None => others.push(i),
        }
    }
    fn walk(ws: &WorkingSet, r: RscIdx, by_rsc: &BTreeMap<RscIdx, Vec<usize>>, out: &mut Vec<usize>) {
        if let Some(list) = by_rsc.get(&r) {
            out.extend(list);
        }
        for &c in &ws.resources[r].children {
            walk(ws, c, by_rsc, out);
        }
    }
    let mut out = Vec::new();
    let mut seen_top = Vec::new();
    for &r in schedule.order.iter().chain(ws.top_level.iter()) {
        if !seen_top.contains(&r) {
            seen_top.push(r);
            walk(ws, r, &by_rsc, &mut out);
        }
    }
    out.extend(others);
    out.retain(|&i| in_graph(ws, &plan.actions[i], shown[i]));
    out
}

/// The actions that must complete before action `then` may start, in id
/// order (Pacemaker's should_add_input_to_graph over de-duplicated inputs).
pub(super) fn inputs(
    ws: &WorkingSet,
    plan: &Plan,
    ids: &[u64],
    shown: &[bool],
    then: usize,
) -> Vec<usize> {
    // Several orderings between the same pair count as one with all their flags.
    let mut merged: BTreeMap<u64, (usize, u32)> = BTreeMap::new();
    for o in plan.orderings_into(then) {
        merged
            .entry(ids[o.first])
            .or_insert((o.first, 0))
            .1 |= o.flags;
    }
    merged
        .into_values()
        .filter(|&(first, flags)| {
            // An optional input the graph doesn't show can't hold anything up.
            let shown_or_required = !plan.actions[first].optional || shown[first];
            shown_or_required
                && input_counts(ws, &plan.actions[first], &plan.actions[then], flags)
        })
        .map(|(first, _)| first)
        .collect()
}

/// Whether "first" would be written as an input of "then" for an ordering
/// with these flags (Pacemaker's should_add_input_to_graph), given which
/// actions the graph shows anyway ([`shown_anyway`]).
pub(crate) fn input_used(ws: &WorkingSet, plan: &Plan, shown: &[bool], first: usize, then: usize, flags: u32) -> bool {
    let shown_or_required = !plan.actions[first].optional || shown[first];
    shown_or_required && input_counts(ws, &plan.actions[first], &plan.actions[then], flags)
}

fn input_counts(
    ws: &WorkingSet,
    first: &Action,
    then: &Action,
    flags: u32,
) -> bool {
    let only_printing = flags & !(of::IMPLIES_FIRST_PRINTED | of::IMPLIES_THEN_PRINTED) == 0;
    if !first.runnable && only_printing {
        // An optional ordering after something that won't happen.
        return false;
    }
    if !first.runnable && flags & of::ONE_OR_MORE != 0 {
        return false;
    }
    if flags & of::IMPLIES_FIRST_MIGRATABLE != 0 && !first.runnable {
        return false;
    }
    if flags & of::APPLY_FIRST_NON_MIGRATABLE != 0 && first.migrate_runnable {
        // The ordering was meant for a start or stop that a migration replaced.
        return false;
    }
    if flags == of::OPTIONAL && first.migrate_runnable && first.task == "stop" {
        // The source's stop only confirms a migration; nothing waits for it
        // optionally.
        return false;
    }
    if flags == of::LOAD {
        // Capacity matters only on the node where it is freed and used:
        // for a migrate_to, the node the resource migrates to.
        let used_on = if then.task == "migrate_to" {
            then.rsc.and_then(|r| ws.resources[r].assigned_to)
        } else {
            then.node
        };
        if first.node.is_none() || first.node != used_on || first.optional {
            return false;
        }
    }
    if flags == of::ANTI_COLOCATION {
        if let (Some(a), Some(b)) = (first.node, then.node) {
            if a != b {
                return false;
            }
        }
        if first.optional {
            return false;
        }
    }
    if let (Some(fr), Some(tr)) = (first.rsc, then.rsc) {
        let f = &ws.resources[fr];
        // Unmanaged failed resources cannot prevent a clone's shutdown.
        if fr != tr
            && f.failed
            && !f.managed
            && first.task == "stop"
            && view::interval_ms(first) == 0
            && is_clone(ws, tr)
        {
            return false;
        }
    }
    true
}

/// Pacemaker's pe_rsc_is_clone: the clone itself (its actions are the
/// clone's pseudo-actions).
fn is_clone(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.resources[r].variant == Variant::Clone
}
