//! CIB patchsets: the `<diff>` documents Pacemaker nodes exchange to replicate CIB
//! changes, created and applied as Pacemaker 2.1.5 does (lib/common/patchset.c).
//!
//! * [`create`] builds a v2 patchset from two trees (what `crm_diff -o OLD -n NEW`
//!   prints), [`config_changed`] and [`bump_versions`] give the CIB manager's version
//!   rule.
//! * [`apply`] applies a v2 (or legacy v1) patchset, with C's version checks and error
//!   codes ([`PatchError::legacy_code`]).
//!
//! C's quirks are reproduced on purpose, since C peers produce and consume the same
//! documents: e.g. a new child without id after a same-named sibling is reported as a
//! "move" that C itself then fails to apply, and paths are split at whitespace. Where C
//! would crash or free the document (a `create` without content, deleting the root) we
//! return [`PatchError::DiffFailed`] instead. Only v2 patchsets are created; C would
//! write v1 for CIBs with a feature set of 3.0.8 or older.

mod apply;
mod arena;
mod create;
#[cfg(test)]
mod reference;
mod error;
mod tracking;
mod v1;
mod v2_changes;
mod version;
mod xpath;

pub use apply::{apply, versions};
pub use create::{bump_and_create, bump_versions, config_changed, create, CreateOptions};
pub use error::{
    PatchError, LEGACY_DIFF_FAILED, LEGACY_DIFF_RESYNC, LEGACY_EINVAL, LEGACY_ENOMSG, LEGACY_ENOTUNIQ,
    LEGACY_OLD_DATA,
};
pub use version::{check_not_older, VersionBump, VERSION_ATTRS};
