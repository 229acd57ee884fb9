//! ACLs and access control with Debian's cibadmin run as ordinary users.
//!
//! The users exist only inside the node: its /etc/passwd and /etc/group are bind-mounted copies
//! with the test users added, so the host's accounts are never touched.

use compat_tests::{compat_test, Node};

const USERS: [(&str, u32, bool); 3] = [("alice", 5101, true), ("bob", 5102, true), ("mallory", 5103, false)];

fn add_users(node: &Node) {
    let dir = node.dir().join("accounts");
    std::fs::create_dir_all(&dir).unwrap();
    let mut passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let mut group = std::fs::read_to_string("/etc/group").unwrap();
    let mut haclient_members = Vec::new();
    for (name, uid, in_haclient) in USERS {
        passwd.push_str(&format!("{name}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n"));
        group.push_str(&format!("{name}:x:{uid}:\n"));
        if in_haclient {
            haclient_members.push(name);
        }
    }
    let group: String = group
        .lines()
        .map(|l| {
            if l.starts_with("haclient:") {
                let sep = if l.ends_with(':') { "" } else { "," };
                format!("{l}{sep}{}\n", haclient_members.join(","))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(dir.join("passwd"), passwd).unwrap();
    std::fs::write(dir.join("group"), group).unwrap();
    for f in ["passwd", "group"] {
        let src = dir.join(f);
        node.run(&["mount", "--bind", src.to_str().unwrap(), &format!("/etc/{f}")]).expect_ok();
    }
}

fn as_user<'a>(node: &'a Node, user: &str, args: &[&str]) -> compat_tests::Output {
    let mut full = vec!["setpriv", "--reuid", user, "--regid", user, "--init-groups", "--"];
    full.extend_from_slice(args);
    node.run(&full)
}

const ACLS: &str = r#"<acls>
  <acl_role id="reader"><acl_permission id="reader-read" kind="read" xpath="/cib"/>
    <acl_permission id="reader-deny" kind="deny" xpath="//nvpair[@name='secret']"/></acl_role>
  <acl_role id="rsc-admin"><acl_permission id="rsc-write" kind="write" xpath="/cib/configuration/resources"/>
    <acl_permission id="rsc-read" kind="read" xpath="/cib"/></acl_role>
  <acl_target id="alice"><role id="reader"/></acl_target>
  <acl_target id="bob"><role id="rsc-admin"/></acl_target>
</acls>"#;

fn configure(node: &Node) {
    add_users(node);
    node.run(&["cibadmin", "--modify", "--allow-create", "-o", "crm_config", "--xml-text",
        r#"<cluster_property_set id="opts"><nvpair id="opts-secret" name="secret" value="s3cr3t"/><nvpair id="opts-acl" name="enable-acl" value="true"/></cluster_property_set>"#])
        .expect_ok();
    node.run(&["cibadmin", "--create", "-o", "configuration", "--xml-text", ACLS]).expect_ok();
}

fn reads_are_filtered(node: &Node) {
    configure(node);
    let root_view = node.run(&["cibadmin", "-Q"]).expect_ok().plain_stdout();
    assert!(root_view.contains("s3cr3t"));
    let alice = as_user(node, "alice", &["cibadmin", "-Q"]).expect_ok().plain_stdout();
    assert!(alice.contains("enable-acl"), "alice should read the configuration:\n{alice}");
    assert!(!alice.contains("s3cr3t"), "the denied nvpair leaked:\n{alice}");
}
compat_test!(reads_are_filtered);

fn writes_need_write_permission(node: &Node) {
    configure(node);
    let primitive = r#"<primitive id="acl-d1" class="ocf" provider="heartbeat" type="Dummy"/>"#;
    let denied = as_user(node, "alice", &["cibadmin", "-C", "-o", "resources", "--xml-text", primitive]);
    assert!(!denied.success(), "alice may not write");
    assert!(denied.plain_stderr().contains("Permission denied"), "{}", denied.plain_stderr());
    as_user(node, "bob", &["cibadmin", "-C", "-o", "resources", "--xml-text", primitive]).expect_ok();
    let outside = as_user(node, "bob", &["cibadmin", "--modify", "-o", "crm_config", "--xml-text",
        r#"<nvpair id="opts-secret" value="changed"/>"#]);
    assert!(!outside.success(), "bob may only write resources");
    let cib = node.run(&["cibadmin", "-Q"]).expect_ok().plain_stdout();
    assert!(cib.contains("acl-d1") && cib.contains("s3cr3t"), "{cib}");
}
compat_test!(writes_need_write_permission);

fn show_access_marks_denied_parts(node: &Node) {
    configure(node);
    // Run by root for alice: the whole CIB comes back and cibadmin marks what alice may do.
    let out = node.run(&["cibadmin", "-Q", "--show-access=namespace", "--user", "alice"]).expect_ok().plain_stdout();
    assert!(out.contains("<pcmk-access-readable:cib "), "{out}");
    assert!(out.contains(r#"<pcmk-access-denied:nvpair id="opts-secret" name="secret" value="s3cr3t"/>"#), "{out}");
}
compat_test!(show_access_marks_denied_parts);

fn outsiders_cannot_connect(node: &Node) {
    add_users(node);
    let out = as_user(node, "mallory", &["cibadmin", "-Q"]);
    assert!(!out.success(), "a user outside haclient got in");
}
compat_test!(outsiders_cannot_connect);
