//! Simulated execution of a transition: its graph runs as crm_simulate runs
//! it (see [`execution`]), every action succeeds unless told to fail, and
//! each result is recorded in the CIB status section the way the controller
//! would, so the revised state can be unpacked again.

use std::collections::HashMap;

use libcrmcommon::xml::{Element, XmlNode};

use crate::model::{NodeIdx, Variant, WorkingSet};
use crate::sched::actions::Plan;
use crate::unpack::strip_instance;

pub mod execution;
mod history_entry;

/// An executed action's injected failure (crm_simulate -F), for [`apply_executed`].
#[derive(Debug, Clone)]
pub struct InjectedFailure {
    /// The plan's index of the failed action.
    pub action: usize,
    /// The result it failed with.
    pub rc: i32,
    /// The transient attributes the failure sets on the action's node (fail count and
    /// last failure), in order; "value++" counts up.
    pub attributes: Vec<(String, String)>,
}

fn node_state_mut<'a>(
    status: &'a mut Element,
    node_id: &str,
    uname: &str,
) -> Option<&'a mut Element> {
    let pos = status
        .children
        .iter()
        .position(|c| matches!(c, XmlNode::Element(e) if e.name == "node_state" && (e.id() == Some(node_id) || e.attr("uname") == Some(uname))));
    let pos = match pos {
        Some(p) => p,
        None => {
            status.push_child(
                Element::new("node_state")
                    .with_attr("id", node_id)
                    .with_attr("uname", uname)
                    .with_attr("in_ccm", "true")
                    .with_attr("crmd", "online")
                    .with_attr("join", "member")
                    .with_attr("expected", "member"),
            );
            status.children.len() - 1
        }
    };
    status.children[pos].as_element_mut()
}

/// Where each resource's history entries (lrm_resource) sit among one node's
/// lrm_resources children, so recording an action doesn't scan every entry.
#[derive(Default)]
struct NodeHistoryIndex {
    /// Entry positions by id.
    by_id: HashMap<String, Vec<usize>>,
    /// Entry positions by id without instance number ("rsc" for "rsc:2").
    by_base: HashMap<String, Vec<usize>>,
}

impl NodeHistoryIndex {
    fn build(lrm_resources: &Element) -> Self {
        let mut index = NodeHistoryIndex::default();
        for (pos, child) in lrm_resources.children.iter().enumerate() {
            if let XmlNode::Element(e) = child {
                if e.name == "lrm_resource" {
                    index.add(pos, e.id());
                }
            }
        }
        index
    }

    fn add(&mut self, pos: usize, id: Option<&str>) {
        let Some(id) = id else { return };
        self.by_id.entry(id.to_string()).or_default().push(pos);
        self.by_base
            .entry(strip_instance(id).to_string())
            .or_default()
            .push(pos);
    }

    /// Positions of the entries holding `history_id`'s history, in document
    /// order; an anonymous clone's entries may carry any instance number.
    fn positions(&self, history_id: &str, anonymous: bool) -> Vec<usize> {
        let mut out = self.by_id.get(history_id).cloned().unwrap_or_default();
        if anonymous {
            out.extend(self.by_base.get(history_id).into_iter().flatten());
            out.sort_unstable();
            out.dedup();
        }
        out
    }
}

/// Applies the given actions (plan indices, in execution order) to a copy of the CIB; each
/// succeeds with the result it expects unless `failures` says otherwise.
pub fn apply_executed(cib: &Element, ws: &WorkingSet, plan: &Plan, executed: &[usize], failures: &[InjectedFailure]) -> Element {
    let mut out = cib.clone();
    // Results are stamped with the real time, as Pacemaker does even with --set-datetime.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let status = out.ensure_child("status");
    let mut history_indexes: HashMap<NodeIdx, NodeHistoryIndex> = HashMap::new();
    for &i in executed {
        let a = &plan.actions[i];
        let failure = failures.iter().find(|f| f.action == i);
        let Some(node) = a.node else { continue };
        let (node_id, uname) = (ws.nodes[node].id.clone(), ws.nodes[node].uname.clone());
        if a.task == "stonith" {
            // Unfencing leaves the node as it is.
            if !a.is_node_fencing() {
                continue;
            }
            let Some(state) = node_state_mut(status, &node_id, &uname) else {
                continue;
            };
            state.set_attr("in_ccm", "false");
            state.set_attr("crmd", "offline");
            state.set_attr("join", "down");
            state.set_attr("expected", "down");
            state.remove_child("lrm");
            state.remove_child("transient_attributes");
            history_indexes.remove(&node);
            continue;
        }
        // Cancelling a recurring operation or deleting history leaves no
        // history entry.
        if a.pseudo
            || matches!(
                a.task.as_str(),
                "cancel" | "delete" | "clear_failcount" | crate::sched::shutdown_lock::CLEAR_HISTORY_TASK
            )
        {
            continue;
        }
        let Some(r) = a.rsc else { continue };
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive {
            continue;
        }
        let anonymous = ws
            .enclosing_clone(r)
            .map(|c| !ws.resources[c].clone.unique)
            .unwrap_or(false);
        let history_id = if anonymous {
            strip_instance(&res.id).to_string()
        } else {
            res.id.clone()
        };
        let Some(state) = node_state_mut(status, &node_id, &uname) else {
            continue;
        };
        for (name, value) in failure.iter().flat_map(|f| &f.attributes) {
            crate::inject::set_transient_attr(state, name, value);
        }
        let lrm_resources = state.ensure_child("lrm").ensure_child("lrm_resources");
        let index = history_indexes
            .entry(node)
            .or_insert_with(|| NodeHistoryIndex::build(lrm_resources));
        // An anonymous instance may have several history entries on one node;
        // the result applies to all of them.
        let mut positions = index.positions(&history_id, anonymous);
        if positions.is_empty() {
            let mut e = Element::new("lrm_resource")
                .with_attr("id", history_id.clone())
                .with_attr("type", res.agent.clone())
                .with_attr("class", res.class.clone());
            if let Some(p) = &res.provider {
                e.set_attr("provider", p.clone());
            }
            lrm_resources.push_child(e);
            let pos = lrm_resources.children.len() - 1;
            index.add(pos, Some(history_id.as_str()));
            positions.push(pos);
        }
        for pos in positions {
            let Some(entry) = lrm_resources.children[pos].as_element_mut() else {
                continue;
            };
            // Every action succeeds with the result it expects, unless told to fail.
            let target_rc = a.target_rc.unwrap_or(0);
            let meta = |name: &str| a.added_meta.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            let notification = (a.task == "notify")
                .then(|| (meta("notify_type").unwrap_or_default(), meta("notify_operation").unwrap_or_default()));
            let result = history_entry::ActionResult {
                rsc: &history_id,
                task: &a.task,
                notification,
                interval_ms: a.interval_ms,
                target_rc,
                rc: failure.map_or(target_rc, |f| f.rc),
                when: now,
            };
            history_entry::record(entry, &result);
        }
    }
    out
}
