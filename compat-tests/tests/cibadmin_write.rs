//! cibadmin writes: --create, --modify, --replace, --delete, --erase, --bump, --upgrade.
//! Version counters are asserted after each step: they are part of the protocol (peers
//! and tools compare them) and the exact C rules are what the Rust daemon must follow.

mod common;

use common::{compact, section, version, DUMMY_D1};
use compat_tests::{cib, compat_test, Node};

const SCHEMA_ERROR: &str = "Call cib_create failed: Update does not conform to the configured schema\n";

fn create(node: &Node, scope: &str, xml: &str) -> compat_tests::Output {
    node.run(&["cibadmin", "--create", "-o", scope, "--xml-text", xml])
}

/// --create adds the object and bumps the epoch; creating it again fails with EEXIST
/// (exit 108) and prints the failed update.
fn create_object(node: &Node) {
    let first = create(node, "resources", DUMMY_D1).expect_ok();
    assert_eq!(first.stdout, "");
    assert_eq!(first.stderr, "");
    assert_eq!(compact(&section(node, "resources")), format!("<resources>{DUMMY_D1}</resources>"));
    assert_eq!(version(node), (0, 1, 0));

    let again = create(node, "resources", DUMMY_D1).expect_code(108);
    assert_eq!(again.stderr, "Call cib_create failed: File exists\n");
    assert_eq!(
        compact(&again.xml()),
        format!(
            r#"<failed><failed_update id="d1" object_type="primitive" operation="cib_create" reason="File exists">{DUMMY_D1}</failed_update></failed>"#
        )
    );
    assert_eq!(version(node), (0, 1, 0), "a failed create changes nothing");
}
compat_test!(create_object);

/// The CIB records who wrote last.
fn create_records_origin(node: &Node) {
    create(node, "resources", DUMMY_D1).expect_ok();
    let top = node.run(&["cibadmin", "-Q", "--no-children"]).expect_ok().xml();
    assert_eq!(top.attr("update-client"), Some("cibadmin"));
    assert_eq!(top.attr("update-user"), Some("root"));
    // A stand-alone CIB manager (no corosync) calls itself "localhost", as Pacemaker's does.
    let origin = if node.has_corosync() { "node1" } else { "localhost" };
    assert_eq!(top.attr("update-origin"), Some(origin));
    assert!(top.attr("cib-last-written").is_some_and(|text| !text.is_empty()));
}
compat_test!(create_records_origin);

/// Schema violations are refused with exit 78; stdout shows the rejected result, the CIB
/// is unchanged.
fn create_schema_invalid(node: &Node) {
    let missing_type = r#"<primitive id="bad" class="ocf" provider="heartbeat"/>"#;
    let refused = create(node, "resources", missing_type).expect_code(78);
    assert_eq!(refused.stderr, SCHEMA_ERROR);
    let shown = refused.xml();
    assert_eq!(shown.name, "cib");
    assert!(cib::by_id(&shown, "bad").is_some(), "the rejected CIB is printed:\n{refused}");

    let unknown_element = create(node, "resources", r#"<bogus id="x"/>"#).expect_code(78);
    assert_eq!(unknown_element.stderr, SCHEMA_ERROR);

    assert_eq!(section(node, "resources").children.len(), 0);
    assert_eq!(version(node), (0, 0, 0));
}
compat_test!(create_schema_invalid);

/// cibadmin parses its input with libxml2's recovery: an unterminated tag still becomes an
/// element, which the schema then rejects.
fn create_malformed_xml(node: &Node) {
    let refused = create(node, "resources", r#"<primitive id="x""#).expect_code(78);
    assert_eq!(refused.stderr, SCHEMA_ERROR);
    assert_eq!(version(node), (0, 0, 0));
}
compat_test!(create_malformed_xml);

/// Without a scope the object has no place to go: ENXIO.
fn create_without_scope(node: &Node) {
    let refused = node.run(&["cibadmin", "--create", "--xml-text", DUMMY_D1]).expect_code(105);
    assert_eq!(refused.stderr, "Call cib_create failed: No such device or address\n");
    assert_eq!(version(node), (0, 0, 0));
}
compat_test!(create_without_scope);

/// --modify merges attributes into an existing object (a configuration change: the epoch
/// moves); a missing object is ENXIO unless --allow-create.
fn modify_object(node: &Node) {
    create(node, "resources", DUMMY_D1).expect_ok();
    let modify = |xml: &str| node.run(&["cibadmin", "--modify", "-o", "resources", "--xml-text", xml]);

    modify(r#"<primitive id="d1" description="hello"/>"#).expect_ok();
    assert_eq!(
        compact(&section(node, "resources")),
        r#"<resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy" description="hello"/></resources>"#
    );
    assert_eq!(version(node), (0, 2, 0));

    let missing = modify(r#"<primitive id="missing" description="x"/>"#).expect_code(105);
    assert_eq!(missing.stdout, "");
    assert_eq!(missing.stderr, "Call cib_modify failed: No such device or address\n");
    assert_eq!(version(node), (0, 2, 0));

    let created = r#"<primitive id="missing" class="ocf" provider="heartbeat" type="Dummy"/>"#;
    node.run(&["cibadmin", "--modify", "--allow-create", "-o", "resources", "--xml-text", created]).expect_ok();
    assert_eq!(cib::child_ids(&section(node, "resources")), ["d1", "missing"]);
    // Observed C counters: an object that --modify --allow-create adds raises only
    // num_updates, unlike the same object added by --create.
    assert_eq!(version(node), (0, 2, 1));
}
compat_test!(modify_object);

/// --modify with nested content creates the missing children when --allow-create is
/// given (the usual way to set a cluster option with cibadmin).
///
/// Observed C counters: objects added by --modify --allow-create raise only num_updates
/// (0.0.1), whereas the same objects added by --create raise the epoch (see
/// create_object); the following value change raises the epoch and resets num_updates.
fn modify_allow_create_nested(node: &Node) {
    let set = r#"<cluster_property_set id="opts"><nvpair id="opts-a" name="a" value="1"/></cluster_property_set>"#;
    let refused = node.run(&["cibadmin", "--modify", "-o", "crm_config", "--xml-text", set]).expect_code(105);
    assert_eq!(refused.stderr, "Call cib_modify failed: No such device or address\n");
    node.run(&["cibadmin", "--modify", "--allow-create", "-o", "crm_config", "--xml-text", set]).expect_ok();
    assert_eq!(compact(&section(node, "crm_config")), format!("<crm_config>{set}</crm_config>"));
    assert_eq!(version(node), (0, 0, 1));
    let changed = r#"<cluster_property_set id="opts"><nvpair id="opts-a" value="2"/></cluster_property_set>"#;
    node.run(&["cibadmin", "-M", "-o", "crm_config", "-X", changed]).expect_ok();
    assert_eq!(cib::nvpair_value(&section(node, "crm_config"), "a"), Some("2"));
    assert_eq!(version(node), (0, 1, 0));
}
compat_test!(modify_allow_create_nested);

/// --modify on the top element with "++" increments a counter (cibadmin's documented
/// way to raise admin_epoch).
fn modify_admin_epoch_increment(node: &Node) {
    node.run(&["cibadmin", "--modify", "--xml-text", r#"<cib admin_epoch="admin_epoch++"/>"#]).expect_ok();
    assert_eq!(version(node).0, 1);
}
compat_test!(modify_admin_epoch_increment);

/// --replace of a section swaps its content; the input must be that section or an existing
/// object inside it (else ENXIO).
fn replace_section(node: &Node) {
    create(node, "resources", DUMMY_D1).expect_ok();
    let replacement = r#"<resources><primitive id="n1" class="ocf" provider="pacemaker" type="Dummy"/></resources>"#;
    node.run(&["cibadmin", "--replace", "-o", "resources", "--xml-text", replacement]).expect_ok();
    assert_eq!(compact(&section(node, "resources")), replacement);
    assert_eq!(version(node), (0, 2, 0));

    let wrong = node.run(&["cibadmin", "--replace", "-o", "resources", "--xml-text", "<constraints/>"]).expect_code(105);
    assert_eq!(wrong.stderr, "Call cib_replace failed: No such device or address\n");
    let absent = r#"<primitive id="n2" class="ocf" provider="pacemaker" type="Dummy"/>"#;
    node.run(&["cibadmin", "--replace", "-o", "resources", "--xml-text", absent]).expect_code(105);

    let existing = r#"<primitive id="n1" class="ocf" provider="heartbeat" type="Dummy"/>"#;
    node.run(&["cibadmin", "--replace", "-o", "resources", "--xml-text", existing]).expect_ok();
    assert_eq!(compact(&section(node, "resources")), format!("<resources>{existing}</resources>"));
    assert_eq!(version(node), (0, 3, 0));

    node.run(&["cibadmin", "--replace", "-o", "resources", "--xml-text", "<resources/>"]).expect_ok();
    assert_eq!(compact(&section(node, "resources")), "<resources/>");
}
compat_test!(replace_section);

/// --replace of the whole CIB takes the given counters (then bumps the epoch for the
/// configuration change) and refuses an older CIB with exit 103.
fn replace_whole_cib(node: &Node) {
    let newer = r#"<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="50" num_updates="7" admin_epoch="1"><configuration><crm_config/><nodes/><resources><primitive id="w1" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>"#;
    node.run(&["cibadmin", "--replace", "--xml-text", newer]).expect_ok();
    let cib = node.cib();
    assert_eq!(cib::version(&cib), (1, 51, 0));
    assert_eq!(cib::child_ids(cib::at(&cib, &["configuration", "resources"]).expect("resources")), ["w1"]);

    let older = r#"<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="3" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>"#;
    let refused = node.run(&["cibadmin", "--replace", "--xml-text", older]).expect_code(103);
    assert_eq!(refused.stderr, "Call cib_replace failed: Update was older than existing configuration\n");
    assert_eq!(version(node), (1, 51, 0));

    let invalid = r#"<cib validate-with="pacemaker-3.9" epoch="60" num_updates="0" admin_epoch="1"><configuration><crm_config/><nodes/><resources><primitive id="bad"/></resources><constraints/></configuration><status/></cib>"#;
    let refused = node.run(&["cibadmin", "--replace", "--xml-text", invalid]).expect_code(78);
    assert_eq!(refused.stderr, "Call cib_replace failed: Update does not conform to the configured schema\n");
    assert_eq!(version(node), (1, 51, 0));

    let from_file_dir = node.dir().join("tmp");
    let file = from_file_dir.join("configuration.xml");
    std::fs::write(&file, "<configuration><crm_config/><nodes/><resources/><constraints/></configuration>")
        .expect("write replacement file");
    let path = file.display().to_string();
    node.run(&["cibadmin", "--replace", "-o", "configuration", "--xml-file", &path]).expect_ok();
    assert_eq!(section(node, "resources").children.len(), 0);
    assert_eq!(version(node), (1, 52, 0));
}
compat_test!(replace_whole_cib);

fn primitive_with_role(id: &str) -> String {
    format!(
        r#"<primitive id="{id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="{id}-meta"><nvpair id="{id}-role" name="target-role" value="Stopped"/></meta_attributes></primitive>"#
    )
}

fn target_role_ids(node: &Node) -> Vec<String> {
    let resources = section(node, "resources");
    cib::all_named(&resources, "nvpair").filter_map(|pair| pair.id().map(str::to_owned)).collect()
}

/// --delete by example removes the first object matching element name and all given
/// attributes; deleting something absent succeeds without a change.
fn delete_by_example(node: &Node) {
    for id in ["a", "b", "c"] {
        create(node, "resources", &primitive_with_role(id)).expect_ok();
    }
    assert_eq!(version(node), (0, 3, 0));
    node.run(&["cibadmin", "--delete", "-o", "resources", "--xml-text", r#"<primitive id="b"/>"#]).expect_ok();
    assert_eq!(cib::child_ids(&section(node, "resources")), ["a", "c"]);
    assert_eq!(version(node), (0, 4, 0));

    let absent = node.run(&["cibadmin", "--delete", "-o", "resources", "--xml-text", r#"<primitive id="zz"/>"#]).expect_ok();
    assert_eq!(absent.stderr, "");
    assert_eq!(version(node), (0, 4, 0));

    node.run(&["cibadmin", "-D", "-o", "resources", "-X", r#"<nvpair name="target-role"/>"#]).expect_ok();
    assert_eq!(target_role_ids(node), ["c-role"]);
}
compat_test!(delete_by_example);

/// --delete --xpath removes the first match only; --delete-all (-d) removes every match but
/// needs --force (exit 107 without it).
fn delete_by_xpath(node: &Node) {
    for id in ["a", "b", "c"] {
        create(node, "resources", &primitive_with_role(id)).expect_ok();
    }
    let xpath = r#"//nvpair[@name="target-role"]"#;
    node.run(&["cibadmin", "--delete", "--xpath", xpath]).expect_ok();
    assert_eq!(target_role_ids(node), ["b-role", "c-role"]);

    let unforced = node.run(&["cibadmin", "--delete", "--xpath", xpath, "-d"]).expect_code(107);
    assert_eq!(
        unforced.stderr,
        "The supplied command is considered dangerous.  To prevent accidental destruction of the cluster, the --force flag is required in order to proceed.\n"
    );
    assert_eq!(target_role_ids(node), ["b-role", "c-role"]);

    node.run(&["cibadmin", "--delete-all", "--xpath", xpath, "--force"]).expect_ok();
    assert!(target_role_ids(node).is_empty());
    assert_eq!(cib::child_ids(&section(node, "resources")), ["a", "b", "c"]);

    node.run(&["cibadmin", "--delete", "--xpath", "//primitive[@id='zz']"]).expect_ok();
    node.run(&["cibadmin", "--delete", "--xpath", "//primitive[@id='a']"]).expect_ok();
    assert_eq!(cib::child_ids(&section(node, "resources")), ["b", "c"]);
}
compat_test!(delete_by_xpath);

/// --erase needs --force, then empties the configuration and raises admin_epoch.
fn erase(node: &Node) {
    create(node, "resources", DUMMY_D1).expect_ok();
    let unforced = node.run(&["cibadmin", "--erase"]).expect_code(107);
    assert!(unforced.stderr.contains("the --force flag is required"), "{unforced}");
    assert_eq!(section(node, "resources").children.len(), 1);

    node.run(&["cibadmin", "--erase", "--force"]).expect_ok();
    let cib = node.cib();
    let configuration = cib::at(&cib, &["configuration"]).expect("configuration");
    assert_eq!(cib::child_names(configuration), ["crm_config", "nodes", "resources", "constraints"]);
    assert!(configuration.elements().all(|section| section.children.is_empty()));
    assert_eq!(cib::version(&cib), (1, 2, 0));
}
compat_test!(erase);

/// --bump (-B) raises the epoch by one per call.
fn bump(node: &Node) {
    node.run(&["cibadmin", "--bump"]).expect_ok();
    assert_eq!(version(node), (0, 1, 1));
    node.run(&["cibadmin", "-B"]).expect_ok();
    assert_eq!(version(node), (0, 2, 2));
}
compat_test!(bump);

/// --upgrade needs --force. It is sent to the primary instance, which only a controller
/// appoints; a node without one never answers, so the call ends with the client's
/// timeout (exit 124) and the CIB keeps its schema.
fn upgrade_without_primary(node: &Node) {
    if !node.has_corosync() {
        compat_tests::report_skip(
            "cibadmin_write::upgrade_without_primary",
            node.kind(),
            "stand-alone daemons may act as primary; this records the cluster-mode behaviour",
        );
        return;
    }
    let unforced = node.run(&["cibadmin", "--upgrade"]).expect_code(107);
    assert!(unforced.stderr.contains("the --force flag is required"), "{unforced}");
    let timed_out = node.run(&["cibadmin", "--upgrade", "--force", "-t", "1"]).expect_code(124);
    assert_eq!(timed_out.stderr, "Call cib_upgrade failed: Timer expired\n");
    assert_eq!(node.cib().attr("validate-with"), Some("pacemaker-3.9"));
}
compat_test!(upgrade_without_primary);

/// Input that is not XML at all never reaches the daemon: cibadmin refuses it (exit 78).
fn create_not_xml(node: &Node) {
    let refused = create(node, "resources", "not xml").expect_code(78);
    assert_eq!(refused.stdout, "");
    assert_eq!(refused.stderr, "Couldn't parse input from input string.\n");
    assert_eq!(version(node), (0, 0, 0));
}
compat_test!(create_not_xml);

/// -s/--sync-call writes give the same results as the default (asynchronous) calls; only
/// cibadmin's failure message differs ("Call failed", without the operation name).
fn sync_call_writes(node: &Node) {
    node.run(&["cibadmin", "-s", "--create", "-o", "resources", "--xml-text", DUMMY_D1]).expect_ok();
    let again = node.run(&["cibadmin", "--sync-call", "--create", "-o", "resources", "--xml-text", DUMMY_D1]).expect_code(108);
    assert_eq!(again.stderr, "Call failed: File exists\n");
    node.run(&["cibadmin", "-s", "-D", "-o", "resources", "-X", r#"<primitive id="d1"/>"#]).expect_ok();
    assert_eq!(compact(&section(node, "resources")), "<resources/>");
    assert_eq!(version(node), (0, 2, 0));
}
compat_test!(sync_call_writes);
