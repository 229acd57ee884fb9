//! Running a transition graph the way Pacemaker 2.1.5's crm_simulate does (which decides
//! the order of its "Executing Cluster Transition" list), optionally making operations fail
//! (crm_simulate -F): synapses fire in passes, in graph order, once
//! their inputs have completed; every action completes at once. A failed action does not
//! count as completed for the synapses waiting on it, and from then on the transition is
//! aborted: only pseudo-actions and synapses of infinite priority still fire.

use libcrmcommon::xml::Element;

use crate::score::INFINITY;

/// One `<synapse>` of the graph, as the executor needs it.
struct Synapse {
    priority: i64,
    action: GraphAction,
    /// Graph ids of the actions that must complete first, and whether they have.
    inputs: Vec<(u64, bool)>,
    executed: bool,
}

/// The action a synapse performs.
struct GraphAction {
    id: u64,
    pseudo: bool,
    resource_op: bool,
    operation: String,
    node: String,
    interval_ms: u64,
    /// The `<primitive>`'s id and long-id (the instance name of a clone instance).
    rsc_id: String,
    rsc_long_id: Option<String>,
}

/// An injected failure that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The graph id of the failed action.
    pub action_id: u64,
    /// The result it failed with.
    pub rc: i32,
    /// The resource name the failure spec matched (fail counts are recorded under it).
    pub rsc: String,
    pub task: String,
    pub interval_ms: u64,
}

/// What happened to one fired action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub action_id: u64,
    pub failure: Option<Failure>,
    /// For a resource action, the names its history entry is looked up by:
    /// the name the resource is known by, then its configured name.
    pub history_names: Option<HistoryNames>,
}

/// The names a resource action's result is recorded under (Pacemaker's
/// `resource` and `resource_config_name` in crm_simulate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryNames {
    /// An existing history entry of this name takes the result.
    pub known_as: String,
    /// Else one of this name, which also names a new entry.
    pub configured: String,
}

/// The outcome of running a graph.
#[derive(Debug, Default)]
pub struct Run {
    /// Fired actions, in firing order.
    pub fired: Vec<Fired>,
    /// Failure specs that matched an action but whose result code is not a number, one
    /// message per match (Pacemaker reports them as errors and keeps going).
    pub errors: Vec<String>,
}

/// Runs `graph` (a `<transition_graph>`), failing the resource actions `fail_specs`
/// (`rsc_task_interval@node=rc`) name.
pub fn run(graph: &Element, fail_specs: &[String], exists: &dyn Fn(&str) -> bool) -> Run {
    let mut synapses: Vec<Synapse> = graph.elements().filter(|e| e.name == "synapse").filter_map(synapse).collect();
    let mut run = Run::default();
    let mut abort_priority = 0i64;
    loop {
        let mut fired_this_pass = 0;
        for s in 0..synapses.len() {
            if synapses[s].executed || !synapses[s].inputs.iter().all(|&(_, done)| done) {
                continue;
            }
            if !synapses[s].action.pseudo && synapses[s].priority < abort_priority {
                continue;
            }
            synapses[s].executed = true;
            fired_this_pass += 1;
            let action = &synapses[s].action;
            let failure = if action.resource_op { failure_for(action, fail_specs, exists, &mut run.errors) } else { None };
            let history_names = action.resource_op.then(|| HistoryNames {
                known_as: known_as(action, exists).to_owned(),
                configured: action.rsc_id.clone(),
            });
            let id = action.id;
            if failure.is_some() {
                abort_priority = INFINITY as i64;
            }
            // The synapses waiting for this action learn it completed, unless it failed
            // (synapses of infinite priority go ahead regardless).
            for waiting in synapses.iter_mut().filter(|w| !w.executed) {
                if failure.is_none() || waiting.priority >= INFINITY as i64 {
                    for input in waiting.inputs.iter_mut().filter(|(input, _)| *input == id) {
                        input.1 = true;
                    }
                }
            }
            run.fired.push(Fired { action_id: id, failure, history_names });
        }
        if fired_this_pass == 0 {
            break;
        }
    }
    run
}

fn synapse(e: &Element) -> Option<Synapse> {
    let priority = e.attr("priority").and_then(|p| p.parse().ok()).unwrap_or(0);
    let event = e.child("action_set")?.elements().next()?;
    let inputs = e
        .child("inputs")
        .map(|inputs| {
            inputs
                .elements()
                .filter_map(|trigger| trigger.elements().next()?.attr("id")?.parse().ok())
                .map(|id| (id, false))
                .collect()
        })
        .unwrap_or_default();
    let primitive = event.child("primitive");
    let interval_ms = event
        .child("attributes")
        .and_then(|a| a.attr("CRM_meta_interval"))
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    let action = GraphAction {
        id: event.attr("id")?.parse().ok()?,
        pseudo: event.name == "pseudo_event",
        resource_op: event.name == "rsc_op",
        operation: event.attr("operation").unwrap_or("").to_owned(),
        node: event.attr("on_node").unwrap_or("").to_owned(),
        interval_ms,
        rsc_id: primitive.and_then(|p| p.attr("id")).unwrap_or("").to_owned(),
        rsc_long_id: primitive.and_then(|p| p.attr("long-id")).map(str::to_owned),
    };
    Some(Synapse { priority, action, inputs, executed: false })
}

/// The name the action's resource is known by: like Pacemaker, the
/// configured name when some resource answers to it, else the instance name.
fn known_as<'a>(action: &'a GraphAction, exists: &dyn Fn(&str) -> bool) -> &'a str {
    match &action.rsc_long_id {
        Some(long) if !exists(&action.rsc_id) && exists(long) => long.as_str(),
        _ => action.rsc_id.as_str(),
    }
}

/// The first failure spec naming this action, by the name the resource is known by or by
/// its configured name.
fn failure_for(action: &GraphAction, specs: &[String], exists: &dyn Fn(&str) -> bool, errors: &mut Vec<String>) -> Option<Failure> {
    let known_as = known_as(action, exists);
    let key = |name: &str| format!("{name}_{}_{}@{}=", action.operation, action.interval_ms, action.node).to_ascii_lowercase();
    for spec in specs {
        let lower = spec.to_ascii_lowercase();
        let matched = if lower.starts_with(&key(known_as)) {
            known_as
        } else if known_as != action.rsc_id && lower.starts_with(&key(&action.rsc_id)) {
            action.rsc_id.as_str()
        } else {
            continue;
        };
        let Some(rc) = spec.split_once('=').and_then(|(_, rc)| leading_int(rc)) else {
            errors.push(format!("Invalid failed operation '{spec}' (result code must be integer)"));
            continue;
        };
        return Some(Failure {
            action_id: action.id,
            rc,
            rsc: matched.to_owned(),
            task: action.operation.clone(),
            interval_ms: action.interval_ms,
        });
    }
    None
}

/// The integer a text starts with (after blanks), as scanf's %d reads it.
fn leading_int(text: &str) -> Option<i32> {
    let text = text.trim_start();
    let sign = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign..].chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    text[..sign + digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(text: &str) -> Element {
        libcrmcommon::xml::parse(text).expect("graph")
    }

    const CHAIN: &str = r#"<transition_graph>
      <synapse id="0"><action_set><rsc_op id="3" operation="start" on_node="n1"><primitive id="b"/><attributes/></rsc_op></action_set>
        <inputs><trigger><rsc_op id="2" operation="start"/></trigger></inputs></synapse>
      <synapse id="1"><action_set><rsc_op id="2" operation="start" on_node="n1"><primitive id="a"/><attributes/></rsc_op></action_set><inputs/></synapse>
      <synapse id="2"><action_set><pseudo_event id="4" operation="running"/></action_set>
        <inputs><trigger><rsc_op id="2" operation="start"/></trigger></inputs></synapse>
      <synapse id="3"><action_set><rsc_op id="5" operation="monitor" on_node="n1"><primitive id="c"/><attributes CRM_meta_interval="10000"/></rsc_op></action_set><inputs/></synapse>
    </transition_graph>"#;

    fn ids(run: &Run) -> Vec<u64> {
        run.fired.iter().map(|f| f.action_id).collect()
    }

    #[test]
    fn fires_in_passes_in_graph_order() {
        let run = run(&graph(CHAIN), &[], &|_| true);
        assert_eq!(ids(&run), [2, 4, 5, 3]);
        assert!(run.fired.iter().all(|f| f.failure.is_none()));
    }

    #[test]
    fn a_failure_stops_its_dependents_and_later_resource_actions() {
        let run = run(&graph(CHAIN), &["A_START_0@n1=1".to_owned()], &|_| true);
        // The failed start holds back the start after it and the pseudo-action, and the
        // aborted transition starts no other resource action.
        assert_eq!(ids(&run), [2]);
        let failure = run.fired[0].failure.clone().expect("failed");
        assert_eq!((failure.rc, failure.rsc.as_str(), failure.task.as_str()), (1, "a", "start"));
        let run = run_with(&["c_monitor_10000@n1=7abc"]);
        assert_eq!(run.fired.iter().find_map(|f| f.failure.clone()).map(|f| (f.rc, f.interval_ms)), Some((7, 10000)));
    }

    fn run_with(specs: &[&str]) -> Run {
        run(&graph(CHAIN), &specs.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &|_| true)
    }

    #[test]
    fn a_result_code_that_is_no_number_is_an_error() {
        let run = run_with(&["a_start_0@n1=x", "a_start_0@n1=2"]);
        assert_eq!(run.errors, ["Invalid failed operation 'a_start_0@n1=x' (result code must be integer)"]);
        assert_eq!(run.fired[0].failure.as_ref().map(|f| f.rc), Some(2));
        assert_eq!(leading_int(" -3x"), Some(-3));
        assert_eq!(leading_int(""), None);
    }
}
