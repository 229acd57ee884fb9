//! Which actions become synapses, in which order, and which orderings become
//! their inputs (Pacemaker 2.1.5's rules for the transition graph).

use std::collections::BTreeMap;

use crate::model::{order_flags as of, RscIdx, Variant, WorkingSet};
use crate::sched::actions::{Action, Plan};
use crate::sched::Schedule;

use super::view;

/// Graph ids of the plan's actions: numbered from 1 in creation order, as
/// Pacemaker numbers actions.
pub(super) fn action_ids(plan: &Plan) -> Vec<u64> {
    (1..=plan.actions.len() as u64).collect()
}

/// Which actions the graph must show even though they are optional: the
/// collective pseudo-actions around required member actions (Pacemaker's
/// "print always", from the *_PRINTED ordering flags).
pub(super) fn shown_anyway(ws: &WorkingSet, plan: &Plan) -> Vec<bool> {
    let mut shown = vec![false; plan.actions.len()];
    for o in &plan.orderings {
        let first = &plan.actions[o.first];
        if o.flags & of::IMPLIES_THEN_PRINTED != 0
            && first.runnable
            && !effectively_optional(ws, plan, o.first)
        {
            shown[o.then] = true;
        }
        if o.flags & of::IMPLIES_FIRST_PRINTED != 0 && !effectively_optional(ws, plan, o.then) {
            shown[o.first] = true;
        }
    }
    shown
}

/// Whether an action is optional, judging a collective action by its
/// members' corresponding actions too.
fn effectively_optional(ws: &WorkingSet, plan: &Plan, i: usize) -> bool {
    let a = &plan.actions[i];
    if !a.optional {
        return false;
    }
    let Some(r) = a.rsc else { return true };
    if ws.resources[r].variant == Variant::Primitive {
        return true;
    }
    let task = match a.task.as_str() {
        "running" => "start",
        "stopped" => "stop",
        "promoted" => "promote",
        "demoted" => "demote",
        t => t,
    };
    ws.primitives_of(r)
        .into_iter()
        .flat_map(|p| plan.rsc_actions(p, task))
        .all(|m| plan.actions[m].optional)
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
    let Some(n) = a.node else {
        return false;
    };
    let node = &ws.nodes[n];
    node.online && !node.unclean
}

/// The order synapses are written in: each placed resource's actions (most
/// recently created first), then its children's, then the actions that
/// belong to no resource (most recent first).
pub(super) fn synapse_order(ws: &WorkingSet, schedule: &Schedule, shown: &[bool]) -> Vec<usize> {
    let plan = &schedule.plan;
    let mut by_rsc: BTreeMap<RscIdx, Vec<usize>> = BTreeMap::new();
    let mut others = Vec::new();
    for (i, a) in plan.actions.iter().enumerate().rev() {
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
            input_counts(ws, &plan.actions[first], &plan.actions[then], flags)
                && !(plan.actions[first].optional && !shown[first])
        })
        .map(|(first, _)| first)
        .collect()
}

fn input_counts(ws: &WorkingSet, first: &Action, then: &Action, flags: u32) -> bool {
    let only_printing = flags & !(of::IMPLIES_FIRST_PRINTED | of::IMPLIES_THEN_PRINTED) == 0;
    if !first.runnable && only_printing {
        // An optional ordering after something that won't happen.
        return false;
    }
    if !first.runnable && flags & of::ONE_OR_MORE != 0 {
        return false;
    }
    if flags & of::ANTI_COLOCATION != 0 {
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
