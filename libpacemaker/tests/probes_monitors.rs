//! Probes and recurring operations in the scheduler's plan, on small
//! hand-written CIBs (expected values as Pacemaker 2.1.5 produces them).

use libcrmcommon::xml;
use libpacemaker::sched::actions::{Action, Plan};

fn cib(resources: &str, node1_history: &str) -> xml::Element {
    let text = format!(
        r#"<cib have-quorum="1" validate-with="pacemaker-3.7">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>{resources}</resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">{node1_history}</node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>"#
    );
    xml::parse(&text).expect("test CIB parses")
}

fn plan_of(cib: &xml::Element) -> (libpacemaker::model::WorkingSet, Plan) {
    let mut ws = libpacemaker::unpack::unpack_at(cib, Some(1_700_000_000)).expect("unpacks");
    let schedule = libpacemaker::sched::schedule(&mut ws, cib);
    (ws, schedule.plan)
}

fn executed(plan: &Plan) -> Vec<&Action> {
    plan.actions
        .iter()
        .filter(|a| (!a.optional || a.print_always) && a.runnable)
        .collect()
}

fn find<'a>(
    ws: &libpacemaker::model::WorkingSet,
    plan: &'a Plan,
    key: &str,
    node: &str,
) -> Option<(usize, &'a Action)> {
    plan.actions
        .iter()
        .enumerate()
        .find(|(_, a)| a.op_key == key && a.node.map(|n| ws.nodes[n].uname.as_str()) == Some(node))
}

fn ordered(plan: &Plan, first: usize, then: usize) -> bool {
    plan.orderings
        .iter()
        .any(|o| o.first == first && o.then == then)
}

const WITH_MONITOR: &str = r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
  <operations>
    <op id="rsc1-start" name="start" interval="0" timeout="40s"/>
    <op id="rsc1-mon" name="monitor" interval="10s" timeout="30s" on-fail="restart"/>
  </operations>
</primitive>"#;

// The op-digest values are those of the configuration above (no parameters;
// the monitor's 30s timeout): without them Pacemaker restarts the resource
// for a "resource definition change".
const RUNNING_ON_NODE1_WITH_MONITOR: &str = r#"<lrm id="1"><lrm_resources>
  <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
    <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
    <lrm_rsc_op id="rsc1_monitor_10000" operation_key="rsc1_monitor_10000" operation="monitor" transition-key="2:1:0:x" call-id="3" rc-code="0" op-status="0" interval="10000" op-digest="02a5bcf940fc8d3239701acb11438d6a"/>
  </lrm_resource>
</lrm_resources></lrm>"#;

#[test]
fn new_resource_is_probed_everywhere_before_it_starts() {
    let (ws, plan) = plan_of(&cib(WITH_MONITOR, ""));
    let start = find(&ws, &plan, "rsc1_start_0", "node1")
        .expect("start on node1")
        .0;
    for node in ["node1", "node2"] {
        let (i, probe) = find(&ws, &plan, "rsc1_monitor_0", node).expect("probe");
        assert!(probe.is_probe && !probe.optional && probe.runnable);
        assert_eq!(probe.task, "monitor");
        assert_eq!(probe.interval_ms, 0);
        assert_eq!(probe.target_rc, Some(7));
        // A probe's timeout defaults to the shortest monitor's.
        assert_eq!(probe.timeout_ms, 30_000);
        assert!(ordered(&plan, i, start), "probe on {node} before the start");
    }
}

#[test]
fn recurring_monitor_follows_the_start() {
    let (ws, plan) = plan_of(&cib(WITH_MONITOR, ""));
    let start = find(&ws, &plan, "rsc1_start_0", "node1").expect("start").0;
    let (i, mon) = find(&ws, &plan, "rsc1_monitor_10000", "node1").expect("monitor");
    assert!(!mon.optional && mon.runnable && !mon.is_probe);
    assert_eq!(mon.interval_ms, 10_000);
    assert_eq!(mon.timeout_ms, 30_000);
    assert_eq!(mon.target_rc, None);
    assert_eq!(mon.op_meta.get("name").map(String::as_str), Some("monitor"));
    assert_eq!(
        mon.op_meta.get("interval").map(String::as_str),
        Some("10000")
    );
    assert_eq!(
        mon.op_meta.get("timeout").map(String::as_str),
        Some("30000")
    );
    assert_eq!(
        mon.op_meta.get("on-fail").map(String::as_str),
        Some("restart")
    );
    assert!(!mon.op_meta.contains_key("id"));
    assert!(ordered(&plan, start, i));
    assert!(find(&ws, &plan, "rsc1_monitor_10000", "node2").is_none());
    let start_action = &plan.actions[start];
    assert_eq!(start_action.timeout_ms, 40_000);
    assert!(!start_action.op_meta.contains_key("interval"));
}

#[test]
fn running_monitor_is_not_recreated_and_known_state_not_probed() {
    let (ws, plan) = plan_of(&cib(WITH_MONITOR, RUNNING_ON_NODE1_WITH_MONITOR));
    let run: Vec<String> = executed(&plan)
        .iter()
        .map(|a| format!("{} {}", a.op_key, ws.nodes[a.node.unwrap_or(0)].uname))
        .collect();
    // Only the probe on node2, where the state is unknown; it expects
    // "not running" there.
    assert_eq!(run, vec!["rsc1_monitor_0 node2"]);
    let (_, mon) = find(&ws, &plan, "rsc1_monitor_10000", "node1").expect("monitor");
    assert!(mon.optional);
}

#[test]
fn unconfigured_recurring_operation_is_cancelled() {
    let (ws, plan) = plan_of(&cib(
        r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/>"#,
        RUNNING_ON_NODE1_WITH_MONITOR,
    ));
    let cancels: Vec<&Action> = executed(&plan)
        .into_iter()
        .filter(|a| a.task == "cancel")
        .collect();
    assert_eq!(cancels.len(), 1);
    let c = cancels[0];
    assert_eq!(c.cancel_task.as_deref(), Some("monitor"));
    assert_eq!(c.interval_ms, 10_000);
    assert_eq!(c.op_key, "rsc1_monitor_10000");
    assert_eq!(c.node.map(|n| ws.nodes[n].uname.as_str()), Some("node1"));
}

#[test]
fn stopped_role_monitor_runs_where_the_resource_is_not() {
    let rsc = r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
  <operations>
    <op id="rsc1-mon" name="monitor" interval="1m"/>
    <op id="rsc1-mon-stopped" name="monitor" interval="PT20S" role="Stopped"/>
  </operations>
</primitive>"#;
    let (ws, plan) = plan_of(&cib(rsc, ""));
    let (_, on1) = find(&ws, &plan, "rsc1_monitor_60000", "node1").expect("active monitor");
    assert!(!on1.optional);
    let (i, stopped) = find(&ws, &plan, "rsc1_monitor_20000", "node2").expect("stopped monitor");
    assert!(!stopped.optional && stopped.runnable);
    assert_eq!(stopped.target_rc, Some(7));
    assert_eq!(
        stopped.op_meta.get("role").map(String::as_str),
        Some("Stopped")
    );
    let (probe, _) = find(&ws, &plan, "rsc1_monitor_0", "node2").expect("probe");
    assert!(ordered(&plan, probe, i), "after the probe on the same node");
    assert!(find(&ws, &plan, "rsc1_monitor_20000", "node1").is_none());
}

#[test]
fn disabled_and_duplicate_operations_are_not_scheduled() {
    let rsc = r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
  <operations>
    <op id="a" name="monitor" interval="10s" enabled="false"/>
    <op id="b" name="monitor" interval="20s"/>
    <op id="c" name="monitor" interval="20000ms"/>
  </operations>
</primitive>"#;
    let (_, plan) = plan_of(&cib(rsc, ""));
    assert!(plan.actions.iter().all(|a| a.interval_ms == 0));
}

#[test]
fn probes_can_be_disabled() {
    let text = xml::to_compact(&cib(WITH_MONITOR, "")).replace(
        r#"<nvpair id="o1" name="stonith-enabled" value="false"/>"#,
        r#"<nvpair id="o1" name="stonith-enabled" value="false"/><nvpair id="o2" name="enable-startup-probes" value="false"/>"#,
    );
    let (_, plan) = plan_of(&xml::parse(&text).expect("parses"));
    assert!(plan.actions.iter().all(|a| !a.is_probe));
}

#[test]
fn anonymous_clone_probes_one_instance_per_node() {
    let rsc = r#"<clone id="c"><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></clone>"#;
    let (ws, plan) = plan_of(&cib(rsc, ""));
    let probes: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.is_probe)
        .map(|a| format!("{} {}", a.op_key, ws.nodes[a.node.unwrap_or(0)].uname))
        .collect();
    // The instance going to run on each node is probed there.
    assert_eq!(probes.len(), 2);
    let clone_start = plan
        .actions
        .iter()
        .position(|a| a.op_key == "c_start_0")
        .expect("clone start");
    for (i, a) in plan.actions.iter().enumerate() {
        if a.is_probe {
            assert!(
                ordered(&plan, i, clone_start),
                "probes precede the clone's start"
            );
        }
    }
}
