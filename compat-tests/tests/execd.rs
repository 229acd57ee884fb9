//! The executor: Debian's C `pacemaker-execd` and ours, each alone in a node (beside a
//! stand-alone C CIB manager, which the executor does not use), driven by the same script
//! through `lrmd-drive`; the transcripts must be identical. Each test also checks facts of
//! the C transcript, so a drift of both sides cannot pass unnoticed.
//!
//! Our executor is `PCMK_RS_EXECD_BIN`, else `pacemaker-execd` beside this test binary's
//! profile directory (build it first: `cargo build -p pacemaker-execd`); when it is missing
//! the comparison is skipped (the C half still runs). Needs root, like every compat test.

use compat_tests::executor::{assert_transcript_has, compare_executors, rust_execd, C_EXECD};
use compat_tests::{report_skip, running_as_root, Impl, ImplKind, Node, NodeOpts, SeedCib};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DRIVE: &str = env!("CARGO_BIN_EXE_lrmd-drive");
/// Agents of Debian's packages that no test uses; custom test agents are bind-mounted over
/// them inside the node only.
const SPARE_AGENT_SLOTS: [&str; 4] = [
    "/usr/lib/ocf/resource.d/heartbeat/WinPopup",
    "/usr/lib/ocf/resource.d/heartbeat/AudibleAlarm",
    "/usr/lib/ocf/resource.d/heartbeat/ICP",
    "/usr/lib/ocf/resource.d/heartbeat/Evmsd",
];

/// Starts a node running `execd` and returns it once the executor answers.
fn start_node(test: &str, label: &str, execd: &Path) -> Node {
    start_node_with(test, label, execd, Fencer::Absent)
}

/// Whether a node runs Debian's C fencer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fencer {
    Absent,
    /// Started with the node (with the corosync it needs), ready before the executor.
    Running,
    /// Not started, but corosync runs, so the test can start a fencer later.
    Later,
}

/// As [`start_node`], with Debian's C fencer as `fencer` says.
fn start_node_with(test: &str, label: &str, execd: &Path, fencer: Fencer) -> Node {
    let mut opts = NodeOpts::new(Impl::C);
    opts.corosync = fencer != Fencer::Absent;
    if fencer == Fencer::Running {
        opts.extra_daemons = vec![compat_tests::CDaemon::Fenced];
    }
    opts.name = format!("execd::{test}::{label}");
    let mut node = Node::start(opts).unwrap_or_else(|e| panic!("{test} [{label}]: node did not start: {e}"));
    if fencer == Fencer::Running {
        // Both executors would wait up to 18 s for a fencer that is still starting (see
        // fencer_started_late); start the script when the fencer answers.
        node.wait_until_ready("pacemaker-fenced", &["stonith_admin", "--list-registered"])
            .unwrap_or_else(|e| panic!("{test} [{label}]: fencer not ready: {e}"));
    }
    let execd = execd.display().to_string();
    node.start_extra_daemon("pacemaker-execd", &[&execd]).unwrap_or_else(|e| panic!("{test} [{label}]: {e}"));
    let probe = format!("printf 'poke\\n' | {DRIVE} | grep -qx 'poke -> rc=0'");
    node.wait_until_ready("pacemaker-execd", &["sh", "-c", &probe])
        .unwrap_or_else(|e| panic!("{test} [{label}]: executor not ready: {e}"));
    node
}

/// Installs custom OCF agents inside the node only, bind-mounted in order over
/// [`SPARE_AGENT_SLOTS`] (heartbeat's WinPopup, AudibleAlarm, ...).
fn install_agents(node: &Node, scripts: &[&str]) {
    use std::os::unix::fs::PermissionsExt;
    for (script, slot) in scripts.iter().zip(SPARE_AGENT_SLOTS) {
        let file = node.dir().join(format!("agent-{}", slot.rsplit('/').next().unwrap_or("x")));
        std::fs::write(&file, script).expect("writing a test agent");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod test agent");
        node.run(&["mount", "--bind", &file.display().to_string(), slot]).expect_ok();
    }
}

/// Runs `script` against the C executor and (when built) ours, each in a fresh node
/// prepared by `setup`; returns the C transcript after asserting ours is the same. `after`
/// runs extra checks in each node.
fn compare(test: &str, setup: impl Fn(&Node), script: &str, after: impl Fn(&Node)) -> String {
    compare_in(test, Fencer::Absent, setup, script, after)
}

/// As [`compare`], in nodes with Debian's C fencer as `fencer` says.
fn compare_in(test: &str, fencer: Fencer, setup: impl Fn(&Node), script: &str, after: impl Fn(&Node)) -> String {
    if !running_as_root() {
        report_skip(test, ImplKind::C, "compat tests need root (namespaces, mounts)");
        return String::new();
    }
    let run = |label: &str, execd: &Path| {
        let node = start_node_with(test, label, execd, fencer);
        setup(&node);
        let out = node.cmd(&[DRIVE]).stdin(script).timeout(Duration::from_secs(120)).run();
        assert!(out.success(), "{test} [{label}]: lrmd-drive failed: {}\n{}", out.stdout, out.stderr);
        after(&node);
        node.assert_daemons_alive();
        out.stdout
    };
    compare_executors(test, run)
}

fn no_setup(_: &Node) {}
fn no_checks(_: &Node) {}

/// The transcript has `line` exactly.
#[track_caller]
fn assert_has(transcript: &str, line: &str) {
    assert_transcript_has(transcript, line, str::to_owned);
}

/// Probe, start, recurring monitor, stop of heartbeat and pacemaker Dummy; registration
/// queries; a stop cancels the recurring monitor first; a result wakes a poll on the
/// client's event descriptor.
#[test]
fn dummy_lifecycle() {
    let script = "
        register d ocf heartbeat Dummy
        info d
        register d ocf heartbeat Dummy
        info nosuch
        exec d monitor
        wait d monitor
        exec d start
        wait d start
        exec d monitor interval=2000 opts=4
        wait d monitor 2000
        recurring
        exec d stop
        wait d monitor 2000
        wait d stop
        exec d monitor
        wait d monitor
        register p ocf pacemaker Dummy
        exec p start
        wait p start
        exec p monitor userdata=hello
        wait p monitor
        exec p stop
        poll 20
        unregister p
        unregister p
        info p
        exec p start
        poke
    ";
    let t = compare("dummy_lifecycle", no_setup, script, no_checks);
    assert_has(&t, "info d -> ocf:heartbeat:Dummy");
    assert_has(&t, "info nosuch -> unknown");
    assert_has(&t, "result d monitor interval=0 call=+0 rc=7 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result d start interval=0 call=+1 rc=0 status=0 deleted=0 ran reason=- output=-");
    // The stop cancelled the recurring monitor: reported with its last exit status.
    assert_has(&t, "result d monitor interval=2000 call=+2 rc=0 status=1 deleted=0 not-ran reason=- output=-");
    assert_has(&t, "exec p start -> rc=-19");
    // The client's event descriptor woke the poll for the stop's result.
    assert!(t.is_empty() || t.lines().any(|l| l.starts_with("poll -> result p stop interval=0") && l.contains(" rc=0 ")), "{t}");
}

/// A promotable agent: promote and demote, and the promoted monitor result.
#[test]
fn stateful_promote_demote() {
    let script = "
        register s ocf pacemaker Stateful
        exec s start
        wait s start
        exec s monitor CRM_meta_role=Unpromoted
        wait s monitor
        exec s promote
        wait s promote
        exec s monitor
        wait s monitor
        exec s demote
        wait s demote
        exec s monitor
        wait s monitor
        exec s stop
        wait s stop
    ";
    let t = compare("stateful_promote_demote", no_setup, script, no_checks);
    assert!(t.is_empty() || t.contains("result s monitor interval=0 call=+3 rc=8 status=0"), "{t}");
}

const HUNG_AGENT: &str = "#!/bin/sh
case \"$1\" in
  start) sleep 300 & sleep 300 ;;
  monitor) exit 7 ;;
  *) exit 0 ;;
esac
";

const FAULTY_AGENT: &str = "#!/bin/sh
case \"$OCF_RESKEY_mode\" in
  reason) echo 'ocf-exit-reason:first' >&2; echo 'ocf-exit-reason:the configuration is wrong' >&2; exit 6 ;;
  crash) kill -SEGV $$ ;;
  forkexit) (sleep 30 &) ; echo started; exit 0 ;;
  flood) i=0; while [ $i -lt 3000 ]; do echo 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; i=$((i+1)); done; exit 0 ;;
  env) echo \"$OCF_RESOURCE_INSTANCE $OCF_RESOURCE_TYPE $OCF_RESOURCE_PROVIDER $OCF_ROOT $OCF_RA_VERSION_MAJOR.$OCF_RA_VERSION_MINOR $OCF_RESKEY_CRM_meta_timeout $OCF_EXIT_REASON_PREFIX $OCF_CHECK_LEVEL [$HA_LOGFILE|$HA_LOGFACILITY|$HA_DEBUGLOG|${NOTIFY_SOCKET-unset}]\"; exit 0 ;;
  big) exit 120 ;;
  secret) echo \"$OCF_RESKEY_passwd $OCF_RESKEY_other\" > /run/secret.out; exit 0 ;;
  *) exit 0 ;;
esac
";

/// Timeouts kill the agent's whole process group; exit reasons, crashes, agents that
/// leave a child behind, output floods and the OCF environment.
#[test]
fn timeouts_and_faults() {
    let script = "
        register p ocf pacemaker Dummy
        exec p start timeout=1000 op_sleep=3
        wait p start
        register h ocf heartbeat WinPopup
        exec h start timeout=1500
        wait h start
        register f ocf heartbeat AudibleAlarm
        exec f start mode=reason
        wait f start
        exec f start mode=crash
        wait f start
        exec f start mode=forkexit
        wait f start 0 10
        exec f start mode=flood
        wait f start
        exec f monitor mode=env CRM_meta_timeout=20000 OCF_CHECK_LEVEL=10
        wait f monitor
        exec f start mode=big
        wait f start
    ";
    let t = compare(
        "timeouts_and_faults",
        |node| install_agents(node, &[HUNG_AGENT, FAULTY_AGENT]),
        script,
        |node| {
            // The hung agent's background child went with its process group.
            node.run(&["sh", "-c", "! pgrep -f 'sleep 30[0]'"]).expect_ok();
        },
    );
    assert_has(&t, "result p start interval=0 call=+0 rc=1 status=2 deleted=0 ran reason=Resource agent did not complete within 1000ms output=-");
    assert_has(&t, "result h start interval=0 call=+2 rc=1 status=2 deleted=0 ran reason=Resource agent did not complete within 1.500s output=-");
    // The last exit reason wins; the output is stderr when there is any. (Pacemaker's XML
    // attribute escaping turns newlines into a backslash and `n`.)
    assert_has(&t, "result f start interval=0 call=+4 rc=6 status=0 deleted=0 ran reason=the configuration is wrong output=ocf-exit-reason:first\\nocf-exit-reason:the configuration is wrong\\n");
    assert_has(&t, "result f start interval=0 call=+5 rc=1 status=4 deleted=0 ran reason=Resource agent interrupted by Segmentation fault signal output=-");
    assert_has(&t, "result f start interval=0 call=+6 rc=0 status=0 deleted=0 ran reason=- output=started\\n");
    assert_has(&t, "result f monitor interval=0 call=+8 rc=0 status=0 deleted=0 ran reason=- output=f AudibleAlarm heartbeat /usr/lib/ocf 1.1 20000 ocf-exit-reason: 10 [/var/log/pacemaker/pacemaker.log|||unset]\\n");
    // Exit codes outside OCF's range are generic errors.
    assert_has(&t, "result f start interval=0 call=+9 rc=1 status=0 deleted=0 ran reason=- output=-");
}

/// Recurring monitors report changes only when asked, can be cancelled (once), merge with
/// duplicates, go away with their resource; start delays; serialised operations on one
/// resource.
#[test]
fn cancel_and_recurring() {
    let script = "
        register p ocf pacemaker Dummy
        exec p start delay=1000
        exec p monitor
        wait p start
        wait p monitor
        exec p monitor interval=500 opts=4
        wait p monitor 500
        quiet 1.5
        cancel p monitor 500
        wait p monitor 500
        cancel p monitor 500
        cancel q monitor 500
        exec p monitor interval=500
        wait p monitor 500
        wait p monitor 500
        exec p monitor interval=500 userdata=merged
        wait p monitor 500
        recurring p
        recurring
        unregister p
        wait p monitor 500
        info p
        recurring
        register q ocf pacemaker Dummy
        exec q start op_sleep=1
        exec q monitor
        wait q start
        wait q monitor
        exec q monitor interval=700 opts=4 op_sleep=1
        sleep 300
        exec q stop
        wait q monitor 700
        wait q stop
    ";
    let t = compare("cancel_and_recurring", no_setup, script, no_checks);
    assert_has(&t, "quiet 1.5s: 0 results");
    assert_has(&t, "cancel p monitor 500 -> rc=-95");
    assert_has(&t, "cancel q monitor 500 -> rc=-19");
    assert_has(&t, "result p monitor interval=500 call=+7 rc=0 status=1 deleted=1 not-ran reason=- output=-");
    assert_has(&t, "result q monitor interval=0 call=+15 rc=0 status=0 deleted=0 ran queued reason=- output=-");
    // A stop kills the running recurring monitor at once.
    assert_has(&t, "result q monitor interval=700 call=+16 rc=0 status=1 deleted=0 ran reason=- output=-");
    assert_has(&t, "result q stop interval=0 call=+17 rc=0 status=0 deleted=0 ran reason=- output=-");
}

const LSB_SCRIPT: &str = "#!/bin/sh
state=/run/lsb-test.state
case \"$1\" in
  start) touch $state; echo Starting; exit 0 ;;
  stop) rm -f $state; exit 0 ;;
  status) [ -e $state ] && exit 0; exit 3 ;;
  *) exit 3 ;;
esac
";

/// LSB scripts (status codes mapped to OCF), missing agents of each class, and fence
/// devices without a fencer.
#[test]
fn lsb_unknown_and_fencing() {
    let script = "
        register l lsb - /run/lsb-test
        exec l monitor
        wait l monitor
        exec l start
        wait l start
        exec l monitor interval=1000
        wait l monitor 1000
        exec l stop
        wait l monitor 1000
        wait l stop
        exec l monitor
        wait l monitor
        register m lsb - no-such-script
        exec m monitor
        wait m monitor
        exec m start
        wait m start
        register x ocf heartbeat NoSuchAgent
        exec x start
        wait x start
        register u nosuchclass - thing
        exec u start
        wait u start
        register sv service - /run/lsb-test
        exec sv monitor
        wait sv monitor
        exec sv start
        wait sv start
        exec sv monitor
        wait sv monitor
        exec sv stop
        wait sv stop
        register fd stonith - fence_dummy
        exec fd monitor
        wait fd monitor
        exec fd start
        wait fd start
        exec fd stop
        wait fd stop
    ";
    // The LSB script lives in each node's private /run.
    let t = compare(
        "lsb_unknown_and_fencing",
        |node| {
            node.cmd(&["sh", "-c", "cat > /run/lsb-test && chmod 755 /run/lsb-test"]).stdin(LSB_SCRIPT).run().expect_ok();
        },
        script,
        no_checks,
    );
    assert_has(&t, "result l monitor interval=0 call=+0 rc=7 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result m monitor interval=0 call=+6 rc=5 status=7 deleted=0 ran reason=/etc/init.d/no-such-script: No such file or directory output=-");
    assert_has(&t, "result x start interval=0 call=+9 rc=5 status=7 deleted=0 ran reason=NoSuchAgent: No such file or directory output=-");
    // `service` finds the LSB script.
    assert_has(&t, "result sv monitor interval=0 call=+15 rc=0 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result fd monitor interval=0 call=+18 rc=7 status=4 deleted=0 ran reason=- output=-");
    assert_has(&t, "result fd start interval=0 call=+19 rc=1 status=4 deleted=0 ran reason=No connection to fencer output=-");
}

const ALERT_AGENT: &str = "#!/bin/sh
{ id -un; echo \"$CRM_alert_kind $CRM_alert_node_sequence $CRM_notify_node_sequence $CRM_alert_recipient\"; } > /run/crm/alert.out
";

/// Alert agents run as the cluster user with the alert's parameters and a sequence number;
/// the client gets only the reply (no result event). `lrmd_check` is never answered.
#[test]
fn alerts_and_check() {
    let script = "
        alert a1 /run/alert-agent 5000 CRM_alert_kind=node CRM_alert_recipient=/tmp/r
        alert a2 /run/no-such-alert-agent 5000
        check
        poke
        quiet 1
    ";
    let t = compare(
        "alerts_and_check",
        |node| {
            node.cmd(&["sh", "-c", "cat > /run/alert-agent && chmod 755 /run/alert-agent"]).stdin(ALERT_AGENT).run().expect_ok();
        },
        script,
        |node| {
            let out = node.run(&["cat", "/run/crm/alert.out"]).expect_ok();
            assert_eq!(out.stdout, "hacluster\nnode 1 1 /tmp/r\n");
        },
    );
    assert_has(&t, "alert a1 -> rc=0");
    assert_has(&t, "alert a2 -> rc=0");
    assert_has(&t, "check -> rc=0");
    assert_has(&t, "quiet 1s: 0 results");
}

/// A one-node cluster's configuration: quick DC election, no fencing, a Dummy with a
/// recurring monitor and a promotable Stateful clone.
fn cluster_cib() -> String {
    SeedCib {
        epoch: 5,
        options: &[("dc-deadtime", "2s"), ("stonith-enabled", "false")],
        resources: CLUSTER_RESOURCES,
        ..SeedCib::default()
    }
    .xml()
}

const CLUSTER_RESOURCES: &str = r#"
      <primitive id="d1" class="ocf" provider="heartbeat" type="Dummy">
        <operations>
          <op id="d1-monitor-2s" name="monitor" interval="2s" timeout="20s"/>
        </operations>
      </primitive>
      <clone id="s1-clone">
        <meta_attributes id="s1-clone-meta">
          <nvpair id="s1-clone-promotable" name="promotable" value="true"/>
        </meta_attributes>
        <primitive id="s1" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="s1-monitor-promoted" name="monitor" interval="3s" role="Promoted" timeout="20s"/>
            <op id="s1-monitor-unpromoted" name="monitor" interval="4s" role="Unpromoted" timeout="20s"/>
          </operations>
        </primitive>
      </clone>
      <primitive id="fence1" class="stonith" type="fence_alom">
        <meta_attributes id="fence1-meta">
          <nvpair id="fence1-target-role" name="target-role" value="Stopped"/>
        </meta_attributes>
        <operations>
          <op id="fence1-monitor-3s" name="monitor" interval="3s" timeout="20s"/>
        </operations>
      </primitive>
"#;

/// The last recorded operation of a resource in the CIB status: (operation, rc-code).
fn last_op(node: &Node, rsc: &str) -> Option<(String, String)> {
    recorded_op(node, &format!("{rsc}_last_0"))
}

/// An operation history entry of the CIB status by id: (operation, rc-code).
fn recorded_op(node: &Node, id: &str) -> Option<(String, String)> {
    let status = node.run(&["cibadmin", "-Q", "-o", "status"]).expect_ok().xml();
    let op = status.descendants().find(|e| e.name == "lrm_rsc_op" && e.attr("id") == Some(id))?;
    Some((op.attr("operation")?.to_owned(), op.attr("rc-code")?.to_owned()))
}

fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Debian's C controller (with corosync, the C CIB manager, attrd and schedulerd) drives
/// the executor: resources start, the clone is promoted, a failed monitor is recovered,
/// `crm_resource --cleanup` re-probes through the executor and a stop request stops.
fn cluster_scenario(label: &str, execd: Option<PathBuf>) {
    let test = "execd::controller_drives_executor";
    let mut opts = NodeOpts::new(Impl::C);
    opts.corosync = true;
    opts.name = format!("{test}::{label}");
    opts.cib_xml = Some(cluster_cib());
    opts.extra_daemons = vec![
        compat_tests::CDaemon::Fenced,
        compat_tests::CDaemon::Execd,
        compat_tests::CDaemon::Attrd,
        compat_tests::CDaemon::Schedulerd,
        compat_tests::CDaemon::Controld,
    ];
    let ours = execd.is_some();
    opts.execd_binary = execd;
    let node = Node::start(opts).unwrap_or_else(|e| panic!("{test} [{label}]: node did not start: {e}"));
    let long = Duration::from_secs(90);
    wait_until("d1 started", long, || last_op(&node, "d1").is_some_and(|(op, rc)| op == "start" && rc == "0"));
    wait_until("s1 promoted", long, || last_op(&node, "s1").is_some_and(|(op, rc)| op == "promote" && rc == "0"));
    let located = node.run(&["crm_resource", "--locate", "-r", "d1"]).expect_ok();
    assert_eq!(located.stdout.trim(), "resource d1 is running on: node1");

    // A fence device: the executor registers it with the fencer, which monitors it.
    let agent = node.dir().join("fence-agent");
    std::fs::write(&agent, FENCE_AGENT).expect("writing the fence agent");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    node.run(&["mount", "--bind", &agent.display().to_string(), "/usr/sbin/fence_alom"]).expect_ok();
    node.run(&["crm_resource", "-r", "fence1", "--meta", "-p", "target-role", "-v", "Started"]).expect_ok();
    wait_until("fence1 started", long, || last_op(&node, "fence1").is_some_and(|(op, rc)| op == "start" && rc == "0"));
    let registered = node.run(&["stonith_admin", "--list-registered"]).expect_ok();
    assert!(registered.stdout.contains("fence1"), "fencer does not know fence1:\n{}", registered.stdout);
    wait_until("fence1 monitored", long, || {
        recorded_op(&node, "fence1_monitor_3000").is_some_and(|(op, rc)| op == "monitor" && rc == "0")
    });

    // The agent's state file goes away: the recurring monitor reports "not running" once,
    // the controller counts a failure and restarts d1.
    node.run(&["rm", "-f", "/run/resource-agents/Dummy-d1.state"]).expect_ok();
    wait_until("d1 failure recorded", long, || {
        let out = node.run(&["crm_failcount", "-G", "-r", "d1", "-Q"]);
        out.success() && out.stdout.trim() != "0"
    });
    wait_until("d1 recovered", long, || node.run(&["test", "-e", "/run/resource-agents/Dummy-d1.state"]).success());
    wait_until("d1 started again", long, || last_op(&node, "d1").is_some_and(|(op, rc)| op == "start" && rc == "0"));

    // --cleanup clears the failure and makes the controller probe d1 again via the executor.
    node.run(&["crm_resource", "--cleanup", "-r", "d1"]).expect_ok();
    wait_until("d1 re-probed", long, || last_op(&node, "d1").is_some_and(|(op, rc)| op == "monitor" && rc == "0"));
    let count = node.run(&["crm_failcount", "-G", "-r", "d1", "-Q"]);
    assert!(!count.success() || count.stdout.trim() == "0", "fail count not cleared: {}", count.stdout);

    // A stop through the configuration.
    node.run(&["crm_resource", "-r", "d1", "--meta", "-p", "target-role", "-v", "Stopped"]).expect_ok();
    wait_until("d1 stopped", long, || last_op(&node, "d1").is_some_and(|(op, rc)| op == "stop" && rc == "0"));
    assert!(!node.run(&["test", "-e", "/run/resource-agents/Dummy-d1.state"]).success());
    node.assert_daemons_alive();
    let log = std::fs::read_to_string(node.dir().join("log-pacemaker/pacemaker.log")).unwrap_or_default();
    assert_eq!(log.contains("Starting Pacemaker local executor (pacemaker-rs"), ours, "wrong executor ran");
}

#[test]
fn controller_drives_executor() {
    if !running_as_root() {
        report_skip("execd::controller_drives_executor", ImplKind::C, "compat tests need root");
        return;
    }
    cluster_scenario("c", None);
    match rust_execd() {
        Some(ours) => cluster_scenario("rust", Some(ours)),
        None => report_skip("execd::controller_drives_executor", ImplKind::Rust, "no pacemaker-execd built"),
    }
}

/// A recurring monitor that reports changes only: one result when the resource fails, one
/// when it recovers, none in between. A client that registered with drop-recurring takes
/// its recurring operations with it when it disconnects.
#[test]
fn changes_only_and_client_exit() {
    let script = "
        register d ocf heartbeat Dummy
        exec d start state=/run/d-test.state
        wait d start
        exec d monitor interval=400 opts=4 state=/run/d-test.state
        wait d monitor 400
        quiet 1
        sh rm /run/d-test.state
        wait d monitor 400 5
        quiet 1
        sh touch /run/d-test.state
        wait d monitor 400 5
        quiet 1
        register k ocf pacemaker Dummy 3
        exec k monitor interval=400
        wait k monitor 400
        recurring
    ";
    let t = compare("changes_only_and_client_exit", no_setup, script, |node| {
        // The first client is gone: k's monitor went with it, d's stays.
        let out = node.cmd(&[DRIVE]).stdin("recurring\n").run().expect_ok();
        assert_eq!(out.stdout, "recurring -> [d:monitor:400:20000]\n");
    });
    assert_has(&t, "result d monitor interval=400 call=+1 rc=7 status=0 deleted=0 not-ran reason=- output=-");
    assert_has(&t, "result d monitor interval=400 call=+1 rc=0 status=0 deleted=0 not-ran reason=- output=-");
    assert_has(&t, "quiet 1s: 0 results");
    assert_has(&t, "recurring -> [d:monitor:400:20000 k:monitor:400:20000]");
}

/// Requests with missing or wrong fields get an error reply, and the executor keeps
/// working. (A registration without a resource id is left out: the C executor crashes on it;
/// ours answers -EINVAL, checked separately.)
#[test]
fn malformed_requests() {
    let script = "
        raw lrmd_bogus
        raw lrmd_rsc_exec
        raw lrmd_rsc_exec <lrmd_rsc/>
        raw lrmd_rsc_exec <lrmd_rsc lrmd_rsc_id=\"nosuch\"/>
        raw lrmd_rsc_cancel <lrmd_rsc lrmd_rsc_id=\"x\"/>
        raw lrmd_rsc_unregister
        raw lrmd_rsc_info
        raw lrmd_get_recurring <lrmd_rsc lrmd_rsc_id=\"nosuch\"/>
        raw lrmd_rsc_poke
        poke
    ";
    let t = compare("malformed_requests", no_setup, script, |node| {
        if node.dir().to_string_lossy().ends_with(".rust") {
            let out = node.cmd(&[DRIVE]).stdin("raw lrmd_rsc_register\nraw lrmd_rsc_register <lrmd_rsc/>\npoke\n").run().expect_ok();
            assert_eq!(out.stdout, "raw lrmd_rsc_register -> lrmd_reply rc=-22\nraw lrmd_rsc_register -> lrmd_reply rc=-22\npoke -> rc=0\n");
        }
    });
    assert_has(&t, "raw lrmd_bogus -> lrmd_reply rc=-95");
    assert_has(&t, "raw lrmd_rsc_exec -> lrmd_reply rc=-22");
    assert_has(&t, "poke -> rc=0");
}

/// Unprivileged users. Outside the haclient group the connection fails (C accepts it, but
/// the ring buffers it sets up are for root and haclient only; ours refuses it at once: the
/// client sees EACCES either way). A haclient member that is not hacluster connects, signs
/// on and pokes; every other request is answered -EACCES.
#[test]
fn unprivileged_client() {
    let script = "
        register d ocf heartbeat Dummy
        info d
        exec d start
        recurring
        raw lrmd_rsc_cancel <lrmd_rsc lrmd_rsc_id=\"d\"/>
        raw lrmd_rsc_unregister <lrmd_rsc lrmd_rsc_id=\"d\"/>
        alert a1 /bin/true 5000
        poke
    ";
    let haclient = libcrmcommon::users::ClusterIds::lookup().haclient_gid.unwrap_or(65534);
    let transcripts = std::cell::RefCell::new(Vec::new());
    compare("unprivileged_client", no_setup, "poke\n", |node| {
        let mut transcript = String::new();
        for gid in [65534, haclient] {
            let out = node
                .cmd(&["setpriv", "--reuid=65534", &format!("--regid={gid}"), "--clear-groups", DRIVE])
                .stdin(script)
                .run();
            transcript.push_str(&format!("gid {}: exit {:?}\n{}", if gid == 65534 { "nogroup" } else { "haclient" }, out.code, out.stdout));
        }
        transcripts.borrow_mut().push(transcript);
        // The executor stays usable for privileged clients.
        node.cmd(&[DRIVE]).stdin("register d ocf heartbeat Dummy\ninfo d\n").run().expect_ok();
    });
    let transcripts = transcripts.into_inner();
    let Some(c) = transcripts.first() else { return };
    assert!(c.contains("gid nogroup: exit Some(2)\nconnect failed"), "C transcript:\n{c}");
    assert!(c.contains("register d -> rc=-13"), "C transcript:\n{c}");
    assert!(c.contains("poke -> rc=0"), "C transcript:\n{c}");
    if let Some(ours) = transcripts.get(1) {
        assert_eq!(ours, c, "unprivileged client: ours differs from C");
    }
}

/// CPU seconds (user + system, the process itself only) and resident KiB of a process.
fn cpu_and_rss(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the state field, utime and stime are the 12th and 13th.
    let cpu = (field(11) + field(12)) as f64 / ticks;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (cpu, rss)
}

struct BenchResult {
    cpu_seconds: f64,
    rss_kib: u64,
    roundtrip_us: f64,
}

fn bench_one(label: &str, execd: &Path) -> BenchResult {
    const RESOURCES: usize = 500;
    const WINDOW: Duration = Duration::from_secs(60);
    let node = start_node("benchmark", label, execd);
    install_agents(&node, &["#!/bin/sh\nexit 0\n"]);
    let mut script = String::new();
    for i in 0..RESOURCES {
        script.push_str(&format!("register r{i} ocf heartbeat WinPopup\nexec r{i} monitor interval=10000 opts=4\n"));
    }
    node.cmd(&[DRIVE]).stdin(&script).timeout(Duration::from_secs(300)).run().expect_ok();
    let pid = node
        .host_pids()
        .into_iter()
        .find(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "pacemaker-execd"))
        .expect("executor process");
    // Let the first round of monitors pass, then measure a steady minute.
    std::thread::sleep(Duration::from_secs(12));
    let (cpu_before, _) = cpu_and_rss(pid);
    std::thread::sleep(WINDOW);
    let (cpu_after, rss) = cpu_and_rss(pid);
    let out = node
        .cmd(&[DRIVE])
        .stdin("register noop ocf heartbeat WinPopup\nroundtrip 200 noop start\n")
        .timeout(Duration::from_secs(300))
        .run()
        .expect_ok();
    let roundtrip_us = out
        .stdout
        .lines()
        .find_map(|l| l.split("mean ").nth(1))
        .and_then(|v| v.trim_end_matches(" us").parse().ok())
        .unwrap_or(f64::NAN);
    node.assert_daemons_alive();
    BenchResult { cpu_seconds: cpu_after - cpu_before, rss_kib: rss, roundtrip_us }
}

/// 500 resources with 10 s recurring monitors: the executor's own CPU time over one minute
/// and its RSS, ours against C, and the mean round trip (request to result) of a trivial
/// operation. Run with `cargo test --release -p compat-tests --test execd benchmark --
/// --ignored --nocapture` (build pacemaker-execd in release mode first).
#[test]
#[ignore]
fn benchmark() {
    if !running_as_root() {
        report_skip("execd::benchmark", ImplKind::C, "needs root");
        return;
    }
    let Some(ours) = rust_execd() else {
        report_skip("execd::benchmark", ImplKind::Rust, "no pacemaker-execd built");
        return;
    };
    let c = bench_one("c", Path::new(C_EXECD));
    let rust = bench_one("rust", &ours);
    println!("executor, 500 resources x 10 s monitors, 60 s window:");
    println!("  CPU s:  C {:.2}  ours {:.2}  ratio ours/C {:.2}", c.cpu_seconds, rust.cpu_seconds, rust.cpu_seconds / c.cpu_seconds);
    println!("  RSS KiB: C {}  ours {}  ratio ours/C {:.2}", c.rss_kib, rust.rss_kib, rust.rss_kib as f64 / c.rss_kib as f64);
    println!(
        "  round trip us: C {:.0}  ours {:.0}  ratio ours/C {:.2}",
        c.roundtrip_us, rust.roundtrip_us, rust.roundtrip_us / c.roundtrip_us
    );
}

/// A fence agent for tests: answers metadata, and its monitor fails while
/// /run/fence-test-fail exists.
const FENCE_AGENT: &str = r#"#!/bin/sh
action=
[ "$1" = "-o" ] && action=$2
if [ -z "$action" ]; then
  while read -r line; do case "$line" in action=*) action=${line#action=} ;; esac; done
fi
case "$action" in
  metadata) cat <<'XML'
<?xml version="1.0" ?>
<resource-agent name="fence_alom" shortdesc="test fence agent">
<parameters>
<parameter name="action" unique="0" required="0"><getopt mixed="-o, --action=[action]"/><content type="string" default="reboot"/><shortdesc lang="en">Action</shortdesc></parameter>
<parameter name="port" unique="0" required="0"><getopt mixed="-n, --plug=[id]"/><content type="string"/><shortdesc lang="en">Plug</shortdesc></parameter>
</parameters>
<actions>
<action name="on"/><action name="off"/><action name="reboot"/><action name="status"/><action name="list"/><action name="monitor"/><action name="metadata"/>
</actions>
</resource-agent>
XML
  ;;
  monitor|status) [ -e /run/fence-test-fail ] && exit 1; exit 0 ;;
  list) echo node1 ;;
  *) exit 0 ;;
esac
"#;

/// Fence devices through Debian's C fencer: probes answer from what the executor knows, a
/// start registers the device and monitors it, recurring monitors report failure and
/// recovery, a stop unregisters it.
#[test]
fn fencing_with_fencer() {
    let script = "
        register fd stonith - fence_alom
        exec fd monitor
        wait fd monitor
        exec fd start
        wait fd start
        exec fd monitor
        wait fd monitor
        exec fd monitor interval=1000 opts=4
        wait fd monitor 1000
        sh touch /run/fence-test-fail
        wait fd monitor 1000 15
        sh rm /run/fence-test-fail
        wait fd monitor 1000 15
        cancel fd monitor 1000
        wait fd monitor 1000
        exec fd stop
        wait fd stop
        exec fd monitor
        wait fd monitor
        exec fd reboot
        wait fd reboot
    ";
    let t = compare_in(
        "fencing_with_fencer",
        Fencer::Running,
        install_fence_agent,
        script,
        no_checks,
    );
    assert_has(&t, "result fd monitor interval=0 call=+0 rc=7 status=4 deleted=0 ran reason=- output=-");
    assert_has(&t, "result fd start interval=0 call=+1 rc=0 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result fd monitor interval=0 call=+2 rc=0 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result fd monitor interval=1000 call=+3 rc=1 status=0 deleted=0 ran reason=- output=-");
    assert_has(&t, "result fd stop interval=0 call=+5 rc=0 status=0 deleted=0 ran reason=OK output=-");
    assert_has(&t, "result fd monitor interval=0 call=+6 rc=7 status=4 deleted=0 ran reason=- output=-");
}

/// The test fence agent, in the node only, as `fence_alom`.
fn install_fence_agent(node: &Node) {
    use std::os::unix::fs::PermissionsExt;
    let file = node.dir().join("fence-agent");
    std::fs::write(&file, FENCE_AGENT).expect("writing the fence agent");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    node.run(&["mount", "--bind", &file.display().to_string(), "/usr/sbin/fence_alom"]).expect_ok();
}

/// A fence device started before the fencer is up: the executor keeps trying to connect
/// (10 times, 2 s apart; Pacemaker's blocks meanwhile, ours does not), and the start
/// succeeds once the fencer, started 3 s later, answers.
#[test]
fn fencer_started_late() {
    let script = "
        register fd stonith - fence_alom
        exec fd start
        sh setsid -f sh -c 'sleep 3; exec /usr/lib/pacemaker/pacemaker-fenced' </dev/null >/dev/null 2>&1
        wait fd start 0 40
    ";
    let t = compare_in("fencer_started_late", Fencer::Later, install_fence_agent, script, no_checks);
    assert_has(&t, "result fd start interval=0 call=+0 rc=0 status=0 deleted=0 ran reason=- output=-");
}

/// systemd without a D-Bus connection, `service` with no script, nagios plugins (probe runs
/// `--version`, stop runs nothing, a failing start is retried until its timeout).
#[test]
fn systemd_service_nagios() {
    let script = "
        register sys systemd - foo.service
        exec sys monitor
        wait sys monitor
        register sv service - nosuch
        exec sv start
        wait sv start
        register ng nagios - check_foo
        exec ng monitor
        wait ng monitor
        register ok nagios - /bin/true
        exec ok monitor
        wait ok monitor
        exec ok start
        wait ok start
        exec ok monitor interval=1000 warning=1 CRM_meta_x=2
        wait ok monitor 1000
        exec ok stop
        wait ok monitor 1000
        wait ok stop
        register bad nagios - /bin/false
        exec bad start timeout=3000
        wait bad start 0 10
    ";
    let t = compare("systemd_service_nagios", no_setup, script, no_checks);
    assert_has(&t, "result sys monitor interval=0 call=+0 rc=1 status=4 deleted=0 ran reason=No DBus connection output=-");
    assert_has(&t, "result sv start interval=0 call=+2 rc=5 status=7 deleted=0 ran reason=/etc/init.d/nosuch: No such file or directory output=-");
    assert_has(&t, "result ng monitor interval=0 call=+4 rc=1 status=7 deleted=0 ran reason=/usr/lib/nagios/plugins/check_foo: No such file or directory output=-");
    assert_has(&t, "result bad start interval=0 call=+11 rc=1 status=2 deleted=0 ran reason=Investigate reason for timeout, and adjust configured operation timeout if necessary output=-");
}

/// CIB secrets: `lrm://` values are replaced from the signed files of `cibsecret`; a bad
/// signature makes the operation fail as unconfigured, except a stop, which runs anyway.
#[test]
fn cib_secrets() {
    let script = "
        register f ocf heartbeat AudibleAlarm
        output off
        exec f monitor mode=secret passwd=lrm://
        wait f monitor
        sh cat /run/secret.out
        exec f start mode=secret other=lrm://
        wait f start
        exec f stop mode=secret passwd=lrm:// other=lrm://
        wait f stop
        sh cat /run/secret.out
    ";
    let setup = |node: &Node| {
        install_agents(node, &[HUNG_AGENT, FAULTY_AGENT]);
        let sh = "d=/var/lib/pacemaker/lrm/secrets/f && mkdir -p $d && echo s3cret > $d/passwd \
                  && md5sum < $d/passwd | true && printf s3cret | md5sum | cut -d' ' -f1 > $d/passwd.sign \
                  && echo x > $d/other && echo 0000 > $d/other.sign";
        node.run(&["sh", "-c", sh]).expect_ok();
    };
    let t = compare("cib_secrets", setup, script, no_checks);
    // (The output is not compared: the C executor's child logs its complaints to stderr
    // when the daemon logs to stderr, which the harness makes it do.)
    assert_has(&t, "s3cret ");
    assert_has(&t, "result f start interval=0 call=+1 rc=2 status=0 deleted=0 ran reason=Unable to load CIB secrets output=(hidden)");
    assert_has(&t, "s3cret lrm://");
}

/// Many resources at once (as Pacemaker's cts-exec stress test): 40 resources started,
/// monitored every second (changes only), with start, monitor and stop of each queued
/// back to back, then all stopped; every result arrives once, in order per resource.
#[test]
fn many_resources() {
    const COUNT: usize = 40;
    // Which operation waited long enough to count as queued depends on the load.
    let mut script = String::from("queued off\n");
    for i in 0..COUNT {
        script.push_str(&format!("register r{i} ocf pacemaker Dummy\nexec r{i} start\nexec r{i} monitor interval=1000 opts=4\n"));
    }
    for i in 0..COUNT {
        script.push_str(&format!("wait r{i} start\nwait r{i} monitor 1000\n"));
    }
    script.push_str("quiet 2\nrecurring r7\n");
    for i in 0..COUNT {
        script.push_str(&format!("exec r{i} monitor\nexec r{i} stop\n"));
    }
    for i in 0..COUNT {
        script.push_str(&format!("wait r{i} monitor 1000\nwait r{i} monitor\nwait r{i} stop\n"));
    }
    script.push_str("quiet 1\nrecurring\n");
    let t = compare("many_resources", no_setup, &script, no_checks);
    assert_has(&t, "quiet 2s: 0 results");
    assert_has(&t, "recurring -> [r7:monitor:1000:20000]");
    assert_has(&t, "recurring -> []");
}
