//! A whole single-node cluster started by the README's first command (`run-node`), so this
//! also proves that command works: for the C variant every daemon is Debian's; for the Rust
//! variant our pacemakerd, pacemaker-based, pacemaker-schedulerd and pacemaker-execd run with
//! Debian's controld, attrd and fenced, as `run-node` starts them by default.
//!
//! Passes when the node elects itself DC, the demo resource that `run-node` adds with crmsh
//! starts, and `crm_mon -1` (text and XML) shows it running; then a second resource added with
//! crmsh starts too, and `crm_resource`/`cibadmin` read the live CIB.

use compat_tests::{ImplKind, RunNode};
use std::time::Duration;

/// Runs a command in the node: (success, stdout).
fn exec(node: &RunNode, args: &[&str]) -> (bool, String) {
    let out = node.exec(args);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wait_for(node: &RunNode, args: &[&str], what: &str, timeout: Duration) -> String {
    node.wait_for(args, |text| text.contains(what), &format!("{what:?}"), timeout)
}

fn cluster_runs_resources(kind: ImplKind) {
    let Some(node) = RunNode::start_stack("full_stack", kind) else { return };
    let text = wait_for(&node, &["crm_mon", "-1"], "Started node1", Duration::from_secs(60));
    assert!(text.contains("Current DC: node1"), "no DC:\n{text}");
    assert!(text.contains("partition with quorum"), "no quorum:\n{text}");
    assert!(text.contains("Online: [ node1 ]"), "node not online:\n{text}");
    assert!(text.contains("demo\t(ocf:heartbeat:Dummy):\t Started node1"), "demo not running:\n{text}");

    let (ok, xml) = exec(&node, &["crm_mon", "-1", "--output-as=xml"]);
    assert!(ok, "crm_mon --output-as=xml failed:\n{xml}");
    let doc = libcrmcommon::xml::parse(&xml).expect("crm_mon XML parses");
    let demo = doc
        .descendants()
        .find(|e| e.name == "resource" && e.attr("id") == Some("demo"))
        .unwrap_or_else(|| panic!("no demo resource in crm_mon XML:\n{xml}"));
    assert_eq!(demo.attr("role"), Some("Started"));
    assert_eq!(demo.attr("active"), Some("true"));
    let dc = doc.descendants().find(|e| e.name == "current_dc").expect("current_dc");
    assert_eq!(dc.attr("present"), Some("true"));
    assert_eq!(dc.attr("with_quorum"), Some("true"));

    let (ok, out) = exec(&node, &["crm", "configure", "primitive", "second", "ocf:pacemaker:Dummy", "op", "monitor", "interval=5s"]);
    assert!(ok, "crmsh could not add a primitive:\n{out}");
    wait_for(&node, &["crm_mon", "-1"], "second\t(ocf:pacemaker:Dummy):\t Started node1", Duration::from_secs(60));
    let (ok, list) = exec(&node, &["crm_resource", "--list"]);
    assert!(ok && list.contains("second"), "crm_resource --list:\n{list}");
    let (ok, cib) = exec(&node, &["cibadmin", "-Q", "-o", "status"]);
    assert!(ok && cib.contains("lrm_rsc_op"), "no resource history in status:\n{cib}");

    if kind == ImplKind::Rust {
        let log = std::fs::read_to_string(node.state.join("log-pacemaker/pacemaker.log")).unwrap_or_default();
        assert!(log.contains("Starting pacemaker-based (pacemaker-rs"), "the cluster did not run our CIB manager");
    }
}

#[test]
fn c() {
    cluster_runs_resources(ImplKind::C);
}

#[test]
fn rust() {
    cluster_runs_resources(ImplKind::Rust);
}
