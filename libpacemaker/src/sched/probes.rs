//! Probes (Pacemaker's pcmk_sched_probes.c): a one-shot monitor of each
//! resource on each node where its state is not known yet, done before the
//! resource is started anywhere.

use super::actions::Builder;
use super::monitors::{RC_NOT_RUNNING, RC_PROMOTED};
use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::unpack::strip_instance;

/// A probe and the resource whose start waits for it.
#[derive(Debug, Clone, Copy)]
pub struct ProbeOrder {
    pub probe: usize,
    /// The probed primitive, or the clone it is an instance of.
    pub start_of: RscIdx,
}

impl Builder<'_> {
    /// Schedules the probes needed on every node (pcmk__schedule_probes).
    /// Returns what each probe must precede, for [`Builder::order_probes`].
    pub fn schedule_probes(&mut self) -> Vec<ProbeOrder> {
        let mut orders = Vec::new();
        if !self.ws.options.startup_probes {
            return orders;
        }
        for node in 0..self.ws.nodes.len() {
            let n = &self.ws.nodes[node];
            // Remote nodes are not modelled yet; offline and unclean nodes
            // are never probed.
            if !n.online || n.unclean || n.is_remote {
                continue;
            }
            for r in self.ws.top_level.clone() {
                self.probe_resource(r, node, &mut orders);
            }
        }
        orders
    }

    /// Orders each probe before the start of its resource (or of the clone
    /// it belongs to), on any node.
    pub fn order_probes(&mut self, orders: &[ProbeOrder]) {
        for o in orders {
            let Some(r) = self.plan.actions[o.probe].rsc else {
                continue;
            };
            let mut flags = of::OPTIONAL;
            if !self.plan.actions[o.probe].runnable && self.ws.resources[r].running_on.is_empty() {
                flags |= of::RUNNABLE_LEFT;
            }
            for start in self.plan.rsc_actions(o.start_of, "start") {
                self.plan.order(o.probe, start, flags);
            }
        }
    }

    fn probe_resource(&mut self, r: RscIdx, node: NodeIdx, orders: &mut Vec<ProbeOrder>) -> bool {
        match self.ws.resources[r].variant {
            Variant::Primitive => self.probe_primitive(r, node, orders),
            Variant::Group => {
                let mut any = false;
                for c in self.ws.resources[r].children.clone() {
                    any |= self.probe_resource(c, node, orders);
                }
                any
            }
            Variant::Clone => self.probe_clone(r, node, orders),
        }
    }

    fn probe_clone(&mut self, clone: RscIdx, node: NodeIdx, orders: &mut Vec<ProbeOrder>) -> bool {
        let mut children = self.ws.resources[clone].children.clone();
        if children.is_empty() {
            return false;
        }
        children.sort_by_key(|&c| self.ws.resources[c].instance);
        if self.ws.resources[clone].clone.unique {
            let mut any = false;
            for c in children {
                any |= self.probe_resource(c, node, orders);
            }
            return any;
        }
        // Anonymous: one instance stands for all. The one whose state is
        // known here, else the one going to run here, else the first.
        // Usually nothing of the clone has history here; then no instance is
        // known, and checking each one (against all the others) is wasted.
        let any_history_here = any_primitive(self.ws, clone, &|p| {
            self.ws.resources[p].known_on.contains(&node)
        });
        let known = |c: RscIdx| {
            any_history_here
                && self
                    .ws
                    .primitives_of(c)
                    .iter()
                    .any(|&p| self.known_on(p, node))
        };
        let assigned_here = |c: RscIdx| {
            let res = &self.ws.resources[c];
            let location = match res.variant {
                Variant::Primitive => res.assigned_to,
                _ => self
                    .ws
                    .primitives_of(c)
                    .first()
                    .and_then(|&p| self.ws.resources[p].assigned_to),
            };
            location == Some(node)
        };
        let chosen = children
            .iter()
            .copied()
            .find(|&c| known(c))
            .or_else(|| children.iter().copied().find(|&c| assigned_here(c)))
            .unwrap_or(children[0]);
        self.probe_resource(chosen, node, orders)
    }

    /// Whether a primitive's state on a node is known from its history. The
    /// history of an anonymous clone's instances is shared by all instances
    /// (which instance it was matched to doesn't matter here).
    fn known_on(&self, r: RscIdx, node: NodeIdx) -> bool {
        if self.ws.resources[r].known_on.contains(&node) {
            return true;
        }
        let Some(clone) = self.ws.enclosing_clone(r) else {
            return false;
        };
        if self.ws.resources[clone].clone.unique {
            return false;
        }
        let base = strip_instance(&self.ws.resources[r].id);
        // Walked without collecting: this runs for every instance and node.
        any_primitive(self.ws, clone, &|p| {
            self.ws.resources[p].known_on.contains(&node)
                && strip_instance(&self.ws.resources[p].id) == base
        })
    }

    fn probe_primitive(&mut self, r: RscIdx, node: NodeIdx, orders: &mut Vec<ProbeOrder>) -> bool {
        let res = &self.ws.resources[r];
        if res.orphan || self.known_on(r, node) {
            return false;
        }
        let running_here = res.running_on.contains(&node);
        let promoted = res.role == Role::Promoted;
        // Probes are required even for unmanaged resources.
        let probe = self.resource_operation(r, "monitor", Some(node), 0, false);
        self.plan.actions[probe].optional = false;
        if !running_here {
            self.plan.actions[probe].target_rc = Some(RC_NOT_RUNNING);
        } else if promoted {
            self.plan.actions[probe].target_rc = Some(RC_PROMOTED);
        }
        let top = self.ws.top_parent(r);
        let start_of = if self.ws.resources[top].variant == Variant::Clone {
            top
        } else {
            r
        };
        orders.push(ProbeOrder { probe, start_of });
        true
    }
}

/// Whether any primitive in `r` (or `r` itself) passes `test`, in the order
/// of [`WorkingSet::primitives_of`].
fn any_primitive(ws: &WorkingSet, r: RscIdx, test: &dyn Fn(RscIdx) -> bool) -> bool {
    let rsc = &ws.resources[r];
    if rsc.variant == Variant::Primitive {
        return test(r);
    }
    rsc.children.iter().any(|&c| any_primitive(ws, c, test))
}
