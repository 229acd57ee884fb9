//! Shared building blocks of the pacemaker-rs daemons and libraries.

pub mod acl;
pub mod xml;
