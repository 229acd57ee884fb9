//! Pacemaker IPC over libqb: framing, servers and clients.

pub mod client;
pub mod frame;
pub mod server;

pub use frame::{flags, FrameError, Header, Message};
pub use server::{ClientId, ClientInfo, ServerEvent, ServerId};
