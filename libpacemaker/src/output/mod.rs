//! Text output in crm_simulate's format.

pub mod graph;
pub mod header;
pub mod status;
pub mod transition;
