//! Patch application against Debian's `crm_diff -o OLD -p PATCH` (skipped when absent):
//! the corpus patches must turn OLD into NEW, and random — including deliberately
//! damaged — patches must give the same result or the same error as crm_diff.

mod common;

use common::mutate::{mutate, Rng};
use libcrmcommon::patchset::{self, CreateOptions, PatchError};
use libcrmcommon::xml::{self, Element, XmlNode};
use std::path::Path;

fn load(path: &Path) -> Element {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    xml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Legacy code of a crm_diff failure message ("Could not apply patch: ...").
fn legacy_code_of(stderr: &str) -> Option<i32> {
    let message = stderr.lines().find_map(|l| l.strip_prefix("Could not apply patch: "))?;
    Some(match message.trim() {
        "Update was older than existing configuration" => patchset::LEGACY_OLD_DATA,
        "Application of update diff failed" => patchset::LEGACY_DIFF_FAILED,
        "Application of update diff failed, requesting full refresh" => patchset::LEGACY_DIFF_RESYNC,
        "No message of desired type" => patchset::LEGACY_ENOMSG,
        "Invalid argument" => patchset::LEGACY_EINVAL,
        "Name not unique on network" => patchset::LEGACY_ENOTUNIQ,
        other => panic!("unexpected crm_diff message {other:?}"),
    })
}

/// crm_diff's verdict: the patched document (compact) or the legacy error code; `None`
/// when crm_diff is missing or crashed (C dereferences NULL on some malformed patches,
/// e.g. a create without content, where we return an error).
fn crm_diff_apply(old: &Path, patch: &Path, as_cib: bool) -> Option<Result<String, i32>> {
    let mut args = vec!["-o", old.to_str().expect("UTF-8"), "-p", patch.to_str().expect("UTF-8")];
    if as_cib {
        args.insert(0, "-c");
    }
    let out = common::run_tool("crm_diff", &args)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if std::os::unix::process::ExitStatusExt::signal(&out.status).is_some() {
        return None;
    }
    if let Some(code) = legacy_code_of(&stderr) {
        return Some(Err(code));
    }
    assert!(out.status.success(), "crm_diff {args:?}: {stderr}");
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    Some(Ok(xml::to_compact(&xml::parse(&printed).expect("crm_diff output parses"))))
}

fn ours(old: &Element, patch: &Element, as_cib: bool) -> Result<String, i32> {
    let mut cib = old.clone();
    match patchset::apply(&mut cib, patch, as_cib) {
        Ok(()) => Ok(xml::to_compact(&cib)),
        Err(e) => {
            assert_eq!(cib, *old, "a failed patch must leave the CIB alone");
            Err(e.legacy_code())
        }
    }
}

/// A stored crm_diff verdict (see generate.py): the patched document or its error line.
fn stored_verdict(path: &Path) -> Result<String, i32> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match legacy_code_of(&text) {
        Some(code) => Err(code),
        None => Ok(xml::to_compact(&xml::parse(&text).expect("stored result parses"))),
    }
}

#[test]
fn corpus_patches_apply_like_crm_diff() {
    let dir = common::fixtures("patchset");
    let mut applied = 0;
    let mut equal_to_new = 0;
    for old_path in common::xml_files(&dir) {
        let Some(case) = old_path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".old.xml")) else {
            continue;
        };
        let new = load(&dir.join(format!("{case}.new.xml")));
        let old = load(&old_path);
        for suffix in ["diff", "cib-diff"] {
            let patch_path = dir.join(format!("{case}.{suffix}.xml"));
            let text = std::fs::read_to_string(&patch_path).expect("fixture");
            if text.trim().is_empty() {
                continue;
            }
            let patch = xml::parse(&text).expect("patch parses");
            // crm_diff echoes the files' versions; between equal ones a version check
            // refuses the patch as old news.
            let (source, target) = patchset::versions(&patch, [0; 3], [0; 3]);
            if source == target {
                assert_eq!(ours(&old, &patch, true), Err(patchset::LEGACY_OLD_DATA), "{case}.{suffix}");
            }
            let result = ours(&old, &patch, false);
            let stored = stored_verdict(&dir.join(format!("{case}.{suffix}.applied")));
            assert_eq!(result, stored, "{case}.{suffix} against stored crm_diff -p result");
            if let Some(theirs) = crm_diff_apply(&old_path, &patch_path, false) {
                assert_eq!(result, theirs, "{case}.{suffix} against live crm_diff -p");
            }
            if suffix == "diff" && result == Ok(xml::to_compact(&new)) {
                equal_to_new += 1;
            }
            applied += 1;
        }
    }
    assert!(applied >= 60, "only {applied} patches applied");
    // All but the few patches C itself cannot apply reproduce NEW exactly.
    assert!(equal_to_new >= 38, "only {equal_to_new} plain patches reproduced NEW");
}

/// Damages a patch in one of the ways a buggy or hostile peer might.
fn damage(patch: &mut Element, rng: &mut Rng) {
    let changes: Vec<usize> = (0..patch.children.len()).collect();
    if changes.is_empty() {
        return;
    }
    let i = changes[rng.below(changes.len())];
    let XmlNode::Element(change) = &mut patch.children[i] else { return };
    match rng.below(10) {
        0 => change.set_attr("position", format!("{}", rng.below(6) as i64 - 1)),
        1 => change.set_attr("operation", ["create", "delete", "modify", "move", "frob"][rng.below(5)]),
        2 => {
            let path = change.attr("path").unwrap_or("/cib").to_owned();
            let cut = rng.below(path.len() + 1);
            change.set_attr("path", path.get(..cut).unwrap_or("/cib"));
        }
        3 => {
            change.children.clear();
        }
        4 => {
            change.remove_attr("path");
        }
        5 => change.set_attr("path", "/cib/configuration/nodes/node[@id='1']"),
        6 => {
            patch.set_attr("format", ["1", "2", "3", "x", ""][rng.below(5)]);
        }
        7 => {
            patch.set_attr("digest", "0123456789abcdef0123456789abcdef");
        }
        8 => {
            if let Some(XmlNode::Element(version)) = patch.children.first_mut() {
                if let Some(target) = version.child_mut("target") {
                    target.set_attr("epoch", format!("{}", rng.below(13)));
                    target.set_attr("num_updates", format!("{}", rng.below(11)));
                }
                if let Some(source) = version.child_mut("source") {
                    source.set_attr("epoch", format!("{}", 9 + rng.below(3)));
                }
            }
        }
        _ => {
            let copy = patch.children[i].clone();
            patch.children.insert(rng.below(patch.children.len() + 1), copy);
        }
    }
}

#[test]
fn random_patches_apply_like_crm_diff() {
    let dir = common::fixtures("patchset");
    let base = load(&dir.join("attr-set.old.xml"));
    let tmp = std::env::temp_dir().join(format!("pcmk-rs-random-apply-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let (old_path, patch_path) = (tmp.join("old.xml"), tmp.join("patch.xml"));
    let pairs: u64 = std::env::var("PCMK_RS_RANDOM_PAIRS").ok().and_then(|v| v.parse().ok()).unwrap_or(150);

    let mut crashed = 0;
    let have_crm_diff = common::tool_installed("crm_diff");
    for seed in 0..pairs {
        let mut rng = Rng::new(seed + 7);
        let mut old = base.clone();
        let setup = rng.below(3);
        mutate(&mut old, &mut rng, setup);
        let mut new = old.clone();
        let edits = 1 + rng.below(6);
        mutate(&mut new, &mut rng, edits);
        let options = CreateOptions { with_digest: rng.below(2) == 0, ..Default::default() };
        let Some(mut patch) = patchset::create(&old, &new, &options) else { continue };
        let damaged = rng.below(2) == 0;
        if damaged {
            for _ in 0..1 + rng.below(2) {
                damage(&mut patch, &mut rng);
            }
        }
        let as_cib = rng.below(3) == 0;
        std::fs::write(&old_path, xml::to_formatted(&old)).expect("write");
        // Apply to what crm_diff reads: serialization is lossy (TAB, newline).
        let old = xml::parse(&std::fs::read_to_string(&old_path).expect("read")).expect("reparse");
        std::fs::write(&patch_path, xml::to_formatted(&patch)).expect("write");
        let patch = xml::parse(&std::fs::read_to_string(&patch_path).expect("read")).expect("reparse");
        let result = ours(&old, &patch, as_cib);
        if !have_crm_diff {
            continue;
        }
        let Some(theirs) = crm_diff_apply(&old_path, &patch_path, as_cib) else {
            crashed += 1;
            continue;
        };
        if result != theirs {
            let keep = tmp.join(format!("seed-{seed}"));
            std::fs::create_dir_all(&keep).ok();
            std::fs::copy(&old_path, keep.join("old.xml")).ok();
            std::fs::copy(&patch_path, keep.join("patch.xml")).ok();
            panic!("seed {seed} (cib {as_cib}): ours {result:?}\ntheirs {theirs:?}\nkept in {}", keep.display());
        }
    }
    eprintln!("crm_diff crashed on {crashed} of {pairs} patches");
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn malformed_patches_are_errors() {
    let cib = xml::parse("<cib epoch=\"1\" num_updates=\"1\" admin_epoch=\"0\"><configuration/></cib>").expect("parses");
    let cases: &[(&str, PatchError)] = &[
        ("<diff format=\"2\"><change operation=\"modify\" path=\"/cib\"/></diff>", PatchError::MissingChangeResult),
        ("<diff format=\"9\"/>", PatchError::UnknownFormat(9)),
        ("<diff format=\"2\"><change operation=\"create\" path=\"/cib\" position=\"0\"/></diff>", PatchError::DiffFailed(String::new())),
        ("<diff format=\"2\"><change operation=\"delete\" path=\"/cib\"/></diff>", PatchError::DiffFailed(String::new())),
        ("<diff format=\"2\"><change operation=\"move\" path=\"/cib\" position=\"3\"/></diff>", PatchError::DiffFailed(String::new())),
        ("<diff format=\"2\"><change operation=\"modify\" path=\"/nope\"><change-result><x/></change-result></change></diff>", PatchError::DiffFailed(String::new())),
        ("<diff format=\"1\"><diff-removed><cib/><cib/></diff-removed></diff>", PatchError::NotUnique),
        ("<diff format=\"2\" digest=\"x\"/>", PatchError::DigestMismatch { expected: String::new(), calculated: String::new() }),
    ];
    for (text, expected) in cases {
        let patch = xml::parse(text).expect("parses");
        let mut target = cib.clone();
        let err = patchset::apply(&mut target, &patch, false).expect_err(text);
        assert_eq!(std::mem::discriminant(&err), std::mem::discriminant(expected), "{text}: {err}");
        assert_eq!(target, cib);
    }
    let mut target = cib.clone();
    let newer = xml::parse("<diff format=\"2\"><version><source admin_epoch=\"0\" epoch=\"2\" num_updates=\"0\"/><target admin_epoch=\"0\" epoch=\"3\" num_updates=\"0\"/></version></diff>").expect("parses");
    assert_eq!(patchset::apply(&mut target, &newer, true), Err(PatchError::DiffResync));
    let older = xml::parse("<diff format=\"2\"><version><source admin_epoch=\"0\" epoch=\"0\" num_updates=\"0\"/><target admin_epoch=\"0\" epoch=\"1\" num_updates=\"0\"/></version></diff>").expect("parses");
    assert_eq!(patchset::apply(&mut target, &older, true), Err(PatchError::OldData));
}

/// Legacy v1 patches: crm_diff writes them when OLD's feature set is 3.0.8 or older.
/// Ours must apply them as crm_diff -p does.
#[test]
fn v1_patches_from_crm_diff_apply_alike() {
    if !common::tool_installed("crm_diff") {
        return;
    }
    let dir = common::fixtures("patchset");
    let mut base = load(&dir.join("attr-set.old.xml"));
    base.set_attr("crm_feature_set", "3.0.7");
    let tmp = std::env::temp_dir().join(format!("pcmk-rs-v1-apply-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let (old_path, new_path, patch_path) = (tmp.join("old.xml"), tmp.join("new.xml"), tmp.join("patch.xml"));
    let pairs: u64 = std::env::var("PCMK_RS_RANDOM_PAIRS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let mut compared = 0;
    for seed in 0..pairs {
        let mut rng = Rng::new(seed + 1000);
        let mut new = base.clone();
        let edits = 1 + rng.below(5);
        mutate(&mut new, &mut rng, edits);
        std::fs::write(&old_path, xml::to_formatted(&base)).expect("write");
        std::fs::write(&new_path, xml::to_formatted(&new)).expect("write");
        let args = ["-o", old_path.to_str().expect("UTF-8"), "-n", new_path.to_str().expect("UTF-8")];
        let Some(out) = common::run_tool("crm_diff", &args) else { return };
        let printed = String::from_utf8(out.stdout).expect("UTF-8");
        if printed.trim().is_empty() {
            continue;
        }
        let patch = xml::parse(&printed).expect("v1 patch parses");
        assert_eq!(patch.attr("format"), Some("1"), "seed {seed}: expected a v1 patch");
        std::fs::write(&patch_path, &printed).expect("write");
        let as_cib = rng.below(2) == 0;
        let result = ours(&base, &patch, as_cib);
        let Some(theirs) = crm_diff_apply(&old_path, &patch_path, as_cib) else { continue };
        if result != theirs {
            let keep = tmp.join(format!("seed-{seed}"));
            std::fs::create_dir_all(&keep).ok();
            std::fs::copy(&old_path, keep.join("old.xml")).ok();
            std::fs::copy(&patch_path, keep.join("patch.xml")).ok();
            panic!("seed {seed} (cib {as_cib}): ours {result:?}\ntheirs {theirs:?}\nkept in {}", keep.display());
        }
        compared += 1;
    }
    assert!(compared > pairs / 2, "only {compared} v1 patches compared");
    std::fs::remove_dir_all(&tmp).ok();
}
