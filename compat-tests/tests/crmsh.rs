//! crmsh (`crm configure ...`): it reads the CIB with cibadmin -Q, validates with
//! crm_verify, and commits a patch made by crm_diff through `cibadmin --patch`
//! (cib_apply_diff in the daemon).

mod common;

use common::{compact, section, version};
use compat_tests::{cib, compat_test, Node};

/// An empty CIB shows as nothing.
fn configure_show_empty(node: &Node) {
    let show = node.run(&["crm", "configure", "show"]).expect_ok();
    assert_eq!(show.stdout, "");
}
compat_test!(configure_show_empty);

/// Properties and primitives committed by crmsh land in the CIB as crmsh writes them
/// (its attribute order: name, value, id) and read back through `configure show`.
fn configure_property_and_primitive(node: &Node) {
    node.run(&["crm", "configure", "property", "stonith-enabled=false"]).expect_ok();
    assert_eq!(
        compact(&section(node, "crm_config")),
        r#"<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair name="stonith-enabled" value="false" id="cib-bootstrap-options-stonith-enabled"/></cluster_property_set></crm_config>"#
    );
    assert_eq!(version(node), (0, 1, 0));

    node.run(&["crm", "configure", "primitive", "d1", "ocf:heartbeat:Dummy"]).expect_ok();
    assert_eq!(
        compact(&section(node, "resources")),
        r#"<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/></resources>"#
    );
    assert_eq!(version(node), (0, 2, 0));
    let top = node.run(&["cibadmin", "-Q", "--no-children"]).expect_ok().xml();
    assert_eq!(top.attr("update-client"), Some("cibadmin"));

    let show = node.run(&["crm", "configure", "show"]).expect_ok();
    assert_eq!(show.stdout, "primitive d1 Dummy\nproperty cib-bootstrap-options: \\\n\tstonith-enabled=false\n");
    let show_xml = node.run(&["crm", "configure", "show", "xml"]).expect_ok().xml();
    assert!(cib::by_id(&show_xml, "d1").is_some(), "{show_xml:?}");
}
compat_test!(configure_property_and_primitive);

/// crmsh verifies before committing: with fencing enabled and no device it refuses a
/// primitive (exit 1) and the CIB stays as it was.
fn configure_primitive_refused_without_fencing(node: &Node) {
    let refused = node.run(&["crm", "configure", "primitive", "d1", "ocf:heartbeat:Dummy"]).expect_code(1);
    let stderr = refused.plain_stderr();
    assert!(stderr.contains("Resource start-up disabled since no STONITH resources have been defined"), "{refused}");
    assert!(stderr.contains("crm_verify: Errors found during check: config not valid"), "{refused}");
    assert_eq!(compact(&section(node, "resources")), "<resources/>");
    assert_eq!(version(node), (0, 0, 0));
}
compat_test!(configure_primitive_refused_without_fencing);

/// Changing and deleting through crmsh.
fn configure_change_and_delete(node: &Node) {
    node.run(&["crm", "configure", "property", "stonith-enabled=false"]).expect_ok();
    node.run(&["crm", "configure", "primitive", "d1", "ocf:heartbeat:Dummy", "params", "fake=1"]).expect_ok();
    assert_eq!(
        compact(&section(node, "resources")),
        r#"<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="d1-instance_attributes"><nvpair name="fake" value="1" id="d1-instance_attributes-fake"/></instance_attributes></primitive></resources>"#
    );
    node.run(&["crm", "configure", "property", "no-quorum-policy=ignore"]).expect_ok();
    assert_eq!(cib::nvpair_value(&section(node, "crm_config"), "no-quorum-policy"), Some("ignore"));
    node.run(&["crm", "configure", "delete", "d1"]).expect_ok();
    assert_eq!(compact(&section(node, "resources")), "<resources/>");
}
compat_test!(configure_change_and_delete);
