//! Our crm_simulate against Debian's (/usr/sbin/crm_simulate, Pacemaker 2.1.5) on
//! Pacemaker's own scheduler cases: the modes and options outside the conformance suite
//! (status only, -R, synthetic events, -P) must print exactly what the C tool prints for
//! every case whose scheduling we already get right (libpacemaker/conformance/summary.pass).

use std::path::{Path, PathBuf};
use std::process::Command;

const C_SIMULATE: &str = "/usr/sbin/crm_simulate";

fn corpus() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("SCHEDULER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("../../../shared/scheduler-corpus"));
    dir.join("xml").is_dir().then_some(dir)
}

fn passing_cases() -> Vec<String> {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../libpacemaker/conformance/summary.pass");
    std::fs::read_to_string(list)
        .expect("summary.pass")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn run(program: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program).args(args).env("LC_ALL", "C").output().expect("run crm_simulate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs both on the same arguments; returns the cases (with a diff hint) that differ.
fn compare(cases: &[String], corpus: &Path, extra: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let mut differ = Vec::new();
    for case in cases {
        let xml = corpus.join("xml").join(format!("{case}.xml"));
        let xml = xml.to_string_lossy().into_owned();
        let mut args = vec!["-x".to_owned(), xml];
        args.extend(extra(case));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (c_rc, c_out, _) = run(C_SIMULATE, &args);
        let (rc, out, err) = run(ours, &args);
        if (rc, &out) != (c_rc, &c_out) {
            let first = c_out.lines().zip(out.lines()).find(|(a, b)| a != b);
            differ.push(format!("{case} {args:?}: rc {rc} vs C {c_rc}; first difference {first:?}; stderr {err:?}"));
        }
    }
    differ
}

fn setup() -> Option<(PathBuf, Vec<String>)> {
    if !Path::new(C_SIMULATE).exists() {
        eprintln!("SKIPPED: {C_SIMULATE} not installed");
        return None;
    }
    let Some(corpus) = corpus() else {
        eprintln!("SKIPPED: scheduler corpus not found (set SCHEDULER_CORPUS)");
        return None;
    };
    Some((corpus, passing_cases()))
}

fn assert_none(differ: Vec<String>, what: &str) {
    assert!(differ.is_empty(), "{} cases differ from C for {what}:\n{}", differ.len(), differ.join("\n"));
}

#[test]
fn status_only_and_run_modes_match_c() {
    let Some((corpus, cases)) = setup() else { return };
    assert!(cases.len() > 500, "summary.pass lists {} cases", cases.len());
    // Every case in one mode or another, to keep the run short.
    let nth = |k: usize| -> Vec<String> { cases.iter().skip(k).step_by(3).cloned().collect() };
    assert_none(compare(&nth(0), &corpus, &|_| vec![]), "status only");
    assert_none(compare(&nth(1), &corpus, &|_| vec!["-R".into()]), "-R");
    assert_none(compare(&nth(2), &corpus, &|_| vec!["-RQ".into()]), "-RQ");
}

/// The first node and resource a case names, for injections that must hit something real.
fn first_names(corpus: &Path, case: &str) -> (String, String) {
    let text = std::fs::read_to_string(corpus.join("xml").join(format!("{case}.xml"))).unwrap_or_default();
    let cib = libcrmcommon::xml::parse(&text).expect("corpus XML");
    let node = cib.descendants().find(|e| e.name == "node").and_then(|n| n.attr("uname")).unwrap_or("node1").to_owned();
    let rsc = cib.descendants().find(|e| e.name == "primitive").and_then(|p| p.id()).unwrap_or("rsc1").to_owned();
    (node, rsc)
}

/// The "Performing Requested Modifications" section, with "now" stamps masked.
fn modifications(output: &str) -> String {
    let section: Vec<&str> = output
        .lines()
        .skip_while(|l| !l.starts_with("Performing Requested Modifications"))
        .take_while(|l| !l.is_empty())
        .collect();
    mask_times(&section.join("\n"))
}

fn mask_times(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split("last-failure-").enumerate() {
        if i > 0 {
            out.push_str("last-failure-");
            // "<rsc>#<op>_<interval>=<time>": keep the name, mask the time.
            match part.split_once('=') {
                Some((name, rest)) => {
                    let digits = rest.chars().take_while(char::is_ascii_digit).count();
                    out.push_str(name);
                    out.push_str("=NOW");
                    out.push_str(&rest[digits..]);
                }
                None => out.push_str(part),
            }
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The CIB crm_simulate -I saved, without what legitimately differs: version counters (the
/// C tool writes through a shadow CIB that counts every change), times of "now", and the
/// uname/rsc-id (and expired-failure restart digest) the C unpacker writes into operations
/// as a side effect.
fn normalized_cib(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let Ok(mut cib) = libcrmcommon::xml::parse(&text) else { return format!("unparsable: {text}") };
    fn clean(e: &mut libcrmcommon::xml::Element) {
        if e.name == "cib" {
            e.remove_attr("num_updates");
            e.remove_attr("epoch");
        }
        if e.name == "lrm_rsc_op" {
            e.remove_attr("uname");
            e.remove_attr("rsc-id");
            // Also written by the C unpacker into expired failures it re-checks.
            if e.attr("op-restart-digest") == Some("calculated-failure-timeout") {
                e.remove_attr("op-restart-digest");
            }
            if e.attr("last-rc-change").is_some() {
                e.set_attr("last-rc-change", "NOW");
            }
        }
        if e.name == "nvpair" && e.attr("name").is_some_and(|n| n.starts_with("last-failure-")) {
            e.set_attr("value", "NOW");
        }
        for child in e.elements_mut() {
            clean(child);
        }
    }
    clean(&mut cib);
    libcrmcommon::xml::to_formatted(&cib)
}

/// A fresh directory for one comparison's files (tests run in parallel).
fn scratch_dir(kind: &str) -> PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("crm-simulate-{kind}-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Cases known to differ from C under injections.
const INJECTION_KNOWN_DIFFERENCES: &[&str] = &[
    // Its status lists one resource's history twice under one id on a node:
    // Pacemaker's CIB, updating that node's state as a whole when it injects
    // anything there, merges the second entry's operations into the first;
    // we leave the entries as they are.
    "inc6",
];

/// Runs both with the injections (and -I); returns what differs: exit code, the
/// modifications section, or the injected CIB.
fn compare_injections(cases: &[String], corpus: &Path, injections: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let dir = scratch_dir("inject");
    let mut differ = Vec::new();
    for case in cases.iter().filter(|c| !INJECTION_KNOWN_DIFFERENCES.contains(&c.as_str())) {
        let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
        let mut results = Vec::new();
        for (program, label) in [(C_SIMULATE, "c"), (ours, "ours")] {
            let saved = dir.join(format!("{label}.xml"));
            let mut args = vec!["-x".to_owned(), xml.clone(), "-I".to_owned(), saved.to_string_lossy().into_owned()];
            args.extend(injections(case));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (rc, out, err) = run(program, &args);
            results.push((rc, modifications(&out), normalized_cib(&saved), mask_times(&err)));
            std::fs::remove_file(&saved).ok();
        }
        let (c, r) = (&results[0], &results[1]);
        if c != r {
            let what = if c.0 != r.0 {
                format!("rc {} vs C {}", r.0, c.0)
            } else if c.1 != r.1 {
                format!("modifications:\n{}\nC:\n{}", r.1, c.1)
            } else if c.3 != r.3 {
                format!("stderr {:?} vs C {:?}", r.3, c.3)
            } else {
                let first = c.2.lines().zip(r.2.lines()).find(|(a, b)| a != b);
                format!("injected CIB, first difference (C, ours) {first:?}")
            };
            differ.push(format!("{case} {:?}: {what}", injections(case)));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    differ
}

#[test]
fn node_quorum_and_ticket_injections_match_c() {
    let Some((corpus, cases)) = setup() else { return };
    let sample: Vec<String> = cases.iter().step_by(6).cloned().collect();
    let inject = |case: &str| {
        let (node, _) = first_names(&corpus, case);
        ["-d", &node, "-u", "newnode", "-f", "failing", "-q", "0", "-w", "1", "-g", "t1", "-r", "t2", "-b", "t3", "-e", "t4"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    assert_none(compare_injections(&sample, &corpus, &inject), "-d/-u/-f/-q/-w/-g/-r/-b/-e");
    let without_up = |case: &str| {
        let (node, _) = first_names(&corpus, case);
        // (Not an unknown node: Debian's crm_simulate aborts when it cannot find its id.)
        vec!["-f".to_owned(), node]
    };
    assert_none(compare_injections(&sample, &corpus, &without_up), "-f without -u");
}

#[test]
fn operation_injections_match_c() {
    let Some((corpus, cases)) = setup() else { return };
    // Its status section gives several node attributes one id: Pacemaker's CIB, updating
    // the node's attributes by id, writes each of them over the first.
    let known = ["failcount-block"];
    let sample: Vec<String> =
        cases.iter().skip(1).step_by(4).filter(|c| !known.contains(&c.as_str())).cloned().collect();
    // A probe that found the resource stopped (no fail count), a failed recurring monitor
    // (fail count and last failure), a clone instance, and specs that are invalid.
    // (Not migrate_to: Debian's crm_simulate aborts on an injected migration result.)
    let inject = |case: &str| {
        let (node, rsc) = first_names(&corpus, case);
        [
            format!("{rsc}_monitor_0@{node}=7"),
            format!("{rsc}_monitor_10000@{node}=1"),
            format!("{rsc}_monitor_10000@{node}=1"),
            format!("{rsc}:0_start_0@{node}=1"),
            "bogus".to_owned(),
            "nosuch_start_0@node1=1".to_owned(),
        ]
        .into_iter()
        .flat_map(|spec| ["-i".to_owned(), spec])
        .collect()
    };
    assert_none(compare_injections(&sample, &corpus, &inject), "-i");
}

#[test]
fn profile_lists_the_same_files() {
    let Some((corpus, _)) = setup() else { return };
    let dir = std::env::temp_dir().join(format!("crm-simulate-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for case in ["simple1", "simple2", "simple3"] {
        std::fs::copy(corpus.join("xml").join(format!("{case}.xml")), dir.join(format!("{case}.xml"))).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a CIB").unwrap();
    let dir_arg = dir.to_string_lossy().into_owned();
    let strip_time = |text: &str| -> Vec<String> {
        text.lines().map(|l| l.split(" ... ").next().unwrap_or("").to_owned()).collect()
    };
    let (c_rc, c_out, _) = run(C_SIMULATE, &["-P", &dir_arg, "-N", "2"]);
    let (rc, out, _) = run(env!("CARGO_BIN_EXE_crm_simulate"), &["-P", &dir_arg, "-N", "2"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((rc, strip_time(&out)), (c_rc, strip_time(&c_out)));
    assert!(out.lines().skip(1).all(|l| l.ends_with(" secs")), "{out}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let dir = std::env::temp_dir().join(format!("crm-simulate-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.xml");
    std::fs::write(&broken, "<cib><configuration>").unwrap();
    let not_cib = dir.join("not-cib.xml");
    std::fs::write(&not_cib, "<html/>").unwrap();
    let invalid = dir.join("invalid.xml");
    std::fs::write(
        &invalid,
        r#"<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources><bogus id="x"/></resources><constraints/></configuration><status/></cib>"#,
    )
    .unwrap();
    let cases: [(Vec<&str>, i32, &str); 6] = [
        (vec!["-x", invalid.to_str().unwrap(), "-S"], 78, "does not conform to its schema"),
        (vec!["-x", "/nonexistent.xml", "-S"], 66, "Could not read /nonexistent.xml"),
        (vec!["-x", broken.to_str().unwrap(), "-S"], 1, "Could not parse"),
        (vec!["-x", not_cib.to_str().unwrap(), "-S"], 1, "does not hold a CIB"),
        (vec!["-S"], 64, "No input given"),
        (vec!["--bogus"], 64, "Unknown option --bogus"),
    ];
    for (args, code, message) in cases {
        let (rc, _, err) = run(ours, &args);
        assert_eq!(rc, code, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs both with `-S -Q -D <file>` and the extra arguments; returns the cases whose dot
/// files (or exit codes) differ.
fn compare_dot(cases: &[&str], corpus: &Path, extra: &[&str]) -> Vec<String> {
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let dir = scratch_dir("dot");
    let mut differ = Vec::new();
    for case in cases {
        let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
        let mut results = Vec::new();
        for (program, label) in [(C_SIMULATE, "c"), (ours, "ours")] {
            let dot = dir.join(format!("{label}.dot"));
            let dot_arg = dot.to_string_lossy().into_owned();
            let mut args = vec!["-x", &xml, "-S", "-Q", "-D", &dot_arg];
            args.extend(extra);
            let (rc, _, _) = run(program, &args);
            results.push((rc, std::fs::read_to_string(&dot).unwrap_or_default()));
            std::fs::remove_file(&dot).ok();
        }
        let (c, r) = (&results[0], &results[1]);
        if c != r {
            let first = c.1.lines().zip(r.1.lines()).find(|(a, b)| a != b);
            differ.push(format!(
                "{case} {extra:?}: rc {} vs C {}; {} lines vs C {}; first difference (C, ours) {first:?}",
                r.0,
                c.0,
                r.1.lines().count(),
                c.1.lines().count()
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    differ
}

/// Cases whose transition graph (and so dot file) we already get exactly right, covering
/// required actions that cannot run (red), optional orderings between shown actions
/// (dashed edges), fencing, shutdown, groups, clones and pseudo-actions.
const DOT_CASES: &[&str] = &[
    "simple2",
    "simple7",
    "group1",
    "asymmetrical-order-move",
    "bug-5014-A-stopped-B-stopped",
    "bug-5014-CthenAthenB-C-stopped",
    "bug-5014-CLONE-A-start-B-start",
    "bug-lf-2213",
    "bug-lf-2445",
    "1360",
    "concurrent-fencing",
    "rec-node-2",
    "rec-node-14",
    "suicide-needed-inquorate",
];

/// With --all-actions the dot file also shows what the transition leaves out (optional
/// actions, unmanaged resources' actions in purple); these cases' full action lists match.
const DOT_ALL_ACTIONS_CASES: &[&str] = &[
    "simple2",
    "simple7",
    "group1",
    "asymmetrical-order-move",
    "concurrent-fencing",
    "rec-node-2",
    "rec-node-14",
    "stopped-monitor-24",
    "stopped-monitor-26",
];

#[test]
fn dot_files_match_c() {
    let Some((corpus, _)) = setup() else { return };
    assert_none(compare_dot(DOT_CASES, &corpus, &[]), "-D");
    // -V adds the action ids to the names.
    assert_none(compare_dot(DOT_CASES, &corpus, &["-V"]), "-D -V");
    assert_none(compare_dot(DOT_ALL_ACTIONS_CASES, &corpus, &["-a"]), "-D -a");
    assert_none(compare_dot(DOT_ALL_ACTIONS_CASES, &corpus, &["-a", "-V"]), "-D -a -V");
}

#[test]
fn dot_file_alone_implies_run() {
    // Like Pacemaker's, -D without -R/-S still schedules, prints the Transition Summary
    // and writes the file.
    let Some((corpus, _)) = setup() else { return };
    let dir = std::env::temp_dir().join(format!("crm-simulate-dot-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml = corpus.join("xml/group1.xml").to_string_lossy().into_owned();
    let mut outputs = Vec::new();
    for (program, label) in [(C_SIMULATE, "c"), (env!("CARGO_BIN_EXE_crm_simulate"), "ours")] {
        let dot = dir.join(format!("{label}.dot")).to_string_lossy().into_owned();
        let (rc, out, _) = run(program, &["-x", &xml, "-D", &dot]);
        outputs.push((rc, out, std::fs::read_to_string(&dot).unwrap_or_default()));
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(outputs[0].1.contains("Transition Summary"), "{}", outputs[0].1);
    assert_eq!(outputs[1], outputs[0]);
}

/// Runs both with `-F` failure specs (and any extra arguments); returns the cases whose
/// output (with failure times masked), exit code or failure-spec errors differ.
fn compare_op_fail(cases: &[(&str, &[&str])], corpus: &Path, extra: &[&str]) -> Vec<String> {
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let mut differ = Vec::new();
    for (case, specs) in cases {
        let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
        let mut args = vec!["-x", xml.as_str()];
        args.extend(extra);
        for spec in *specs {
            args.extend(["-F", spec]);
        }
        let results: Vec<(i32, String, Vec<String>)> = [C_SIMULATE, ours]
            .iter()
            .map(|program| {
                let (rc, out, err) = run(program, &args);
                let spec_errors = err.lines().filter(|l| l.contains("Invalid failed operation")).map(str::to_owned).collect();
                (rc, mask_times(&out), spec_errors)
            })
            .collect();
        let (c, r) = (&results[0], &results[1]);
        if c != r {
            let first = c.1.lines().zip(r.1.lines()).find(|(a, b)| a != b);
            differ.push(format!(
                "{case} {specs:?}: rc {} vs C {}; errors {:?} vs C {:?}; first difference (C, ours) {first:?}",
                r.0, c.0, r.2, c.2
            ));
        }
    }
    differ
}

#[test]
fn op_fail_matches_c() {
    let Some((corpus, _)) = setup() else { return };
    let cases: &[(&str, &[&str])] = &[
        // A failed start: the group members after it never start, the fail count is set.
        ("group1", &["child_rsc2_start_0@node1=1"]),
        // A probe finding the resource stopped is no failure to count, but still aborts.
        ("group1", &["child_rsc1_monitor_0@node2=7"]),
        ("group1", &["CHILD_RSC1_MONITOR_0@NODE2=1"]),
        // Only the first matching spec counts; a result code that is no number is an error.
        ("group1", &["child_rsc2_start_0@node1=x", "child_rsc2_start_0@node1=2", "child_rsc2_start_0@node1=3"]),
        ("simple8", &["rsc3_monitor_0@node2=1", "nosuch_start_0@node1=1"]),
        ("anti-colocation-order", &["rsc1_start_0@node2=1"]),
        ("coloc-group", &["rsc1_start_0@node2=1"]),
        ("one-or-more-2", &["A_start_0@fc16-builder=1"]),
        ("rsc_dep10", &["rsc2_start_0@node1=1"]),
        ("systemhealth3", &["stonith-1_start_0@hs21c=1"]),
        ("node-maintenance-2", &["rsc1_monitor_10000@node2=1"]),
        ("ticket-primitive-11", &["rsc1_monitor_10000@node2=1"]),
        ("bug-5028-bottom", &["dummy02_stop_0@bl460g6a=1"]),
        // Clone instances, by instance name or by the configured name.
        ("clone-anon-probe-1", &["drbd0:0_start_0@mysql-01=1"]),
        ("clone-anon-probe-1", &["drbd0_start_0@mysql-01=1"]),
        ("1360", &["dollies_start_0@ssgtest1b=1"]),
        ("bug-lf-2213", &["test:0_start_0@web1=1"]),
        ("ticket-clone-2", &["rsc1_start_0@node2=1"]),
        ("promoted-reattach", &["drbd1_monitor_10000@dktest1=8"]),
        ("promoted-unmanaged-monitor", &["ping-1:0_monitor_60000@pcmk-2=1"]),
    ];
    assert_none(compare_op_fail(cases, &corpus, &[]), "-F");
    // The failures show in the revised status (-c), with the injected result's details
    // (their call numbers count the notifications a clone's instances got).
    let notified: &[(&str, &[&str])] =
        &[("notify-1", &["child_rsc2:0_stop_0@node1=1"]), ("notify-1", &["child_rsc1:1_start_0@node1=1"])];
    let failing: Vec<(&str, &[&str])> = cases.iter().chain(notified).copied().collect();
    let with_failcounts: Vec<(String, String)> = failing
        .iter()
        .map(|(case, specs)| {
            let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
            let mut args = vec!["-x".to_owned(), xml, "-c".to_owned()];
            args.extend(specs.iter().flat_map(|s| ["-F".to_owned(), s.to_string()]));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            (failure_sections(&run(C_SIMULATE, &args).1), failure_sections(&run(env!("CARGO_BIN_EXE_crm_simulate"), &args).1))
        })
        .collect();
    assert!(with_failcounts.iter().filter(|(c, _)| c.contains("User-injected result")).count() > 10);
    for ((case, specs), (c, ours)) in failing.iter().zip(&with_failcounts) {
        assert_eq!(ours, c, "{case} {specs:?} -c");
    }
    // Quiet: nothing but errors.
    assert_none(compare_op_fail(&cases[..4], &corpus, &["-Q"]), "-F -Q");
}

#[test]
fn node_attributes_and_pending_match_c() {
    let Some((corpus, cases)) = setup() else { return };
    // Status only: every passing case (about half have attributes to show).
    assert_none(compare(&cases, &corpus, &|_| vec!["-A".into()]), "-A");
    // Before and after a simulated transition (cases whose -S output we already get
    // exactly right), including ping attributes whose connectivity is lost or degraded
    // (bnc-515172, history-1, probe-3, probe-4).
    let simulated: Vec<String> = [
        "bnc-515172",
        "history-1",
        "probe-3",
        "probe-4",
        "1484",
        "bug-cl-5219",
        "coloc-negative-group",
        "not-installed-tools",
        "promoted-role",
        "rule-int-as-number-match",
    ]
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_none(compare(&simulated, &corpus, &|_| vec!["-S".into(), "-A".into()]), "-S -A");
    // Pending operations are shown with or without --pending.
    let pending: Vec<String> = cases.iter().step_by(5).cloned().collect();
    assert_none(compare(&pending, &corpus, &|_| vec!["--pending".into(), "-R".into()]), "--pending");
}

/// The output without score lines (scores are compared by the conformance
/// suite's "scores" level).
fn without_scores(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains(" score "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// -s switches crm_simulate to its plain text layout (no list headers or
/// bullets, bare node lists, "Only 'private' parameters" notices): the same
/// lines as Debian's in every case we schedule right, with and without -S.
#[test]
fn show_scores_layout_matches_c() {
    let Some((corpus, cases)) = setup() else { return };
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let mut differ = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
        // Half the cases with the simulated transition, to keep the run short.
        let args: Vec<&str> = if i % 2 == 0 { vec!["-x", &xml, "-s"] } else { vec!["-x", &xml, "-s", "-S"] };
        let (c_rc, c_out, _) = run(C_SIMULATE, &args);
        let (rc, out, _) = run(ours, &args);
        let (c_text, text) = (without_scores(&c_out), without_scores(&out));
        // The executed actions are the conformance suite's "exec" level,
        // which not all of these cases pass yet: leave them out here.
        let layout = |t: &str| -> String {
            let executed = ["Resource action:", "Pseudo action:", "Cluster action:", "Fencing "];
            t.lines().filter(|l| !executed.iter().any(|p| l.starts_with(p))).map(|l| format!("{l}\n")).collect()
        };
        let same = layout(&c_text) == layout(&text);
        if rc != c_rc || !same {
            let (c_layout, layout) = (layout(&c_text), layout(&text));
            let first = c_layout.lines().zip(layout.lines()).find(|(a, b)| a != b);
            differ.push(format!("{case} {args:?}: rc {rc} vs C {c_rc}; first difference {first:?}"));
        }
    }
    assert_none(differ, "-s");
}

/// -U prints node capacities before and after assignment and each
/// assigned resource's utilization: the same lines as Debian's crm_simulate
/// (the per-resource lines compared as a set: instances of a clone may be
/// assigned in another order with the same result).
#[test]
fn show_utilization_matches_c() {
    let Some((corpus, cases)) = setup() else { return };
    let known = [
        // Pacemaker lists a node's capacities in GLib hash-table order.
        "load-stopped-loop",
        "params-6",
    ];
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let normalized = |text: &str| -> String {
        let (mut assigned, mut rest): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|l| l.starts_with("pcmk__finalize_assignment:"));
        assigned.sort_unstable();
        rest.extend(assigned);
        rest.join("\n")
    };
    let mut differ = Vec::new();
    for case in cases.iter().filter(|c| !known.contains(&c.as_str())) {
        let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
        let args = ["-x", xml.as_str(), "-U"];
        let (c_rc, c_out, _) = run(C_SIMULATE, &args);
        let (rc, out, _) = run(ours, &args);
        let (c_text, text) = (normalized(&c_out), normalized(&out));
        if rc != c_rc || c_text != text {
            let first = c_text.lines().zip(text.lines()).find(|(a, b)| a != b);
            differ.push(format!("{case}: rc {rc} vs C {c_rc}; first difference {first:?}"));
        }
    }
    assert_none(differ, "-U");
}

/// The "Migration Summary" and "Failed Resource Actions" sections (-c) of every cluster
/// status in the output, with times of "now" masked: crm_simulate stamps the results of
/// simulated actions with the real time.
fn failure_sections(output: &str) -> String {
    let year = libcrmcommon::time::ctime_now().rsplit(' ').next().unwrap_or_default().to_owned();
    let mut sections = String::new();
    let mut inside = false;
    for line in output.lines() {
        if line.ends_with("Cluster Status:") || line == "Current cluster status:" {
            sections.push_str(line);
            sections.push('\n');
        }
        if line == "  * Migration Summary:" || line == "  * Failed Resource Actions:" {
            inside = true;
        } else if !line.starts_with("    ") {
            inside = false;
        }
        if inside {
            sections.push_str(&mask_now_stamps(line, &year));
            sections.push('\n');
        }
    }
    sections
}

/// `'Sat Dec  5 10:04:19 2026'` (a time in the current year) becomes `'NOW'`.
fn mask_now_stamps(line: &str, year: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('\'') {
        let Some(len) = rest[start + 1..].find('\'') else { break };
        let quoted = &rest[start + 1..start + 1 + len];
        out.push_str(&rest[..=start]);
        out.push_str(if quoted.len() == 24 && quoted.ends_with(year) { "NOW" } else { quoted });
        out.push('\'');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs both with `-c` and the extra arguments; returns (cases whose sections differ, with
/// the first difference; how many cases had something to show in them).
fn compare_failure_sections(cases: &[String], corpus: &Path, extra: &[&str]) -> (Vec<String>, usize) {
    let ours = env!("CARGO_BIN_EXE_crm_simulate");
    let (mut differ, mut with_failures) = (Vec::new(), 0);
    for case in cases {
        let xml = corpus.join("xml").join(format!("{case}.xml")).to_string_lossy().into_owned();
        let mut args = vec!["-x", xml.as_str(), "-c"];
        args.extend(extra);
        let (c_rc, c_out, _) = run(C_SIMULATE, &args);
        let (rc, out, _) = run(ours, &args);
        let (c_sections, sections) = (failure_sections(&c_out), failure_sections(&out));
        if c_sections.contains("fail-count=") || c_sections.contains("Failed Resource Actions") {
            with_failures += 1;
        }
        if (rc, &sections) != (c_rc, &c_sections) {
            let first = c_sections.lines().zip(sections.lines()).find(|(a, b)| a != b);
            differ.push(format!("{case} {extra:?}: rc {rc} vs C {c_rc}; first difference (C, ours) {first:?}"));
        }
    }
    (differ, with_failures)
}

/// -c: the same fail counts and failed operations as Debian's crm_simulate, before and
/// after the simulated transition, in every case we schedule right.
#[test]
fn failcounts_match_c() {
    let Some((corpus, cases)) = setup() else { return };
    for extra in [&[][..], &["-S"][..]] {
        let known: &[&str] = if extra.is_empty() { &[] } else { FAILCOUNTS_KNOWN_REVISED_DIFFERENCES };
        let cases: Vec<String> = cases.iter().filter(|c| !known.contains(&c.as_str())).cloned().collect();
        let (differ, with_failures) = compare_failure_sections(&cases, &corpus, extra);
        eprintln!(
            "-c {extra:?}: {} of {} cases match ({with_failures} with fail counts or failed operations); {} known to differ",
            cases.len() - differ.len(),
            cases.len(),
            known.len()
        );
        assert!(with_failures > 90, "only {with_failures} cases show failures");
        assert_none(differ, &format!("-c {extra:?}"));
    }
}

/// Cases whose revised status (-c -S) shows other fail counts, and why.
const FAILCOUNTS_KNOWN_REVISED_DIFFERENCES: &[&str] = &[
    // Its status section gives several fail count attributes one id: Pacemaker's CIB,
    // recording the simulated results, writes the last of them over the first, so one
    // resource's fail count is gone from its revised status.
    "failcount-block",
    // Scheduled like Pacemaker (summary level), but the revised status still differs:
    // that of a clone with clone-max 0, and a bundle replica's fail count after
    // recovery (year-2038).
    "clone-max-zero",
    "year-2038",
];

/// The cluster status sections of -c in the cases we do not schedule right yet (their
/// resource lists may differ, their failures should not), but for the known differences.
#[test]
fn failcounts_match_c_beyond_the_passing_cases() {
    let Some((corpus, passing)) = setup() else { return };
    let mut others: Vec<String> = std::fs::read_dir(corpus.join("xml"))
        .expect("corpus xml")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".xml").map(str::to_owned))
        .filter(|case| !passing.contains(case))
        .collect();
    others.sort();
    let (differ, with_failures) = compare_failure_sections(&others, &corpus, &[]);
    eprintln!(
        "-c: {} of {} other cases match ({with_failures} with fail counts or failed operations)",
        others.len() - differ.len(),
        others.len()
    );
    assert_none(differ, "-c (cases not yet scheduled right)");
}
