//! Shared building blocks of the pacemaker-rs daemons and libraries.

pub mod digest;
pub mod patchset;
pub mod xml;
