//! CIB patchsets: the `<diff>` documents Pacemaker nodes exchange to replicate CIB
//! changes, as Pacemaker 2.1.5 creates and applies them (lib/common/patchset.c).

mod create;
mod tracking;
mod version;
mod xpath;

pub use create::{bump_versions, config_changed, create, CreateOptions};
pub use version::{VersionBump, VERSION_ATTRS};
