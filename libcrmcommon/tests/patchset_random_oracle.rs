//! Differential test: random edits of a CIB, our patchset against live crm_diff's.
//! Skipped when crm_diff is not installed.

mod common;

use common::mutate::{mutate, Rng};
use libcrmcommon::patchset::{self, CreateOptions};
use libcrmcommon::xml;

/// Pairs per run; raise with PCMK_RS_RANDOM_PAIRS for a longer hunt.
const DEFAULT_PAIRS: u64 = 150;

fn pairs() -> u64 {
    std::env::var("PCMK_RS_RANDOM_PAIRS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_PAIRS)
}

#[test]
fn random_edits_match_crm_diff() {
    let base_path = common::fixtures("patchset").join("attr-set.old.xml");
    let base = xml::parse(&std::fs::read_to_string(base_path).expect("fixture")).expect("parses");
    let dir = std::env::temp_dir().join(format!("pcmk-rs-random-patchset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (old_path, new_path) = (dir.join("old.xml"), dir.join("new.xml"));
    let (old_s, new_s) = (old_path.to_str().expect("UTF-8"), new_path.to_str().expect("UTF-8"));

    for seed in 0..pairs() {
        let mut rng = Rng::new(seed + 1);
        let mut old = base.clone();
        let setup_edits = rng.below(3);
        mutate(&mut old, &mut rng, setup_edits);
        if old.attr("crm_feature_set") != Some("3.16.2") {
            // crm_diff would pick the v1 format, which we do not create.
            continue;
        }
        let mut new = old.clone();
        let edits = 1 + rng.below(6);
        mutate(&mut new, &mut rng, edits);
        std::fs::write(&old_path, xml::to_formatted(&old)).expect("write");
        std::fs::write(&new_path, xml::to_formatted(&new)).expect("write");
        // Compare on what crm_diff reads: serialization is lossy (TAB, newline).
        let old = xml::parse(&std::fs::read_to_string(&old_path).expect("read")).expect("reparse");
        let new = xml::parse(&std::fs::read_to_string(&new_path).expect("read")).expect("reparse");

        for (flags, options) in [
            (&[][..], CreateOptions::default()),
            (&["-c"][..], CreateOptions { with_digest: true, ignore_attribute_moves: true, ..Default::default() }),
        ] {
            let mut args = flags.to_vec();
            args.extend(["-o", old_s, "-n", new_s]);
            let Some(out) = common::run_tool("crm_diff", &args) else { return };
            let printed = String::from_utf8(out.stdout).expect("UTF-8");
            let theirs = (!printed.trim().is_empty())
                .then(|| xml::to_compact(&xml::parse(&printed).expect("crm_diff output parses")));
            let ours = patchset::create(&old, &new, &options).map(|d| xml::to_compact(&d));
            if ours != theirs {
                let keep = dir.join(format!("seed-{seed}"));
                std::fs::create_dir_all(&keep).ok();
                std::fs::copy(&old_path, keep.join("old.xml")).ok();
                std::fs::copy(&new_path, keep.join("new.xml")).ok();
                panic!("seed {seed} {flags:?}: ours {ours:?}\ntheirs {theirs:?}\n(kept in {})", keep.display());
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
