//! corosync.conf for a one-node cluster on the node's own loopback interface.

/// Name of the node inside its namespaces (hostname and corosync node name).
pub const NODE_NAME: &str = "node1";
/// `totem.cluster_name`; the C daemons copy it into the CIB's `cluster-name` option.
pub const CLUSTER_NAME: &str = "compat";

/// The configuration of the one-node harness, with paths as seen inside the node.
pub fn config() -> String {
    render(CLUSTER_NAME, None, &[(NODE_NAME.to_owned(), "127.0.0.1".to_owned())])
}

/// corosync.conf for `nodes` (name, ring0 address; node ids count from 1), the one
/// generator behind every test cluster's configuration.
///
/// `token_ms` shortens the token timeout (a lost member noticed in ~2 s with 1000 instead
/// of ~8 s). With two nodes `two_node: 1` keeps the survivor quorate when the other one
/// leaves (it implies `wait_for_all`, which the tests satisfy by starting every member at
/// once). `uidgid { gid: haclient }` lets daemons running as hacluster use corosync's IPC:
/// under systemd pacemakerd grants that at run time, and some harnesses start no pacemakerd.
pub fn render(cluster_name: &str, token_ms: Option<u32>, nodes: &[(String, String)]) -> String {
    let token = token_ms.map(|ms| format!("    token: {ms}\n")).unwrap_or_default();
    let two_node = if nodes.len() == 2 { "    two_node: 1\n" } else { "" };
    let mut nodelist = String::new();
    for (position, (name, address)) in nodes.iter().enumerate() {
        nodelist.push_str(&format!(
            "    node {{\n        name: {name}\n        nodeid: {}\n        ring0_addr: {address}\n    }}\n",
            position + 1
        ));
    }
    format!(
        "totem {{
    version: 2
    cluster_name: {cluster_name}
    transport: knet
    crypto_cipher: none
    crypto_hash: none
{token}}}
logging {{
    fileline: off
    to_stderr: no
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_syslog: no
    timestamp: hires
    debug: off
}}
quorum {{
    provider: corosync_votequorum
{two_node}}}
uidgid {{
    gid: {group}
}}
system {{
    state_dir: /var/lib/corosync
}}
nodelist {{
{nodelist}}}
",
        group = crate::accounts::CLUSTER_GROUP
    )
}
