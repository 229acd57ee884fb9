//! Every agent class in one single-node cluster: Debian's C controller, CIB manager,
//! fencer, attrd and scheduler drive the executor, once Debian's C `pacemaker-execd` and
//! once ours, with the same test body. Each resource starts, has its monitor fail (its
//! state is destroyed behind the cluster's back), is recovered, answers
//! `crm_resource --force-check`, is re-probed by `crm_resource --cleanup` (fail count
//! cleared) and stops. The resulting transcript (force-check output and exit codes, the
//! recorded operations, crm_mon's view) must be identical for both executors.
//!
//! Our executor is `PCMK_RS_EXECD_BIN`, else `pacemaker-execd` beside this test binary's
//! profile directory (`cargo build -p pacemaker-execd`); when missing, only C runs.
//! Filesystem on a loop device is left out (with a message) where no loop device can be
//! set up. Needs root, like every compat test.
//!
//! Where systemd is installed, the node's PID 1 is the real systemd (booted into a minimal
//! target, see `compat_tests::systemd_init`) and a systemd unit is one of the resources;
//! its failure is its main process killed.

use compat_tests::systemd_init::{self, SystemdLock};
use compat_tests::executor::rust_execd;
use compat_tests::{report_skip, running_as_root, CDaemon, Impl, ImplKind, Node, NodeOpts, SeedCib};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TEST: &str = "execd_cluster::every_class_under_the_c_controller";

/// One resource of the scenario.
struct Subject {
    /// The id of the primitive (the clone's primitive for Stateful).
    id: &'static str,
    /// The element whose target-role stops it (the clone for Stateful).
    stop_id: &'static str,
    /// The operation the last history entry records once it runs: start, or promote.
    running_op: &'static str,
    /// The last operation and rc once `--cleanup` has re-probed the running resource: a
    /// probe finding it (rc 8 when promoted), or for a fence device, which the cleanup
    /// unregisters from the fencer, the start that follows its "not running" probe.
    after_cleanup: (&'static str, &'static str),
    /// Shell command (inside the node) that makes the next monitor fail.
    break_it: &'static str,
    /// Shell command run once the recovery has begun, so the restart can succeed.
    repair: &'static str,
}

const fn subject(id: &'static str, break_it: &'static str) -> Subject {
    Subject { id, stop_id: id, running_op: "start", after_cleanup: ("monitor", "0"), break_it, repair: "true" }
}

/// The systemd unit the cluster manages (when systemd is installed).
const SYSTEMD_UNIT: (&str, &str) = (
    "pcmk-cluster-sleep.service",
    "[Unit]\nDescription=Cluster test sleeper\nDefaultDependencies=no\n\
     [Service]\nExecStart=/bin/sleep infinity\nStandardOutput=null\nStandardError=null\n",
);

fn subjects(with_filesystem: bool, with_systemd: bool) -> Vec<Subject> {
    let mut all = vec![
        subject("hb-dummy", "rm -f /run/hb-dummy.state"),
        subject("pcmk-dummy", "rm -f /run/pcmk-dummy.state"),
        Subject {
            id: "stateful",
            stop_id: "stateful-clone",
            running_op: "promote",
            after_cleanup: ("monitor", "8"),
            break_it: "rm -f /run/stateful.state",
            repair: "true",
        },
        subject("ip", "ip addr del 10.99.0.10/24 dev ipt0"),
        subject("anything", "kill $(cat /run/anything.pid)"),
        subject("symlink", "rm -f /run/symlink-link"),
        subject("ping", "rm -f /run/ping.pid"),
        subject("attribute", "rm -f /run/attribute.state"),
        subject("health-cpu", "rm -f /run/health-cpu.state"),
        subject("lsb", "rm -f /run/lsb-test.state"),
        Subject {
            id: "fence",
            stop_id: "fence",
            running_op: "start",
            after_cleanup: ("start", "0"),
            // fence_dummy's monitor fails on a status it does not know, and reports "off"
            // (which is fine for a monitor) when the file is missing.
            break_it: "echo broken > /run/fence-dummy.status",
            repair: "rm -f /run/fence-dummy.status",
        },
    ];
    if with_filesystem {
        all.push(subject("fs", "umount /run/fs-mount"));
    }
    if with_systemd {
        all.push(subject("systemd", "systemctl kill -s KILL pcmk-cluster-sleep.service"));
    }
    all
}

const LSB_SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides: pcmk-rs-test
# Short-Description: a test service for the executor
### END INIT INFO
STATE=/run/lsb-test.state
case "$1" in
    start) touch "$STATE" ;;
    stop) rm -f "$STATE" ;;
    status) [ -e "$STATE" ] || exit 3 ;;
    *) exit 3 ;;
esac
exit 0
"#;

fn primitive(id: &str, class_provider_type: &str, params: &[(&str, &str)]) -> String {
    let mut parts = class_provider_type.split(':');
    let class = parts.next().unwrap_or_default();
    let (provider, kind) = match (parts.next(), parts.next()) {
        (Some(provider), Some(kind)) => (format!(r#" provider="{provider}""#), kind),
        (Some(kind), None) => (String::new(), kind),
        _ => (String::new(), ""),
    };
    let mut xml = format!(r#"<primitive id="{id}" class="{class}"{provider} type="{kind}">"#);
    if !params.is_empty() {
        xml.push_str(&format!(r#"<instance_attributes id="{id}-params">"#));
        for (name, value) in params {
            xml.push_str(&format!(r#"<nvpair id="{id}-{name}" name="{name}" value="{value}"/>"#));
        }
        xml.push_str("</instance_attributes>");
    }
    xml.push_str(&format!(
        r#"<operations><op id="{id}-monitor" name="monitor" interval="2s" timeout="20s"/></operations></primitive>"#
    ));
    xml
}

/// The resources section: every class, each with a 2 s monitor.
fn resources_xml(loop_device: Option<&str>, with_systemd: bool) -> String {
    let mut resources = vec![
        primitive("hb-dummy", "ocf:heartbeat:Dummy", &[("state", "/run/hb-dummy.state")]),
        primitive("pcmk-dummy", "ocf:pacemaker:Dummy", &[("state", "/run/pcmk-dummy.state")]),
        r#"<clone id="stateful-clone"><meta_attributes id="stateful-clone-meta"><nvpair id="stateful-clone-promotable" name="promotable" value="true"/></meta_attributes><primitive id="stateful" class="ocf" provider="pacemaker" type="Stateful"><instance_attributes id="stateful-params"><nvpair id="stateful-state" name="state" value="/run/stateful.state"/></instance_attributes><operations><op id="stateful-monitor-promoted" name="monitor" interval="2s" role="Promoted" timeout="20s"/><op id="stateful-monitor-unpromoted" name="monitor" interval="3s" role="Unpromoted" timeout="20s"/></operations></primitive></clone>"#.to_owned(),
        primitive("ip", "ocf:heartbeat:IPaddr2", &[("ip", "10.99.0.10"), ("cidr_netmask", "24"), ("nic", "ipt0")]),
        primitive(
            "anything",
            "ocf:heartbeat:anything",
            &[("binfile", "/bin/sleep"), ("cmdline_options", "100000"), ("pidfile", "/run/anything.pid")],
        ),
        primitive("symlink", "ocf:heartbeat:symlink", &[("link", "/run/symlink-link"), ("target", "/etc/hostname")]),
        primitive("ping", "ocf:pacemaker:ping", &[("host_list", "127.0.0.1"), ("pidfile", "/run/ping.pid"), ("dampen", "0")]),
        primitive("attribute", "ocf:pacemaker:attribute", &[("state", "/run/attribute.state")]),
        primitive("health-cpu", "ocf:pacemaker:HealthCPU", &[("state", "/run/health-cpu.state")]),
        primitive("lsb", "lsb:pcmk-rs-test", &[]),
        primitive("fence", "stonith:fence_dummy", &[("status_file", "/run/fence-dummy.status")]),
    ];
    if let Some(device) = loop_device {
        resources.push(primitive(
            "fs",
            "ocf:heartbeat:Filesystem",
            &[("device", device), ("directory", "/run/fs-mount"), ("fstype", "ext4")],
        ));
    }
    if with_systemd {
        resources.push(primitive("systemd", "systemd:pcmk-cluster-sleep", &[]));
    }
    format!("<resources>{}</resources>", resources.join(""))
}

/// A one-node cluster's configuration without resources: quick DC election, no fencing,
/// failed starts retried.
fn cluster_cib() -> String {
    SeedCib {
        epoch: 5,
        options: &[("dc-deadtime", "2s"), ("stonith-enabled", "false"), ("start-failure-is-fatal", "false")],
        ..SeedCib::default()
    }
    .xml()
}

/// A loop device attached (on the host) to a fresh ext4 image, detached on drop.
struct LoopDevice {
    path: String,
}

impl LoopDevice {
    fn create(image: &std::path::Path) -> Result<LoopDevice, String> {
        let run = |args: &[&str]| -> Result<String, String> {
            let out = std::process::Command::new(args[0]).args(&args[1..]).output().map_err(|e| format!("{}: {e}", args[0]))?;
            if !out.status.success() {
                return Err(format!("{args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        };
        let image = image.display().to_string();
        run(&["truncate", "-s", "16M", &image])?;
        run(&["mkfs.ext4", "-q", "-F", &image])?;
        let path = run(&["losetup", "--find", "--show", &image])?;
        Ok(LoopDevice { path })
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup").args(["-d", &self.path]).status();
    }
}

fn wait_until(label: &str, what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "{TEST} [{label}]: {what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The last recorded operation of every resource: id -> (operation, rc-code, call-id).
fn last_ops(node: &Node) -> std::collections::BTreeMap<String, (String, String, i64)> {
    let out = node.run(&["cibadmin", "-Q", "-o", "status"]);
    let mut ops = std::collections::BTreeMap::new();
    if !out.success() {
        return ops;
    }
    for op in out.xml().descendants().filter(|e| e.name == "lrm_rsc_op") {
        if let (Some(id), Some(operation), Some(rc)) = (op.attr("id"), op.attr("operation"), op.attr("rc-code")) {
            if let Some(rsc) = id.strip_suffix("_last_0") {
                let call_id = op.attr("call-id").and_then(|c| c.parse().ok()).unwrap_or(-1);
                ops.insert(rsc.to_owned(), (operation.to_owned(), rc.to_owned(), call_id));
            }
        }
    }
    ops
}

fn fail_count(node: &Node, id: &str) -> u64 {
    let out = node.run(&["crm_failcount", "-G", "-r", id, "-Q"]);
    if !out.success() {
        return 0;
    }
    match out.stdout.trim() {
        "INFINITY" => u64::MAX,
        count => count.parse().unwrap_or(0),
    }
}

/// Checks that every subject's last operation is the `expected` one, run after call id
/// `after` (from `since`, when given).
fn all_last(
    node: &Node,
    subjects: &[Subject],
    since: Option<&std::collections::BTreeMap<String, (String, String, i64)>>,
    expected: impl Fn(&Subject) -> (&'static str, &'static str),
) -> Result<(), String> {
    let ops = last_ops(node);
    let wrong: Vec<String> = subjects
        .iter()
        .filter_map(|s| {
            let (op, rc) = expected(s);
            let got = ops.get(s.id);
            let after = since.and_then(|m| m.get(s.id)).map_or(-1, |(_, _, call)| *call);
            let fine = got.is_some_and(|(o, r, call)| o == op && r == rc && *call > after);
            (!fine).then(|| format!("{}: {got:?} (want {op} rc={rc} after call {after})", s.id))
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

fn wait_all(label: &str, node: &Node, what: &str, subjects: &[Subject], expected: impl Fn(&Subject) -> (&'static str, &'static str)) {
    wait_all_since(label, node, what, subjects, None, expected)
}

fn wait_all_since(
    label: &str,
    node: &Node,
    what: &str,
    subjects: &[Subject],
    since: Option<&std::collections::BTreeMap<String, (String, String, i64)>>,
    expected: impl Fn(&Subject) -> (&'static str, &'static str),
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match all_last(node, subjects, since, &expected) {
            Ok(()) => return,
            Err(wrong) if Instant::now() >= deadline => {
                node.keep_logs();
                panic!("{TEST} [{label}]: {what}: {wrong}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    }
}

/// crm_mon's view of the resources: id, role, active, failed, one line each.
fn crm_mon_view(node: &Node) -> String {
    // No pacemakerd runs, so crm_mon reads a copy of the live CIB instead of connecting.
    let script = "cibadmin -Q > /run/crm_mon-cib.xml && CIB_file=/run/crm_mon-cib.xml crm_mon -1 --output-as=xml";
    let out = node.run(&["sh", "-c", script]).expect_ok();
    let mut lines: Vec<String> = out
        .xml()
        .descendants()
        .filter(|e| e.name == "resource")
        .map(|e| {
            format!(
                "{} role={} active={} failed={}",
                e.attr("id").unwrap_or("-"),
                e.attr("role").unwrap_or("-"),
                e.attr("active").unwrap_or("-"),
                e.attr("failed").unwrap_or("-")
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// Runs the scenario with `execd` (None: Debian's) and returns its transcript.
fn scenario(label: &str, execd: Option<PathBuf>, with_filesystem: bool, with_systemd: bool) -> String {
    // Released after the node is gone (declared first, dropped last).
    let _systemd_slot = with_systemd.then(|| SystemdLock::acquire().expect("locking the systemd node slot"));
    let image = std::env::temp_dir().join(format!("pcmk-rs-execd-cluster-{label}-{}.img", std::process::id()));
    let loop_device = if with_filesystem {
        match LoopDevice::create(&image) {
            Ok(device) => Some(device),
            Err(e) => panic!("{TEST} [{label}]: loop device: {e}"),
        }
    } else {
        None
    };
    let subjects = subjects(loop_device.is_some(), with_systemd);
    let mut opts = NodeOpts::new(Impl::C);
    opts.corosync = true;
    opts.name = format!("{TEST}::{label}");
    opts.cib_xml = Some(cluster_cib());
    opts.extra_daemons = vec![CDaemon::Fenced, CDaemon::Execd, CDaemon::Attrd, CDaemon::Schedulerd, CDaemon::Controld];
    let ours = execd.is_some();
    opts.execd_binary = execd;
    if with_systemd {
        opts.holder_setup = systemd_init::systemd_holder_setup(&[SYSTEMD_UNIT]);
        opts.holder_init = Some(systemd_init::systemd_init_line());
    }
    let mut node = Node::start(opts).unwrap_or_else(|e| panic!("{TEST} [{label}]: node did not start: {e}"));
    let setup = "set -e
ip link add ipt0 type veth peer name ipt1
ip link set ipt0 up
ip link set ipt1 up
ip addr add 10.99.0.1/24 dev ipt0
mkdir -p /run/fs-mount /run/initd
cp -a /etc/init.d/. /run/initd/
mount --bind /run/initd /etc/init.d
cat > /etc/init.d/pcmk-rs-test
chmod 755 /etc/init.d/pcmk-rs-test
";
    node.cmd(&["sh", "-c", setup]).stdin(LSB_SCRIPT).run().expect_ok();
    if with_systemd {
        node.wait_until_ready("systemd", &systemd_init::SYSTEMD_ON_BUS_PROBE)
            .unwrap_or_else(|e| panic!("{TEST} [{label}]: systemd not on the bus: {e}"));
    }
    // The resources come once the network, the LSB script and the mount point exist, so
    // that the first probes already find them.
    let resources = resources_xml(loop_device.as_ref().map(|d| d.path.as_str()), with_systemd);
    node.run(&["cibadmin", "--replace", "-o", "resources", "--xml-text", &resources]).expect_ok();
    let long = Duration::from_secs(120);

    let mut transcript = String::new();
    wait_all(label, &node, "all running", &subjects, |s| (s.running_op, "0"));
    transcript.push_str(&format!("running:\n{}\n", crm_mon_view(&node)));

    // Every monitor fails at once; the controller counts each failure and recovers.
    let before_failure = last_ops(&node);
    for s in &subjects {
        node.run(&["sh", "-c", s.break_it]).expect_ok();
    }
    let mut repaired = vec![false; subjects.len()];
    // A subject is repaired once its recovery has begun (a failure counted and a newer
    // operation recorded, i.e. the stop), so the fix cannot pre-empt the recovery.
    wait_until(label, "every failure recorded and recovery begun", long, || {
        let ops = last_ops(&node);
        for (s, done) in subjects.iter().zip(repaired.iter_mut()) {
            let before = before_failure.get(s.id).map_or(-1, |(_, _, call)| *call);
            let recovering = ops.get(s.id).is_some_and(|(_, _, call)| *call > before);
            if !*done && recovering && fail_count(&node, s.id) > 0 {
                node.run(&["sh", "-c", s.repair]).expect_ok();
                *done = true;
            }
        }
        repaired.iter().all(|done| *done)
    });
    wait_all_since(label, &node, "all recovered", &subjects, Some(&before_failure), |s| (s.running_op, "0"));
    transcript.push_str(&format!("recovered:\n{}\n", crm_mon_view(&node)));

    for s in &subjects {
        let out = node.cmd(&["crm_resource", "--force-check", "-r", s.id]).timeout(Duration::from_secs(60)).run();
        transcript.push_str(&format!("force-check {} -> {:?}\n{}{}", s.id, out.code, out.stdout, out.stderr));
    }

    let before_cleanup = last_ops(&node);
    for s in &subjects {
        node.run(&["crm_resource", "--cleanup", "-r", s.id]).expect_ok();
    }
    wait_all_since(label, &node, "all re-probed", &subjects, Some(&before_cleanup), |s| s.after_cleanup);
    wait_until(label, "fail counts cleared", long, || subjects.iter().all(|s| fail_count(&node, s.id) == 0));
    transcript.push_str(&format!("cleaned up:\n{}\n", crm_mon_view(&node)));

    for s in &subjects {
        node.run(&["crm_resource", "-r", s.stop_id, "--meta", "-p", "target-role", "-v", "Stopped"]).expect_ok();
    }
    wait_all(label, &node, "all stopped", &subjects, |_| ("stop", "0"));
    transcript.push_str(&format!("stopped:\n{}\n", crm_mon_view(&node)));
    for state in ["/run/hb-dummy.state", "/run/pcmk-dummy.state", "/run/stateful.state", "/run/lsb-test.state", "/run/symlink-link"] {
        assert!(!node.run(&["test", "-e", state]).success(), "{TEST} [{label}]: {state} left after stop");
    }
    assert!(!node.run(&["sh", "-c", "ip -br addr show ipt0 | grep -q 10.99.0.10"]).success(), "address left after stop");
    if with_systemd {
        let state = node.run(&["systemctl", "is-active", "pcmk-cluster-sleep.service"]);
        assert!(!state.success(), "{TEST} [{label}]: the systemd unit is still {} after stop", state.stdout.trim());
        let drop_in = "/run/systemd/system/pcmk-cluster-sleep.service.d/50-pacemaker.conf";
        assert!(!node.run(&["test", "-e", drop_in]).success(), "{TEST} [{label}]: {drop_in} left after stop");
    }

    node.assert_daemons_alive();
    let log = std::fs::read_to_string(node.dir().join("log-pacemaker/pacemaker.log")).unwrap_or_default();
    assert_eq!(log.contains("Starting Pacemaker local executor (pacemaker-rs"), ours, "{TEST} [{label}]: wrong executor ran");
    drop(node);
    drop(loop_device);
    let _ = std::fs::remove_file(&image);
    transcript
}

fn loop_devices_usable() -> Result<(), String> {
    let out = std::process::Command::new("losetup").arg("--find").output().map_err(|e| format!("losetup: {e}"))?;
    if !out.status.success() {
        return Err(format!("no free loop device: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    // The Filesystem agent insists on modprobe (package kmod) even for a built-in ext4.
    for tool in ["/sbin/mkfs.ext4", "/sbin/modprobe"] {
        if !std::path::Path::new(tool).exists() {
            return Err(format!("{tool} is missing"));
        }
    }
    Ok(())
}

#[test]
fn every_class_under_the_c_controller() {
    if !running_as_root() {
        report_skip(TEST, ImplKind::C, "compat tests need root");
        return;
    }
    let with_filesystem = match loop_devices_usable() {
        Ok(()) => true,
        Err(why) => {
            eprintln!("{TEST}: Filesystem on a loop device left out: {why}");
            false
        }
    };
    let with_systemd = systemd_init::systemd_installed();
    if !with_systemd {
        eprintln!("{TEST}: systemd resource left out: systemd is not installed");
    }
    let c = scenario("c", None, with_filesystem, with_systemd);
    assert!(c.contains("force-check hb-dummy -> Some(0)"), "{TEST}: unexpected C transcript:\n{c}");
    eprintln!("{TEST}: C transcript:\n{c}");
    match rust_execd() {
        Some(ours) => {
            let rust = scenario("rust", Some(ours), with_filesystem, with_systemd);
            if rust != c {
                panic!("{TEST}: our executor differs from C:\n--- C:\n{c}\n--- ours:\n{rust}");
            }
        }
        None => report_skip(TEST, ImplKind::Rust, "no pacemaker-execd built"),
    }
}
