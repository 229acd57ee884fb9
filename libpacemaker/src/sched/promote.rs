//! Choosing which instances of a promotable clone get promoted.
//!
//! Simplified from Pacemaker: the promotion score is the node attribute
//! `master-<resource>` on the instance's node (missing means "can't be
//! promoted"); role-based location and colocation preferences are not applied.

use std::collections::HashMap;

use crate::model::{NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::score;
use crate::unpack::strip_instance;

fn promotion_score(ws: &WorkingSet, inst: RscIdx, node: NodeIdx) -> Option<i32> {
    let mut total: Option<i32> = None;
    for p in ws.primitives_of(inst) {
        let base = strip_instance(&ws.resources[p].id);
        let unique = ws
            .enclosing_clone(p)
            .map(|c| ws.resources[c].clone.unique)
            .unwrap_or(false);
        // The attribute is named after the instance's history entry (older
        // CIBs use "rsc:N"), falling back to the base name for anonymous clones.
        let own_name = ws.resources[p]
            .clone_name
            .clone()
            .unwrap_or_else(|| ws.resources[p].id.clone());
        let own = format!("master-{own_name}");
        let Some(attr_node) = ws.attribute_node(p, node) else { continue };
        let attrs = &ws.nodes[attr_node].attrs;
        let value = attrs.get(&own).or_else(|| {
            if unique {
                None
            } else {
                attrs.get(&format!("master-{base}"))
            }
        });
        if let Some(v) = value {
            let s = score::parse_or_zero(v);
            total = Some(total.map(|t| score::add(t, s)).unwrap_or(s));
        }
    }
    total
}

fn location_of(ws: &WorkingSet, inst: RscIdx) -> Option<NodeIdx> {
    match ws.resources[inst].variant {
        Variant::Primitive => ws.resources[inst].assigned_to,
        _ => ws.resources[inst]
            .children
            .first()
            .and_then(|&c| location_of(ws, c)),
    }
}

fn current_role(ws: &WorkingSet, inst: RscIdx) -> Role {
    ws.primitives_of(inst)
        .iter()
        .map(|&p| ws.resources[p].role)
        .max()
        .unwrap_or(Role::Stopped)
}

fn set_next_role(ws: &mut WorkingSet, inst: RscIdx, role: Role) {
    for p in ws.primitives_of(inst) {
        let target = ws.resources[p].target_role;
        let mut r = role;
        if let Some(t) = target {
            if t < r && t != Role::Started {
                r = t;
            }
        }
        ws.resources[p].next_role = r;
    }
    ws.resources[inst].next_role = role;
}

pub fn set_instance_roles(ws: &mut WorkingSet, clone: RscIdx) {
    let settings = ws.resources[clone].clone.clone();
    let children = ws.resources[clone].children.clone();
    let mut candidates: Vec<(RscIdx, NodeIdx, i32)> = Vec::new();
    for &inst in &children {
        let Some(node) = location_of(ws, inst) else {
            set_next_role(ws, inst, Role::Stopped);
            continue;
        };
        let limited = ws.primitives_of(inst).iter().any(|&p| {
            matches!(
                ws.resources[p].target_role,
                Some(Role::Unpromoted) | Some(Role::Stopped)
            )
        });
        let blocked = ws
            .primitives_of(inst)
            .iter()
            .any(|&p| !ws.resources[p].managed && ws.resources[p].role != Role::Promoted);
        // No promotion score means "may not be promoted" (-1), but
        // promoted-role location constraints still count.
        let mut priority = promotion_score(ws, inst, node).unwrap_or(-1);
        let clone_parent = ws.resources[inst].parent;
        for holder in ws
            .primitives_of(inst)
            .into_iter()
            .chain(std::iter::once(inst))
            .chain(clone_parent)
        {
            if let Some(&extra) = ws.resources[holder].promoted_location.get(&node) {
                priority = score::add(priority, extra);
            }
        }
        // Colocations of the promoted role with other resources.
        for c in ws
            .colocations
            .iter()
            .filter(|c| c.dependent == clone && c.dependent_role == Role::Promoted)
        {
            let primary_node = location_of(ws, c.primary);
            if primary_node == Some(node) {
                priority = score::add(priority, c.score);
            } else if c.score >= score::INFINITY {
                priority = -score::INFINITY;
            }
        }
        // A cloned group is promoted only if every member will be active.
        let all_placed = ws
            .primitives_of(inst)
            .iter()
            .all(|&p| ws.resources[p].assigned_to.is_some());
        // Nothing is promoted where resources can't run, such as a guest
        // node whose container won't be active.
        let container_placed = ws.guest_container(node).map_or(true, |c| ws.resources[c].assigned_to.is_some());
        // (An unmanaged instance is left promoted wherever it is.)
        let unmanaged = ws.primitives_of(inst).iter().any(|&p| !ws.resources[p].managed);
        let can_run = unmanaged || (ws.nodes[node].can_run_resources() && container_placed);
        if priority >= 0 && !limited && !blocked && all_placed && can_run {
            candidates.push((inst, node, priority));
        }
        set_next_role(ws, inst, Role::Unpromoted);
    }
    candidates.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then_with(|| {
                (current_role(ws, b.0) == Role::Promoted)
                    .cmp(&(current_role(ws, a.0) == Role::Promoted))
            })
            .then_with(|| ws.resources[a.0].instance.cmp(&ws.resources[b.0].instance))
    });
    let mut promoted = 0usize;
    let mut per_node: HashMap<NodeIdx, usize> = HashMap::new();
    for (inst, node, _) in candidates {
        if promoted >= settings.promoted_max {
            break;
        }
        let count = per_node.entry(node).or_insert(0);
        if *count >= settings.promoted_node_max {
            continue;
        }
        // Frozen without quorum: nothing new is promoted.
        let frozen = !ws.have_quorum && ws.options.no_quorum_policy == crate::options::NoQuorumPolicy::Freeze;
        if frozen && current_role(ws, inst) < Role::Promoted {
            continue;
        }
        *count += 1;
        promoted += 1;
        set_next_role(ws, inst, Role::Promoted);
    }
}
