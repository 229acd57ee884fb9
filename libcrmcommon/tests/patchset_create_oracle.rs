//! Our patchsets must equal Debian crm_diff's for every old/new pair of the corpus in
//! tests/fixtures/patchset (see generate.py there). The expected outputs were produced by
//! crm_diff and are stored beside the pairs; when crm_diff is installed it is also run
//! live, so a corpus edited without regenerating is caught.
//!
//! crm_diff never manages versions: it diffs the two files as given, so `<source>` and
//! `<target>` just echo the version attributes of OLD and NEW (with "1" for missing ones),
//! and a version change shows up as an ordinary `modify` of `/cib`. The CIB manager
//! instead bumps the versions itself while creating the patchset (`manage_version`, see
//! `patchset::bump_versions`), and `crm_diff --cib` merely adds the digest and ignores
//! attributes that only moved.

mod common;

use libcrmcommon::patchset::{self, CreateOptions};
use libcrmcommon::xml::{self, Element};
use std::path::Path;

fn load(path: &Path) -> Element {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    xml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compact form of a patchset printed by crm_diff, or `None` for its empty output.
fn normalize(printed: &str) -> Option<String> {
    if printed.trim().is_empty() {
        return None;
    }
    Some(xml::to_compact(&xml::parse(printed).expect("crm_diff output parses")))
}

fn cases() -> Vec<String> {
    let dir = common::fixtures("patchset");
    let mut names: Vec<String> = common::xml_files(&dir)
        .iter()
        .filter_map(|p| p.file_name()?.to_str()?.strip_suffix(".old.xml").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "patchset corpus has only {} cases", names.len());
    names
}

fn check_mode(suffix: &str, crm_diff_flags: &[&str], options: &CreateOptions) {
    let dir = common::fixtures("patchset");
    let mut live_checked = 0;
    for case in cases() {
        let old_path = dir.join(format!("{case}.old.xml"));
        let new_path = dir.join(format!("{case}.new.xml"));
        let ours = patchset::create(&load(&old_path), &load(&new_path), options).map(|d| xml::to_compact(&d));

        let expected_path = dir.join(format!("{case}.{suffix}.xml"));
        let stored = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        assert_eq!(ours, normalize(&stored), "{case}: differs from stored crm_diff {crm_diff_flags:?} output");

        let mut args: Vec<&str> = crm_diff_flags.to_vec();
        let (old_s, new_s) = (old_path.to_str().expect("UTF-8"), new_path.to_str().expect("UTF-8"));
        args.extend(["-o", old_s, "-n", new_s]);
        if let Some(out) = common::run_tool("crm_diff", &args) {
            let live = String::from_utf8(out.stdout).expect("UTF-8 output");
            assert_eq!(ours, normalize(&live), "{case}: differs from live crm_diff {crm_diff_flags:?}");
            live_checked += 1;
        }
    }
    eprintln!("{suffix}: compared with live crm_diff on {live_checked} cases");
}

#[test]
fn matches_crm_diff() {
    check_mode("diff", &[], &CreateOptions::default());
}

#[test]
fn matches_crm_diff_cib_mode() {
    let options = CreateOptions { with_digest: true, ignore_attribute_moves: true, ..Default::default() };
    check_mode("cib-diff", &["-c"], &options);
}

#[test]
fn matches_crm_diff_no_version() {
    // Not stored: compared live only.
    let dir = common::fixtures("patchset");
    let options = CreateOptions { no_version: true, ..Default::default() };
    for case in ["root-version-only", "status-only", "multi", "attr-set"] {
        let old_path = dir.join(format!("{case}.old.xml"));
        let new_path = dir.join(format!("{case}.new.xml"));
        let ours = patchset::create(&load(&old_path), &load(&new_path), &options).map(|d| xml::to_compact(&d));
        let args = ["-u", "-o", old_path.to_str().expect("UTF-8"), "-n", new_path.to_str().expect("UTF-8")];
        let Some(out) = common::run_tool("crm_diff", &args) else { return };
        assert_eq!(ours, normalize(&String::from_utf8(out.stdout).expect("UTF-8")), "{case} with -u");
    }
}
