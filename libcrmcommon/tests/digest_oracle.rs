//! Our digests must equal `cibadmin --md5-sum` / `--md5-sum-versioned` on the fixtures.

mod common;

use libcrmcommon::{digest, xml};

fn cibadmin_digest(flag: &str, file: &str) -> Option<String> {
    let out = common::run_tool("cibadmin", &[flag, "-x", file])?;
    assert!(out.status.success(), "cibadmin {flag} -x {file} failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("cibadmin prints ASCII").trim_end().to_owned())
}

#[test]
fn digests_match_cibadmin() {
    let files = common::xml_files(&common::fixtures("digest"));
    assert!(files.len() >= 8, "digest fixtures missing");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture readable");
        let cib = xml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let path = file.to_str().expect("UTF-8 path");
        let Some(on_disk) = cibadmin_digest("--md5-sum", path) else { return };
        assert_eq!(digest::on_disk(&cib), on_disk, "on-disk digest of {path}");
        let Some(versioned) = cibadmin_digest("--md5-sum-versioned", path) else { return };
        assert_eq!(digest::versioned(&cib), versioned, "versioned digest of {path}");
    }
}

/// Randomly edited CIBs (odd characters included) digest alike in cibadmin and here.
#[test]
fn random_cibs_digest_like_cibadmin() {
    use common::mutate::{mutate, Rng};
    let base_path = common::fixtures("patchset").join("attr-set.old.xml");
    let base = xml::parse(&std::fs::read_to_string(base_path).expect("fixture")).expect("parses");
    let path = std::env::temp_dir().join(format!("pcmk-rs-digest-{}.xml", std::process::id()));
    let path_s = path.to_str().expect("UTF-8").to_owned();
    for seed in 0..40 {
        let mut rng = Rng::new(seed + 99);
        let mut cib = base.clone();
        let edits = 1 + rng.below(8);
        mutate(&mut cib, &mut rng, edits);
        if seed % 3 == 0 {
            cib.remove_attr("crm_feature_set");
        }
        std::fs::write(&path, xml::to_formatted(&cib)).expect("write");
        // Pacemaker's escaping stops after a multi-byte character, so a value like "é<"
        // is written unparseable, by C as by us: such CIBs cannot be compared.
        let Ok(cib) = xml::parse(&std::fs::read_to_string(&path).expect("read")) else { continue };
        let Some(on_disk) = cibadmin_digest("--md5-sum", &path_s) else { return };
        assert_eq!(digest::on_disk(&cib), on_disk, "seed {seed} on-disk");
        let Some(versioned) = cibadmin_digest("--md5-sum-versioned", &path_s) else { return };
        assert_eq!(digest::versioned(&cib), versioned, "seed {seed} versioned");
    }
    std::fs::remove_file(&path).ok();
}
