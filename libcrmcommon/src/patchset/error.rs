//! Why a patchset could not be applied, with the legacy codes C reports.

use std::fmt;

/// Pacemaker's legacy return codes (negated `pcmk_err_*` and errno values).
pub const LEGACY_OLD_DATA: i32 = -205;
pub const LEGACY_DIFF_FAILED: i32 = -206;
pub const LEGACY_DIFF_RESYNC: i32 = -207;
pub const LEGACY_ENOMSG: i32 = -42;
pub const LEGACY_EINVAL: i32 = -22;
pub const LEGACY_ENOTUNIQ: i32 = -76;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// The patch's source version is older than the CIB, or it changes no version
    /// (`pcmk_err_old_data`).
    OldData,
    /// The patch's source version is newer than the CIB: a full refresh is needed
    /// (`pcmk_err_diff_resync`).
    DiffResync,
    /// A change could not be carried out (`pcmk_err_diff_failed`). Also used where C
    /// would crash or corrupt memory on a malformed patch (a create without content,
    /// deleting the root).
    DiffFailed(String),
    /// The result's digest is not the one the patch announced (`pcmk_err_diff_failed`).
    DigestMismatch { expected: String, calculated: String },
    /// A `modify` change without a `change-result` child (`ENOMSG`).
    MissingChangeResult,
    /// The `format` attribute names no known format (`EINVAL`).
    UnknownFormat(i32),
    /// A v1 patch with more than one change set in a section (`ENOTUNIQ`).
    NotUnique,
}

impl PatchError {
    /// The code `xml_apply_patchset` returns for this failure.
    pub fn legacy_code(&self) -> i32 {
        match self {
            PatchError::OldData => LEGACY_OLD_DATA,
            PatchError::DiffResync => LEGACY_DIFF_RESYNC,
            PatchError::DiffFailed(_) | PatchError::DigestMismatch { .. } => LEGACY_DIFF_FAILED,
            PatchError::MissingChangeResult => LEGACY_ENOMSG,
            PatchError::UnknownFormat(_) => LEGACY_EINVAL,
            PatchError::NotUnique => LEGACY_ENOTUNIQ,
        }
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::OldData => write!(f, "Update was older than existing configuration"),
            PatchError::DiffResync => write!(f, "Application of update diff failed, requesting full refresh"),
            PatchError::DiffFailed(why) => write!(f, "Application of update diff failed: {why}"),
            PatchError::DigestMismatch { expected, calculated } => {
                write!(f, "Application of update diff failed: digest mismatch (expected {expected}, calculated {calculated})")
            }
            PatchError::MissingChangeResult => write!(f, "modify change without change-result"),
            PatchError::UnknownFormat(n) => write!(f, "unknown patch format {n}"),
            PatchError::NotUnique => write!(f, "v1 diff with more than one change set"),
        }
    }
}

impl std::error::Error for PatchError {}
