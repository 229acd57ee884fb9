//! Two nodes whose CIB managers are any mix of Debian's C pacemaker-based and ours keep one
//! CIB: (a) writes on either node reach the other, (b) peer queries reach the named node,
//! (c) a full Pacemaker stack resyncs a node that rejoins with an older CIB and runs a
//! resource both nodes agree on, (d) the DC's CIB manager heals a diverged replica.
//!
//! Every test runs for the mixes (C,C) — which proves the test itself right — and
//! (Rust,C), (C,Rust), (Rust,Rust). The judge of "one CIB" is Debian's
//! `cibadmin --md5-sum-versioned` over each node's own `cibadmin -Q -l` answer.

use compat_tests::cib;
use compat_tests::{select_mix, seed_cib, wait_until, Cluster, ClusterOpts, Element, ImplKind, Impl, Member, Stack};
use std::time::Duration;

/// How long a write may take to show up on the other node.
const REPLICATION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a full stack may take to elect a DC and see every node online.
const CLUSTER_FORMATION_TIMEOUT: Duration = Duration::from_secs(40);

/// Declares one `#[test]` per mix of CIB managers on (node1, node2).
macro_rules! mixed_test {
    ($body:ident, $opts:expr) => {
        mod $body {
            use super::*;
            #[test]
            fn c_c() {
                run_mix(module_path!(), "c_c", &[ImplKind::C, ImplKind::C], $opts, super::$body);
            }
            #[test]
            fn rust_c() {
                run_mix(module_path!(), "rust_c", &[ImplKind::Rust, ImplKind::C], $opts, super::$body);
            }
            #[test]
            fn c_rust() {
                run_mix(module_path!(), "c_rust", &[ImplKind::C, ImplKind::Rust], $opts, super::$body);
            }
            #[test]
            fn rust_rust() {
                run_mix(module_path!(), "rust_rust", &[ImplKind::Rust, ImplKind::Rust], $opts, super::$body);
            }
        }
    };
}

fn run_mix(
    module: &str,
    mix: &str,
    kinds: &[ImplKind],
    opts: fn(String, Vec<Impl>) -> ClusterOpts,
    body: fn(&mut Cluster),
) {
    let test_path = format!("{module}::{mix}");
    let Some(members) = select_mix(&test_path, kinds) else { return };
    let mut cluster = match Cluster::start(opts(test_path.clone(), members)) {
        Ok(cluster) => cluster,
        Err(error) => panic!("{test_path}: cluster did not start: {error}"),
    };
    body(&mut cluster);
    cluster.assert_daemons_alive();
}

// ---- helpers -------------------------------------------------------------------------

/// Debian's `cibadmin --md5-sum-versioned` of `cib_text`, computed inside `member`.
fn versioned_digest(member: &Member, cib_text: &str) -> String {
    let output = member.quiet_cmd(&["cibadmin", "--md5-sum-versioned", "-p"]).stdin(cib_text).run().expect_ok();
    output.stdout.split_whitespace().next().unwrap_or_default().to_owned()
}

/// Each running member's own CIB (`cibadmin -Q -l`), raw and parsed.
fn local_cibs(cluster: &Cluster) -> Result<Vec<(String, Element)>, String> {
    cluster.members().iter().filter(|member| member.is_running()).map(polled_cib_text).collect()
}

/// Waits until every running member's CIB has the same versioned digest and version
/// tuple and satisfies `check`; returns that CIB (as node1 has it).
#[track_caller]
fn wait_for_one_cib(cluster: &Cluster, what: &str, check: impl Fn(&Element) -> Result<(), String>) -> Element {
    let judge = cluster.member(1);
    wait_until(what, REPLICATION_TIMEOUT, || {
        let cibs = local_cibs(cluster)?;
        let mut seen = Vec::new();
        for ((text, parsed), member) in cibs.iter().zip(cluster.members().iter().filter(|m| m.is_running())) {
            check(parsed).map_err(|e| format!("{}: {e}", member.name()))?;
            seen.push((member.name(), versioned_digest(judge, text), cib::version(parsed)));
        }
        let first = &seen[0];
        if seen.iter().all(|(_, digest, version)| digest == &first.1 && version == &first.2) {
            Ok(cibs[0].1.clone())
        } else {
            Err(format!("CIBs differ (node, digest, version): {seen:?}"))
        }
    })
}

/// `member`'s own CIB for a polling loop (not logged; a failure is a state to retry).
fn polled_cib(member: &Member) -> Result<Element, String> {
    polled_cib_text(member).map(|(_, parsed)| parsed)
}

fn polled_cib_text(member: &Member) -> Result<(String, Element), String> {
    let output = member.run_quietly(&["cibadmin", "-Q", "-l"]);
    if !output.success() {
        return Err(format!("query on {} failed:\n{output}", member.name()));
    }
    let parsed = cib::parse(&output.stdout).map_err(|e| format!("{}: unparsable CIB: {e}", member.name()))?;
    Ok((output.stdout, parsed))
}

/// Runs a cibadmin write on `member` and insists it succeeded.
#[track_caller]
fn write(member: &Member, args: &[&str]) {
    member.run(args).expect_ok();
}

fn has_id(id: &'static str) -> impl Fn(&Element) -> Result<(), String> {
    move |cib| cib::by_id(cib, id).map(|_| ()).ok_or_else(|| format!("no element with id {id}"))
}

fn lacks_id(id: &'static str) -> impl Fn(&Element) -> Result<(), String> {
    move |cib| match cib::by_id(cib, id) {
        Some(_) => Err(format!("element {id} still present")),
        None => Ok(()),
    }
}

fn epoch(cib: &Element) -> i64 {
    cib::version(cib).1
}

// ---- a. writes on either node replicate -------------------------------------------------

fn based_only(name: String, members: Vec<Impl>) -> ClusterOpts {
    ClusterOpts::new(&name, Stack::BasedOnly, members).seed_all(&seed_cib(&[("mixed-seed", "1")]))
}

fn writes_on_either_node_replicate(cluster: &mut Cluster) {
    let (node1, node2) = (cluster.member(1), cluster.member(2));
    let mut last = wait_for_one_cib(cluster, "identical seed CIBs", |_| Ok(()));
    // Every step changes the CIB, so its version must grow (which counter is the daemons'
    // business: the C one counts a modify that creates as a num_updates change), and both
    // nodes must agree on it, which wait_for_one_cib checks.
    let mut step = |what: &str, writer: &Member, args: &[&str], check: &dyn Fn(&Element) -> Result<(), String>| {
        write(writer, args);
        let cib = wait_for_one_cib(cluster, what, check);
        let (before, after) = (cib::version(&last), cib::version(&cib));
        assert!(after > before, "{what}: the version went from {before:?} to {after:?}");
        last = cib;
    };

    step("create on node1", node1, &["cibadmin", "-C", "-o", "resources", "-X",
        r#"<primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"/>"#], &has_id("r1"));
    step("modify on node2", node2, &["cibadmin", "-M", "-X", r#"<primitive id="r1" description="from-node2"/>"#],
        &|cib| match cib::by_id(cib, "r1").and_then(|r| r.attr("description")) {
            Some("from-node2") => Ok(()),
            other => Err(format!("r1 description is {other:?}")),
        });
    step("modify --allow-create on node1", node1, &["cibadmin", "-M", "-c", "-o", "crm_config", "-X",
        r#"<cluster_property_set id="mixed-set"><nvpair id="mixed-a" name="mixed-a" value="1"/></cluster_property_set>"#],
        &has_id("mixed-a"));
    step("xpath delete on node2", node2, &["cibadmin", "-D", "-A", "//nvpair[@id='mixed-a']"], &|cib| {
        lacks_id("mixed-a")(cib)?;
        has_id("mixed-set")(cib)
    });
    step("replace of constraints on node1", node1, &["cibadmin", "-R", "-o", "constraints", "-X",
        r#"<constraints><rsc_location id="loc1" rsc="r1" node="node2" score="100"/></constraints>"#], &has_id("loc1"));
    step("delete on node2", node2, &["cibadmin", "-D", "-X", r#"<rsc_location id="loc1"/>"#], &lacks_id("loc1"));
    step("replace of resources on node2", node2, &["cibadmin", "-R", "-o", "resources", "-X",
        r#"<resources><primitive id="r2" class="ocf" provider="pacemaker" type="Dummy"/></resources>"#], &|cib| {
        has_id("r2")(cib)?;
        lacks_id("r1")(cib)
    });
    step("delete on node1", node1, &["cibadmin", "-D", "-X", r#"<primitive id="r2"/>"#], &lacks_id("r2"));
    // A modify-with-create into a section that does not exist yet (as crm_attribute does;
    // crm_attribute itself needs a controller, which this stack lacks).
    step("modify --allow-create of a missing section on node2", node2,
        &["cibadmin", "-M", "-c", "-o", "rsc_defaults", "-X",
          r#"<meta_attributes id="rsc-options"><nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="5"/></meta_attributes>"#],
        &|cib| match cib::nvpair_value(cib, "resource-stickiness") {
            Some("5") => Ok(()),
            other => Err(format!("resource-stickiness is {other:?}")),
        });
    step("bump on node1", node1, &["cibadmin", "-B"], &|_| Ok(()));
    // A patch made by Debian's crm_diff from node2's CIB to a changed copy.
    let patch = patch_adding_primitive(node2, "from-patch");
    step("patch on node2", node2, &["cibadmin", "-P", "-X", &patch], &has_id("from-patch"));
    step("erase on node1", node1, &["cibadmin", "-E", "--force"], &lacks_id("from-patch"));
}

/// `crm_diff -c` from `member`'s CIB to the same CIB with one more primitive and the
/// epoch bumped (a patch must lead to a newer version).
fn patch_adding_primitive(member: &Member, id: &str) -> String {
    let original = member.run(&["cibadmin", "-Q", "-l"]).expect_ok().stdout;
    let mut changed = cib::parse(&original).expect("the CIB parses");
    changed.set_attr("epoch", (epoch(&changed) + 1).to_string());
    let resources = changed
        .elements_mut()
        .find(|e| e.name == "configuration")
        .and_then(|configuration| configuration.elements_mut().find(|e| e.name == "resources"))
        .expect("the CIB has a resources section");
    resources.push_child(
        Element::new("primitive").with_attr("id", id).with_attr("class", "ocf").with_attr("provider", "heartbeat").with_attr("type", "Dummy"),
    );
    let new = libcrmcommon::xml::to_compact(&changed);
    // crm_diff exits 1 when it found differences, which is the case here.
    member.run(&["crm_diff", "-c", "-O", &original, "-N", &new]).expect_code(1).stdout
}
mixed_test!(writes_on_either_node_replicate, based_only);

// ---- b. cib_host: a query names the node that answers ------------------------------------

/// Each node starts from its own CIB (with nobody to sync them, as no controller runs), so
/// an answer tells which node gave it.
fn distinct_seeds(name: String, members: Vec<Impl>) -> ClusterOpts {
    let mut opts = ClusterOpts::new(&name, Stack::BasedOnly, members);
    opts.seed_cibs = (1..=2).map(|i| Some(seed_cib(&[("node-marker", &format!("node{i}"))]))).collect();
    opts
}

fn marker_in(output: &compat_tests::Output) -> String {
    cib::nvpair_value(&output.xml(), "node-marker").unwrap_or("(none)").to_owned()
}

fn queries_with_node_are_answered_by_that_node(cluster: &mut Cluster) {
    for (asker, asked) in [(1, 2), (2, 1), (1, 1), (2, 2)] {
        let member = cluster.member(asker);
        let target = format!("node{asked}");
        let answer = member.run(&["cibadmin", "-Q", "-o", "crm_config", "--node", &target]).expect_ok();
        assert_eq!(marker_in(&answer), target, "node{asker} asked {target}:\n{answer}");
        let local = member.run(&["cibadmin", "-Q", "-l", "-o", "crm_config"]).expect_ok();
        assert_eq!(marker_in(&local), format!("node{asker}"), "own answer of node{asker}");
    }
    // The whole CIB, too, and a read-only op other than query.
    let whole = cluster.member(1).run(&["cibadmin", "-Q", "--node", "node2"]).expect_ok();
    assert_eq!(cib::nvpair_value(&whole.xml(), "node-marker"), Some("node2"));
    // A node that is not in the cluster never answers: the request times out.
    let nobody = cluster.member(1).run(&["cibadmin", "-Q", "--node", "node9", "-t", "3"]);
    assert!(!nobody.success(), "a query to an unknown node cannot succeed:\n{nobody}");
}
mixed_test!(queries_with_node_are_answered_by_that_node, distinct_seeds);

// ---- c. full stacks: DC election, resync of a rejoining node, a resource ------------------

fn full_stack(name: String, members: Vec<Impl>) -> ClusterOpts {
    let seed = seed_cib(&[("dc-deadtime", "2s"), ("stonith-enabled", "false")]);
    ClusterOpts::new(&name, Stack::Full, members).seed_all(&seed)
}

/// What a node's `crm_mon -1 --output-as=xml` says about the cluster, in comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClusterView {
    dc: Option<String>,
    /// (name, online)
    nodes: Vec<(String, bool)>,
    /// (id, role, nodes running it)
    resources: Vec<(String, String, Vec<String>)>,
}

fn cluster_view(member: &Member) -> Result<ClusterView, String> {
    let output = member.run_quietly(&["crm_mon", "-1", "--output-as=xml"]);
    if !output.success() {
        return Err(format!("crm_mon on {} failed:\n{output}", member.name()));
    }
    let xml = cib::parse(&output.stdout).map_err(|e| format!("crm_mon XML: {e}"))?;
    let dc = cib::at(&xml, &["summary", "current_dc"])
        .filter(|dc| dc.attr("present") == Some("true"))
        .and_then(|dc| dc.attr("name"))
        .map(str::to_owned);
    let nodes = cib::at(&xml, &["nodes"])
        .map(|nodes| {
            nodes
                .elements()
                .map(|n| (n.attr("name").unwrap_or("").to_owned(), n.attr("online") == Some("true")))
                .collect()
        })
        .unwrap_or_default();
    let resources = cib::at(&xml, &["resources"])
        .map(|resources| {
            resources
                .elements()
                .filter(|r| r.name == "resource")
                .map(|r| {
                    let on = r.elements().filter_map(|n| n.attr("name").map(str::to_owned)).collect();
                    (r.attr("id").unwrap_or("").to_owned(), r.attr("role").unwrap_or("").to_owned(), on)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ClusterView { dc, nodes, resources })
}

/// Waits until both nodes' crm_mon agree, name a DC, show both nodes online and satisfy
/// `check`.
#[track_caller]
fn wait_for_agreement(cluster: &Cluster, what: &str, check: impl Fn(&ClusterView) -> Result<(), String>) -> ClusterView {
    wait_until(what, CLUSTER_FORMATION_TIMEOUT, || {
        let first = cluster_view(cluster.member(1))?;
        let second = cluster_view(cluster.member(2))?;
        if first != second {
            return Err(format!("node1 sees {first:?}\nnode2 sees {second:?}"));
        }
        if first.dc.is_none() || first.nodes.len() != 2 || !first.nodes.iter().all(|(_, online)| *online) {
            return Err(format!("not formed: {first:?}"));
        }
        check(&first).map(|()| first.clone()).map_err(|e| format!("{e}: {first:?}"))
    })
}

fn on_disk_epoch(member: &Member) -> i64 {
    let path = member.dir().join("var-lib-pacemaker/cib/cib.xml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    epoch(&cib::parse(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display())))
}

fn rejoining_node_is_resynced_and_resources_agree(cluster: &mut Cluster) {
    wait_for_agreement(cluster, "a DC and both nodes online", |_| Ok(()));
    wait_for_one_cib(cluster, "one CIB after the start", |_| Ok(()));

    cluster.stop_member(2);
    // pacemakerd's view of the stop: every daemon must exit by itself on its SIGTERM.
    let log = std::fs::read_to_string(cluster.member(2).pacemaker_log()).unwrap_or_default();
    let killed: Vec<&str> = log.lines().filter(|line| line.contains("terminated with signal")).collect();
    assert!(killed.is_empty(), "daemons of node2 died of a signal at shutdown:\n{}", killed.join("\n"));
    let node1 = cluster.member(1);
    write(node1, &["crm_attribute", "-t", "crm_config", "-n", "changed-while-node2-down", "-v", "yes"]);
    write(node1, &["cibadmin", "-C", "-o", "crm_config", "-X", r#"<cluster_property_set id="set-offline"/>"#]);
    let newer = epoch(&node1.cib());
    let older = on_disk_epoch(cluster.member(2));
    assert!(older < newer, "node2 stopped with epoch {older}, the cluster is at {newer}");

    cluster.start_member(2);
    // The rejoin starts an election that either node may win: Pacemaker's controllers
    // compare their own CPU time (getrusage), which a freshly started controller can
    // exceed. Either way the DC's join syncs everyone from the newest CIB, node1's:
    // pushed by node1's CIB manager (node1 DC) or asked for with sync_from (node2 DC).
    wait_for_agreement(cluster, "node2 back online", |_| Ok(()));
    wait_for_one_cib(cluster, "node2 resynced", |cib| {
        match cib::nvpair_value(cib, "changed-while-node2-down") {
            Some("yes") => has_id("set-offline")(cib),
            other => Err(format!("changed-while-node2-down is {other:?}")),
        }
    });

    // A resource created with crmsh on the node that rejoined.
    cluster.member(2).run(&["crm", "configure", "primitive", "d1", "ocf:heartbeat:Dummy"]).expect_ok();
    let view = wait_for_agreement(cluster, "d1 started", |view| {
        match view.resources.iter().find(|(id, _, _)| id == "d1") {
            Some((_, role, on)) if role == "Started" && on.len() == 1 => Ok(()),
            other => Err(format!("d1 is {other:?}")),
        }
    });
    assert!(view.dc.is_some());
    wait_for_one_cib(cluster, "one CIB with d1", has_id("d1"));
    no_digest_mismatch_reported(cluster);
}

/// A C primary (the DC's CIB manager) pings its peers 5 s after its last change and logs
/// "Local CIB ... differs from <peer>" (then pushes its CIB) when a peer's digest differs.
/// Watches every log for that long enough to cover one ping after the last change.
fn no_digest_mismatch_reported(cluster: &Cluster) {
    const PING_DELAY_AND_MARGIN: Duration = Duration::from_secs(7);
    let deadline = std::time::Instant::now() + PING_DELAY_AND_MARGIN;
    while std::time::Instant::now() < deadline {
        for member in cluster.members() {
            let log = std::fs::read_to_string(member.pacemaker_log()).unwrap_or_default();
            let mismatch: Vec<&str> = log.lines().filter(|line| line.contains("differs from")).collect();
            assert!(mismatch.is_empty(), "{} reports a CIB digest mismatch:\n{}", member.name(), mismatch.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
mixed_test!(rejoining_node_is_resynced_and_resources_agree, full_stack);

// ---- d. the primary's digest check heals a diverged replica ----------------------------

/// A write sent with `--node` (cib_host) is applied by that node only, so the replicas
/// diverge. The DC's CIB manager (the primary) pings every peer 5 s after its own last
/// change, compares their digests with its own and pushes its CIB to a peer that differs.
fn primary_heals_a_diverged_replica(cluster: &mut Cluster) {
    let view = wait_for_agreement(cluster, "a DC and both nodes online", |_| Ok(()));
    // node1 is to be the primary, so that the mix decides which implementation checks and
    // which one is healed. A DC keeps its role while another node (re)joins.
    if view.dc.as_deref() != Some("node1") {
        cluster.stop_member(2);
        cluster.start_member(2);
        wait_for_agreement(cluster, "node1 as DC", |view| match view.dc.as_deref() {
            Some("node1") => Ok(()),
            other => Err(format!("DC is {other:?}")),
        });
    }
    wait_for_one_cib(cluster, "one CIB after the start", |_| Ok(()));
    let (primary, replica) = (cluster.member(1), cluster.member(2));

    // Appending a new set counts as a non-configuration change (num_updates only), so the
    // primary's next configuration change makes both versions equal again, and the
    // primary's replacement is not refused as older.
    // The C daemons never answer the client of a targeted write (the replica's reply is
    // dropped as a reply to a modifying op), so cibadmin can only time out.
    primary
        .cmd(&["cibadmin", "-M", "-c", "-o", "crm_config", "--node", &replica.name(), "-t", "2", "-X",
            r#"<cluster_property_set id="only-on-replica"><nvpair id="only-on-replica-a" name="a" value="1"/></cluster_property_set>"#])
        .timeout(Duration::from_secs(10))
        .run();
    wait_until("the replica to apply the targeted write", REPLICATION_TIMEOUT, || {
        has_id("only-on-replica")(&polled_cib(replica)?)
    });
    assert!(cib::by_id(&primary.cib(), "only-on-replica").is_none(), "the primary did not apply it");

    write(primary, &["crm_attribute", "-t", "crm_config", "-n", "heal-trigger", "-v", "1"]);
    wait_until("the primary to push its CIB to the replica", HEAL_TIMEOUT, || {
        let cib = polled_cib(replica)?;
        match cib::by_id(&cib, "only-on-replica") {
            Some(_) => Err(format!("still diverged at {:?}", cib::version(&cib))),
            None => Ok(()),
        }
    });
    wait_for_one_cib(cluster, "one CIB after the heal", |cib| match cib::nvpair_value(cib, "heal-trigger") {
        Some("1") => lacks_id("only-on-replica")(cib),
        other => Err(format!("heal-trigger is {other:?}")),
    });
}
mixed_test!(primary_heals_a_diverged_replica, full_stack);

/// Ping delay (5 s after the primary's last change) plus margin.
const HEAL_TIMEOUT: Duration = Duration::from_secs(15);

// ---- f. leaving: the exit notification and its acknowledgement ----------------------------

fn log_text(member: &Member) -> String {
    std::fs::read_to_string(member.pacemaker_log()).unwrap_or_default()
}

/// A CIB manager stopped with SIGTERM while a peer runs tells the peer it is leaving and waits
/// for the acknowledgement (Pacemaker 2.1.5's exit-notification handshake); both sides log it.
fn leaving_node_is_acknowledged_by_its_peer(cluster: &mut Cluster) {
    wait_for_one_cib(cluster, "identical seed CIBs", |_| Ok(()));
    let leaver = cluster.member(2).name();
    cluster.stop_member(2);
    let (node1, node2) = (cluster.member(1), cluster.member(2));
    let stayer_log = log_text(node1);
    let leaver_log = log_text(node2);
    let request = format!("Peer {leaver} is requesting to shut down");
    assert!(stayer_log.contains(&request), "{} ({:?}) did not log {request:?}", node1.name(), node1.kind());
    assert!(
        leaver_log.contains("has acknowledged our shutdown request"),
        "{} ({:?}) did not log the acknowledgement:\n{}",
        node2.name(),
        node2.kind(),
        leaver_log.lines().filter(|l| l.contains("shut")).collect::<Vec<_>>().join("\n")
    );
    assert!(!leaver_log.contains("Forcing exit"), "{} waited for the escalation timeout", node2.name());
}
mixed_test!(leaving_node_is_acknowledged_by_its_peer, based_only);

/// A client that writes and then reads without waiting gets the read's answer after the
/// write's, and the read sees the write, from our CIB manager: it holds a read until the same
/// client's writes have come back from the cluster (Pacemaker's may answer the read first,
/// which makes its controller sleep a second and ask again). For C members the order is only
/// reported.
fn a_clients_reads_follow_its_writes(cluster: &mut Cluster) {
    const ROUNDS: usize = 20;
    for member in cluster.members() {
        let out = member.run(&[env!("CARGO_BIN_EXE_cib-probe"), "write-then-read", &ROUNDS.to_string()]).expect_ok();
        let answers: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(answers.len(), 2 * ROUNDS, "{}: answers:\n{}", member.name(), out.stdout);
        let in_order = answers.iter().enumerate().all(|(position, line)| {
            let round = position / 2;
            let expected = if position % 2 == 0 {
                format!("call {} rc 0", 2 * round + 1)
            } else {
                format!("call {} rc 0 value {round}", 2 * round + 2)
            };
            *line == expected
        });
        match member.kind() {
            ImplKind::Rust => assert!(in_order, "{}: answers out of order or stale:\n{}", member.name(), out.stdout),
            ImplKind::C => eprintln!("{} (C): answers in request order: {in_order}", member.name()),
        }
    }
}
mixed_test!(a_clients_reads_follow_its_writes, based_only);
