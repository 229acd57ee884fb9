//! Text output in crm_simulate's format.

pub mod bundle;
pub mod failures;
pub mod graph;
pub mod header;
pub mod node_attributes;
pub mod status;
pub mod transition;

use libcrmcommon::xml::Element;

use crate::model::WorkingSet;

/// Optional sections of the cluster status (crm_simulate -A, -c).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusSections {
    /// "Node Attributes".
    pub attributes: bool,
    /// "Migration Summary" and "Failed Resource Actions".
    pub failures: bool,
}

/// The cluster status with the optional sections asked for. `cib` is the CIB `ws` was
/// unpacked from. Operations in progress are shown when `show_pending` (crm_simulate
/// shows them in the initial status only).
pub fn cluster_status_with(ws: &WorkingSet, cib: &Element, sections: StatusSections, show_pending: bool) -> String {
    let mut out = status::cluster_status(ws, show_pending);
    if sections.attributes {
        out.push_str(&node_attributes::node_attributes(ws, cib));
    }
    if sections.failures {
        out.push_str(&failures::failure_sections(ws, cib));
    }
    out
}
