//! Text output in crm_simulate's format.

pub mod header;
pub mod status;
pub mod transition;
