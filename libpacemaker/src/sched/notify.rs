//! Clone notifications (Pacemaker's pe_notif.c), for clones with
//! notify=true: "pre" and "post" notification pseudo-actions around each of
//! the clone's starts, stops, promotions and demotions, and a "notify"
//! action on every instance that has to be told.

use super::actions::{Action, Builder};
use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, Variant};
use crate::options::is_true;
use crate::output::status::natural_cmp;

/// The clone-level actions a notification is about: the task, the clone's
/// pseudo-action for it and the one completing it.
const NOTIFIED_TASKS: [(&str, &str); 4] = [
    ("start", "running"),
    ("stop", "stopped"),
    ("promote", "promoted"),
    ("demote", "demoted"),
];

/// The pseudo-actions of one notification round, and what the round tells
/// each agent.
struct Round {
    task: &'static str,
    pre: usize,
    pre_done: usize,
    post: usize,
    post_done: usize,
    lists: Vec<(String, String)>,
}

/// Instances (with the node each is on or acts on) in one of the lists a
/// notification carries.
type Entries = Vec<(RscIdx, Option<NodeIdx>)>;

/// The instances and nodes of one round, by the list they go in.
#[derive(Default)]
struct RoundEntries {
    start: Entries,
    stop: Entries,
    promote: Entries,
    demote: Entries,
    active: Entries,
    inactive: Entries,
    promoted: Entries,
    unpromoted: Entries,
}

/// The task named in the keys of notifications after fencing.
const FENCE_TASK_NAME: &str = super::actions::FENCE_TASK;

/// What an empty list is sent as (agents split on spaces either way).
const EMPTY_LIST: &str = " ";

impl Builder<'_> {
    /// Notes which tasks each clone's instances are to perform as the
    /// clone's actions are created (Pacemaker's starting, stopping,
    /// promoting and demoting instances then): a required start that can
    /// run, a required stop that can run or is implied by fencing, any
    /// required promotion or demotion.
    pub fn note_clone_changes_at_creation(&mut self) {
        for clone in 0..self.ws.resources.len() {
            if self.ws.resources[clone].variant != Variant::Clone {
                continue;
            }
            // Pacemaker weighs the clone's start as its instances' starts
            // are now (required or not, runnable or not) when deciding
            // whether what is ordered before it is shown, and does not
            // revisit that when an instance's start becomes required later.
            let start_required = self.member_actions(clone, "start").into_iter().any(|i| !self.plan.actions[i].optional);
            if !start_required {
                if let Some(start) = self.plan.find(Some(clone), "start", None) {
                    self.plan.actions[start].required_too_late_to_show_first = true;
                }
            }
            for (task, _) in NOTIFIED_TASKS {
                let changing = self.member_actions(clone, task).into_iter().any(|i| {
                    let a = &self.plan.actions[i];
                    !a.optional
                        && match task {
                            "start" => a.runnable,
                            "stop" => a.runnable || a.pseudo,
                            _ => true,
                        }
                });
                if changing {
                    self.clone_changes_at_creation.insert((clone, task));
                }
            }
        }
    }

    /// Creates the notifications of every clone with notify=true, once the
    /// required actions are known.
    pub fn create_notifications(&mut self) {
        for clone in 0..self.ws.resources.len() {
            if self.ws.resources[clone].variant != Variant::Clone {
                continue;
            }
            self.notify_after_fencing(clone);
            let res = &self.ws.resources[clone];
            if !res.clone.notify {
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
                self.tell_instance_actions(clone, &round.lists);
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
        // Only top-level clones and a bundle's inner clone are remapped.
        if self.ws.resources[clone].parent.is_some_and(|p| self.ws.resources[p].bundle.is_none()) {
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
            task: "notify".to_string(),
            optional,
            runnable,
            pseudo: true,
            ..Default::default()
        };
        // Every notification key names "notify", whose operation settings
        // apply (also to the confirmations).
        super::monitors::describe_operation(self.ws, &mut action, clone);
        action.task = task.to_string();
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
        let instance_actions = self.member_actions(clone, task);
        // Required when an instance was to do the task when the clone's
        // actions were created, even if it since became unrunnable, or
        // really does it now (a stop on an unclean node counts, implied by
        // fencing or not). Any required instance start counts, runnable or
        // not: Pacemaker asks the clone for the flags of its notification
        // pseudo-actions as it orders them, and a clone's action is required
        // as soon as one of its instances' actions for the task is.
        let required = self.clone_changes_at_creation.contains(&(clone, task))
            || instance_actions.iter().any(|&i| {
                let a = &self.plan.actions[i];
                let on_unclean = a.node.is_some_and(|n| self.ws.nodes[n].unclean);
                !a.optional
                    && (a.runnable
                        || (task == "stop" && (a.pseudo || on_unclean))
                        || task == "start")
            });
        // Like any of the clone's actions, they cannot run when no
        // instance's action for the task can (Pacemaker's clone action
        // flags, consulted by their orderings).
        let any_runnable = instance_actions.iter().any(|&i| self.plan.actions[i].runnable);
        let complete_task = self.plan.actions[complete].task.clone();
        let complete_runnable = self.plan.actions[complete].runnable;
        let pre = self.notify_pseudo(
            clone,
            format!("{id}_pre_notify_{task}_0"),
            "notify",
            !required,
            any_runnable,
        );
        let pre_done = self.notify_pseudo(
            clone,
            format!("{id}_confirmed-pre_notify_{task}_0"),
            "notified",
            !required,
            any_runnable,
        );
        let post = self.notify_pseudo(
            clone,
            format!("{id}_post_notify_{complete_task}_0"),
            "notify",
            !required,
            complete_runnable && any_runnable,
        );
        let post_done = self.notify_pseudo(
            clone,
            format!("{id}_confirmed-post_notify_{complete_task}_0"),
            "notified",
            !required,
            complete_runnable && any_runnable,
        );
        for (i, phase, key_type, key_task) in [
            (pre, "pre", "pre", task),
            (pre_done, "pre", "confirmed-pre", task),
            (post, "post", "post", complete_task.as_str()),
            (post_done, "post", "confirmed-post", complete_task.as_str()),
        ] {
            let a = &mut self.plan.actions[i];
            a.add_meta("notify_key_type", key_type);
            a.add_meta("notify_key_operation", key_task);
            a.add_meta("notify_type", phase);
            a.add_meta("notify_operation", task);
        }
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
            lists: self.notification_lists(clone),
        }
    }

    /// Stops implied by fencing complete only when the node is fenced: the
    /// other instances are told of each such stop after the fencing, in a
    /// round of its own (Pacemaker's pe__order_notifs_after_fencing). Done
    /// before the clone's usual rounds, whose notifications of the same
    /// instances then are these.
    fn notify_after_fencing(&mut self, clone: RscIdx) {
        let clone_notifies = self.ws.resources[clone].clone.notify;
        for p in self.ws.primitives_of(clone) {
            // An instance may ask for notifications itself.
            let notifies = self.ws.resources[p].meta.get("notify").map_or(clone_notifies, |v| is_true(v));
            if !notifies {
                continue;
            }
            for stop in self.plan.rsc_actions(p, "stop") {
                let a = &self.plan.actions[stop];
                let Some(node) = a.node else { continue };
                if !a.pseudo || !self.fenced_nodes().contains(&node) {
                    continue;
                }
                let Some(fencing) = (0..self.plan.actions.len()).find(|&f| {
                    let f = &self.plan.actions[f];
                    f.is_node_fencing() && f.node == Some(node) && !f.optional
                }) else {
                    continue;
                };
                self.fencing_round(clone, p, node, fencing);
            }
        }
    }

    fn fencing_round(&mut self, clone: RscIdx, stopped: RscIdx, node: NodeIdx, fencing: usize) {
        let res = &self.ws.resources[stopped];
        let id = res.id.clone();
        // Keyed by the name the plan uses for the instance, as its other actions.
        let name = res.clone_name.clone().unwrap_or_else(|| id.clone());
        let runnable = self.plan.actions[fencing].runnable;
        let pseudo = |builder: &mut Self, key_type: &str, task: &str| {
            let key = format!("{name}_{key_type}_notify_{FENCE_TASK_NAME}_0");
            let i = builder.notify_pseudo(stopped, key, task, false, runnable);
            let a = &mut builder.plan.actions[i];
            a.add_meta("notify_key_type", key_type);
            a.add_meta("notify_key_operation", FENCE_TASK_NAME);
            a.add_meta("notify_type", "post");
            a.add_meta("notify_operation", "stop");
            i
        };
        let post = pseudo(self, "post", "notify");
        let post_done = pseudo(self, "confirmed-post", "notified");
        self.plan.order(fencing, post, of::IMPLIES_THEN);
        self.plan.order(post, post_done, of::IMPLIES_THEN);
        let lists = vec![
            ("notify_stop_resource".to_string(), id),
            ("notify_stop_uname".to_string(), self.ws.nodes[node].uname.clone()),
        ];
        self.tell_instance_actions(clone, &lists);
        for p in self.ws.primitives_of(clone) {
            if self.ws.resources[p].role == Role::Stopped {
                continue;
            }
            let stop = self.plan.rsc_actions(p, "stop").first().copied();
            for on in self.ws.resources[p].running_on.clone() {
                let stop_pseudo = stop.is_some_and(|s| self.plan.actions[s].pseudo);
                let n = &self.ws.nodes[on];
                if stop_pseudo && (n.unclean || n.remote_requires_reset) {
                    continue;
                }
                if stop.is_none_or(|s| self.plan.actions[s].optional) {
                    self.notify_on(p, on, "stop", post, post_done, true, &lists);
                }
            }
        }
    }

    /// Who is in which state and who acts, as each agent is told (Pacemaker's
    /// collect_resource_data and add_notif_keys): name/value pairs such as
    /// notify_start_resource="rsc:1 rsc:2", notify_start_uname="n1 n2".
    fn notification_lists(&self, clone: RscIdx) -> Vec<(String, String)> {
        let ws = &*self.ws;
        let mut entries = RoundEntries::default();
        for p in ws.primitives_of(clone) {
            let res = &ws.resources[p];
            let here = res.running_on.first().copied();
            match res.role {
                Role::Stopped => entries.inactive.push((p, here)),
                Role::Started => entries.active.push((p, here)),
                Role::Unpromoted => {
                    entries.unpromoted.push((p, here));
                    entries.active.push((p, here));
                }
                Role::Promoted => {
                    entries.promoted.push((p, here));
                    entries.active.push((p, here));
                }
                Role::Unknown => {}
            }
            for (task, list) in [
                ("start", &mut entries.start),
                ("stop", &mut entries.stop),
                ("promote", &mut entries.promote),
                ("demote", &mut entries.demote),
            ] {
                for i in self.plan.rsc_actions(p, task) {
                    let a = &self.plan.actions[i];
                    let Some(node) = a.node else { continue };
                    // A stop on a node to be fenced is listed even when
                    // nothing can run it: fencing will do it.
                    let implied = task == "stop" && ws.nodes[node].unclean;
                    if !a.optional && (a.runnable || implied) {
                        list.push((p, Some(node)));
                    }
                }
            }
        }
        let mut lists = Vec::new();
        let mut add_pair = |kind: &str, entries: &mut Entries| {
            let (resources, nodes) = self.list_strings(entries);
            lists.push((format!("notify_{kind}_resource"), resources));
            lists.push((format!("notify_{kind}_uname"), nodes));
        };
        add_pair("stop", &mut entries.stop);
        add_pair("start", &mut entries.start);
        add_pair("demote", &mut entries.demote);
        add_pair("promote", &mut entries.promote);
        add_pair("active", &mut entries.active);
        // Older agents read the slave/master names.
        add_pair("unpromoted", &mut entries.unpromoted.clone());
        add_pair("slave", &mut entries.unpromoted);
        add_pair("promoted", &mut entries.promoted.clone());
        add_pair("master", &mut entries.promoted);
        entries.inactive.sort_by(|x, y| self.entry_order(x, y));
        entries.inactive.dedup_by_key(|e| e.0);
        let inactive: Vec<&str> = entries.inactive.iter().map(|&(p, _)| ws.resources[p].id.as_str()).collect();
        lists.push(("notify_inactive_resource".to_string(), word_list(&inactive)));
        let mut available: Vec<NodeIdx> = ws.resources[clone].allowed.keys().copied().collect();
        available.sort_by(|&x, &y| natural_cmp(&ws.nodes[x].uname, &ws.nodes[y].uname));
        let available: Vec<&str> = available.iter().map(|&n| ws.nodes[n].uname.as_str()).collect();
        lists.push(("notify_available_uname".to_string(), word_list(&available)));
        let mut all: Vec<NodeIdx> = (0..ws.nodes.len()).collect();
        all.sort_by(|&x, &y| natural_cmp(&ws.nodes[x].uname, &ws.nodes[y].uname));
        if ws.resources[clone].meta.get("container-attribute-target").map(String::as_str) == Some("host") {
            // Each guest node stands for the host its container is on.
            let hosts: Vec<&str> = all
                .iter()
                .map(|&n| match ws.guest_container(n).and_then(|c| ws.resources[c].running_on.first()) {
                    Some(&host) => ws.nodes[host].uname.as_str(),
                    None => ws.nodes[n].uname.as_str(),
                })
                .collect();
            lists.push(("notify_all_hosts".to_string(), word_list(&hosts)));
        }
        let all: Vec<&str> = all.iter().map(|&n| ws.nodes[n].uname.as_str()).collect();
        lists.push(("notify_all_uname".to_string(), word_list(&all)));
        lists
    }

    /// Entries by instance name, then by node id, placeless ones last.
    fn entry_order(&self, x: &(RscIdx, Option<NodeIdx>), y: &(RscIdx, Option<NodeIdx>)) -> std::cmp::Ordering {
        let ws = &*self.ws;
        let by_name = ws.resources[x.0].id.as_bytes().cmp(ws.resources[y.0].id.as_bytes());
        by_name.then_with(|| match (x.1, y.1) {
            (Some(a), Some(b)) => ws.nodes[a].id.as_bytes().cmp(ws.nodes[b].id.as_bytes()),
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, None) => std::cmp::Ordering::Equal,
        })
    }

    /// The instance names and node names of a list, each instance once.
    fn list_strings(&self, entries: &mut Entries) -> (String, String) {
        let ws = &*self.ws;
        entries.retain(|e| e.1.is_some());
        entries.sort_by(|x, y| self.entry_order(x, y));
        entries.dedup_by_key(|e| e.0);
        let resources: Vec<&str> = entries.iter().map(|&(p, _)| ws.resources[p].id.as_str()).collect();
        let nodes: Vec<&str> = entries.iter().filter_map(|&(_, n)| n).map(|n| ws.nodes[n].uname.as_str()).collect();
        (word_list(&resources), word_list(&nodes))
    }

    /// The instances' own starts, stops, promotions and demotions carry the
    /// lists too (of the first round that concerns them).
    fn tell_instance_actions(&mut self, clone: RscIdx, lists: &[(String, String)]) {
        for p in self.ws.primitives_of(clone) {
            for task in ["start", "stop", "promote", "demote"] {
                for i in self.plan.rsc_actions(p, task) {
                    let a = &mut self.plan.actions[i];
                    if a.optional || a.node.is_none() {
                        continue;
                    }
                    for (name, value) in lists {
                        a.add_meta(name, value);
                    }
                }
            }
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
        lists: &[(String, String)],
    ) {
        // Recurring monitors wait for the round's post-notifications, even
        // where this instance is not notified itself.
        if post {
            self.order_monitors_after(p, done);
        }
        if !self.ws.nodes[node].online || !self.plan.actions[op].runnable {
            return;
        }
        let res = &self.ws.resources[p];
        let name = res.clone_name.as_deref().unwrap_or(&res.id);
        let phase = if post { "post" } else { "pre" };
        let key = format!("{name}_{phase}_notify_{task}_0");
        // The same notification asked for twice (after fencing, then in the
        // clone's round) is one action, with what it was told first.
        let existing = self.plan.rsc_actions(p, "notify").into_iter().find(|&i| {
            let a = &self.plan.actions[i];
            a.node == Some(node) && a.op_key == key
        });
        if let Some(i) = existing {
            if !self.plan.actions[op].optional {
                self.plan.actions[i].optional = false;
            }
            let told = self.plan.actions[op].added_meta.clone();
            for (name, value) in told.iter().chain(lists) {
                self.plan.actions[i].add_meta(name, value);
            }
            self.plan.order(op, i, of::OPTIONAL);
            self.plan.order(i, done, of::OPTIONAL);
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
        // Nothing runs on a guest whose host is lost and can't be fenced.
        action.runnable = self.runnable_verdict(&action, p).0;
        // An instance's key names the phase and the task itself, even where
        // the clone's post-notification is named after the completing
        // pseudo-action (rsc:0_post_notify_start_0 within
        // clone_post_notify_running_0).
        action.op_key = key;
        // The instance's notification is told what the clone's is, and the lists.
        let told = self.plan.actions[op].added_meta.clone();
        for (name, value) in told.iter().chain(lists) {
            action.add_meta(name, value);
        }
        let i = self.plan.add_raw(action);
        self.plan.order(op, i, of::OPTIONAL);
        self.plan.order(i, done, of::OPTIONAL);
    }

    /// An instance's recurring monitors after a round's post-notifications
    /// are confirmed.
    fn order_monitors_after(&mut self, p: RscIdx, post_done: usize) {
        let monitors: Vec<usize> = (0..self.plan.actions.len())
            .filter(|&m| {
                let a = &self.plan.actions[m];
                a.rsc == Some(p) && a.interval_ms > 0 && a.task != "cancel"
            })
            .collect();
        for m in monitors {
            self.plan.order(post_done, m, of::OPTIONAL);
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
                // Not told on a node being fenced (a guest's too).
                if stop_pseudo && (self.ws.nodes[node].unclean || self.ws.nodes[node].remote_requires_reset) {
                    continue;
                }
                self.notify_on(p, node, task, round.pre, round.pre_done, false, &round.lists);
                let stop_optional = stop.map(|s| self.plan.actions[s].optional).unwrap_or(true);
                if task == "demote" || stop_optional {
                    self.notify_on(p, node, task, round.post, round.post_done, true, &round.lists);
                }
            }
        }
        let res = &self.ws.resources[p];
        if res.next_role != Role::Stopped && (task == "start" || task == "promote") {
            let start = self.plan.rsc_actions(p, "start").first().copied();
            // Behind a remote connection that cannot start, the start or
            // promotion will not happen: nobody is told of it.
            if start.is_some_and(|s| self.connection_start_blocked(s)) {
                return;
            }
            let Some(node) = res.assigned_to else { return };
            let start_optional = start.map(|s| self.plan.actions[s].optional).unwrap_or(true);
            if task != "start" || start_optional {
                self.notify_on(p, node, task, round.pre, round.pre_done, false, &round.lists);
            }
            self.notify_on(p, node, task, round.post, round.post_done, true, &round.lists);
        }
    }

    /// Whether `action` is on a remote node whose connection's start
    /// cannot run.
    fn connection_start_blocked(&self, action: usize) -> bool {
        let Some(node) = self.plan.actions[action].node else { return false };
        let Some(connection) = self.ws.nodes[node].remote_rsc else { return false };
        self.plan
            .rsc_actions(connection, "start")
            .first()
            .is_some_and(|&start| !self.plan.actions[start].runnable)
    }

    /// Whether some instance of the round's clone really does the task.
    fn any_instance_does(&self, round: &Round) -> bool {
        let Some(clone) = self.plan.actions[round.pre].rsc else {
            return false;
        };
        self.member_actions(clone, round.task).into_iter().any(|i| {
            let a = &self.plan.actions[i];
            !a.optional && a.runnable && a.node.is_some()
        })
    }
}

/// Words joined by spaces, or a single space for none.
fn word_list(words: &[&str]) -> String {
    if words.is_empty() {
        EMPTY_LIST.to_string()
    } else {
        words.join(" ")
    }
}
