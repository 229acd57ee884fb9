//! Turning a CIB document into a [`WorkingSet`].

mod anonymous;
mod bundle;
mod constraints;
mod failcounts;
mod history;
mod migration;
mod nodes;
mod remote;
mod resources;
mod rsc_lookup;

pub use nodes::{fence_node, shutdown_requested};
pub use constraints::apply_location;
pub use failcounts::fail_count;
pub use resources::{parse_interval_ms, strip_instance};

use std::collections::HashMap;
use std::fmt;

use libcrmcommon::xml::Element;

use crate::model::WorkingSet;
use crate::options::ClusterOptions;
use crate::rules::{collect_nvpairs_noting_change, RuleContext, RuleSubject};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnpackError {
    NotACib(String),
    MissingSection(&'static str),
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnpackError::NotACib(name) => {
                write!(f, "input is not a CIB (root element is <{name}>)")
            }
            UnpackError::MissingSection(s) => write!(f, "CIB has no {s} section"),
        }
    }
}

impl std::error::Error for UnpackError {}

/// Collects the nvpair sets named `set_name` under `parent` (for `subject`)
/// with their rules evaluated at the working set's time, noting when a
/// rule's result will change so that the cluster is scheduled again by then.
pub(crate) fn collect_dated_nvpairs(
    ws: &mut WorkingSet,
    parent: &Element,
    set_name: &str,
    subject: &RuleSubject,
    into: &mut HashMap<String, String>,
) {
    let ctx = RuleContext { node_attrs: None, now: Some(ws.now) };
    let mut next_change = None;
    collect_nvpairs_noting_change(parent, set_name, &ctx, subject, into, &mut next_change);
    if let Some(time) = next_change {
        ws.update_recheck_time(time);
    }
}

/// Unpacks configuration and status into a working set ready for scheduling.
pub fn unpack(cib: &Element) -> Result<WorkingSet, UnpackError> {
    unpack_at(cib, None)
}

/// Like [`unpack`], evaluating time-based rules at `now` (seconds since the
/// epoch) instead of the CIB's execution-date or the current time.
pub fn unpack_at(cib: &Element, now: Option<i64>) -> Result<WorkingSet, UnpackError> {
    if cib.name != "cib" {
        return Err(UnpackError::NotACib(cib.name.clone()));
    }
    let configuration = cib
        .child("configuration")
        .ok_or(UnpackError::MissingSection("configuration"))?;
    let empty = Element::new("status");
    let status = cib.child("status").unwrap_or(&empty);

    let mut ws = WorkingSet::default();
    ws.per_operation_fail_counts = failcounts::per_operation(cib.attr("crm_feature_set"));
    ws.original_date = cib
        .attr("execution-date")
        .and_then(|d| d.trim().parse::<i64>().ok());
    if now.is_some() {
        ws.original_date = None;
    }
    ws.now = now.or(ws.original_date).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    let mut raw = HashMap::new();
    if let Some(crm_config) = configuration.child("crm_config") {
        // The set named cib-bootstrap-options wins over others.
        let mut ordered: Vec<&Element> = crm_config
            .elements()
            .filter(|e| e.name == "cluster_property_set")
            .collect();
        ordered.sort_by_key(|e| {
            if e.id() == Some("cib-bootstrap-options") {
                0
            } else {
                1
            }
        });
        // cib-bootstrap-options first, then the others by score.
        for (i, set) in ordered.iter().enumerate() {
            if i == 0 && set.id() == Some("cib-bootstrap-options") {
                let mut holder = Element::new("holder");
                holder.push_child((*set).clone());
                collect_dated_nvpairs(&mut ws, &holder, "cluster_property_set", &RuleSubject::default(), &mut raw);
            }
        }
        let mut holder = Element::new("holder");
        for set in ordered
            .iter()
            .filter(|s| s.id() != Some("cib-bootstrap-options"))
        {
            holder.push_child((*set).clone());
        }
        collect_dated_nvpairs(&mut ws, &holder, "cluster_property_set", &RuleSubject::default(), &mut raw);
    }
    ws.options = ClusterOptions::from_map(raw);
    ws.have_quorum = cib
        .attr("have-quorum")
        .map(crate::options::is_true)
        .unwrap_or(false);
    // Suicide only makes sense once the cluster has had quorum.
    if ws.options.no_quorum_policy == crate::options::NoQuorumPolicy::Suicide && !ws.have_quorum {
        let panic = cib
            .attr("no-quorum-panic")
            .map(|v| v.trim().parse::<i64>().unwrap_or(0) != 0)
            .unwrap_or(false);
        if !panic {
            ws.options.no_quorum_policy = crate::options::NoQuorumPolicy::Stop;
        }
    }

    let empty_nodes = Element::new("nodes");
    nodes::unpack_nodes(
        &mut ws,
        configuration.child("nodes").unwrap_or(&empty_nodes),
    );
    let dc_uuid = cib.attr("dc-uuid").unwrap_or("");
    for node in ws.nodes.iter_mut() {
        let is_dc = !dc_uuid.is_empty() && node.id == dc_uuid;
        node.attrs.insert(
            "#is_dc".to_string(),
            if is_dc { "true" } else { "false" }.to_string(),
        );
    }

    if let Some(configured) = configuration.child("resources") {
        let implicit = remote::create_remote_nodes(&mut ws, configured);
        let with_guest_connections;
        let resources = if implicit.is_empty() {
            configured
        } else {
            let mut all = configured.clone();
            for connection in implicit {
                all.push_child(connection);
            }
            with_guest_connections = all;
            &with_guest_connections
        };
        resources::unpack_resources(
            &mut ws,
            resources,
            configuration.child("rsc_defaults"),
            configuration.child("op_defaults"),
        );
        remote::link_containers(&mut ws);
        remote::link_connections(&mut ws);
    }

    ws.unfencing_enabled = resources::unfencing_configured(configuration);

    if let Some(tickets) = status.child("tickets") {
        for t in tickets.elements().filter(|e| e.name == "ticket_state") {
            if let Some(id) = t.id() {
                let granted = t
                    .attr("granted")
                    .map(crate::options::is_true)
                    .unwrap_or(false);
                let standby = t
                    .attr("standby")
                    .map(crate::options::is_true)
                    .unwrap_or(false);
                ws.tickets.insert(id.to_string(), (granted, standby));
            }
        }
    }
    nodes::unpack_node_states(&mut ws, status);
    history::unpack_history(&mut ws, status);
    Ok(ws)
}

/// The CIB as Pacemaker leaves its input once unpacked: with the implicit
/// connection resources of guest nodes added to the resources section
/// (which is what crm_simulate saves with --save-input).
pub fn with_implicit_resources(cib: &Element) -> Element {
    let mut expanded = cib.clone();
    if let Some(resources) = expanded.child_mut("configuration").and_then(|c| c.child_mut("resources")) {
        for connection in remote::guest_connections(resources) {
            resources.push_child(connection);
        }
    }
    expanded
}

/// Unpacks the constraints section. Pacemaker does this only when scheduling,
/// after the cluster status has been determined (and displayed).
pub fn unpack_constraints(ws: &mut WorkingSet, cib: &Element) {
    if let Some(tags) = cib.child("configuration").and_then(|c| c.child("tags")) {
        for tag in tags.elements().filter(|e| e.name == "tag") {
            let Some(id) = tag.id() else { continue };
            let refs = tag
                .elements()
                .filter(|e| e.name == "obj_ref")
                .filter_map(|r| r.id().map(str::to_string))
                .collect();
            ws.tags.insert(id.to_string(), refs);
        }
    }
    if let Some(constraints) = cib
        .child("configuration")
        .and_then(|c| c.child("constraints"))
    {
        constraints::unpack_constraints(ws, constraints, &crate::sched::digests::IdIndex::new(cib));
    }
}
