//! The launcher: a node where corosync and a `pacemakerd` start Debian's six C subdaemons.
//! Every body runs with Debian's C pacemakerd (the oracle) and with ours.
//!
//! Pinned: corosync gets `uidgid.gid.<haclient>` from the launcher (the node's corosync.conf
//! does not grant it); the node elects itself DC and `crm_mon -1` reports the launcher
//! running; `crmadmin -P` answers "running"; a subdaemon killed with SIGKILL is respawned
//! (new PID, Pacemaker's log line) and the node carries on; `pacemakerd --shutdown` (the
//! C client and ours, against either launcher) stops every subdaemon and the launcher
//! exits 0.

use compat_tests::{report_skip, running_as_root, rust_pacemakerd, select_launcher, ImplKind, LauncherNode, SUBDAEMONS};
use std::path::PathBuf;
use std::time::Duration;

const DC_TIMEOUT: Duration = Duration::from_secs(90);

fn start(test: &str, kind: ImplKind) -> Option<LauncherNode> {
    if !running_as_root() {
        report_skip(test, kind, "needs root (namespaces, mounts)");
        return None;
    }
    let launcher = match select_launcher(kind) {
        Ok(path) => path,
        Err(reason) => {
            report_skip(test, kind, &reason);
            return None;
        }
    };
    match LauncherNode::start(&format!("{test}::{}", kind.label()), &launcher) {
        Ok(node) => Some(node),
        Err(e) => panic!("{test} [{}]: node did not start: {e}", kind.label()),
    }
}

/// The haclient group's id, as corosync's cmap key names it.
fn haclient_gid() -> u32 {
    let groups = std::fs::read_to_string("/etc/group").expect("/etc/group");
    groups
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next()? == "haclient").then(|| fields.nth(1)?.parse().ok())?
        })
        .expect("haclient group")
}

fn wait_for_dc(node: &LauncherNode) -> String {
    node.wait_until(&["crm_mon", "-1"], DC_TIMEOUT, |out| out.success() && out.stdout.contains("Current DC: node1"))
        .stdout
}

/// Waits until every subdaemon runs, and returns their PIDs in start order.
fn all_subdaemons(node: &LauncherNode) -> Vec<u32> {
    let deadline = std::time::Instant::now() + DC_TIMEOUT;
    loop {
        let pids: Vec<Vec<u32>> = SUBDAEMONS.iter().map(|name| node.pids_of(name)).collect();
        if pids.iter().all(|p| p.len() == 1) {
            return pids.into_iter().map(|p| p[0]).collect();
        }
        assert!(std::time::Instant::now() < deadline, "subdaemons not all running once: {pids:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn assert_shut_down(node: &mut LauncherNode) {
    let status = node.wait_for_launcher_exit(Duration::from_secs(120)).expect("pacemakerd did not exit after --shutdown");
    assert_eq!(status.code(), Some(0), "pacemakerd exit status");
    for name in SUBDAEMONS {
        assert!(node.pids_of(name).is_empty(), "{name} still runs after the shutdown");
    }
    let log = node.log();
    assert!(log.contains("Shutdown complete"), "no 'Shutdown complete' in the log");
}

fn launcher_runs_the_node(kind: ImplKind) {
    let Some(mut node) = start("pacemakerd::launcher_runs_the_node", kind) else { return };
    // Only the launcher grants the cluster group access to corosync here.
    let key = format!("uidgid.gid.{}", haclient_gid());
    let out = node.run(&["corosync-cmapctl", "-g", &key]).expect_ok();
    assert!(out.stdout.trim_end().ends_with("= 1"), "{out}");

    let status = wait_for_dc(&node);
    assert!(status.contains("partition with quorum"), "{status}");
    assert!(status.contains("Online: [ node1 ]"), "{status}");
    let out = node.run(&["crmadmin", "-P"]).expect_ok();
    assert!(out.stdout.contains("pacemakerd") && out.stdout.contains("running"), "{out}");
    let xml = node.run(&["crm_mon", "-1", "--output-as=xml"]).expect_ok().xml();
    let pacemakerd = xml.descendants().find(|e| e.name == "pacemakerd").expect("<pacemakerd> in crm_mon XML");
    assert_eq!(pacemakerd.attr("state"), Some("running"));
    assert_eq!(pacemakerd.attr("sys_from"), Some("pacemakerd"));

    // Environment and users the subdaemons got.
    let pids = all_subdaemons(&node);
    for (name, pid) in SUBDAEMONS.iter().zip(&pids) {
        let out = node.run(&["ps", "-o", "user=", "-p", &pid.to_string()]).expect_ok();
        let expected = if matches!(*name, "pacemaker-fenced" | "pacemaker-execd") { "root" } else { "hacluster" };
        assert_eq!(out.stdout.trim(), expected, "user of {name}");
        let environ = node.run(&["cat", &format!("/proc/{pid}/environ")]).expect_ok().stdout;
        assert!(environ.split('\0').any(|v| v == "PCMK_cluster_type=corosync"), "{name} environment: {environ:?}");
        assert!(environ.split('\0').any(|v| v == "PCMK_watchdog=false"), "{name} environment: {environ:?}");
    }

    // A subdaemon killed outright comes back.
    let attrd = pids[3];
    node.run(&["kill", "-9", &attrd.to_string()]).expect_ok();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let respawned = loop {
        let now = node.pids_of("pacemaker-attrd");
        if now.len() == 1 && now[0] != attrd {
            break now[0];
        }
        assert!(std::time::Instant::now() < deadline, "pacemaker-attrd not respawned: {now:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_ne!(respawned, attrd);
    let environ = node.run(&["cat", &format!("/proc/{respawned}/environ")]).expect_ok().stdout;
    for expected in ["PCMK_respawned=true", "PCMK_mcp=true", "HA_mcp=true", "PCMK_quorum_type=corosync"] {
        assert!(environ.split('\0').any(|v| v == expected), "respawned attrd lacks {expected}: {environ:?}");
    }
    let log = node.log();
    assert!(log.contains(&format!("pacemaker-attrd[{attrd}] terminated with signal 9 (Killed)")), "no exit line in the log");
    assert!(log.contains("Respawning pacemaker-attrd subdaemon after unexpected exit"), "no respawn line in the log");
    node.wait_until(&["crm_attribute", "-N", "node1", "-n", "probe", "-v", "1", "-l", "reboot"], DC_TIMEOUT, |o| o.success());
    node.wait_until(&["crm_attribute", "-N", "node1", "-n", "probe", "-G", "-l", "reboot", "-q"], DC_TIMEOUT, |o| {
        o.stdout.trim() == "1"
    });
    wait_for_dc(&node);

    // Debian's client asks the launcher to stop the node.
    node.run(&["pacemakerd", "--shutdown"]).expect_ok();
    assert_shut_down(&mut node);
}

/// Our `pacemakerd --shutdown` as the client, against either launcher.
fn our_shutdown_client(kind: ImplKind) {
    let Some(client) = rust_pacemakerd() else {
        report_skip("pacemakerd::our_shutdown_client", kind, "our pacemakerd is not built");
        return;
    };
    let Some(mut node) = start("pacemakerd::our_shutdown_client", kind) else { return };
    wait_for_dc(&node);
    all_subdaemons(&node);
    let client = client.display().to_string();
    // The C client's failure text when nobody listens is ours too (checked after the stop).
    node.run(&[&client, "--shutdown"]).expect_ok();
    assert_shut_down(&mut node);
    let out = node.run(&[&client, "--shutdown"]).expect_code(102);
    let c_out = node.run(&["pacemakerd", "--shutdown"]).expect_code(102);
    assert_eq!(out.stderr, c_out.stderr);
}

/// A second launcher refuses to start while one runs; a ping from a client named like sbd
/// gets the state; SIGTERM stops the node like a shutdown request.
fn second_instance_refused(kind: ImplKind) {
    let Some(mut node) = start("pacemakerd::second_instance_refused", kind) else { return };
    let launcher: PathBuf = select_launcher(kind).expect("selected");
    node.run(&[&launcher.display().to_string()]).expect_code(100);
    let out = node.run(&["crmadmin", "-P", "-i", "sbd-probe"]).expect_ok();
    assert!(out.stdout.contains("running") || out.stdout.contains("starting"), "{out}");
    wait_for_dc(&node);
    node.signal_launcher(libc::SIGTERM);
    assert_shut_down(&mut node);
}

/// A subdaemon that exits with CRM_EX_FATAL (100) is not respawned: the launcher stops the
/// node, asks corosync to stop, and exits 100. The scheduler is replaced (inside the node
/// only) by a script that exits 100.
fn fatal_exit_stops_the_node(kind: ImplKind) {
    let test = "pacemakerd::fatal_exit_stops_the_node";
    if !running_as_root() {
        report_skip(test, kind, "needs root (namespaces, mounts)");
        return;
    }
    let launcher = match select_launcher(kind) {
        Ok(path) => path,
        Err(reason) => return report_skip(test, kind, &reason),
    };
    let fatal_daemon = |dir: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("fatal-daemon");
        // Not at once: Debian's attribute manager ignores a SIGTERM that arrives while it is
        // still starting, and then Debian's launcher waits for it for 20 minutes (seen in
        // CI). Two seconds lets every subdaemon get past its start-up.
        std::fs::write(&script, "#!/bin/sh\nsleep 2\nexit 100\n")?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
    };
    let mut node = LauncherNode::create(&format!("{test}::{}", kind.label()), fatal_daemon).expect("node");
    let script = node.dir().join("fatal-daemon").display().to_string();
    node.run(&["mount", "--bind", &script, "/usr/lib/pacemaker/pacemaker-schedulerd"]).expect_ok();
    node.start_launcher(&launcher).expect("launcher");
    let status = node.wait_for_launcher_exit(Duration::from_secs(120)).expect("launcher did not exit");
    assert_eq!(status.code(), Some(100), "launcher exit status");
    let log = node.log();
    assert!(log.contains("Shutting cluster down because pacemaker-schedulerd["), "no fatal-failure line in the log");
    assert!(log.contains("Shutting down and staying down after fatal error"), "no staying-down line in the log");
    assert!(!log.contains("Respawning pacemaker-schedulerd"), "the scheduler was respawned");
    for name in SUBDAEMONS {
        assert!(node.pids_of(name).is_empty(), "{name} still runs");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while node.corosync_running() {
        assert!(std::time::Instant::now() < deadline, "corosync still runs after the fatal stop");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A launcher started while the subdaemons of a killed one still run adopts them (no new
/// processes), reports running, and stops them on request.
fn adopts_running_subdaemons(kind: ImplKind) {
    let Some(mut node) = start("pacemakerd::adopts_running_subdaemons", kind) else { return };
    wait_for_dc(&node);
    let pids = all_subdaemons(&node);
    node.signal_launcher(libc::SIGKILL);
    node.wait_for_launcher_exit(Duration::from_secs(30)).expect("launcher survived SIGKILL");
    let launcher = select_launcher(kind).expect("selected");
    node.start_launcher(&launcher).expect("second launcher");
    node.wait_for_launcher().expect("second launcher answers");
    node.wait_until(&["crmadmin", "-P"], Duration::from_secs(30), |o| o.stdout.contains("running"));
    let log = node.log();
    for (name, pid) in SUBDAEMONS.iter().zip(&pids) {
        assert!(log.contains(&format!("Tracking existing {name} process (pid={pid})")), "{name} not adopted");
        assert_eq!(node.pids_of(name), vec![*pid], "{name} was replaced");
    }
    wait_for_dc(&node);
    node.run(&["pacemakerd", "--shutdown"]).expect_ok();
    assert_shut_down(&mut node);
}

/// The replies of the launcher's IPC, byte for byte (timestamps masked), for each kind of
/// request; recorded from the C launcher, so ours must produce the same.
fn ipc_replies(kind: ImplKind) {
    let Some(node) = start("pacemakerd::ipc_replies", kind) else { return };
    node.wait_until(&["crmadmin", "-P"], DC_TIMEOUT, |o| o.stdout.contains("running"));
    let probe = env!("CARGO_BIN_EXE_pacemakerd-probe");
    let masked = |out: compat_tests::Output| -> String {
        let text = out.stdout;
        match text.find("crm-timestamp=\"") {
            Some(at) => {
                let start = at + "crm-timestamp=\"".len();
                let end = text[start..].find('"').map_or(start, |e| start + e);
                format!("{}N{}", &text[..start], &text[end..])
            }
            None => text,
        }
    };
    let ping_reply = r#"<create_reply_adv origin="handle_ping_request" t="crmd" version="3.16.1" subt="response" reference="ping-probe-1-0" crm_task="ping" crm_sys_to="12345_probe" crm_sys_from="pacemakerd"><crm_xml><ping_response crm_subsystem="pacemakerd" pacemakerd_state="running" crm-timestamp="N" result="ok"/></crm_xml></create_reply_adv>"#;
    assert_eq!(
        masked(node.run(&[probe, "ping"])),
        format!("response: <ack function=\"handle_ping_request\" line=\"52\" status=\"112\"/>\nevent: {ping_reply}\n")
    );
    assert_eq!(masked(node.run(&[probe, "ping", "async"])), format!("event: {ping_reply}\n"));
    assert_eq!(
        node.run(&[probe, "rm_node_cache"]).stdout,
        "response: <ack function=\"handle_node_cache_request\" line=\"32\" status=\"0\"/>\nno-event\n"
    );
    assert_eq!(
        node.run(&[probe, "hello"]).stdout,
        "response: <ack function=\"handle_unknown_request\" line=\"144\" status=\"2\"/>\nno-event\n"
    );
    // A member of haclient that is neither root nor hacluster may ask, but is refused.
    let out = node.run(&["setpriv", "--reuid=nobody", "--regid=haclient", "--clear-groups", probe, "quit"]);
    assert_eq!(
        out.stdout,
        "response: <ack function=\"handle_shutdown_request\" line=\"107\" status=\"112\"/>\nevent: <create_reply_adv origin=\"handle_shutdown_request\" t=\"crmd\" version=\"3.16.1\" subt=\"response\" reference=\"quit-probe-1-0\" crm_task=\"quit\" crm_sys_to=\"12345_probe\" crm_sys_from=\"pacemakerd\"><crm_xml><shutdown op-status=\"4\"/></crm_xml></create_reply_adv>\n"
    );
    node.run(&["crmadmin", "-P"]).expect_ok();
}

mod ipc_replies {
    #[test]
    fn c() {
        super::ipc_replies(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::ipc_replies(compat_tests::ImplKind::Rust);
    }
}

mod launcher_runs_the_node {
    #[test]
    fn c() {
        super::launcher_runs_the_node(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::launcher_runs_the_node(compat_tests::ImplKind::Rust);
    }
}

mod our_shutdown_client {
    #[test]
    fn c() {
        super::our_shutdown_client(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::our_shutdown_client(compat_tests::ImplKind::Rust);
    }
}

mod second_instance_refused {
    #[test]
    fn c() {
        super::second_instance_refused(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::second_instance_refused(compat_tests::ImplKind::Rust);
    }
}

mod fatal_exit_stops_the_node {
    #[test]
    fn c() {
        super::fatal_exit_stops_the_node(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::fatal_exit_stops_the_node(compat_tests::ImplKind::Rust);
    }
}

mod adopts_running_subdaemons {
    #[test]
    fn c() {
        super::adopts_running_subdaemons(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::adopts_running_subdaemons(compat_tests::ImplKind::Rust);
    }
}

/// corosync killed under a running node: the launcher keeps running, does not respawn the
/// subdaemons that need the cluster while it is gone (they exit), reconnects once it is
/// back, respawns them, and the node elects itself again.
fn corosync_loss(kind: ImplKind) {
    let Some(mut node) = start("pacemakerd::corosync_loss", kind) else { return };
    wait_for_dc(&node);
    all_subdaemons(&node);
    node.kill_corosync();
    // The launcher and each subdaemon that needs the cluster see corosync gone on their
    // own, in no fixed order.
    let expected = [
        "Lost connection to cluster layer (connection will be reattempted once per second)",
        "Not respawning pacemaker-controld subdaemon until cluster returns",
        "Not respawning pacemaker-based subdaemon until cluster returns",
    ];
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let log = node.log();
        let missing: Vec<&str> = expected.into_iter().filter(|line| !log.contains(line)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "while corosync is gone, never logged: {missing:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(node.pids_of("pacemaker-execd").len() == 1, "the executor does not need the cluster");
    node.restart_corosync().expect("corosync restarts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !node.log().contains("Respawning cluster-based subdaemon: pacemaker-controld") {
        assert!(std::time::Instant::now() < deadline, "cluster subdaemons not respawned after corosync returned");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(node.log().contains("Cluster reconnect succeeded"));
    wait_for_dc(&node);
    node.run(&["pacemakerd", "--shutdown"]).expect_ok();
    assert_shut_down(&mut node);
}

/// While the shutdown waits for a subdaemon, clients see the launcher's state: `crmadmin
/// -P` and `crm_mon -1` say the daemons are shutting down. The controller is replaced
/// (inside the node only) by a program that ignores SIGTERM; the launcher's liveness check
/// finally kills it (5 unanswered checks), and the shutdown completes.
fn shutting_down_state(kind: ImplKind) {
    let test = "pacemakerd::shutting_down_state";
    if !running_as_root() {
        return report_skip(test, kind, "needs root (namespaces, mounts)");
    }
    let launcher = match select_launcher(kind) {
        Ok(path) => path,
        Err(reason) => return report_skip(test, kind, &reason),
    };
    let mut node = LauncherNode::create(&format!("{test}::{}", kind.label()), |_| Ok(())).expect("node");
    let stubborn = env!("CARGO_BIN_EXE_stubborn-daemon");
    node.run(&["mount", "--bind", stubborn, "/usr/lib/pacemaker/pacemaker-controld"]).expect_ok();
    node.start_launcher(&launcher).expect("launcher");
    node.wait_for_launcher().expect("launcher answers");
    node.wait_until(&["crmadmin", "-P"], Duration::from_secs(30), |o| o.stdout.contains("'Pacemaker is running'"));
    node.run(&["pacemakerd", "--shutdown"]).expect_ok();
    let out = node.wait_until(&["crmadmin", "-P"], Duration::from_secs(10), |o| o.success());
    assert!(out.stdout.starts_with("Status of pacemakerd: 'Pacemaker daemons are shutting down' (last updated "), "{out}");
    let out = node.run(&["crm_mon", "-1"]);
    assert!(out.stdout.starts_with("Status of pacemakerd: 'Pacemaker daemons are shutting down'"), "{out}");
    let xml = node.run(&["crmadmin", "-P", "--output-as=xml"]).expect_ok().xml();
    let state = xml.descendants().find(|e| e.name == "pacemakerd").and_then(|e| e.attr("state").map(str::to_owned));
    assert_eq!(state.as_deref(), Some("shutting_down"));
    let status = node.wait_for_launcher_exit(Duration::from_secs(120)).expect("launcher did not finish the shutdown");
    assert_eq!(status.code(), Some(0));
    let log = node.log();
    assert!(log.contains("is unresponsive to ipc after 5 tries but we found the pid so have it killed that we can restart"));
    assert!(log.contains("Shutdown complete"));
}

mod shutting_down_state {
    #[test]
    fn c() {
        super::shutting_down_state(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::shutting_down_state(compat_tests::ImplKind::Rust);
    }
}

/// Ours only (2.1.5 has the directory compiled in): `PCMK_RS_DAEMON_DIR` names the
/// directory the subdaemons are started from, here one of symlinks to Debian's.
fn daemon_dir_override() {
    let test = "pacemakerd::daemon_dir_override";
    if !running_as_root() {
        return report_skip(test, ImplKind::Rust, "needs root (namespaces, mounts)");
    }
    let launcher = match select_launcher(ImplKind::Rust) {
        Ok(path) => path,
        Err(reason) => return report_skip(test, ImplKind::Rust, &reason),
    };
    let linked_daemons = |dir: &std::path::Path| {
        let daemons = dir.join("daemons");
        std::fs::create_dir_all(&daemons)?;
        for name in SUBDAEMONS {
            std::os::unix::fs::symlink(format!("/usr/lib/pacemaker/{name}"), daemons.join(name))?;
        }
        Ok(())
    };
    let mut node = LauncherNode::create(&format!("{test}::rust"), linked_daemons).expect("node");
    let daemons = node.dir().join("daemons").display().to_string();
    node.start_launcher_with_env(&launcher, &[("PCMK_RS_DAEMON_DIR", &daemons)]).expect("launcher");
    node.wait_for_launcher().expect("launcher answers");
    wait_for_dc(&node);
    let out = node.run(&["pgrep", "-f", "-x", &format!("{daemons}/pacemaker-controld")]).expect_ok();
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    assert!(node.log().contains(&format!("Starting subdaemons from {daemons} (PCMK_RS_DAEMON_DIR)")));
    node.run(&["pacemakerd", "--shutdown"]).expect_ok();
    let status = node.wait_for_launcher_exit(Duration::from_secs(120)).expect("launcher did not exit");
    assert_eq!(status.code(), Some(0));
    for name in SUBDAEMONS {
        let left = node.run(&["pgrep", "-f", "-x", &format!("{daemons}/{name}")]).stdout;
        assert!(left.is_empty(), "{name} left running");
    }
}

#[test]
fn daemon_dir_override_rust() {
    daemon_dir_override();
}

/// A subdaemon exiting with CRM_EX_PANIC (101) makes the launcher reset the node: without
/// sbd, through sysrq (bound to /dev/null inside the node) and reboot(2), which in the
/// node's PID namespace ends the node. The scheduler is replaced by a script exiting 101.
fn panic_exit_resets_the_node(kind: ImplKind) {
    let test = "pacemakerd::panic_exit_resets_the_node";
    if !running_as_root() {
        return report_skip(test, kind, "needs root (namespaces, mounts)");
    }
    let launcher = match select_launcher(kind) {
        Ok(path) => path,
        Err(reason) => return report_skip(test, kind, &reason),
    };
    let panicking_daemon = |dir: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("panicking-daemon");
        std::fs::write(&script, "#!/bin/sh\nsleep 1\nexit 101\n")?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
    };
    let mut node = LauncherNode::create(&format!("{test}::{}", kind.label()), panicking_daemon).expect("node");
    let script = node.dir().join("panicking-daemon").display().to_string();
    node.run(&["mount", "--bind", &script, "/usr/lib/pacemaker/pacemaker-schedulerd"]).expect_ok();
    node.start_launcher(&launcher).expect("launcher");
    node.wait_for_launcher_exit(Duration::from_secs(60)).expect("launcher still runs after the panic");
    let log = node.log();
    assert!(log.contains("] instructed the machine to reset"), "no reset line in the log");
    assert!(log.contains("Panicking the system directly: pcmk_child_exit"), "no panic line in the log");
    // Either way (this machine may have no /proc/sysrq-trigger), it was tried first.
    assert!(log.contains("sysrq-trigger: b") || log.contains("Opening sysrq-trigger failed"), "no sysrq line in the log");
    assert!(!log.contains("Shutting down Pacemaker"), "an orderly shutdown preceded the reset");
}

mod panic_exit_resets_the_node {
    #[test]
    fn c() {
        super::panic_exit_resets_the_node(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::panic_exit_resets_the_node(compat_tests::ImplKind::Rust);
    }
}

/// With sbd running and `SBD_SYNC_RESOURCE_STARTUP=true`, the launcher waits for sbd's
/// ping before starting anything, tells the subdaemons `PCMK_watchdog=true`, and after the
/// shutdown waits until sbd has seen "shutdown_complete" and disconnected. sbd is played by
/// a process named `sbd` and its pings by `crmadmin -P -i sbd` (sbd is known by its name).
fn sbd_synchronised_start_and_stop(kind: ImplKind) {
    let test = "pacemakerd::sbd_synchronised_start_and_stop";
    if !running_as_root() {
        return report_skip(test, kind, "needs root (namespaces, mounts)");
    }
    let launcher = match select_launcher(kind) {
        Ok(path) => path,
        Err(reason) => return report_skip(test, kind, &reason),
    };
    let fake_sbd = |dir: &std::path::Path| std::fs::copy(env!("CARGO_BIN_EXE_stubborn-daemon"), dir.join("sbd")).map(|_| ());
    let mut node = LauncherNode::create(&format!("{test}::{}", kind.label()), fake_sbd).expect("node");
    let sbd = node.dir().join("sbd").display().to_string();
    // Detached, and off the command's output pipes (or the command would never end).
    node.run(&["sh", "-c", &format!("setsid -f {sbd} </dev/null >/dev/null 2>&1")]).expect_ok();
    node.start_launcher_with_env(&launcher, &[("SBD_SYNC_RESOURCE_STARTUP", "true")]).expect("launcher");
    node.wait_for_launcher().expect("launcher answers");
    let out = node.run(&["crmadmin", "-P"]).expect_ok();
    assert!(out.stdout.contains("'Waiting for startup trigger from SBD'"), "{out}");
    std::thread::sleep(Duration::from_secs(2));
    for name in SUBDAEMONS {
        assert!(node.pids_of(name).is_empty(), "{name} started before sbd's ping");
    }
    node.run(&["crmadmin", "-P", "-i", "sbd"]).expect_ok();
    wait_for_dc(&node);
    let controld = all_subdaemons(&node)[5];
    let environ = node.run(&["cat", &format!("/proc/{controld}/environ")]).expect_ok().stdout;
    assert!(environ.split('\0').any(|v| v == "PCMK_watchdog=true"), "{environ:?}");

    node.run(&["pacemakerd", "--shutdown"]).expect_ok();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !node.log().contains("Waiting for SBD to pick up shutdown-complete-state.") {
        assert!(std::time::Instant::now() < deadline, "the launcher did not wait for sbd");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(node.wait_for_launcher_exit(Duration::from_secs(3)).is_none(), "the launcher exited before sbd's ping");
    let out = node.run(&["crmadmin", "-P", "-i", "sbd"]);
    assert!(out.stdout.contains("Pacemaker daemons are shut down (reporting to SBD)"), "{out}");
    let status = node.wait_for_launcher_exit(Duration::from_secs(30)).expect("launcher did not exit after sbd's ping");
    assert_eq!(status.code(), Some(0));
    let log = node.log();
    for line in ["Waiting for startup-trigger from SBD.", "Received startup-trigger from SBD.", "Shutdown-complete-state passed to SBD."] {
        assert!(log.contains(line), "no {line:?} in the log");
    }
}

mod sbd_synchronised_start_and_stop {
    #[test]
    fn c() {
        super::sbd_synchronised_start_and_stop(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::sbd_synchronised_start_and_stop(compat_tests::ImplKind::Rust);
    }
}

mod corosync_loss {
    #[test]
    fn c() {
        super::corosync_loss(compat_tests::ImplKind::C);
    }
    #[test]
    fn rust() {
        super::corosync_loss(compat_tests::ImplKind::Rust);
    }
}
