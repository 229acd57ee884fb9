//! With Debian's C controller (and the daemons it needs) beside the CIB manager: the
//! controller becomes DC and appoints the local CIB manager primary, which operations
//! such as --upgrade need.

mod common;

use compat_tests::{cib, compat_test, CDaemon, Node, NodeOpts, SeedCib};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Old schema, and dc-deadtime shortened so the lone controller elects itself quickly.
fn old_schema_cib() -> String {
    SeedCib {
        feature_set: "3.0.14",
        schema: "pacemaker-2.0",
        epoch: 3,
        options: &[("dc-deadtime", "2s"), ("stonith-enabled", "false")],
        ..SeedCib::default()
    }
    .xml()
}

fn with_controller(opts: &mut NodeOpts) {
    opts.cib_xml = Some(old_schema_cib());
    opts.extra_daemons = vec![CDaemon::Execd, CDaemon::Schedulerd, CDaemon::Attrd, CDaemon::Controld];
}

/// Waits until the controller has written itself into the CIB as DC (`dc-uuid`). Not a
/// timing assertion: the bound only keeps a broken run from hanging.
fn wait_for_dc(node: &Node) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let top = node.run(&["cibadmin", "-Q", "--no-children"]).expect_ok().xml();
        if top.attr("dc-uuid") == Some("1") {
            return;
        }
        assert!(Instant::now() < deadline, "no DC elected: {top:?}");
        sleep(Duration::from_millis(200));
    }
}

/// --upgrade --force moves the CIB to the newest schema once a primary exists.
fn upgrade_with_primary(node: &Node) {
    if !node.has_corosync() {
        compat_tests::report_skip("controller::upgrade_with_primary", node.kind(), "the C controller needs corosync");
        return;
    }
    wait_for_dc(node);
    assert_eq!(node.cib().attr("validate-with"), Some("pacemaker-2.0"));
    node.run(&["cibadmin", "--upgrade", "--force"]).expect_ok();
    let cib = node.cib();
    assert_eq!(cib.attr("validate-with"), Some("pacemaker-3.9"));
    let crm_config = cib::at(&cib, &["configuration", "crm_config"]).expect("crm_config");
    assert_eq!(cib::nvpair_value(crm_config, "dc-deadtime"), Some("2s"));
    let nodes = cib::at(&cib, &["configuration", "nodes"]).expect("nodes");
    assert_eq!(cib::child_ids(nodes), ["1"], "the controller registered node1");
}
compat_test!(upgrade_with_primary, with_controller);
