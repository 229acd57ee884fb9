//! Debian's unchanged administration tools drive a whole node: `crm_mon`, crmsh (`crm status`,
//! `crm configure`, `crm resource`, `crm node`) and pcs without pcsd (`pcs status`,
//! `pcs resource`, `pcs constraint`, `pcs node`), each run inside the node started by
//! `run-node`. For the C variant every daemon is Debian's (the oracle); for the Rust variant our
//! pacemakerd, pacemaker-based, pacemaker-schedulerd and pacemaker-execd run beside Debian's
//! controld, fenced and attrd.
//!
//! Every change a tool makes is judged by its effect on the running cluster: the test waits
//! (with a deadline) until `crm_mon --output-as=xml` shows the resources Started, Stopped or
//! Promoted, the node in standby or back, the failure recorded or cleaned up, and only then
//! checks what the tools print. A daemon that stores, schedules or executes wrongly leaves the
//! cluster short of the awaited state and fails the test.

use compat_tests::{Element, ImplKind, RunNode};
use std::time::{Duration, Instant};

/// How long the cluster may take to reach a state after a command (transitions take seconds;
/// a failed monitor is seen after its 10 s interval).
const SETTLE: Duration = Duration::from_secs(60);

/// The resource `run-node` adds: ocf:heartbeat:Dummy with a 10 s monitor.
const DEMO: &str = "demo";

/// Runs a command in the node: whether it succeeded, and its stdout followed by its stderr.
fn run(node: &RunNode, args: &[&str]) -> (bool, String) {
    let out = node.exec(args);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs a command that must succeed, and returns its output.
#[track_caller]
fn ok(node: &RunNode, args: &[&str]) -> String {
    let (succeeded, text) = run(node, args);
    assert!(succeeded, "{args:?} failed:\n{text}");
    text
}

/// Runs a command that must succeed and print `expected`.
#[track_caller]
fn shows(node: &RunNode, args: &[&str], expected: &[&str]) -> String {
    let text = ok(node, args);
    for line in expected {
        assert!(text.contains(line), "{args:?} does not show {line:?}:\n{text}");
    }
    text
}

/// The cluster as `crm_mon -1 --output-as=xml` reports it.
struct Status(Element);

impl Status {
    fn read(node: &RunNode) -> Result<Status, String> {
        let (succeeded, text) = run(node, &["crm_mon", "-1", "--output-as=xml"]);
        if !succeeded {
            return Err(text);
        }
        libcrmcommon::xml::parse(&text).map(Status).map_err(|error| format!("{error}:\n{text}"))
    }

    /// The `<resource>` entry of a primitive (inside a group or clone too).
    fn resource(&self, id: &str) -> Option<&Element> {
        let resources = self.0.child("resources")?;
        resources.descendants().find(|e| e.name == "resource" && e.attr("id") == Some(id))
    }

    fn role(&self, id: &str) -> Option<&str> {
        self.resource(id)?.attr("role")
    }

    /// Whether the primitive is active in `role` on node1.
    fn is(&self, id: &str, role: &str) -> bool {
        self.resource(id).is_some_and(|r| {
            r.attr("role") == Some(role)
                && r.attr("active") == Some("true")
                && r.elements().any(|n| n.name == "node" && n.attr("name") == Some("node1"))
        })
    }

    fn is_stopped(&self, id: &str) -> bool {
        self.resource(id).is_some_and(|r| r.attr("role") == Some("Stopped") && r.attr("active") == Some("false"))
    }

    fn node1(&self) -> Option<&Element> {
        self.0.child("nodes")?.elements().find(|n| n.attr("name") == Some("node1"))
    }

    fn node1_says(&self, attribute: &str, value: &str) -> bool {
        self.node1().and_then(|n| n.attr(attribute)) == Some(value)
    }

    /// The recorded failures of a resource's operations (`<failures>`).
    fn failures_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        let prefix = format!("{id}_");
        self.0
            .child("failures")
            .into_iter()
            .flat_map(|f| f.elements())
            .filter(move |f| f.attr("op_key").is_some_and(|key| key.starts_with(&prefix)))
    }

    /// The fail count shown in the resource's history on node1, if any.
    fn fail_count(&self, id: &str) -> Option<&str> {
        let history = self.0.child("node_history")?.elements().find(|n| n.attr("name") == Some("node1"))?;
        history.elements().find(|r| r.attr("id") == Some(id))?.attr("fail-count")
    }

    fn text(&self) -> String {
        libcrmcommon::xml::to_formatted(&self.0)
    }
}

/// Waits until `crm_mon`'s XML satisfies `accept`, and returns it; panics with the last status
/// seen when the cluster does not get there within [`SETTLE`].
#[track_caller]
fn wait_until(node: &RunNode, describe: &str, accept: impl Fn(&Status) -> bool) -> Status {
    let start = Instant::now();
    loop {
        let last = match Status::read(node) {
            Ok(status) if accept(&status) => return status,
            Ok(status) => status.text(),
            Err(error) => error,
        };
        if start.elapsed() > SETTLE {
            panic!("the cluster never showed {describe} within {SETTLE:?}; last crm_mon XML:\n{last}");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Whether every resource in `expected` (id, role on node1) is active in its role.
fn everything_runs(status: &Status, expected: &[(&str, &str)]) -> bool {
    expected.iter().all(|(id, role)| status.is(id, role))
}

fn in_standby_with_nothing_running(status: &Status, expected: &[(&str, &str)]) -> bool {
    status.node1_says("standby", "true")
        && status.node1_says("resources_running", "0")
        && expected.iter().all(|(id, _)| status.role(id) == Some("Stopped"))
}

fn online_with_everything_running(status: &Status, expected: &[(&str, &str)]) -> bool {
    status.node1_says("standby", "false") && status.node1_says("online", "true") && everything_runs(status, expected)
}

/// The location constraints in the live CIB, as (id, rsc, node, score).
fn location_constraints(node: &RunNode) -> Vec<(String, String, String, String)> {
    let text = ok(node, &["cibadmin", "-Q", "-o", "constraints"]);
    let constraints = libcrmcommon::xml::parse(&text).unwrap_or_else(|error| panic!("{error}:\n{text}"));
    constraints
        .elements()
        .filter(|c| c.name == "rsc_location")
        .map(|c| {
            let field = |name| c.attr(name).unwrap_or_default().to_owned();
            (field("id"), field("rsc"), field("node"), field("score"))
        })
        .collect()
}

fn has_location(node: &RunNode, id: &str, rsc: &str, score: &str) -> bool {
    location_constraints(node).iter().any(|(i, r, n, s)| i == id && r == rsc && n == "node1" && s == score)
}

/// crmsh: configure a group and a promotable clone, stop/start, ban/move/clear, a failure and
/// its cleanup, standby and back online.
fn crmsh(node: &RunNode) -> Vec<(&'static str, &'static str)> {
    let mut expected = vec![(DEMO, "Started")];
    wait_until(node, "run-node's demo resource Started", |s| everything_runs(s, &expected));

    for command in [
        &["crm", "configure", "primitive", "web", "ocf:heartbeat:Dummy", "op", "monitor", "interval=7s"][..],
        &["crm", "configure", "primitive", "web2", "ocf:pacemaker:Dummy", "op", "monitor", "interval=9s"],
        &["crm", "configure", "group", "web-group", "web", "web2"],
        &[
            "crm", "configure", "primitive", "st", "ocf:pacemaker:Stateful", "op", "monitor", "interval=11s",
            "role=Promoted", "op", "monitor", "interval=12s", "role=Unpromoted",
        ],
        &["crm", "configure", "clone", "st-clone", "st", "meta", "promotable=true"],
    ] {
        ok(node, command);
    }
    expected.extend([("web", "Started"), ("web2", "Started"), ("st", "Promoted")]);
    let status = wait_until(node, "the group Started and the clone Promoted", |s| everything_runs(s, &expected));
    let clone = status.0.descendants().find(|e| e.name == "clone" && e.attr("id") == Some("st-clone"));
    assert_eq!(clone.and_then(|c| c.attr("multi_state")), Some("true"), "{}", status.text());
    let group = status.0.descendants().find(|e| e.name == "group" && e.attr("id") == Some("web-group"));
    assert_eq!(group.and_then(|g| g.attr("number_resources")), Some("2"), "{}", status.text());
    shows(
        node,
        &["crm", "configure", "show"],
        &[
            "primitive web Dummy",
            "primitive web2 ocf:pacemaker:Dummy",
            "group web-group web web2",
            "clone st-clone st",
            "promotable=true",
            "op monitor interval=11s role=Promoted",
        ],
    );
    shows(
        node,
        &["crm", "status"],
        &[
            "Current DC: node1",
            "partition with quorum",
            "Online: [ node1 ]",
            "Resource Group: web-group:",
            "web\t(ocf:heartbeat:Dummy):\t Started node1",
            "web2\t(ocf:pacemaker:Dummy):\t Started node1",
            "Clone Set: st-clone [st] (promotable):",
            "Promoted: [ node1 ]",
        ],
    );

    // Stopping the group's first member stops the member ordered after it too.
    ok(node, &["crm", "resource", "stop", "web"]);
    wait_until(node, "web and web2 Stopped", |s| s.is_stopped("web") && s.is_stopped("web2") && s.is(DEMO, "Started"));
    shows(node, &["crm_mon", "-1"], &["(1 DISABLED)"]);
    shows(node, &["crm", "resource", "status", "web"], &["resource web is NOT running"]);
    ok(node, &["crm", "resource", "start", "web"]);
    wait_until(node, "web and web2 Started again", |s| everything_runs(s, &expected));
    shows(node, &["crm", "resource", "status", "web"], &["resource web is running on: node1"]);

    // A ban stops demo on the only node; moving it back replaces the ban with a preference.
    ok(node, &["crm", "resource", "ban", DEMO, "node1"]);
    wait_until(node, "demo Stopped by its ban", |s| s.is_stopped(DEMO));
    assert!(has_location(node, "cli-ban-demo-on-node1", DEMO, "-INFINITY"), "{:?}", location_constraints(node));
    ok(node, &["crm", "resource", "move", DEMO, "node1"]);
    wait_until(node, "demo Started after the move", |s| everything_runs(s, &expected));
    let constraints = location_constraints(node);
    assert!(has_location(node, "cli-prefer-demo", DEMO, "INFINITY"), "{constraints:?}");
    assert!(!constraints.iter().any(|(id, ..)| id == "cli-ban-demo-on-node1"), "{constraints:?}");
    shows(node, &["crm", "resource", "clear", DEMO], &["Removed migration constraints for demo"]);
    let constraints = location_constraints(node);
    assert!(!constraints.iter().any(|(id, ..)| id.starts_with("cli-")), "clear left {constraints:?}");

    // demo's monitor finds it gone: the failure is recorded and demo recovered; cleanup forgets it.
    ok(node, &["rm", "/run/resource-agents/Dummy-demo.state"]);
    let status = wait_until(node, "demo's failed monitor recorded and demo recovered", |s| {
        s.failures_of(DEMO).any(|f| f.attr("op_key") == Some("demo_monitor_10000"))
            && s.fail_count(DEMO) == Some("1")
            && s.is(DEMO, "Started")
    });
    let failure = status.failures_of(DEMO).next().map(|f| (f.attr("exitcode"), f.attr("exitstatus")));
    assert_eq!(failure, Some((Some("7"), Some("not running"))), "{}", status.text());
    let failed_monitor = "demo 10s-interval monitor on node1 returned 'not running'";
    shows(node, &["crm_mon", "-1"], &["Failed Resource Actions:", failed_monitor]);
    shows(node, &["crm", "resource", "cleanup", DEMO], &["Cleaned up demo on node1"]);
    wait_until(node, "demo's failure cleaned up", |s| {
        s.failures_of(DEMO).next().is_none() && s.fail_count(DEMO).is_none() && s.is(DEMO, "Started")
    });

    ok(node, &["crm", "node", "standby", "node1"]);
    wait_until(node, "node1 in standby with nothing running", |s| in_standby_with_nothing_running(s, &expected));
    shows(node, &["crm_mon", "-1"], &["Node node1: standby", "No active resources"]);
    ok(node, &["crm", "node", "online", "node1"]);
    wait_until(node, "node1 online with everything running again", |s| online_with_everything_running(s, &expected));
    shows(node, &["crm", "status"], &["Online: [ node1 ]", "demo\t(ocf:heartbeat:Dummy):\t Started node1"]);
    expected
}

/// pcs, talking to the local tools (no pcsd): status, create/disable/enable, location
/// constraints that the scheduler honours, standby and back.
fn pcs(node: &RunNode, mut expected: Vec<(&'static str, &'static str)>) {
    shows(
        node,
        &["pcs", "status"],
        &[
            "Cluster name: pacemaker-rs",
            "Status of pacemakerd: 'Pacemaker is running'",
            "Current DC: node1",
            "Online: [ node1 ]",
            "demo\t(ocf:heartbeat:Dummy):\t Started node1",
        ],
    );

    ok(node, &["pcs", "resource", "create", "vip", "ocf:heartbeat:Dummy", "op", "monitor", "interval=13s"]);
    expected.push(("vip", "Started"));
    wait_until(node, "vip Started", |s| everything_runs(s, &expected));
    shows(node, &["pcs", "status", "resources"], &["vip\t(ocf:heartbeat:Dummy):\t Started node1"]);
    let vip_config = ["Resource: vip (class=ocf provider=heartbeat type=Dummy)", "monitor: vip-monitor-interval-13s"];
    shows(node, &["pcs", "resource", "config", "vip"], &vip_config);

    ok(node, &["pcs", "resource", "disable", "vip"]);
    wait_until(node, "vip Stopped", |s| s.is_stopped("vip") && s.is(DEMO, "Started"));
    shows(node, &["pcs", "status", "resources"], &["vip\t(ocf:heartbeat:Dummy):\t Stopped (disabled)"]);
    ok(node, &["pcs", "resource", "enable", "vip"]);
    wait_until(node, "vip Started again", |s| everything_runs(s, &expected));

    ok(node, &["pcs", "constraint", "location", "vip", "prefers", "node1"]);
    let preference = "location-vip-node1-INFINITY";
    assert!(has_location(node, preference, "vip", "INFINITY"), "{:?}", location_constraints(node));
    let listing = ["Location Constraints:", "Resource: vip", "Enabled on:", "Node: node1 (score:INFINITY)"];
    shows(node, &["pcs", "constraint"], &listing);
    ok(node, &["pcs", "constraint", "delete", preference]);
    assert!(location_constraints(node).is_empty(), "{:?}", location_constraints(node));

    // A constraint the scheduler must obey: vip may not run on the only node.
    ok(node, &["pcs", "constraint", "location", "vip", "avoids", "node1"]);
    wait_until(node, "vip Stopped by its location constraint", |s| s.is_stopped("vip") && s.is(DEMO, "Started"));
    let avoidance = "location-vip-node1--INFINITY";
    let listed = format!("Node: node1 (score:-INFINITY) (id:{avoidance})");
    shows(node, &["pcs", "constraint", "--full"], &["Disabled on:", &listed]);
    ok(node, &["pcs", "constraint", "delete", avoidance]);
    wait_until(node, "vip Started once allowed again", |s| everything_runs(s, &expected));

    ok(node, &["pcs", "node", "standby", "node1"]);
    wait_until(node, "node1 in standby with nothing running", |s| in_standby_with_nothing_running(s, &expected));
    shows(node, &["pcs", "status", "nodes"], &[" Standby: node1\n"]);
    ok(node, &["pcs", "node", "unstandby", "node1"]);
    wait_until(node, "node1 online with everything running again", |s| online_with_everything_running(s, &expected));
    shows(node, &["pcs", "status", "nodes"], &[" Online: node1\n"]);
}

/// Which of our daemons the node's log says started (it names pacemaker-rs in their banners).
fn our_daemons_in_log(node: &RunNode) -> Vec<&'static str> {
    let log = std::fs::read_to_string(node.state.join("log-pacemaker/pacemaker.log")).unwrap_or_default();
    ["pacemakerd", "pacemaker-based", "pacemaker-schedulerd", "pacemaker-execd"]
        .into_iter()
        .filter(|daemon| {
            let banner = |line: &&str| line.contains("Starting") && line.contains("pacemaker-rs");
            log.lines().filter(banner).any(|line| line.contains(&format!(" {daemon}")))
        })
        .collect()
}

fn admin_tools_drive_the_cluster(kind: ImplKind) {
    let Some(node) = RunNode::start_stack("admin_tools", kind) else { return };
    let expected = crmsh(&node);
    pcs(&node, expected);
    let ours = our_daemons_in_log(&node);
    match kind {
        ImplKind::C => assert!(ours.is_empty(), "the oracle ran our {ours:?}"),
        ImplKind::Rust => assert_eq!(
            ours,
            ["pacemakerd", "pacemaker-based", "pacemaker-schedulerd", "pacemaker-execd"],
            "not all of our daemons ran"
        ),
    }
}

#[test]
fn c() {
    admin_tools_drive_the_cluster(ImplKind::C);
}

#[test]
fn rust() {
    admin_tools_drive_the_cluster(ImplKind::Rust);
}
