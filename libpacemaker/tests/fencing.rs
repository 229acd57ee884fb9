//! Fencing, unfencing and priority-fencing-delay in the scheduler's plan, on
//! small hand-written CIBs (expected values as Pacemaker 2.1.5 produces them).

use libcrmcommon::xml;
use libpacemaker::model::WorkingSet;
use libpacemaker::sched::actions::{Action, Plan};

const ONLINE: &str = r#"in_ccm="true" crmd="online" join="member" expected="member""#;
const LOST: &str = r#"in_ccm="false" crmd="offline" join="member" expected="member""#;

/// A two-node cluster with fencing enabled.
fn cib(options: &str, resources: &str, node1: (&str, &str), node2: (&str, &str)) -> xml::Element {
    let text = format!(
        r#"<cib have-quorum="1" validate-with="pacemaker-3.7" crm_feature_set="3.16.1">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="true"/>{options}
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>{resources}</resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" {}>{}</node_state>
    <node_state id="2" uname="node2" {}>{}</node_state>
  </status>
</cib>"#,
        node1.0, node1.1, node2.0, node2.1
    );
    xml::parse(&text).expect("test CIB parses")
}

fn plan_of(cib: &xml::Element) -> (WorkingSet, Plan) {
    let mut ws = libpacemaker::unpack::unpack_at(cib, Some(1_700_000_000)).expect("unpacks");
    let schedule = libpacemaker::sched::schedule(&mut ws, cib);
    (ws, schedule.plan)
}

fn fencing<'a>(ws: &WorkingSet, plan: &'a Plan, node: &str, action: &str) -> Option<(usize, &'a Action)> {
    plan.actions.iter().enumerate().find(|(_, a)| {
        a.task == "stonith"
            && a.fence_action.as_deref() == Some(action)
            && a.node.map(|n| ws.nodes[n].uname.as_str()) == Some(node)
    })
}

fn resource_action(ws: &WorkingSet, plan: &Plan, key: &str, node: &str) -> Option<usize> {
    plan.actions
        .iter()
        .position(|a| a.op_key == key && a.node.map(|n| ws.nodes[n].uname.as_str()) == Some(node))
}

fn ordered(plan: &Plan, first: usize, then: usize) -> bool {
    plan.orderings.iter().any(|o| o.first == first && o.then == then)
}

fn meta<'a>(a: &'a Action, name: &str) -> Option<&'a str> {
    a.added_meta.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

const UNFENCING_DEVICE: &str = r#"<primitive id="fence" class="stonith" type="fence_scsi">
  <meta_attributes id="fence-meta"><nvpair id="fence-provides" name="provides" value="unfencing"/></meta_attributes>
</primitive>
<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/>"#;

fn unfenced_node(id: &str) -> String {
    format!(
        r#"<transient_attributes id="{id}"><instance_attributes id="status-{id}">
  <nvpair id="status-{id}-unfenced" name="&#35;node-unfenced" value="1700000000"/>
</instance_attributes></transient_attributes>"#
    )
}

#[test]
fn a_node_never_unfenced_is_unfenced_before_probes_there() {
    let node1 = unfenced_node("1");
    let (ws, plan) = plan_of(&cib("", UNFENCING_DEVICE, (ONLINE, &node1), (ONLINE, "")));

    let (on2, unfence2) = fencing(&ws, &plan, "node2", "on").expect("unfencing of node2");
    assert!(!unfence2.optional, "node2 was never unfenced");
    assert_eq!(unfence2.reason.as_deref(), Some("required by fence monitor"));
    let (_, unfence1) = fencing(&ws, &plan, "node1", "on").expect("unfencing of node1 exists");
    assert!(unfence1.optional, "node1 was unfenced already");

    // Probes of the device and of resources requiring unfencing wait for it.
    for key in ["fence_monitor_0", "rsc1_monitor_0"] {
        let probe = resource_action(&ws, &plan, key, "node2").expect("probe on node2");
        assert!(ordered(&plan, on2, probe), "{key} after unfencing node2");
    }
    // Every fencing action names the devices' parameters it unfences with.
    let digests = meta(unfence2, "digests_all").expect("digests");
    assert!(digests.starts_with("fence:fence_scsi:") && digests.ends_with(','), "{digests}");
}

#[test]
fn resources_require_unfencing_only_where_it_is_in_use() {
    let plain = r#"<primitive id="fence" class="stonith" type="fence_xvm"/>
<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/>"#;
    let (ws, plan) = plan_of(&cib("", plain, (ONLINE, ""), (ONLINE, "")));
    assert!(fencing(&ws, &plan, "node1", "on").is_none());
    assert!(fencing(&ws, &plan, "node2", "on").is_none());
}

#[test]
fn a_device_recorded_with_another_agent_restarts_and_its_history_is_cleaned_up() {
    let node1 = format!(
        r#"{}<lrm id="1"><lrm_resources>
  <lrm_resource id="fence" class="stonith" type="fence_virt">
    <lrm_rsc_op id="fence_last_0" operation_key="fence_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
  </lrm_resource>
</lrm_resources></lrm>"#,
        unfenced_node("1")
    );
    let node2 = unfenced_node("2");
    let (ws, plan) = plan_of(&cib("", UNFENCING_DEVICE, (ONLINE, &node1), (ONLINE, &node2)));

    let stop = resource_action(&ws, &plan, "fence_stop_0", "node1").expect("stop");
    let delete = resource_action(&ws, &plan, "fence_delete_0", "node1").expect("clean-up");
    let start = resource_action(&ws, &plan, "fence_start_0", "node1").expect("start");
    assert!(!plan.actions[stop].optional && !plan.actions[delete].optional && !plan.actions[start].optional);
    assert!(ordered(&plan, stop, delete) && ordered(&plan, delete, start));
    let (on1, unfence1) = fencing(&ws, &plan, "node1", "on").expect("unfencing of node1");
    assert!(!unfence1.optional);
    assert_eq!(unfence1.reason.as_deref(), Some("Device definition changed"));
    assert!(ordered(&plan, on1, start), "the device starts after unfencing");
}

fn running(id: &str, rsc: &str) -> String {
    format!(
        r#"<lrm id="{id}"><lrm_resources>
  <lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Dummy">
    <lrm_rsc_op id="{rsc}_last_0" operation_key="{rsc}_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
  </lrm_resource>
</lrm_resources></lrm>"#
    )
}

fn prioritized(p1: u32, p2: u32) -> String {
    format!(
        r#"<primitive id="fence" class="stonith" type="fence_xvm"/>
<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
  <meta_attributes id="rsc1-meta"><nvpair id="rsc1-priority" name="priority" value="{p1}"/></meta_attributes>
</primitive>
<primitive id="rsc2" class="ocf" provider="pacemaker" type="Dummy">
  <meta_attributes id="rsc2-meta"><nvpair id="rsc2-priority" name="priority" value="{p2}"/></meta_attributes>
</primitive>"#
    )
}

fn lost_node_delay(p1: u32, p2: u32) -> Option<String> {
    let delay = r#"<nvpair id="o2" name="priority-fencing-delay" value="15s"/>"#;
    let (node1, node2) = (running("1", "rsc1"), running("2", "rsc2"));
    let (ws, plan) = plan_of(&cib(delay, &prioritized(p1, p2), (LOST, &node1), (ONLINE, &node2)));
    let (_, reboot) = fencing(&ws, &plan, "node1", "reboot").expect("node1 is fenced");
    assert!(!reboot.optional);
    meta(reboot, "priority_fencing_delay").map(str::to_string)
}

#[test]
fn a_lost_node_with_the_most_important_resources_is_fenced_after_the_delay() {
    assert_eq!(lost_node_delay(10, 5).as_deref(), Some("15"));
    // Lower or equal priority: no delay, but still said so (it overrides device delays).
    assert_eq!(lost_node_delay(5, 10).as_deref(), Some("0"));
    assert_eq!(lost_node_delay(5, 5).as_deref(), Some("0"));
}

#[test]
fn a_fence_device_stays_on_its_clean_node_when_also_active_on_an_unclean_one() {
    let device = r#"<primitive id="fence" class="stonith" type="fence_xvm"/>"#;
    let history = |id: &str| {
        format!(
            r#"<lrm id="{id}"><lrm_resources>
  <lrm_resource id="fence" class="stonith" type="fence_xvm">
    <lrm_rsc_op id="fence_last_0" operation_key="fence_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
  </lrm_resource>
</lrm_resources></lrm>"#
        )
    };
    let (node1, node2) = (history("1"), history("2"));
    let (ws, plan) = plan_of(&cib("", device, (LOST, &node1), (ONLINE, &node2)));
    assert!(fencing(&ws, &plan, "node1", "reboot").is_some_and(|(_, a)| !a.optional));
    // Only quorum is needed: not multiply active, so nothing restarts on node2.
    let start = resource_action(&ws, &plan, "fence_start_0", "node2");
    assert!(start.is_none_or(|s| plan.actions[s].optional), "no restart on node2");
    let stop = resource_action(&ws, &plan, "fence_stop_0", "node2");
    assert!(stop.is_none_or(|s| plan.actions[s].optional), "no stop on node2");
}
