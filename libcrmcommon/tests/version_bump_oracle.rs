//! The version rule against the C CIB code: `cibadmin --replace` with `CIB_file` runs
//! `cib_perform_op` with counters managed, on a replacement document whose changes it
//! infers with `xml_calculate_changes` — the same path as ours. The file it writes back
//! must equal our `bump_versions(old, new)`. Skipped when cibadmin is missing.

mod common;

use common::mutate::{mutate, Rng};
use libcrmcommon::patchset;
use libcrmcommon::xml::{self, Element};
use std::path::Path;

/// Makes a CIB acceptable to the file backend: no schema validation (the corpus is not
/// schema-valid), and Pacemaker 2.1.5's own feature set (newer ones are refused).
fn prepare(cib: &mut Element) {
    cib.set_attr("validate-with", "none");
    cib.set_attr("crm_feature_set", "3.16.1");
}

/// What the C code makes of replacing `old` by `new`.
fn c_replace(old: &Element, new: &Element, dir: &Path) -> Option<Element> {
    let (cib_path, new_path) = (dir.join("cib.xml"), dir.join("new.xml"));
    std::fs::write(&cib_path, xml::to_formatted(old)).expect("write");
    std::fs::write(&new_path, xml::to_formatted(new)).expect("write");
    let out = std::process::Command::new("cibadmin")
        .env("CIB_file", &cib_path)
        .args(["--replace", "--xml-file", new_path.to_str().expect("UTF-8")])
        .output()
        .ok()?;
    assert!(out.status.success(), "cibadmin --replace: {}", String::from_utf8_lossy(&out.stderr));
    Some(xml::parse(&std::fs::read_to_string(&cib_path).expect("read")).expect("cibadmin output parses"))
}

fn reread(e: &Element, dir: &Path, name: &str) -> Element {
    let path = dir.join(name);
    std::fs::write(&path, xml::to_formatted(e)).expect("write");
    xml::parse(&std::fs::read_to_string(&path).expect("read")).expect("reparse")
}

fn check(case: &str, old: &Element, new: &Element, dir: &Path) -> bool {
    let Some(theirs) = c_replace(old, new, dir) else { return false };
    let mut ours = new.clone();
    patchset::bump_versions(old, &mut ours);
    for name in patchset::VERSION_ATTRS {
        assert_eq!(ours.attr(name), theirs.attr(name), "{case}: {name}");
    }
    // The replace operation itself adds an empty <status/> when the replacement has
    // none; beyond that the documents must be identical.
    if new.child("status").is_some() {
        assert_eq!(xml::to_compact(&ours), xml::to_compact(&theirs), "{case}");
    }
    true
}

#[test]
fn bump_versions_matches_the_cib_file_backend() {
    if !common::tool_installed("cibadmin") {
        eprintln!("skipping: cibadmin is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("pcmk-rs-bump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let fixtures = common::fixtures("patchset");
    for old_path in common::xml_files(&fixtures) {
        let Some(case) = old_path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".old.xml")) else {
            continue;
        };
        let load = |p: &Path| xml::parse(&std::fs::read_to_string(p).expect("fixture")).expect("parses");
        let (mut old, mut new) = (load(&old_path), load(&fixtures.join(format!("{case}.new.xml"))));
        prepare(&mut old);
        prepare(&mut new);
        if !check(case, &old, &new, &dir) {
            return;
        }
    }
    let pairs: u64 = std::env::var("PCMK_RS_RANDOM_PAIRS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let mut base = xml::parse(&std::fs::read_to_string(fixtures.join("attr-set.old.xml")).expect("fixture"))
        .expect("parses");
    prepare(&mut base);
    for seed in 0..pairs {
        let mut rng = Rng::new(seed + 5000);
        let mut new = base.clone();
        let edits = 1 + rng.below(4);
        mutate(&mut new, &mut rng, edits);
        prepare(&mut new);
        // cibadmin refuses replacements whose versions go backwards; keep them.
        for name in patchset::VERSION_ATTRS {
            if let Some(v) = base.attr(name) {
                new.set_attr(name, v);
            }
        }
        let new = reread(&new, &dir, "random.xml");
        check(&format!("seed {seed}"), &base, &new, &dir);
    }
    std::fs::remove_dir_all(&dir).ok();
}
