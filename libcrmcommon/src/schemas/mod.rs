//! CIB schemas as Pacemaker 2.1.5 handles them: which exist and in what order, RelaxNG
//! validation through libxml2, and upgrading documents across schema versions with the
//! XSL transforms Pacemaker ships.
//!
//! Everything hangs off [`Schemas`]; [`Schemas::system()`] gives the installed ones.

mod catalog;
mod error;
mod libxml;
mod libxml_ffi;
pub mod relaxng;
mod upgrade;
mod validate;

pub use catalog::{Schema, Schemas, Validator, DEFAULT_SCHEMA_DIRECTORY, SCHEMA_NEXT, SCHEMA_NONE};
pub use error::{
    SchemaError, UpgradeError, PCMK_ERR_SCHEMA_UNCHANGED, PCMK_ERR_SCHEMA_VALIDATION, PCMK_ERR_TRANSFORM_FAILED,
};
pub use upgrade::{CibUpgrade, ConfigUpdate, ConfigUpdateError, UpgradeFailure, ValidationUpdate};
pub use validate::{ValidationEngine, VALIDATE_WITH};
