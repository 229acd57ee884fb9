//! Pacemaker IPC over libqb: framing, servers and clients.

mod bzip_blocks;
pub mod client;
pub mod frame;
pub mod server;

pub use frame::{flags, FrameError, Header, Message};
pub use server::{ClientId, ClientInfo, ServerEvent, ServerId};
