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

const USERS: &[&str] = &[
    "alice", "bob", "crook", "badidea", "carol", "postgres", "dave", "erin", "frank", "gina", "hank", "zed", "root", "hacluster",
];

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

/// In-place changes clients make, as cibadmin arguments.
const EDITS: &[&[&str]] = &[
    &["-M", "-X", r#"<nvpair id="ip-meta_attributes-target-role" value="Stopped"/>"#],
    &["-M", "-X", r#"<nvpair id="cib-bootstrap-options-stonith-enabled" value="false"/>"#],
    &["-M", "-X", r#"<nvpair id="apache-meta_attributes-target-role" value="hank"/>"#],
    &["-M", "-X", r#"<nvpair id="apache-meta_attributes-target-role" value="Started"/>"#],
    &["-M", "-X", r#"<primitive id="ip" description="virtual IP"/>"#],
    &["-M", "-X", r#"<group id="web" description="web stack"/>"#],
    &["-M", "-X", r#"<op id="ip-monitor-interval-10s" interval="20s"/>"#],
    &["-M", "-X", r#"<op id="ip-start-interval-0s" interval="10s"/>"#],
    &["-M", "-X", r#"<meta_attributes id="ip-meta_attributes"><nvpair id="ip-meta_attributes-is-managed" name="is-managed" value="false"/></meta_attributes>"#],
    &["-M", "-X", r#"<meta_attributes id="ip-meta_attributes"><nvpair id="ip-new" name="x" value="hank"/></meta_attributes>"#],
    &["-M", "-X", r#"<meta_attributes id="apache-meta_attributes"><nvpair id="apache-meta_attributes-target-role" name="target-role" value="Started"/></meta_attributes>"#],
    &["-C", "-o", "constraints", "-X", r#"<rsc_order id="fs-then-apache" first="fs" then="apache"/>"#],
    &["-C", "-o", "constraints", "-X", r#"<rsc_location id="web-on-node1" rsc="web" node="node1" score="100"/>"#],
    &["-C", "-o", "resources", "-X", r#"<primitive id="new" class="ocf" provider="heartbeat" type="Dummy"/>"#],
    &["-C", "-o", "resources", "-X", r#"<primitive id="p9" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="p9-m"><nvpair id="p9-n" name="x" value="hank"/></meta_attributes></primitive>"#],
    &["-D", "-X", r#"<rsc_order id="ip-then-web"/>"#],
    &["-D", "-X", r#"<rsc_location id="cli-ban-web-on-node2"/>"#],
    &["-D", "-X", r#"<nvpair id="ip-meta_attributes-target-role"/>"#],
    &["-D", "-X", r#"<nvpair id="ip-meta_attributes-requires"/>"#],
    &["-D", "--xpath", "//lrm_rsc_op[@id='ip_last_failure_0']"],
    &["-D", "--xpath", "//node_state[@uname='node1']/transient_attributes"],
    &["-M", "-o", "status", "-X", r#"<node_state id="1" crmd="offline"/>"#],
    &["-M", "-o", "status", "-X", r#"<node_state id="2" crmd="offline"/>"#],
    &["-M", "-o", "status", "-X", r#"<ticket_state id="ticketA" granted="false"/>"#],
    &["-C", "-o", "acls", "-X", r#"<acl_role id="new-role"/>"#],
    &["-M", "-X", r#"<acl_permission id="observer-read" kind="read" xpath="/cib/configuration"/>"#],
    &["-M", "-X", r#"<tickets><ticket_state id="ticketB" granted="true"/></tickets>"#],
];

/// Replace requests: cibadmin arguments built from the fixture text, and the replaced
/// element in the new CIB.
fn replacements(fixture: &str) -> Vec<(Vec<String>, &'static str)> {
    let section = |name: &str, text: &str| -> String {
        let start = text.find(&format!("<{name}>")).unwrap();
        let end_tag = format!("</{name}>");
        let end = text.find(&end_tag).unwrap() + end_tag.len();
        text[start..end].to_string()
    };
    let started = fixture.replace(r#"value="Stopped""#, r#"value="Started""#);
    let stopped = fixture.replace(r#"id="ip-meta_attributes-target-role" name="target-role" value="Started""#, r#"id="ip-meta_attributes-target-role" name="target-role" value="Stopped""#);
    let args = |scope: Option<&str>, xml: String| -> Vec<String> {
        let mut v = vec!["-R".to_string()];
        if let Some(scope) = scope {
            v.extend(["-o".to_string(), scope.to_string()]);
        }
        v.extend(["-X".to_string(), xml]);
        v
    };
    vec![
        (args(None, started.clone()), "/cib"),
        (args(None, stopped.clone()), "/cib"),
        (args(Some("resources"), section("resources", &started)), "/cib/configuration/resources"),
        (args(Some("resources"), section("resources", &stopped)), "/cib/configuration/resources"),
        (
            args(Some("constraints"), r#"<constraints><rsc_order id="ip-then-web" first="ip" then="web" kind="Optional"/></constraints>"#.to_string()),
            "/cib/configuration/constraints",
        ),
        (args(Some("status"), section("status", &fixture.replace(r#"crmd="online""#, r#"crmd="offline""#))), "/cib/status"),
    ]
}

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
    let fixture = fixture_text();
    let old = xml::parse(&fixture).unwrap();
    let mut changes: Vec<(Vec<String>, Option<&str>)> =
        EDITS.iter().map(|args| (args.iter().map(|a| a.to_string()).collect(), None)).collect();
    changes.extend(replacements(&fixture).into_iter().map(|(args, replaced)| (args, Some(replaced))));

    let mut failures = Vec::new();
    let (mut compared, mut accepted, mut refused) = (0, 0, 0);
    for (n, (change, replaced)) in changes.iter().enumerate() {
        let change: Vec<&str> = change.iter().map(String::as_str).collect();
        let shortened: Vec<String> = change.iter().map(|a| a.chars().take(70).collect()).collect();
        let label = format!("change #{n} {shortened:?}");
        let as_root = scratch.copy(&format!("root-{n}.xml"));
        let c = cibadmin(&as_root, None, &change);
        assert!(c.success, "{label} fails even for root: {}", c.stderr);
        let new = without_server_stamps(xml::parse(&std::fs::read_to_string(&as_root).unwrap()).unwrap(), &old);
        assert_ne!(new, old, "{label} changed nothing");
        let replaced_path = replaced.map(|xpath| xml::xpath::select(&new, xpath).unwrap().remove(0));
        for user in USERS {
            let as_user = scratch.copy(&format!("{user}-{n}.xml"));
            let c = cibadmin(&as_user, Some(user), &change);
            if !c.success {
                assert!(c.stderr.contains("Permission denied"), "{user} {label}: {}", c.stderr);
            }
            let context = AclContext::for_user(&old, user);
            let ours = match &replaced_path {
                None => context.check_write(&old, &new),
                Some(path) => context.check_replace(&old, &new, path),
            };
            compared += 1;
            if c.success {
                accepted += 1;
            } else {
                refused += 1;
            }
            if ours.is_ok() != c.success {
                failures.push(format!("{user} {label}: ours {ours:?}, cibadmin {}", if c.success { "accepted" } else { "refused" }));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {compared} differ:\n{}", failures.len(), failures.join("\n"));
    assert!(accepted > 60 && refused > 150, "accepted {accepted}, refused {refused}");
}

/// `enable-acl` spread over several property sets: whether ACLs apply to a user who is
/// denied everything tells whether libcib considers them enabled.
#[test]
fn enable_acl_resolution_matches_cibadmin() {
    if !cibadmin_available() {
        eprintln!("cibadmin not found; skipping");
        return;
    }
    let scratch = Scratch::new("options");
    let extra_sets = [
        "",
        r#"<cluster_property_set id="zz"><nvpair id="zz1" name="enable-acl" value="false"/></cluster_property_set>"#,
        r#"<cluster_property_set id="zz" score="5"><nvpair id="zz1" name="enable-acl" value="false"/></cluster_property_set>"#,
        r##"<cluster_property_set id="zz"><nvpair id="zz1" name="enable-acl" value="#default"/></cluster_property_set>"##,
        r#"<cluster_property_set id="a" score="3"><nvpair id="a1" name="enable-acl" value="no"/></cluster_property_set><cluster_property_set id="b" score="2"><nvpair id="b1" name="enable-acl" value="Yes"/></cluster_property_set>"#,
        r#"<cluster_property_set id="a"><nvpair id="a1" name="enable-acl" value="no"/></cluster_property_set><cluster_property_set id="b"><nvpair id="b1" name="enable-acl" value="on"/></cluster_property_set>"#,
        r#"<cluster_property_set id="a"><nvpair id="a1" name="enable-acl" value="off"/><nvpair id="a2" name="enable-acl" value="1"/></cluster_property_set>"#,
    ];
    for (n, extra) in extra_sets.iter().enumerate() {
        let text = fixture_text().replacen("</cluster_property_set>", &format!("</cluster_property_set>{extra}"), 1);
        let file = scratch.dir.join(format!("options-{n}.xml"));
        std::fs::write(&file, &text).unwrap();
        let c_enabled = !cibadmin(&file, Some("crook"), &["-Q"]).success;
        let cib = xml::parse(&text).unwrap();
        assert_eq!(libcrmcommon::acl::acls_enabled(&cib), c_enabled, "extra sets: {extra}");
    }
}

/// Pacemaker consults only groups' member lists: a user's primary group does not make
/// `acl_group` entries apply (unlike getgrouplist). Uses Debian's postgres account
/// (primary group postgres, listed in ssl-cert) when present.
#[test]
fn primary_groups_do_not_count() {
    if !cibadmin_available() || libcrmcommon::acl::group_members("postgres").is_none() {
        eprintln!("cibadmin or the postgres group not found; skipping");
        return;
    }
    let scratch = Scratch::new("groups");
    for group in ["ssl-cert", "postgres"] {
        let text = fixture_text().replace(r#"<acl_group id="ssl-cert">"#, &format!(r#"<acl_group id="{group}">"#));
        let file = scratch.dir.join(format!("{group}.xml"));
        std::fs::write(&file, &text).unwrap();
        let c_reads = cibadmin(&file, Some("postgres"), &["-Q"]).success;
        let cib = xml::parse(&text).unwrap();
        let ours = AclContext::for_user(&cib, "postgres").filter_readable(&cib).is_some();
        assert_eq!(ours, c_reads, "acl_group {group}");
    }
}
