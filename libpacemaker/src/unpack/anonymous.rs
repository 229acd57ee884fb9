//! Which instance of an anonymous clone a history entry belongs to
//! (Pacemaker's find_anonymous_clone), and orphan instances for entries no
//! configured instance can take.
//!
//! Anonymous instances are interchangeable, so history names them by the
//! cloned resource's id with any instance number. An entry goes to the
//! instance already active (or pending) on its node, else to the first
//! instance active nowhere; a second entry for a resource already active on
//! the node, or an entry beyond clone-max, gets a new orphan instance.

use std::collections::HashMap;

use super::resources::strip_instance;
use crate::model::{NodeIdx, Resource, RscIdx, WorkingSet};

/// Pristine copies of each anonymous clone's first instance, taken before
/// any history is read, from which orphan instances are made.
#[derive(Debug, Default)]
pub(super) struct InstancePrototypes {
    /// Clone -> its first instance's resources in pre-order, with parent and
    /// children given as positions in this list (the root's parent is none).
    by_clone: HashMap<RscIdx, Vec<Resource>>,
}

impl InstancePrototypes {
    pub(super) fn snapshot(ws: &WorkingSet) -> Self {
        let mut by_clone = HashMap::new();
        for (c, clone) in ws.resources.iter().enumerate() {
            if !ws.is_clone(c) || clone.clone.unique {
                continue;
            }
            if let Some(&first) = clone.children.first() {
                by_clone.insert(c, subtree(ws, first));
            }
        }
        InstancePrototypes { by_clone }
    }

    /// Adds a new (orphan) instance to `clone`, numbered after its existing
    /// ones; returns the instance's root.
    fn instantiate(&self, ws: &mut WorkingSet, clone: RscIdx) -> Option<RscIdx> {
        let prototype = self.by_clone.get(&clone)?;
        let number = ws.resources[clone].children.len();
        let base = ws.resources.len();
        for proto in prototype {
            let mut rsc = proto.clone();
            rsc.id = format!("{}:{number}", strip_instance(&proto.id));
            rsc.instance = Some(number);
            rsc.orphan = true;
            rsc.parent = Some(rsc.parent.map_or(clone, |p| base + p));
            for child in rsc.children.iter_mut() {
                *child += base;
            }
            ws.resources.push(rsc);
        }
        ws.resources[clone].children.push(base);
        Some(base)
    }
}

/// `root`'s resources in pre-order, re-linked by position in the list.
fn subtree(ws: &WorkingSet, root: RscIdx) -> Vec<Resource> {
    let mut order = vec![root];
    let mut i = 0;
    while i < order.len() {
        order.extend(ws.resources[order[i]].children.iter().copied());
        i += 1;
    }
    let position = |r: RscIdx| order.iter().position(|&o| o == r);
    order
        .iter()
        .map(|&r| {
            let mut copy = ws.resources[r].clone();
            copy.parent = copy.parent.and_then(position);
            copy.children = copy.children.iter().filter_map(|&c| position(c)).collect();
            copy
        })
        .collect()
}

/// The member of instance `inst` that history calls `base` (the instance
/// itself for a cloned primitive, a group member for a cloned group).
fn member_named(ws: &WorkingSet, inst: RscIdx, base: &str) -> Option<RscIdx> {
    ws.primitives_of(inst)
        .into_iter()
        .find(|&p| strip_instance(&ws.resources[p].id) == base)
}

/// Where any part of an instance is active or has an operation in progress,
/// without repeats.
fn instance_locations(ws: &WorkingSet, inst: RscIdx) -> Vec<NodeIdx> {
    let mut out: Vec<NodeIdx> = Vec::new();
    for p in ws.primitives_of(inst) {
        let res = &ws.resources[p];
        for n in res.running_on.iter().copied().chain(res.pending_node) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// The instance of `clone` (the primitive named `base` in it) that history of
/// `base` on `node` belongs to, creating an orphan instance when none fits.
pub(super) fn find_instance(
    ws: &mut WorkingSet,
    prototypes: &InstancePrototypes,
    clone: RscIdx,
    base: &str,
    node: NodeIdx,
) -> Option<RscIdx> {
    // A bundle's instance on one of its guest nodes is that node's replica's.
    if let Some(settings) = ws.resources[clone].parent.and_then(|bundle| ws.resources[bundle].bundle.as_ref()) {
        return settings.replicas.iter().find(|replica| replica.node == Some(node)).and_then(|replica| replica.child);
    }
    let mut found = None;
    let mut inactive = None;
    // A second history of the resource on a node where it is already active
    // is an orphan's, even with inactive instances to spare.
    let mut skip_inactive = false;
    for &inst in &ws.resources[clone].children {
        if found.is_some() {
            break;
        }
        let locations = instance_locations(ws, inst);
        match locations.first() {
            Some(&first) => {
                if first != node {
                    continue;
                }
                if let Some(member) = member_named(ws, inst, base) {
                    if ws.resources[member].running_on.is_empty() {
                        found = Some(member);
                    } else {
                        skip_inactive = true;
                    }
                }
            }
            None => {
                if skip_inactive || inactive.is_some() || ws.resources[inst].blocked {
                    continue;
                }
                // Not one whose operation is in progress on another node.
                inactive = member_named(ws, inst, base)
                    .filter(|&m| ws.resources[m].pending_node.map_or(true, |p| p == node));
            }
        }
    }
    if found.is_none() && !skip_inactive {
        found = inactive;
    }
    if found.is_some_and(|r| instance_number_withheld(ws, clone, r, node)) {
        found = None;
    }
    match found {
        Some(r) => Some(r),
        None => {
            let inst = prototypes.instantiate(ws, clone)?;
            member_named(ws, inst, base)
        }
    }
}

/// Whether an instance active on a lost node goes without an instance
/// number: one that doesn't need fencing may start elsewhere before the node
/// is fenced, so unless the clone has an instance for every node, the
/// history there belongs to an orphan instance.
fn instance_number_withheld(ws: &WorkingSet, clone: RscIdx, rsc: RscIdx, node: NodeIdx) -> bool {
    let n = &ws.nodes[node];
    let lost = !n.online || n.unclean;
    let universal = ws.resources[clone].clone.clone_max == ws.nodes.len();
    lost && !ws.is_guest(node) && !universal && !crate::sched::fencing::requirement(ws, rsc).needs_fencing()
}
