//! The CIB's version counters after each kind of change, exactly as Pacemaker's daemon keeps
//! them. Peers compare (admin_epoch, epoch, num_updates) to decide who is newer, so a mixed
//! cluster only agrees if every implementation counts alike, quirks included.

use compat_tests::{compat_test, Node};

fn tuple(node: &Node) -> (String, String, String) {
    let cib = node.cib();
    let get = |n: &str| cib.attr(n).unwrap_or("?").to_owned();
    (get("admin_epoch"), get("epoch"), get("num_updates"))
}

#[track_caller]
fn step(node: &Node, args: &[&str], expected: (&str, &str, &str)) {
    node.run(args).expect_ok();
    let got = tuple(node);
    assert_eq!((got.0.as_str(), got.1.as_str(), got.2.as_str()), expected, "after {args:?}");
}

fn counters_follow_pacemaker(node: &Node) {
    assert_eq!(tuple(node), ("0".into(), "0".into(), "0".into()));
    // A whole new element linked in by modify --allow-create: Pacemaker's change tracking
    // does not see it as a configuration change, so only num_updates moves.
    step(node, &["cibadmin", "--modify", "--allow-create", "-o", "crm_config", "--xml-text",
        r#"<cluster_property_set id="opts"><nvpair id="opts-a" name="a" value="1"/></cluster_property_set>"#], ("0", "0", "1"));
    step(node, &["cibadmin", "--create", "-o", "resources", "--xml-text",
        r#"<primitive id="v1" class="ocf" provider="heartbeat" type="Dummy"/>"#], ("0", "1", "0"));
    step(node, &["cibadmin", "--modify", "-o", "crm_config", "--xml-text", r#"<nvpair id="opts-a" value="2"/>"#], ("0", "2", "0"));
    step(node, &["cibadmin", "--modify", "-o", "status", "--xml-text",
        r#"<status><node_state id="1" uname="node1"/></status>"#], ("0", "2", "1"));
    // The epoch attribute is not under /cib/configuration, so num_updates moves too.
    step(node, &["cibadmin", "--bump"], ("0", "3", "2"));
    // --create takes no XPath: Pacemaker looks the "section" up, finds none, uses the root,
    // and the result fails schema validation (exit 78). Nothing changes.
    node.run(&["cibadmin", "--create", "--xpath", "/cib/configuration/resources", "--xml-text",
        r#"<primitive id="v2" class="ocf" provider="heartbeat" type="Dummy"/>"#]).expect_code(78);
    assert_eq!(tuple(node), ("0".into(), "3".into(), "2".into()));
    step(node, &["cibadmin", "--create", "-o", "resources", "--xml-text",
        r#"<primitive id="v2" class="ocf" provider="heartbeat" type="Dummy"/>"#], ("0", "4", "0"));
    step(node, &["cibadmin", "--delete", "--xpath", "//primitive[@id='v2']"], ("0", "5", "0"));
    step(node, &["cibadmin", "--delete", "-o", "resources", "--xml-text", r#"<primitive id="absent"/>"#], ("0", "5", "0"));
    step(node, &["cibadmin", "--erase", "--force"], ("1", "6", "0"));
}
compat_test!(counters_follow_pacemaker);
