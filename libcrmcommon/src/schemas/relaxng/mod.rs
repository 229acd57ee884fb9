//! A native RELAX NG validator for Pacemaker's CIB schemas, working directly on our
//! [`Element`] tree (no libxml2 document has to be built).
//!
//! It aims at giving exactly libxml2's verdicts for the constructs Pacemaker's schemas
//! use, including libxml2's document-wide `ID` uniqueness and `IDREF` target checks.
//! Schemas using anything else fail to load ([`SchemaLoadError`]) so that callers can
//! fall back to libxml2.
//!
//! - `rng_file`: reading `.rng` files (text kept);
//! - `parse`: grammars, includes, references, simplification into patterns;
//! - `pattern`: the hash-consed pattern arena;
//! - `derive`: derivative-based validation with memoisation;
//! - `datatypes`, `xsd_regex`: the xsd types and `pattern` facets.

mod datatypes;
mod derive;
mod parse;
mod pattern;
mod rng_file;
mod xsd_regex;

use crate::xml::Element;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

/// A schema compiled for native validation. Validation takes `&self`; the derivative
/// caches it accumulates are behind a mutex, so validations are serialised.
pub struct NativeSchema {
    engine: Mutex<derive::Engine>,
}

/// Why a schema could not be loaded natively (unreadable file, or a construct this
/// validator does not implement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaLoadError(pub String);

impl fmt::Display for SchemaLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot load schema natively: {}", self.0)
    }
}

impl std::error::Error for SchemaLoadError {}

/// The first reason a document is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where: `/cib/configuration/resources/primitive[@id='r1']` (elements with an id are
    /// shown with it; document-wide ID problems use `//element[@id=...]`).
    pub path: String,
    /// What was wrong or expected.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ValidationError {}

impl NativeSchema {
    /// Loads and compiles the RELAX NG schema in `rng_path` (and the files it refers to,
    /// relative to its directory).
    pub fn load(rng_path: &Path) -> Result<NativeSchema, SchemaLoadError> {
        let (patterns, start) = parse::load(rng_path).map_err(SchemaLoadError)?;
        Ok(NativeSchema { engine: Mutex::new(derive::Engine::new(patterns, start)) })
    }

    /// Validates `document` (its root is the document element).
    pub fn validate(&self, document: &Element) -> Result<(), ValidationError> {
        // Validation never panics while holding the lock (panic = abort anyway), so a
        // poisoned lock still holds consistent caches.
        let mut engine = self.engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        engine.validate(document)
    }
}

impl fmt::Debug for NativeSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NativeSchema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    const SCHEMA: &str = r#"<?xml version="1.0"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start>
    <element name="top">
      <optional><attribute name="count"><data type="integer"/></attribute></optional>
      <interleave>
        <zeroOrMore><ref name="item"/></zeroOrMore>
        <optional><element name="note"><text/></element></optional>
      </interleave>
      <zeroOrMore>
        <element name="link"><attribute name="to"><data type="IDREF"/></attribute></element>
      </zeroOrMore>
    </element>
  </start>
  <define name="item">
    <element name="item">
      <attribute name="id"><data type="ID"/></attribute>
      <optional>
        <attribute name="kind"><choice><value>a</value><value type="string">b</value></choice></attribute>
      </optional>
      <optional>
        <attribute name="range"><data type="string"><param name="pattern">[0-9]+(-[0-9]+)?</param></data></attribute>
      </optional>
      <zeroOrMore><ref name="item"/></zeroOrMore>
    </element>
  </define>
</grammar>"#;

    fn schema() -> NativeSchema {
        // One directory per call: tests run in parallel and each removes its own.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("relaxng-unit-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("test.rng");
        std::fs::write(&path, SCHEMA).expect("write schema");
        let schema = NativeSchema::load(&path).expect("schema loads");
        let _ = std::fs::remove_dir_all(&dir);
        schema
    }

    fn check(schema: &NativeSchema, text: &str) -> Result<(), ValidationError> {
        schema.validate(&xml::parse(text).expect("test document parses"))
    }

    #[test]
    fn structure_attributes_and_values() {
        let s = schema();
        assert!(check(
            &s,
            r#"<top count=" 3 "><item id="a"><item id="b" kind=" a "/></item><note/><item id="c"/></top>"#
        )
        .is_ok());
        assert!(check(&s, r#"<top count="x"/>"#).is_err());
        assert!(check(&s, r#"<top><item id="a" kind=" b"/></top>"#).is_err(), "xsd string values compare verbatim");
        assert!(check(&s, r#"<top><item id="a" range="1-3"/></top>"#).is_ok());
        assert!(check(&s, r#"<top><item id="a" range="1-"/></top>"#).is_err());
        assert!(check(&s, r#"<top><item/></top>"#).is_err());
        assert!(check(&s, r#"<top><note/><note/></top>"#).is_err());
        assert!(check(&s, r#"<top><link to="a"/><item id="a"/></top>"#).is_err(), "order of group");
    }

    #[test]
    fn ids_are_unique_and_idrefs_resolve_document_wide() {
        let s = schema();
        assert!(check(&s, r#"<top><item id="a"/><link to=" a "/></top>"#).is_ok());
        let duplicate = check(&s, r#"<top><item id="a"><item id=" a"/></item></top>"#).unwrap_err();
        assert!(duplicate.message.contains("already defined"), "{duplicate}");
        let dangling = check(&s, r#"<top><item id="a"/><link to="b"/></top>"#).unwrap_err();
        assert!(dangling.message.contains("unknown ID"), "{dangling}");
    }

    #[test]
    fn errors_name_the_element_and_what_was_expected() {
        let s = schema();
        let e = check(&s, r#"<top><item id="a"><bogus/></item></top>"#).unwrap_err();
        assert_eq!(e.path, "/top/item[@id='a']/bogus");
        assert!(e.message.contains("expected one of <item>"), "{e}");
        let e = check(&s, r#"<top><item id="a" extra="1"/></top>"#).unwrap_err();
        assert_eq!(e.path, "/top/item[@id='a']");
        assert!(e.message.contains("\"extra\""), "{e}");
    }
}
