//! corosync.conf for a one-node cluster on the node's own loopback interface.

/// Name of the node inside its namespaces (hostname and corosync node name).
pub const NODE_NAME: &str = "node1";
/// corosync node id of [`NODE_NAME`].
pub const NODE_ID: u32 = 1;
/// `totem.cluster_name`; the C daemons copy it into the CIB's `cluster-name` option.
pub const CLUSTER_NAME: &str = "compat";

/// The configuration, with paths as seen inside the node.
///
/// `uidgid { gid: haclient }` lets daemons running as hacluster use corosync's IPC. Under
/// systemd pacemakerd grants that at run time; the harness starts no pacemakerd.
pub fn config() -> String {
    format!(
        "totem {{
    version: 2
    cluster_name: {CLUSTER_NAME}
    transport: knet
    crypto_cipher: none
    crypto_hash: none
}}
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
}}
uidgid {{
    gid: {group}
}}
system {{
    state_dir: /var/lib/corosync
}}
nodelist {{
    node {{
        name: {NODE_NAME}
        nodeid: {NODE_ID}
        ring0_addr: 127.0.0.1
    }}
}}
",
        group = crate::accounts::CLUSTER_GROUP
    )
}
