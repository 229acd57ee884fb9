//! resource-discovery of location constraints: where probes look for a
//! resource and, with "exclusive", where it may run (expected values as
//! Pacemaker 2.1.5 produces them).

use libcrmcommon::xml;
use libpacemaker::model::WorkingSet;
use libpacemaker::sched::actions::Plan;

const DUMMY: &str = r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/>"#;

fn cib(constraints: &str) -> xml::Element {
    let node_state = |id: u32| {
        format!(r#"<node_state id="{id}" uname="node{id}" in_ccm="true" crmd="online" join="member" expected="member"/>"#)
    };
    let text = format!(
        r#"<cib have-quorum="1" validate-with="pacemaker-3.7">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/><node id="3" uname="node3"/></nodes>
    <resources>{DUMMY}</resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>{}{}{}</status>
</cib>"#,
        node_state(1),
        node_state(2),
        node_state(3)
    );
    xml::parse(&text).expect("test CIB parses")
}

fn schedule(constraints: &str) -> (WorkingSet, Plan) {
    let cib = cib(constraints);
    let mut ws = libpacemaker::unpack::unpack_at(&cib, Some(1_700_000_000)).expect("unpacks");
    let schedule = libpacemaker::sched::schedule(&mut ws, &cib);
    (ws, schedule.plan)
}

/// Nodes where rsc1 is probed, and where it starts.
fn probes_and_start(constraints: &str) -> (Vec<String>, Option<String>) {
    let (ws, plan) = schedule(constraints);
    let on = |key: &str| -> Vec<String> {
        let mut nodes: Vec<String> = plan
            .actions
            .iter()
            .filter(|a| a.op_key == key && !a.optional && a.runnable)
            .filter_map(|a| a.node.map(|n| ws.nodes[n].uname.clone()))
            .collect();
        nodes.sort();
        nodes
    };
    (on("rsc1_monitor_0"), on("rsc1_start_0").pop())
}

fn location(id: &str, node: &str, score: &str, discovery: &str) -> String {
    format!(r#"<rsc_location id="{id}" rsc="rsc1" node="{node}" score="{score}" resource-discovery="{discovery}"/>"#)
}

#[test]
fn never_skips_the_probe_but_not_the_placement() {
    let (probes, start) = probes_and_start(&location("l1", "node2", "100", "never"));
    assert_eq!(probes, ["node1", "node3"]);
    assert_eq!(start.as_deref(), Some("node2"));
}

#[test]
fn exclusive_probes_and_runs_only_on_its_nodes() {
    let constraints = format!(
        "{}{}{}",
        location("l1", "node1", "0", "exclusive"),
        location("l2", "node2", "0", "exclusive"),
        // A preference elsewhere does not make node3 eligible.
        location("l3", "node3", "1000", "always")
    );
    let (probes, start) = probes_and_start(&constraints);
    assert_eq!(probes, ["node1", "node2"]);
    assert_ne!(start.as_deref(), Some("node3"));
    assert!(start.is_some());
}

#[test]
fn the_strongest_mode_for_a_node_wins() {
    let constraints = format!(
        "{}{}",
        location("l1", "node1", "0", "never"),
        location("l2", "node1", "0", "exclusive")
    );
    let (probes, start) = probes_and_start(&constraints);
    assert_eq!(probes, ["node1"]);
    assert_eq!(start.as_deref(), Some("node1"));
}

#[test]
fn exclusive_rule_matching_no_node_leaves_the_resource_nowhere() {
    let rule = r##"<rsc_location id="l1" rsc="rsc1" resource-discovery="exclusive">
      <rule id="r1" score="10"><expression id="e1" attribute="#uname" operation="eq" value="elsewhere"/></rule>
    </rsc_location>"##;
    let (probes, start) = probes_and_start(rule);
    assert!(probes.is_empty(), "{probes:?}");
    assert_eq!(start, None);
}
