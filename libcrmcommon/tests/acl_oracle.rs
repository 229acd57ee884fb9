//! Compares our ACL engine with Pacemaker's C library, driven through `cibadmin` on a
//! file-backed CIB (`CIB_file=…`), where `-U user` makes libcib apply the user's ACLs
//! client side exactly as the CIB manager would:
//!
//! - reads: `cibadmin -Q -U user` against [`AclContext::filter_readable`];
//! - per-element access: `cibadmin -Q --show-access=namespace -U user` against
//!   [`AclContext::access`];
//! - writes: each change is applied as root (giving the new CIB) and as the user
//!   (accepted, or refused with "Permission denied"), against [`AclContext::check_write`].
//!
//! The fixture grants group `ssl-cert` a role; Debian lists `postgres` in that group
//! when PostgreSQL is installed, which exercises `acl_group` through the OS database.
//! Skipped when cibadmin is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use libcrmcommon::acl::{Access, AclContext};
use libcrmcommon::xml::{self, Element};

const USERS: &[&str] =
    &["alice", "bob", "crook", "badidea", "carol", "postgres", "dave", "erin", "frank", "gina", "zed", "root", "hacluster"];

fn fixture_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cib-acls.xml");
    std::fs::read_to_string(path).unwrap()
}

fn cibadmin_available() -> bool {
    Command::new("cibadmin").arg("--version").output().is_ok_and(|o| o.status.success())
}

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("acl-oracle-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    /// A fresh copy of the fixture.
    fn copy(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, fixture_text()).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Outcome {
    success: bool,
    stdout: String,
    stderr: String,
}

fn cibadmin(file: &Path, user: Option<&str>, args: &[&str]) -> Outcome {
    let mut command = Command::new("cibadmin");
    command.env("CIB_file", file).env_remove("CIB_user").args(args);
    if let Some(user) = user {
        command.arg("-U").arg(user);
    }
    let out = command.output().unwrap();
    Outcome {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn reads_match_cibadmin() {
    if !cibadmin_available() {
        eprintln!("cibadmin not found; skipping");
        return;
    }
    let scratch = Scratch::new("read");
    let file = scratch.copy("cib.xml");
    let cib = xml::parse(&fixture_text()).unwrap();
    let mut failures = Vec::new();
    let mut partial = 0;
    for user in USERS {
        let c = cibadmin(&file, Some(user), &["-Q"]);
        let theirs = if c.success {
            Some(xml::to_compact(&xml::parse(&c.stdout).unwrap()))
        } else {
            assert!(c.stderr.contains("Permission denied"), "{user}: {}", c.stderr);
            None
        };
        let ours = AclContext::for_user(&cib, user).filter_readable(&cib).map(|e| xml::to_compact(&e));
        if ours.as_ref().is_some_and(|o| *o != xml::to_compact(&cib)) {
            partial += 1;
        }
        if ours != theirs {
            failures.push(format!("{user}:\n  ours:    {ours:?}\n  theirs:  {theirs:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(partial >= 5, "the fixture should give several users partial views, got {partial}");
}

/// Each element's access from `--show-access=namespace` output: an element's name is
/// prefixed with its access when it differs from its parent's.
fn annotated_access(annotated: &Element, inherited: Access, out: &mut Vec<Access>) {
    let access = match annotated.name.split_once(':') {
        Some(("pcmk-access-writable", _)) => Access::Writable,
        Some(("pcmk-access-readable", _)) => Access::Readable,
        Some(("pcmk-access-denied", _)) => Access::Denied,
        _ => inherited,
    };
    out.push(access);
    for child in annotated.elements() {
        annotated_access(child, access, out);
    }
}

#[test]
fn show_access_matches_cibadmin() {
    if !cibadmin_available() {
        eprintln!("cibadmin not found; skipping");
        return;
    }
    let scratch = Scratch::new("access");
    let file = scratch.copy("cib.xml");
    let cib = xml::parse(&fixture_text()).unwrap();
    let mut failures = Vec::new();
    for user in USERS.iter().filter(|u| libcrmcommon::acl::acl_required(u)) {
        let c = cibadmin(&file, Some(user), &["-Q", "--show-access=namespace"]);
        assert!(c.success, "{user}: {}", c.stderr);
        let annotated = xml::parse(&c.stdout).unwrap();
        let mut theirs = Vec::new();
        annotated_access(&annotated, Access::Denied, &mut theirs);
        let context = AclContext::ignoring_enable_acl(&cib, user, &|g| libcrmcommon::acl::user_in_group(user, g));
        let ours: Vec<Access> = context.access(&cib).into_iter().map(|(_, a)| a).collect();
        if ours != theirs {
            let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            failures.push(format!("{user}: first difference at element #{first:?}, ours {} vs theirs {}", ours.len(), theirs.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Changes clients make, as cibadmin arguments.
const CHANGES: &[&[&str]] = &[
    &["-M", "-X", r#"<nvpair id="ip-meta_attributes-target-role" value="Stopped"/>"#],
    &["-M", "-X", r#"<nvpair id="cib-bootstrap-options-stonith-enabled" value="false"/>"#],
    &["-M", "-X", r#"<primitive id="ip" description="virtual IP"/>"#],
    &["-M", "-X", r#"<group id="web" description="web stack"/>"#],
    &["-M", "-X", r#"<meta_attributes id="ip-meta_attributes"><nvpair id="ip-meta_attributes-is-managed" name="is-managed" value="false"/></meta_attributes>"#],
    &["-M", "-X", r#"<meta_attributes id="apache-meta_attributes"><nvpair id="apache-meta_attributes-target-role" name="target-role" value="Started"/></meta_attributes>"#],
    &["-C", "-o", "constraints", "-X", r#"<rsc_order id="fs-then-apache" first="fs" then="apache"/>"#],
    &["-C", "-o", "constraints", "-X", r#"<rsc_location id="web-on-node1" rsc="web" node="node1" score="100"/>"#],
    &["-C", "-o", "resources", "-X", r#"<primitive id="new" class="ocf" provider="heartbeat" type="Dummy"/>"#],
    &["-D", "-X", r#"<rsc_order id="ip-then-web"/>"#],
    &["-D", "-X", r#"<rsc_location id="cli-ban-web-on-node2"/>"#],
    &["-D", "-X", r#"<nvpair id="ip-meta_attributes-target-role"/>"#],
    &["-D", "--xpath", "//lrm_rsc_op[@id='ip_last_failure_0']"],
    &["-D", "--xpath", "//node_state[@uname='node1']/transient_attributes"],
    &["-M", "-o", "status", "-X", r#"<node_state id="1" crmd="offline"/>"#],
    &["-M", "-o", "status", "-X", r#"<node_state id="2" crmd="offline"/>"#],
    &["-M", "-o", "status", "-X", r#"<ticket_state id="ticketA" granted="false"/>"#],
    &["-C", "-o", "acls", "-X", r#"<acl_role id="new-role"/>"#],
    &["-M", "-X", r#"<acl_permission id="observer-read" kind="read" xpath="/cib/configuration"/>"#],
    &["-R", "-o", "constraints", "-X", r#"<constraints><rsc_order id="ip-then-web" first="ip" then="web" kind="Optional"/></constraints>"#],
    &["-M", "-X", r#"<tickets><ticket_state id="ticketB" granted="true"/></tickets>"#],
];

/// Version counters and write stamps are the server's doing, after the ACL check.
fn without_server_stamps(mut new: Element, old: &Element) -> Element {
    new.attrs = old.attrs.clone();
    new
}

#[test]
fn writes_match_cibadmin() {
    if !cibadmin_available() {
        eprintln!("cibadmin not found; skipping");
        return;
    }
    let scratch = Scratch::new("write");
    let old = xml::parse(&fixture_text()).unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut accepted = 0;
    let mut refused = 0;
    for (n, change) in CHANGES.iter().enumerate() {
        let as_root = scratch.copy(&format!("root-{n}.xml"));
        let c = cibadmin(&as_root, None, change);
        assert!(c.success, "change {change:?} fails even for root: {}", c.stderr);
        let new = without_server_stamps(xml::parse(&std::fs::read_to_string(&as_root).unwrap()).unwrap(), &old);
        assert_ne!(new, old, "change {change:?} changed nothing");
        for user in USERS {
            let as_user = scratch.copy(&format!("{user}-{n}.xml"));
            let c = cibadmin(&as_user, Some(user), change);
            if !c.success {
                assert!(c.stderr.contains("Permission denied"), "{user} {change:?}: {}", c.stderr);
            }
            let ours = AclContext::for_user(&old, user).check_write(&old, &new);
            compared += 1;
            if c.success {
                accepted += 1;
            } else {
                refused += 1;
            }
            if ours.is_ok() != c.success {
                failures.push(format!("{user} {change:?}: ours {ours:?}, cibadmin {}", if c.success { "accepted" } else { "refused" }));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {compared} differ:\n{}", failures.len(), failures.join("\n"));
    assert!(accepted > 40 && refused > 80, "accepted {accepted}, refused {refused}");
}
