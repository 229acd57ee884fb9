//! Unfencing: the fencing action "on", which gives a node (back) access to
//! shared storage. Where some resource provides or requires unfencing, a
//! node is unfenced before fence devices and resources that require
//! unfencing are probed or started there, and resources that require it
//! restart around a required unfencing (Pacemaker's pcmk__order_vs_unfence,
//! pcmk__order_restart_vs_unfence and trigger_unfencing).

use super::actions::{Builder, UNFENCE_ACTION};
use super::fencing::needs_unfencing;
use crate::model::{order_flags as of, NodeIdx, RscIdx, Variant};
use crate::output::status::natural_cmp;

/// Node attribute the fencer sets once it has unfenced a node ("0" or
/// absent: never unfenced).
const UNFENCED_ATTR: &str = "#node-unfenced";

impl Builder<'_> {
    /// Whether a node has been unfenced before (Pacemaker's pcmk__node_unfenced).
    fn node_unfenced(&self, node: NodeIdx) -> bool {
        self.ws.nodes[node]
            .attrs
            .get(UNFENCED_ATTR)
            .is_some_and(|v| v != "0")
    }

    /// Whether unfencing a node comes before `r`'s actions there: `r` is a
    /// fence device (which often can't even probe a node not unfenced yet)
    /// or requires unfencing.
    fn waits_for_unfencing(&self, r: RscIdx) -> bool {
        self.ws.unfencing_enabled && (self.ws.resources[r].is_stonith || needs_unfencing(self.ws, r))
    }

    /// Requires unfencing `node`, or where it is not given, every node a fence
    /// device `device` may run on (Pacemaker's trigger_unfencing). Only fence
    /// devices trigger it, and only nodes able to run resources are unfenced.
    pub(crate) fn trigger_unfencing(&mut self, device: Option<RscIdx>, node: Option<NodeIdx>, reason: &str) {
        if !self.ws.unfencing_enabled || device.is_some_and(|r| !self.ws.resources[r].is_stonith) {
            return;
        }
        let available = |b: &Self, n: NodeIdx| {
            let n = &b.ws.nodes[n];
            n.online && !n.unclean && !n.shutdown
        };
        match (node, device) {
            (Some(n), _) if available(self, n) => {
                self.fence_op(n, UNFENCE_ACTION, false, Some(reason));
            }
            (_, Some(r)) => {
                let nodes: Vec<NodeIdx> = self.ws.resources[r].allowed.keys().copied().collect();
                for n in nodes {
                    if available(self, n) {
                        self.fence_op(n, UNFENCE_ACTION, false, Some(reason));
                    }
                }
            }
            _ => {}
        }
    }

    /// Orders unfencing `node` before `action` of `r` there, and requires
    /// the unfencing if the node was never unfenced.
    pub(crate) fn order_after_unfencing(&mut self, r: RscIdx, node: NodeIdx, action: usize, flags: u32) {
        if !self.waits_for_unfencing(r) {
            return;
        }
        // Optional at first: requiring it would restart everything that
        // requires unfencing on the node whenever a resource is added.
        let unfence = self.fence_op(node, UNFENCE_ACTION, true, None);
        self.plan.order(unfence, action, flags);
        if !self.node_unfenced(node) {
            let reason = format!(
                "required by {} {}",
                self.ws.resources[r].id, self.plan.actions[action].task
            );
            self.trigger_unfencing(None, Some(node), &reason);
        }
    }

    /// Resources that require unfencing, managed, other than fence devices
    /// (Pacemaker checks these in pcmk__primitive_internal_constraints).
    fn restarted_by_unfencing(&self) -> Vec<RscIdx> {
        if !self.ws.unfencing_enabled {
            return Vec::new();
        }
        (0..self.ws.resources.len())
            .filter(|&r| {
                let res = &self.ws.resources[r];
                res.variant == Variant::Primitive && res.managed && !res.is_stonith && needs_unfencing(self.ws, r)
            })
            .collect()
    }

    /// Creates the (optional) unfencing of every node where resources that
    /// require unfencing may run, before any other action asks for it, as
    /// Pacemaker does when it adds their implicit constraints.
    pub fn create_unfencing(&mut self) {
        for r in self.restarted_by_unfencing() {
            let mut nodes: Vec<NodeIdx> = self.ws.resources[r].allowed.keys().copied().collect();
            nodes.sort_by(|&x, &y| natural_cmp(&self.ws.nodes[x].uname, &self.ws.nodes[y].uname));
            for n in nodes {
                self.fence_op(n, UNFENCE_ACTION, true, None);
            }
        }
    }

    /// Orders each start (of fence devices and of resources requiring
    /// unfencing) after unfencing its node, which restarts whatever requires
    /// unfencing on a node to be unfenced: stops there come before it.
    pub fn order_unfencing(&mut self) {
        if !self.ws.unfencing_enabled {
            return;
        }
        for r in 0..self.ws.resources.len() {
            if self.ws.resources[r].variant != Variant::Primitive {
                continue;
            }
            for start in self.plan.rsc_actions(r, "start") {
                if let Some(node) = self.plan.actions[start].node {
                    self.order_after_unfencing(r, node, start, of::IMPLIES_THEN);
                }
            }
        }
        for r in self.restarted_by_unfencing() {
            for stop in self.plan.rsc_actions(r, "stop") {
                let Some(node) = self.plan.actions[stop].node else { continue };
                let unfence = self.fence_op(node, UNFENCE_ACTION, true, None);
                self.plan.order(stop, unfence, of::IMPLIES_FIRST);
            }
        }
    }
}
