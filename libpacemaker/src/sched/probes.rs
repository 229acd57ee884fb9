//! Probes (Pacemaker's pcmk_sched_probes.c): a one-shot monitor of each
//! resource on each node where its state is not known yet, done before the
//! resource is started anywhere.

use super::actions::Builder;
use super::monitors::{RC_NOT_RUNNING, RC_PROMOTED};
use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::unpack::strip_instance;

/// The node attribute old versions set once a node's probes were done.
const PROBED_ATTRIBUTE: &str = "probe_complete";
/// The controller task that re-probes every resource on a node.
pub const REPROBE_TASK: &str = "probe_again";

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
            // What may be active on an offline remote node whose connection
            // can't be recovered can't be found out: it is fenced.
            if !n.online && super::remote::is_failed_remote_node(self.ws, node) {
                self.fence_during_planning(node, "the connection is unrecoverable");
                continue;
            }
            let n = &self.ws.nodes[node];
            // Offline and unclean nodes are never probed, nor remote nodes
            // where discovery is off.
            if !n.online || n.unclean || !n.rsc_discovery_enabled {
                continue;
            }
            // Status saved before Pacemaker 1.1.14 may say the node's probes
            // are incomplete: the node is asked to probe everything again
            // itself instead.
            if n.attrs.get(PROBED_ATTRIBUTE).is_some_and(|v| !crate::options::is_true(v)) {
                let reprobe = self.plan.add_raw(super::actions::Action {
                    task: REPROBE_TASK.to_string(),
                    node: Some(node),
                    optional: false,
                    runnable: true,
                    ..Default::default()
                });
                self.plan.actions[reprobe].add_meta("op_no_wait", "true");
                continue;
            }
            for r in self.ws.top_level.clone() {
                self.probe_resource(r, node, &mut orders);
            }
        }
        orders
    }

    /// Orders each probe before the start of its resource (or of the clone
    /// it belongs to), on any node; and what guest nodes' probes deferred.
    pub fn order_probes(&mut self, orders: &[ProbeOrder]) {
        for deferred in std::mem::take(&mut self.deferred_probe_orders) {
            match deferred {
                GuestProbeOrder::ProbeThenStart { probed, started } => self.probe_then_start(probed, started),
                GuestProbeOrder::StopThenStart { stopped, started } => {
                    self.order_tasks(stopped, "stop", started, "start", of::OPTIONAL)
                }
            }
        }
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
            // A reload of the resource waits for the probes too.
            for reload in self.plan.rsc_actions(o.start_of, super::digests::RELOAD_TASK) {
                self.plan.order(o.probe, reload, of::OPTIONAL);
            }
        }
    }

    pub(super) fn probe_resource(&mut self, r: RscIdx, node: NodeIdx, orders: &mut Vec<ProbeOrder>) -> bool {
        // Remote nodes run no fence agents and host no remote connections.
        let res = &self.ws.resources[r];
        if self.ws.nodes[node].is_remote
            && res.variant == Variant::Primitive
            && (res.is_stonith || res.is_remote_connection)
        {
            return false;
        }
        // Nor does a guest node run the container of a guest node.
        let contains_guest = res.fillers.iter().any(|&f| self.ws.resources[f].is_remote_connection);
        if contains_guest && self.ws.is_guest(node) {
            return false;
        }
        match self.ws.resources[r].variant {
            Variant::Primitive => self.probe_primitive(r, node, orders),
            Variant::Bundle => self.probe_bundle(r, node, orders),
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
        if super::discovery::clone_excludes(self.ws, clone, node) {
            // Nor is the node one the clone might run on, as its
            // notifications tell (its "available" nodes).
            self.ws.resources[clone].allowed.remove(&node);
            return false;
        }
        if self.ws.resources[clone].clone.unique {
            let mut any = false;
            for c in children {
                any |= self.probe_resource(c, node, orders);
            }
            return any;
        }
        // Anonymous: one instance stands for all. The one whose state is
        // known here (its own history here, as unpacking matched history
        // entries to instances), else the one going to run here, else the
        // first.
        let known = |c: RscIdx| {
            self.ws
                .primitives_of(c)
                .iter()
                .any(|&p| self.ws.resources[p].known_on.contains(&node))
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
        // Resources inside a container are found out through the container
        // (but a guest node's connection is probed like any other).
        if res.orphan
            || (res.container.is_some() && !res.is_remote_connection)
            || self.known_on(r, node)
            || !super::discovery::allows_probe(self.ws, r, node)
        {
            return false;
        }
        if let Some(guest) = self.ws.guest_container(node) {
            let top = self.ws.top_parent(r);
            if self.ws.resources[guest].role == Role::Stopped {
                // Nothing can be active on a guest whose container is
                // stopped; what starts there waits for the container's probe.
                self.deferred_probe_orders.push(GuestProbeOrder::ProbeThenStart { probed: guest, started: top });
                return false;
            }
            if self.guest_will_stop(node, guest) {
                self.deferred_probe_orders.push(GuestProbeOrder::StopThenStart { stopped: guest, started: top });
                return false;
            }
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
        self.order_after_unfencing(r, node, probe, of::OPTIONAL);
        let top = self.ws.top_parent(r);
        // A fence device that unfences waits for its own probes only.
        let unfencing_device = self.ws.resources[r].is_stonith && self.ws.unfencing_enabled;
        let start_of = if self.ws.resources[top].variant == Variant::Clone && !unfencing_device {
            top
        } else {
            r
        };
        orders.push(ProbeOrder { probe, start_of });
        true
    }
}

/// Orderings decided while probing guest nodes, made once every action exists.
#[derive(Debug, Clone, Copy)]
pub enum GuestProbeOrder {
    /// Nothing runs on a guest whose container is stopped: what starts
    /// there waits for the container's probe.
    ProbeThenStart { probed: RscIdx, started: RscIdx },
    /// What is not probed on a guest whose container will stop starts
    /// after the container stops.
    StopThenStart { stopped: RscIdx, started: RscIdx },
}

impl Builder<'_> {
    /// Orders a resource's start after another's start-up probe, if that
    /// one is to be probed where it is going.
    fn probe_then_start(&mut self, probed: RscIdx, started: RscIdx) {
        let Some(target) = self.ws.resources[probed].assigned_to else { return };
        if self.ws.resources[probed].known_on.contains(&target) {
            return;
        }
        let probes: Vec<usize> = self
            .plan
            .rsc_actions(probed, "monitor")
            .into_iter()
            .filter(|&a| self.plan.actions[a].is_probe)
            .collect();
        for probe in probes {
            for start in self.plan.rsc_actions(started, "start") {
                self.plan.order(probe, start, of::OPTIONAL);
            }
        }
    }

    /// Whether a guest node's container will (probably) stop: the guest
    /// is to be reset, its container failed or is to stop or move.
    fn guest_will_stop(&self, node: NodeIdx, container: RscIdx) -> bool {
        let res = &self.ws.resources[container];
        self.ws.nodes[node].remote_requires_reset
            || res.failed
            || res.next_role == Role::Stopped
            || (res.role > Role::Stopped
                && res.assigned_to.is_some_and(|a| !res.running_on.contains(&a)))
    }

    /// Orders probes before whatever could restart because of what they
    /// find (Pacemaker's pcmk__order_probes): before the stop (or demote) of
    /// other resources whose start (or promote) follows the probed
    /// resource's start, and before what follows a stop of the probed
    /// resource in an ordering constraint.
    pub fn order_probes_before_restarts(&mut self) {
        let probes: Vec<usize> = (0..self.plan.actions.len())
            .filter(|&i| self.plan.actions[i].is_probe)
            .collect();
        for &probe in &probes {
            let afters: Vec<usize> = self.plan.orderings_from(probe).map(|o| o.then).collect();
            for after in afters {
                // Each walk touches few actions: a set, not a flag per action of the plan.
                let mut visited = std::collections::HashSet::new();
                self.restart_orderings_for_probe(probe, after, &mut visited);
            }
        }
        self.probe_orderings_for_stops(&probes);
    }

    fn restart_orderings_for_probe(
        &mut self,
        probe: usize,
        after: usize,
        visited: &mut std::collections::HashSet<usize>,
    ) {
        if after >= self.plan.actions.len() || !visited.insert(after) {
            return;
        }
        let Some(probe_rsc) = self.plan.actions[probe].rsc else {
            return;
        };
        let after_rsc = self.plan.actions[after].rsc;
        if let Some(ar) = after_rsc {
            if self.ws.resources[ar].variant == Variant::Primitive && ar != probe_rsc {
                let undo = match self.plan.actions[after].task.as_str() {
                    "start" => Some("stop"),
                    "promote" => Some("demote"),
                    _ => None,
                };
                if let Some(task) = undo {
                    for t in self.plan.rsc_actions(ar, task) {
                        if !self.plan.actions[t].pseudo {
                            self.plan.order(probe, t, of::OPTIONAL);
                        }
                    }
                }
            }
        }
        // For an interleaved clone, only the instance next to the probed one.
        let compatible = after_rsc.and_then(|ar| {
            let res = &self.ws.resources[ar];
            if res.variant != Variant::Clone || !res.clone.interleave {
                return None;
            }
            let node = self.ws.resources[probe_rsc].assigned_to;
            Some(res.children.iter().copied().find(|&c| {
                node.is_some()
                    && self
                        .ws
                        .primitives_of(c)
                        .iter()
                        .any(|&p| self.ws.resources[p].assigned_to == node)
            }))
        });
        let mut nexts: Vec<(usize, u32)> = self.plan.orderings_from(after).map(|o| (o.then, o.flags)).collect();
        // Orderings after a collective's start are kept on its "running"
        // here; Pacemaker keeps them on the start the walk goes through.
        if let Some(ar) = after_rsc.filter(|&ar| self.ws.resources[ar].variant != Variant::Primitive) {
            if self.plan.actions[after].task == "start" {
                for running in self.plan.rsc_actions(ar, "running") {
                    nexts.extend(
                        self.plan
                            .orderings_from(running)
                            .filter(|o| o.flags & of::IMPLIES_THEN != 0)
                            .map(|o| (o.then, o.flags)),
                    );
                }
            }
        }
        for (next, flags) in nexts {
            if flags & of::IMPLIES_THEN == 0 {
                // Only from a group or clone down to its own members.
                let Some(ar) = after_rsc else { continue };
                let Some(nr) = self.plan.actions[next].rsc else {
                    continue;
                };
                if self.ws.resources[ar].variant == Variant::Primitive
                    || self.ws.resources[probe_rsc].parent == Some(ar)
                    || self.ws.resources[nr].variant == Variant::Clone
                    || self.ws.resources[nr].parent != Some(ar)
                {
                    continue;
                }
                if let Some(only) = compatible {
                    if only != Some(nr) {
                        continue;
                    }
                }
            }
            self.restart_orderings_for_probe(probe, next, visited);
        }
    }

    /// "Stop A then X" orderings imply "probe A then X": a probe that finds A
    /// active means A must stop first, in the next transition.
    fn probe_orderings_for_stops(&mut self, probes: &[usize]) {
        let mut probes_of: std::collections::HashMap<RscIdx, Vec<usize>> = std::collections::HashMap::new();
        for &p in probes {
            if let Some(r) = self.plan.actions[p].rsc {
                probes_of.entry(r).or_default().push(p);
            }
        }
        for (first, first_task, then, then_task, flags) in self.rsc_orderings.clone() {
            if first == then || first_task != "stop" {
                continue;
            }
            // A probe inside a stopping container could come only after the
            // container is started again: no ordering there.
            if self.ws.resources[first].container == Some(then) && then_task == "stop" {
                continue;
            }
            // An anti-colocation's probe orderings stay what it is (kept between actions
            // on the same node only).
            let probe_flags = if flags == of::ANTI_COLOCATION { flags } else { of::OPTIONAL };
            let Some(first_probes) = probes_of.get(&first).cloned() else { continue };
            let thens: Vec<usize> = self
                .plan
                .rsc_actions(then, &then_task)
                .into_iter()
                .filter(|&t| self.plan.actions[t].interval_ms == 0)
                .collect();
            for &p in &first_probes {
                for &t in &thens {
                    self.plan.order(p, t, probe_flags);
                }
            }
        }
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
