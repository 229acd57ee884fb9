//! Interleaved clone orderings (Pacemaker's interleave=true): when one clone
//! is ordered after another, each instance waits only for the other clone's
//! instance on its own node, not for the whole other clone.

use super::actions::Builder;
use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, Variant};
use crate::output::status::natural_cmp;

impl Builder<'_> {
    /// Whether an ordering from `first`'s `first_task` to `then`'s
    /// `then_task` is interleaved: both are clones, and the clone that
    /// decides (the first one when the second stops or demotes, else the
    /// second) has interleave=true.
    pub(super) fn interleaves(&self, first: RscIdx, then: RscIdx, then_task: &str) -> bool {
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
        let mandatory = flags & (of::RUNNABLE_LEFT | of::IMPLIES_THEN) != 0;
        if mandatory && !current && !self.interleaved_pairs.contains(&(first, then)) {
            self.interleaved_pairs.push((first, then));
        }
        for then_child in self.ws.resources[then].children.clone() {
            let Some(first_child) = self.compatible_instance(then_child, first, current) else {
                // Nothing of `first` is or will be active beside this
                // instance: it must not be active either.
                if mandatory && !current {
                    self.inhibit_instance(then_child);
                }
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

    /// Inhibits, until none is left, the instances of interleaved clones
    /// whose clone they are mandatorily ordered after has no instance beside
    /// them any more (an instance inhibited makes those ordered after it
    /// lose their match too).
    pub(super) fn inhibit_unmatched_instances(&mut self) {
        self.inhibit_unmatched_instances_where(|_| true);
    }

    /// Inhibits the instances of `clone` left without a partner, as
    /// Pacemaker does when it updates one of the clone's actions for an
    /// interleaved ordering.
    pub(super) fn inhibit_unmatched_instances_of(&mut self, clone: RscIdx) {
        if self.interleaved_pairs.iter().any(|&(_, then)| then == clone) {
            self.inhibit_unmatched_instances_where(|then| then == clone);
        }
    }

    fn inhibit_unmatched_instances_where(&mut self, wanted: impl Fn(RscIdx) -> bool) {
        let mut changed = true;
        while changed {
            changed = false;
            for (first, then) in self.interleaved_pairs.clone() {
                if !wanted(then) {
                    continue;
                }
                for then_child in self.ws.resources[then].children.clone() {
                    let placed = self.ws.primitives_of(then_child).iter().any(|&p| self.ws.resources[p].assigned_to.is_some());
                    if placed && self.compatible_instance(then_child, first, false).is_none() {
                        self.inhibit_instance(then_child);
                        changed = true;
                    }
                }
            }
        }
    }

    /// A clone action that an interleaved ordering leaves to the instances
    /// can run only if one of its instances' actions can (Pacemaker's
    /// summary_action_flags); returns whether any action changed.
    pub(super) fn summarize_interleaved_clones(&mut self) -> bool {
        let mut changed = false;
        for (_, then) in self.interleaved_pairs.clone() {
            for task in ["start", "stop", "promote", "demote"] {
                let members: Vec<usize> = self
                    .ws
                    .primitives_of(then)
                    .into_iter()
                    .flat_map(|p| self.plan.rsc_actions(p, task))
                    .collect();
                if members.iter().any(|&a| self.plan.actions[a].runnable) {
                    continue;
                }
                changed |= self.make_unrunnable(then, task);
            }
        }
        changed
    }

    /// Leaves an instance unassigned after its actions were planned
    /// (Pacemaker assigns it to no node): it doesn't start, and its
    /// recurring operations don't run.
    fn inhibit_instance(&mut self, instance: RscIdx) {
        for p in self.ws.primitives_of(instance) {
            if self.ws.resources[p].assigned_to.take().is_none() {
                continue;
            }
            self.ws.resources[p].next_role = Role::Stopped;
            for a in self.plan.rsc_actions(p, "start") {
                self.plan.actions[a].runnable = false;
            }
            for a in self.plan.rsc_actions(p, "stop") {
                self.plan.actions[a].optional = false;
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
