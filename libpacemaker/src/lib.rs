//! Pacemaker's scheduler as a library: unpack a CIB, place resources, plan
//! actions, and describe the result the way Pacemaker 2.1.5's crm_simulate does.
//!
//! ```no_run
//! let cib = libcrmcommon::xml::parse("<cib>...</cib>").unwrap();
//! let report = libpacemaker::simulate(&cib).unwrap();
//! print!("{}", report.text);
//! ```

pub mod calculate;
pub mod health;
pub mod inject;
pub mod model;
pub mod options;
pub mod output;
pub mod rules;
pub mod sched;
pub mod score;
pub mod simulate;
pub mod unpack;

use libcrmcommon::xml::Element;

pub use calculate::{calculate_transition, Diagnostic, Diagnostics, Transition};
pub use output::graph::{transition_dot, transition_graph, transition_graph_text, DotOptions};
pub use unpack::UnpackError;

/// Everything a crm_simulate-style run produces.
#[derive(Debug, Default)]
pub struct SimulationReport {
    /// "Current cluster status", "Transition Summary", "Executing Cluster
    /// Transition" and "Revised Cluster Status" sections.
    pub text: String,
    /// The CIB after the simulated transition.
    pub revised_cib: Option<Element>,
    /// Allocation score lines (crm_simulate -s), unsorted.
    pub scores: String,
    /// Messages crm_simulate prints before the scores unless quiet
    /// (changes of private parameters alone), one per line.
    pub notices: String,
    /// Node capacity and resource utilization lines (crm_simulate -U), and
    /// those interleaved with the score lines (-s -U).
    pub utilization: String,
    pub assignment_log: String,
    /// The transition graph XML (crm_simulate -G).
    pub graph: String,
    /// The transition graph as Graphviz dot (crm_simulate -D), when asked for.
    pub dot: String,
    /// The parts of `text`, for crm_simulate's other modes: what it prints before
    /// scheduling (execution date and "Current cluster status"), the "Performing Requested
    /// Modifications" list (empty without injections), and the "Transition Summary" list.
    pub status_text: String,
    pub modifications_text: String,
    pub summary_text: String,
    /// The CIB that was scheduled, when injections changed the input.
    pub scheduled_cib: Option<Element>,
    /// Injections that could not be applied (invalid operation specs and the like).
    pub injection_errors: Vec<String>,
}

/// The Transition Summary lines for a scheduled working set.
pub fn transition_summary(ws: &model::WorkingSet, schedule: &sched::Schedule) -> Vec<String> {
    // Node actions first, most recently created first (as Pacemaker lists
    // them). Pacemaker creates the fencing of nodes found unclean while
    // unpacking first of all, that of other unclean nodes (never seen, say)
    // and of guests last of all, after unfencing; ours are all created
    // before unfencing.
    let fencing: Vec<(&sched::actions::Action, model::NodeIdx)> = schedule
        .plan
        .actions
        .iter()
        .rev()
        .filter(|a| a.rsc.is_none() && a.task == sched::actions::FENCE_TASK && !a.optional)
        .filter_map(|a| a.node.map(|n| (a, n)))
        .collect();
    let created_last = |(a, n): &(&sched::actions::Action, model::NodeIdx)| {
        a.is_node_fencing() && (ws.nodes[*n].fence_reason.is_none() || ws.is_guest(*n))
    };
    let (last, earlier): (Vec<_>, Vec<_>) = fencing.into_iter().partition(created_last);
    let mut lines: Vec<String> = last
        .into_iter()
        .chain(earlier)
        .map(|(a, n)| {
            // A guest is named with the container whose recovery fences it.
            let node = match ws.guest_container(n) {
                Some(c) => format!("{} (resource: {})", ws.nodes[n].uname, ws.resources[c].id),
                None => ws.nodes[n].uname.clone(),
            };
            format!(
                "  * Fence ({}) {} '{}'",
                a.fence_action.as_deref().unwrap_or("reboot"),
                node,
                a.reason.as_deref().unwrap_or_default()
            )
        })
        .collect();
    fn walk(
        ws: &model::WorkingSet,
        schedule: &sched::Schedule,
        r: model::RscIdx,
        items: &mut Vec<output::transition::SummaryItem>,
    ) {
        if ws.resources[r].variant == model::Variant::Primitive {
            items.extend(output::transition::primitive_lines(ws, &schedule.plan, r));
        } else {
            let mut children = match &ws.resources[r].bundle {
                Some(bundle) => bundle.replicas.iter().flat_map(model::BundleReplica::members).collect(),
                None => ws.resources[r].children.clone(),
            };
            if ws.resources[r].variant == model::Variant::Clone {
                children.sort_by_key(|&c| ws.resources[c].instance);
            }
            for c in children {
                walk(ws, schedule, c, items);
            }
        }
    }
    let mut items = Vec::new();
    for &r in &schedule.order {
        walk(ws, schedule, r, &mut items);
    }
    // Pacemaker logs the summary while scheduling and prints it afterwards with the column
    // widths the logging pass left behind, so every printed line uses the final widths.
    let mut layout = output::transition::SummaryLayout::default();
    for item in &items {
        layout.line(item);
    }
    lines.extend(items.iter().map(|item| layout.line(item)));
    lines
}

/// The "Executing Cluster Transition" line for one executed action.
fn execution_line(ws: &model::WorkingSet, plan: &sched::actions::Plan, i: usize, lines: &mut Vec<String>) {
    {
        let a = &plan.actions[i];
        let node = a
            .node
            .map(|n| ws.nodes[n].uname.clone())
            .unwrap_or_default();
        match a.rsc {
            // A guest's fencing is a pseudo-action (its container's recovery).
            None if a.task == "stonith" && a.pseudo => lines.push(format!(
                "  * Pseudo action:   stonith-{node}-{} on {node}",
                a.fence_action.clone().unwrap_or_default()
            )),
            None if a.task == "stonith" => lines.push(format!(
                "  * Fencing {} ({})",
                node,
                a.fence_action.clone().unwrap_or_default()
            )),
            None if a.task == sched::shutdown::SHUTDOWN_TASK => {
                lines.push(format!("  * Cluster action:  {} on {}", a.task, node))
            }
            // crm_simulate doesn't list re-probing.
            None if a.task == sched::probes::REPROBE_TASK => {}
            None => lines.push(format!("  * Pseudo action:   {}", a.task)),
            Some(r) => {
                let id = if a.pseudo {
                    &ws.resources[r].id
                } else {
                    ws.action_display_name(r)
                };
                if a.task == "clear_failcount" || a.task == sched::shutdown_lock::CLEAR_HISTORY_TASK {
                    let name = output::graph::resource_name(ws, a).unwrap_or_else(|| ws.resources[r].id.clone());
                    lines.push(format!("  * Cluster action:  {} for {name} on {}", a.task, node));
                } else if a.pseudo && !a.op_key.is_empty() {
                    lines.push(format!("  * Pseudo action:   {}", a.op_key));
                } else if a.pseudo {
                    lines.push(format!("  * Pseudo action:   {}_{}_0", id, a.task));
                } else {
                    // Recurring operations (and their cancellations) show
                    // their interval: "monitor=10000".
                    let task = if a.interval_ms > 0 {
                        format!("{}={}", a.task, a.interval_ms)
                    } else {
                        a.task.clone()
                    };
                    lines.push(format!(
                        "  * Resource action: {:<15} {} on {}",
                        id, task, node
                    ));
                }
            }
        }
    }
}

/// Runs the scheduler on a CIB and simulates the resulting transition,
/// producing crm_simulate's `-S` text.
pub fn simulate(cib: &Element) -> Result<SimulationReport, UnpackError> {
    simulate_at(cib, None)
}

/// Like [`simulate`], with "now" set explicitly (crm_simulate -t).
pub fn simulate_at(cib: &Element, now: Option<i64>) -> Result<SimulationReport, UnpackError> {
    run_scheduler(cib, now, &inject::Injections::default(), true, Artifacts { graph: true, ..Artifacts::default() })
}

/// Like [`simulate_at`] without simulating the transition, as crm_simulate runs without
/// -S: the text ends with the Transition Summary and there is no revised CIB.
pub fn schedule_at(cib: &Element, now: Option<i64>) -> Result<SimulationReport, UnpackError> {
    run_scheduler(cib, now, &inject::Injections::default(), false, Artifacts { graph: true, ..Artifacts::default() })
}

/// The transition graph files a run writes (crm_simulate -G and -D), and what the status
/// texts show besides nodes and resources. Building them costs
/// more than the scheduling on large clusters, so only what is asked for is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct Artifacts {
    /// The graph XML, into [`SimulationReport::graph`].
    pub graph: bool,
    /// The graph as dot, into [`SimulationReport::dot`].
    pub dot: Option<DotOptions>,
    /// Optional sections of the cluster status texts (crm_simulate -A).
    pub sections: output::StatusSections,
    /// Score and utilization lines, into [`SimulationReport::scores`],
    /// [`SimulationReport::utilization`] and [`SimulationReport::assignment_log`].
    pub scores: bool,
}

/// Like [`simulate_at`] (or, without `execute`, [`schedule_at`]), with synthetic events
/// (crm_simulate -u/-d/-f/-i/-q/-w/-g/-r/-b/-e) applied after the current status is shown
/// and before scheduling, and the graph files `artifacts` asks for.
pub fn simulate_with(
    input: &Element,
    now: Option<i64>,
    injections: &inject::Injections,
    execute: bool,
    artifacts: Artifacts,
) -> Result<SimulationReport, UnpackError> {
    run_scheduler(input, now, injections, execute, artifacts)
}

fn run_scheduler(
    input: &Element,
    now: Option<i64>,
    injections: &inject::Injections,
    execute: bool,
    artifacts: Artifacts,
) -> Result<SimulationReport, UnpackError> {
    let mut text = String::new();
    let mut ws = unpack::unpack_at(input, now)?;
    let original_date = ws.original_date;
    text.push_str(&output::header::preamble(&ws, original_date));
    text.push_str("Current cluster status:\n");
    text.push_str(&output::cluster_status_with(&ws, input, artifacts.sections, true));
    let status_text = text.trim_end_matches('\n').to_string() + "\n";
    text.push('\n');
    let mut modifications_text = String::new();
    let mut injection_errors = Vec::new();
    let mut injected = None;
    if !injections.is_empty() {
        let mut modified = input.clone();
        let report = inject::apply(&mut modified, injections);
        modifications_text.push_str("Performing Requested Modifications:\n");
        for line in &report.lines {
            modifications_text.push_str(line);
            modifications_text.push('\n');
        }
        injection_errors = report.errors;
        if let Some(date) = original_date {
            // Pacemaker re-reads the modified CIB and says so again.
            modifications_text.push_str(&format!(
                "Using the original execution date of: {}\n",
                output::header::format_epoch(date)
            ));
        }
        text.push_str(&modifications_text);
        text.push('\n');
        ws = unpack::unpack_at(&modified, now)?;
        injected = Some(modified);
    }
    let cib = injected.as_ref().unwrap_or(input);
    ws.sanitized = true;
    ws.record_scores = artifacts.scores;
    let schedule = sched::schedule(&mut ws, cib);
    let mut summary_text = String::from("Transition Summary:\n");
    for line in transition_summary(&ws, &schedule) {
        summary_text.push_str(&line);
        summary_text.push('\n');
    }
    text.push_str(&summary_text);
    if !execute {
        let (graph, dot) = graph_files(cib, &ws, &schedule, artifacts);
        return Ok(SimulationReport {
            text,
            revised_cib: None,
            scores: schedule.scores.clone(),
        notices: schedule.notices.clone(),
        utilization: schedule.utilization.clone(),
        assignment_log: schedule.assignment_log.clone(),
            graph,
            dot,
            status_text,
            modifications_text,
            summary_text,
            scheduled_cib: injected,
            injection_errors,
        });
    }
    text.push('\n');
    text.push_str("Executing Cluster Transition:\n");
    // The simulation runs the graph; -G writes that same graph.
    let graph_xml = output::graph::transition_graph(cib, &ws, &schedule, 0);
    let (lines, revised) = execute_transition(&graph_xml, cib, &ws, &schedule, &injections.op_fail, &mut injection_errors);
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    let revised_ws = unpack::unpack_at(&revised, now)?;
    if let Some(date) = ws.original_date {
        // crm_simulate re-reads the CIB for the revised status and says so again.
        text.push_str(&format!(
            "Using the original execution date of: {}\n",
            output::header::format_epoch(date)
        ));
    }
    text.push('\n');
    text.push_str("Revised Cluster Status:\n");
    text.push_str(&output::cluster_status_with(&revised_ws, &revised, artifacts.sections, false));
    let graph = if artifacts.graph { libcrmcommon::xml::to_formatted(&graph_xml) } else { String::new() };
    let dot = dot_file(&ws, &schedule, artifacts);
    Ok(SimulationReport {
        text,
        revised_cib: Some(revised),
        scores: schedule.scores.clone(),
        notices: schedule.notices.clone(),
        utilization: schedule.utilization.clone(),
        assignment_log: schedule.assignment_log.clone(),
        graph,
        dot,
        status_text,
        modifications_text,
        summary_text,
        scheduled_cib: injected,
        injection_errors,
    })
}

/// The graph XML and dot text `artifacts` asks for (empty when not asked for).
fn graph_files(cib: &Element, ws: &model::WorkingSet, schedule: &sched::Schedule, artifacts: Artifacts) -> (String, String) {
    let graph = if artifacts.graph { output::graph::transition_graph_text(cib, ws, schedule, 0) } else { String::new() };
    (graph, dot_file(ws, schedule, artifacts))
}

/// The dot text `artifacts` asks for (empty when not asked for).
fn dot_file(ws: &model::WorkingSet, schedule: &sched::Schedule, artifacts: Artifacts) -> String {
    artifacts.dot.map(|options| output::graph::transition_dot(ws, schedule, options)).unwrap_or_default()
}

/// Simulates the transition by running its `graph` as Pacemaker does (so the actions are
/// listed in the order crm_simulate executes them), making the actions `fail_specs` name
/// fail (crm_simulate -F): returns the "Executing Cluster Transition" lines and the
/// revised CIB.
fn execute_transition(
    graph: &Element,
    cib: &Element,
    ws: &model::WorkingSet,
    schedule: &sched::Schedule,
    fail_specs: &[String],
    errors: &mut Vec<String>,
) -> (Vec<String>, Element) {
    let plan = &schedule.plan;
    let by_graph_id: std::collections::HashMap<u64, usize> =
        output::graph::action_ids(ws, schedule).into_iter().enumerate().map(|(i, id)| (id, i)).collect();
    let known = |name: &str| simulate::resource_known_as(ws, name);
    let run = simulate::execution::run(graph, fail_specs, &known);
    errors.extend(run.errors);
    // Failures are stamped with the real time, as Pacemaker does even with --set-datetime.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut lines = Vec::new();
    let mut executed = Vec::new();
    let mut failures = Vec::new();
    for fired in run.fired {
        let Some(&i) = by_graph_id.get(&fired.action_id) else { continue };
        executed.push(simulate::Executed { action: i, history_names: fired.history_names });
        execution_line(ws, plan, i, &mut lines);
        let Some(failure) = fired.failure else { continue };
        lines.push(format!("Pretending action {} failed with rc={}", failure.action_id, failure.rc));
        let mut attributes = Vec::new();
        // Success, or a probe finding the resource stopped, counts as no failure.
        let counts = failure.rc != 0 && !(failure.rc == 7 && failure.interval_ms == 0);
        if counts {
            let op = format!("{}#{}_{}", failure.rsc, failure.task, failure.interval_ms);
            attributes.push((format!("fail-count-{op}"), "value++".to_owned()));
            attributes.push((format!("last-failure-{op}"), now.to_string()));
        }
        let node_id = plan.actions[i].node.map(|n| ws.nodes[n].id.as_str()).unwrap_or("");
        for (name, value) in &attributes {
            lines.push(format!("  * Injecting attribute {name}={value} into /node_state '{node_id}'"));
        }
        failures.push(simulate::InjectedFailure { action: i, rc: failure.rc, attributes });
    }
    (lines, simulate::apply_executed(cib, ws, plan, &executed, &failures))
}
