//! Orderings for actions on Pacemaker Remote nodes: they happen over the
//! node's connection, so they wait for the connection to start and finish
//! before it stops; with a connection that cannot be recovered, the node
//! is fenced instead (Pacemaker's pcmk_sched_remote.c).

use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, WorkingSet};

use super::actions::{Action, Builder};

/// What can be said of a remote node's connection in this transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Not known whether it can be recovered (not running anywhere yet).
    Unknown,
    /// Up and staying up.
    Alive,
    /// Running on a node that is gone: it must start elsewhere first.
    Resting,
    /// Cannot be recovered: the remote node must be fenced.
    Failed,
    /// Cleanly stopped, or stopping for good.
    Stopped,
}

/// The node a resource is active on, when it is active on exactly one.
fn current_node(ws: &WorkingSet, r: RscIdx) -> Option<NodeIdx> {
    ws.resources[r].running_on.first().copied()
}

pub fn connection_state(ws: &WorkingSet, node: NodeIdx) -> Option<ConnectionState> {
    let connection = ws.nodes[node].remote_rsc?;
    let res = &ws.resources[connection];
    let host = current_node(ws, connection);
    let state = if res.next_role == Role::Stopped || res.assigned_to.is_none() {
        if host.is_some_and(|h| ws.nodes[h].unclean) {
            ConnectionState::Failed
        } else if !res.failed {
            ConnectionState::Stopped
        } else if res.next_role == Role::Stopped
            && res.remote_reconnect_ms > 0
            && ws.nodes[node].remote_was_fenced
            && !crate::unpack::shutdown_requested(&ws.nodes[node])
        {
            // Recoverable or not is found out when the reconnect interval expires.
            ConnectionState::Unknown
        } else {
            ConnectionState::Failed
        }
    } else {
        match host {
            None => ConnectionState::Unknown,
            Some(h) if ws.nodes[h].unclean || !ws.nodes[h].online => ConnectionState::Resting,
            // Mid-migration: what runs there waits for the migration.
            Some(_) if res.running_on.len() > 1 && res.migration.partial.is_some() => ConnectionState::Resting,
            Some(_) => ConnectionState::Alive,
        }
    };
    Some(state)
}

/// A remote node whose connection has failed for good.
pub fn is_failed_remote_node(ws: &WorkingSet, node: NodeIdx) -> bool {
    ws.nodes[node].is_remote && connection_state(ws, node) == Some(ConnectionState::Failed)
}

/// The cluster node through which an action on a remote node is carried
/// out: where the connection is, or will be once it has started (for a
/// moving connection, actions that must finish before it leaves go through
/// the node it leaves).
pub fn connection_host_for_action(ws: &WorkingSet, a: &Action) -> Option<NodeIdx> {
    let node = a.node?;
    if a.task == "stonith" || !ws.nodes[node].is_remote {
        return None;
    }
    let connection = ws.nodes[node].remote_rsc?;
    let began_on = current_node(ws, connection);
    let ended_on = ws.resources[connection].assigned_to;
    let (Some(began), Some(ended)) = (began_on, ended_on) else {
        return began_on.or(ended_on);
    };
    if began == ended {
        return Some(began);
    }
    let task = if a.task == "notify" {
        a.added_meta
            .iter()
            .find(|(k, _)| k == "notify_operation")
            .map(|(_, v)| v.as_str())
            .unwrap_or("notify")
    } else {
        a.task.as_str()
    };
    if matches!(task, "cancel" | "stop" | "demote" | "migrate_from" | "migrate_to") {
        Some(began)
    } else {
        Some(ended)
    }
}

/// How an action relates to its node's connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TaskKind {
    Up,
    Down,
    Demote,
    Other,
}

fn task_kind(task: &str) -> TaskKind {
    match task {
        "start" | "promote" => TaskKind::Up,
        // Migration needs the connection as a stop does.
        "stop" | "migrate_to" | "migrate_from" => TaskKind::Down,
        "demote" => TaskKind::Demote,
        _ => TaskKind::Other,
    }
}

impl Builder<'_> {
    /// Orders every action on a remote node relative to the node's
    /// connection (Pacemaker's pcmk__order_remote_connection_actions).
    pub fn order_remote_connection_actions(&mut self) {
        if !self.ws.nodes.iter().any(|n| n.is_remote) {
            return;
        }
        // Newest first, as Pacemaker walks its action list (which matters
        // for the order in which nodes are found to need fencing).
        for a in (0..self.plan.actions.len()).rev() {
            self.order_action_with_connection(a);
        }
    }

    /// Orders one action relative to its node's connection, if it runs on
    /// a remote node (also for the migrate_to actions, made later).
    pub(super) fn order_action_with_connection(&mut self, a: usize) {
        let action = &self.plan.actions[a];
        let Some(rsc) = action.rsc else { return };
        // Clearing a connection's fail count comes before it starts again.
        if self.ws.resources[rsc].is_remote_connection && action.task == "clear_failcount" {
            for start in self.plan.rsc_actions(rsc, "start") {
                self.plan.order(a, start, of::OPTIONAL);
            }
            return;
        }
        let Some(node) = action.node else { return };
        if !self.ws.nodes[node].is_remote || action.pseudo {
            return;
        }
        let Some(connection) = self.ws.nodes[node].remote_rsc else { return };
        // A resource moving to a remote node leaves its old node only
        // once the connection is up, so that it stays where it was if
        // the connection fails.
        if action.task == "start" {
            for stop in self.plan.rsc_actions(rsc, "stop") {
                if self.plan.actions[stop].node != Some(node) {
                    self.order_start_then_action(connection, stop, of::OPTIONAL);
                }
            }
        }
        if self.ws.resources[connection].container.is_some() {
            self.apply_container_ordering(a, node, connection);
        } else {
            self.apply_remote_ordering(a, node, connection);
        }
    }

    fn apply_remote_ordering(&mut self, a: usize, node: NodeIdx, connection: RscIdx) {
        let Some(state) = connection_state(self.ws, node) else { return };
        let action = &self.plan.actions[a];
        let recurring = action.interval_ms > 0 && action.task != "cancel";
        let is_monitor = action.task == "monitor";
        match task_kind(&action.task) {
            TaskKind::Up => {
                // A connection that cannot be recovered forces recovery.
                let extra = if state == ConnectionState::Failed { of::IMPLIES_THEN } else { of::OPTIONAL };
                self.order_start_then_action(connection, a, extra);
            }
            TaskKind::Down => match state {
                ConnectionState::Alive => self.order_then_stop(a, connection, of::IMPLIES_FIRST),
                // Only fencing can stop what runs there now.
                ConnectionState::Failed => self.fence_during_planning(
                    node,
                    "resources are active but connection is unrecoverable",
                ),
                _ if self.ws.resources[connection].next_role == Role::Stopped => {
                    self.order_then_stop(a, connection, of::IMPLIES_FIRST)
                }
                // The connection starts elsewhere first.
                _ => self.order_start_then_action(connection, a, of::OPTIONAL),
            },
            TaskKind::Demote => {
                if matches!(state, ConnectionState::Resting | ConnectionState::Unknown) {
                    self.order_start_then_action(connection, a, of::OPTIONAL);
                }
            }
            TaskKind::Other if recurring => self.order_start_then_action(connection, a, of::IMPLIES_THEN),
            TaskKind::Other => {
                if is_monitor && state == ConnectionState::Failed {
                    // The state there can't be found out: fence to be sure.
                    self.fence_during_planning(
                        node,
                        "resources are in unknown state and connection is unrecoverable",
                    );
                }
                if current_node(self.ws, connection).is_some() && state == ConnectionState::Stopped {
                    // Going down for good: check first what is stopped.
                    self.order_then_stop(a, connection, of::RUNNABLE_LEFT);
                } else {
                    self.order_start_then_action(connection, a, of::OPTIONAL);
                }
            }
        }
    }

    /// The connection's start (created if needed, as for any ordering)
    /// before an action.
    pub(super) fn order_start_then_action(&mut self, connection: RscIdx, then: usize, extra: u32) {
        for start in self.first_actions_for(connection, "start", None) {
            self.plan.order(start, then, of::PRESERVE | of::RUNNABLE_LEFT | extra);
        }
    }

    /// An action before the connection's stop.
    pub(super) fn order_then_stop(&mut self, first: usize, connection: RscIdx, extra: u32) {
        // Kept with the resource orderings, so that a probe of a resource
        // stopping there comes before the connection's stop too.
        let a = &self.plan.actions[first];
        if let (Some(r), "stop") = (a.rsc, a.task.as_str()) {
            self.rsc_orderings.push((r, "stop".to_string(), connection, "stop".to_string(), of::PRESERVE | extra));
        }
        for stop in self.plan.rsc_actions(connection, "stop") {
            self.plan.order(first, stop, of::PRESERVE | extra);
        }
    }
}
