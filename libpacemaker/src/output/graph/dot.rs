//! The transition graph as Graphviz dot (crm_simulate -D), in Pacemaker 2.1.5's format:
//! one node per action, newest action first, then for each action (newest first) an edge
//! from each of its inputs (oldest first). Styles tell what the graph did with them:
//! bold green for actions in the transition, dashed blue for optional ones, dashed red
//! for required ones that cannot run, purple text for unmanaged resources' actions and
//! orange text for pseudo-actions; bold edges are the graph's inputs.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{order_flags as of, WorkingSet};
use crate::sched::actions::Action;
use crate::sched::Schedule;

use super::{select, view};

/// What crm_simulate's -a and -V change in the dot file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DotOptions {
    /// Also show optional actions, unmanaged resources' actions and the orderings
    /// between them (crm_simulate --all-actions).
    pub all_actions: bool,
    /// Add each action's id to its name (crm_simulate -V).
    pub with_ids: bool,
}

/// The dot text for a scheduled working set.
pub fn transition_dot(ws: &WorkingSet, schedule: &Schedule, options: DotOptions) -> String {
    let plan = &schedule.plan;
    let ids = select::action_ids(ws, schedule);
    let shown = select::shown_anyway(ws, plan);
    let in_graph: Vec<bool> = plan
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| select::in_graph(ws, a, shown[i]))
        .collect();
    let name = |i: usize| action_name(ws, &plan.actions[i], ids[i], options.with_ids);

    // Pacemaker keeps its actions newest first.
    let mut newest_first: Vec<usize> = (0..plan.actions.len()).collect();
    newest_first.sort_by_key(|&i| std::cmp::Reverse(ids[i]));

    let mut text = String::from(" digraph \"g\" {\n");
    // Whether the action has a node in the dot file; orderings between two such
    // actions are shown even when the graph does not need them.
    let mut written = vec![false; plan.actions.len()];
    for &i in &newest_first {
        let a = &plan.actions[i];
        let font = if a.pseudo { "orange" } else { "black" };
        let unmanaged = a.rsc.is_some_and(|r| !ws.resources[r].managed);
        let (style, color, font) = if in_graph[i] {
            ("bold", "green", font)
        } else if unmanaged {
            if !options.all_actions {
                continue;
            }
            ("dashed", "red", "purple")
        } else if a.optional {
            if !options.all_actions {
                continue;
            }
            ("dashed", "blue", font)
        } else {
            // Required but not runnable.
            ("dashed", "red", font)
        };
        written[i] = true;
        let _ = writeln!(text, "\"{}\" [ style={style} color=\"{color}\" fontcolor=\"{font}\"]", name(i));
    }

    for &then in &newest_first {
        let graph_inputs: Vec<usize> =
            if in_graph[then] { select::inputs(ws, plan, &ids, &shown, then) } else { Vec::new() };
        // Several orderings between the same pair are one input with all their flags,
        // inputs oldest first.
        let mut merged: BTreeMap<u64, (usize, u32)> = BTreeMap::new();
        for o in plan.orderings_into(then) {
            merged.entry(ids[o.first]).or_insert((o.first, 0)).1 |= o.flags;
        }
        for (first, flags) in merged.into_values() {
            let style = if graph_inputs.contains(&first) {
                "bold"
            } else if in_graph[then] && disabled_by_graph(flags) {
                // The graph writer dropped this load or anti-colocation ordering for good.
                continue;
            } else if (written[first] && written[then] && flags != of::LOAD) || options.all_actions {
                // An ordering the graph does not need, between actions the file shows
                // (or any ordering, when showing everything).
                "dashed"
            } else {
                continue;
            };
            let _ = writeln!(text, "\"{}\" -> \"{}\" [ style = {style}]", name(first), name(then));
        }
    }
    text.push_str("}\n");
    text
}

/// Load and anti-colocation orderings the graph does not use are disabled by the graph
/// writer (they only matter between actions on the same node).
fn disabled_by_graph(flags: u32) -> bool {
    flags == of::LOAD || flags == of::ANTI_COLOCATION
}

/// An action's name in the dot file: its key (or task) and the node it runs on.
fn action_name(ws: &WorkingSet, a: &Action, id: u64, with_id: bool) -> String {
    let host = match a.node {
        Some(n) => Some(ws.nodes[n].uname.as_str()),
        None if a.pseudo => None,
        None => Some("<none>"),
    };
    let prefix = if a.task == "cancel" { "Cancel " } else { "" };
    let with_host = |what: &str| match host {
        Some(h) => format!("{prefix}{what} {h}"),
        None => format!("{prefix}{what}"),
    };
    let name = if a.rsc.is_some() && view::clone_name(ws, a).is_some() {
        // Named as the resource's history knows it.
        with_host(&view::operation_key(ws, a))
    } else if a.task == view::FENCE_TASK {
        format!("{prefix}{} '{}' {}", a.task, view::fence_action(a), host.unwrap_or("(null)"))
    } else if a.rsc.is_some() && host.is_some() {
        with_host(&scheduler_key(ws, a))
    } else if host.is_some() {
        with_host(&a.task)
    } else if a.rsc.is_some() {
        scheduler_key(ws, a)
    } else {
        a.task.clone()
    };
    if with_id {
        format!("{name} ({id})")
    } else {
        name
    }
}

/// The key the scheduler itself gives a resource's action (built from the resource id).
fn scheduler_key(ws: &WorkingSet, a: &Action) -> String {
    view::internal_key(ws, a).unwrap_or_else(|| view::operation_key(ws, a))
}
