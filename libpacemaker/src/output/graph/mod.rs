//! The transition graph (crm_simulate -G, and what the scheduler daemon
//! hands to the controller), in Pacemaker 2.1.5's format: one `<synapse>` per
//! action to perform, each with the `<inputs>` that must complete first.

mod attributes;
mod config;
mod dot;
pub(crate) mod select;
mod view;

use libcrmcommon::xml::{self, Element};

use crate::model::WorkingSet;
use crate::options::is_true;
use crate::sched::actions::Action;
use crate::sched::Schedule;

pub use attributes::CRM_FEATURE_SET;
pub use dot::{transition_dot, DotOptions};

/// Builds the `<transition_graph>` for a scheduled working set. `cib` is the
/// CIB the working set was unpacked from (the graph carries resource
/// parameters and operation settings the working set does not keep).
pub fn transition_graph(
    cib: &Element,
    ws: &WorkingSet,
    schedule: &Schedule,
    transition_id: u64,
) -> Element {
    let config = config::Config::new(cib, ws);
    let plan = &schedule.plan;
    let ids = select::action_ids(ws, schedule);
    let shown = select::shown_anyway(ws, plan);
    let mut graph = graph_element(ws, transition_id);
    for (synapse_id, i) in select::synapse_order(ws, schedule, &ids, &shown).into_iter().enumerate() {
        let action = &plan.actions[i];
        let mut synapse = Element::new("synapse").with_attr("id", synapse_id.to_string());
        let priority = view::priority(ws, action);
        if priority > 0 {
            synapse.set_attr("priority", priority.to_string());
        }
        let mut event = action_element(ws, action, ids[i]);
        if action.task == view::CLEAR_HISTORY_TASK {
            // The controller only edits the CIB for it (written first, as
            // Pacemaker does).
            event.attrs.insert(0, "mode", "cib");
        }
        if let Some(lock_time) = shutdown_lock_time(ws, action) {
            event.set_attr("shutdown-lock", lock_time.to_string());
        }
        // Real actions of a resource, the controller's included, name its agent.
        if let Some(p) = attributes::primitive(ws, action).filter(|_| view::kind(action) != view::Kind::Pseudo) {
            event = event.with_child(p);
        }
        event = event.with_child(attributes::attributes(&config, ws, action));
        if let Some(downed) = downed(ws, plan, i) {
            event = event.with_child(downed);
        }
        let mut inputs = Element::new("inputs");
        for first in select::inputs(ws, plan, &ids, &shown, i) {
            let trigger = Element::new("trigger")
                .with_child(action_element(ws, &plan.actions[first], ids[first]));
            inputs = inputs.with_child(trigger);
        }
        synapse = synapse
            .with_child(Element::new("action_set").with_child(event))
            .with_child(inputs);
        graph = graph.with_child(synapse);
    }
    graph
}

/// Each planned action's id in the graph (by plan index; actions the graph leaves out
/// have ids too).
pub fn action_ids(ws: &WorkingSet, schedule: &Schedule) -> Vec<u64> {
    select::action_ids(ws, schedule)
}

/// The name the graph gives the resource of a real action (its `<primitive>` id), which
/// crm_simulate shows for the controller's actions.
pub fn resource_name(ws: &WorkingSet, action: &Action) -> Option<String> {
    attributes::primitive(ws, action).and_then(|p| p.attr("id").map(str::to_owned))
}

/// The graph as crm_simulate writes it to a file.
pub fn transition_graph_text(
    cib: &Element,
    ws: &WorkingSet,
    schedule: &Schedule,
    transition_id: u64,
) -> String {
    xml::to_formatted(&transition_graph(cib, ws, schedule, transition_id))
}

/// `<transition_graph>` with the cluster options the controller needs.
fn graph_element(ws: &WorkingSet, transition_id: u64) -> Element {
    let raw = &ws.options.raw;
    let option = |name: &str, default: &str| -> String {
        raw.get(name).cloned().unwrap_or_else(|| default.to_string())
    };
    let start_failure_fatal = raw
        .get("start-failure-is-fatal")
        .map(|v| is_true(v))
        .unwrap_or(true);
    let mut graph = Element::new("transition_graph")
        .with_attr("cluster-delay", option("cluster-delay", "60s"))
        .with_attr("stonith-timeout", option("stonith-timeout", "60s"))
        .with_attr("failed-stop-offset", "INFINITY")
        .with_attr(
            "failed-start-offset",
            if start_failure_fatal { "INFINITY" } else { "1" },
        )
        .with_attr("batch-limit", option("batch-limit", "0"))
        .with_attr("transition_id", transition_id.to_string());
    if let Some(time) = ws.recheck_by {
        graph.set_attr("recheck-by", time.to_string());
    }
    if let Some(limit) = raw.get("migration-limit") {
        if limit.trim().parse::<i64>().is_ok_and(|n| n > 0) {
            graph.set_attr("migration-limit", limit.clone());
        }
    }
    graph
}

/// The element naming an action (without its details, as inputs list it).
fn action_element(ws: &WorkingSet, a: &Action, id: u64) -> Element {
    let mut e = Element::new(view::element_name(a))
        .with_attr("id", id.to_string())
        .with_attr("operation", a.task.clone());
    e.set_attr("operation_key", view::operation_key(ws, a));
    if let Some(internal) = view::internal_key(ws, a) {
        e.set_attr("internal_operation_key", internal);
    }
    if attributes::has_node_info(a) {
        if let Some(n) = a.node {
            e.set_attr("on_node", ws.nodes[n].uname.clone());
            e.set_attr("on_node_uuid", ws.nodes[n].id.clone());
            if let Some(router) = crate::sched::remote::connection_host_for_action(ws, a) {
                e.set_attr("router_node", ws.nodes[router].uname.clone());
            }
        }
    }
    e
}

/// When the lock began, for actions that keep a resource shutdown-locked to
/// their node (so the controller keeps the lock).
fn shutdown_lock_time(ws: &WorkingSet, a: &Action) -> Option<i64> {
    let r = a.rsc?;
    crate::sched::shutdown_lock::locks_resource(ws, r, &a.task, a.node).then(|| ws.resources[r].lock_time)
}

/// `<downed>`: the nodes an action takes down (fencing, shutdown).
fn downed(ws: &WorkingSet, plan: &crate::sched::actions::Plan, i: usize) -> Option<Element> {
    let a = &plan.actions[i];
    if !attributes::has_node_info(a) {
        return None;
    }
    let n = a.node?;
    let down_id = match a.task.as_str() {
        view::SHUTDOWN_TASK => ws.nodes[n].id.clone(),
        view::FENCE_TASK if matches!(view::fence_action(a), "off" | "reboot" | "poweroff") => {
            // Fencing also downs the guests whose connection runs there.
            let mut downed = Element::new("downed").with_child(Element::new("node").with_attr("id", ws.nodes[n].id.clone()));
            for &r in &ws.nodes[n].running {
                let guest = ws.resources[r].is_remote_connection && ws.resources[r].container.is_some();
                if let Some(g) = guest.then(|| ws.node_by_name(&ws.resources[r].id)).flatten() {
                    downed = downed.with_child(Element::new("node").with_attr("id", ws.nodes[g].id.clone()));
                }
            }
            return Some(downed);
        }
        // Stopping a Pacemaker Remote connection takes its node down,
        // unless the connection migrates (its stop follows its migrate_from).
        "stop" if a.rsc.is_some_and(|r| ws.resources[r].is_remote_connection) => {
            let migrating = plan.orderings_into(i).any(|o| {
                let first = &plan.actions[o.first];
                first.rsc == a.rsc && first.task == "migrate_from"
            });
            if migrating {
                return None;
            }
            ws.resources[a.rsc?].id.clone()
        }
        _ => return None,
    };
    let node = Element::new("node").with_attr("id", down_id);
    Some(Element::new("downed").with_child(node))
}

