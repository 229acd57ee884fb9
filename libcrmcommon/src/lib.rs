//! Shared building blocks of the pacemaker-rs daemons and libraries.

pub mod cluster;
pub mod xml;
