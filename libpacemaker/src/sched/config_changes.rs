//! Checks of the resource history against the configuration (Pacemaker's
//! pcmk__handle_rsc_config_changes): recurring operations that no longer
//! belong are cancelled, orphaned resources' history is cleaned up. Also
//! the shutdown of nodes that are leaving the cluster.

use super::actions::{Action, Builder};
use crate::model::{order_flags as of, ActiveRecurring, NodeIdx, RscIdx, Variant};

impl Builder<'_> {
    /// Whether the history on a node is checked at all: only nodes that can
    /// run resources (or are in maintenance, to cancel their monitors).
    fn history_checked_on(&self, node: NodeIdx) -> bool {
        let n = &self.ws.nodes[node];
        n.maintenance || (n.online && !n.shutdown && !n.unclean && !n.standby)
    }

    /// Cancels recurring operations running where they no longer belong:
    /// ones no longer (or no longer enabled) in the configuration, and all
    /// of them in maintenance mode (Pacemaker's process_rsc_history).
    pub fn cancel_stale_recurring(&mut self) {
        for r in 0..self.ws.resources.len() {
            let res = &self.ws.resources[r];
            if res.variant != Variant::Primitive || res.orphan {
                continue;
            }
            let running: Vec<ActiveRecurring> = res
                .active_recurring
                .iter()
                .filter(|a| res.running_on.contains(&a.node))
                .cloned()
                .collect();
            for ActiveRecurring { node, task, interval_ms, call_id } in running {
                if !self.history_checked_on(node) {
                    continue;
                }
                let res = &self.ws.resources[r];
                let in_maintenance = res.maintenance || self.ws.nodes[node].maintenance;
                let configured = res.recurring_op_configured(&task, interval_ms);
                let orphaned = !configured && self.ws.options.stop_orphan_actions;
                if !in_maintenance && !orphaned {
                    continue;
                }
                let cancel = self.cancel_operation(r, &task, interval_ms, node);
                self.plan.actions[cancel].add_meta("call_id", &call_id.to_string());
                // After any stop.
                for stop in self.plan.rsc_actions(r, "stop") {
                    self.plan.order(stop, cancel, of::OPTIONAL);
                }
            }
        }
    }

    /// Schedules the deletion of orphaned resources' history (resources no
    /// longer in the configuration), after they are stopped.
    pub fn clean_up_orphans(&mut self) {
        // Unknown history may belong to what is not modelled yet (bundles).
        if self.ws.unsupported_resources {
            return;
        }
        for r in 0..self.ws.resources.len() {
            let res = &self.ws.resources[r];
            if res.variant != Variant::Primitive
                || !res.orphan
                || res.failed
                || self.ws.enclosing_clone(r).is_some()
            {
                continue;
            }
            for node in res.history_on.clone() {
                if self.history_checked_on(node) {
                    self.schedule_cleanup(r, node);
                }
            }
        }
    }

    /// Cleans up the history of resources recorded with another agent than
    /// the configured one (the agent change itself restarted them).
    pub fn clean_up_changed_agents(&mut self, changes: &super::digests::DefinitionChanges) {
        for &(r, node) in &changes.agent_changes {
            if !self.ws.resources[r].failed {
                self.schedule_cleanup(r, node);
            }
        }
    }

    /// Deletes a resource's history on a node, after it stops and before it
    /// starts again (Pacemaker's pcmk__schedule_cleanup).
    fn schedule_cleanup(&mut self, r: crate::model::RscIdx, node: NodeIdx) {
        let n = &self.ws.nodes[node];
        if !n.online || n.unclean {
            return;
        }
        let delete = self.resource_action(r, "delete", Some(node), false);
        for stop in self.plan.rsc_actions(r, "stop") {
            self.plan.order(stop, delete, of::OPTIONAL);
        }
        for start in self.plan.rsc_actions(r, "start") {
            self.plan.order(delete, start, of::OPTIONAL);
        }
    }

    /// Nodes shutting down (and not being fenced) get a shutdown action,
    /// after every stop there.
    pub fn schedule_shutdowns(&mut self) {
        for node in 0..self.ws.nodes.len() {
            let n = &self.ws.nodes[node];
            if n.is_remote || !n.online || !n.shutdown || self.fenced_nodes().contains(&node) {
                continue;
            }
            let shutdown = self.plan.add_raw(Action {
                task: "do_shutdown".to_string(),
                node: Some(node),
                optional: false,
                runnable: true,
                ..Default::default()
            });
            let stops: Vec<usize> = (0..self.plan.actions.len())
                .filter(|&i| {
                    let a = &self.plan.actions[i];
                    a.rsc.is_some() && a.task == "stop" && a.node == Some(node)
                })
                .collect();
            for stop in stops {
                self.plan.order(stop, shutdown, of::OPTIONAL);
            }
            for stop in super::shutdown::stops_before_shutdown(self.ws, &self.plan, node) {
                self.plan.actions[stop].optional = false;
            }
        }
    }

    /// With a placement strategy other than "default", resources with
    /// utilization wait for the load on their nodes to be gone: a
    /// "load_stopped_<node>" pseudo-action after the stops there, before
    /// the starts (Pacemaker's pcmk__create_utilization_constraints).
    pub fn create_utilization_orderings(&mut self) {
        if self
            .ws
            .options
            .placement_strategy
            .eq_ignore_ascii_case("default")
        {
            return;
        }
        for r in 0..self.ws.resources.len() {
            let res = &self.ws.resources[r];
            if res.variant != Variant::Primitive || !res.managed || res.utilization.is_empty() {
                continue;
            }
            let running = res.running_on.clone();
            let mut allowed: Vec<NodeIdx> = res.allowed.keys().copied().collect();
            allowed.sort_by(|&a, &b| self.ws.nodes[a].uname.cmp(&self.ws.nodes[b].uname));
            for node in running {
                let load = self.load_stopped(node);
                for stop in self.plan.rsc_actions(r, "stop") {
                    self.plan.order(stop, load, of::LOAD);
                }
            }
            for node in allowed {
                let load = self.load_stopped(node);
                for task in ["start", "migrate_to"] {
                    for then in self.plan.rsc_actions(r, task) {
                        self.plan.order(load, then, of::LOAD);
                    }
                }
            }
        }
    }

    fn load_stopped(&mut self, node: NodeIdx) -> usize {
        let task = format!("load_stopped_{}", self.ws.nodes[node].uname);
        if let Some(i) = self.plan.find(None, &task, Some(node)) {
            return i;
        }
        self.plan.add_raw(Action {
            task,
            node: Some(node),
            optional: false,
            runnable: true,
            pseudo: true,
            ..Default::default()
        })
    }

    /// A required action clearing the resource's fail count on the node (Pacemaker's
    /// pe__clear_failcount), for `reason` when given.
    pub fn clear_fail_count(&mut self, r: RscIdx, node: NodeIdx, reason: Option<&str>) -> usize {
        let clear = self.resource_action(r, "clear_failcount", Some(node), false);
        // The controller need not wait for the attribute manager.
        self.plan.actions[clear].add_meta("op_no_wait", "true");
        if let Some(reason) = reason {
            self.plan.actions[clear].reason = Some(reason.to_string());
        }
        clear
    }

    /// Fail counts whose failures all expired are cleared (as Pacemaker schedules while
    /// unpacking the history).
    pub fn clear_expired_fail_counts(&mut self) {
        for (r, node) in self.ws.expired_fail_counts.clone() {
            let clear = self.clear_fail_count(r, node, Some("it expired"));
            // A remote connection waiting to reconnect forgets its failures
            // only once any fencing of its node is done (Pacemaker's
            // order_after_remote_fencing).
            let res = &self.ws.resources[r];
            if self.ws.options.stonith_enabled && res.remote_reconnect_ms > 0 {
                if let Some(remote) = self.ws.node_by_name(&res.id) {
                    let action = self.ws.options.stonith_action.clone();
                    let fence = self.fence_op(remote, &action, true, None);
                    self.plan.order(fence, clear, of::IMPLIES_THEN);
                }
            }
        }
    }

    /// Fail counts of orphaned resources are cleared on every online node
    /// (Pacemaker's clear_failcounts_if_orphaned), before they stop.
    pub fn clear_orphan_failcounts(&mut self) {
        if !self.ws.options.stop_orphan_resources {
            return;
        }
        // Only top-level orphans: orphaned clone instances keep their
        // fail counts.
        for r in self.ws.top_level.clone() {
            let res = &self.ws.resources[r];
            if !res.orphan || res.variant != Variant::Primitive {
                continue;
            }
            let mut nodes: Vec<NodeIdx> = res
                .failcount
                .iter()
                .filter(|(&n, &count)| count > 0 && self.ws.nodes[n].online)
                .map(|(&n, _)| n)
                .collect();
            nodes.sort_unstable();
            for node in nodes {
                let clear = self.clear_fail_count(r, node, None);
                for stop in self.plan.rsc_actions(r, "stop") {
                    self.plan.order(clear, stop, of::OPTIONAL);
                }
            }
        }
    }
}
