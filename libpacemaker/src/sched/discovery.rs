//! Resource discovery (the `resource-discovery` of location constraints):
//! where probes may look for a resource, and the ban on nodes outside an
//! exclusive resource's discovery nodes.

use crate::model::{Discovery, NodeIdx, RscIdx, WorkingSet};
use crate::score::INFINITY;

fn mode(ws: &WorkingSet, r: RscIdx, node: NodeIdx) -> Discovery {
    // Nothing is looked for on a bundle's guest node unless said otherwise.
    let node_default = if ws.nodes[node].bundle_guest { Discovery::Never } else { Discovery::Always };
    ws.resources[r].discovery.get(&node).copied().unwrap_or(node_default)
}

/// Whether the resource or its top-level resource has exclusive discovery.
fn exclusive(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.resources[r].exclusive_discovery || ws.resources[ws.top_parent(r)].exclusive_discovery
}

/// Bans resources with exclusive discovery from the nodes they may run on
/// that no exclusive constraint names (Pacemaker's apply_exclusive_discovery).
pub fn ban_outside_exclusive_discovery(ws: &mut WorkingSet) {
    fn ban(ws: &mut WorkingSet, r: RscIdx) {
        if !exclusive(ws, r) {
            return;
        }
        for c in ws.resources[r].children.clone() {
            ban(ws, c);
        }
        let outside: Vec<NodeIdx> = ws.resources[r]
            .allowed
            .keys()
            .copied()
            .filter(|&n| mode(ws, r, n) != Discovery::Exclusive)
            .collect();
        for n in outside {
            ws.resources[r].allowed.insert(n, -INFINITY);
        }
    }
    for r in ws.top_level.clone() {
        ban(ws, r);
    }
}

/// Whether discovery settings let a primitive be probed on a node: not
/// where a constraint says "never", and with exclusive discovery only where
/// an exclusive constraint names the node.
pub fn allows_probe(ws: &WorkingSet, r: RscIdx, node: NodeIdx) -> bool {
    if exclusive(ws, r) {
        return ws.resources[r].allowed.contains_key(&node) && mode(ws, r, node) == Discovery::Exclusive;
    }
    mode(ws, r, node) != Discovery::Never
}

/// Whether a clone with exclusive discovery leaves a node out altogether
/// (no probes of any of its instances there).
pub fn clone_excludes(ws: &WorkingSet, clone: RscIdx, node: NodeIdx) -> bool {
    ws.resources[clone].exclusive_discovery
        && ws.resources[clone].allowed.contains_key(&node)
        && mode(ws, clone, node) != Discovery::Exclusive
}
