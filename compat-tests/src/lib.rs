//! Compatibility-test harness: starts isolated single-node "clusters" (private network,
//! mount, PID and UTS namespaces) running either Debian's C `pacemaker-based` or ours, and
//! runs Debian's unchanged command-line tools inside them.
//!
//! The same test body is run against every implementation that is selected (see
//! [`ImplKind`] and the `PCMK_RS_BASED` environment variable), so assertions written from
//! the C daemon's observed behaviour judge the Rust daemon.
//!
//! ```ignore
//! use compat_tests::{compat_test, Node};
//!
//! fn query_whole_cib(node: &Node) {
//!     let cib = node.run(&["cibadmin", "-Q"]).expect_ok().xml();
//!     assert_eq!(cib.name, "cib");
//! }
//! compat_test!(query_whole_cib);
//! ```
//! See README.md beside this crate for the layout of a node.

mod accounts;
pub mod cib;
pub mod executor;
mod cluster;
mod cluster_member;
mod cluster_setup;
mod command;
mod corosync;
mod daemon_mix;
mod implementation;
mod launcher_node;
mod macros;
mod node;
mod node_env;
mod power_switch;
mod run_node;
mod sandbox;
pub mod systemd_init;

pub use cluster::{select_mix, wait_until, Cluster, ClusterOpts, Stack};
pub use cluster_member::Member;
pub use cluster_setup::{seed_cib, SeedCib};
pub use command::{Command, Output};
pub use daemon_mix::{Daemon, Mix, NodeDaemons};
pub use implementation::{select, workspace_binary, Impl, ImplKind, Selection};
pub use launcher_node::{rust_pacemakerd, select_launcher, LauncherNode, C_PACEMAKERD, SUBDAEMONS};
pub use libcrmcommon::xml::Element;
pub use power_switch::PowerEvent;
pub use node::{CDaemon, Node, NodeOpts, StartError};
pub use run_node::RunNode;

/// Whether this process may create namespaces and mounts (the harness needs root).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `body` against a fresh node with the implementation `kind`, or explains on stderr
/// why it is skipped (not root; implementation not selected or not built).
///
/// `test_path` names the test (its module path); it becomes the node's directory name under
/// `compat-tests/out/`. `configure` may change the node options before the start.
pub fn run_test(
    test_path: &str,
    kind: ImplKind,
    configure: impl FnOnce(&mut NodeOpts),
    body: impl FnOnce(&Node),
) {
    if !running_as_root() {
        report_skip(test_path, kind, "compat tests need root (namespaces, mounts)");
        return;
    }
    let implementation = match select(kind) {
        Selection::Run(implementation) => implementation,
        Selection::Skip(reason) => {
            report_skip(test_path, kind, &reason);
            return;
        }
    };
    let mut opts = NodeOpts::new(implementation);
    opts.name = format!("{test_path}::{}", kind.label());
    configure(&mut opts);
    let node = match Node::start(opts) {
        Ok(node) => node,
        Err(error) => panic!("{test_path} [{}]: node did not start: {error}", kind.label()),
    };
    body(&node);
}

/// Tells why a test did nothing. Written to the real stderr, past libtest's capture, so a
/// run that skipped everything says so.
pub fn report_skip(test_path: &str, kind: ImplKind, reason: &str) {
    use std::io::Write;
    // One write call, so that parallel tests do not interleave inside the line.
    let line = format!("SKIPPED {test_path} [{}]: {reason}\n", kind.label());
    std::io::stderr().write_all(line.as_bytes()).ok();
}
