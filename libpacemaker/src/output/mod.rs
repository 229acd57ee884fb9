//! Text output in crm_simulate's format.

pub mod status;
pub mod transition;
