//! pcs against a live CIB without pcsd: it reads with `cibadmin --local --query`, writes
//! resources and properties as `crm_diff` patches through `cibadmin --patch`, and
//! constraints by `cibadmin --replace` of the configuration section.

mod common;

use common::{compact, section};
use compat_tests::{cib, compat_test, Node};

/// `pcs resource create` expands the agent's default operations from its metadata.
fn resource_create(node: &Node) {
    node.run(&["pcs", "resource", "create", "r1", "ocf:heartbeat:Dummy"]).expect_ok();
    let primitive = node.run(&["cibadmin", "-Q", "--xpath", "//primitive[@id='r1']"]).expect_ok().xml();
    assert_eq!(
        compact(&primitive),
        concat!(
            r#"<primitive id="r1" class="ocf" type="Dummy" provider="heartbeat"><operations>"#,
            r#"<op name="migrate_from" interval="0s" timeout="20s" id="r1-migrate_from-interval-0s"/>"#,
            r#"<op name="migrate_to" interval="0s" timeout="20s" id="r1-migrate_to-interval-0s"/>"#,
            r#"<op name="monitor" interval="10s" timeout="20s" id="r1-monitor-interval-10s"/>"#,
            r#"<op name="reload" interval="0s" timeout="20s" id="r1-reload-interval-0s"/>"#,
            r#"<op name="start" interval="0s" timeout="20s" id="r1-start-interval-0s"/>"#,
            r#"<op name="stop" interval="0s" timeout="20s" id="r1-stop-interval-0s"/>"#,
            r#"</operations></primitive>"#
        )
    );
    let again = node.run(&["pcs", "resource", "create", "r1", "ocf:heartbeat:Dummy"]).expect_code(1);
    assert_eq!(again.stderr, "Error: 'r1' already exists\n");
    let unknown = node.run(&["pcs", "resource", "create", "r2", "ocf:heartbeat:NoSuchAgent"]).expect_code(1);
    assert!(unknown.stderr.contains("Agent 'ocf:heartbeat:NoSuchAgent' is not installed"), "{unknown}");
    assert_eq!(cib::child_ids(&section(node, "resources")), ["r1"]);
}
compat_test!(resource_create);

/// `pcs constraint location ... prefers` writes an rsc_location with pcs' generated id.
fn constraint_location(node: &Node) {
    node.run(&["pcs", "resource", "create", "r1", "ocf:heartbeat:Dummy"]).expect_ok();
    node.run(&["pcs", "constraint", "location", "r1", "prefers", "node1=100"]).expect_ok();
    assert_eq!(
        compact(&section(node, "constraints")),
        r#"<constraints><rsc_location id="location-r1-node1-100" rsc="r1" node="node1" score="100"/></constraints>"#
    );
    let unknown_node = node.run(&["pcs", "constraint", "location", "r1", "avoids", "node2"]).expect_code(1);
    assert_eq!(
        unknown_node.stderr,
        "Error: Node 'node2' does not appear to exist in configuration, use --force to override\n"
    );
}
compat_test!(constraint_location);

/// `pcs property set` and the listing read back from the CIB.
fn property_set(node: &Node) {
    node.run(&["pcs", "property", "set", "stonith-enabled=false"]).expect_ok();
    node.run(&["pcs", "property", "set", "no-quorum-policy=ignore"]).expect_ok();
    let crm_config = section(node, "crm_config");
    assert_eq!(cib::nvpair_value(&crm_config, "stonith-enabled"), Some("false"));
    assert_eq!(cib::nvpair_value(&crm_config, "no-quorum-policy"), Some("ignore"));
    assert_eq!(cib::child_ids(&crm_config), ["cib-bootstrap-options"]);
    let listing = node.run(&["pcs", "property"]).expect_ok();
    assert_eq!(listing.stdout, "Cluster Properties:\n no-quorum-policy: ignore\n stonith-enabled: false\n");
}
compat_test!(property_set);
