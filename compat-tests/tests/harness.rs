//! The harness itself: a node starts, answers inside its namespaces only, and leaves
//! nothing behind.

use compat_tests::{compat_test, report_skip, running_as_root, select, ImplKind, Node, NodeOpts, Selection};
use std::fs;
use std::path::Path;

fn cib_answers_inside_the_node(node: &Node) {
    let cib = node.cib();
    assert_eq!(cib.name, "cib");
    let hostname = node.run(&["uname", "-n"]).expect_ok();
    assert_eq!(hostname.stdout.trim(), "node1");
    // Only the node's own processes are visible inside (private PID namespace with /proc).
    let ps = node.run(&["ps", "-eo", "comm="]).expect_ok();
    assert!(ps.stdout.lines().any(|comm| comm == "pacemaker-based"), "{ps}");
    assert!(ps.stdout.lines().count() < 10, "{ps}");
}
compat_test!(cib_answers_inside_the_node);

/// Directories and modes the daemons expect, as the real packages create them.
fn private_directories_have_debian_ownership(node: &Node) {
    let stat = node
        .run(&["stat", "-c", "%n %U:%G %a", "/run/crm", "/run/resource-agents", "/var/lib/pacemaker/cib", "/var/log/pacemaker"])
        .expect_ok();
    assert_eq!(
        stat.stdout,
        "/run/crm hacluster:haclient 750\n/run/resource-agents root:root 1755\n\
         /var/lib/pacemaker/cib hacluster:haclient 750\n/var/log/pacemaker hacluster:haclient 770\n"
    );
    let based_user = node.run(&["ps", "-C", "pacemaker-based", "-o", "user:16=,group:16="]).expect_ok();
    assert_eq!(based_user.stdout.split_whitespace().collect::<Vec<_>>(), ["hacluster", "haclient"]);
}
compat_test!(private_directories_have_debian_ownership);

fn mount_count(pid: &str) -> usize {
    fs::read_to_string(format!("/proc/{pid}/mountinfo")).map(|text| text.lines().count()).unwrap_or(0)
}

#[test]
fn teardown_leaves_no_process_or_mount_on_the_host() {
    const TEST: &str = "harness::teardown_leaves_no_process_or_mount_on_the_host";
    if !running_as_root() {
        report_skip(TEST, ImplKind::C, "compat tests need root (namespaces, mounts)");
        return;
    }
    let based = match select(ImplKind::C) {
        Selection::Run(based) => based,
        Selection::Skip(reason) => return report_skip(TEST, ImplKind::C, &reason),
    };
    let host_mounts = mount_count("self");
    let mut opts = NodeOpts::new(based);
    opts.name = "harness::teardown".to_owned();
    let node = Node::start(opts).expect("node starts");
    let pids = node.host_pids();
    assert!(pids.len() >= 3, "holder, corosync and based expected: {pids:?}");
    let holder = node.holder_pid().to_string();
    let node_mounts = mount_count(&holder);
    assert!(node_mounts > host_mounts, "the node has its own mounts");
    let dir = node.dir().to_path_buf();
    node.stop().expect("every process of the node is gone");
    for pid in pids {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "process {pid} survived");
    }
    assert_eq!(mount_count("self"), host_mounts, "host mounts unchanged");
    assert!(!dir.exists(), "a passing test removes its node directory");
}
