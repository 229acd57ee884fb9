//! crm_attribute, crm_resource and crm_verify -L against the live CIB.

mod common;

use common::{compact, section, seed_node1, version, DUMMY_D1};
use compat_tests::{cib, compat_test, Node};

const ENXIO_ATTRIBUTE: &str = "crm_attribute: Error performing operation: No such device or address\n";

/// Cluster options: set creates cib-bootstrap-options with Pacemaker's nvpair ids, query
/// prints "scope=... name=... value=..." (-q: the value only), delete reports what it
/// removed; querying an unset option is ENXIO (105).
fn cluster_options(node: &Node) {
    node.run(&["crm_attribute", "-t", "crm_config", "-n", "stonith-enabled", "-v", "false"]).expect_ok();
    node.run(&["crm_attribute", "--name", "no-quorum-policy", "--update", "ignore"]).expect_ok();
    assert_eq!(
        compact(&section(node, "crm_config")),
        r#"<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/><nvpair id="cib-bootstrap-options-no-quorum-policy" name="no-quorum-policy" value="ignore"/></cluster_property_set></crm_config>"#
    );
    assert_eq!(version(node), (0, 2, 0));

    let query = node.run(&["crm_attribute", "-t", "crm_config", "-n", "stonith-enabled", "-G"]).expect_ok();
    assert_eq!(query.stdout, "scope=crm_config  name=stonith-enabled value=false\n");
    let quiet = node.run(&["crm_attribute", "-n", "stonith-enabled", "--query", "-q"]).expect_ok();
    assert_eq!(quiet.stdout, "false\n");

    let deleted = node.run(&["crm_attribute", "-n", "no-quorum-policy", "-D"]).expect_ok();
    assert_eq!(
        deleted.stdout,
        "Deleted crm_config option: id=cib-bootstrap-options-no-quorum-policy name=no-quorum-policy\n"
    );
    let deleted_again = node.run(&["crm_attribute", "-n", "no-quorum-policy", "-D"]).expect_ok();
    assert_eq!(deleted_again.stdout, "");
    let unset = node.run(&["crm_attribute", "-n", "no-quorum-policy", "-G"]).expect_code(105);
    assert_eq!(unset.stderr, ENXIO_ATTRIBUTE);
    assert_eq!(cib::child_ids(&section(node, "crm_config")), ["cib-bootstrap-options"]);
    assert_eq!(version(node), (0, 3, 0));
}
compat_test!(cluster_options);

/// Node attributes need the node in the nodes section (crm_attribute maps the name to
/// the node id there); permanent attributes go to instance_attributes "nodes-<id>",
/// utilization (-z) to "nodes-<id>-utilization".
fn node_attributes(node: &Node) {
    node.run(&["crm_attribute", "--node", "node1", "--type", "nodes", "-n", "foo", "-v", "bar"]).expect_ok();
    node.run(&["crm_attribute", "--node", "node1", "-z", "-n", "cpu", "-v", "4"]).expect_ok();
    assert_eq!(
        compact(&section(node, "nodes")),
        r#"<nodes><node id="1" uname="node1"><instance_attributes id="nodes-1"><nvpair id="nodes-1-foo" name="foo" value="bar"/></instance_attributes><utilization id="nodes-1-utilization"><nvpair id="nodes-1-utilization-cpu" name="cpu" value="4"/></utilization></node></nodes>"#
    );
    let query = node.run(&["crm_attribute", "--node", "node1", "--type", "nodes", "-n", "foo", "-G"]).expect_ok();
    assert_eq!(query.stdout, "scope=nodes  name=foo value=bar\n");
    let utilization = node.run(&["crm_attribute", "-N", "node1", "-z", "-n", "cpu", "-G", "-q"]).expect_ok();
    assert_eq!(utilization.stdout, "4\n");

    let deleted = node.run(&["crm_attribute", "--node", "node1", "--type", "nodes", "-n", "foo", "-D"]).expect_ok();
    assert_eq!(deleted.stdout, "Deleted nodes attribute: id=nodes-1-foo name=foo\n");
    let nodes = section(node, "nodes");
    assert!(cib::by_id(&nodes, "nodes-1-foo").is_none());
    assert!(cib::by_id(&nodes, "nodes-1").is_some_and(|set| set.children.is_empty()));

    let unknown = node.run(&["crm_attribute", "--node", "nodeX", "--type", "nodes", "-n", "foo", "-v", "x"]).expect_code(105);
    assert_eq!(unknown.stderr, "crm_attribute: Could not map name=nodeX to a UUID\n");
}
compat_test!(node_attributes, seed_node1);

/// The seeded cib.xml is what the daemon serves (counters included).
fn seeded_cib_is_served(node: &Node) {
    assert_eq!(version(node), (0, 5, 0));
    assert_eq!(cib::child_ids(&section(node, "nodes")), ["1"]);
}
compat_test!(seeded_cib_is_served, seed_node1);

/// Without the node in the CIB, node attributes cannot be set.
fn node_attribute_needs_node_entry(node: &Node) {
    let refused = node.run(&["crm_attribute", "--node", "node1", "--type", "nodes", "-n", "foo", "-v", "bar"]).expect_code(105);
    assert_eq!(refused.stderr, "crm_attribute: Could not map name=node1 to a UUID\n");
    assert_eq!(compact(&section(node, "nodes")), "<nodes/>");
}
compat_test!(node_attribute_needs_node_entry);

fn create_d1(node: &Node) {
    node.run(&["cibadmin", "--create", "-o", "resources", "--xml-text", DUMMY_D1]).expect_ok();
}

/// crm_resource --list / --list-raw / --query-xml, for a resource without status.
fn resource_listing(node: &Node) {
    create_d1(node);
    let list = node.run(&["crm_resource", "--list"]).expect_ok();
    assert_eq!(list.stdout, "Full List of Resources:\n  * d1\t(ocf:heartbeat:Dummy):\t Stopped\n");
    let raw = node.run(&["crm_resource", "--list-raw"]).expect_ok();
    assert_eq!(raw.stdout, "d1\n");
    let xml = node.run(&["crm_resource", "-r", "d1", "--query-xml"]).expect_ok();
    assert_eq!(xml.stdout, format!("d1\t(ocf:heartbeat:Dummy):\t Stopped\nResource XML:\n{DUMMY_D1}\n"));
    let missing = node.run(&["crm_resource", "-r", "nope", "--query-xml"]).expect_code(105);
    assert_eq!(missing.stderr, "crm_resource: Resource 'nope' not found\nError performing operation: No such object\n");
}
compat_test!(resource_listing);

/// Instance and meta attributes through crm_resource, with the ids it generates.
fn resource_parameters(node: &Node) {
    create_d1(node);
    let set = node.run(&["crm_resource", "-r", "d1", "--set-parameter", "fake", "-v", "42"]).expect_ok();
    assert_eq!(
        set.stdout,
        "Set 'd1' option: id=d1-instance_attributes-fake set=d1-instance_attributes name=fake value=42\n"
    );
    let meta = node.run(&["crm_resource", "-r", "d1", "--meta", "--set-parameter", "target-role", "-v", "Stopped"]).expect_ok();
    assert_eq!(
        meta.stdout,
        "Set 'd1' option: id=d1-meta_attributes-target-role set=d1-meta_attributes name=target-role value=Stopped\n"
    );
    assert_eq!(
        compact(&section(node, "resources")),
        r#"<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="d1-instance_attributes"><nvpair id="d1-instance_attributes-fake" name="fake" value="42"/></instance_attributes><meta_attributes id="d1-meta_attributes"><nvpair id="d1-meta_attributes-target-role" name="target-role" value="Stopped"/></meta_attributes></primitive></resources>"#
    );
    let get = node.run(&["crm_resource", "-r", "d1", "--get-parameter", "fake"]).expect_ok();
    assert_eq!(get.stdout, "42\n");
    let get_meta = node.run(&["crm_resource", "-r", "d1", "--meta", "--get-parameter", "target-role"]).expect_ok();
    assert_eq!(get_meta.stdout, "Stopped\n");

    let deleted = node.run(&["crm_resource", "-r", "d1", "--delete-parameter", "fake"]).expect_ok();
    assert_eq!(deleted.stdout, "Deleted 'd1' option: id=d1-instance_attributes-fake name=fake\n");
    let deleted_again = node.run(&["crm_resource", "-r", "d1", "--delete-parameter", "fake"]).expect_ok();
    assert_eq!(deleted_again.stdout, "");
    let resources = section(node, "resources");
    assert!(cib::by_id(&resources, "d1-instance_attributes").is_some_and(|set| set.children.is_empty()));

    let missing = node.run(&["crm_resource", "-r", "nope", "--set-parameter", "fake", "-v", "1"]).expect_code(105);
    assert_eq!(missing.stderr, "crm_resource: Resource 'nope' not found\nError performing operation: No such object\n");
}
compat_test!(resource_parameters);

/// crm_verify -L reads the live CIB: with fencing enabled (the default) and no fencing
/// device the configuration is invalid (exit 78), empty or not; -V tells why. Once
/// stonith-enabled=false it is valid.
fn verify_live(node: &Node) {
    let empty = node.run(&["crm_verify", "-L"]).expect_code(78);
    assert_eq!(empty.stderr, "crm_verify: Errors found during check: config not valid\n-V may provide more details\n");
    create_d1(node);
    let verbose = node.run(&["crm_verify", "-L", "-V"]).expect_code(78);
    assert!(verbose.stderr.contains("Resource start-up disabled since no STONITH resources have been defined"), "{verbose}");
    assert!(verbose.stderr.ends_with("crm_verify: Errors found during check: config not valid\n"), "{verbose}");
    node.run(&["crm_attribute", "-n", "stonith-enabled", "-v", "false"]).expect_ok();
    let valid = node.run(&["crm_verify", "-L"]).expect_ok();
    assert_eq!(valid.stdout, "");
    assert_eq!(valid.stderr, "");
}
compat_test!(verify_live);

/// crm_simulate -L reads the live CIB over IPC: ours and Debian's print the same status,
/// requested modifications and Transition Summary for the same live CIB, whichever CIB
/// manager serves it. (No controller runs, so node1 is brought online by injection.)
fn crm_simulate_live(node: &Node) {
    let ours = compat_tests::workspace_binary("crm_simulate").expect("our crm_simulate (cargo build --release -p crm_simulate)");
    let ours = ours.to_string_lossy().into_owned();
    node.run(&["cibadmin", "-C", "-o", "resources", "-X", DUMMY_D1]).expect_ok();
    node.run(&["crm_attribute", "-n", "stonith-enabled", "-v", "false"]).expect_ok();
    for mode in ["-R", "-S"] {
        let args = ["-L", mode, "-u", "node1", "-q", "1", "-g", "ticketA"];
        let expected = node.run(&[&["crm_simulate"][..], &args[..]].concat()).expect_ok();
        let actual = node.run(&[&[ours.as_str()][..], &args[..]].concat()).expect_ok();
        assert!(expected.stdout.contains("Start      d1      ( node1 )\n"), "C crm_simulate {mode}:\n{}", expected.stdout);
        assert!(expected.stdout.contains("  * Granting ticket ticketA\n"), "C crm_simulate {mode}:\n{}", expected.stdout);
        assert_eq!(actual.stdout, expected.stdout, "crm_simulate -L {mode}");
    }
}
compat_test!(crm_simulate_live, seed_node1);
