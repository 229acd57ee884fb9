//! Shared building blocks of the pacemaker-rs daemons and libraries.

pub mod schemas;
pub mod xml;
