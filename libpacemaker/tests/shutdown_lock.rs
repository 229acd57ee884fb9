//! Shutdown locks (shutdown-lock, shutdown-lock-limit) on small hand-written
//! CIBs; expected values as Pacemaker 2.1.5 produces them.

use libcrmcommon::xml;

/// node1 has history for rsc1 (`rsc1_entry`, with the given node_state
/// attributes and transient attributes); node2 is online.
fn cib(options: &str, node1_state: &str, node1_attrs: &str, rsc1_entry: &str) -> xml::Element {
    let text = format!(
        r#"<cib have-quorum="1" validate-with="pacemaker-3.7" execution-date="1000000">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
      <nvpair id="o2" name="shutdown-lock" value="true"/>{options}
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources><primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/></resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" {node1_state}>
      <transient_attributes id="1"><instance_attributes id="status-1">{node1_attrs}</instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>{rsc1_entry}</lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources><lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
        <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_monitor_0" operation="monitor" transition-key="1:1:7:x" call-id="1" rc-code="7" op-status="0" interval="0"/>
      </lrm_resource></lrm_resources></lrm>
    </node_state>
  </status>
</cib>"#
    );
    xml::parse(&text).expect("test CIB parses")
}

const ONLINE: &str = r#"in_ccm="true" crmd="online" join="member" expected="member""#;
const OFFLINE: &str = r#"in_ccm="false" crmd="offline" join="down" expected="down""#;
const SHUTTING_DOWN: &str = r#"<nvpair id="s1" name="shutdown" value="999990"/>"#;

/// rsc1's history entry on node1: started (with the digest of a resource
/// without parameters) or cleanly stopped, and locked at `lock` if given.
fn rsc1_entry(started: bool, lock: Option<i64>) -> String {
    let lock = lock.map(|t| format!(r#" shutdown-lock="{t}""#)).unwrap_or_default();
    let task = if started { "start" } else { "stop" };
    format!(
        r#"<lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy"{lock}>
        <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_{task}_0" operation="{task}" transition-key="2:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
      </lrm_resource>"#
    )
}

struct Outcome {
    text: String,
    graph: String,
}

fn run(cib: &xml::Element) -> Outcome {
    let report = libpacemaker::simulate(cib).expect("simulation succeeds");
    Outcome { text: report.text, graph: report.graph }
}

#[test]
fn a_resource_on_a_node_shutting_down_is_stopped_there_not_moved() {
    let out = run(&cib("", ONLINE, SHUTTING_DOWN, &rsc1_entry(true, None)));
    assert!(out.text.contains("Stop       rsc1    ( node1 )  due to node availability"), "{}", out.text);
    assert!(!out.text.contains("start on node2"), "{}", out.text);
    // The stop carries the lock, from the node's shutdown time.
    assert!(out.graph.contains(r#"operation_key="rsc1_stop_0" on_node="node1" on_node_uuid="1" shutdown-lock="999990""#), "{}", out.graph);
}

#[test]
fn a_lock_recorded_in_history_keeps_the_resource_stopped_and_shown_locked() {
    let out = run(&cib(r#"<nvpair id="o3" name="shutdown-lock-limit" value="1h"/>"#, OFFLINE, "", &rsc1_entry(false, Some(999_000))));
    assert!(out.text.contains("rsc1\t(ocf:pacemaker:Dummy):\t Stopped node1 (LOCKED)"), "{}", out.text);
    assert!(!out.text.contains("Start"), "{}", out.text);
    // Scheduling again when the lock expires.
    assert!(out.graph.contains(r#"recheck-by="1002601""#), "{}", out.graph);
}

#[test]
fn an_expired_lock_frees_the_resource_and_its_history_is_deleted() {
    let out = run(&cib(r#"<nvpair id="o3" name="shutdown-lock-limit" value="10m"/>"#, OFFLINE, "", &rsc1_entry(false, Some(999_000))));
    assert!(out.text.contains("Start      rsc1    ( node2 )"), "{}", out.text);
    assert!(out.text.contains("Cluster action:  lrm_delete for rsc1 on node1"), "{}", out.text);
    assert!(out.graph.contains(r#"<crm_event mode="cib" id="#), "{}", out.graph);
}
