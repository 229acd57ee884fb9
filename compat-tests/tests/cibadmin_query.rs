//! `cibadmin --query` in its variants, on a fresh node (empty CIB written by the daemon).

mod common;

use common::{compact, section, version};
use compat_tests::{cib, compat_test, Node};

/// A fresh daemon without cib.xml starts from an empty CIB at version 0.0.0.
fn query_fresh_cib(node: &Node) {
    let cib = node.cib();
    assert_eq!(cib.name, "cib");
    assert_eq!(cib::version(&cib), (0, 0, 0));
    assert_eq!(cib.attr("validate-with"), Some("pacemaker-3.9"));
    assert_eq!(cib.attr("crm_feature_set"), Some("3.16.1"));
    assert_eq!(cib::child_names(&cib), ["configuration", "status"]);
    let configuration = cib::at(&cib, &["configuration"]).expect("configuration");
    assert_eq!(cib::child_names(configuration), ["crm_config", "nodes", "resources", "constraints"]);
    assert!(configuration.elements().all(|section| section.children.is_empty()));
}
compat_test!(query_fresh_cib);

/// `-o`/`--scope` return just that section; an unknown section name returns the whole CIB.
fn query_scope(node: &Node) {
    for name in ["crm_config", "nodes", "resources", "constraints", "status"] {
        let short = node.run(&["cibadmin", "-Q", "-o", name]).expect_ok();
        assert_eq!(short.stdout, format!("<{name}/>\n"));
        let long = node.run(&["cibadmin", "--query", "--scope", name]).expect_ok();
        assert_eq!(long.stdout, short.stdout);
    }
    let configuration = section(node, "configuration");
    assert_eq!(cib::child_names(&configuration), ["crm_config", "nodes", "resources", "constraints"]);
    let unknown = node.run(&["cibadmin", "-Q", "-o", "bogus"]).expect_ok().xml();
    assert_eq!(unknown.name, "cib");
}
compat_test!(query_scope);

/// `--no-children` gives the element with its attributes only.
fn query_no_children(node: &Node) {
    let top = node.run(&["cibadmin", "-Q", "--no-children"]).expect_ok().xml();
    assert_eq!(top.name, "cib");
    assert!(top.children.is_empty());
    assert_eq!(cib::version(&top), (0, 0, 0));
    let configuration = node.run(&["cibadmin", "-Q", "-A", "//configuration", "--no-children"]).expect_ok();
    assert_eq!(configuration.stdout, "<configuration/>\n");
}
compat_test!(query_no_children);

/// `-l`/`--local` and `-s`/`--sync-call` answer like a plain query.
fn query_local_and_sync(node: &Node) {
    let plain = node.run(&["cibadmin", "-Q"]).expect_ok();
    for flag in ["-l", "--local", "-s", "--sync-call"] {
        let flagged = node.run(&["cibadmin", "-Q", flag]).expect_ok();
        assert_eq!(flagged.stdout, plain.stdout, "cibadmin -Q {flag}");
    }
    let both = node.run(&["cibadmin", "-Q", "-l", "-s", "-o", "constraints"]).expect_ok();
    assert_eq!(both.stdout, "<constraints/>\n");
}
compat_test!(query_local_and_sync);

fn add_two_target_roles(node: &Node) {
    for id in ["a", "b"] {
        let primitive = format!(
            r#"<primitive id="{id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="{id}-meta"><nvpair id="{id}-role" name="target-role" value="Stopped"/></meta_attributes></primitive>"#
        );
        node.run(&["cibadmin", "--create", "-o", "resources", "--xml-text", &primitive]).expect_ok();
    }
}

/// `--xpath`/`-A`: one match is printed as is, several inside `<xpath-query>`, none fails
/// with ENXIO (exit 105). `-e` prints the matches' paths. The XPath wins over `-o`.
fn query_xpath(node: &Node) {
    let one = node.run(&["cibadmin", "-Q", "--xpath", "//resources"]).expect_ok();
    assert_eq!(one.stdout, "<resources/>\n");

    let none = node.run(&["cibadmin", "-Q", "--xpath", "//nothing"]).expect_code(105);
    assert_eq!(none.stdout, "");
    assert_eq!(none.stderr, "Call cib_query failed: No such device or address\n");

    add_two_target_roles(node);
    let xpath = r#"//nvpair[@name="target-role"]"#;
    let many = node.run(&["cibadmin", "-Q", "-A", xpath]).expect_ok().xml();
    assert_eq!(
        compact(&many),
        r#"<xpath-query><nvpair id="a-role" name="target-role" value="Stopped"/><nvpair id="b-role" name="target-role" value="Stopped"/></xpath-query>"#
    );
    let paths = node.run(&["cibadmin", "-Q", "-A", xpath, "-e"]).expect_ok();
    assert_eq!(
        paths.stdout,
        "/cib/configuration/resources/primitive[@id='a']/meta_attributes[@id='a-meta']/nvpair[@id='a-role']\n\
         /cib/configuration/resources/primitive[@id='b']/meta_attributes[@id='b-meta']/nvpair[@id='b-role']\n"
    );
    let xpath_over_scope = node.run(&["cibadmin", "-Q", "-o", "crm_config", "-A", "//primitive[@id='b']"]).expect_ok();
    assert_eq!(xpath_over_scope.xml().id(), Some("b"));
}
compat_test!(query_xpath);

/// Reads do not change the version.
fn query_does_not_write(node: &Node) {
    for _ in 0..3 {
        node.run(&["cibadmin", "-Q"]).expect_ok();
    }
    assert_eq!(version(node), (0, 0, 0));
}
compat_test!(query_does_not_write);

/// `--md5-sum` works offline on the given XML: digest on stdout, "Digest: " on stderr.
fn md5_sum(node: &Node) {
    let doc = r#"<cib epoch="1" num_updates="0" admin_epoch="0"><configuration/></cib>"#;
    let digest = node.run(&["cibadmin", "--md5-sum", "-X", doc]).expect_ok();
    assert_eq!(digest.stdout, "09600236823bc417d9f9a207461556e2\n");
    assert_eq!(digest.stderr, "Digest: ");
    let versioned = node.run(&["cibadmin", "--md5-sum-versioned", "-X", doc]).expect_ok();
    assert_eq!(versioned.stdout, "09600236823bc417d9f9a207461556e2\n");
    let missing = node.run(&["cibadmin", "--md5-sum"]).expect_code(64);
    assert_eq!(missing.stderr, "Please supply XML to process with -X, -x or -p\n");
}
compat_test!(md5_sum);

/// The digest of the live CIB, fed back through stdin, matches the one of the same text
/// given with -X (the daemon's output is a well-formed, stable document).
fn md5_sum_of_live_cib(node: &Node) {
    let live = node.run(&["cibadmin", "-Q"]).expect_ok();
    let from_pipe = node.cmd(&["cibadmin", "--md5-sum", "-p"]).stdin(&live.stdout).run().expect_ok();
    let from_text = node.run(&["cibadmin", "--md5-sum", "-X", &live.stdout]).expect_ok();
    assert_eq!(from_pipe.stdout, from_text.stdout);
    assert_eq!(from_pipe.stdout.trim().len(), 32);
}
compat_test!(md5_sum_of_live_cib);
