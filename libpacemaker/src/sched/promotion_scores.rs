//! Promotion scores as preferences for placing a promotable clone's
//! instances (Pacemaker's pcmk__add_promotion_scores): before a promotable
//! clone's instances are placed, each instance prefers the nodes where it
//! has a promotion score, and its priority (which orders placement) becomes
//! its best promotion score.

use crate::model::{NodeIdx, RscIdx, WorkingSet};
use crate::score;
use crate::unpack::strip_instance;

/// Adds the promotion scores of each instance of promotable `clone` to the
/// instance's node preferences, and raises its priority to the best one.
pub fn add_promotion_scores(ws: &mut WorkingSet, clone: RscIdx) {
    for inst in ws.resources[clone].children.clone() {
        let nodes: Vec<NodeIdx> = ws.resources[inst].allowed.keys().copied().collect();
        for node in nodes {
            // Where it can never be promoted, a score would only shuffle
            // instances around.
            if !ws.nodes[node].can_run_resources() {
                continue;
            }
            let promotion = score_of(ws, inst, node);
            if promotion > 0 {
                let weight = ws.resources[inst].allowed.get_mut(&node).expect("allowed node");
                *weight = score::add(*weight, promotion);
            }
            if promotion > ws.resources[inst].priority {
                ws.resources[inst].priority = promotion;
            }
        }
    }
}

/// Once roles are chosen, instances have the clone's priority again (their
/// priorities served as promotion scores meanwhile).
pub fn reset_instance_priorities(ws: &mut WorkingSet, clone: RscIdx) {
    let priority = ws.resources[clone].priority;
    for inst in ws.resources[clone].children.clone() {
        ws.resources[inst].priority = priority;
    }
}

/// An instance's promotion score on a node: the sum over its primitives of
/// the node attribute `master-<name>` where that score applies (0 without).
fn score_of(ws: &WorkingSet, inst: RscIdx, node: NodeIdx) -> i32 {
    instance_score(ws, inst, node).unwrap_or(0)
}

/// An instance's promotion score on a node, or None when no primitive of it
/// has one there that applies (Pacemaker's promotion_score with is_default).
pub fn instance_score(ws: &WorkingSet, inst: RscIdx, node: NodeIdx) -> Option<i32> {
    ws.primitives_of(inst)
        .into_iter()
        .filter(|&p| score_applies(ws, p, node))
        .filter_map(|p| attribute_value(ws, p, node))
        .reduce(score::add)
}

/// The promotion score attribute's value for primitive `p` on `node`: named
/// after the name history knows it by (or its id), or for an anonymous
/// instance after the id without instance number.
fn attribute_value(ws: &WorkingSet, p: RscIdx, node: NodeIdx) -> Option<i32> {
    let res = &ws.resources[p];
    // Inside a container, possibly the host's attribute (container-attribute-target).
    let attrs = &ws.nodes[ws.attribute_node(p, node)?].attrs;
    let own = res.clone_name.as_deref().unwrap_or(&res.id);
    let value = attrs.get(&format!("master-{own}")).or_else(|| {
        let base = strip_instance(&res.id);
        (is_anonymous(ws, p) && base != res.id).then(|| attrs.get(&format!("master-{base}"))).flatten()
    })?;
    Some(score::parse_or_zero(value))
}

fn is_anonymous(ws: &WorkingSet, p: RscIdx) -> bool {
    ws.enclosing_clone(p).is_some_and(|c| !ws.resources[c].clone.unique)
}

/// Whether primitive `p`'s promotion score counts on `node` (Pacemaker's
/// promotion_score_applies): an anonymous instance's counts where it is the
/// one active, or where none is active but the resource was probed; any
/// instance's where it is active or known, or anywhere while it is known
/// nowhere; and only on nodes it is allowed on.
fn score_applies(ws: &WorkingSet, p: RscIdx, node: NodeIdx) -> bool {
    let res = &ws.resources[p];
    let mut applies = false;
    if is_anonymous(ws, p) {
        let base = strip_instance(&res.id);
        let clone = ws.enclosing_clone(p).expect("anonymous instance");
        let siblings: Vec<RscIdx> = ws
            .resources[clone]
            .children
            .iter()
            .flat_map(|&c| ws.primitives_of(c))
            .filter(|&s| strip_instance(&ws.resources[s].id) == base)
            .collect();
        let active = siblings.iter().copied().find(|&s| ws.resources[s].running_on.contains(&node));
        match active {
            Some(a) => applies = a == p,
            None => applies = siblings.iter().any(|&s| ws.resources[s].known_on.contains(&node)),
        }
    }
    if !applies {
        applies = (res.running_on.is_empty() && res.known_on.is_empty())
            || res.known_on.contains(&node)
            || res.running_on.contains(&node);
    }
    applies && res.allowed.get(&node).is_some_and(|&w| w >= 0)
}
