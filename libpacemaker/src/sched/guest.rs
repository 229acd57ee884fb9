//! Guest nodes and other resources that run inside a container resource:
//! they are placed with their container and ordered inside its lifetime,
//! actions on a guest node wait for its container and connection, and a
//! guest node is "fenced" by recovering its container (Pacemaker's
//! pcmk__primitive_internal_constraints, apply_container_ordering and
//! pcmk__fence_guest).

use crate::model::{order_flags as of, Colocation, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::score::INFINITY;

use super::actions::{Action, Builder};

/// Name of the implicit colocation of a resource with its container.
const WITH_CONTAINER: &str = "resource-with-container";
/// Its score for a bundle's connection, which may run elsewhere when the
/// container runs on a remote node.
const NESTED_CONNECTION_WITH_CONTAINER: i32 = 10000;

/// A resource whose `container` is a guest node's connection (or contains a
/// guest node) must run on that guest node rather than beside the container.
fn guest_connection_of_container(ws: &WorkingSet, r: RscIdx) -> Option<RscIdx> {
    let container = ws.resources[r].container?;
    if ws.resources[container].is_remote_connection {
        return Some(container);
    }
    ws.resources[container]
        .fillers
        .iter()
        .copied()
        .find(|&f| ws.resources[f].is_remote_connection)
}

/// The cluster node that hosts the guest node an action runs on: where its
/// container is for actions that take things down, where it will be for
/// the others (Pacemaker passes it to agents as the physical host).
pub fn physical_host(ws: &WorkingSet, a: &Action) -> Option<NodeIdx> {
    let container = ws.guest_container(a.node?)?;
    let task = if a.task == "notify" || a.task == "notified" {
        a.added_meta.iter().find(|(k, _)| k == "notify_operation").map(|(_, v)| v.as_str())?
    } else {
        a.task.as_str()
    };
    match task {
        "stop" | "stopped" | "demote" | "demoted" => ws.resources[container].running_on.first().copied(),
        "start" | "running" | "monitor" | "promote" | "promoted" => ws.resources[container].assigned_to,
        _ => None,
    }
}

/// Placement constraints of resources with a container: colocated with it,
/// or forced onto the guest node it makes; guests' containers stay off
/// remote nodes (no nested remotes).
pub fn container_placement(ws: &mut WorkingSet) {
    for r in 0..ws.resources.len() {
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive || !res.managed {
            continue;
        }
        let Some(container) = res.container else { continue };
        // Bundles may run on remote nodes, their connections elsewhere.
        let nested_allowed = super::bundle::is_bundle_member(ws, r);
        if res.is_remote_connection {
            if !nested_allowed {
                avoid_remote_nodes(ws, container);
            }
        } else if let Some(connection) = guest_connection_of_container(ws, r) {
            for n in 0..ws.nodes.len() {
                if ws.nodes[n].remote_rsc != Some(connection) {
                    if let Some(score) = ws.resources[r].allowed.get_mut(&n) {
                        *score = -INFINITY;
                    }
                }
            }
            continue;
        }
        ws.colocations.push(Colocation {
            id: WITH_CONTAINER.to_string(),
            dependent: r,
            primary: container,
            // Highly preferred but not essential where nesting is allowed.
            score: if nested_allowed { NESTED_CONNECTION_WITH_CONTAINER } else { INFINITY },
            dependent_role: Role::Unknown,
            primary_role: Role::Unknown,
            node_attribute: None,
            influence: true,
        });
    }
}

fn avoid_remote_nodes(ws: &mut WorkingSet, r: RscIdx) {
    for n in 0..ws.nodes.len() {
        if ws.nodes[n].remote_rsc.is_some() {
            if let Some(score) = ws.resources[r].allowed.get_mut(&n) {
                *score = -INFINITY;
            }
        }
    }
}

impl Builder<'_> {
    /// Orderings of a resource with its container: it starts after the
    /// container and stops before it; a guest's connection stops only after
    /// the container's probe (which may find the container running after a
    /// clean-up).
    pub fn container_orderings(&mut self, r: RscIdx) {
        let res = &self.ws.resources[r];
        let Some(container) = res.container else { return };
        if !res.managed {
            return;
        }
        if res.is_remote_connection {
            let probes: Vec<usize> =
                self.plan.rsc_actions(container, "monitor").into_iter().filter(|&a| self.plan.actions[a].is_probe).collect();
            for probe in probes {
                for stop in self.plan.rsc_actions(r, "stop") {
                    self.plan.order(probe, stop, of::OPTIONAL);
                }
            }
        } else if guest_connection_of_container(self.ws, r).is_some() {
            return;
        }
        self.order_tasks(container, "start", r, "start", of::IMPLIES_THEN | of::RUNNABLE_LEFT);
        self.order_tasks(r, "stop", container, "stop", of::IMPLIES_FIRST);
    }

    /// Guest nodes to be reset are "fenced" by a pseudo-action that stands
    /// for the recovery of their container: what ran there is stopped by it.
    pub fn fence_guests(&mut self) {
        let any_managed = self.ws.resources.iter().any(|r| r.managed);
        // By name, as Pacemaker keeps its node list (which decides the
        // order the fencing actions are created and listed in).
        let mut guests: Vec<NodeIdx> = (0..self.ws.nodes.len()).collect();
        guests.sort_by(|&x, &y| crate::output::status::natural_cmp(&self.ws.nodes[x].uname, &self.ws.nodes[y].uname));
        for n in guests {
            let Some(container) = self.ws.guest_container(n) else { continue };
            if !self.ws.nodes[n].remote_requires_reset || !any_managed || !self.guest_can_be_fenced(n) {
                continue;
            }
            let stop = self.plan.rsc_actions(container, "stop").first().copied();
            // Restarting somewhere (not a start made only for an ordering).
            let restarts = self.plan.rsc_actions(container, "start").iter().any(|&s| self.plan.actions[s].node.is_some());
            let fence_action = if restarts { "reboot" } else { "off" };
            let fence = self.fence_op(n, fence_action, false, Some("guest is unclean"));
            let a = &mut self.plan.actions[fence];
            (a.optional, a.runnable, a.pseudo) = (false, true, true);
            self.mark_fenced(n);
            match stop {
                // The container's stop is itself implied by fencing its host.
                Some(stop) if self.plan.actions[stop].pseudo || self.host_fenced_first(container, n) => {
                    if let Some(host_fence) = self.host_fencing(container) {
                        self.plan.order(host_fence, fence, of::RUNNABLE_LEFT | of::IMPLIES_THEN);
                    }
                }
                Some(stop) => {
                    self.plan.order(stop, fence, of::RUNNABLE_LEFT | of::IMPLIES_THEN);
                }
                None => {
                    // Thought stopped already (maybe its history was just
                    // cleaned): not down before the connection is.
                    let connection = self.ws.nodes[n].remote_rsc.expect("guest has a connection");
                    if let Some(&stop) = self.plan.rsc_actions(connection, "stop").first() {
                        self.plan.order(stop, fence, of::OPTIONAL);
                    }
                }
            }
        }
    }

    /// A guest can be fenced when its container's hosts are online or can
    /// be fenced themselves.
    fn guest_can_be_fenced(&self, n: NodeIdx) -> bool {
        self.ws.guest_container(n).is_some() && self.guest_host_recoverable(n)
    }

    /// Whether every host of a guest's container is online or can be
    /// fenced (Pacemaker's pe_can_fence for a guest node).
    pub(super) fn guest_host_recoverable(&self, n: NodeIdx) -> bool {
        let Some(container) = self.ws.guest_container(n) else { return true };
        self.ws.resources[container]
            .running_on
            .iter()
            .all(|&host| self.ws.nodes[host].online || self.ws.can_fence(host))
    }

    /// Whether the container's host is fenced, and Pacemaker (which visits
    /// nodes by name) has made the container's stop part of that fencing
    /// before it comes to the guest.
    fn host_fenced_first(&self, container: RscIdx, guest: NodeIdx) -> bool {
        let Some(host) = self.ws.resources[container].running_on.first().copied() else { return false };
        let by_name = crate::output::status::natural_cmp(&self.ws.nodes[host].uname, &self.ws.nodes[guest].uname);
        self.host_fencing(container).is_some() && by_name == std::cmp::Ordering::Less
    }

    /// The fencing of the node the container runs on, if scheduled.
    fn host_fencing(&self, container: RscIdx) -> Option<usize> {
        let host = self.ws.resources[container].running_on.first().copied()?;
        self.plan
            .actions_without_rsc(super::actions::FENCE_TASK)
            .filter(|&i| self.plan.actions[i].node == Some(host) && self.plan.actions[i].is_node_fencing())
            .last()
    }

    /// Orders an action on a guest node with the guest's container and
    /// connection: up actions after both start, down actions before the
    /// connection stops (unless the failed container implies them).
    pub(super) fn apply_container_ordering(&mut self, a: usize, node: NodeIdx, connection: RscIdx) {
        let Some(container) = self.ws.resources[connection].container else { return };
        if self.ws.resources[container].failed {
            self.fence_during_planning(node, "container failed");
        }
        let action = &self.plan.actions[a];
        match action.task.as_str() {
            "start" | "promote" => {
                // Recovering the container recovers what runs inside.
                self.order_start_then_action(container, a, of::IMPLIES_THEN);
                self.order_start_then_action(connection, a, of::OPTIONAL);
            }
            "stop" | "demote" | "migrate_to" | "migrate_from" => {
                if !self.ws.resources[container].failed {
                    self.order_then_stop(a, connection, of::OPTIONAL);
                }
            }
            // A cancellation (which has its operation's interval) needs
            // nothing of the connection: it can't be done later anyway.
            "cancel" => {}
            _ if action.interval_ms > 0 => self.order_start_then_action(connection, a, of::IMPLIES_THEN),
            _ => self.order_start_then_action(connection, a, of::OPTIONAL),
        }
    }
}

/// Drops the orderings that configuration made between a guest node's
/// container and what runs on the guest: the container's lifetime already
/// frames those actions, and such an ordering can only make a loop. The
/// cluster's own orderings (which preserve order) stay. Like Pacemaker
/// (ordering_is_invalid), this happens once flags are settled.
pub fn disable_guest_container_orderings(ws: &WorkingSet, plan: &mut super::actions::Plan) {
    let invalid: Vec<usize> = (0..plan.orderings.len())
        .filter(|&o| {
            let ordering = &plan.orderings[o];
            let (first, then) = (&plan.actions[ordering.first], &plan.actions[ordering.then]);
            ordering.flags & of::PRESERVE == 0
                && first.rsc.is_some()
                && then.rsc.is_some()
                && first.node.and_then(|n| ws.guest_container(n)) == then.rsc
        })
        .collect();
    for o in invalid {
        plan.disable_ordering(o);
    }
}
