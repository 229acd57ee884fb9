//! Scores live in libcrmcommon (the CIB manager needs them for rules too).
pub use libcrmcommon::score::*;
