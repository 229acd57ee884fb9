//! End-to-end checks of the scheduler on small hand-written CIBs.

use libcrmcommon::xml;

fn cib(resources: &str, constraints: &str, status: &str) -> xml::Element {
    let text = format!(
        r#"<cib have-quorum="1" validate-with="pacemaker-3.7">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>{resources}</resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">{status}</node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>"#
    );
    xml::parse(&text).expect("test CIB parses")
}

fn summary(cib: &xml::Element) -> Vec<String> {
    let report = libpacemaker::simulate(cib).expect("simulation succeeds");
    let text = report.text;
    let start =
        text.find("Transition Summary:\n").expect("has a summary") + "Transition Summary:\n".len();
    text[start..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

const DUMMY: &str = r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/>"#;

#[test]
fn stopped_resource_starts_on_first_node() {
    assert_eq!(summary(&cib(DUMMY, "", "")), vec!["* Start rsc1 ( node1 )"]);
}

#[test]
fn location_constraint_moves_placement() {
    let loc = r#"<rsc_location id="l1" rsc="rsc1" node="node2" score="100"/>"#;
    assert_eq!(
        summary(&cib(DUMMY, loc, "")),
        vec!["* Start rsc1 ( node2 )"]
    );
}

#[test]
fn running_resource_moves_away_from_banned_node() {
    // op-digest: that of a resource without parameters (as Pacemaker records it).
    let running = r#"<lrm id="1"><lrm_resources><lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
      <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
    </lrm_resource></lrm_resources></lrm>"#;
    let ban = r#"<rsc_location id="l1" rsc="rsc1" node="node1" score="-INFINITY"/>"#;
    assert_eq!(
        summary(&cib(DUMMY, ban, running)),
        vec!["* Move rsc1 ( node1 -> node2 )"]
    );
    // Without the ban it stays put.
    assert!(summary(&cib(DUMMY, "", running)).is_empty());
}

#[test]
fn failed_monitor_is_recovered_in_place() {
    let failed = r#"<lrm id="1"><lrm_resources><lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
      <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0"/>
      <lrm_rsc_op id="rsc1_monitor_10000" operation_key="rsc1_monitor_10000" operation="monitor" transition-key="2:1:0:x" call-id="3" rc-code="7" op-status="0" interval="10000"/>
    </lrm_resource></lrm_resources></lrm>"#;
    assert_eq!(
        summary(&cib(DUMMY, "", failed)),
        vec!["* Recover rsc1 ( node1 )"]
    );
}

#[test]
fn group_members_follow_each_other() {
    let group = r#"<group id="g"><primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/>
      <primitive id="b" class="ocf" provider="pacemaker" type="Dummy"/></group>"#;
    let loc = r#"<rsc_location id="l1" rsc="g" node="node2" score="10"/>"#;
    assert_eq!(
        summary(&cib(group, loc, "")),
        vec!["* Start a ( node2 )", "* Start b ( node2 )"]
    );
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let not_a_cib = xml::parse("<nodes/>").expect("parses");
    assert!(libpacemaker::simulate(&not_a_cib).is_err());
    let no_configuration = xml::parse("<cib/>").expect("parses");
    assert!(libpacemaker::simulate(&no_configuration).is_err());
    // Garbage values and dangling references are tolerated.
    let odd = cib(
        r#"<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"><meta_attributes id="m"><nvpair id="n" name="migration-threshold" value="bogus"/></meta_attributes></primitive>"#,
        r#"<rsc_order id="o" first="missing" then="rsc1"/><rsc_colocation id="c" rsc="rsc1" with-rsc="rsc1" score="INFINITY"/>"#,
        r#"<lrm id="1"><lrm_resources><lrm_resource id="ghost"><lrm_rsc_op id="x" operation="start" call-id="zz" rc-code="q"/></lrm_resource></lrm_resources></lrm>"#,
    );
    assert!(libpacemaker::simulate(&odd).is_ok());
}
