//! The CIB manager's version rule, on the corpus pairs.

mod common;

use libcrmcommon::patchset::{self, CreateOptions, VersionBump};
use libcrmcommon::xml::{self, Element};

fn pair(case: &str) -> (Element, Element) {
    let dir = common::fixtures("patchset");
    let load = |suffix: &str| {
        let path = dir.join(format!("{case}.{suffix}.xml"));
        xml::parse(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture parses")
    };
    (load("old"), load("new"))
}

#[test]
fn configuration_changes_are_told_apart_from_status_changes() {
    for case in ["attr-set", "elem-remove-middle", "move-swap", "comment-remove", "noid-change", "section-remove", "multi"] {
        let (old, new) = pair(case);
        assert!(patchset::config_changed(&old, &new), "{case} changes the configuration");
    }
    for case in ["status-only", "deep-status", "status-node-remove", "root-attr-add", "no-change", "comment-case"] {
        let (old, new) = pair(case);
        assert!(!patchset::config_changed(&old, &new), "{case} leaves the configuration alone");
    }
}

#[test]
fn bump_then_create_reports_versions_like_the_cib_manager() {
    let (old, mut new) = pair("attr-set");
    assert_eq!(patchset::bump_versions(&old, &mut new), VersionBump::Configuration);
    assert_eq!((new.attr("epoch"), new.attr("num_updates")), (Some("11"), Some("0")));
    let diff = patchset::create(&old, &new, &CreateOptions::default()).expect("a change");
    let compact = xml::to_compact(&diff);
    assert!(compact.contains("<target admin_epoch=\"0\" epoch=\"11\" num_updates=\"0\"/>"), "{compact}");
    assert!(
        compact.contains("<change operation=\"modify\" path=\"/cib\"><change-list><change-attr name=\"epoch\" operation=\"set\" value=\"11\"/><change-attr name=\"num_updates\" operation=\"set\" value=\"0\"/></change-list>"),
        "{compact}"
    );

    let (old, mut new) = pair("deep-status");
    assert_eq!(patchset::bump_versions(&old, &mut new), VersionBump::Status);
    assert_eq!((new.attr("epoch"), new.attr("num_updates")), (Some("10"), Some("10")));

    let (old, mut new) = pair("no-change");
    assert_eq!(patchset::bump_versions(&old, &mut new), VersionBump::Unchanged);
    assert_eq!(new, old);
}
