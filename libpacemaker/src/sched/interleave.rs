//! Interleaved clone orderings (Pacemaker's interleave=true): when one clone
//! is ordered after another, each instance waits only for the other clone's
//! instance on its own node, not for the whole other clone.

use super::actions::Builder;
use crate::model::{NodeIdx, RscIdx, Variant};
use crate::output::status::natural_cmp;

impl Builder<'_> {
    /// Whether an ordering from `first`'s `first_task` to `then`'s
    /// `then_task` is interleaved: both are clones, and the clone that
    /// decides (the first one when the second stops or demotes, else the
    /// second) has interleave=true.
    fn interleaves(&self, first: RscIdx, then: RscIdx, then_task: &str) -> bool {
        let ws = &*self.ws;
        if first == then
            || ws.resources[first].variant != Variant::Clone
            || ws.resources[then].variant != Variant::Clone
        {
            return false;
        }
        let decides = if then_task == "stop" || then_task == "demote" { first } else { then };
        ws.resources[decides].clone.interleave
    }

    /// Orders each instance of `then` after the instance of `first` on the
    /// same node (where they run now when `first_task` is a stop or a
    /// demotion, else where they are going).
    pub(super) fn interleave_instances(
        &mut self,
        first: RscIdx,
        first_task: &str,
        then: RscIdx,
        then_task: &str,
        flags: u32,
    ) {
        if !self.interleaves(first, then, then_task) {
            return;
        }
        let current = first_task == "stopped" || first_task == "demoted";
        let first_instance_task = super::member_task(first_task);
        for then_child in self.ws.resources[then].children.clone() {
            let Some(first_child) = self.compatible_instance(then_child, first, current) else {
                continue;
            };
            // A group instance's own action completes when its members' do.
            let task = if self.ws.resources[first_child].variant == crate::model::Variant::Primitive {
                first_instance_task
            } else {
                first_task
            };
            let first_action = self.plan.rsc_actions(first_child, task).first().copied();
            let then_action = self.plan.rsc_actions(then_child, then_task).first().copied();
            if let (Some(f), Some(t)) = (first_action, then_action) {
                self.plan.order(f, t, flags);
            }
        }
    }

    /// The first instance of `clone` on the node of `instance` (or, when
    /// that has none, on the first of its allowed nodes, best first, that
    /// has one).
    fn compatible_instance(&self, instance: RscIdx, clone: RscIdx, current: bool) -> Option<RscIdx> {
        if let Some(node) = self.instance_location(instance, current) {
            return self.instance_on(clone, node, current);
        }
        let ws = &*self.ws;
        let mut candidates: Vec<(NodeIdx, i32)> =
            ws.resources[instance].allowed.iter().map(|(&n, &score)| (n, score)).collect();
        candidates.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| natural_cmp(&ws.nodes[x.0].uname, &ws.nodes[y.0].uname)));
        candidates.into_iter().find_map(|(node, _)| self.instance_on(clone, node, current))
    }

    fn instance_on(&self, clone: RscIdx, node: NodeIdx, current: bool) -> Option<RscIdx> {
        self.ws.resources[clone]
            .children
            .iter()
            .copied()
            .find(|&c| !self.ws.resources[c].blocked && self.instance_location(c, current) == Some(node))
    }

    /// The one node an instance (a primitive or a group) is on now or is
    /// going to; none when it has no node or several.
    fn instance_location(&self, instance: RscIdx, current: bool) -> Option<NodeIdx> {
        let ws = &*self.ws;
        let mut nodes: Vec<NodeIdx> = Vec::new();
        for p in ws.primitives_of(instance) {
            let res = &ws.resources[p];
            let here: Vec<NodeIdx> = if current { res.running_on.clone() } else { res.assigned_to.into_iter().collect() };
            for n in here {
                if !nodes.contains(&n) {
                    nodes.push(n);
                }
            }
        }
        match nodes.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}
