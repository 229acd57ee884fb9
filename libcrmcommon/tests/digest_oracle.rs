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
