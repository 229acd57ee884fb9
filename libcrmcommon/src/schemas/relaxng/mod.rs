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
