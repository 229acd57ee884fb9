//! Systemd resources through the executor, with the real systemd: each node's PID 1 is
//! systemd (booted into a minimal target, see `compat_tests::systemd_init`), and Debian's C
//! `pacemaker-execd` and ours are driven by the same `lrmd-drive` script; the transcripts
//! must be identical. Each test also checks facts of the C transcript, so a drift of both
//! sides cannot pass unnoticed.
//!
//! Our executor is `PCMK_RS_EXECD_BIN`, else `pacemaker-execd` beside this test binary's
//! profile directory (build it first: `cargo build -p pacemaker-execd`); when it is missing
//! the comparison is skipped (the C half still runs). Needs root and systemd.

use compat_tests::systemd_init::{self, SystemdLock};
use compat_tests::executor::{assert_transcript_has, compare_executors};
use compat_tests::{report_skip, running_as_root, Impl, ImplKind, Node, NodeOpts};
use std::path::Path;
use std::time::Duration;

const DRIVE: &str = env!("CARGO_BIN_EXE_lrmd-drive");

/// The test units: one that runs until stopped, one that fails at once, one whose start
/// never completes.
const UNITS: [(&str, &str); 3] = [
    (
        "pcmk-sleep.service",
        "[Unit]\nDescription=A <b> & c\nDefaultDependencies=no\n\
         [Service]\nExecStart=/bin/sleep infinity\nStandardOutput=null\nStandardError=null\n",
    ),
    (
        "pcmk-fail.service",
        "[Unit]\nDescription=Fails at once\nDefaultDependencies=no\n\
         [Service]\nExecStart=/bin/false\nStandardOutput=null\nStandardError=null\n",
    ),
    (
        "pcmk-slow.service",
        "[Unit]\nDescription=Never finishes starting\nDefaultDependencies=no\n\
         [Service]\nType=oneshot\nExecStart=/bin/sleep 300\nStandardOutput=null\nStandardError=null\n",
    ),
];

/// The services a node's systemd may run: the bus and the test units, nothing of the host.
const ALLOWED_SERVICES: [&str; 4] = ["dbus.service", "pcmk-sleep.service", "pcmk-fail.service", "pcmk-slow.service"];

/// Starts a node running `execd` (with systemd as its PID 1 if `with_systemd`), once
/// systemd answers on the bus and the executor answers its clients.
fn start_node(test: &str, label: &str, execd: &Path, with_systemd: bool) -> Node {
    let mut opts = NodeOpts::new(Impl::C);
    opts.corosync = false;
    opts.name = format!("execd_systemd::{test}::{label}");
    if with_systemd {
        opts.holder_setup = systemd_init::systemd_holder_setup(&UNITS);
        opts.holder_init = Some(systemd_init::systemd_init_line());
    }
    let mut node = Node::start(opts).unwrap_or_else(|e| panic!("{test} [{label}]: node did not start: {e}"));
    if with_systemd {
        node.wait_until_ready("systemd", &systemd_init::SYSTEMD_ON_BUS_PROBE)
            .unwrap_or_else(|e| panic!("{test} [{label}]: systemd not on the bus: {e}"));
    }
    let execd = execd.display().to_string();
    node.start_extra_daemon("pacemaker-execd", &[&execd]).unwrap_or_else(|e| panic!("{test} [{label}]: {e}"));
    let probe = format!("printf 'poke\\n' | {DRIVE} | grep -qx 'poke -> rc=0'");
    node.wait_until_ready("pacemaker-execd", &["sh", "-c", &probe])
        .unwrap_or_else(|e| panic!("{test} [{label}]: executor not ready: {e}"));
    node
}

/// Fails if the node's systemd runs any service but the bus and the test units.
#[track_caller]
fn assert_only_test_services(node: &Node, label: &str) {
    let out = node.run(&["systemctl", "list-units", "--type=service", "--state=active,activating", "--plain", "--no-legend", "--no-pager"]);
    assert!(out.success(), "[{label}] systemctl list-units failed: {}", out.stderr);
    for line in out.stdout.lines() {
        let unit = line.split_whitespace().next().unwrap_or_default();
        assert!(ALLOWED_SERVICES.contains(&unit), "[{label}] the node's systemd runs a host service: {line}\n{}", out.stdout);
    }
}

/// Runs `script` against the C executor and (when built) ours, each in a fresh systemd node;
/// returns the C transcript after asserting ours is the same. `after` runs extra checks in
/// each node.
fn compare(test: &str, script: &str, after: impl Fn(&Node)) -> String {
    compare_in(test, true, script, after)
}

/// As [`compare`], in nodes with or without systemd.
fn compare_in(test: &str, with_systemd: bool, script: &str, after: impl Fn(&Node)) -> String {
    if !running_as_root() {
        report_skip(test, ImplKind::C, "compat tests need root (namespaces, mounts)");
        return String::new();
    }
    if with_systemd && !systemd_init::systemd_installed() {
        report_skip(test, ImplKind::C, "systemd is not installed");
        return String::new();
    }
    let run = |label: &str, execd: &Path| {
        let _only_systemd_node = with_systemd.then(|| SystemdLock::acquire().expect("locking the systemd node slot"));
        let node = start_node(test, label, execd, with_systemd);
        if with_systemd {
            assert_only_test_services(&node, label);
        }
        let out = node.cmd(&[DRIVE]).stdin(script).timeout(Duration::from_secs(180)).run();
        assert!(out.success(), "{test} [{label}]: lrmd-drive failed: {}\n{}", out.stdout, out.stderr);
        after(&node);
        if with_systemd {
            assert_only_test_services(&node, label);
        }
        node.assert_daemons_alive();
        out.stdout
    };
    compare_executors(test, run)
}

/// `line` without its call number (`call=+N `), which depends on every earlier request.
fn without_call(line: &str) -> String {
    match line.find(" call=+") {
        Some(start) => {
            let rest = &line[start + 1..];
            let end = rest.find(' ').map_or(line.len(), |e| start + 1 + e);
            format!("{}{}", &line[..start], &line[end..])
        }
        None => line.to_owned(),
    }
}

/// The transcript has `line` (call numbers ignored).
#[track_caller]
fn assert_has(transcript: &str, line: &str) {
    assert_transcript_has(transcript, line, without_call);
}

/// Probe, start (with its drop-in), monitor, stop (drop-in removed), monitor; the unit
/// named with and without its suffix; a restart; an action systemd resources lack.
#[test]
fn unit_lifecycle() {
    let script = "
        register s systemd - pcmk-sleep
        exec s monitor
        wait s monitor
        exec s start
        wait s start
        exec s monitor
        wait s monitor
        sh systemctl is-active pcmk-sleep.service
        sh cat /run/systemd/system/pcmk-sleep.service.d/50-pacemaker.conf
        sh stat -c %a /run/systemd/system/pcmk-sleep.service.d/50-pacemaker.conf
        sh systemctl show -p Restart --value pcmk-sleep.service
        sh systemctl show -p Before --value pcmk-sleep.service | tr ' ' '\\n' | sort
        exec s stop
        wait s stop
        exec s monitor
        wait s monitor
        sh test -e /run/systemd/system/pcmk-sleep.service.d/50-pacemaker.conf
        sh systemctl is-active pcmk-sleep.service
        register full systemd - pcmk-sleep.service
        exec full start
        wait full start
        exec full restart
        wait full restart
        exec full reload
        wait full reload
        exec full stop
        wait full stop
    ";
    let t = compare("unit_lifecycle", script, |_| {});
    assert_has(&t, "result s monitor interval=0 rc=7 status=0 deleted=0 ran reason=inactive output=-");
    assert_has(&t, "result s start interval=0 rc=0 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result s monitor interval=0 rc=0 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "sh systemctl is-active pcmk-sleep.service -> 0");
    assert_has(&t, "result s stop interval=0 rc=0 status=0 deleted=0 ran reason=inactive output=-");
    assert_has(&t, "result s monitor interval=0 rc=7 status=0 deleted=0 ran reason=inactive output=-");
    assert_has(&t, "sh test -e /run/systemd/system/pcmk-sleep.service.d/50-pacemaker.conf -> 1");
    assert_has(&t, "result full reload interval=0 rc=3 status=4 deleted=0 ran reason=Action reload not implemented for systemd resources output=-");
}

/// A recurring monitor sees the unit's main process killed ("failed"); the stop cancels
/// it first; class `service` finds the systemd unit when no LSB script has the name.
#[test]
fn recurring_monitor_sees_failure() {
    let script = "
        register v service - pcmk-sleep
        exec v start
        wait v start
        exec v monitor interval=1000
        wait v monitor 1000
        sh systemctl kill -s KILL pcmk-sleep.service
        wait v monitor 1000 15
        exec v stop
        wait v monitor 1000
        wait v stop
        exec v monitor
        wait v monitor
    ";
    let t = compare("recurring_monitor_sees_failure", script, |_| {});
    assert_has(&t, "result v start interval=0 rc=0 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result v monitor interval=1000 rc=7 status=0 deleted=0 not-ran reason=failed output=-");
    assert_has(&t, "result v monitor interval=1000 rc=7 status=1 deleted=0 not-ran reason=- output=-");
}

/// Failures: a unit that fails at once, a start that never completes within its timeout,
/// units systemd does not know (class systemd, and class service, which falls back to LSB).
#[test]
fn failures_and_missing_units() {
    let script = "
        register f systemd - pcmk-fail
        exec f start
        wait f start
        exec f monitor
        wait f monitor
        register w systemd - pcmk-slow
        exec w start timeout=3000
        wait w start 0 30
        exec w monitor
        wait w monitor
        exec w stop
        wait w stop 0 30
        register n systemd - nosuch
        exec n start
        wait n start
        exec n monitor
        wait n monitor
        exec n stop
        wait n stop
        register bad systemd - bad/name
        exec bad start
        wait bad start
        register x service - nosuch
        exec x start
        wait x start
        exec x monitor
        wait x monitor
    ";
    let t = compare("failures_and_missing_units", script, |_| {});
    assert_has(&t, "result f start interval=0 rc=1 status=0 deleted=0 ran reason=failed output=-");
    assert_has(&t, "result w start interval=0 rc=1 status=2 deleted=0 ran reason=Investigate reason for timeout, and adjust configured operation timeout if necessary output=-");
    assert_has(&t, "result n start interval=0 rc=5 status=7 deleted=0 ran reason=systemd unit nosuch not found output=-");
    assert_has(&t, "result n monitor interval=0 rc=7 status=0 deleted=0 ran reason=inactive output=-");
    assert_has(&t, "result bad start interval=0 rc=1 status=4 deleted=0 ran reason=No DBus object found for systemd unit bad/name output=-");
    assert_has(&t, "result x start interval=0 rc=5 status=7 deleted=0 ran reason=/etc/init.d/nosuch: No such file or directory output=-");
}

/// Meta-data generated for a unit (its description escaped), and for an unknown one.
#[test]
fn unit_metadata() {
    let script = "
        output full
        register s systemd - pcmk-sleep
        exec s meta-data
        wait s meta-data
        register n systemd - nosuch
        exec n meta-data
        wait n meta-data
    ";
    let t = compare("unit_metadata", script, |_| {});
    assert!(t.is_empty() || t.contains("\\n    A &lt;b&gt; &amp; c\\n"), "{t}");
    assert!(t.is_empty() || t.contains("<resource-agent name=\"nosuch\" version=\"0.1\">"), "{t}");
    assert!(t.is_empty() || t.contains("<special tag=\"systemd\"/>\\n</resource-agent>"), "{t}");
}

/// Without a system bus (the node's PID 1 is not systemd): every systemd action fails
/// with "No DBus connection", and class `service` runs the (missing) LSB script.
#[test]
fn no_system_bus() {
    let script = "
        register s systemd - pcmk-sleep
        exec s start
        wait s start
        exec s monitor
        wait s monitor
        exec s meta-data
        wait s meta-data
        register v service - pcmk-sleep
        exec v start
        wait v start
    ";
    let t = compare_in("no_system_bus", false, script, |_| {});
    assert_has(&t, "result s start interval=0 rc=1 status=4 deleted=0 ran reason=No DBus connection output=-");
    assert_has(&t, "result s meta-data interval=0 rc=1 status=4 deleted=0 ran reason=No DBus connection output=-");
    assert_has(&t, "result v start interval=0 rc=5 status=7 deleted=0 ran reason=/etc/init.d/pcmk-sleep: No such file or directory output=-");
}

/// The bus stops answering (dbus-daemon stopped): the executor keeps serving its clients
/// meanwhile, the monitor times out (after its timeout plus Pacemaker's 5 s grace), and
/// once the bus is back the same connection works again.
#[test]
fn bus_not_answering() {
    let script = "
        register s systemd - pcmk-sleep
        exec s monitor
        wait s monitor
        sh kill -STOP $(pidof dbus-daemon)
        exec s monitor timeout=2000
        poke
        wait s monitor 0 30
        sh kill -CONT $(pidof dbus-daemon)
        exec s monitor
        wait s monitor
    ";
    let t = compare("bus_not_answering", script, |_| {});
    assert_has(&t, "poke -> rc=0");
    assert_has(&t, "result s monitor interval=0 rc=1 status=2 deleted=0 ran reason=status action for systemd unit pcmk-sleep did not complete in time output=-");
    assert_has(&t, "result s monitor interval=0 rc=7 status=0 deleted=0 ran reason=inactive output=-");
}
