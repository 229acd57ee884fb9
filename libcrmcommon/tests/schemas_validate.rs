//! RelaxNG validation, checked against `xmllint --relaxng` and `crm_verify -x`.

mod schemas_support;

use libcrmcommon::schemas::{SchemaError, Schemas, VALIDATE_WITH};
use libcrmcommon::xml::{self, Element, XmlNode};
use schemas_support::*;
use std::time::{Duration, Instant};

/// `cibadmin --empty` with `snippet` (XML) as `<resources>` content, and fencing disabled
/// so that crm_verify's non-schema checks pass on valid documents.
fn cib_with_resources(snippet: &str) -> Element {
    let mut cib = cibadmin_empty();
    let crm_config = xml::parse(
        r#"<crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>"#,
    )
    .expect("crm_config parses");
    *cib.child_mut("configuration").and_then(|c| c.child_mut("crm_config")).expect("crm_config") = crm_config;
    let resources = xml::parse(&format!("<resources>{snippet}</resources>")).expect("snippet parses");
    *cib.child_mut("configuration").and_then(|c| c.child_mut("resources")).expect("resources") = resources;
    cib
}

/// Our verdict, xmllint's and crm_verify's must agree on `cib`.
fn assert_all_agree(cib: &Element, expect_valid: bool) {
    let schemas = Schemas::system();
    let ours = schemas.validate_document(cib);
    assert_eq!(ours.is_ok(), expect_valid, "our verdict on {}: {ours:?}", xml::to_compact(cib));

    let scratch = Scratch::new("validate");
    let file = scratch.file("cib.xml", &xml::to_formatted(cib));
    let schema = cib.attr(VALIDATE_WITH).expect("validate-with");
    assert_eq!(xmllint_accepts(&rng(schema), &file), expect_valid, "xmllint on {}", xml::to_compact(cib));
    assert_eq!(crm_verify_accepts(&file), expect_valid, "crm_verify on {}", xml::to_compact(cib));
}

#[test]
fn empty_cib_validates() {
    let empty = cibadmin_empty();
    assert!(Schemas::system().validate_document(&empty).is_ok());
    let scratch = Scratch::new("empty");
    let file = scratch.file("cib.xml", &xml::to_formatted(&empty));
    assert!(xmllint_accepts(&rng(Schemas::system().latest()), &file));
    assert_all_agree(&cib_with_resources(""), true);
}

#[test]
fn valid_primitive_accepted() {
    assert_all_agree(&cib_with_resources(r#"<primitive id="d1" class="ocf" provider="pacemaker" type="Dummy"/>"#), true);
}

#[test]
fn unknown_element_in_resources_rejected() {
    let cib = cib_with_resources(r#"<frobnicate id="x"/>"#);
    assert_all_agree(&cib, false);
    match Schemas::system().validate_document(&cib) {
        Err(SchemaError::Invalid { schema, errors }) => {
            assert_eq!(schema, "pacemaker-3.9");
            assert!(errors.iter().any(|e| e.contains("/cib/configuration/resources") && e.contains("frobnicate")), "{errors:?}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn primitive_without_class_rejected() {
    assert_all_agree(&cib_with_resources(r#"<primitive id="d1" type="Dummy"/>"#), false);
}

#[test]
fn bad_id_characters_rejected() {
    for id in ["has space", "1starts-with-digit", "a:colon", "", "semi;colon"] {
        let cib = cib_with_resources(&format!(r#"<primitive id="{}" class="ocf" provider="pacemaker" type="Dummy"/>"#, xml::escape_attr(id)));
        assert_all_agree(&cib, false);
    }
}

#[test]
fn duplicate_ids_and_dangling_references_rejected() {
    assert_all_agree(
        &cib_with_resources(r#"<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>"#),
        false,
    );
    let mut cib = cib_with_resources(r#"<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>"#);
    let constraints = cib.child_mut("configuration").and_then(|c| c.child_mut("constraints")).unwrap();
    constraints.push_child(Element::new("rsc_location").with_attr("id", "l").with_attr("rsc", "nosuch").with_attr("node", "n1").with_attr("score", "10"));
    assert_all_agree(&cib, false);
}

#[test]
fn none_disables_validation_and_unknown_is_an_error() {
    let schemas = Schemas::system();
    let mut cib = cib_with_resources(r#"<frobnicate/>"#);
    assert!(schemas.validate(&cib, "none").is_ok());
    cib.set_attr(VALIDATE_WITH, "none");
    assert!(schemas.validate_document(&cib).is_ok());
    assert_eq!(schemas.validate(&cib, "pacemaker-0.7"), Err(SchemaError::UnknownSchema("pacemaker-0.7".into())));
    cib.set_attr(VALIDATE_WITH, "transitional-0.6");
    assert!(matches!(schemas.validate_document(&cib), Err(SchemaError::UnknownSchema(_))));
}

#[test]
fn missing_validate_with_records_none_like_c() {
    let schemas = Schemas::system();
    let mut cib = cibadmin_empty();
    cib.remove_attr(VALIDATE_WITH);
    assert!(schemas.validate_xml(&mut cib, None).is_ok());
    assert_eq!(cib.attr(VALIDATE_WITH), Some("none"));
}

#[test]
fn hostile_documents_are_errors_not_crashes() {
    let schemas = Schemas::system();
    let latest = schemas.latest();
    let nul = cib_with_resources(r#"<primitive id="d" class="ocf" type="Dummy"/>"#).with_attr("x", "a\0b");
    assert!(matches!(schemas.validate(&nul, latest), Err(SchemaError::Unrepresentable { .. })));

    let mut deep = Element::new("x");
    for _ in 0..5000 {
        deep = Element::new("x").with_child(deep);
    }
    assert!(matches!(schemas.validate(&deep, latest), Err(SchemaError::Unrepresentable { .. })));

    for name in ["", "1bad", "a b", "<", "ns:cib", "cib"] {
        let odd = Element::new(name).with_attr("a<>&\"'", "\u{1}\u{7f}é\t\n<&>");
        assert!(schemas.validate(&odd, latest).is_err(), "{name}");
    }
    let mut comments = cibadmin_empty();
    comments.children.push(XmlNode::Comment("-- odd --".into()));
    assert!(schemas.validate(&comments, latest).is_ok());

    // Values that Pacemaker's serializer escapes lossily still validate as they are.
    let escaped = cib_with_resources(r#"<primitive id="d" class="ocf" provider="pacemaker" type="Dummy" description="é &lt;&quot; tab	end"/>"#);
    assert!(schemas.validate(&escaped, latest).is_ok());
}

#[test]
fn many_errors_are_bounded() {
    let snippet: String = (0..2000).map(|i| format!(r#"<junk id="j{i}"/>"#)).collect();
    match Schemas::system().validate_document(&cib_with_resources(&snippet)) {
        Err(SchemaError::Invalid { errors, .. }) => assert!(errors.len() <= 201, "{}", errors.len()),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn concurrent_validation_is_safe() {
    let good = cib_with_resources(r#"<primitive id="d1" class="ocf" provider="pacemaker" type="Dummy"/>"#);
    let bad = cib_with_resources(r#"<primitive id="d1" type="Dummy"/>"#);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (good, bad) = (good.clone(), bad.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    assert!(Schemas::system().validate_document(&good).is_ok());
                    assert!(Schemas::system().validate_document(&bad).is_err());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("validation thread");
    }
}

/// A CIB of about 1 MB: many primitives with operations and attributes.
fn large_cib() -> Element {
    let mut snippet = String::new();
    let mut i = 0;
    while snippet.len() < 1_000_000 {
        snippet.push_str(&format!(
            r#"<primitive id="rsc{i}" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="rsc{i}-ia"><nvpair id="rsc{i}-ip" name="ip" value="10.0.{}.{}"/></instance_attributes><operations><op id="rsc{i}-mon" name="monitor" interval="10s" timeout="20s"/><op id="rsc{i}-start" name="start" interval="0s" timeout="20s"/></operations></primitive>"#,
            i / 250,
            i % 250
        ));
        i += 1;
    }
    cib_with_resources(&snippet)
}

#[test]
fn one_megabyte_cib_validates_quickly() {
    let cib = large_cib();
    assert!(xml::to_compact(&cib).len() >= 1_000_000);
    let schemas = Schemas::system();
    schemas.validate_document(&cibadmin_empty()).expect("warm the schema cache");
    let started = Instant::now();
    schemas.validate_document(&cib).expect("large CIB is valid");
    let elapsed = started.elapsed();
    // xmllint takes well under a second here; allow for slow, shared CI machines.
    assert!(elapsed < Duration::from_secs(10), "validation took {elapsed:?}");
    eprintln!("1 MB CIB validated in {elapsed:?}");
}
