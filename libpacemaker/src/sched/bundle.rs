//! Scheduling bundles (Pacemaker's pcmk_sched_bundle): replicas' containers
//! are distributed like clone instances, each replica's IP address and
//! guest connection follow its container, and each replica's instance of
//! the inner resource is placed on the replica's guest node.

use crate::model::{order_flags as of, Colocation, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::score::INFINITY;

use super::actions::Builder;
use super::assign::Placement;
use super::probes::ProbeOrder;

/// A replica's IP address runs where its container does.
const IP_WITH_CONTAINER: &str = "ip-with-docker";

fn replicas(ws: &WorkingSet, r: RscIdx) -> Vec<crate::model::BundleReplica> {
    ws.resources[r].bundle.as_ref().map(|b| b.replicas.clone()).unwrap_or_default()
}

/// Implicit colocations of bundle members, known before placement.
pub fn add_bundle_colocations(ws: &mut WorkingSet) {
    for r in 0..ws.resources.len() {
        for replica in replicas(ws, r) {
            if let Some(ip) = replica.ip {
                ws.colocations.push(Colocation {
                    id: IP_WITH_CONTAINER.to_string(),
                    dependent: ip,
                    primary: replica.container,
                    score: INFINITY,
                    dependent_role: Role::Unknown,
                    primary_role: Role::Unknown,
                    node_attribute: None,
                    influence: true,
                });
            }
        }
    }
}

impl Placement<'_> {
    pub(super) fn assign_bundle(&mut self, r: RscIdx, prefer: Option<crate::model::NodeIdx>) {
        // Pacemaker's pcmk__bundle_allocate has no "already assigned" check:
        // every call shows the scores, and a repeated call only resets the
        // replicas' instances' and the inner clone's scores.
        if self.ws.resources[r].assigning {
            self.show_scores("pcmk__bundle_allocate", r);
            return;
        }
        if !self.ws.resources[r].provisional {
            self.show_scores("pcmk__bundle_allocate", r);
            for replica in replicas(self.ws, r) {
                self.confine_instance_to_guest_node(&replica);
            }
            self.confine_inner_clone_to_guest_nodes(r);
            return;
        }
        self.ws.resources[r].assigning = true;
        self.show_scores("pcmk__bundle_allocate", r);
        let replicas = replicas(self.ws, r);
        let per_host = self.ws.resources[r].bundle.as_ref().map_or(1, |b| b.replicas_per_host);
        let containers: Vec<RscIdx> = replicas.iter().map(|rep| rep.container).collect();
        let max = replicas.len();
        self.distribute_instances(r, containers, max, per_host);
        for replica in &replicas {
            if let Some(ip) = replica.ip {
                self.assign(ip, prefer);
            }
            if let Some(remote) = replica.remote {
                self.follow_host_connection(remote, replica.container);
                self.assign(remote, prefer);
            }
            if let (Some(child), Some(node)) = (replica.child, replica.node) {
                self.confine_instance_to_guest_node(replica);
                let clone = self.ws.resources[child].parent;
                if let Some(c) = clone {
                    self.ws.resources[c].assigning = true;
                }
                self.assign(child, Some(node));
                if let Some(c) = clone {
                    self.ws.resources[c].assigning = false;
                }
            }
        }
        if let Some(clone) = self.confine_inner_clone_to_guest_nodes(r) {
            self.assign(clone, prefer);
        }
        let res = &mut self.ws.resources[r];
        res.assigning = false;
        res.provisional = false;
    }

    /// A replica's instance of the inner resource may run only on the
    /// replica's guest node (preferred absolutely unless it failed too often).
    fn confine_instance_to_guest_node(&mut self, replica: &crate::model::BundleReplica) {
        let (Some(child), Some(node)) = (replica.child, replica.node) else { return };
        let threshold_ok = self.ws.resources[child].failcount.get(&node).copied().unwrap_or(0)
            < self.ws.resources[child].migration_threshold;
        for (n, w) in self.ws.resources[child].allowed.iter_mut() {
            if *n != node {
                *w = -INFINITY;
            } else if threshold_ok {
                *w = INFINITY;
            }
        }
    }

    /// The inner clone may use the bundle's guest nodes only; returns it.
    fn confine_inner_clone_to_guest_nodes(&mut self, bundle: RscIdx) -> Option<RscIdx> {
        let clone = self.ws.resources[bundle].bundle.as_ref().and_then(|b| b.child)?;
        let guest_nodes: Vec<_> = replicas(self.ws, bundle).iter().filter_map(|rep| rep.node).collect();
        for (n, w) in self.ws.resources[clone].allowed.iter_mut() {
            *w = if guest_nodes.contains(n) { 0 } else { -INFINITY };
        }
        Some(clone)
    }
}

/// Whether `r` is one of a bundle's implicit resources.
pub fn is_bundle_member(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.resources[r].parent.is_some_and(|p| ws.resources[p].bundle.is_some())
}

/// Whether `r` is part of a bundle (at any depth).
pub fn is_inside_bundle(ws: &WorkingSet, r: RscIdx) -> bool {
    let mut cur = ws.resources[r].parent;
    while let Some(p) = cur {
        if ws.resources[p].bundle.is_some() {
            return true;
        }
        cur = ws.resources[p].parent;
    }
    false
}

/// What a bundle's action for `task` (a member task: "start", "promote",
/// ...) sums up: the inner clone's instances for role changes and
/// notifications, the replicas' containers for anything else.
pub(super) fn summarized_members(ws: &WorkingSet, r: RscIdx, task: &str) -> Vec<RscIdx> {
    let Some(bundle) = ws.resources[r].bundle.as_ref() else { return Vec::new() };
    match bundle.child {
        Some(clone) if matches!(task, "promote" | "demote" | "notify" | "notified") => ws.resources[clone].children.clone(),
        _ => bundle.replicas.iter().map(|rep| rep.container).collect(),
    }
}

/// Whether `r` is a bundle whose inner resource is promotable.
pub(super) fn has_promotable_child(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.resources[r]
        .bundle
        .as_ref()
        .and_then(|b| b.child)
        .is_some_and(|c| ws.resources[c].clone.promotable)
}

impl Placement<'_> {
    /// A connection to a container placed on a remote node must run where
    /// that node's own connection does: Pacemaker Remote takes one
    /// connection at a time.
    fn follow_host_connection(&mut self, remote: RscIdx, container: RscIdx) {
        let Some(host) = self.ws.resources[container].assigned_to else { return };
        let Some(host_connection) = self.ws.nodes[host].remote_rsc else { return };
        self.assign(host_connection, None);
        let target = self.ws.resources[host_connection].assigned_to;
        for (n, w) in self.ws.resources[remote].allowed.iter_mut() {
            if Some(*n) != target {
                *w = -INFINITY;
            }
        }
    }

    /// The bundle's own colocations that its replicas' containers take on
    /// while placed (Pacemaker's append_parent_colocation): with fewer
    /// replicas than nodes all of them, else only the mandatory and the
    /// negative ones (the bundle's dependents: the negative ones only).
    pub(super) fn bundle_colocations_for_container(&self, bundle: RscIdx, r: RscIdx, this_with: bool) -> Vec<usize> {
        let replicas = replicas(self.ws, bundle);
        if !replicas.iter().any(|rep| rep.container == r) {
            return Vec::new();
        }
        let available = self.ws.resources[bundle]
            .allowed
            .keys()
            .filter(|&&n| super::assign::node_available(self.ws, n))
            .count();
        let all = replicas.len() < available;
        let list = if this_with { &self.this_with[bundle] } else { &self.with_this[bundle] };
        list.iter()
            .copied()
            .filter(|&ci| {
                let c = &self.ws.colocations[ci];
                if this_with {
                    all || c.score < 0 || c.score >= INFINITY
                } else {
                    c.influence && (all || c.score < 0)
                }
            })
            .collect()
    }

    /// A replica's container, placed on one of the dependent's best nodes,
    /// to pair a collective's instance with (Pacemaker's compatible_replica).
    fn compatible_container(&self, dependent: RscIdx, bundle: RscIdx) -> Option<RscIdx> {
        let candidates: Vec<NodeIdx> = match self.ws.resources[dependent].assigned_to {
            Some(n) => vec![n],
            None => self
                .sorted_nodes(&self.ws.resources[dependent].allowed, None)
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
        };
        let replicas = replicas(self.ws, bundle);
        candidates.into_iter().find_map(|node| {
            replicas
                .iter()
                .map(|rep| rep.container)
                .find(|&c| self.ws.resources[c].assigned_to == Some(node))
        })
    }

    /// A colocation with a bundle (Pacemaker's pcmk__bundle_apply_coloc_score):
    /// a finite score counts with each replica's container; a mandatory one
    /// bans every node where no (suitable) container was placed, leaving the
    /// others' scores as they are.
    pub(super) fn apply_coloc_with_bundle(&mut self, dependent: RscIdx, bundle: RscIdx, c: &Colocation) {
        if matches!(self.ws.resources[c.dependent].variant, Variant::Clone | Variant::Bundle) {
            // An instance of a collective goes with one replica only.
            match self.compatible_container(dependent, bundle) {
                Some(container) => self.apply_coloc_to_weights(dependent, container, c),
                // Nothing to pair with: the instance stays stopped.
                None if c.score >= INFINITY => self.finalize(dependent, None, true),
                None => {}
            }
            return;
        }
        let replicas = replicas(self.ws, bundle);
        if c.score < INFINITY {
            for replica in &replicas {
                self.apply_coloc_to_weights(dependent, replica.container, c);
            }
            return;
        }
        let mut hosts = Vec::new();
        for replica in &replicas {
            let Some(host) = self.ws.resources[replica.container].assigned_to else { continue };
            // A blocked replica is no use to the dependent.
            if self.ws.primitives_of(replica.container).iter().any(|&p| self.ws.resources[p].blocked) {
                continue;
            }
            if c.primary_role >= Role::Promoted
                && !replica.child.is_some_and(|child| self.ws.resources[child].next_role >= Role::Promoted)
            {
                continue;
            }
            hosts.push(host);
        }
        let allowed = &mut self.ws.resources[dependent].allowed;
        for (n, w) in allowed.iter_mut() {
            if !hosts.contains(n) {
                *w = -INFINITY;
            }
        }
        for host in hosts {
            allowed.entry(host).or_insert(-INFINITY);
        }
    }
}

impl Builder<'_> {
    /// The bundle's pseudo-actions around its replicas' and inner clone's
    /// (Pacemaker's pcmk__bundle_internal_constraints).
    pub(super) fn bundle_orderings(&mut self, r: RscIdx) {
        let child = self.ws.resources[r].bundle.as_ref().and_then(|b| b.child);
        if let Some(clone) = child {
            self.order_tasks(r, "start", clone, "start", of::IMPLIES_FIRST_PRINTED);
            self.order_tasks(r, "stop", clone, "stop", of::IMPLIES_FIRST_PRINTED);
            // The clone's completion (after its notifications, if any).
            self.order_tasks(clone, "start", r, "running", of::IMPLIES_THEN_PRINTED);
            self.order_tasks(clone, "stop", r, "stopped", of::IMPLIES_THEN_PRINTED);
        }
        for replica in replicas(self.ws, r) {
            let container = replica.container;
            self.internal_orderings(container);
            self.order_tasks(r, "start", container, "start", of::RUNNABLE_LEFT | of::IMPLIES_FIRST_PRINTED);
            if let Some(inner) = replica.child {
                self.order_tasks(r, "stop", inner, "stop", of::IMPLIES_FIRST_PRINTED);
            }
            self.order_tasks(r, "stop", container, "stop", of::IMPLIES_FIRST_PRINTED);
            self.order_tasks(container, "start", r, "running", of::IMPLIES_THEN_PRINTED);
            self.order_tasks(container, "stop", r, "stopped", of::IMPLIES_THEN_PRINTED);
            if let Some(ip) = replica.ip {
                self.internal_orderings(ip);
                self.order_tasks(ip, "start", container, "start", of::RUNNABLE_LEFT | of::PRESERVE);
                self.order_tasks(container, "stop", ip, "stop", of::IMPLIES_FIRST | of::PRESERVE);
            }
            if let Some(remote) = replica.remote {
                self.internal_orderings(remote);
            }
        }
        if let Some(clone) = child {
            self.internal_orderings(clone);
        }
        if let Some(clone) = child.filter(|&c| self.ws.resources[c].clone.promotable) {
            // Starts and promotions after all instances stopped or demoted
            // (Pacemaker's pcmk__promotable_restart_ordering).
            for (first, then) in [
                ("stopped", "start"),
                ("stopped", "promote"),
                ("demoted", "stop"),
                ("demoted", "start"),
                ("demoted", "promote"),
                ("running", "promote"),
                ("demote", "demoted"),
            ] {
                self.order_tasks(r, first, r, then, of::OPTIONAL);
            }
            self.order_tasks(clone, "demote", r, "demoted", of::IMPLIES_THEN_PRINTED);
            self.order_tasks(r, "demote", clone, "demote", of::IMPLIES_FIRST_PRINTED);
            self.order_tasks(clone, "promote", r, "promoted", of::IMPLIES_THEN_PRINTED);
            self.order_tasks(r, "promote", clone, "promote", of::IMPLIES_FIRST_PRINTED);
        }
    }
}

/// The address of a bundle's guest connection whose container has no IP
/// address of its own ("#uname"): the container's host, where it will be
/// (or else where it is), so that bundles may run on remote nodes.
pub fn connection_address(ws: &WorkingSet, r: RscIdx, addr: &str) -> Option<String> {
    if !addr_is_host_name(ws, r, addr) {
        return None;
    }
    let container = &ws.resources[ws.resources[r].container?];
    let host = container.assigned_to.or_else(|| container.running_on.first().copied())?;
    Some(ws.nodes[host].uname.clone())
}

/// Whether `addr`, a parameter of resource `r`, stands for its container's
/// host: `r` is a bundle's guest connection and `addr` is "#uname".
fn addr_is_host_name(ws: &WorkingSet, r: RscIdx, addr: &str) -> bool {
    let res = &ws.resources[r];
    let in_bundle = res.parent.is_some_and(|p| ws.resources[p].bundle.is_some());
    res.is_remote_connection && in_bundle && addr.eq_ignore_ascii_case("#uname")
}

/// Whether a resource's parameters are known only once it is placed: a
/// bundle's guest connection whose address is its container's host
/// (Pacemaker's pe__bundle_needs_remote_name).
pub fn needs_remote_name(ws: &WorkingSet, r: RscIdx) -> bool {
    let configured_addr = ws.resources[r].config_xml.as_ref().and_then(|xml| {
        xml.elements()
            .filter(|set| set.name == "instance_attributes")
            .flat_map(|set| set.elements())
            .find(|pair| pair.name == "nvpair" && pair.attr("name") == Some("addr"))
            .and_then(|pair| pair.attr("value"))
    });
    configured_addr.is_some_and(|addr| addr_is_host_name(ws, r, addr))
}

impl Builder<'_> {
    /// Probes of a bundle's replicas on a node (Pacemaker's
    /// pcmk__bundle_create_probe): the inner instance only on its own guest
    /// node, and a connection's probe once its container is up.
    pub(super) fn probe_bundle(&mut self, r: RscIdx, node: NodeIdx, orders: &mut Vec<ProbeOrder>) -> bool {
        let replicas = replicas(self.ws, r);
        let one_per_host = self.ws.resources[r].bundle.as_ref().is_some_and(|b| b.replicas_per_host == 1);
        let mut any = false;
        for replica in &replicas {
            if let Some(ip) = replica.ip {
                any |= self.probe_resource(ip, node, orders);
            }
            if let (Some(child), true) = (replica.child, replica.node == Some(node)) {
                any |= self.probe_resource(child, node, orders);
            }
            if self.probe_resource(replica.container, node, orders) {
                any = true;
                if one_per_host {
                    // No other replica starts here before this container
                    // is known not to run here already.
                    let probe = self.plan.rsc_actions(replica.container, "monitor").into_iter().rfind(|&a| {
                        self.plan.actions[a].is_probe && self.plan.actions[a].node == Some(node)
                    });
                    if let Some(probe) = probe {
                        for other in replicas.iter().filter(|o| o.offset != replica.offset) {
                            self.deferred_replica_probe_orders.push((probe, other.container));
                        }
                    }
                }
            }
            if let Some(remote) = replica.remote {
                if self.probe_resource(remote, node, orders) {
                    any = true;
                    let probe = self.plan.rsc_actions(remote, "monitor").into_iter().rfind(|&a| {
                        self.plan.actions[a].is_probe && self.plan.actions[a].node == Some(node)
                    });
                    if let Some(probe) = probe {
                        self.deferred_container_probe_orders.push((replica.container, probe));
                    }
                }
            }
        }
        any
    }

    /// A bundle connection's probe waits for its container's start: it
    /// cannot run before a stopped container can start; an active
    /// container that cannot start again doesn't hold it up (Pacemaker's
    /// pe_order_probe). The first part is ordered with the other orderings.
    pub(super) fn order_connection_probes_of_stopped_containers(&mut self) {
        for (probe, container) in std::mem::take(&mut self.deferred_replica_probe_orders) {
            let node = self.plan.actions[probe].node;
            for start in self.plan.rsc_actions(container, "start") {
                if self.plan.actions[start].node == node {
                    self.plan.order(probe, start, of::OPTIONAL);
                }
            }
        }
        for &(container, probe) in &self.deferred_container_probe_orders.clone() {
            if self.ws.resources[container].running_on.is_empty() {
                for start in self.first_actions_for(container, "start", None) {
                    self.plan.order(start, probe, of::RUNNABLE_LEFT);
                }
            }
        }
    }

    /// The second part, once it is known whether the containers can start.
    pub(super) fn order_connection_probes_of_active_containers(&mut self) {
        for (container, probe) in std::mem::take(&mut self.deferred_container_probe_orders) {
            if self.ws.resources[container].running_on.is_empty() {
                continue;
            }
            for start in self.plan.rsc_actions(container, "start") {
                if self.plan.actions[start].runnable {
                    self.plan.order(start, probe, of::OPTIONAL);
                }
            }
        }
    }
}
