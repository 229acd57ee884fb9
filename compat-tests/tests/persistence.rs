//! The CIB on disk, across implementations: a cib.xml (+ .sig) written by one daemon loads in
//! the other; a tampered file is refused and never overwritten; a daemon killed in the middle
//! of a stream of writes leaves files the next start can use.

use compat_tests::{report_skip, run_test, running_as_root, select, Impl, ImplKind, Node, NodeOpts, Selection};
use libcrmcommon::xml::{self, Element};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const CIB_DIR: &str = "var-lib-pacemaker/cib";

fn cib_dir(node: &Node) -> PathBuf {
    node.dir().join(CIB_DIR)
}

/// Writes that exercise the serializer: quotes, tabs, a comment-free nested structure,
/// non-ASCII text, a constraint.
fn make_changes(node: &Node) {
    node.run(&["cibadmin", "-C", "-o", "resources", "--xml-text",
        "<primitive id=\"p1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\" description=\"it's &quot;quoted&quot; &amp; caf\u{e9}\"><instance_attributes id=\"p1-ia\"><nvpair id=\"p1-ia-x\" name=\"x\" value=\"a&lt;b\"/></instance_attributes></primitive>"])
        .expect_ok();
    node.run(&["cibadmin", "-C", "-o", "resources", "--xml-text", r#"<primitive id="p2" class="ocf" provider="pacemaker" type="Dummy"/>"#])
        .expect_ok();
    node.run(&["cibadmin", "-C", "-o", "constraints", "--xml-text", r#"<rsc_colocation id="c1" rsc="p1" with-rsc="p2" score="INFINITY"/>"#])
        .expect_ok();
    node.run(&["crm_attribute", "--type", "crm_config", "--name", "cluster-recheck-interval", "--update", "5min"]).expect_ok();
}

/// Waits until cib.xml on disk has the live epoch, and returns (cib.xml, cib.xml.sig).
fn settled_files(node: &Node) -> (Vec<u8>, Vec<u8>) {
    let live_epoch = node.cib().attr("epoch").unwrap_or("").to_owned();
    let start = Instant::now();
    loop {
        let dir = cib_dir(node);
        if let (Ok(cib), Ok(sig)) = (std::fs::read(dir.join("cib.xml")), std::fs::read(dir.join("cib.xml.sig"))) {
            if let Ok(doc) = xml::parse_bytes(&cib) {
                if doc.attr("epoch") == Some(live_epoch.as_str()) {
                    return (cib, sig);
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(30), "cib.xml never reached epoch {live_epoch}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn configuration(node: &Node) -> Element {
    node.run(&["cibadmin", "-Q", "-o", "configuration"]).expect_ok().xml()
}

fn start(kind: ImplKind, name: &str, files: Vec<(String, Vec<u8>)>) -> Option<Node> {
    let implementation = match select(kind) {
        Selection::Run(i) => i,
        Selection::Skip(reason) => {
            report_skip(name, kind, &reason);
            return None;
        }
    };
    let mut opts = NodeOpts::new(implementation);
    opts.name = format!("{name}::{}", kind.label());
    opts.cib_files = files;
    // With corosync: a stand-alone CIB manager does not write to disk.
    opts.corosync = true;
    Some(Node::start(opts).unwrap_or_else(|e| panic!("{name}: node did not start: {e}")))
}

/// Files written by `writer` load unchanged in `reader`.
fn cross_load(writer: ImplKind, reader: ImplKind) {
    let name = format!("persistence::{}_to_{}", writer.label(), reader.label());
    if !running_as_root() {
        report_skip(&name, writer, "needs root");
        return;
    }
    let Some(a) = start(writer, &format!("{name}-writer"), Vec::new()) else { return };
    make_changes(&a);
    let (cib, sig) = settled_files(&a);
    let expected = configuration(&a);
    let expected_epoch = a.cib().attr("epoch").map(str::to_owned);
    // Our digest of the file must be the signature the writer stored.
    let parsed = xml::parse_bytes(&cib).expect("cib.xml parses");
    assert_eq!(libcrmcommon::digest::on_disk(&parsed), String::from_utf8_lossy(&sig).trim(), "signature recipe differs");
    drop(a);

    let Some(b) = start(reader, &format!("{name}-reader"), vec![("cib.xml".into(), cib), ("cib.xml.sig".into(), sig)]) else { return };
    assert_eq!(configuration(&b), expected, "{name}: configuration changed across the restart");
    assert_eq!(b.cib().attr("epoch").map(str::to_owned), expected_epoch);
    let quarantined: Vec<_> = std::fs::read_dir(cib_dir(&b))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("cib.auto"))
        .collect();
    assert!(quarantined.is_empty(), "{name}: the reader refused the writer's file");
    // And the reader can write on top of it, keeping a valid signature.
    b.run(&["cibadmin", "--modify", "-o", "resources", "--xml-text", r#"<primitive id="p2" description="after"/>"#]).expect_ok();
    let (cib2, sig2) = settled_files(&b);
    let parsed2 = xml::parse_bytes(&cib2).unwrap();
    assert_eq!(libcrmcommon::digest::on_disk(&parsed2), String::from_utf8_lossy(&sig2).trim());
}

#[test]
fn c_writes_rust_loads() {
    cross_load(ImplKind::C, ImplKind::Rust);
}

#[test]
fn rust_writes_c_loads() {
    cross_load(ImplKind::Rust, ImplKind::C);
}

#[test]
fn rust_writes_rust_loads() {
    cross_load(ImplKind::Rust, ImplKind::Rust);
}

/// A hand-edited cib.xml (signature no longer matching) is not loaded and not overwritten.
fn tampered_file_is_refused(kind: ImplKind) {
    let name = "persistence::tampered";
    if !running_as_root() {
        report_skip(name, kind, "needs root");
        return;
    }
    let Some(a) = start(kind, &format!("{name}-writer"), Vec::new()) else { return };
    make_changes(&a);
    let (cib, sig) = settled_files(&a);
    drop(a);
    let tampered = String::from_utf8(cib).unwrap().replace("5min", "1min");
    let Some(b) = start(kind, &format!("{name}-reader"), vec![("cib.xml".into(), tampered.clone().into_bytes()), ("cib.xml.sig".into(), sig)])
    else {
        return;
    };
    let live = b.run(&["cibadmin", "-Q"]).expect_ok().plain_stdout();
    assert!(!live.contains("1min"), "the tampered configuration was loaded");
    let kept = std::fs::read_dir(cib_dir(&b))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("cib.auto"))
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t == tampered));
    assert!(kept, "the tampered file was not kept aside for inspection");
}

#[test]
fn tampered_file_is_refused_c() {
    tampered_file_is_refused(ImplKind::C);
}

#[test]
fn tampered_file_is_refused_rust() {
    tampered_file_is_refused(ImplKind::Rust);
}

/// Kill -9 in the middle of a stream of writes: afterwards the files on
/// disk are either a matching cib.xml/.sig pair or, failing that, the newest backup pair is.
#[test]
fn killed_mid_write_leaves_usable_files() {
    run_test("persistence::crash", ImplKind::Rust, |opts: &mut NodeOpts| opts.corosync = true, |node| {
        let Impl::Rust(_) = node.implementation() else { return };
        let dir = cib_dir(node);
        // Stream writes from inside the node while killing the daemon from outside.
        let writer = node.cmd(&["sh", "-c",
            "i=0; while [ $i -lt 400 ]; do cibadmin --modify --allow-create -o crm_config --xml-text \"<cluster_property_set id=\\\"s\\\"><nvpair id=\\\"s-$((i % 7))\\\" name=\\\"n$((i % 7))\\\" value=\\\"$i\\\"/></cluster_property_set>\" >/dev/null 2>&1; i=$((i+1)); done"])
            .timeout(Duration::from_secs(1));
        let _ = writer.run();
        let daemon = node
            .host_pids()
            .into_iter()
            .find(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "pacemaker-based"))
            .expect("daemon pid");
        // SAFETY: plain kill(2) of a process we started.
        unsafe { libc::kill(daemon as i32, libc::SIGKILL) };
        std::thread::sleep(Duration::from_millis(200));
        let pair_ok = |cib: PathBuf, sig: PathBuf| -> bool {
            let (Ok(c), Ok(s)) = (std::fs::read(cib), std::fs::read_to_string(sig)) else { return false };
            xml::parse_bytes(&c).is_ok_and(|d| libcrmcommon::digest::on_disk(&d) == s.trim())
        };
        if pair_ok(dir.join("cib.xml"), dir.join("cib.xml.sig")) {
            return;
        }
        let last: u32 = std::fs::read_to_string(dir.join("cib.last")).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1);
        let newest = (last + 99) % 100;
        assert!(
            pair_ok(dir.join(format!("cib-{newest}.raw")), dir.join(format!("cib-{newest}.raw.sig"))),
            "neither cib.xml nor the newest backup is usable after the crash"
        );
    });
}
