//! Simulated execution of a transition: its graph runs as crm_simulate runs
//! it (see [`execution`]), every action succeeds unless told to fail, and
//! each result is recorded in the CIB status section the way the controller
//! would, so the revised state can be unpacked again.

use std::collections::HashMap;

use libcrmcommon::xml::{Element, XmlNode};

use crate::model::{NodeIdx, Variant, WorkingSet};
use crate::sched::actions::Plan;

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

/// An action crm_simulate executed, with the names its result is recorded
/// under (none for actions that are not resource operations).
#[derive(Debug, Clone)]
pub struct Executed {
    /// The plan's index of the action.
    pub action: usize,
    pub history_names: Option<execution::HistoryNames>,
}

/// Whether some resource answers to `name` as Pacemaker's pe_find_resource
/// finds one: by id, or by the name its history uses.
pub fn resource_known_as(ws: &WorkingSet, name: &str) -> bool {
    ws.resources.iter().any(|res| res.id == name || res.clone_name.as_deref() == Some(name))
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

/// Where each history entry (lrm_resource) sits among one node's
/// lrm_resources children, so recording an action doesn't scan every entry.
#[derive(Default)]
struct NodeHistoryIndex {
    /// By id: the first entry's position and how many entries have that id.
    by_id: HashMap<String, (usize, usize)>,
}

impl NodeHistoryIndex {
    fn build(lrm_resources: &Element) -> Self {
        let mut index = NodeHistoryIndex::default();
        for (pos, child) in lrm_resources.children.iter().enumerate() {
            if let XmlNode::Element(e) = child {
                if let (true, Some(id)) = (e.name == "lrm_resource", e.id()) {
                    index.add(pos, id);
                }
            }
        }
        index
    }

    fn add(&mut self, pos: usize, id: &str) {
        self.by_id.entry(id.to_string()).or_insert((pos, 0)).1 += 1;
    }

    /// The entry of this id, if there is exactly one: Pacemaker looks entries
    /// up by an XPath that must match once, so a duplicated id counts as
    /// absent and a new entry is added.
    fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).filter(|&&(_, count)| count == 1).map(|&(pos, _)| pos)
    }
}

/// Applies the given actions (plan indices, in execution order) to a copy of the CIB; each
/// succeeds with the result it expects unless `failures` says otherwise.
pub fn apply_executed(cib: &Element, ws: &WorkingSet, plan: &Plan, executed: &[Executed], failures: &[InjectedFailure]) -> Element {
    let mut out = cib.clone();
    // Results are stamped with the real time, as Pacemaker does even with --set-datetime.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let status = out.ensure_child("status");
    let mut history_indexes: HashMap<NodeIdx, NodeHistoryIndex> = HashMap::new();
    for done in executed {
        let i = done.action;
        let a = &plan.actions[i];
        let failure = failures.iter().find(|f| f.action == i);
        let Some(node) = a.node else { continue };
        let (node_id, uname) = (ws.nodes[node].id.clone(), ws.nodes[node].uname.clone());
        // A guest's "fencing" is a pseudo-action standing for its
        // container's recovery: like any pseudo-action, it records nothing.
        if a.task == "stonith" && !a.pseudo {
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
        let Some(names) = &done.history_names else { continue };
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
        // The entry of the name the resource is known by, else of its
        // configured name (also the name of a new entry).
        let pos = match index.position(&names.known_as).or_else(|| index.position(&names.configured)) {
            Some(pos) => pos,
            None => {
                let mut e = Element::new("lrm_resource")
                    .with_attr("id", names.configured.clone())
                    .with_attr("type", res.agent.clone())
                    .with_attr("class", res.class.clone());
                if let Some(p) = &res.provider {
                    e.set_attr("provider", p.clone());
                }
                lrm_resources.push_child(e);
                let pos = lrm_resources.children.len() - 1;
                index.add(pos, &names.configured);
                pos
            }
        };
        let Some(entry) = lrm_resources.children[pos].as_element_mut() else {
            continue;
        };
        // Every action succeeds with the result it expects, unless told to fail.
        let target_rc = a.target_rc.unwrap_or(0);
        let meta = |name: &str| a.added_meta.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let notification = (a.task == "notify")
            .then(|| (meta("notify_type").unwrap_or_default(), meta("notify_operation").unwrap_or_default()));
        // Operations are named after the resource the graph names (an anonymous
        // instance by its clone name), whatever the entry they go into is called.
        let result = history_entry::ActionResult {
            rsc: &names.configured,
            task: &a.task,
            notification,
            interval_ms: a.interval_ms,
            target_rc,
            rc: failure.map_or(target_rc, |f| f.rc),
            when: now,
        };
        history_entry::record(entry, &result);
    }
    out
}
