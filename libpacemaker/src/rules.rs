//! Rule evaluation lives in libcrmcommon (the CIB manager evaluates rules too).
pub use libcrmcommon::rules::*;
