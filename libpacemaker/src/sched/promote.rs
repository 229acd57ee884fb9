//! Choosing which instances of a promotable clone get promoted, once all
//! its instances are placed (Pacemaker's pcmk__set_instance_roles).
//!
//! Each placed instance gets a promotion priority: its promotion score on
//! its node (-1 without one), plus location constraints for the promoted
//! role. Those priorities are added to the clone's node scores, together
//! with the preferences of resources colocated with the promoted role, and
//! each instance's node score becomes its sort index. Instances are then
//! promoted in descending sort index order, up to promoted-max in all and
//! promoted-node-max per node.

use std::collections::BTreeMap;

use super::assign::{cmp_instance, Placement};
use crate::model::{Colocation, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::options::NoQuorumPolicy;
use crate::score::{self, INFINITY};

/// The node an instance will be active on: for a cloned group, the one
/// node all its placed members are on (none if they are split).
pub(super) fn location_of(ws: &WorkingSet, inst: RscIdx) -> Option<NodeIdx> {
    let mut nodes: Vec<NodeIdx> = ws
        .primitives_of(inst)
        .iter()
        .filter_map(|&p| ws.resources[p].assigned_to)
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    match nodes.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The highest current role of an instance's members.
fn current_role(ws: &WorkingSet, inst: RscIdx) -> Role {
    ws.primitives_of(inst)
        .iter()
        .map(|&p| ws.resources[p].role)
        .max()
        .unwrap_or(Role::Stopped)
}

/// The highest role an instance's members are headed for before roles are
/// chosen: what an unmanaged member keeps, Stopped for an unplaced one,
/// otherwise the target role when it limits the instance (a target role of
/// Promoted leaves the choice open, as no target role does).
fn pending_role(ws: &WorkingSet, inst: RscIdx) -> Role {
    ws.primitives_of(inst)
        .iter()
        .map(|&p| {
            let res = &ws.resources[p];
            if !res.managed {
                res.next_role
            } else if res.assigned_to.is_none() {
                Role::Stopped
            } else {
                res.target_role.filter(|&r| r < Role::Promoted).unwrap_or(Role::Unknown)
            }
        })
        .max()
        .unwrap_or(Role::Unknown)
}

/// Sets the role an instance is headed for; its unplaced members stop, and
/// members with a lower target role keep to it.
fn set_next_role(ws: &mut WorkingSet, inst: RscIdx, role: Role) {
    for p in ws.primitives_of(inst) {
        let target = ws.resources[p].target_role;
        let mut r = role;
        if r == Role::Unpromoted && ws.resources[p].assigned_to.is_none() {
            r = Role::Stopped;
        }
        if let Some(t) = target {
            if t < r && t != Role::Started {
                r = t;
            }
        }
        ws.resources[p].next_role = r;
    }
    ws.resources[inst].next_role = role;
}

/// An instance's promotion priority on the node it will be active on
/// (Pacemaker's set_instance_priority); None when it won't be active.
fn promotion_priority(placement: &Placement, clone: RscIdx, inst: RscIdx) -> Option<i32> {
    let ws = &*placement.ws;
    let node = location_of(ws, inst)?;
    let mut priority = match pending_role(ws, inst) {
        Role::Unknown | Role::Started => {
            // Without a promotion score an instance may still be promoted
            // through a location constraint for the promoted role.
            super::promotion_scores::instance_score(ws, inst, node).unwrap_or(-1)
        }
        Role::Unpromoted | Role::Stopped => -INFINITY,
        Role::Promoted => ws.resources[inst].priority,
    };
    for holder in ws.primitives_of(inst).into_iter().chain([inst, clone]) {
        if let Some(&extra) = ws.resources[holder].promoted_location.get(&node) {
            priority = score::add(priority, extra);
        }
    }
    if ws.resources[inst].variant == Variant::Primitive {
        for ci in instance_colocations(placement, clone) {
            priority = apply_role_colocation(placement, &ws.colocations[ci], node, priority);
        }
    }
    Some(priority)
}

/// The clone's colocations its primitive instances take on when placed
/// (Pacemaker's append_parent_colocation): optional positive ones only when
/// there are more available nodes than instances.
fn instance_colocations(placement: &Placement, clone: RscIdx) -> Vec<usize> {
    let ws = &*placement.ws;
    let available = (0..ws.nodes.len()).filter(|&n| ws.nodes[n].can_run_resources()).count();
    let all = ws.resources[clone].clone.clone_max < available;
    placement
        .colocations_as_dependent(clone)
        .into_iter()
        .filter(|&ci| {
            let score = ws.colocations[ci].score;
            all || score < 0 || score >= INFINITY
        })
        .collect()
}

/// How a colocation of a placed instance's role changes its promotion
/// priority (Pacemaker's pcmk__apply_coloc_to_priority, and
/// pcmk__update_promotable_dependent_priority for a promotable primary).
fn apply_role_colocation(placement: &Placement, c: &Colocation, node: NodeIdx, priority: i32) -> i32 {
    let ws = &*placement.ws;
    if c.dependent_role < Role::Unpromoted {
        return priority;
    }
    let primary = &ws.resources[c.primary];
    if primary.variant == Variant::Clone {
        if !(primary.clone.promotable && c.primary_role != Role::Unknown && c.dependent_role == Role::Promoted) {
            return priority;
        }
        let compatible = primary.children.iter().any(|&other| {
            location_of(ws, other) == Some(node) && ws.resources[other].next_role == c.primary_role
        });
        return if compatible {
            score::add(priority, c.score)
        } else if c.score >= INFINITY {
            -INFINITY
        } else {
            priority
        };
    }
    let Some(primary_node) = location_of(ws, c.primary) else {
        return priority;
    };
    let same_place = match c.node_attribute.as_deref() {
        None => primary_node == node,
        Some(attr) => placement.node_attr(primary_node, attr) == placement.node_attr(node, attr),
    };
    if !same_place {
        return if c.score >= INFINITY && c.dependent_role == Role::Promoted { -INFINITY } else { priority };
    }
    if c.primary_role != Role::Unknown && c.primary_role != primary.next_role {
        return priority;
    }
    let multiplier = if c.dependent_role == Role::Unpromoted { -1 } else { 1 };
    score::add(priority, multiplier * c.score)
}

/// Folds the instances' sort indexes and the preferences of resources
/// colocated with the promoted role into the clone's node scores, then
/// makes each placed instance's sort index its node's score (Pacemaker's
/// sort_promotable_instances, before the sort itself).
fn merge_promotion_preferences(
    placement: &mut Placement,
    clone: RscIdx,
    sort_index: &mut BTreeMap<RscIdx, i32>,
) {
    let children = placement.ws.resources[clone].children.clone();
    placement.ws.resources[clone].merging = true;
    for &inst in &children {
        let index = sort_index[&inst];
        let Some(node) = location_of(placement.ws, inst).filter(|_| index >= 0) else {
            continue;
        };
        if let Some(w) = placement.ws.resources[clone].allowed.get_mut(&node) {
            *w = score::add(index, *w);
        }
    }
    for ci in placement.colocations_as_dependent(clone) {
        let c = placement.ws.colocations[ci].clone();
        if c.dependent_role != Role::Promoted {
            continue;
        }
        let mut nodes = placement.ws.resources[clone].allowed.clone();
        let factor = c.score as f64 / INFINITY as f64;
        let only_active = c.score < INFINITY;
        placement.add_colocated_node_scores(c.primary, &mut nodes, c.node_attribute.as_deref(), factor, only_active, false);
        placement.ws.resources[clone].allowed = nodes;
    }
    let clone_active = !placement.ws.running_nodes(clone).is_empty();
    for ci in placement.colocations_as_primary(clone) {
        let c = placement.ws.colocations[ci].clone();
        if c.primary_role != Role::Promoted || !(c.influence || !clone_active) {
            continue;
        }
        let mut nodes = placement.ws.resources[clone].allowed.clone();
        let factor = c.score as f64 / INFINITY as f64;
        placement.add_colocated_node_scores(c.dependent, &mut nodes, c.node_attribute.as_deref(), factor, true, true);
        placement.ws.resources[clone].allowed = nodes;
    }
    if placement.ws.resources[clone].lacks_promotion_ticket {
        // Pacemaker bans the clone and everything in it from all nodes
        // here, so only instances whose sort index is already negative keep
        // it; every other one takes its node's -INFINITY below.
        ban_with_descendants(placement.ws, clone);
    }
    placement.ws.resources[clone].merging = false;
    let ws = &*placement.ws;
    for &inst in &children {
        let index = sort_index.get_mut(&inst).expect("every instance has a sort index");
        let unmanaged_promoted = ws
            .primitives_of(inst)
            .iter()
            .any(|&p| !ws.resources[p].managed && ws.resources[p].next_role == Role::Promoted);
        if unmanaged_promoted {
            *index = INFINITY;
        } else if *index >= 0 {
            if let Some(&w) = location_of(ws, inst).and_then(|n| ws.resources[clone].allowed.get(&n)) {
                *index = w;
            }
        }
    }
}

/// Bans a resource and all its descendants from every node (Pacemaker's
/// resource_location for all nodes with -INFINITY).
fn ban_with_descendants(ws: &mut WorkingSet, r: RscIdx) {
    for child in ws.resources[r].children.clone() {
        ban_with_descendants(ws, child);
    }
    for n in 0..ws.nodes.len() {
        ws.resources[r].allowed.insert(n, -INFINITY);
    }
}

/// The node an instance would be promoted on, if it may be (Pacemaker's
/// node_to_be_promoted_on); every member of a cloned group must qualify.
fn promotable_on(
    ws: &WorkingSet,
    clone: RscIdx,
    inst: RscIdx,
    promoted_on: &BTreeMap<NodeIdx, usize>,
) -> Option<NodeIdx> {
    for &member in &ws.resources[inst].children {
        promotable_on(ws, clone, member, promoted_on)?;
    }
    let node = location_of(ws, inst)?;
    let res = &ws.resources[inst];
    let managed = ws.primitives_of(inst).iter().all(|&p| ws.resources[p].managed) && res.managed;
    if !managed {
        if current_role(ws, inst) != Role::Promoted {
            return None;
        }
    } else if res.priority < 0 || !ws.nodes[node].can_run_resources() {
        return None;
    } else if ws.guest_container(node).is_some_and(|c| ws.resources[c].assigned_to.is_none()) {
        // Nothing is promoted on a guest node whose container won't be active.
        return None;
    }
    if !ws.resources[clone].allowed.contains_key(&node) {
        return None;
    }
    let settings = &ws.resources[clone].clone;
    if managed && promoted_on.get(&node).copied().unwrap_or(0) >= settings.promoted_node_max {
        return None;
    }
    Some(node)
}

/// Chooses the next role of each instance of promotable `clone` once they
/// are all placed, and reorders its instances by promotion preference (the
/// order Pacemaker then creates their actions in).
pub fn set_instance_roles(placement: &mut Placement, clone: RscIdx) {
    let children = placement.ws.resources[clone].children.clone();
    let mut sort_index: BTreeMap<RscIdx, i32> = BTreeMap::new();
    for &inst in &children {
        let mut index = 0;
        if let Some(priority) = promotion_priority(placement, clone, inst) {
            placement.ws.resources[inst].priority = priority;
            index = if pending_role(placement.ws, inst) == Role::Promoted { INFINITY } else { priority };
        }
        sort_index.insert(inst, index);
    }
    merge_promotion_preferences(placement, clone, &mut sort_index);

    let colocated = placement.instance_colocated_scores(clone, &children);
    let ws = &*placement.ws;
    let clone_allowed = ws.resources[clone].allowed.clone();
    let mut sorted = children.clone();
    super::list_sort::sort_like_glib(&mut sorted, &mut |&a, &b| {
        sort_index[&b]
            .cmp(&sort_index[&a])
            .then_with(|| current_role(ws, b).cmp(&current_role(ws, a)))
            .then_with(|| cmp_instance(ws, &clone_allowed, &colocated, a, b))
    });
    placement.ws.resources[clone].children = sorted.clone();

    let promoted_max = placement.ws.resources[clone].clone.promoted_max;
    let clone_managed = placement.ws.resources[clone].managed;
    let mut promoted = 0usize;
    let mut promoted_on: BTreeMap<NodeIdx, usize> = BTreeMap::new();
    for inst in sorted {
        let ws = &*placement.ws;
        let node_name = location_of(ws, inst).map_or("none", |n| ws.nodes[n].uname.as_str());
        let line = format!(
            "{} promotion score on {}: {}",
            ws.resources[inst].id,
            node_name,
            score::readable(sort_index[&inst])
        );
        placement.record_score_line(&line);
        let ws = &*placement.ws;
        let chosen = if sort_index[&inst] < 0 {
            None
        } else if promoted < promoted_max || !clone_managed {
            promotable_on(ws, clone, inst, &promoted_on)
        } else {
            None
        };
        let frozen = !ws.have_quorum && ws.options.no_quorum_policy == NoQuorumPolicy::Freeze;
        match chosen {
            Some(node) if !(frozen && current_role(ws, inst) < Role::Promoted) => {
                *promoted_on.entry(node).or_insert(0) += 1;
                promoted += 1;
                set_next_role(placement.ws, inst, Role::Promoted);
            }
            _ => {
                let role = if location_of(placement.ws, inst).is_some() { Role::Unpromoted } else { Role::Stopped };
                set_next_role(placement.ws, inst, role);
            }
        }
    }
}
