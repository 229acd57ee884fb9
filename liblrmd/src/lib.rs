//! The executor (`pacemaker-execd`) protocol: names and numbers ([`protocol`]), event
//! messages ([`event`]) and a client ([`client::LrmdClient`]).

pub mod client;
pub mod event;
pub mod protocol;

pub use client::{ExecRequest, LrmdClient, LrmdError, RecurringOp, RscInfo};
pub use event::{Event, OpEvent, Params};
