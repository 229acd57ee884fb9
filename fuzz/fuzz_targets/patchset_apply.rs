//! Applying arbitrary patchsets must never panic, whatever the CIB and the patch.
//!
//! Input: `CIB \0 PATCH` (two XML documents), or just `PATCH`, applied to a fixed CIB.
//! Whatever applies is also diffed back against the original and re-applied, so patch
//! creation sees odd trees too.

#![no_main]

use libcrmcommon::patchset::{self, CreateOptions};
use libcrmcommon::xml;
use libfuzzer_sys::fuzz_target;

const BASE_CIB: &str = include_str!("../../libcrmcommon/tests/fixtures/patchset/multi.old.xml");

fuzz_target!(|data: &[u8]| {
    let (cib_bytes, patch_bytes) = match data.iter().position(|&b| b == 0) {
        Some(split) => (&data[..split], &data[split + 1..]),
        None => (BASE_CIB.as_bytes(), data),
    };
    let (Ok(cib), Ok(patch)) = (xml::parse_bytes(cib_bytes), xml::parse_bytes(patch_bytes)) else {
        return;
    };
    for check_version in [false, true] {
        let mut target = cib.clone();
        match patchset::apply(&mut target, &patch, check_version) {
            Ok(()) => {
                let options = CreateOptions { with_digest: true, ..Default::default() };
                if let Some(back) = patchset::create(&cib, &target, &options) {
                    let mut again = cib.clone();
                    let _ = patchset::apply(&mut again, &back, false);
                }
            }
            Err(e) => {
                assert_eq!(target, cib, "a failed patch left changes behind");
                let _ = e.legacy_code();
            }
        }
    }
});
