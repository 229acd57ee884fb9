//! The schema list, checked against Debian's installation and the C tools.

mod schemas_support;

use libcrmcommon::schemas::{Schemas, Validator, VALIDATE_WITH};
use schemas_support::*;
use std::cmp::Ordering;

#[test]
fn debian_schemas_in_c_order() {
    let schemas = Schemas::system();
    let names: Vec<&str> = schemas.all().iter().map(|s| s.name.as_str()).collect();
    let mut expected = vec!["pacemaker-1.0".to_string(), "pacemaker-1.2".into(), "pacemaker-1.3".into()];
    expected.extend((0..=10).map(|m| format!("pacemaker-2.{m}")));
    expected.extend((0..=9).map(|m| format!("pacemaker-3.{m}")));
    expected.extend(["pacemaker-next".into(), "none".into()]);
    assert_eq!(names, expected);
    assert_eq!(schemas.latest(), "pacemaker-3.9");
    assert_eq!(schemas.legacy_name(schemas.minimum_index().unwrap() as isize), "pacemaker-3.0");
    assert_eq!(schemas.by_name("none").unwrap().validator, Validator::None);
    assert_eq!(schemas.by_name("pacemaker-next").unwrap().validator, Validator::RelaxNg);
}

#[test]
fn latest_matches_cibadmin_empty() {
    let empty = cibadmin_empty();
    assert_eq!(empty.attr(VALIDATE_WITH), Some(Schemas::system().latest()));
}

#[test]
fn transforms_sit_at_major_version_boundaries() {
    let schemas = Schemas::system();
    for (index, schema) in schemas.all().iter().enumerate() {
        match schema.name.as_str() {
            "pacemaker-1.3" => {
                assert_eq!(schema.transform.as_deref(), Some("upgrade-1.3"));
                assert_eq!(schema.transform_enter, None);
                assert!(!schema.transform_onleave);
            }
            "pacemaker-2.10" => {
                assert_eq!(schema.transform.as_deref(), Some("upgrade-2.10"));
                assert_eq!(schema.transform_enter.as_deref(), Some("upgrade-2.10-enter"));
                assert!(schema.transform_onleave);
            }
            _ => assert_eq!(schema.transform, None, "{}", schema.name),
        }
        let expected_next = if index < schemas.latest_index().unwrap() { Some(index + 1) } else { None };
        assert_eq!(schema.after_transform, expected_next, "{}", schema.name);
    }
}

#[test]
fn lookup_and_comparison_follow_list_positions() {
    let schemas = Schemas::system();
    assert_eq!(schemas.index_of("PACEMAKER-3.9"), schemas.index_of("pacemaker-3.9"));
    for legacy in ["pacemaker-0.6", "transitional-0.6", "pacemaker-0.7", "pacemaker-1.1", "pacemaker-3.10", ""] {
        assert_eq!(schemas.index_of(legacy), None, "{legacy}");
        assert_eq!(schemas.legacy_index(Some(legacy)), -1);
    }
    assert_eq!(schemas.legacy_index(None), schemas.index_of("none").unwrap() as isize);
    assert_eq!(schemas.compare(Some("pacemaker-2.9"), Some("pacemaker-2.10")), Ordering::Less);
    assert_eq!(schemas.compare(Some("pacemaker-2.10"), Some("pacemaker-3.0")), Ordering::Less);
    assert_eq!(schemas.compare(Some("pacemaker-3.9"), Some("pacemaker-next")), Ordering::Less);
    assert_eq!(schemas.compare(Some("pacemaker-next"), Some("none")), Ordering::Less);
    assert_eq!(schemas.compare(Some("transitional-0.6"), Some("pacemaker-1.0")), Ordering::Less);
    assert_eq!(schemas.compare(None, Some("none")), Ordering::Equal);
    assert_eq!(schemas.legacy_name(-1), "unknown");
    assert_eq!(schemas.legacy_name(1000), "unknown");
}

#[test]
fn missing_transform_truncates_the_list() {
    let scratch = Scratch::new("catalog");
    for name in ["pacemaker-1.0.rng", "pacemaker-1.2.rng", "pacemaker-2.0.rng", "pacemaker-2.1.rng", "upgrade-enter.xsl"] {
        scratch.file(name, "");
    }
    let schemas = Schemas::load(&scratch.path);
    let names: Vec<&str> = schemas.all().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["pacemaker-1.0", "pacemaker-1.2", "pacemaker-next", "none"]);
    assert_eq!(schemas.all()[1].after_transform, None);

    scratch.file("upgrade-1.2.xsl", "");
    let schemas = Schemas::load(&scratch.path);
    let names: Vec<&str> = schemas.all().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["pacemaker-1.0", "pacemaker-1.2", "pacemaker-2.0", "pacemaker-2.1", "pacemaker-next", "none"]);
    let boundary = &schemas.all()[1];
    assert_eq!(boundary.transform.as_deref(), Some("upgrade-1.2"));
    // No upgrade-1.2-enter.xsl: the generic one is used, without a leave stage.
    assert_eq!(boundary.transform_enter.as_deref(), Some("upgrade-enter"));
    assert!(!boundary.transform_onleave);
    assert_eq!(schemas.latest(), "pacemaker-2.1");
    assert_eq!(schemas.legacy_name(schemas.minimum_index().unwrap() as isize), "pacemaker-2.0");
}
