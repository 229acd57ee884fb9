//! With a placement strategy other than "default", resources that consume
//! utilization free capacity before others take it: each node gets a
//! "load_stopped_<node>" pseudo-action after the stops there and before the
//! starts (Pacemaker's pcmk__create_utilization_constraints). The graph
//! keeps these orderings only between actions on the same node.

use crate::model::{order_flags as of, NodeIdx, RscIdx, Variant, WorkingSet};
use crate::output::status::natural_cmp;

use super::actions::{Action, Plan};

/// The node's load_stopped pseudo-action, created on first use.
fn load_stopped(ws: &WorkingSet, plan: &mut Plan, node: NodeIdx) -> usize {
    let task = format!("load_stopped_{}", ws.nodes[node].uname);
    if let Some(i) = plan.find(None, &task, Some(node)) {
        return i;
    }
    plan.add_raw(Action {
        task,
        node: Some(node),
        pseudo: true,
        runnable: true,
        ..Default::default()
    })
}

/// Primitives in configuration order.
fn primitives_in_config_order(ws: &WorkingSet) -> Vec<RscIdx> {
    ws.top_level
        .iter()
        .flat_map(|&r| ws.primitives_of(r))
        .collect()
}

/// Adds the load_stopped pseudo-actions and their orderings.
pub fn order_load(ws: &WorkingSet, plan: &mut Plan) {
    if ws.options.placement_strategy.eq_ignore_ascii_case("default") {
        return;
    }
    for r in primitives_in_config_order(ws) {
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive || res.utilization.is_empty() {
            continue;
        }
        for &node in &res.running_on {
            let done = load_stopped(ws, plan, node);
            for stop in plan.rsc_actions(r, "stop") {
                plan.order(stop, done, of::LOAD);
            }
        }
        let mut allowed: Vec<NodeIdx> = res.allowed.keys().copied().collect();
        allowed.sort_by(|&a, &b| natural_cmp(&ws.nodes[a].uname, &ws.nodes[b].uname));
        for node in allowed {
            let done = load_stopped(ws, plan, node);
            for start in plan.rsc_actions(r, "start") {
                plan.order(done, start, of::LOAD);
            }
        }
    }
}
