//! Schema upgrades, compared with `cibadmin --upgrade --force` on a file CIB.

mod schemas_support;

use libcrmcommon::schemas::{Schemas, UpgradeError, VALIDATE_WITH};
use libcrmcommon::xml::{self, Element};
use schemas_support::*;
use std::path::Path;

/// The file-CIB backend bumps `epoch`/`num_updates` again when it commits the operation's
/// result (C's cib_perform_op, not part of the upgrade itself), so those two are compared
/// separately by the callers that care.
fn without_commit_counters(cib: &Element) -> Element {
    let mut cib = cib.clone();
    cib.remove_attr("epoch");
    cib.remove_attr("num_updates");
    cib
}

/// Upgrades `text` with our code and with cibadmin; both must agree on the document.
fn assert_upgrade_matches_cibadmin(text: &str, schema_dir: Option<&Path>, schemas: &Schemas) -> Element {
    let original = xml::parse(text).expect("input parses");
    let ours = schemas.cib_upgrade(&original, None).expect("our upgrade succeeds");
    let (status, stderr, theirs) = cibadmin_upgrade(text, schema_dir);
    assert_eq!(status, 0, "cibadmin --upgrade failed: {stderr}");
    assert_eq!(
        xml::to_formatted(&without_commit_counters(&ours.document)),
        xml::to_formatted(&without_commit_counters(&theirs)),
        "upgrade differs from cibadmin's"
    );
    if ours.upgraded {
        assert_eq!(ours.document.attr("epoch"), Some("1"));
        assert_eq!(ours.document.attr("num_updates"), Some("1"));
    }
    ours.document
}

#[test]
fn legacy_1_2_cib_upgrades_like_cibadmin() {
    let text = fixture("legacy-1.2.xml");
    let upgraded = assert_upgrade_matches_cibadmin(&text, None, Schemas::system());
    assert_eq!(upgraded.attr(VALIDATE_WITH), Some("pacemaker-3.9"));
    assert_eq!(upgraded.attr("admin_epoch"), Some("4"));
    // Both transforms ran: old ACLs (upgrade-1.3) and node types (upgrade-2.10).
    let acls = upgraded.child("configuration").and_then(|c| c.child("acls")).expect("acls");
    assert!(acls.child("acl_target").is_some() && acls.child("acl_user").is_none());
    let node = upgraded.child("configuration").and_then(|c| c.child("nodes")).and_then(|n| n.first_element());
    assert_eq!(node.and_then(|n| n.attr("type")), Some("member"));
    assert!(Schemas::system().validate_document(&upgraded).is_ok());
}

#[test]
fn pacemaker_2_options_and_id_refs_upgrade_like_cibadmin() {
    // Exercises upgrade-2.10's enter (id-ref expansion), main (renames, moves to
    // op/rsc_defaults) and leave (id-ref restoration) stages.
    let text = fixture("legacy-2.0-renames.xml");
    let upgraded = assert_upgrade_matches_cibadmin(&text, None, Schemas::system());
    assert_eq!(upgraded.attr(VALIDATE_WITH), Some("pacemaker-3.9"));
    let db = upgraded.descendants().find(|e| e.id() == Some("db")).expect("db");
    assert_eq!(db.child("meta_attributes").and_then(|m| m.attr("id-ref")), Some("shared-meta"));
    assert!(upgraded.descendants().any(|e| e.name == "rsc_defaults"));

    let ours = Schemas::system().cib_upgrade(&xml::parse(&text).unwrap(), None).unwrap();
    assert!(
        ours.messages.iter().any(|m| m == "upgrade-2.10.xsl: INFO: Cluster properties: opt-votes: dropping expected-quorum-votes"),
        "{:#?}",
        ours.messages
    );
}

#[test]
fn stylesheet_messages_are_collected() {
    let original = xml::parse(&fixture("legacy-1.2.xml")).unwrap();
    let ours = Schemas::system().cib_upgrade(&original, None).unwrap();
    assert!(
        ours.messages.iter().any(|m| m.starts_with("upgrade-1.3.xsl: ACLs: @attribute")),
        "{:#?}",
        ours.messages
    );
}

#[test]
fn scheduler_corpus_old_schemas_upgrade_like_cibadmin() {
    let dir = corpus_dir();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(cib) = xml::parse(&text) else { continue };
        let claimed = cib.attr(VALIDATE_WITH).unwrap_or("");
        if !(claimed.starts_with("pacemaker-1.") || claimed.starts_with("pacemaker-2.") || claimed == "none") {
            continue;
        }
        let upgraded = assert_upgrade_matches_cibadmin(&text, None, Schemas::system());
        let expected = if claimed == "none" { "none" } else { "pacemaker-3.9" };
        assert_eq!(upgraded.attr(VALIDATE_WITH), Some(expected), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} corpus files with old schemas");
}

#[test]
fn latest_cib_is_unchanged() {
    let schemas = Schemas::system();
    let empty = cibadmin_empty();
    let result = schemas.cib_upgrade(&empty, None).unwrap();
    assert!(!result.upgraded);
    assert_eq!(result.document, empty);
    assert_eq!(schemas.check_upgrade_request(&empty).unwrap_err().error, UpgradeError::SchemaUnchanged);
    assert_eq!(UpgradeError::SchemaUnchanged.legacy_rc(), -211);
    let (status, _, theirs) = cibadmin_upgrade(&xml::to_formatted(&empty), None);
    assert_eq!(status, 0);
    assert_eq!(theirs, empty);
}

#[test]
fn upgrade_stops_at_max_schema() {
    let schemas = Schemas::system();
    let original = xml::parse(&fixture("legacy-1.2.xml")).unwrap();
    let result = schemas.cib_upgrade(&original, Some("pacemaker-2.5")).unwrap();
    assert_eq!(result.document.attr(VALIDATE_WITH), Some("pacemaker-2.5"));
    assert_eq!(schemas.check_upgrade_request(&original).unwrap(), "pacemaker-3.9");
}

#[test]
fn invalid_document_fails_validation() {
    let schemas = Schemas::system();
    let text = fixture("legacy-1.2.xml").replace("<status/>", "<status/><bogus/>");
    let original = xml::parse(&text).unwrap();
    let failure = schemas.cib_upgrade(&original, None).unwrap_err();
    assert_eq!(failure.error, UpgradeError::SchemaValidation);
    assert_eq!(failure.error.legacy_rc(), -203);
    assert!(failure.messages.iter().any(|m| m.contains("bogus")), "{:#?}", failure.messages);
    assert_eq!(schemas.check_upgrade_request(&original).unwrap_err().error, UpgradeError::SchemaValidation);
    // cibadmin cannot even load such a file CIB; it must stay untouched.
    let (status, _, theirs) = cibadmin_upgrade(&text, None);
    assert_ne!(status, 0);
    assert_eq!(theirs, original);

    // Without transforms C trusts the claimed schema and only looks for newer ones; the
    // failure at 1.3 just ends the search, reporting success at the claimed 1.2.
    let update = schemas.update_validation(original.clone(), None, false);
    assert_eq!(update.outcome, Ok(()));
    assert_eq!(schemas.legacy_name(update.best), "pacemaker-1.2");
    assert_eq!(update.document, original);

    // With no schema claimed, nothing validates: -203 and best 0.
    let mut unclaimed = original.clone();
    unclaimed.remove_attr(VALIDATE_WITH);
    let update = schemas.update_validation(unclaimed.clone(), None, false);
    assert_eq!(update.outcome, Err(UpgradeError::SchemaValidation));
    assert_eq!(update.best, 0);
    assert_eq!(update.document, unclaimed);
}

#[test]
fn validation_only_update_finds_newest_valid_schema() {
    let schemas = Schemas::system();
    let original = xml::parse(&fixture("legacy-1.2.xml")).unwrap();
    // Old ACLs are valid up to 1.3 only.
    let update = schemas.update_validation(original, None, false);
    assert_eq!(update.outcome, Ok(()));
    assert_eq!(schemas.legacy_name(update.best), "pacemaker-1.3");
    assert_eq!(update.document.attr(VALIDATE_WITH), Some("pacemaker-1.3"));
}

#[test]
fn cli_config_update_outcomes() {
    let schemas = Schemas::system();
    // Acceptable as is: no copy, no message.
    let empty = cibadmin_empty();
    let update = schemas.cli_config_update(empty.clone()).unwrap();
    assert!(!update.upgraded && update.warning.is_none());
    assert_eq!(update.document, empty);

    // Old but upgradable: replaced by the upgraded copy.
    let legacy = xml::parse(&fixture("legacy-1.2.xml")).unwrap();
    let update = schemas.cli_config_update(legacy).unwrap();
    assert!(update.upgraded);
    assert_eq!(update.document.attr(VALIDATE_WITH), Some("pacemaker-3.9"));

    // Validation disabled.
    let none = empty.clone().with_attr(VALIDATE_WITH, "none");
    let update = schemas.cli_config_update(none).unwrap();
    assert_eq!(
        update.warning.as_deref(),
        Some("Schema validation of configuration is disabled (enabling is encouraged and prevents common misconfigurations)")
    );

    // Unknown schema that validates nowhere.
    let text = fixture("legacy-1.2.xml").replace("pacemaker-1.2", "transitional-0.6").replace("<status/>", "<status/><bogus/>");
    let error = schemas.cli_config_update(xml::parse(&text).unwrap()).unwrap_err();
    assert_eq!(
        error.message,
        "Cannot upgrade configuration (claiming schema transitional-0.6) to at least pacemaker-3.0 because it does \
         not validate with any schema from unknown to pacemaker-3.9"
    );
}

/// A copy of the schema directory whose 2.10 → 3.0 transform always terminates.
fn schemas_with_failing_transform(scratch: &Scratch) -> Schemas {
    for entry in std::fs::read_dir(SCHEMA_DIR).unwrap().filter_map(|e| e.ok()) {
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            std::fs::copy(entry.path(), scratch.path.join(entry.file_name())).unwrap();
        }
    }
    scratch.file(
        "upgrade-2.10.xsl",
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><xsl:message terminate="yes">refusing on purpose</xsl:message></xsl:template>
</xsl:stylesheet>"#,
    );
    Schemas::load(&scratch.path)
}

#[test]
fn failing_transform_matches_cibadmin() {
    let scratch = Scratch::new("xsl");
    let schemas = schemas_with_failing_transform(&scratch);

    // From 1.2 the document still gets as far as 2.10, which C reports as success.
    let text = fixture("legacy-1.2.xml");
    let upgraded = assert_upgrade_matches_cibadmin(&text, Some(&scratch.path), &schemas);
    assert_eq!(upgraded.attr(VALIDATE_WITH), Some("pacemaker-2.10"));

    // Already at 2.10: no progress, so the transform failure is the answer (-204).
    let at_2_10 = xml::to_formatted(&upgraded);
    let failure = schemas.cib_upgrade(&upgraded, None).unwrap_err();
    assert_eq!(failure.error, UpgradeError::TransformFailed);
    assert_eq!(failure.error.legacy_rc(), -204);
    assert!(failure.messages.iter().any(|m| m.contains("refusing on purpose")), "{:#?}", failure.messages);
    let (status, stderr, theirs) = cibadmin_upgrade(&at_2_10, Some(&scratch.path));
    assert_ne!(status, 0);
    assert!(stderr.contains("Schema transform failed"), "{stderr}");
    assert_eq!(theirs, upgraded);

    // The command-line tools refuse it, with C's words (crm_verify prints them).
    let error = schemas.cli_config_update(upgraded.clone()).unwrap_err();
    assert_eq!(
        error.message,
        "Cannot upgrade configuration (claiming schema pacemaker-2.10) to at least pacemaker-3.0 because it would \
         not upgrade past pacemaker-2.10"
    );
    let file = scratch.file("at-2.10.xml", &at_2_10);
    let verify = run(std::process::Command::new("crm_verify").arg("-x").arg(&file).env("PCMK_schema_directory", &scratch.path));
    assert!(String::from_utf8_lossy(&verify.stderr).contains(&error.message), "{verify:?}");
}
