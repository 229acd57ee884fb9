//! Orderings around fencing that only shape the transition graph: fencing
//! one node at a time (unless concurrent-fencing is set) with the DC last,
//! starts after fencing for resources that require it, and stops implied by
//! fencing after it. They are optional (or only preserve order), so they are
//! added once flags have settled and change no action's flags.

use crate::model::{order_flags as of, NodeIdx, RscIdx, Variant, WorkingSet};
use crate::options::is_true;
use crate::output::status::natural_cmp;

use super::actions::Plan;

/// What a resource's start and promote need first (Pacemaker's "requires").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Requirement {
    Nothing,
    Quorum,
    Fencing,
}

fn requirement(ws: &WorkingSet, r: RscIdx) -> Requirement {
    let res = &ws.resources[r];
    let fence_device = res.class == "stonith";
    let configured = res.meta.get("requires").map(|v| v.to_ascii_lowercase());
    match configured.as_deref() {
        Some("nothing") => Requirement::Nothing,
        Some("quorum") => Requirement::Quorum,
        Some("fencing") => Requirement::Fencing,
        Some("unfencing") if !fence_device && ws.options.stonith_enabled => Requirement::Fencing,
        Some("unfencing") => Requirement::Quorum,
        _ if fence_device || res.is_remote_connection => Requirement::Quorum,
        _ if ws.options.stonith_enabled => Requirement::Fencing,
        _ if ws.options.no_quorum_policy == crate::options::NoQuorumPolicy::Ignore => {
            Requirement::Nothing
        }
        _ => Requirement::Quorum,
    }
}

fn is_dc(ws: &WorkingSet, n: NodeIdx) -> bool {
    ws.nodes[n].attrs.get("#is_dc").is_some_and(|v| v == "true")
}

/// Adds the fencing orderings to a plan whose flags are final.
pub fn order_fencing(ws: &WorkingSet, plan: &mut Plan) {
    let mut fencing: Vec<(usize, NodeIdx)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.rsc.is_none() && a.task == "stonith")
        .filter_map(|(i, a)| a.node.map(|n| (i, n)))
        .collect();
    // Pacemaker visits nodes sorted by name.
    fencing.sort_by(|x, y| natural_cmp(&ws.nodes[x.1].uname, &ws.nodes[y.1].uname));
    if fencing.is_empty() {
        return;
    }
    let concurrent = ws
        .options
        .raw
        .get("concurrent-fencing")
        .is_some_and(|v| is_true(v));
    let mut non_dc: Vec<usize> = Vec::new();
    let mut dc = None;
    for &(f, n) in &fencing {
        if is_dc(ws, n) {
            dc = Some(f);
            continue;
        }
        if !concurrent {
            if let Some(&previous) = non_dc.last() {
                plan.order(previous, f, of::OPTIONAL);
            }
        }
        non_dc.push(f);
    }
    if let Some(dc) = dc {
        if concurrent {
            for &f in &non_dc {
                plan.order(f, dc, of::OPTIONAL);
            }
        } else if let Some(&last) = non_dc.last() {
            plan.order(last, dc, of::OPTIONAL);
        }
    }
    for &(f, target) in &fencing {
        for r in 0..ws.resources.len() {
            if ws.resources[r].variant == Variant::Primitive && ws.resources[r].managed {
                order_resource_vs_fencing(ws, plan, f, target, r);
            }
        }
    }
}

fn order_resource_vs_fencing(
    ws: &WorkingSet,
    plan: &mut Plan,
    fencing: usize,
    target: NodeIdx,
    r: RscIdx,
) {
    let requirement = requirement(ws, r);
    let res = &ws.resources[r];
    for task in ["start", "promote"] {
        for a in plan.rsc_actions(r, task) {
            match requirement {
                Requirement::Fencing => plan.order(fencing, a, of::OPTIONAL),
                Requirement::Quorum
                    if task == "start"
                        && res.allowed.contains_key(&target)
                        && !res.known_on.contains(&target) =>
                {
                    // Its state there is unknown: it may be active until fenced.
                    plan.order(fencing, a, of::OPTIONAL | of::RUNNABLE_LEFT)
                }
                _ => {}
            }
        }
    }
    if requirement != Requirement::Fencing {
        return;
    }
    // A migrate_to needs what the start it replaces needs.
    for a in plan.rsc_actions(r, "migrate_to") {
        if plan.actions[a].migrate_runnable {
            plan.order(fencing, a, of::OPTIONAL);
        }
    }
    let top = ws.top_parent(r);
    for stop in plan.rsc_actions(r, "stop") {
        if plan.actions[stop].node != Some(target) {
            continue;
        }
        plan.order(fencing, stop, of::PRESERVE);
        if let Some(&top_stop) = plan.rsc_actions(top, "stop").last() {
            plan.order(fencing, top_stop, of::PRESERVE);
        }
    }
    for demote in plan.rsc_actions(r, "demote") {
        let a = &plan.actions[demote];
        if a.node == Some(target) && a.pseudo {
            plan.order(fencing, demote, of::PRESERVE | of::OPTIONAL);
        }
    }
}
