//! Errors of schema validation and CIB upgrades.

use std::fmt;

/// Why a document was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaError {
    /// The named schema is not in the list (C: "Unknown validator").
    UnknownSchema(String),
    /// The document does not validate; `errors` are libxml2's messages, each prefixed with
    /// the path of the offending element.
    Invalid { schema: String, errors: Vec<String> },
    /// The schema's RelaxNG file could not be loaded or compiled.
    SchemaUnusable { schema: String, errors: Vec<String> },
    /// The tree cannot be expressed as a libxml2 document (NUL byte, nesting too deep).
    Unrepresentable { schema: String, reason: String },
}

impl SchemaError {
    /// The legacy (negative errno-style) code C returns for a failed validation.
    pub fn legacy_rc(&self) -> i32 {
        -PCMK_ERR_SCHEMA_VALIDATION
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaError::UnknownSchema(name) => write!(f, "Unknown validator: {name}"),
            SchemaError::Invalid { schema, errors } => {
                write!(f, "Document does not validate with {schema}")?;
                write_list(f, errors)
            }
            SchemaError::SchemaUnusable { schema, errors } => {
                write!(f, "Schema {schema} could not be loaded")?;
                write_list(f, errors)
            }
            SchemaError::Unrepresentable { schema, reason } => {
                write!(f, "Document cannot be validated with {schema}: {reason}")
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[String]) -> fmt::Result {
    for item in items {
        write!(f, "\n  {item}")?;
    }
    Ok(())
}

impl std::error::Error for SchemaError {}

/// `pcmk_err_schema_validation`
pub const PCMK_ERR_SCHEMA_VALIDATION: i32 = 203;
/// `pcmk_err_transform_failed`
pub const PCMK_ERR_TRANSFORM_FAILED: i32 = 204;
/// `pcmk_err_schema_unchanged`
pub const PCMK_ERR_SCHEMA_UNCHANGED: i32 = 211;

/// Why a schema upgrade did not succeed, with C's result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeError {
    /// The document (or a transform's output) does not validate.
    SchemaValidation,
    /// An XSL transform failed to run.
    TransformFailed,
    /// Nothing newer to move to (only reported by the DC-side upgrade check).
    SchemaUnchanged,
}

impl UpgradeError {
    /// The negative legacy code C functions return (-203, -204, -211).
    pub fn legacy_rc(self) -> i32 {
        -match self {
            UpgradeError::SchemaValidation => PCMK_ERR_SCHEMA_VALIDATION,
            UpgradeError::TransformFailed => PCMK_ERR_TRANSFORM_FAILED,
            UpgradeError::SchemaUnchanged => PCMK_ERR_SCHEMA_UNCHANGED,
        }
    }

    /// Inverse of [`UpgradeError::legacy_rc`].
    pub fn from_legacy_rc(rc: i32) -> Option<UpgradeError> {
        match rc.checked_neg()? {
            PCMK_ERR_SCHEMA_VALIDATION => Some(UpgradeError::SchemaValidation),
            PCMK_ERR_TRANSFORM_FAILED => Some(UpgradeError::TransformFailed),
            PCMK_ERR_SCHEMA_UNCHANGED => Some(UpgradeError::SchemaUnchanged),
            _ => None,
        }
    }
}

impl fmt::Display for UpgradeError {
    /// `pcmk_strerror()`'s texts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpgradeError::SchemaValidation => "Update does not conform to the configured schema",
            UpgradeError::TransformFailed => "Schema transform failed",
            UpgradeError::SchemaUnchanged => "Schema is already the latest available",
        })
    }
}

impl std::error::Error for UpgradeError {}
