//! Shared building blocks of the pacemaker-rs daemons and libraries.

pub mod acl;
pub mod cluster;
pub mod digest;
pub mod duration;
pub mod ipc;
pub mod logging;
pub mod mainloop;
pub mod options;
pub mod patchset;
pub mod rules;
pub mod schemas;
pub mod score;
pub mod time;
pub mod users;
pub mod xml;
