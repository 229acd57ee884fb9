//! Actions (start, stop, promote, demote, fencing and the pseudo-actions of
//! groups and clones), the orderings between them, and the propagation of
//! "required" and "runnable" along those orderings.

use std::collections::HashMap;

use crate::model::{order_flags as of, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::options::NoQuorumPolicy;

/// The kinds of effect an ordering has, in the order Pacemaker's
/// update_action_for_ordering_flags applies them one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderingStep {
    ImpliesThen,
    Restart,
    ImpliesFirst,
    PromotedImpliesFirst,
    RunnableLeft,
    Asymmetrical,
    /// Put in the transition because the other side is required.
    Shown,
    /// A blocked, unmanaged resource's stop that can't run.
    BlockedStop,
}

impl OrderingStep {
    const ALL: [OrderingStep; 8] = [
        OrderingStep::ImpliesThen,
        OrderingStep::Restart,
        OrderingStep::ImpliesFirst,
        OrderingStep::PromotedImpliesFirst,
        OrderingStep::RunnableLeft,
        OrderingStep::Asymmetrical,
        OrderingStep::Shown,
        OrderingStep::BlockedStop,
    ];
}

#[derive(Debug, Clone, Default)]
pub struct Action {
    pub rsc: Option<RscIdx>,
    /// What is done: "start", "monitor", "cancel", ... (the executor's
    /// operation name; a probe is a "monitor" with `is_probe` set).
    pub task: String,
    pub node: Option<NodeIdx>,
    pub optional: bool,
    pub runnable: bool,
    pub pseudo: bool,
    pub reason: Option<String>,
    /// Fencing: the action (reboot/off) and why.
    pub fence_action: Option<String>,
    /// Runnable only if this many "one or more" inputs are runnable.
    pub required_runnable_before: usize,
    /// Part of the transition even while optional, because an action it is
    /// ordered with is required (Pacemaker's pe_action_print_always): the
    /// transition contains runnable actions that are required or this.
    pub print_always: bool,
    /// Required only after Pacemaker weighed what is ordered before it
    /// (a clone's start whose instances' starts became required late), so
    /// it may show no action before it in the transition (judged when the
    /// graph is written, on the final flags).
    pub required_too_late_to_show_first: bool,
    /// Resource actions: Pacemaker's operation key, `<rsc id>_<task>_<interval>`
    /// (for a "cancel", the key of the operation being cancelled, e.g.
    /// `rsc1_monitor_10000`). Empty for actions without a resource.
    pub op_key: String,
    /// Interval of a recurring operation in milliseconds (0 for one-shot
    /// actions and probes); for a "cancel", the interval being cancelled.
    pub interval_ms: u64,
    /// For a "cancel": the task of the recurring operation it cancels.
    pub cancel_task: Option<String>,
    /// Whether this is a probe (a one-shot monitor finding out the state).
    pub is_probe: bool,
    /// The expected result when it is not "ok": 7 (not running) for probes
    /// of inactive resources and monitors of the Stopped role, 8 (promoted)
    /// for monitors of promoted resources. Graph: CRM_meta_op_target_rc.
    pub target_rc: Option<i32>,
    /// Timeout in milliseconds (op definition, else op_defaults, else the
    /// shortest monitor's timeout for a probe, else 20s). Graph: CRM_meta_timeout.
    pub timeout_ms: u64,
    /// The operation's meta-data as Pacemaker assembles it: op_defaults,
    /// then the matching `<op>` definition's meta_attributes and attributes
    /// (name, interval, role, on-fail, ...; without id), with `interval` and
    /// `timeout` normalized to milliseconds (`interval` only when non-zero).
    /// Graph: each entry becomes CRM_meta_<name with '-' as '_'>.
    pub op_meta: std::collections::BTreeMap<String, String>,
    /// Part of a live migration that will happen (Pacemaker's
    /// pe_action_migrate_runnable): the resource's stop and start, its
    /// migrate_to and migrate_from.
    pub migrate_runnable: bool,
    /// The stop on the source of a migration that already happened
    /// (Pacemaker's pe_action_dangle): it doesn't force a start.
    pub dangle: bool,
    /// Created only as the first action of an internal ordering (on no
    /// node): Pacemaker creates it after it has linked the resource's own
    /// stop and start, so no such link reaches it.
    pub made_for_internal_ordering: bool,
    /// A recurring operation the history shows running: Pacemaker creates
    /// it while unpacking the status, before any resource creates its
    /// actions (which decides its number in the graph).
    pub found_running: bool,
    /// Meta-attributes the scheduler itself adds (notification lists,
    /// migration source and target, ...). The first value given for a name
    /// stays, as with Pacemaker's add_hash_param. Graph: CRM_meta_<name>.
    pub added_meta: Vec<(String, String)>,
}

/// The task of fencing actions (the fencing action itself is `fence_action`).
pub const FENCE_TASK: &str = "stonith";
/// The fencing action that unfences a node (gives it access to shared
/// storage again) rather than taking it down.
pub const UNFENCE_ACTION: &str = "on";

impl Action {
    /// Whether this is the fencing of a node (reboot or off), not unfencing.
    pub fn is_node_fencing(&self) -> bool {
        self.rsc.is_none()
            && self.task == FENCE_TASK
            && self.fence_action.as_deref() != Some(UNFENCE_ACTION)
    }

    /// Adds a meta-attribute unless the action already has one by that name.
    pub fn add_meta(&mut self, name: &str, value: &str) {
        if !self.added_meta.iter().any(|(n, _)| n == name) {
            self.added_meta.push((name.to_string(), value.to_string()));
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ordering {
    pub first: usize,
    pub then: usize,
    pub flags: u32,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub orderings: Vec<Ordering>,
    /// Each resource's actions by task (by resource index), so lookups
    /// don't scan every action of the plan.
    by_rsc: Vec<TaskGroups>,
    /// Actions that belong to no resource (fencing, gates), by task.
    without_rsc: TaskGroups,
    /// Indices of the orderings into each action (by "then" action index).
    into: Vec<Vec<usize>>,
    /// Indices of the orderings out of each action (by "first" action index).
    from: Vec<Vec<usize>>,
}

const STATE_NEXT: [[Role; 5]; 5] = {
    use Role::*;
    [
        [Unknown, Stopped, Stopped, Stopped, Stopped],
        [Stopped, Stopped, Started, Unpromoted, Unpromoted],
        [Stopped, Stopped, Started, Unpromoted, Promoted],
        [Stopped, Stopped, Stopped, Unpromoted, Promoted],
        [Stopped, Unpromoted, Unpromoted, Unpromoted, Promoted],
    ]
};

fn role_index(r: Role) -> usize {
    match r {
        Role::Unknown => 0,
        Role::Stopped => 1,
        Role::Started => 2,
        Role::Unpromoted => 3,
        Role::Promoted => 4,
    }
}

fn next_role_towards(from: Role, to: Role) -> Role {
    STATE_NEXT[role_index(from)][role_index(to)]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transition {
    None,
    Stop,
    Start,
    Promote,
    Demote,
    Error,
}

fn transition(from: Role, to: Role) -> Transition {
    use Role::*;
    match (from, to) {
        (Unknown, Stopped) => Transition::Stop,
        (Unknown, _) => Transition::Error,
        (Stopped, Stopped) => Transition::None,
        (Stopped, Started) | (Stopped, Unpromoted) => Transition::Start,
        (Stopped, _) => Transition::Error,
        (Started, Stopped) => Transition::Stop,
        (Started, Started) | (Started, Unpromoted) => Transition::None,
        (Started, Promoted) => Transition::Promote,
        (Started, Unknown) => Transition::Error,
        (Unpromoted, Stopped) | (Unpromoted, Started) => Transition::Stop,
        (Unpromoted, Unpromoted) => Transition::None,
        (Unpromoted, Promoted) => Transition::Promote,
        (Unpromoted, Unknown) => Transition::Error,
        (Promoted, Promoted) => Transition::None,
        (Promoted, Unknown) => Transition::Error,
        (Promoted, _) => Transition::Demote,
    }
}

/// Action indices grouped by task, each group in creation order. A resource
/// has few distinct tasks but, with probes on many nodes, many actions.
#[derive(Debug, Default)]
struct TaskGroups(Vec<(String, Vec<usize>)>);

impl TaskGroups {
    fn get(&self, task: &str) -> &[usize] {
        self.0
            .iter()
            .find(|(t, _)| t == task)
            .map(|(_, list)| list.as_slice())
            .unwrap_or(&[])
    }

    fn add(&mut self, task: &str, idx: usize) {
        match self.0.iter_mut().find(|(t, _)| t == task) {
            Some((_, list)) => list.push(idx),
            None => self.0.push((task.to_string(), vec![idx])),
        }
    }
}

impl Plan {
    pub fn find(&self, rsc: Option<RscIdx>, task: &str, node: Option<NodeIdx>) -> Option<usize> {
        self.find_interval(rsc, task, node, 0)
    }

    /// Like [`Plan::find`], for an action with an interval (recurring
    /// operations and their cancellations).
    pub fn find_interval(
        &self,
        rsc: Option<RscIdx>,
        task: &str,
        node: Option<NodeIdx>,
        interval_ms: u64,
    ) -> Option<usize> {
        // The most recently created one if there are several.
        self.owned_by(rsc)
            .get(task)
            .iter()
            .rev()
            .copied()
            .find(|&i| self.actions[i].node == node && self.actions[i].interval_ms == interval_ms)
    }

    /// The actions belonging to no resource with the given task, in creation order.
    pub fn actions_without_rsc(&self, task: &str) -> impl Iterator<Item = usize> + '_ {
        self.without_rsc.get(task).iter().copied()
    }

    /// All actions of a resource with the given task (any node).
    pub fn rsc_actions(&self, rsc: RscIdx, task: &str) -> Vec<usize> {
        self.rsc_actions_slice(rsc, task).to_vec()
    }

    /// As `rsc_actions`, borrowed (for the hot paths of flag propagation).
    pub fn rsc_actions_slice(&self, rsc: RscIdx, task: &str) -> &[usize] {
        self.owned_by(Some(rsc)).get(task)
    }

    /// The actions belonging to a resource (or to none), by task.
    fn owned_by(&self, rsc: Option<RscIdx>) -> &TaskGroups {
        const NONE: &TaskGroups = &TaskGroups(Vec::new());
        match rsc {
            Some(r) => self.by_rsc.get(r).unwrap_or(NONE),
            None => &self.without_rsc,
        }
    }

    pub(crate) fn add_raw(&mut self, action: Action) -> usize {
        let idx = self.actions.len();
        match action.rsc {
            Some(r) => {
                if self.by_rsc.len() <= r {
                    self.by_rsc.resize_with(r + 1, TaskGroups::default);
                }
                self.by_rsc[r].add(&action.task, idx);
            }
            None => self.without_rsc.add(&action.task, idx),
        }
        self.actions.push(action);
        idx
    }

    /// Orders `then` after `first`, returning the new ordering's index. As in
    /// Pacemaker's order_actions, an ordering between the same two actions
    /// that shares a flag with an existing one adds nothing (so a later
    /// ordering's other flags are lost).
    pub fn order(&mut self, first: usize, then: usize, flags: u32) -> Option<usize> {
        if first == then {
            return None;
        }
        if self.orderings_from(first).any(|o| o.then == then && o.flags & flags != 0) {
            return None;
        }
        if self.into.len() <= then {
            self.into.resize_with(then + 1, Vec::new);
        }
        self.into[then].push(self.orderings.len());
        if self.from.len() <= first {
            self.from.resize_with(first + 1, Vec::new);
        }
        self.from[first].push(self.orderings.len());
        self.orderings.push(Ordering { first, then, flags });
        Some(self.orderings.len() - 1)
    }

    /// Makes ordering `o` start from `first` instead of its current first
    /// action (Pacemaker remaps orderings after a collective resource's
    /// action to the action that completes it).
    pub fn reroute_first(&mut self, o: usize, first: usize) {
        let Some(old) = self.orderings.get(o).map(|x| x.first) else {
            return;
        };
        if old == first || self.orderings[o].then == first {
            return;
        }
        if let Some(list) = self.from.get_mut(old) {
            list.retain(|&x| x != o);
        }
        if self.from.len() <= first {
            self.from.resize_with(first + 1, Vec::new);
        }
        self.from[first].push(o);
        self.orderings[o].first = first;
    }

    /// Indices (into `orderings`) of the orderings whose "then" is this action.
    pub fn ordering_ids_into(&self, then: usize) -> Vec<usize> {
        self.into.get(then).cloned().unwrap_or_default()
    }

    /// Drops ordering `o` (Pacemaker's pe_order_none): no action sees it
    /// any more.
    pub fn disable_ordering(&mut self, o: usize) {
        let Ordering { first, then, .. } = self.orderings[o];
        if let Some(list) = self.from.get_mut(first) {
            list.retain(|&x| x != o);
        }
        if let Some(list) = self.into.get_mut(then) {
            list.retain(|&x| x != o);
        }
    }

    /// Indices (into `orderings`) of the orderings whose "first" is this action.
    pub fn ordering_ids_from(&self, first: usize) -> Vec<usize> {
        self.from.get(first).cloned().unwrap_or_default()
    }

    /// The orderings whose "first" is this action, in creation order.
    pub fn orderings_from(&self, first: usize) -> impl Iterator<Item = &Ordering> + '_ {
        self.from
            .get(first)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&o| &self.orderings[o])
    }

    /// The orderings whose "then" is this action, in creation order.
    pub fn orderings_into(&self, then: usize) -> impl Iterator<Item = &Ordering> + '_ {
        self.into
            .get(then)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&o| &self.orderings[o])
    }
}

pub struct Builder<'a> {
    pub ws: &'a mut WorkingSet,
    pub plan: Plan,
    fenced: Vec<NodeIdx>,
    migrations: Vec<usize>,
    /// Resources that may live-migrate: their start/stop don't force restarts.
    pub(super) migrating: Vec<RscIdx>,
    /// The configured orderings are being applied (see `first_actions_for`).
    pub applying_configured_orderings: bool,
    /// Where the internal orderings begin, and which orderings come from
    /// the configuration: Pacemaker creates those before the internal ones,
    /// which decides the order it considers them in.
    pub internal_orderings_begin: usize,
    pub configured_orderings: std::ops::Range<usize>,
    /// Every resource-level ordering requested (first, first task, then,
    /// then task, flags), as Pacemaker keeps its ordering constraints.
    pub(crate) rsc_orderings: Vec<(RscIdx, String, RscIdx, String, u32)>,
    /// Recurring operations whose definition changed (resource, node,
    /// task, interval): required even where already running.
    pub(crate) rescheduled: Vec<(RscIdx, NodeIdx, String, u64)>,
    /// Orderings found while probing guest nodes, made once actions exist.
    pub(crate) deferred_probe_orders: Vec<super::probes::GuestProbeOrder>,
    /// Bundle connections' probes and their containers, ordered once it is
    /// known whether the containers can start.
    pub(crate) deferred_container_probe_orders: Vec<(RscIdx, usize)>,
    /// A container's probe and another replica's container that may start
    /// on that node only after it (one replica per host).
    pub(crate) deferred_replica_probe_orders: Vec<(usize, RscIdx)>,
    /// Per node: the digests of the fence devices that unfence, which its
    /// fencing actions carry (empty unless unfencing is in use).
    pub(crate) fence_device_digests: Vec<super::digests::FenceDeviceDigests>,
    /// Notices printed as fencing actions are made (crm_simulate -s shows them).
    pub(crate) fencing_notices: Vec<String>,
    /// Multiply active resources with multiple-active=stop_unexpected: they
    /// stop only where they don't belong (Pacemaker's pe_rsc_stop_unexpected).
    stop_unexpected: Vec<RscIdx>,
    /// Orderings between two clones whose effect the orderings between
    /// their instances carry instead (interleaved clones): they order the
    /// clones' own actions but change no action's flags.
    interleaved_orderings: std::collections::HashSet<usize>,
    /// Interleaved clones (first, then) mandatorily ordered: an instance of
    /// `then` with no instance of `first` beside it is inhibited.
    pub(super) interleaved_pairs: Vec<(RscIdx, RscIdx)>,
    /// Each resource's primitives (itself, or those inside it), looked up
    /// for every ordering while flags propagate; resources don't change
    /// shape once unpacked.
    primitives_by_rsc: Vec<Vec<RscIdx>>,
    /// The clone tasks (start, stop, promote, demote) some instance had to
    /// perform when the clone's actions were created, before any ordering
    /// changed a flag: what decides whether its notifications are required.
    pub(super) clone_changes_at_creation: std::collections::HashSet<(RscIdx, &'static str)>,
    /// Running recurring operations of resources placed nowhere, unrunnable
    /// until scheduled again (Pacemaker re-evaluates whether an action can
    /// run each time it is asked for).
    pub(super) unrunnable_until_rescheduled: std::collections::HashSet<usize>,
    /// Orderings after a group's or clone's action that start from the
    /// action completing it instead ("start" ordered as "running"), by the
    /// action they were asked for: Pacemaker remaps them as it applies them
    /// and leaves the original in that action's followers, so a change of
    /// it still goes over their "then" actions again.
    remapped_from: HashMap<usize, Vec<usize>>,
    /// Remapped orderings not yet met while propagating: Pacemaker remaps
    /// each the first time it meets it, which counts as a change of its
    /// "then" (gone over again), the remapped ordering then being its newest.
    remap_pending: std::collections::HashSet<usize>,
    /// Remapped orderings already met, by when (newest last).
    remapped_when: HashMap<usize, usize>,
}

impl<'a> Builder<'a> {
    pub fn new(ws: &'a mut WorkingSet) -> Self {
        let primitives_by_rsc = (0..ws.resources.len()).map(|r| ws.primitives_of(r)).collect();
        Builder {
            primitives_by_rsc,
            ws,
            plan: Plan::default(),
            fenced: Vec::new(),
            migrations: Vec::new(),
            migrating: Vec::new(),
            applying_configured_orderings: false,
            internal_orderings_begin: 0,
            configured_orderings: 0..0,
            rsc_orderings: Vec::new(),
            rescheduled: Vec::new(),
            deferred_probe_orders: Vec::new(),
            deferred_container_probe_orders: Vec::new(),
            deferred_replica_probe_orders: Vec::new(),
            fence_device_digests: Vec::new(),
            fencing_notices: Vec::new(),
            stop_unexpected: Vec::new(),
            interleaved_orderings: std::collections::HashSet::new(),
            interleaved_pairs: Vec::new(),
            clone_changes_at_creation: std::collections::HashSet::new(),
            unrunnable_until_rescheduled: std::collections::HashSet::new(),
            remapped_from: HashMap::new(),
            remap_pending: std::collections::HashSet::new(),
            remapped_when: HashMap::new(),
        }
    }

    /// Whether fencing is possible (Pacemaker's pe_can_fence, plus the
    /// requirement that some resource is managed).
    pub fn can_fence(&self, node: NodeIdx) -> bool {
        self.ws.can_fence(node) && self.ws.resources.iter().any(|r| r.managed)
    }

    /// Finds or creates a resource action (Pacemaker's custom_action).
    pub fn resource_action(
        &mut self,
        rsc: RscIdx,
        task: &str,
        node: Option<NodeIdx>,
        optional: bool,
    ) -> usize {
        self.resource_operation(rsc, task, node, 0, optional)
    }

    /// Finds or creates a resource action with an interval (recurring
    /// operations and cancellations; 0 for one-shot actions).
    pub fn resource_operation(
        &mut self,
        rsc: RscIdx,
        task: &str,
        node: Option<NodeIdx>,
        interval_ms: u64,
        optional: bool,
    ) -> usize {
        if let Some(i) = self.plan.find_interval(Some(rsc), task, node, interval_ms) {
            if self.unrunnable_until_rescheduled.remove(&i) {
                let mut action = std::mem::take(&mut self.plan.actions[i]);
                self.update_runnable(&mut action, rsc);
                self.plan.actions[i] = action;
            } else if !self.plan.actions[i].pseudo {
                // Pacemaker judges an action again each time it is asked for.
                // Only the quorum verdict is taken over: its reason replaces
                // one given since (a definition change's, say).
                if let (false, Some(reason)) = self.runnable_verdict(&self.plan.actions[i], rsc) {
                    let action = &mut self.plan.actions[i];
                    action.runnable = false;
                    action.reason = Some(reason.to_string());
                }
            }
            if !optional {
                self.require(i);
            }
            return i;
        }
        let pseudo = self.ws.resources[rsc].variant != Variant::Primitive;
        let mut action = Action {
            rsc: Some(rsc),
            task: task.to_string(),
            node,
            optional,
            runnable: true,
            pseudo,
            reason: None,
            fence_action: None,
            required_runnable_before: 0,
            interval_ms,
            is_probe: task == "monitor" && interval_ms == 0,
            ..Default::default()
        };
        crate::sched::monitors::describe_operation(self.ws, &mut action, rsc);
        if !pseudo {
            self.update_runnable(&mut action, rsc);
        }
        let i = self.plan.add_raw(action);
        if !optional {
            self.require(i);
        }
        i
    }

    pub(crate) fn require(&mut self, i: usize) {
        let a = &self.plan.actions[i];
        if let Some(r) = a.rsc {
            // Unmanaged resources' real one-shot actions are always optional.
            if a.node.is_some() && !a.pseudo && a.interval_ms == 0 && !self.ws.resources[r].managed
            {
                self.plan.actions[i].optional = true;
                return;
            }
        }
        self.plan.actions[i].optional = false;
    }

    fn update_runnable(&self, action: &mut Action, rsc: RscIdx) {
        let (runnable, reason) = self.runnable_verdict(action, rsc);
        action.runnable = runnable;
        if let Some(reason) = reason {
            action.reason = Some(reason.to_string());
        }
    }

    /// Whether a resource action can run where it is, and the reason to
    /// give when quorum is what stops it (Pacemaker's
    /// update_resource_action_runnable).
    pub(super) fn runnable_verdict(&self, action: &Action, rsc: RscIdx) -> (bool, Option<&'static str>) {
        let Some(node) = action.node else {
            return (false, None);
        };
        let n = &self.ws.nodes[node];
        if !n.online || n.pending {
            return (false, None);
        }
        // Only starts and promotions need quorum (or fencing).
        let needs_nothing = !matches!(action.task.as_str(), "start" | "promote")
            || super::fencing::requirement(self.ws, rsc) == super::fencing::Requirement::Nothing;
        if needs_nothing {
            // Except on a guest whose host is lost and can't be fenced:
            // nothing there can complete.
            return (!self.ws.is_guest(node) || self.guest_host_recoverable(node), None);
        }
        if self.ws.have_quorum {
            return (true, None);
        }
        match self.ws.options.no_quorum_policy {
            NoQuorumPolicy::Stop | NoQuorumPolicy::Suicide => (false, Some("no quorum")),
            NoQuorumPolicy::Demote => {
                let role = self.ws.resources[rsc].role;
                if role == Role::Promoted || role == Role::Unpromoted {
                    (true, None)
                } else {
                    (false, Some("no quorum"))
                }
            }
            NoQuorumPolicy::Freeze => {
                let r = &self.ws.resources[rsc];
                if r.running_on.is_empty() || r.next_role > r.role {
                    (false, Some("quorum freeze"))
                } else {
                    (true, None)
                }
            }
            NoQuorumPolicy::Ignore => (true, None),
        }
    }

    /// Without quorum, no-quorum-policy=demote keeps active promotable
    /// instances unpromoted at most (Pacemaker applies it once their start,
    /// which needs quorum, is scheduled on their node).
    fn demote_without_quorum(&mut self, r: RscIdx) {
        let res = &self.ws.resources[r];
        if self.ws.have_quorum
            || self.ws.options.no_quorum_policy != NoQuorumPolicy::Demote
            || !matches!(res.role, Role::Promoted | Role::Unpromoted)
            || res.next_role <= Role::Unpromoted
            || res.assigned_to.is_none()
            || super::fencing::requirement(self.ws, r) == super::fencing::Requirement::Nothing
        {
            return;
        }
        self.ws.resources[r].next_role = Role::Unpromoted;
    }

    // --- Primitive actions -------------------------------------------------

    /// Whether `node` is where a resource stopped only where unexpected
    /// stays (Pacemaker's is_expected_node).
    fn is_expected_node(&self, r: RscIdx, node: NodeIdx) -> bool {
        self.stop_unexpected.contains(&r) && self.ws.resources[r].assigned_to == Some(node)
    }

    fn stop_resource(&mut self, r: RscIdx, optional: bool) {
        let running = self.ws.resources[r].running_on.clone();
        for node in running {
            if self.is_expected_node(r, node) {
                continue;
            }
            let mut optional = optional;
            if let Some((_, target)) = self.ws.resources[r].migration.partial {
                // A partial migration continues on its target; anywhere
                // else the resource must go.
                if node == target && self.ws.resources[r].assigned_to == Some(target) {
                    continue;
                }
                optional = false;
            }
            let stop = self.resource_action(r, "stop", Some(node), optional);
            if self.ws.resources[r].assigned_to.is_none() {
                self.plan.actions[stop].reason = Some("node availability".to_string());
            } else if self.stop_unexpected.contains(&r) {
                self.plan.actions[stop].reason = Some("being multiply active".to_string());
            }
            if !self.ws.resources[r].managed {
                self.plan.actions[stop].runnable = false;
            }
        }
    }

    fn start_resource(&mut self, r: RscIdx, node: Option<NodeIdx>, optional: bool) {
        let Some(node) = node else { return };
        let start = self.resource_action(r, "start", Some(node), true);
        if self.is_expected_node(r, node) {
            // It keeps running there: the start only stands for that.
            self.plan.actions[start].pseudo = true;
        }
        if self.plan.actions[start].runnable && !optional {
            self.require(start);
        }
    }

    fn promote_resource(&mut self, r: RscIdx, node: Option<NodeIdx>, optional: bool) {
        let Some(node) = node else { return };
        let runnable = self
            .plan
            .rsc_actions(r, "start")
            .iter()
            .filter(|&&i| self.plan.actions[i].node == Some(node))
            .all(|&i| self.plan.actions[i].runnable);
        let promote = self.resource_action(r, "promote", Some(node), optional);
        if !runnable {
            // The promotion is still planned, but blocked by the start.
            // Pacemaker doesn't place it on the node then (it exists only
            // as the target of orderings), so it has no reason of its own
            // such as lacking quorum.
            self.plan.actions[promote].runnable = false;
            self.plan.actions[promote].reason = None;
        }
    }

    /// The demotes that failures with on-fail=demote require, first of all
    /// actions as in Pacemaker (which creates them while unpacking).
    pub fn demote_after_failures(&mut self) {
        for r in 0..self.ws.resources.len() {
            for node in self.ws.resources[r].demote_after_failure.clone() {
                self.resource_action(r, "demote", Some(node), false);
            }
        }
    }

    fn demote_resource(&mut self, r: RscIdx, optional: bool) {
        let running = self.ws.resources[r].running_on.clone();
        for node in running {
            self.resource_action(r, "demote", Some(node), optional);
        }
    }

    fn apply_transition(
        &mut self,
        t: Transition,
        r: RscIdx,
        node: Option<NodeIdx>,
        optional: bool,
    ) -> bool {
        match t {
            Transition::None | Transition::Error => return false,
            Transition::Stop => self.stop_resource(r, optional),
            Transition::Start => self.start_resource(r, node, optional),
            Transition::Promote => self.promote_resource(r, node, optional),
            Transition::Demote => self.demote_resource(r, optional),
        }
        true
    }

    pub fn create_primitive_actions(&mut self, r: RscIdx) {
        {
            let res = &mut self.ws.resources[r];
            if res.next_role == Role::Unknown {
                res.next_role = if res.assigned_to.is_none() {
                    Role::Stopped
                } else {
                    Role::Started
                };
            }
        }
        self.demote_without_quorum(r);
        let res = self.ws.resources[r].clone();
        let active = super::fencing::active_on(self.ws, r);
        let current = active.current;
        let mut need_stop = false;
        let mut need_promote = false;
        let mut is_moving = false;
        let mut allow_migrate = false;
        self.stop_dangling_migrations(r);
        if let (Some(c), Some(a)) = (current, res.assigned_to) {
            if c != a && res.next_role >= Role::Started {
                is_moving = true;
                allow_migrate = self.can_migrate(r, current);
                need_stop = true;
            }
        }
        if let Some((source, target)) = res.migration.partial {
            let continues = allow_migrate
                && res.running_on.len() == 2
                && current == Some(source)
                && res.assigned_to == Some(target);
            if !continues {
                // Recovered instead: stopped on both nodes.
                need_stop = true;
                allow_migrate = false;
                let migration = &mut self.ws.resources[r].migration;
                migration.partial = None;
                migration.partial_abandoned = true;
            }
        } else if active.multiply_active {
            // Active on more than one node: stop everywhere and start once,
            // or with multiple-active=stop_unexpected, stop everywhere but
            // where it belongs (the other policies act while unpacking).
            match res.meta.get("multiple-active").map(|v| v.to_ascii_lowercase()).as_deref() {
                Some("block") | Some("stop_only") => {}
                Some("stop_unexpected") => {
                    need_stop = true;
                    self.stop_unexpected.push(r);
                }
                _ => need_stop = true,
            }
        }
        if res.stop_required && current.is_some() {
            // Restarted for what runs inside it.
            need_stop = true;
        }
        if res.start_pending {
            if let Some(a) = res.assigned_to {
                // The pending start stays part of the transition.
                let start = self.resource_action(r, "start", Some(a), true);
                self.plan.actions[start].print_always = true;
            }
        }
        if !is_moving {
            if res.failed {
                if res.failed_stop {
                    need_stop = true;
                } else if res.next_role == Role::Promoted {
                    need_promote = true;
                }
            } else if res.blocked {
                need_stop = true;
            } else if res.role > Role::Started && current.is_some() && res.assigned_to.is_some() {
                let start = self.resource_action(r, "start", res.assigned_to, true);
                if !self.plan.actions[start].optional {
                    need_stop = true;
                }
            }
        }
        // Bring the resource down on its current node(s)...
        let mut role = res.role;
        while role != Role::Stopped {
            let next = next_role_towards(role, Role::Stopped);
            if !self.apply_transition(transition(role, next), r, current, !need_stop) {
                break;
            }
            role = next;
        }
        // ...and back up to its current role on its next node.
        while res.role <= res.next_role && role != res.role && !res.blocked {
            let next = next_role_towards(role, res.role);
            let mut required = need_stop;
            if next == Role::Promoted && need_promote {
                required = true;
            }
            if !self.apply_transition(transition(role, next), r, res.assigned_to, !required) {
                break;
            }
            role = next;
        }
        // Then from the current role to the next role.
        let mut role = res.role;
        let next_role = self.ws.resources[r].next_role;
        let mut guard = 0;
        while role != next_role && guard < 8 {
            guard += 1;
            let next = next_role_towards(role, next_role);
            if !self.apply_transition(transition(role, next), r, res.assigned_to, false) {
                break;
            }
            role = next;
        }
        // An optional start on the next node stands for "keeps running there"
        // (Pacemaker creates it for the recurring monitors, which a blocked
        // resource or one in maintenance doesn't get).
        if let Some(a) = res.assigned_to.filter(|&a| !res.blocked && !res.maintenance && !self.ws.nodes[a].maintenance) {
            if next_role != Role::Stopped || !res.managed {
                self.resource_action(r, "start", Some(a), true);
            }
        }
        if allow_migrate {
            if let Some(target) = res.assigned_to {
                let mut action = Action {
                    rsc: Some(r),
                    task: "migrate_from".to_string(),
                    node: Some(target),
                    optional: false,
                    runnable: true,
                    pseudo: false,
                    reason: None,
                    fence_action: None,
                    required_runnable_before: 0,
                    ..Default::default()
                };
                crate::sched::monitors::describe_operation(self.ws, &mut action, r);
                let i = self.plan.add_raw(action);
                self.migrations.push(i);
                self.migrating.push(r);
            }
        }
    }

    /// Whether a moving resource can live-migrate (Pacemaker's pcmk__rsc_can_migrate).
    fn can_migrate(&self, r: RscIdx, current: Option<NodeIdx>) -> bool {
        let res = &self.ws.resources[r];
        let allowed = res.allows_migration();
        let Some(cur) = current else { return false };
        allowed
            && res.managed
            && !res.failed
            && !res.start_pending
            && self.ws.enclosing_clone(r).is_none()
            && self.ws.nodes[cur].online
            && !self.ws.nodes[cur].unclean
            && res.next_role <= Role::Unpromoted
    }

    /// Stops the resource where a migration left it behind (Pacemaker's
    /// pcmk__abort_dangling_migration).
    fn stop_dangling_migrations(&mut self, r: RscIdx) {
        for node in self.ws.resources[r].migration.stop_targets.clone() {
            self.resource_action(r, "stop", Some(node), false);
        }
        for node in self.ws.resources[r].migration.dangling_sources.clone() {
            let stop = self.resource_action(r, "stop", Some(node), false);
            self.plan.actions[stop].dangle = true;
        }
    }

    /// A migration happens only if both halves (stop here, start there) can.
    pub fn settle_migrations(&mut self) {
        let mut feasible = Vec::new();
        for &m in &self.migrations.clone() {
            let Some(r) = self.plan.actions[m].rsc else {
                continue;
            };
            let target = self.plan.actions[m].node;
            let start_ok = self
                .plan
                .find(Some(r), "start", target)
                .map(|i| self.plan.actions[i].runnable)
                .unwrap_or(false);
            let stops = self.plan.rsc_actions(r, "stop");
            // Only the stop where it runs now is part of the migration; any
            // other (a dangling migration's) makes migrate_from unrunnable,
            // as the migrate_from-then-stop ordering covers every stop.
            let current = super::fencing::active_on(self.ws, r).current;
            let stop_ok = stops
                .iter()
                .all(|&i| self.plan.actions[i].runnable && self.plan.actions[i].node == current);
            self.plan.actions[m].runnable = start_ok && stop_ok;
            if start_ok && stop_ok {
                feasible.push(m);
            }
        }
        let blocked = self.migrations_blocked_by_orderings(&feasible);
        for &(m, _) in &blocked {
            self.plan.actions[m].runnable = false;
        }
        for &m in feasible.iter().filter(|m| !blocked.iter().any(|(b, _)| b == *m)) {
            let Some(r) = self.plan.actions[m].rsc else { continue };
            let target = self.plan.actions[m].node;
            let stops = self.plan.rsc_actions(r, "stop");
            // The resource moves by migrate_to on its current node and
            // migrate_from on the target; the start there is implied.
            let source = stops.first().and_then(|&i| self.plan.actions[i].node);
            let Some(source) = source else { continue };
            let Some(start) = self.plan.find(Some(r), "start", target) else {
                continue;
            };
            // A partial migration only has its migrate_from left to do.
            let partial = self.ws.resources[r].migration.partial.is_some();
            let migrate_to = (!partial).then(|| self.resource_action(r, "migrate_to", Some(source), false));
            self.plan.actions[start].pseudo = true;
            let source_name = self.ws.nodes[source].uname.clone();
            let target_name = target.map(|t| self.ws.nodes[t].uname.clone()).unwrap_or_default();
            for i in migrate_to.into_iter().chain([m]) {
                self.plan.actions[i].add_meta("migrate_source", &source_name);
                self.plan.actions[i].add_meta("migrate_target", &target_name);
            }
            // A migrate_to may change the target too, so the cluster must
            // know one is in flight should the source vanish meanwhile.
            if let Some(migrate_to) = migrate_to.filter(|_| !self.ws.resources[r].is_remote_connection) {
                self.plan.actions[migrate_to].add_meta("record-pending", "true");
            }
            for i in stops.iter().copied().chain([start, m]).chain(migrate_to) {
                self.plan.actions[i].migrate_runnable = true;
            }
            // Made after the actions on remote nodes were ordered with
            // their connections.
            if let Some(migrate_to) = migrate_to {
                self.order_action_with_connection(migrate_to);
            }
        }
        if !blocked.is_empty() {
            // Restarted instead: their start and stop now carry the
            // orderings a migration would not.
            self.abandon_migrations(&blocked);
            self.propagate();
        }
        self.order_migrations();
    }

    // --- Fencing ------------------------------------------------------------

    pub fn schedule_fencing(&mut self) {
        for n in 0..self.ws.nodes.len() {
            if self.ws.nodes[n].unclean && self.can_fence(n) {
                self.add_fencing(n);
            }
        }
    }

    /// Fences a node found unclean while actions are being planned (remote
    /// nodes whose connection cannot be recovered), as if it had been from
    /// the start: its stops become implied by the fencing.
    pub fn fence_during_planning(&mut self, n: NodeIdx, reason: &str) {
        crate::unpack::fence_node(self.ws, n, reason);
        // (A guest is not made unclean: its container is recovered.)
        if self.ws.nodes[n].unclean && !self.fenced.contains(&n) && self.can_fence(n) {
            self.add_fencing(n);
        }
    }

    /// Stops on a fenced node are implied by its fencing.
    pub(crate) fn mark_fenced(&mut self, n: NodeIdx) {
        if !self.fenced.contains(&n) {
            self.fenced.push(n);
        }
    }

    fn add_fencing(&mut self, n: NodeIdx) {
        // Unseen nodes that never ran anything are still fenced (startup-fencing).
        let reason = self.ws.nodes[n]
            .fence_reason
            .clone()
            .unwrap_or_else(|| "node is unclean".to_string());
        let action = self.ws.options.stonith_action.clone();
        self.fence_op(n, &action, false, Some(&reason));
        self.mark_fenced(n);
    }

    /// Stops (and demotes) on fenced nodes are implied by the fencing.
    pub fn apply_fencing_to_stops(&mut self) {
        for i in 0..self.plan.actions.len() {
            let a = &self.plan.actions[i];
            let Some(n) = a.node else { continue };
            if a.rsc.is_some()
                && (a.task == "stop" || a.task == "demote")
                && self.fenced.contains(&n)
            {
                let a = &mut self.plan.actions[i];
                a.pseudo = true;
                a.runnable = true;
            }
        }
    }

    pub fn fenced_nodes(&self) -> &[NodeIdx] {
        &self.fenced
    }

    // --- Collective resources ----------------------------------------------

    pub fn create_collective_actions(&mut self, r: RscIdx) {
        // Groups inside a promotable clone are promoted and demoted too.
        let promotable = (self.ws.is_promotable_member(r)
            && (self.ws.resources[r].variant == Variant::Clone
                || self.ws.enclosing_clone(r).is_some()))
            || super::bundle::has_promotable_child(self.ws, r);
        for task in ["start", "running", "stop", "stopped"] {
            self.resource_action(r, task, None, true);
        }
        if promotable {
            for task in ["promote", "promoted", "demote", "demoted"] {
                self.resource_action(r, task, None, true);
            }
        }
    }

    /// A promotable clone's own pseudo-actions around its instances'
    /// promotions and demotions (Pacemaker's pcmk__order_promotable_instances).
    fn promotable_orderings(&mut self, r: RscIdx, children: &[RscIdx]) {
        self.order_tasks(r, "running", r, "promote", of::RUNNABLE_LEFT);
        // Start and promote after all instances stopped and demoted; stop after demoted.
        self.order_tasks(r, "stopped", r, "promote", of::OPTIONAL);
        self.order_tasks(r, "demoted", r, "stop", of::OPTIONAL);
        self.order_tasks(r, "demoted", r, "start", of::OPTIONAL);
        self.order_tasks(r, "demoted", r, "promote", of::OPTIONAL);
        self.order_tasks(r, "demote", r, "demoted", of::OPTIONAL);
        let mut previous: Option<RscIdx> = None;
        let ordered = self.ws.resources[r].clone.ordered;
        for &c in children {
            self.order_tasks(c, "demote", c, "promote", of::OPTIONAL);
            self.order_tasks(r, "promote", c, "promote", of::OPTIONAL);
            self.order_tasks(c, "promote", r, "promoted", of::OPTIONAL);
            self.order_tasks(r, "demote", c, "demote", of::IMPLIES_FIRST_PRINTED);
            self.order_tasks(c, "demote", r, "demoted", of::IMPLIES_THEN_PRINTED);
            if let (Some(p), true) = (previous, ordered) {
                self.order_tasks(p, "promote", c, "promote", of::OPTIONAL);
                self.order_tasks(c, "demote", p, "demote", of::OPTIONAL);
            }
            previous = Some(c);
        }
    }

    /// A promotable clone's promote (demote) pseudo-actions are required
    /// when any instance is really promoted (demoted), as Pacemaker decides
    /// when it creates them.
    pub fn require_clone_role_changes(&mut self, r: RscIdx) {
        let res = &self.ws.resources[r];
        if res.variant != Variant::Clone || !res.clone.promotable {
            return;
        }
        for (task, done) in [("promote", "promoted"), ("demote", "demoted")] {
            let any = self.member_actions(r, task).into_iter().any(|i| {
                let a = &self.plan.actions[i];
                !a.optional && a.runnable
            });
            if any {
                for t in [task, done] {
                    // Shown in the transition; whether orderings after the
                    // clone apply is still judged per node by its instances.
                    if let Some(i) = self.plan.find(Some(r), t, None) {
                        self.plan.actions[i].print_always = true;
                    }
                }
            }
        }
    }

    pub fn internal_orderings(&mut self, r: RscIdx) {
        match self.ws.resources[r].variant {
            Variant::Bundle => self.bundle_orderings(r),
            Variant::Primitive => {
                let promotable =
                    self.ws.is_promotable_member(r) || self.ws.resources[r].role > Role::Unpromoted;
                self.order_tasks(r, "stop", r, "start", of::IMPLIES_THEN | of::RESTART);
                if promotable {
                    self.order_tasks(r, "demote", r, "stop", of::IMPLIES_FIRST | of::PROMOTED_IMPLIES_FIRST);
                    self.order_tasks(r, "start", r, "promote", of::RUNNABLE_LEFT);
                }
                self.container_orderings(r);
            }
            Variant::Group => {
                let children = self.ws.resources[r].children.clone();
                self.order_tasks(r, "stop", r, "stopped", of::RUNNABLE_LEFT);
                self.order_tasks(r, "stopped", r, "start", of::OPTIONAL);
                self.order_tasks(r, "start", r, "running", of::RUNNABLE_LEFT);
                let mut previous: Option<RscIdx> = None;
                let mut last_active: Option<RscIdx> = None;
                let promotable = self.ws.is_promotable_member(r);
                let ordered = self.ws.group_is_ordered(r);
                for &m in &children {
                    // Each member's own orderings come first, as in Pacemaker
                    // (whose order of orderings decides which reason an
                    // action is given).
                    self.internal_orderings(m);
                    // In an ordered group the first member's stop or demote
                    // completing is what the group's completion waits for.
                    let post_down = if ordered && previous.is_none() {
                        of::IMPLIES_THEN
                    } else {
                        of::IMPLIES_THEN_PRINTED
                    };
                    if promotable {
                        self.order_tasks(r, "demote", m, "demote", of::IMPLIES_FIRST_PRINTED);
                        self.order_tasks(m, "demote", r, "demoted", post_down);
                        self.order_tasks(
                            m,
                            "promote",
                            r,
                            "promoted",
                            of::RUNNABLE_LEFT | of::IMPLIES_THEN | of::IMPLIES_THEN_PRINTED,
                        );
                        self.order_tasks(r, "promote", m, "promote", of::IMPLIES_FIRST_PRINTED);
                    }
                    self.order_tasks(r, "stop", m, "stop", of::IMPLIES_FIRST_PRINTED);
                    self.order_tasks(m, "stop", r, "stopped", post_down);
                    self.order_tasks(r, "start", m, "start", of::IMPLIES_FIRST_PRINTED);
                    self.order_tasks(
                        m,
                        "start",
                        r,
                        "running",
                        of::RUNNABLE_LEFT | of::IMPLIES_THEN | of::IMPLIES_THEN_PRINTED,
                    );
                    if !ordered {
                        // Unordered members start (and are promoted) as soon
                        // as the group does, each on its own.
                        let up = of::IMPLIES_THEN | of::RUNNABLE_LEFT | of::IMPLIES_FIRST_PRINTED;
                        self.order_tasks(r, "start", m, "start", up);
                        if promotable {
                            self.order_tasks(r, "promote", m, "promote", up);
                        }
                    } else if let Some(p) = previous {
                        self.order_tasks(
                            p,
                            "start",
                            m,
                            "start",
                            of::IMPLIES_THEN | of::RUNNABLE_LEFT,
                        );
                        self.order_tasks(m, "stop", p, "stop", of::RESTART);
                        if promotable {
                            // Members are promoted in order and demoted in reverse.
                            self.order_tasks(
                                p,
                                "promote",
                                m,
                                "promote",
                                of::IMPLIES_THEN | of::RUNNABLE_LEFT,
                            );
                            self.order_tasks(m, "demote", p, "demote", of::OPTIONAL);
                        }
                    }
                    // A partially active ordered group stops in sequence: past
                    // the inactive members, each active one before the last
                    // active one before it.
                    if !self.ws.resources[m].running_on.is_empty() {
                        let previous_inactive = previous.is_some_and(|p| self.ws.resources[p].running_on.is_empty());
                        if let (true, true, Some(active)) = (ordered, previous_inactive, last_active) {
                            self.order_tasks(m, "stop", active, "stop", of::OPTIONAL);
                        }
                        last_active = Some(m);
                    }
                    previous = Some(m);
                }
            }
            Variant::Clone => {
                let children = self.ws.resources[r].children.clone();
                self.order_tasks(r, "stopped", r, "start", of::OPTIONAL);
                self.order_tasks(r, "start", r, "running", of::RUNNABLE_LEFT);
                self.order_tasks(r, "stop", r, "stopped", of::RUNNABLE_LEFT);
                let promotable = self.ws.resources[r].clone.promotable;
                for &c in &children {
                    self.internal_orderings(c);
                    if promotable {
                        self.order_tasks(c, "demote", c, "promote", of::OPTIONAL);
                        self.order_tasks(r, "promote", c, "promote", of::OPTIONAL);
                        self.order_tasks(c, "promote", r, "promoted", of::OPTIONAL);
                        self.order_tasks(r, "demote", c, "demote", of::IMPLIES_FIRST_PRINTED);
                        self.order_tasks(c, "demote", r, "demoted", of::IMPLIES_THEN_PRINTED);
                    }
                    self.order_tasks(r, "start", c, "start", of::IMPLIES_FIRST_PRINTED);
                    self.order_tasks(c, "start", r, "running", of::IMPLIES_THEN_PRINTED);
                    self.order_tasks(r, "stop", c, "stop", of::IMPLIES_FIRST_PRINTED);
                    self.order_tasks(c, "stop", r, "stopped", of::IMPLIES_THEN_PRINTED);
                }
                if self.ws.resources[r].clone.ordered {
                    for w in children.windows(2) {
                        self.order_tasks(w[0], "start", w[1], "start", of::OPTIONAL);
                        self.order_tasks(w[1], "stop", w[0], "stop", of::OPTIONAL);
                    }
                }
                if self.ws.resources[r].clone.promotable {
                    self.promotable_orderings(r, &children);
                }
            }
        }
    }

    /// Orders two resources' actions by task (Pacemaker's rsc_order_first /
    /// rsc_order_then expansion).
    pub fn order_tasks(
        &mut self,
        first: RscIdx,
        first_task: &str,
        then: RscIdx,
        then_task: &str,
        flags: u32,
    ) {
        self.rsc_orderings.push((
            first,
            first_task.to_string(),
            then,
            then_task.to_string(),
            flags,
        ));
        let first_task_asked = first_task;
        let mut first_task = first_task.to_string();
        let first_collective = self.ws.resources[first].variant != Variant::Primitive;
        if first_collective && first != then && !self.is_ancestor(first, then) {
            first_task = match first_task.as_str() {
                "start" => "running",
                "stop" => "stopped",
                "promote" => "promoted",
                "demote" => "demoted",
                other => other,
            }
            .to_string();
        }
        let asked_for: Vec<usize> = if first_task == first_task_asked {
            Vec::new()
        } else {
            self.plan.rsc_actions(first, first_task_asked)
        };
        let firsts = self.first_actions_for(first, &first_task, Some(then));
        let thens = self.plan.rsc_actions(then, then_task);
        let interleaved = self.interleaves(first, then, then_task);
        for &f in &firsts {
            // A stop left behind by a migration restarts nothing.
            let flags = if self.plan.actions[f].dangle && first == then {
                flags & !of::IMPLIES_THEN
            } else {
                flags
            };
            for &t in &thens {
                if first == then && self.plan.actions[t].made_for_internal_ordering {
                    continue;
                }
                let ordering = self.plan.order(f, t, flags);
                if let (true, Some(o)) = (interleaved, ordering) {
                    self.interleaved_orderings.insert(o);
                }
                if let Some(o) = ordering {
                    for &a in &asked_for {
                        self.remapped_from.entry(a).or_default().push(o);
                    }
                    if !asked_for.is_empty() {
                        self.remap_pending.insert(o);
                    }
                }
            }
        }
        self.interleave_instances(first, &first_task, then, then_task, flags);
    }

    /// The actions an ordering starts from: the resource's actions for the
    /// task, else one created (optional, on no node) as Pacemaker does for
    /// an ordering whose first action does not exist, unless there is
    /// nothing to order (a resource's own ordering, a stop of an inactive
    /// resource, a demote of an unpromoted one).
    pub(crate) fn first_actions_for(&mut self, first: RscIdx, first_task: &str, then: Option<RscIdx>) -> Vec<usize> {
        let firsts = self.plan.rsc_actions(first, first_task);
        if !firsts.is_empty() || then == Some(first) {
            return firsts;
        }
        let state = self.ws.resources[first].role;
        let active = self.ws.is_active(first);
        if (!active || state == Role::Stopped) && first_task == "stop" {
            return firsts;
        }
        if state == Role::Unpromoted && first_task == "demote" {
            return firsts;
        }
        let created = self.resource_action(first, first_task, None, true);
        if !self.applying_configured_orderings {
            self.plan.actions[created].made_for_internal_ordering = true;
        }
        // Pacemaker matches its internal orderings by key when it applies
        // them, in the order it created them: a start made for a configured
        // ordering (applied first) still follows the resource's stops; one
        // made for a later internal ordering comes too late for that (as does
        // one a bundle makes for its containers).
        if first_task == "start"
            && self.applying_configured_orderings
            && self.ws.resources[first].variant == Variant::Primitive
            && !super::bundle::is_bundle_member(self.ws, first)
        {
            for stop in self.plan.rsc_actions(first, "stop") {
                self.plan.order(stop, created, of::IMPLIES_THEN | of::RESTART);
            }
        }
        vec![created]
    }

    /// An ordering that needs only some instances of the first clone: a
    /// "clone-one-or-more" pseudo-action stands between them.
    pub fn order_clone_min(
        &mut self,
        id: &str,
        first: RscIdx,
        first_task: &str,
        then: RscIdx,
        then_task: &str,
        flags: u32,
        min: usize,
    ) {
        let gate = self.plan.add_raw(Action {
            rsc: None,
            task: format!("clone-one-or-more:{id}"),
            node: None,
            optional: true,
            runnable: true,
            pseudo: true,
            reason: None,
            fence_action: None,
            required_runnable_before: min.max(1),
            ..Default::default()
        });
        for child in self.ws.resources[first].children.clone() {
            let mut firsts = Vec::new();
            for p in self.ws.primitives_of(child) {
                let mut actions = self.plan.rsc_actions(p, first_task);
                // As for any ordering, a missing "first" action is created
                // (optional, on no node): an instance that stops still has
                // a start for its restart ordering to make required.
                if actions.is_empty() && first_task != "stop" && first_task != "demote" {
                    actions.push(self.resource_action(p, first_task, None, true));
                }
                firsts.extend(actions);
            }
            for f in firsts {
                self.plan
                    .order(f, gate, of::ONE_OR_MORE | of::IMPLIES_THEN_PRINTED);
            }
        }
        for t in self.plan.rsc_actions(then, then_task) {
            self.plan.order(gate, t, flags | of::RUNNABLE_LEFT);
        }
    }

    /// Blocks the dependents of every unrunnable start or promotion (see
    /// `block_dependents_of`); returns whether any action changed.
    fn block_colocation_dependents(&mut self, targets_of: &mut HashMap<usize, Vec<usize>>) -> bool {
        let mut changed = false;
        // Newest first, as Pacemaker walks its actions.
        for a in (0..self.plan.actions.len()).rev() {
            changed |= self.block_dependents_of(a, targets_of, 0);
        }
        changed
    }

    /// When an unrunnable start (promotion) leaves no part of its resource
    /// able to start (be promoted), the resources with a mandatory
    /// colocation with it can't either (Pacemaker's
    /// pcmk__block_colocation_dependents): their starts (promotions) become
    /// unrunnable "due to colocation with" the resource of that action.
    /// Returns whether any action changed.
    fn block_dependents_of(&mut self, action: usize, targets_of: &mut HashMap<usize, Vec<usize>>, depth: usize) -> bool {
        let a = &self.plan.actions[action];
        let is_start = a.task == "start";
        if a.runnable || a.interval_ms != 0 || !(is_start || a.task == "promote") {
            return false;
        }
        let Some(reason_rsc) = a.rsc else { return false };
        let task = a.task.clone();
        // The collective whose parts all count (a bundle for its members).
        let mut primary = self.ws.top_parent(reason_rsc);
        if let Some(bundle) = self.ws.resources[primary].parent {
            primary = bundle;
        }
        let mandatory: Vec<(RscIdx, Role)> = self
            .ws
            .colocations
            .iter()
            .filter(|c| c.primary == primary && c.score >= crate::score::INFINITY)
            .filter(|c| is_start || c.primary_role == Role::Promoted)
            .map(|c| (c.dependent, c.dependent_role))
            .collect();
        if mandatory.is_empty() {
            return false;
        }
        // Blocked only if no part of it can still do it.
        let blocked = self.ws.resources[primary].children.iter().all(|&child| {
            self.plan.rsc_actions(child, &task).last().is_some_and(|&c| !self.plan.actions[c].runnable)
        });
        if !blocked {
            return false;
        }
        let reason = format!("colocation with {}", self.ws.resources[reason_rsc].id);
        let mut changed = false;
        for (dependent, dependent_role) in mandatory {
            let blocked_task = if dependent_role == Role::Promoted { "promote" } else { "start" };
            changed |= self.mark_blocked(dependent, blocked_task, &reason, targets_of, depth);
        }
        changed
    }

    /// Makes a resource's (and everything inside it's) `task` actions
    /// unrunnable for `reason`, passing the effect on as Pacemaker's
    /// mark_action_blocked does.
    fn mark_blocked(&mut self, r: RscIdx, task: &str, reason: &str, targets_of: &mut HashMap<usize, Vec<usize>>, depth: usize) -> bool {
        let mut changed = false;
        for i in self.plan.rsc_actions(r, task).into_iter().rev() {
            if !self.plan.actions[i].runnable {
                continue;
            }
            self.plan.actions[i].runnable = false;
            if self.plan.actions[i].reason.is_none() {
                self.plan.actions[i].reason = Some(reason.to_string());
            }
            changed = true;
            self.block_dependents_of(i, targets_of, depth + 1);
            self.update_for_orderings(i, targets_of, depth + 1);
        }
        for child in self.ws.resources[r].children.clone() {
            changed |= self.mark_blocked(child, task, reason, targets_of, depth);
        }
        changed
    }

    /// A resource set with require-all=false: a "one-or-more" pseudo-action
    /// is runnable once any member of the first set is.
    pub fn order_set_gate(&mut self, gate: &crate::model::SetGate) {
        let g = self.plan.add_raw(Action {
            rsc: None,
            task: format!("one-or-more:{}", gate.id),
            node: None,
            optional: true,
            runnable: true,
            pseudo: true,
            reason: None,
            fence_action: None,
            required_runnable_before: 1,
            ..Default::default()
        });
        for &f in &gate.firsts {
            let firsts = self.member_actions(f, &gate.first_task);
            for a in firsts {
                self.plan
                    .order(a, g, of::ONE_OR_MORE | of::IMPLIES_THEN_PRINTED);
            }
        }
        for &t in &gate.thens {
            for a in self.plan.rsc_actions(t, &gate.then_task) {
                self.plan.order(g, a, gate.flags | of::RUNNABLE_LEFT);
            }
        }
    }

    /// Re-evaluates "one or more" pseudo-actions from their inputs.
    fn update_one_or_more(&mut self) -> bool {
        let mut changed = false;
        for i in 0..self.plan.actions.len() {
            let need = self.plan.actions[i].required_runnable_before;
            if need == 0 {
                continue;
            }
            let runnable_inputs = self
                .plan
                .orderings_into(i)
                .filter(|o| o.flags & of::ONE_OR_MORE != 0 && self.plan.actions[o.first].runnable)
                .count();
            let runnable = runnable_inputs >= need;
            if self.plan.actions[i].runnable != runnable {
                self.plan.actions[i].runnable = runnable;
                changed = true;
            }
        }
        changed
    }

    /// The `task` actions of every primitive inside `r` (or of `r` itself).
    pub(crate) fn member_actions(&self, r: RscIdx, task: &str) -> Vec<usize> {
        self.primitives_by_rsc[r].iter().flat_map(|&p| self.plan.rsc_actions_slice(p, task)).copied().collect()
    }

    pub(crate) fn is_ancestor(&self, ancestor: RscIdx, mut r: RscIdx) -> bool {
        while let Some(p) = self.ws.resources[r].parent {
            if p == ancestor {
                return true;
            }
            r = p;
        }
        false
    }

    // --- Propagation --------------------------------------------------------

    /// Flags of a "first" action as seen by a "then" on `then_node`: for a
    /// clone, whether it is required is judged by its instances on that node
    /// only (runnability stays clone-wide), as Pacemaker does.
    fn first_flags_for(&self, i: usize, then_node: Option<NodeIdx>) -> (bool, bool) {
        let (optional, runnable) = self.first_flags(i);
        let a = &self.plan.actions[i];
        let (Some(r), Some(node)) = (a.rsc, then_node) else {
            return (optional, runnable);
        };
        if self.ws.resources[r].variant != Variant::Clone {
            return (optional, runnable);
        }
        let complex = super::member_task(&a.task);
        // On a node, only the instances there count (not the clone's own flag).
        let mut node_optional = true;
        for &p in &self.primitives_by_rsc[r] {
            for &m in self.plan.rsc_actions_slice(p, complex) {
                if self.plan.actions[m].node == Some(node) && !self.plan.actions[m].optional {
                    node_optional = false;
                }
            }
        }
        (node_optional, runnable)
    }

    /// The node an ordering's "then" action is judged on: its own, or for a
    /// group's start the node the whole group is placed on (Pacemaker's
    /// pcmk__update_action_for_orderings).
    fn ordering_node(&self, then: usize) -> Option<NodeIdx> {
        let a = &self.plan.actions[then];
        match a.rsc {
            Some(g) if a.node.is_none() && a.task == "start" && self.ws.resources[g].variant == Variant::Group => {
                super::promote::location_of(self.ws, g)
            }
            _ => a.node,
        }
    }

    fn first_flags(&self, i: usize) -> (bool, bool) {
        let a = &self.plan.actions[i];
        let (mut optional, mut runnable) = (a.optional, a.runnable);
        let Some(r) = a.rsc else {
            return (optional, runnable);
        };
        let variant = self.ws.resources[r].variant;
        if variant == Variant::Primitive {
            return (optional, runnable);
        }
        let complex = super::member_task(&a.task);
        let notification = complex != a.task;
        let prims = &self.primitives_by_rsc[r];
        // Pacemaker looks at a member's newest action for the task only.
        let member_actions: Vec<Option<usize>> =
            prims.iter().map(|&p| self.plan.rsc_actions_slice(p, complex).last().copied()).collect();
        match variant {
            Variant::Group => {
                for &member_action in &member_actions {
                    let Some(m) = member_action else {
                        if complex != "stop" && complex != "demote" {
                            runnable = false;
                        }
                        continue;
                    };
                    if !self.plan.actions[m].optional {
                        optional = false;
                    }
                    if notification && !self.plan.actions[m].runnable {
                        runnable = false;
                    }
                }
            }
            // A clone of groups sums up its instances' own actions, which
            // sum up their members' (Pacemaker's summary_action_flags with
            // the groups' action flags).
            Variant::Clone if self.ws.resources[r].children.iter().any(|&c| self.ws.resources[c].variant == Variant::Group) => {
                let mut any_runnable = false;
                for &child in &self.ws.resources[r].children {
                    let child_actions = if self.ws.resources[child].variant == Variant::Group {
                        self.plan.rsc_actions_slice(child, &a.task)
                    } else {
                        self.plan.rsc_actions_slice(child, complex)
                    };
                    let Some(&c) = child_actions.first() else { continue };
                    let (child_optional, child_runnable) = self.first_flags(c);
                    optional &= child_optional;
                    any_runnable |= child_runnable;
                }
                if !any_runnable && complex != "stop" && complex != "demote" {
                    runnable = false;
                }
            }
            // A bundle sums up its containers, or for promotion, demotion
            // and notifications its inner clone's instances (Pacemaker's
            // bundle action flags).
            Variant::Bundle => {
                let mut any_runnable = false;
                for m in super::bundle::summarized_members(self.ws, r, complex) {
                    let member_task = if self.ws.resources[m].variant == Variant::Primitive { complex } else { a.task.as_str() };
                    let Some(&c) = self.plan.rsc_actions_slice(m, member_task).last() else { continue };
                    let (member_optional, member_runnable) = self.first_flags(c);
                    optional &= member_optional;
                    any_runnable |= member_runnable;
                }
                if !any_runnable && complex != "stop" && complex != "demote" {
                    runnable = false;
                }
            }
            _ => {
                let mut any_runnable = false;
                for &m in member_actions.iter().flatten() {
                    if !self.plan.actions[m].optional {
                        optional = false;
                    }
                    if self.plan.actions[m].runnable {
                        any_runnable = true;
                    }
                }
                if !any_runnable && complex != "stop" {
                    runnable = false;
                }
            }
        }
        (optional, runnable)
    }

    fn clear_runnable(&mut self, then: usize, because: usize) -> bool {
        if !self.plan.actions[then].runnable {
            return false;
        }
        self.plan.actions[then].runnable = false;
        self.set_reason(then, because, "unrunnable");
        true
    }

    fn clear_optional(&mut self, then: usize, because: usize) -> bool {
        if !self.plan.actions[then].optional {
            return false;
        }
        if let Some(r) = self.plan.actions[then].rsc {
            let a = &self.plan.actions[then];
            if a.node.is_some() && !a.pseudo && a.interval_ms == 0 && !self.ws.resources[r].managed
            {
                return false;
            }
        }
        self.plan.actions[then].optional = false;
        self.set_reason(then, because, "required");
        true
    }

    fn set_reason(&mut self, target: usize, because: usize, change: &str) {

        let (trsc, brsc) = (
            self.plan.actions[target].rsc,
            self.plan.actions[because].rsc,
        );
        if trsc == brsc || self.plan.actions[target].reason.is_some() {
            return;
        }
        let b = &self.plan.actions[because];
        let text = match b.rsc {
            Some(r) => format!("{change} {} {}", self.ws.resources[r].id, b.task),
            None => format!("{change} {}", b.task),
        };
        self.plan.actions[target].reason = Some(text);
    }

}

/// The flags an ordering applies to one of its targets (see
/// [`Builder::then_targets`]): the members and instances of a collective
/// "then" are updated like their collective, except that only the ordered
/// action itself is shown in the graph for the other side's sake (Pacemaker
/// marks actions to be shown only where it weighs the ordering itself).
fn flags_for_target(flags: u32, target_index: usize) -> u32 {
    if target_index == 0 {
        flags
    } else {
        flags & !(of::IMPLIES_THEN_PRINTED | of::IMPLIES_FIRST_PRINTED)
    }
}

impl Builder<'_> {

    /// Targets an ordering's effect applies to: the action itself and, for a
    /// collective action, the same task of every primitive inside it.
    pub(super) fn then_targets(&self, then: usize) -> Vec<usize> {
        let mut out = vec![then];
        let a = &self.plan.actions[then];
        if let Some(r) = a.rsc {
            if self.ws.resources[r].variant != Variant::Primitive {
                let task = a.task.clone();
                if matches!(task.as_str(), "start" | "stop" | "promote" | "demote") {
                    // A bundle passes its orderings on to its containers.
                    let members = match &self.ws.resources[r].bundle {
                        Some(bundle) => bundle.replicas.iter().map(|rep| rep.container).collect(),
                        None => self.ws.primitives_of(r),
                    };
                    for p in members {
                        out.extend(self.plan.rsc_actions(p, &task));
                    }
                }
            }
        }
        out
    }

    /// A group's "stopped", "running", "promoted" and "demoted" pseudo-actions can
    /// run only if every member's stop (start, ...) can (Pacemaker's group action
    /// flags); returns whether any action changed.
    fn summarize_groups(&mut self) -> bool {
        let mut changed = false;
        for r in 0..self.ws.resources.len() {
            if self.ws.resources[r].variant != Variant::Group {
                continue;
            }
            // A group's action is required as soon as a member's is
            // (Pacemaker's group action flags, which say so on the group's
            // action itself whenever an ordering consults them).
            for (member_task, group_task) in [("stop", "stop"), ("start", "start"), ("promote", "promote"), ("demote", "demote"), ("stop", "stopped"), ("start", "running"), ("promote", "promoted"), ("demote", "demoted")] {
                let required = self.ws.resources[r].children.iter().any(|&m| {
                    self.plan.rsc_actions(m, member_task).first().is_some_and(|&a| !self.plan.actions[a].optional)
                });
                if required {
                    for a in self.plan.rsc_actions(r, group_task) {
                        changed |= self.set_required(a);
                    }
                }
            }
            for (member_task, group_task) in [("stop", "stopped"), ("start", "running"), ("promote", "promoted"), ("demote", "demoted")] {
                let blocked = self.ws.resources[r].children.iter().any(|&m| {
                    self.plan.rsc_actions(m, member_task).first().is_some_and(|&a| !self.plan.actions[a].runnable)
                });
                if !blocked {
                    continue;
                }
                changed |= self.make_unrunnable(r, group_task);
            }
        }
        changed
    }

    /// A clone's (or bundle's) start or promotion (and their completions)
    /// cannot run when no instance's (replica's) can, and any of its actions
    /// is required when an instance's is (Pacemaker's clone and bundle action
    /// flags say so on the action itself); returns whether any action changed.
    fn summarize_clones(&mut self) -> bool {
        let mut changed = false;
        for r in 0..self.ws.resources.len() {
            if !matches!(self.ws.resources[r].variant, Variant::Clone | Variant::Bundle) {
                continue;
            }
            for task in ["start", "running", "promote", "promoted", "demote", "demoted"] {
                for a in self.plan.rsc_actions(r, task) {
                    if !self.first_flags(a).1 {
                        changed |= self.set_unrunnable(a);
                    }
                }
            }
            // Required as soon as an instance's is.
            for task in ["start", "running", "stop", "stopped", "promote", "promoted", "demote", "demoted"] {
                for a in self.plan.rsc_actions(r, task) {
                    if !self.first_flags(a).0 {
                        changed |= self.set_required(a);
                    }
                }
            }
        }
        changed
    }

    /// Brings a group's or clone's action in line with its members' as
    /// seen from an action on `other_node`: required when a member's is,
    /// and unrunnable when the members' say it can't run (a group's
    /// completion when any member's action can't, a clone's start or
    /// promotion when no instance's can).
    fn refresh_collective_flags(&mut self, i: usize, other_node: Option<NodeIdx>) {
        let Some(r) = self.plan.actions[i].rsc else { return };
        let variant = self.ws.resources[r].variant;
        let task = self.plan.actions[i].task.clone();
        let completion = super::member_task(&task) != task;
        match variant {
            Variant::Group => {
                let (optional, runnable) = self.first_flags(i);
                if !optional {
                    self.set_required(i);
                }
                if !runnable && completion {
                    self.set_unrunnable(i);
                }
            }
            Variant::Clone => {
                let (optional, _) = self.first_flags_for(i, other_node);
                if !optional {
                    self.set_required(i);
                }
                let (_, runnable) = self.first_flags(i);
                if !runnable && matches!(task.as_str(), "start" | "running" | "promote" | "promoted") {
                    self.set_unrunnable(i);
                }
            }
            _ => {}
        }
    }

    /// Marks `rsc`'s `task` actions unrunnable; returns whether any was runnable.
    pub(super) fn make_unrunnable(&mut self, rsc: RscIdx, task: &str) -> bool {
        let mut changed = false;
        for a in self.plan.rsc_actions(rsc, task) {
            changed |= self.set_unrunnable(a);
        }
        changed
    }

    /// Marks an action unrunnable (without a reason, as a summary does);
    /// returns whether it was runnable.
    fn set_unrunnable(&mut self, a: usize) -> bool {
        std::mem::replace(&mut self.plan.actions[a].runnable, false)
    }

    /// Marks an action required (without a reason, as a summary does);
    /// returns whether it was optional.
    fn set_required(&mut self, a: usize) -> bool {
        std::mem::replace(&mut self.plan.actions[a].optional, false)
    }

    pub fn propagate(&mut self) {
        // No action is added while propagating, so each "then" action's
        // targets are worked out once (many probes order into one clone start).
        let mut targets_of: HashMap<usize, Vec<usize>> = HashMap::new();
        self.update_one_or_more();
        self.block_colocation_dependents(&mut targets_of);
        // Pacemaker inhibits interleaved instances left without a partner
        // while it updates actions for orderings, after blocking colocation
        // dependents.
        self.inhibit_unmatched_instances();
        self.summarize_interleaved_clones();
        self.summarize_groups();
        self.summarize_clones();
        self.propagate_in_pacemaker_order(&mut targets_of);
        // Then to a fixed point, for what that pass leaves (the results are
        // the same in any order; only which reason an action keeps is not).
        let mut changed = true;
        let mut rounds = 0;
        while changed && rounds < 1000 {
            changed = self.update_one_or_more();
            changed |= self.summarize_interleaved_clones();
            changed |= self.summarize_groups();
            changed |= self.summarize_clones();
            rounds += 1;
            for oi in 0..self.plan.orderings.len() {
                if self.interleaved_orderings.contains(&oi) {
                    continue;
                }
                let Ordering { first, then, flags } = self.plan.orderings[oi].clone();
                let first_node = self.plan.actions[first].node;
                let targets = targets_of
                    .entry(then)
                    .or_insert_with(|| self.then_targets(then));
                for (k, &t) in targets.iter().enumerate() {
                    // Members of a collective "then" are only affected on the
                    // node of "first" (when it has one).
                    if k > 0 && first_node.is_some() && self.plan.actions[t].node != first_node {
                        continue;
                    }
                    let (first_optional, first_runnable) = self.first_flags_for(first, self.ordering_node(t));
                    let flags = flags_for_target(flags, k);
                    changed |= self.apply_ordering(first, t, flags, first_optional, first_runnable);
                }
            }
        }
    }

    /// One pass over the orderings in the order Pacemaker applies them
    /// (pcmk__update_action_for_orderings over every action newest first,
    /// each action's orderings newest first, going back over an
    /// action and what follows it whenever it changes), so that an action
    /// affected for several reasons is given the one Pacemaker gives it.
    fn propagate_in_pacemaker_order(&mut self, targets_of: &mut HashMap<usize, Vec<usize>>) {
        for then in (0..self.plan.actions.len()).rev() {
            self.update_for_orderings(then, targets_of, 0);
        }
    }

    /// The actions ordered after `a`, newest ordering first, including
    /// those of orderings remapped away from it (see `remapped_from`).
    fn followers_newest_first(&self, a: usize) -> Vec<usize> {
        let mut ids = self.plan.ordering_ids_from(a);
        if let Some(remapped) = self.remapped_from.get(&a) {
            ids.extend(remapped.iter().copied());
        }
        ids.sort_unstable_by(|x, y| y.cmp(x));
        ids.into_iter().map(|o| self.plan.orderings[o].then).collect()
    }

    fn update_for_orderings(&mut self, then: usize, targets_of: &mut HashMap<usize, Vec<usize>>, depth: usize) {
        // Deep chains are left to the fixed-point pass that follows.
        const MAX_DEPTH: usize = 256;
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(r) = self.plan.actions[then].rsc.filter(|&r| self.ws.resources[r].variant == Variant::Clone) {
            self.inhibit_unmatched_instances_of(r);
        }
        let flags_of = |b: &Self, a: usize| (b.plan.actions[a].optional, b.plan.actions[a].runnable);
        let mut then_changed = false;
        // Only "then" itself, if it becomes unrunnable during this update, can
        // block its colocation dependents (as in Pacemaker, members of a
        // collective "then" changed along with it don't).
        let then_was_runnable = self.plan.actions[then].runnable;
        let mut befores = self.plan.ordering_ids_into(then);
        // Newest first, the configured orderings as older than the internal ones.
        let age = |oi: usize| {
            if let Some(&when) = self.remapped_when.get(&oi) {
                return (3, when);
            }
            let class = if self.configured_orderings.contains(&oi) {
                1
            } else if oi < self.internal_orderings_begin {
                0
            } else {
                2
            };
            (class, oi)
        };
        befores.sort_by_key(|&oi| std::cmp::Reverse(age(oi)));
        for oi in befores {
            if self.interleaved_orderings.contains(&oi) {
                continue;
            }
            if self.remap_pending.remove(&oi) {
                self.remapped_when.insert(oi, self.remapped_when.len());
                then_changed = true;
                continue;
            }
            let Ordering { first, flags, .. } = self.plan.orderings[oi];
            // Looking up a collective action's flags for an ordering updates
            // the action itself (without a reason, and not as a change that
            // is passed on), as Pacemaker's group and clone action flags do.
            let then_node = self.ordering_node(then);
            let first_node = self.plan.actions[first].node;
            self.refresh_collective_flags(first, then_node);
            self.refresh_collective_flags(then, self.ordering_node(first));
            let first_before = flags_of(self, first);
            let targets = targets_of.entry(then).or_insert_with(|| self.then_targets(then)).clone();
            // "first"'s flags as the ordering's "then" sees them (on its node),
            // taken once before any effect, as Pacemaker does.
            let first_flags = self.first_flags_for(first, then_node);
            // Only (un)fencing limits an ordering to the members on its node
            // (Pacemaker's pe_order_implies_then_on_node).
            let first_is_fencing = self.plan.actions[first].rsc.is_none();
            // The targets this ordering applies to.
            let applicable: Vec<(usize, u32, bool, bool, bool)> = targets
                .iter()
                .enumerate()
                .filter(|&(k, &t)| {
                    // Members of a collective "then" are all affected, but
                    // for (un)fencing only those on its node; a bundle's
                    // orderings are not yet made in Pacemaker's order, so its
                    // containers are left to the fixed-point pass.
                    k == 0
                        || (first_node.filter(|_| first_is_fencing).is_none_or(|n| self.plan.actions[t].node == Some(n))
                            && !self.plan.actions[t].rsc.is_some_and(|r| super::bundle::is_inside_bundle(self.ws, r)))
                })
                .map(|(k, &t)| {
                    let (first_optional, first_runnable) = first_flags;
                    let has_parent = self.plan.actions[t].rsc.is_some_and(|r| self.ws.resources[r].parent.is_some());
                    (t, flags_for_target(flags, k), first_optional, first_runnable, has_parent)
                })
                .collect();
            // Each kind of effect on all targets (the collective's action,
            // then its members) before the next kind, as Pacemaker applies
            // an ordering's flags one at a time to a collective and its members.
            for step in OrderingStep::ALL {
                for &(t, flags, first_optional, first_runnable, has_parent) in &applicable {
                    let target_before = flags_of(self, t);
                    self.apply_ordering_step(step, first, t, flags, first_optional, first_runnable);
                    if flags_of(self, t) != target_before {
                        then_changed = true;
                        // A changed action inside a group or clone is gone
                        // over again at once, before the ordering's other
                        // effects and the collective's other members (as
                        // Pacemaker's pcmk__update_ordered_actions does), so
                        // what follows from it may give its followers their
                        // reason first.
                        if has_parent {
                            self.update_for_orderings(t, targets_of, depth + 1);
                        }
                    }
                }
            }
            if flags_of(self, first) != first_before {
                for after in self.followers_newest_first(first) {
                    self.update_for_orderings(after, targets_of, depth + 1);
                }
                self.update_for_orderings(first, targets_of, depth + 1);
            }
        }
        if then_changed {
            if then_was_runnable && !self.plan.actions[then].runnable {
                self.block_dependents_of(then, targets_of, depth + 1);
            }
            self.update_for_orderings(then, targets_of, depth + 1);
            for after in self.followers_newest_first(then) {
                self.update_for_orderings(after, targets_of, depth + 1);
            }
        }
    }

    /// Applies one ordering's flags, in the order Pacemaker's
    /// update_action_for_ordering_flags does (the first reason given to an
    /// action is the one it keeps).
    fn apply_ordering(
        &mut self,
        first: usize,
        then: usize,
        flags: u32,
        first_optional: bool,
        first_runnable: bool,
    ) -> bool {
        let mut changed = false;
        for step in OrderingStep::ALL {
            changed |= self.apply_ordering_step(step, first, then, flags, first_optional, first_runnable);
        }
        changed
    }

    /// Applies one kind of an ordering's effects (see [`OrderingStep`]).
    fn apply_ordering_step(
        &mut self,
        step: OrderingStep,
        first: usize,
        then: usize,
        flags: u32,
        first_optional: bool,
        first_runnable: bool,
    ) -> bool {
        let mut changed = false;
        // A migrating resource's start or stop doesn't force other
        // resources' actions (it does its own group's or clone's).
        let first_migrating = match (self.plan.actions[first].rsc, self.plan.actions[then].rsc) {
            (Some(fr), Some(tr)) => self.migrating.contains(&fr) && !self.is_ancestor(tr, fr),
            (Some(fr), None) => self.migrating.contains(&fr),
            _ => false,
        };
        if step == OrderingStep::ImpliesThen
            && flags & of::IMPLIES_THEN != 0
            && self.plan.actions[then].optional
            && !first_optional
            && !first_migrating
        {
            changed |= self.clear_optional(then, first);
        }
        if step == OrderingStep::Restart && flags & of::RESTART != 0 {
            changed |= self.restart_ordering(first, then);
        }
        // Pacemaker requires "first" only where its own flag lags behind
        // what it stands for (a collective's pseudo-action whose members
        // are required); a primitive's optional action stays optional.
        if step == OrderingStep::ImpliesFirst
            && flags & of::IMPLIES_FIRST != 0
            && !self.plan.actions[then].optional
            && !first_optional
            && self.plan.actions[first].optional
        {
            changed |= self.clear_optional(first, then);
        }
        if step == OrderingStep::PromotedImpliesFirst
            && flags & of::PROMOTED_IMPLIES_FIRST != 0
            && !self.plan.actions[then].optional
            && self.plan.actions[then].rsc.is_some_and(|r| self.ws.resources[r].role == Role::Promoted)
            && self.plan.actions[first].optional
        {
            changed |= self.clear_optional(first, then);
        }
        if step == OrderingStep::RunnableLeft && flags & of::RUNNABLE_LEFT != 0 && self.plan.actions[then].runnable && !first_runnable {
            changed |= self.clear_runnable(then, first);
        }
        if step == OrderingStep::Asymmetrical && flags & of::ASYMMETRICAL != 0 {
            changed |= self.asymmetric_ordering(first, then, first_runnable);
        }
        // Shown (and put in the graph) because the other side is required.
        if step == OrderingStep::Shown
            && flags & of::IMPLIES_THEN_PRINTED != 0
            && self.plan.actions[first].runnable
            && !first_optional
        {
            self.plan.actions[then].print_always = true;
        }
        if step == OrderingStep::Shown
            && flags & of::IMPLIES_FIRST_PRINTED != 0
            && !self.plan.actions[then].optional
        {
            self.plan.actions[first].print_always = true;
        }
        // A blocked, unmanaged resource that can't stop holds up what depends on it.
        if step == OrderingStep::BlockedStop && flags & (of::IMPLIES_THEN | of::IMPLIES_FIRST | of::RESTART) != 0 {
            if let Some(fr) = self.plan.actions[first].rsc {
                let f = &self.plan.actions[first];
                let res = &self.ws.resources[fr];
                if !res.managed
                    && res.blocked
                    && !f.runnable
                    && f.task == "stop"
                    && self.plan.actions[then].runnable
                {
                    self.plan.actions[then].runnable = false;
                    changed = true;
                }
            }
        }
        changed
    }

    /// A non-symmetrical mandatory ordering (Pacemaker's handle_asymmetric_ordering).
    fn asymmetric_ordering(&mut self, first: usize, then: usize, first_runnable: bool) -> bool {
        let Some(tr) = self.plan.actions[then].rsc else {
            return false;
        };
        let t = self.plan.actions[then].clone();
        let running = self.ws.running_nodes(tr);
        let state = self
            .ws
            .primitives_of(tr)
            .iter()
            .map(|&p| self.ws.resources[p].role)
            .max()
            .unwrap_or(Role::Stopped);
        if state <= Role::Stopped && t.task == "stop" {
            return false;
        }
        if state >= Role::Started
            && t.optional
            && t.task == "start"
            && running.len() == 1
            && t.node == running.first().copied()
        {
            return false;
        }
        if first_runnable {
            return false;
        }
        let mut changed = self.clear_optional(then, first);
        changed |= self.clear_runnable(then, first);
        changed
    }

    fn restart_ordering(&mut self, first: usize, then: usize) -> bool {
        let (Some(fr), Some(tr)) = (self.plan.actions[first].rsc, self.plan.actions[then].rsc)
        else {
            return false;
        };
        if self.ws.resources[fr].variant != Variant::Primitive
            || self.ws.resources[tr].variant != Variant::Primitive
        {
            return false;
        }
        let then_a = self.plan.actions[then].clone();
        let mut reason = false;
        if !then_a.optional {
            reason = true;
        }
        if !then_a.runnable && self.ws.resources[tr].managed && fr == tr {
            reason = true;
        }
        if !reason {
            return false;
        }
        let mut changed = false;
        if self.plan.actions[first].runnable {
            changed |= self.clear_optional(first, then);
        }
        if !self.plan.actions[then].optional {
            changed |= self.clear_optional(first, then);
        }
        if !self.plan.actions[first].optional && !self.plan.actions[first].runnable {
            changed |= self.clear_runnable(then, first);
        }
        changed
    }
}
