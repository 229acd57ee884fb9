//! The cluster layer against a real corosync, and against Debian's C
//! `pacemaker-based` on that corosync.
//!
//! Needs root, corosync, util-linux `unshare`/`setpriv`, iproute2 and (for the
//! interop test) pacemaker. Without them each test prints `SKIPPED: ...` and
//! passes.
//!
//! Every test runs in its own sandbox: this test binary re-executes itself
//! with `unshare --net --mount --pid --fork --mount-proc` and inside mounts a
//! private tmpfs on /dev/shm and /run and binds its own directories over
//! /etc/corosync (and /var/lib/pacemaker), so the host's corosync and other
//! people's clusters are never touched, and everything started inside dies
//! with the sandbox's PID 1. Corosync is a single node `node1` on 127.0.0.1
//! (knet, no crypto) with its state and log in the sandbox directory.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use libcrmcommon::cluster::{
    authorize_group, cluster_name, ClusterEvent, ClusterLayer, ClusterMessage, CorosyncCluster,
    MessageType, Target,
};
use libcrmcommon::xml::{self, Element};

/// Set (to the sandbox directory) in the re-executed test binary.
const SANDBOX_ENV: &str = "PCMK_RS_CLUSTER_SANDBOX";
/// Set in child processes that play one CPG peer.
const PEER_ENV: &str = "PCMK_RS_CLUSTER_PEER";

const CLUSTER_NAME: &str = "rstest";
const NODE_NAME: &str = "node1";
const GROUP: &str = "X";

// ---------------------------------------------------------------------------
// Sandbox
// ---------------------------------------------------------------------------

fn skip_reason(needs_pacemaker: bool) -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root".into());
    }
    let mut tools = vec!["/usr/sbin/corosync", "/usr/sbin/corosync-cmapctl", "/usr/bin/unshare", "/usr/sbin/ip"];
    if needs_pacemaker {
        tools.extend(["/usr/lib/pacemaker/pacemaker-based", "/usr/sbin/cibadmin", "/usr/bin/setpriv"]);
    }
    for tool in tools {
        if !Path::new(tool).exists() {
            return Some(format!("{tool} is not installed"));
        }
    }
    let probe = Command::new("unshare")
        .args(["--net", "--mount", "--pid", "--fork", "--mount-proc", "true"])
        .status();
    if !matches!(probe, Ok(s) if s.success()) {
        return Some("cannot create namespaces with unshare".into());
    }
    if needs_pacemaker && haclient_gid().is_none() {
        return Some("no hacluster user / haclient group".into());
    }
    None
}

fn haclient_gid() -> Option<u32> {
    let out = Command::new("id").args(["-g", "hacluster"]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn corosync_conf(dir: &Path) -> String {
    format!(
        "totem {{\n    version: 2\n    cluster_name: {CLUSTER_NAME}\n    transport: knet\n    \
         crypto_cipher: none\n    crypto_hash: none\n}}\n\
         nodelist {{\n    node {{\n        ring0_addr: 127.0.0.1\n        name: {NODE_NAME}\n        nodeid: 1\n    }}\n}}\n\
         quorum {{\n    provider: corosync_votequorum\n}}\n\
         logging {{\n    to_logfile: yes\n    logfile: {log}\n    to_syslog: no\n    to_stderr: no\n    timestamp: on\n}}\n\
         system {{\n    state_dir: {state}\n}}\n",
        log = dir.join("corosync.log").display(),
        state = dir.join("corosync-state").display(),
    )
}

/// Run the test function `test_name` of this binary again inside a fresh
/// sandbox and return its output. The sandbox directory is removed when the
/// run succeeds and kept (and named in the panic) when it fails.
fn run_in_sandbox(test_name: &str, with_pacemaker_dirs: bool) -> Output {
    let dir = std::env::temp_dir().join(format!(
        "pcmk-rs-cluster-{}-{}-{}",
        test_name,
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc-corosync")).expect("sandbox dir");
    fs::create_dir_all(dir.join("corosync-state")).expect("state dir");
    // Daemons running as hacluster must reach their log file in here.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(dir.join("etc-corosync/corosync.conf"), corosync_conf(&dir)).expect("corosync.conf");

    let mut mounts = format!(
        "mount -t tmpfs -o mode=1777 tmpfs /dev/shm && \
         mount -t tmpfs -o mode=0755 tmpfs /run && \
         mount --bind {dir}/etc-corosync /etc/corosync",
        dir = dir.display()
    );
    if with_pacemaker_dirs {
        let lib = dir.join("var-lib-pacemaker");
        for sub in ["cib", "pengine", "blackbox", "cores"] {
            fs::create_dir_all(lib.join(sub)).expect("pacemaker dirs");
        }
        let status = Command::new("chown")
            .args(["-R", "hacluster:haclient"])
            .arg(&lib)
            .status()
            .expect("chown");
        assert!(status.success());
        mounts.push_str(&format!(
            " && mount --bind {} /var/lib/pacemaker && mkdir -p /run/crm && chown hacluster:haclient /run/crm",
            lib.display()
        ));
    }
    let script = format!("set -e; ip link set lo up; {mounts}; exec \"$@\"");
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new("unshare")
        .args(["--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private"])
        .args(["/bin/sh", "-c", &script, "sandbox"])
        .arg(&exe)
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(SANDBOX_ENV, &dir)
        .output()
        .expect("run unshare");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("--- sandbox output of {test_name} ---\n{text}\n--- end ---");
    assert!(
        output.status.success() && text.contains("SANDBOX-OK"),
        "sandboxed {test_name} failed ({}); sandbox kept in {}",
        output.status,
        dir.display()
    );
    let _ = fs::remove_dir_all(&dir);
    output
}

/// The sandbox directory when running inside the sandbox.
fn sandbox_dir() -> Option<PathBuf> {
    std::env::var_os(SANDBOX_ENV).map(PathBuf::from)
}

/// The sandbox directory when the test `test_name` already runs inside its sandbox;
/// otherwise None, after running the test again inside a fresh sandbox (or saying why it
/// is skipped), and the caller returns: its real work happens in the sandboxed run.
fn sandbox_or_rerun(test_name: &str, with_pacemaker: bool) -> Option<PathBuf> {
    if let Some(dir) = sandbox_dir() {
        return Some(dir);
    }
    match skip_reason(with_pacemaker) {
        Some(why) => eprintln!("SKIPPED {test_name}: {why}"),
        None => {
            run_in_sandbox(test_name, with_pacemaker);
        }
    }
    None
}

/// A process started inside the sandbox, killed when dropped.
struct Daemon {
    name: &'static str,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: plain kill(2) of our own child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop on SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_corosync() -> Daemon {
    let child = Command::new("/usr/sbin/corosync")
        .args(["-f", "-c", "/etc/corosync/corosync.conf"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start corosync");
    let daemon = Daemon { name: "corosync", child };
    wait_until(Duration::from_secs(20), "corosync to answer cmap", || {
        Command::new("corosync-cmapctl")
            .args(["-g", "runtime.votequorum.this_node_id"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    });
    daemon
}

fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------
// Driving a cluster layer
// ---------------------------------------------------------------------------

/// Poll the layer's fds and dispatch, appending to `seen`, until `done`
/// holds for everything seen so far. Panics after `limit`.
fn pump_into(
    cluster: &mut dyn ClusterLayer,
    seen: &mut Vec<ClusterEvent>,
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&[ClusterEvent]) -> bool,
) {
    let deadline = Instant::now() + limit;
    loop {
        if done(seen) {
            return;
        }
        let now = Instant::now();
        assert!(now < deadline, "timed out waiting for {what}; saw {seen:#?}");
        let mut fds: Vec<libc::pollfd> = cluster
            .poll_fds()
            .into_iter()
            .map(|fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 })
            .collect();
        let timeout = (deadline - now).min(Duration::from_millis(200)).as_millis() as libc::c_int;
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if cluster.retry_after().is_some() {
            let _ = cluster.flush();
        }
        seen.extend(cluster.dispatch());
    }
}

/// Like [`pump_into`], starting from nothing; returns the events.
fn pump(
    cluster: &mut dyn ClusterLayer,
    limit: Duration,
    what: &str,
    done: impl FnMut(&[ClusterEvent]) -> bool,
) -> Vec<ClusterEvent> {
    let mut seen = Vec::new();
    pump_into(cluster, &mut seen, limit, what, done);
    seen
}

/// Dispatch whatever arrives during `period`.
fn collect_for(cluster: &mut dyn ClusterLayer, period: Duration) -> Vec<ClusterEvent> {
    let until = Instant::now() + period;
    pump(cluster, period + Duration::from_secs(1), "a quiet period", |_| Instant::now() >= until)
}

fn messages(events: &[ClusterEvent]) -> impl Iterator<Item = &ClusterMessage> {
    events.iter().filter_map(|e| match e {
        ClusterEvent::Message(m) => Some(m),
        _ => None,
    })
}

/// A payload above the compression threshold that does not compress to
/// nothing: a few thousand distinct nvpairs.
fn large_payload(label: &str) -> Element {
    let mut root = Element::new("test_msg").with_attr("from", label).with_attr("kind", "large");
    for i in 0..4000 {
        root.push_child(
            Element::new("nvpair")
                .with_attr("id", format!("{label}-nv-{i}"))
                .with_attr("name", format!("attribute-{}", i * 7919 % 10007))
                .with_attr("value", format!("{:x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))),
        );
    }
    root
}

// ---------------------------------------------------------------------------
// Test 1: two of our processes in group X
// ---------------------------------------------------------------------------

/// One CPG peer, run as a child process inside the sandbox: joins X, waits
/// for the other peer, sends a broadcast, a message addressed to this node,
/// one addressed to a node that does not exist, and a large one, then checks
/// what it received from both peers and prints a summary line.
fn run_peer(label: &str) {
    let mut cluster = CorosyncCluster::connect().expect("connect to corosync");
    let me = cluster.local_node().clone();
    assert_eq!(me.id, 1);
    assert_eq!(me.name, NODE_NAME);
    assert!(cluster.track_quorum().expect("quorum"), "single node must be quorate");
    cluster.join(GROUP).expect("join X");
    let my_pid = std::process::id();

    let mut events = pump(&mut cluster, Duration::from_secs(20), "both peers in X", |seen| {
        seen.iter().any(|e| matches!(e,
            ClusterEvent::Membership { group, members, local_is_member: true, .. }
                if group == GROUP && members.len() == 2))
    });

    let broadcast = Element::new("test_msg").with_attr("from", label).with_attr("kind", "broadcast");
    cluster.send(GROUP, None, MessageType::CRMD, &broadcast).expect("broadcast");
    let elsewhere = Element::new("test_msg").with_attr("from", label).with_attr("kind", "elsewhere");
    cluster
        .send(GROUP, Some(&Target::node(2, "node2")), MessageType::CRMD, &elsewhere)
        .expect("send to node2");
    let by_name = Element::new("test_msg").with_attr("from", label).with_attr("kind", "addressed");
    cluster
        .send(GROUP, Some(&Target::by_name("NODE1")), MessageType::CRMD, &by_name)
        .expect("send to node1");
    let large = large_payload(label);
    let large_text = xml::to_compact(&large);
    assert!(large_text.len() > 128 * 1024, "large payload must cross the compression threshold");
    cluster.send(GROUP, None, MessageType::ATTRD, &large).expect("large");

    pump_into(&mut cluster, &mut events, Duration::from_secs(20), "all messages", |seen| {
        messages(seen).filter(|m| m.payload.name == "test_msg").count() >= 6
    });
    // Give a wrongly delivered message time to show up.
    events.extend(collect_for(&mut cluster, Duration::from_millis(700)));

    let mut order: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for m in messages(&events) {
        let kind = m.payload.attr("kind").unwrap_or("?").to_string();
        assert_ne!(kind, "elsewhere", "a message addressed to node2 was delivered");
        assert_eq!(m.group, GROUP);
        assert_eq!(m.from_node_id, 1);
        assert_eq!(m.from_name, NODE_NAME);
        assert_eq!(m.payload.attr("src"), Some(NODE_NAME));
        // Group X is no daemon's group, so C's rule makes the pid the type.
        assert_eq!(m.sender_type, MessageType(m.from_pid));
        assert_eq!(m.addressed, kind == "addressed");
        assert_eq!(m.compressed, kind == "large");
        if kind == "large" {
            assert_eq!(m.destination_type, MessageType::ATTRD);
            let from = m.payload.attr("from").unwrap_or("?");
            let mut expected = large_payload(from);
            expected.set_attr("src", NODE_NAME);
            assert_eq!(m.payload, expected, "large message from {from} changed in transit");
        } else {
            assert_eq!(m.destination_type, MessageType::CRMD);
        }
        order.entry(m.from_pid).or_default().push(kind);
    }
    assert_eq!(order.len(), 2, "messages from both peers: {order:?}");
    for kinds in order.values() {
        assert_eq!(kinds, &["broadcast", "addressed", "large"], "per-sender order kept");
    }
    assert!(order.contains_key(&my_pid), "own messages are delivered back");

    let quorum = events.iter().find_map(|e| match e {
        ClusterEvent::Quorum { quorate, members, .. } => Some((*quorate, members.clone())),
        _ => None,
    });
    let (quorate, members) = quorum.expect("a quorum event after track_quorum");
    assert!(quorate);
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].node_id, 1);
    assert_eq!(members[0].name.as_deref(), Some(NODE_NAME));

    println!("PEER-{label}-OK pid={my_pid} received={order:?}");
}

#[test]
fn cpg_peer_role() {
    // Only does something when started as a peer by the test below.
    if let Ok(label) = std::env::var(PEER_ENV) {
        run_peer(&label);
    }
}

#[test]
fn two_processes_exchange_messages_membership_and_quorum() {
    let Some(_dir) = sandbox_or_rerun("two_processes_exchange_messages_membership_and_quorum", false) else {
        return;
    };
    let _corosync = start_corosync();
    assert_eq!(cluster_name().expect("cmap"), Some(CLUSTER_NAME.to_string()));

    let exe = std::env::current_exe().expect("test binary");
    let peers: Vec<(String, Child)> = ["A", "B"]
        .iter()
        .map(|label| {
            let child = Command::new(&exe)
                .args(["--exact", "cpg_peer_role", "--nocapture", "--test-threads=1"])
                .env(PEER_ENV, label)
                .env_remove(SANDBOX_ENV)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start peer");
            (label.to_string(), child)
        })
        .collect();
    for (label, child) in peers {
        let out = child.wait_with_output().expect("peer output");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        println!("peer {label}:\n{text}");
        assert!(out.status.success() && text.contains(&format!("PEER-{label}-OK")), "peer {label} failed");
    }
    println!("SANDBOX-OK");
}

// ---------------------------------------------------------------------------
// Test 2: interoperation with C pacemaker-based
// ---------------------------------------------------------------------------

fn start_based(dir: &Path) -> Daemon {
    let child = Command::new("setpriv")
        .args(["--reuid=hacluster", "--regid=haclient", "--init-groups", "--"])
        .arg("/usr/lib/pacemaker/pacemaker-based")
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("PCMK_logfile", dir.join("pacemaker.log"))
        .env("PCMK_logfacility", "none")
        .env("PCMK_debug", "no")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pacemaker-based");
    let daemon = Daemon { name: "pacemaker-based", child };
    wait_until(Duration::from_secs(30), "pacemaker-based to answer cibadmin -Q", || {
        Command::new("cibadmin")
            .args(["-Q", "-t", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    });
    daemon
}

/// Whether a process running as hacluster:haclient may use corosync's cmap.
fn cmap_readable_as_hacluster() -> bool {
    Command::new("setpriv")
        .args(["--reuid=hacluster", "--regid=haclient", "--init-groups", "--"])
        .args(["corosync-cmapctl", "-g", "totem.cluster_name"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn cibadmin(args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new("cibadmin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cibadmin");
    if let Some(text) = input {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("cibadmin output");
    assert!(out.status.success(), "cibadmin {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn from_based<'a>(events: &'a [ClusterEvent], based_pid: u32, op: &str, name: &str) -> Option<&'a ClusterMessage> {
    messages(events).find(|m| {
        m.from_pid == based_pid && m.payload.name == name && m.payload.attr("cib_op") == Some(op)
    })
}

fn nvpair_value(root: &Element, id: &str) -> Option<String> {
    root.descendants()
        .find(|e| e.name == "nvpair" && e.attr("id") == Some(id))
        .and_then(|e| e.attr("value").map(str::to_string))
}

#[test]
fn interoperates_with_c_pacemaker_based() {
    let Some(dir) = sandbox_or_rerun("interoperates_with_c_pacemaker_based", true) else {
        return;
    };
    let _corosync = start_corosync();
    // based runs as hacluster, which corosync refuses until this is set.
    assert!(!cmap_readable_as_hacluster(), "corosync let hacluster in before uidgid was set");
    authorize_group(haclient_gid().expect("haclient gid")).expect("set uidgid.gid");
    assert!(cmap_readable_as_hacluster(), "uidgid.gid.<haclient> did not let hacluster in");
    let based = start_based(&dir);
    let based_pid = based.child.id();

    let mut cluster = CorosyncCluster::connect().expect("connect");
    cluster.join("cib").expect("join cib");
    let events = pump(&mut cluster, Duration::from_secs(20), "based and us in group cib", |seen| {
        seen.iter().any(|e| matches!(e,
            ClusterEvent::Membership { group, members, .. }
                if group == "cib"
                    && members.iter().any(|m| m.pid == based_pid)
                    && members.iter().any(|m| m.pid == std::process::id())))
    });
    println!("membership: {events:?}");

    // 1. A CIB write: based forwards the client's request to the group.
    cibadmin(
        &["--modify", "--allow-create", "--scope", "crm_config", "--xml-text",
          "<cluster_property_set id=\"interop\"><nvpair id=\"interop-nv\" name=\"interop\" value=\"42\"/></cluster_property_set>"],
        None,
    );
    let events = pump(&mut cluster, Duration::from_secs(10), "the forwarded cib_modify", |seen| {
        from_based(seen, based_pid, "cib_modify", "cib_command").is_some()
    });
    let forwarded = from_based(&events, based_pid, "cib_modify", "cib_command").expect("forwarded");
    println!("forwarded by based: {}", xml::to_compact(&forwarded.payload));
    assert_eq!(forwarded.group, "cib");
    assert_eq!(forwarded.from_node_id, 1);
    assert_eq!(forwarded.from_name, NODE_NAME);
    assert_eq!(forwarded.sender_type, MessageType::CIB);
    assert_eq!(forwarded.destination_type, MessageType::CIB);
    assert!(!forwarded.addressed);
    assert_eq!(forwarded.payload.attr("t"), Some("cib"));
    assert_eq!(forwarded.payload.attr("cib_delegated_from"), Some(NODE_NAME));
    assert_eq!(forwarded.payload.attr("src"), Some(NODE_NAME));
    assert_eq!(nvpair_value(&forwarded.payload, "interop-nv").as_deref(), Some("42"));

    // 2. A write above the compression threshold: based's copy arrives
    //    bzip2-compressed and must decode to the same XML.
    let mut big_set = Element::new("cluster_property_set").with_attr("id", "interop-big");
    for i in 0..3000 {
        big_set.push_child(
            Element::new("nvpair")
                .with_attr("id", format!("big-{i}"))
                .with_attr("name", format!("big-{i}"))
                .with_attr("value", format!("{:x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))),
        );
    }
    let big_text = xml::to_compact(&big_set);
    assert!(big_text.len() > 128 * 1024);
    cibadmin(&["--modify", "--allow-create", "--scope", "crm_config", "--xml-pipe"], Some(&big_text));
    let events = pump(&mut cluster, Duration::from_secs(20), "the large forwarded cib_modify", |seen| {
        messages(seen).any(|m| m.from_pid == based_pid && nvpair_value(&m.payload, "big-2999").is_some())
    });
    let big = messages(&events)
        .find(|m| m.from_pid == based_pid && nvpair_value(&m.payload, "big-2999").is_some())
        .expect("large forwarded");
    let received_set = big
        .payload
        .descendants()
        .find(|e| e.name == "cluster_property_set" && e.attr("id") == Some("interop-big"))
        .expect("property set in the forwarded request");
    assert_eq!(received_set, &big_set, "the compressed C message decoded to different XML");
    assert!(big.compressed, "C sends messages of this size bzip2-compressed");
    assert!(!forwarded.compressed);
    println!("large forwarded message: {} bytes of XML", xml::to_compact(&big.payload).len());

    // 3. A query addressed to based's node; based answers to our node.
    let query = Element::new("cib_command")
        .with_attr("t", "cib")
        .with_attr("cib_op", "cib_query")
        .with_attr("cib_host", NODE_NAME)
        .with_attr("cib_section", "crm_config")
        .with_attr("cib_callid", "7")
        .with_attr("cib_callopt", "0")
        .with_attr("cib_clientid", "rust-cluster-test")
        .with_attr("cib_clientname", "rust-cluster-test");
    cluster
        .send("cib", Some(&Target::node(1, NODE_NAME)), MessageType::CIB, &query)
        .expect("send query");
    let events = pump(&mut cluster, Duration::from_secs(10), "based's query reply", |seen| {
        from_based(seen, based_pid, "cib_query", "cib-reply").is_some()
    });
    let reply = from_based(&events, based_pid, "cib_query", "cib-reply").expect("reply");
    println!("query reply: {:.600}", xml::to_compact(&reply.payload));
    assert!(reply.addressed, "the reply is addressed to our node");
    assert_eq!(reply.payload.attr("cib_rc"), Some("0"));
    assert_eq!(reply.payload.attr("cib_callid"), Some("7"));
    assert_eq!(reply.payload.attr("cib_clientid"), Some("rust-cluster-test"));
    assert_eq!(reply.payload.attr("cib_isreplyto"), Some(NODE_NAME));
    let data = reply.payload.child("cib_calldata").expect("cib_calldata");
    assert_eq!(nvpair_value(data, "interop-nv").as_deref(), Some("42"));
    // Our own request came back to us as well (CPG delivers to the sender).
    assert!(messages(&events).any(|m| m.from_pid == std::process::id() && m.payload.name == "cib_command"));

    // 4. A broadcast ping; based answers with its CIB digest, which must be
    //    the versioned digest cibadmin computes for the same CIB.
    let ping = Element::new("cib_command")
        .with_attr("t", "cib")
        .with_attr("cib_op", "ping")
        .with_attr("cib_ping_id", "424242")
        .with_attr("cib_callid", "8")
        .with_attr("cib_callopt", "0")
        .with_attr("cib_clientid", "rust-cluster-test");
    cluster.send("cib", None, MessageType::CIB, &ping).expect("send ping");
    let events = pump(&mut cluster, Duration::from_secs(10), "based's ping reply", |seen| {
        from_based(seen, based_pid, "ping", "cib-reply").is_some()
    });
    let pong = from_based(&events, based_pid, "ping", "cib-reply").expect("ping reply");
    println!("ping reply: {}", xml::to_compact(&pong.payload));
    let answer = pong
        .payload
        .child("cib_calldata")
        .and_then(|d| d.child("ping_response"))
        .expect("ping answer");
    assert_eq!(answer.attr("cib_ping_id"), Some("424242"));
    let cib = cibadmin(&["-Q"], None);
    let expected_digest = cibadmin(&["--md5-sum-versioned", "--xml-pipe"], Some(&cib));
    assert_eq!(answer.attr("digest"), Some(expected_digest.trim()));

    // 5. based leaves: the membership change names it.
    drop(based);
    let events = pump(&mut cluster, Duration::from_secs(10), "based leaving group cib", |seen| {
        seen.iter().any(|e| matches!(e,
            ClusterEvent::Membership { left, .. } if left.iter().any(|c| c.member.pid == based_pid)))
    });
    println!("after based stopped: {events:?}");
    let still_member = events.iter().any(|e| matches!(e,
        ClusterEvent::Membership { local_is_member: true, members, .. }
            if members.iter().all(|m| m.pid != based_pid)));
    assert!(still_member, "we stay in the group without based");
    println!("SANDBOX-OK");
}

