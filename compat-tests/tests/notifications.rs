//! Change notifications: the same writes against Pacemaker's daemon and ours produce the same
//! notifications (v2 patchsets included), compared side by side in one test.

use compat_tests::{report_skip, running_as_root, select, Element, ImplKind, Node, NodeOpts, Selection};
use libcrmcommon::xml;
use std::time::Duration;

const PROBE: &str = env!("CARGO_BIN_EXE_cib-probe");

const WRITES: &[&[&str]] = &[
    &["cibadmin", "--create", "-o", "resources", "--xml-text", r#"<primitive id="n1" class="ocf" provider="heartbeat" type="Dummy"/>"#],
    &["cibadmin", "--modify", "-o", "resources", "--xml-text", r#"<primitive id="n1" description="changed"/>"#],
    &["cibadmin", "--create", "-o", "constraints", "--xml-text", r#"<rsc_location id="l1" rsc="n1" node="node1" score="100"/>"#],
    &["cibadmin", "--modify", "-o", "status", "--xml-text", r#"<status><node_state id="1" uname="node1" in_ccm="true"/></status>"#],
    &["cibadmin", "--delete", "--xpath", "//rsc_location[@id=\"l1\"]"],
    &["cibadmin", "--modify", "-o", "resources", "--xml-text", r#"<primitive id="n1" description="again"/>"#],
];

/// Drops what legitimately differs between two runs: times, client tokens, and the digest
/// (sent at most once a minute, so its presence depends on timing).
fn normalize(e: &mut Element) {
    for volatile in ["cib-last-written", "cib_clientid", "digest", "cib_callid"] {
        e.remove_attr(volatile);
    }
    // The change-result copy of /cib carries cib-last-written as an attribute change too.
    e.children.retain(|c| {
        c.as_element().is_none_or(|c| !(c.name == "change-attr" && c.attr("name") == Some("cib-last-written")))
    });
    for c in e.elements_mut() {
        normalize(c);
    }
}

fn capture(node: &Node) -> Vec<Element> {
    let script = format!(
        "{PROBE} notify {} > notes.txt & for i in $(seq 100); do grep -q ready notes.txt 2>/dev/null && break; sleep 0.05; done; {}; wait",
        WRITES.len(),
        WRITES
            .iter()
            .map(|w| w.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(" >/dev/null && ")
    );
    let dir = node.dir().join("tmp");
    std::fs::create_dir_all(&dir).unwrap();
    node.cmd(&["sh", "-c", &format!("cd {} && {script}", dir.display())]).timeout(Duration::from_secs(60)).run().expect_ok();
    let text = std::fs::read_to_string(dir.join("notes.txt")).unwrap();
    text.lines()
        .filter(|l| l.starts_with('<'))
        .map(|l| {
            let mut e = xml::parse(l).expect("notification parses");
            normalize(&mut e);
            e
        })
        .collect()
}

fn start(kind: ImplKind) -> Option<Node> {
    let Selection::Run(implementation) = select(kind) else {
        report_skip("notifications", kind, "implementation not selected or not built");
        return None;
    };
    let mut opts = NodeOpts::new(implementation);
    opts.name = format!("notifications::{}", kind.label());
    opts.corosync = true;
    Some(Node::start(opts).expect("node starts"))
}

#[test]
fn diff_notifications_match_pacemaker() {
    if !running_as_root() {
        report_skip("notifications", ImplKind::Rust, "needs root");
        return;
    }
    let (Some(c), Some(rust)) = (start(ImplKind::C), start(ImplKind::Rust)) else { return };
    let expected = capture(&c);
    let got = capture(&rust);
    assert_eq!(expected.len(), WRITES.len(), "Pacemaker sent {} notifications", expected.len());
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(
            xml::to_formatted(g),
            xml::to_formatted(e),
            "notification {i} (after {:?}) differs from Pacemaker's",
            WRITES[i]
        );
    }
    assert_eq!(got.len(), expected.len());
}
