//! Fencing: what resources require before they start ("requires": quorum,
//! fencing, unfencing) and what that means for where they count as active;
//! the fencing actions themselves (Pacemaker's pe_fence_op, with the
//! priority-fencing-delay and unfencing digests they carry); and the
//! orderings around fencing that only shape the transition graph: fencing
//! one node at a time (unless concurrent-fencing is set) with the DC last,
//! starts after fencing for resources that require it, and stops implied by
//! fencing after it. Those orderings are optional (or only preserve order),
//! so they are added once flags have settled and change no action's flags.

use crate::model::{order_flags as of, NodeIdx, RscIdx, Variant, WorkingSet};
use crate::options::is_true;
use crate::output::status::natural_cmp;

use super::actions::{Action, Builder, Plan, FENCE_TASK};

/// What a resource's start and promote need first (Pacemaker's "requires").
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    Nothing,
    Quorum,
    Fencing,
    /// Fencing, and the node unfenced before the resource runs there.
    Unfencing,
}

impl Requirement {
    pub(crate) fn needs_fencing(self) -> bool {
        matches!(self, Requirement::Fencing | Requirement::Unfencing)
    }
}

pub(crate) fn requirement(ws: &WorkingSet, r: RscIdx) -> Requirement {
    let res = &ws.resources[r];
    let fence_device = res.class == "stonith";
    let stonith_enabled = ws.options.stonith_enabled;
    let configured = res.meta.get("requires").map(|v| v.to_ascii_lowercase());
    match configured.as_deref() {
        Some("nothing") => Requirement::Nothing,
        Some("quorum") => Requirement::Quorum,
        Some("fencing") => Requirement::Fencing,
        // Fence devices can't wait for unfencing, nor can anything without fencing.
        Some("unfencing") if !fence_device && stonith_enabled => Requirement::Unfencing,
        Some("unfencing") => Requirement::Quorum,
        _ if fence_device || res.is_remote_connection => Requirement::Quorum,
        _ if ws.unfencing_enabled && stonith_enabled => Requirement::Unfencing,
        _ if ws.unfencing_enabled => Requirement::Quorum,
        _ if stonith_enabled => Requirement::Fencing,
        _ if ws.options.no_quorum_policy == crate::options::NoQuorumPolicy::Ignore => {
            Requirement::Nothing
        }
        _ => Requirement::Quorum,
    }
}

/// Whether a resource may only run on a node once it has been unfenced
/// (Pacemaker's pe_rsc_needs_unfencing).
pub(crate) fn needs_unfencing(ws: &WorkingSet, r: RscIdx) -> bool {
    requirement(ws, r) == Requirement::Unfencing
}

/// Where a primitive is active as far as scheduling is concerned
/// (Pacemaker's pe__find_active_on and its multiply-active check).
pub(crate) struct ActiveOn {
    /// The node it is taken to run on: the first node it is active on, or
    /// for resources that don't need fencing, the first clean one.
    pub current: Option<NodeIdx>,
    /// Active on more than one node; unclean nodes count only for
    /// resources that need fencing (the others may start elsewhere before
    /// fencing completes).
    pub multiply_active: bool,
}

pub(crate) fn active_on(ws: &WorkingSet, r: RscIdx) -> ActiveOn {
    let running = &ws.resources[r].running_on;
    let is_clean = |&n: &NodeIdx| ws.nodes[n].online && !ws.nodes[n].unclean;
    let clean = running.iter().filter(|n| is_clean(n)).count();
    let migration = &ws.resources[r].migration;
    if let Some((source, _)) = migration.partial {
        // Active on both ends of a partial migration, taken to run on the
        // source; that is no multiple activity (it is handled as the
        // migration's continuation or recovery).
        return ActiveOn {
            current: running.iter().copied().find(|&n| n == source).or(running.first().copied()),
            multiply_active: false,
        };
    }
    if migration.partial_abandoned {
        return ActiveOn {
            current: running.first().copied(),
            multiply_active: false,
        };
    }
    if requirement(ws, r).needs_fencing() {
        ActiveOn {
            current: running.first().copied(),
            multiply_active: running.len() > 1,
        }
    } else {
        ActiveOn {
            current: running.iter().copied().find(is_clean).or(running.first().copied()),
            multiply_active: clean > 1,
        }
    }
}

fn is_dc(ws: &WorkingSet, n: NodeIdx) -> bool {
    ws.nodes[n].attrs.get("#is_dc").is_some_and(|v| v == "true")
}

/// Adds the fencing orderings to a plan whose flags are final.
pub fn order_fencing(ws: &WorkingSet, plan: &mut Plan) {
    let mut fencing: Vec<(usize, NodeIdx)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_node_fencing())
        .filter_map(|(i, a)| a.node.map(|n| (i, n)))
        .collect();
    // Pacemaker visits nodes sorted by name.
    fencing.sort_by(|x, y| natural_cmp(&ws.nodes[x.1].uname, &ws.nodes[y.1].uname));
    if fencing.is_empty() {
        return;
    }
    let concurrent = ws
        .options
        .raw
        .get("concurrent-fencing")
        .is_some_and(|v| is_true(v));
    let mut non_dc: Vec<usize> = Vec::new();
    let mut dc = None;
    // Guests are "fenced" by recovering their container: not in the chain.
    for &(f, n) in fencing.iter().filter(|(_, n)| !ws.is_guest(*n)) {
        if is_dc(ws, n) {
            dc = Some(f);
            continue;
        }
        if !concurrent {
            if let Some(&previous) = non_dc.last() {
                plan.order(previous, f, of::OPTIONAL);
            }
        }
        non_dc.push(f);
    }
    if let Some(dc) = dc {
        if concurrent {
            for &f in &non_dc {
                plan.order(f, dc, of::OPTIONAL);
            }
        } else if let Some(&last) = non_dc.last() {
            plan.order(last, dc, of::OPTIONAL);
        }
    }
    for &(f, target) in &fencing {
        for r in 0..ws.resources.len() {
            if ws.resources[r].variant == Variant::Primitive && ws.resources[r].managed {
                order_resource_vs_fencing(ws, plan, f, target, r);
            }
        }
    }
}

/// Whether a resource's state on a node is known from its history (or,
/// for an instance of an anonymous clone, the clone's).
fn known_on(ws: &WorkingSet, r: RscIdx, node: NodeIdx) -> bool {
    let res = &ws.resources[r];
    res.known_on.contains(&node)
        || res.parent.is_some_and(|p| {
            let parent = &ws.resources[p];
            parent.variant == Variant::Clone && !parent.clone.unique && parent.known_on.contains(&node)
        })
}

fn order_resource_vs_fencing(
    ws: &WorkingSet,
    plan: &mut Plan,
    fencing: usize,
    target: NodeIdx,
    r: RscIdx,
) {
    let requirement = requirement(ws, r);
    let res = &ws.resources[r];
    for task in ["start", "promote"] {
        for a in plan.rsc_actions(r, task) {
            match requirement {
                Requirement::Fencing | Requirement::Unfencing => {
                    plan.order(fencing, a, of::OPTIONAL);
                }
                Requirement::Quorum
                    if task == "start" && res.allowed.contains_key(&target) && !known_on(ws, r, target) =>
                {
                    // Its state there is unknown: it may be active until fenced.
                    plan.order(fencing, a, of::OPTIONAL | of::RUNNABLE_LEFT);
                }
                _ => {}
            }
        }
    }
    if requirement.needs_fencing() {
        // A migrate_to needs what the start it replaces needs.
        for a in plan.rsc_actions(r, "migrate_to") {
            if plan.actions[a].migrate_runnable {
                plan.order(fencing, a, of::OPTIONAL);
            }
        }
    }
    // Implied stops come after the fencing for resources that need it, and
    // always on guests, whose "fencing" is their container's stop.
    if !requirement.needs_fencing() && !ws.is_guest(target) {
        return;
    }
    // Inside a bundle, ordering the member itself would make a loop through
    // the container: the recovery follows the collective's implied stop.
    let bundled = super::bundle::is_inside_bundle(ws, r);
    let top = ws.top_parent(r);
    for stop in plan.rsc_actions(r, "stop") {
        if plan.actions[stop].node != Some(target) {
            continue;
        }
        if !bundled {
            plan.order(fencing, stop, of::PRESERVE);
        }
        if let Some(&top_stop) = plan.rsc_actions(top, "stop").last() {
            plan.order(fencing, top_stop, of::PRESERVE);
        }
    }
    if bundled {
        return;
    }
    for demote in plan.rsc_actions(r, "demote") {
        let a = &plan.actions[demote];
        if a.node == Some(target) && a.pseudo {
            plan.order(fencing, demote, of::PRESERVE | of::OPTIONAL);
        }
    }
}

/// Meta-attribute of a fencing action: how long to wait before fencing
/// (seconds), set where priority-fencing-delay applies.
const PRIORITY_DELAY_META: &str = "priority_fencing_delay";
/// Meta-attributes of a fencing action: the parameter digests of the fence
/// devices that unfence, with which the node is (un)fenced.
const DIGESTS_ALL_META: &str = "digests_all";
const DIGESTS_SECURE_META: &str = "digests_secure";

/// The delay priority-fencing-delay asks for before fencing a node (Pacemaker's
/// node_priority_fencing_delay): the configured delay for a lost cluster node
/// whose resources have the highest priority, when the rest of the cluster is
/// no majority and priorities differ; otherwise 0.
fn priority_fencing_delay(ws: &WorkingSet, node: NodeIdx) -> u64 {
    let delay = ws.options.priority_fencing_delay_s;
    let target = &ws.nodes[node];
    if delay == 0 || target.is_remote || target.online {
        return 0;
    }
    let members: Vec<&crate::model::Node> = ws.nodes.iter().filter(|n| !n.is_remote).collect();
    let online = members.iter().filter(|n| n.online).count();
    if online > members.len() / 2 {
        return 0;
    }
    let top = members.iter().map(|n| n.priority).max().unwrap_or(0);
    let lowest = members.iter().map(|n| n.priority).min().unwrap_or(0);
    if lowest == top || target.priority < top {
        return 0;
    }
    delay
}

impl Builder<'_> {
    /// The fencing action `fence_action` ("reboot", "off", "on") of a node,
    /// created once (Pacemaker's pe_fence_op). It becomes required unless
    /// `optional` (and fencing is possible); the first reason given stays.
    pub(crate) fn fence_op(
        &mut self,
        node: NodeIdx,
        fence_action: &str,
        optional: bool,
        reason: Option<&str>,
    ) -> usize {
        let existing = self
            .plan
            .actions_without_rsc(FENCE_TASK)
            .find(|&i| {
                let a = &self.plan.actions[i];
                a.node == Some(node) && a.fence_action.as_deref() == Some(fence_action)
            });
        let (i, definition_changed) = match existing {
            Some(i) => (i, false),
            None => self.create_fence_op(node, fence_action),
        };
        // A device that unfences changed since the node was last unfenced:
        // the node must be fenced (or unfenced) with the new definition.
        if (!optional || definition_changed) && self.can_fence(node) {
            self.plan.actions[i].optional = false;
        }
        let a = &mut self.plan.actions[i];
        if a.reason.is_none() {
            a.reason = reason.map(str::to_string);
        }
        i
    }

    /// Creates a fencing action; also says whether a fence device that
    /// unfences changed since the node was unfenced.
    fn create_fence_op(&mut self, node: NodeIdx, fence_action: &str) -> (usize, bool) {
        let mut action = Action {
            rsc: None,
            task: FENCE_TASK.to_string(),
            node: Some(node),
            optional: true,
            runnable: true,
            fence_action: Some(fence_action.to_string()),
            ..Default::default()
        };
        let mut definition_changed = false;
        if let Some(digests) = self.fence_device_digests.get(node) {
            action.add_meta(DIGESTS_ALL_META, &digests.all);
            action.add_meta(DIGESTS_SECURE_META, &digests.secure);
            definition_changed = digests.changed;
            for &device in &digests.private_only {
                self.fencing_notices.push(format!(
                    "Only 'private' parameters to {} for unfencing {} changed\n",
                    self.ws.resources[device].id, self.ws.nodes[node].uname
                ));
            }
        }
        if self.ws.options.priority_fencing_delay_s > 0 && self.ws.nodes[node].fence_with_priority_delay {
            let delay = priority_fencing_delay(self.ws, node);
            action.add_meta(PRIORITY_DELAY_META, &delay.to_string());
        }
        (self.plan.add_raw(action), definition_changed)
    }
}
