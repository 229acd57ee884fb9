//! One scheduler run as `pacemaker-schedulerd` performs it for the controller: unpack the
//! CIB, schedule, and produce the transition graph together with the error/warning flags
//! the daemon reports and uses to pick the series (`pe-input`, `pe-warn`, `pe-error`) its
//! input is saved under. No simulation text is produced.

use libcrmcommon::xml::Element;

use crate::model::{Variant, WorkingSet};
use crate::sched::{self, Schedule};
use crate::unpack::{self, UnpackError};

/// What Pacemaker's scheduler would have flagged while calculating a transition.
///
/// Pacemaker keeps two pairs of flags: "processing" problems (the run itself found
/// something wrong, e.g. a node to fence or a resource active twice) and "configuration"
/// problems (something in the CIB is wrong or suspicious). Some messages set both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    pub processing_error: bool,
    pub processing_warning: bool,
    pub config_error: bool,
    pub config_warning: bool,
    /// The messages behind the flags, for the daemon's log.
    pub messages: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    Error(String),
    Warning(String),
}

impl Diagnostics {
    fn processing_error(&mut self, message: String) {
        self.processing_error = true;
        self.messages.push(Diagnostic::Error(message));
    }

    fn processing_warning(&mut self, message: String) {
        self.processing_warning = true;
        self.messages.push(Diagnostic::Warning(message));
    }

    /// A warning that Pacemaker counts as both a processing and a configuration warning.
    fn warning(&mut self, message: String) {
        self.config_warning = true;
        self.processing_warning(message);
    }

    fn config_error(&mut self, message: String) {
        self.config_error = true;
        self.messages.push(Diagnostic::Error(message));
    }
}

/// The result of one scheduler run.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The `<transition_graph>` to hand to the controller.
    pub graph: Element,
    pub diagnostics: Diagnostics,
}

/// Schedules `cib` and returns transition number `transition_id`'s graph.
pub fn calculate_transition(cib: &Element, transition_id: u64) -> Result<Transition, UnpackError> {
    let mut ws = unpack::unpack(cib)?;
    let schedule = sched::schedule(&mut ws, cib);
    let diagnostics = diagnose(&ws, &schedule);
    let graph = crate::output::graph::transition_graph(cib, &ws, &schedule, transition_id);
    Ok(Transition { graph, diagnostics })
}

fn diagnose(ws: &WorkingSet, schedule: &Schedule) -> Diagnostics {
    let mut d = Diagnostics::default();
    if ws.options.stonith_enabled && !ws.have_stonith_resource {
        d.config_error("Resource start-up disabled since no STONITH resources have been defined".into());
        d.config_error("Either configure some or disable STONITH with the stonith-enabled option".into());
        d.config_error("NOTE: Clusters with shared data need STONITH to ensure data integrity".into());
    }
    for node in ws.nodes.iter().filter(|n| n.unclean) {
        d.processing_warning(format!("{} is unclean", node.uname));
    }
    for rsc in ws.resources.iter().filter(|r| r.variant == Variant::Primitive && r.running_on.len() > 1) {
        d.processing_error(format!(
            "{} resource {} might be active on {} nodes",
            if rsc.class.is_empty() { "Untyped" } else { &rsc.class },
            rsc.id,
            rsc.running_on.len()
        ));
    }
    for action in &schedule.plan.actions {
        if action.rsc.is_none() && action.task == "stonith" && !action.optional {
            if let Some(node) = action.node {
                d.warning(format!("Scheduling node {} for fencing", ws.nodes[node].uname));
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml;

    fn cib(crm_config: &str, resources: &str, status: &str) -> Element {
        xml::parse(&format!(
            r#"<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
                 <configuration><crm_config><cluster_property_set id="o">{crm_config}</cluster_property_set></crm_config>
                 <nodes><node id="1" uname="node1"/></nodes><resources>{resources}</resources><constraints/></configuration>
                 <status>{status}</status></cib>"#
        ))
        .expect("test CIB parses")
    }

    const ONLINE: &str = r#"<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>"#;

    #[test]
    fn clean_cluster_has_no_diagnostics() {
        let c = cib(r#"<nvpair id="s" name="stonith-enabled" value="false"/>"#, "", ONLINE);
        let t = calculate_transition(&c, 3).expect("schedules");
        assert_eq!(t.diagnostics, Diagnostics::default());
        assert_eq!(t.graph.name, "transition_graph");
        assert_eq!(t.graph.attr("transition_id"), Some("3"));
    }

    #[test]
    fn missing_fencing_devices_is_a_configuration_error_only() {
        let c = cib("", "", ONLINE);
        let d = calculate_transition(&c, 0).expect("schedules").diagnostics;
        assert!(d.config_error);
        assert!(!d.processing_error && !d.processing_warning);
    }

    #[test]
    fn a_node_to_fence_is_a_warning() {
        let unclean = r#"<node_state id="1" uname="node1" in_ccm="false" crmd="offline" join="down" expected="member"/>"#;
        let c = cib(
            "",
            r#"<primitive id="fence" class="stonith" type="fence_dummy"/>"#,
            &format!("{unclean}"),
        );
        let t = calculate_transition(&c, 0).expect("schedules");
        // Only a DC that sees the node as expected-up but gone fences it; either way the
        // flags must stay consistent: a warning message implies the warning flag.
        let has_warning_message = t.diagnostics.messages.iter().any(|m| matches!(m, Diagnostic::Warning(_)));
        assert_eq!(has_warning_message, t.diagnostics.processing_warning);
    }

    #[test]
    fn not_a_cib_is_an_error() {
        let e = Element::new("nothing");
        assert!(calculate_transition(&e, 0).is_err());
    }
}
