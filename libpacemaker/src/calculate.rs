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

/// One message of a scheduler run, with the Pacemaker function that logs it (the daemon's
/// log names it as Pacemaker's does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    Error { function: &'static str, text: String },
    Warning { function: &'static str, text: String },
}

impl Diagnostic {
    pub fn text(&self) -> &str {
        match self {
            Diagnostic::Error { text, .. } | Diagnostic::Warning { text, .. } => text,
        }
    }
}

impl Diagnostics {
    fn processing_error(&mut self, function: &'static str, text: String) {
        self.processing_error = true;
        self.messages.push(Diagnostic::Error { function, text });
    }

    fn processing_warning(&mut self, function: &'static str, text: String) {
        self.processing_warning = true;
        self.log_warning(function, text);
    }

    /// A warning that Pacemaker counts as both a processing and a configuration warning.
    fn warning(&mut self, function: &'static str, text: String) {
        self.config_warning = true;
        self.processing_warning(function, text);
    }

    fn config_error(&mut self, function: &'static str, text: String) {
        self.config_error = true;
        self.messages.push(Diagnostic::Error { function, text });
    }

    /// A warning that is only logged (no flag).
    fn log_warning(&mut self, function: &'static str, text: String) {
        self.messages.push(Diagnostic::Warning { function, text });
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
    for node in ws.nodes.iter().filter(|n| n.unclean && !n.is_remote) {
        if let Some(reason) = &node.fence_reason {
            let outcome = if can_fence(ws, node) { "will be fenced" } else { "is unclean" };
            d.log_warning("pe_fence_node", format!("Cluster node {} {}: {}", node.uname, outcome, reason));
        }
    }
    if ws.options.stonith_enabled && !ws.have_stonith_resource {
        let unpack = "unpack_resources";
        d.config_error(unpack, "Resource start-up disabled since no STONITH resources have been defined".into());
        d.config_error(unpack, "Either configure some or disable STONITH with the stonith-enabled option".into());
        d.config_error(unpack, "NOTE: Clusters with shared data need STONITH to ensure data integrity".into());
    }
    for node in ws.nodes.iter().filter(|n| n.unclean) {
        d.processing_warning("determine_online_status", format!("{} is unclean", node.uname));
    }
    let multiply_active = |r: usize| {
        ws.resources[r].variant == Variant::Primitive && crate::sched::fencing::active_on(ws, r).multiply_active
    };
    for rsc in (0..ws.resources.len()).filter(|&r| multiply_active(r)).map(|r| &ws.resources[r]) {
        d.processing_error(
            "pcmk__primitive_create_actions",
            format!(
                "{} resource {} might be active on {} nodes",
                if rsc.class.is_empty() { "Untyped" } else { &rsc.class },
                rsc.id,
                rsc.running_on.len()
            ),
        );
    }
    for action in &schedule.plan.actions {
        if action.is_node_fencing() && !action.optional {
            if let Some(node) = action.node {
                d.warning("schedule_fencing", format!("Scheduling node {} for fencing", ws.nodes[node].uname));
            }
        }
    }
    d
}

/// Pacemaker's pe_can_fence for a cluster node: fencing is enabled and this partition may
/// use it (it has quorum, ignores its loss, or the node is in it).
fn can_fence(ws: &WorkingSet, node: &crate::model::Node) -> bool {
    ws.options.stonith_enabled
        && (ws.have_quorum || ws.options.no_quorum_policy == crate::options::NoQuorumPolicy::Ignore || node.online)
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

    fn two_nodes(crm_config: &str, resources: &str, status: &str) -> Element {
        xml::parse(&format!(
            r#"<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
                 <configuration><crm_config><cluster_property_set id="o">{crm_config}</cluster_property_set></crm_config>
                 <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
                 <resources>{resources}</resources><constraints/></configuration>
                 <status>{status}</status></cib>"#
        ))
        .expect("test CIB parses")
    }

    fn running(node: &str, uname: &str) -> String {
        format!(
            r#"<node_state id="{node}" uname="{uname}" in_ccm="true" crmd="online" join="member" expected="member">
                 <lrm id="{node}"><lrm_resources><lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
                   <lrm_rsc_op id="d_last_0" operation_key="d_start_0" operation="start" transition-key="1:1:0:x"
                     transition-magic="0:0;1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0"/>
                 </lrm_resource></lrm_resources></lrm></node_state>"#
        )
    }

    #[test]
    fn a_lost_node_is_fenced_with_a_warning() {
        let lost = r#"<node_state id="2" uname="node2" in_ccm="false" crmd="offline" join="member" expected="member"/>"#;
        let c = two_nodes(
            "",
            r#"<primitive id="fence" class="stonith" type="fence_dummy"/>"#,
            &format!("{ONLINE}{lost}"),
        );
        let d = calculate_transition(&c, 0).expect("schedules").diagnostics;
        assert!(d.processing_warning, "{d:?}");
        let texts: Vec<&str> = d.messages.iter().map(Diagnostic::text).collect();
        assert!(texts.contains(&"Cluster node node2 will be fenced: peer is no longer part of the cluster"), "{d:?}");
        assert!(texts.contains(&"Scheduling node node2 for fencing"), "{d:?}");
        assert!(!d.processing_error, "{d:?}");
    }

    #[test]
    fn a_resource_active_twice_is_an_error() {
        let c = two_nodes(
            r#"<nvpair id="s" name="stonith-enabled" value="false"/>"#,
            r#"<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>"#,
            &format!("{}{}", running("1", "node1"), running("2", "node2")),
        );
        let d = calculate_transition(&c, 0).expect("schedules").diagnostics;
        assert!(d.processing_error, "{d:?}");
        assert!(!d.config_error, "{d:?}");
    }

    #[test]
    fn not_a_cib_is_an_error() {
        let e = Element::new("nothing");
        assert!(calculate_transition(&e, 0).is_err());
    }
}
