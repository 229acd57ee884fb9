//! Clean shutdowns: a node whose controller asked to leave gets a
//! "do_shutdown" controller event (created by the builder) once every
//! resource stop there is done (Pacemaker's pcmk__new_shutdown_action).
//! Ordered once flags have settled.

use crate::model::{order_flags as of, NodeIdx, WorkingSet};
use crate::output::status::natural_cmp;

use super::actions::Plan;

pub const SHUTDOWN_TASK: &str = "do_shutdown";

fn is_dc(ws: &WorkingSet, n: NodeIdx) -> bool {
    ws.nodes[n].attrs.get("#is_dc").is_some_and(|v| v == "true")
}

/// Completes the shutdown events the builder created: each waits for
/// (and can't happen without) every stop on its node, and the DC leaves
/// after the other nodes and after any fencing.
pub fn order_shutdowns(ws: &WorkingSet, plan: &mut Plan) {
    let mut shutdowns: Vec<(usize, NodeIdx)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.rsc.is_none() && a.task == SHUTDOWN_TASK)
        .filter_map(|(i, a)| a.node.map(|n| (i, n)))
        .collect();
    shutdowns.sort_by(|x, y| natural_cmp(&ws.nodes[x.1].uname, &ws.nodes[y.1].uname));
    let mut others = Vec::new();
    let mut dc = None;
    for (shutdown, n) in shutdowns {
        order_stops_before(ws, plan, n, shutdown);
        if is_dc(ws, n) {
            dc = Some(shutdown);
        } else {
            others.push(shutdown);
        }
    }
    if let Some(dc) = dc {
        // Other nodes leave first, to avoid repeated DC elections; fencing too.
        let fencing: Vec<usize> = (0..plan.actions.len())
            .filter(|&i| plan.actions[i].is_node_fencing())
            .collect();
        for first in others.into_iter().chain(fencing) {
            plan.order(first, dc, of::OPTIONAL);
        }
    }
}

/// The stops on a node that its shutdown waits for (and that it makes
/// required): those of resources not in maintenance that are managed, or
/// blocked (whose stop that can't run then holds the shutdown up).
pub fn stops_before_shutdown(ws: &WorkingSet, plan: &Plan, node: NodeIdx) -> Vec<usize> {
    if ws.nodes[node].maintenance {
        return Vec::new();
    }
    (0..plan.actions.len())
        .filter(|&i| {
            let a = &plan.actions[i];
            a.node == Some(node)
                && a.task == "stop"
                && a.rsc.is_some_and(|r| {
                    let res = &ws.resources[r];
                    // Resources in maintenance are left alone (the cluster's
                    // maintenance mode puts every resource there).
                    (res.managed || res.blocked) && !res.maintenance
                })
        })
        .collect()
}

/// Orders every stop on the node before its shutdown, which can't happen
/// while a stop can't.
fn order_stops_before(ws: &WorkingSet, plan: &mut Plan, node: NodeIdx, shutdown: usize) {
    if ws.nodes[node].maintenance {
        return;
    }
    for stop in stops_before_shutdown(ws, plan, node) {
        plan.order(stop, shutdown, of::OPTIONAL | of::RUNNABLE_LEFT);
        if !plan.actions[stop].runnable {
            plan.actions[shutdown].runnable = false;
        }
    }
}
