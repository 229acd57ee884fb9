//! Clone notifications (Pacemaker's pe_notif.c), for clones with
//! notify=true: "pre" and "post" notification pseudo-actions around each of
//! the clone's starts, stops, promotions and demotions, and a "notify"
//! action on every instance that has to be told.

use super::actions::{Action, Builder};
use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, Variant};

/// The clone-level actions a notification is about: the task, the clone's
/// pseudo-action for it and the one completing it.
const NOTIFIED_TASKS: [(&str, &str); 4] = [
    ("start", "running"),
    ("stop", "stopped"),
    ("promote", "promoted"),
    ("demote", "demoted"),
];

/// The pseudo-actions of one notification round.
struct Round {
    task: &'static str,
    pre: usize,
    pre_done: usize,
    post: usize,
    post_done: usize,
}

impl Builder<'_> {
    /// Creates the notifications of every clone with notify=true, once the
    /// required actions are known.
    pub fn create_notifications(&mut self) {
        for clone in 0..self.ws.resources.len() {
            let res = &self.ws.resources[clone];
            if res.variant != Variant::Clone || !res.clone.notify {
                continue;
            }
            let promotable = res.clone.promotable;
            let mut rounds: Vec<(&'static str, usize, usize)> = Vec::new();
            for (task, complete_task) in NOTIFIED_TASKS {
                if !promotable && (task == "promote" || task == "demote") {
                    continue;
                }
                let action = self.plan.find(Some(clone), task, None);
                let complete = self.plan.find(Some(clone), complete_task, None);
                let (Some(action), Some(complete)) = (action, complete) else {
                    continue;
                };
                let round = self.notification_round(clone, task, action, complete);
                self.wait_for_notifications(clone, complete, round.post_done);
                for p in self.ws.primitives_of(clone) {
                    self.notify_instance(p, &round);
                }
                rounds.push((task, round.pre, round.post_done));
            }
            self.order_rounds(&rounds);
        }
    }

    /// A round's notifications begin only after those of the rounds that
    /// come before it are confirmed: stops before starts, and for
    /// promotable clones demotions before everything, promotions last.
    fn order_rounds(&mut self, rounds: &[(&'static str, usize, usize)]) {
        const BEFORE: [(&str, &str); 6] = [
            ("stop", "start"),
            ("stop", "promote"),
            ("start", "promote"),
            ("demote", "promote"),
            ("demote", "start"),
            ("demote", "stop"),
        ];
        let find = |task: &str| rounds.iter().find(|r| r.0 == task);
        for (earlier, later) in BEFORE {
            if let (Some(e), Some(l)) = (find(earlier), find(later)) {
                self.plan.order(e.2, l.1, of::OPTIONAL);
            }
        }
    }

    /// Other resources ordered after the clone's task wait until the
    /// notifications about it are confirmed too (as Pacemaker remaps an
    /// ordering's first action for clones with notifications).
    fn wait_for_notifications(&mut self, clone: RscIdx, complete: usize, post_done: usize) {
        if self.ws.resources[clone].parent.is_some() {
            return;
        }
        for o in self.plan.ordering_ids_from(complete) {
            let then = self.plan.orderings[o].then;
            let Some(then_rsc) = self.plan.actions[then].rsc else {
                continue;
            };
            if then_rsc == clone || self.is_ancestor(clone, then_rsc) {
                continue;
            }
            self.plan.reroute_first(o, post_done);
        }
    }

    fn notify_pseudo(
        &mut self,
        clone: RscIdx,
        key: String,
        task: &str,
        optional: bool,
        runnable: bool,
    ) -> usize {
        let mut action = Action {
            rsc: Some(clone),
            task: task.to_string(),
            optional,
            runnable,
            pseudo: true,
            ..Default::default()
        };
        super::monitors::describe_operation(self.ws, &mut action, clone);
        action.op_key = key;
        self.plan.add_raw(action)
    }

    fn notification_round(
        &mut self,
        clone: RscIdx,
        task: &'static str,
        action: usize,
        complete: usize,
    ) -> Round {
        let id = self.ws.resources[clone].id.clone();
        // Required when any instance really does the task (a stop implied
        // by fencing counts).
        let required = self
            .ws
            .primitives_of(clone)
            .iter()
            .flat_map(|&p| self.plan.rsc_actions(p, task))
            .any(|i| {
                let a = &self.plan.actions[i];
                !a.optional && (a.runnable || (task == "stop" && a.pseudo))
            });
        let complete_task = self.plan.actions[complete].task.clone();
        let complete_runnable = self.plan.actions[complete].runnable;
        let pre = self.notify_pseudo(
            clone,
            format!("{id}_pre_notify_{task}_0"),
            "notify",
            !required,
            true,
        );
        let pre_done = self.notify_pseudo(
            clone,
            format!("{id}_confirmed-pre_notify_{task}_0"),
            "notified",
            !required,
            true,
        );
        let post = self.notify_pseudo(
            clone,
            format!("{id}_post_notify_{complete_task}_0"),
            "notify",
            !required,
            complete_runnable,
        );
        let post_done = self.notify_pseudo(
            clone,
            format!("{id}_confirmed-post_notify_{complete_task}_0"),
            "notified",
            !required,
            complete_runnable,
        );
        self.plan.order(pre, pre_done, of::OPTIONAL);
        self.plan.order(pre_done, action, of::OPTIONAL);
        self.plan.order(complete, post, of::IMPLIES_THEN);
        self.plan.order(post, post_done, of::IMPLIES_THEN);
        self.plan.order(pre_done, post, of::OPTIONAL);
        Round {
            task,
            pre,
            pre_done,
            post,
            post_done,
        }
    }

    /// A "notify" action on one instance, ordered inside its round.
    fn notify_on(
        &mut self,
        p: RscIdx,
        node: NodeIdx,
        task: &str,
        op: usize,
        done: usize,
        post: bool,
    ) {
        if !self.ws.nodes[node].online || !self.plan.actions[op].runnable {
            return;
        }
        let mut action = Action {
            rsc: Some(p),
            task: "notify".to_string(),
            node: Some(node),
            optional: self.plan.actions[op].optional,
            runnable: true,
            ..Default::default()
        };
        super::monitors::describe_operation(self.ws, &mut action, p);
        // An instance's key names the phase and the task itself, even where
        // the clone's post-notification is named after the completing
        // pseudo-action (rsc:0_post_notify_start_0 within
        // clone_post_notify_running_0).
        let res = &self.ws.resources[p];
        let name = res.clone_name.as_deref().unwrap_or(&res.id);
        let phase = if post { "post" } else { "pre" };
        action.op_key = format!("{name}_{phase}_notify_{task}_0");
        let i = self.plan.add_raw(action);
        self.plan.order(op, i, of::OPTIONAL);
        self.plan.order(i, done, of::OPTIONAL);
        if post {
            let monitors: Vec<usize> = (0..self.plan.actions.len())
                .filter(|&m| {
                    let a = &self.plan.actions[m];
                    a.rsc == Some(p) && a.interval_ms > 0 && a.task != "cancel"
                })
                .collect();
            for m in monitors {
                self.plan.order(done, m, of::OPTIONAL);
            }
        }
    }

    fn notify_instance(&mut self, p: RscIdx, round: &Round) {
        let res = &self.ws.resources[p];
        let task = round.task;
        // Nothing to tell about a start/promote/demote nobody does.
        if task != "stop" && !self.any_instance_does(round) {
            return;
        }
        if res.role != Role::Stopped && (task == "stop" || task == "demote") {
            let stop = self.plan.rsc_actions(p, "stop").first().copied();
            for node in res.running_on.clone() {
                let stop_pseudo = stop.map(|s| self.plan.actions[s].pseudo).unwrap_or(false);
                if stop_pseudo && self.ws.nodes[node].unclean {
                    continue;
                }
                self.notify_on(p, node, task, round.pre, round.pre_done, false);
                let stop_optional = stop.map(|s| self.plan.actions[s].optional).unwrap_or(true);
                if task == "demote" || stop_optional {
                    self.notify_on(p, node, task, round.post, round.post_done, true);
                }
            }
        }
        let res = &self.ws.resources[p];
        if res.next_role != Role::Stopped && (task == "start" || task == "promote") {
            let Some(node) = res.assigned_to else { return };
            let start = self.plan.rsc_actions(p, "start").first().copied();
            let start_optional = start.map(|s| self.plan.actions[s].optional).unwrap_or(true);
            if task != "start" || start_optional {
                self.notify_on(p, node, task, round.pre, round.pre_done, false);
            }
            self.notify_on(p, node, task, round.post, round.post_done, true);
        }
    }

    /// Whether some instance of the round's clone really does the task.
    fn any_instance_does(&self, round: &Round) -> bool {
        let Some(clone) = self.plan.actions[round.pre].rsc else {
            return false;
        };
        self.ws
            .primitives_of(clone)
            .iter()
            .flat_map(|&p| self.plan.rsc_actions(p, round.task))
            .any(|i| {
                let a = &self.plan.actions[i];
                !a.optional && a.runnable && a.node.is_some()
            })
    }
}
