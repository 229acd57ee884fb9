//! Pacemaker Remote nodes: the node each `ocf:pacemaker:remote` connection
//! resource makes, and its state, which follows from the connection's.

use libcrmcommon::xml::Element;

use super::nodes::{fence_node, new_node, transient_attributes};
use crate::model::{NodeIdx, Role, RscIdx, WorkingSet};
use crate::options::is_true;

/// Attribute names on a remote node's `node_state`.
const NODE_FENCED: &str = "node_fenced";
/// Node attribute that turns probes off on a remote node.
const RSC_DISCOVERY_ATTR: &str = "resource-discovery-enabled";

/// Whether a resource definition is a Pacemaker Remote connection.
pub(crate) fn is_remote_connection_xml(xml: &Element) -> bool {
    let eq = |attr: &str, want: &str| xml.attr(attr).is_some_and(|v| v.eq_ignore_ascii_case(want));
    eq("type", "remote") && eq("class", "ocf") && eq("provider", "pacemaker")
}

/// Creates the remote node of each top-level connection resource, and the
/// guest node of each primitive (top-level or in a group) with a
/// `remote-node` meta-attribute, that has no node entry yet. This comes
/// before resources are unpacked, so that resources get scores for these
/// nodes too. Returns the definitions of the guest nodes' implicit
/// connection resources, to be unpacked after the configured resources.
pub(super) fn create_remote_nodes(ws: &mut WorkingSet, resources: &Element) -> Vec<Element> {
    for xml in resources.elements().filter(|e| is_remote_connection_xml(e)) {
        if let Some(id) = xml.id() {
            add_node_once(ws, id);
        }
    }
    let implicit = guest_connections(resources);
    for connection in &implicit {
        add_node_once(ws, connection.id().unwrap_or_default());
    }
    implicit
}

/// The implicit connections of the guest nodes a resources section defines.
pub(super) fn guest_connections(resources: &Element) -> Vec<Element> {
    let mut implicit = Vec::new();
    for xml in resources.elements().filter(|e| !is_remote_connection_xml(e)) {
        let guests: Vec<&Element> = match xml.name.as_str() {
            "primitive" => vec![xml],
            "group" => xml.elements().collect(),
            _ => continue,
        };
        implicit.extend(guests.into_iter().filter_map(guest_connection));
    }
    implicit
}

fn add_node_once(ws: &mut WorkingSet, name: &str) {
    if ws.node_by_name(name).is_none() {
        ws.nodes.push(new_node(name, name, true));
    }
}

/// Meta-attributes of a guest node's container that define its connection.
mod guest_meta {
    pub const REMOTE_NODE: &str = "remote-node";
    pub const REMOTE_ADDR: &str = "remote-addr";
    pub const REMOTE_PORT: &str = "remote-port";
    pub const CONNECT_TIMEOUT: &str = "remote-connect-timeout";
    pub const ALLOW_MIGRATE: &str = "remote-allow-migrate";
    pub const MANAGED: &str = "is-managed";
}

/// The implicit `ocf:pacemaker:remote` connection of a guest node, as
/// Pacemaker builds it from its container's meta-attributes (read as
/// written, without rules).
fn guest_connection(container: &Element) -> Option<Element> {
    let container_id = container.id()?;
    let mut meta: std::collections::HashMap<String, String> = Default::default();
    for set in container.elements().filter(|e| e.name == "meta_attributes") {
        for nv in set.elements().filter(|e| e.name == "nvpair") {
            if let (Some(name), Some(value)) = (nv.attr("name"), nv.attr("value")) {
                meta.insert(name.to_ascii_lowercase(), value.to_string());
            }
        }
    }
    let name = meta.get(guest_meta::REMOTE_NODE)?.clone();
    let get = |key: &str| meta.get(key).map(String::as_str);
    Some(connection_xml(&ConnectionSpec {
        name: &name,
        container: Some(container_id),
        allow_migrate: get(guest_meta::ALLOW_MIGRATE),
        managed: get(guest_meta::MANAGED),
        start_timeout: Some(get(guest_meta::CONNECT_TIMEOUT).unwrap_or("60s")),
        server: get(guest_meta::REMOTE_ADDR),
        port: get(guest_meta::REMOTE_PORT),
    }))
}

/// What an implicit `ocf:pacemaker:remote` connection is made of.
pub(super) struct ConnectionSpec<'a> {
    pub name: &'a str,
    pub container: Option<&'a str>,
    pub allow_migrate: Option<&'a str>,
    pub managed: Option<&'a str>,
    /// Without one, the connection has no start operation of its own.
    pub start_timeout: Option<&'a str>,
    pub server: Option<&'a str>,
    pub port: Option<&'a str>,
}

/// An implicit connection resource's definition, as Pacemaker writes it
/// (ids of sets, nvpairs and operations included, as digests see them).
pub(super) fn connection_xml(spec: &ConnectionSpec) -> Element {
    let name = spec.name;
    let nvpair = |set_id: &str, attr: &str, value: &str| {
        Element::new("nvpair")
            .with_attr("id", format!("{set_id}-{attr}"))
            .with_attr("name", attr)
            .with_attr("value", value)
    };
    let meta_id = format!("{name}-meta_attributes");
    let mut meta_set = Element::new("meta_attributes").with_attr("id", meta_id.clone());
    meta_set.push_child(nvpair(&meta_id, "internal_rsc", "true"));
    if let Some(v) = spec.container {
        meta_set.push_child(nvpair(&meta_id, "container", v));
    }
    if let Some(v) = spec.allow_migrate {
        meta_set.push_child(nvpair(&meta_id, "allow-migrate", v));
    }
    if let Some(v) = spec.managed {
        meta_set.push_child(nvpair(&meta_id, "is-managed", v));
    }
    let mut connection = Element::new("primitive")
        .with_attr("id", name)
        .with_attr("class", "ocf")
        .with_attr("provider", "pacemaker")
        .with_attr("type", "remote")
        .with_child(meta_set);
    if spec.server.is_some() || spec.port.is_some() {
        let set_id = format!("{name}-instance_attributes");
        let mut params = Element::new("instance_attributes").with_attr("id", set_id.clone());
        if let Some(v) = spec.server {
            params.push_child(nvpair(&set_id, "addr", v));
        }
        if let Some(v) = spec.port {
            params.push_child(nvpair(&set_id, "port", v));
        }
        connection.push_child(params);
    }
    let mut operations = Element::new("operations").with_child(op_xml(name, "monitor", "30s", Some("30s")));
    if let Some(timeout) = spec.start_timeout {
        operations.push_child(op_xml(name, "start", "0", Some(timeout)));
    }
    connection.push_child(operations);
    connection
}

/// An `<op>` of an implicit resource, with the id Pacemaker gives it.
pub(super) fn op_xml(prefix: &str, task: &str, interval: &str, timeout: Option<&str>) -> Element {
    let mut op = Element::new("op")
        .with_attr("id", format!("{prefix}-{task}-{interval}"))
        .with_attr("interval", interval)
        .with_attr("name", task);
    if let Some(t) = timeout {
        op = op.with_attr("timeout", t);
    }
    op
}

/// Links each connection resource to its node.
pub(super) fn link_connections(ws: &mut WorkingSet) {
    for r in 0..ws.resources.len() {
        if ws.resources[r].is_remote_connection {
            if let Some(node) = ws.node_by_name(&ws.resources[r].id) {
                link(ws, r, node);
            }
        }
    }
}

/// A remote node with a connection is subject to start-up fencing like a
/// cluster node.
fn link(ws: &mut WorkingSet, connection: RscIdx, node: NodeIdx) {
    let startup_fencing = ws.options.startup_fencing;
    let guest = ws.resources[connection].container.is_some();
    let n = &mut ws.nodes[node];
    n.remote_rsc = Some(connection);
    if guest {
        n.attrs.insert("#kind".to_string(), "container".to_string());
    } else {
        n.unclean = startup_fencing;
        n.unseen = true;
    }
}

/// A connection known only from history (removed from the configuration)
/// still makes its node, which is shutting down.
pub(super) fn orphaned_connection(ws: &mut WorkingSet, connection: RscIdx) {
    let id = ws.resources[connection].id.clone();
    let node = match ws.node_by_name(&id) {
        Some(n) => n,
        None => {
            ws.nodes.push(new_node(&id, &id, true));
            ws.nodes.len() - 1
        }
    };
    link(ws, connection, node);
    ws.nodes[node].shutdown = true;
}

/// First pass over a remote node's status entry: only whether it was fenced,
/// which matters while the cluster nodes' history is read.
pub(super) fn note_remote_state(ws: &mut WorkingSet, node: NodeIdx, state: &Element) {
    ws.nodes[node].remote_was_fenced = state
        .attr(NODE_FENCED)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .is_some_and(|v| v > 0);
}

/// Whether a remote node's history can be read yet: its connection must be
/// known to be up (or history of stopped connections is kept for shutdown
/// locks).
pub(super) fn history_readable(ws: &WorkingSet, node: NodeIdx) -> bool {
    let Some(r) = ws.nodes[node].remote_rsc else { return false };
    let started = |r: RscIdx| ws.resources[r].role == Role::Started;
    match ws.resources[r].container {
        // A guest node's container must be known to be up as well.
        Some(container) => started(r) && started(container),
        None => ws.options.shutdown_lock || started(r),
    }
}

fn connection_stopping(ws: &WorkingSet, r: RscIdx) -> bool {
    let res = &ws.resources[r];
    res.next_role == Role::Stopped || res.target_role == Some(Role::Stopped)
}

/// A remote node is online when its connection is started and healthy.
pub(super) fn determine_online_status(ws: &mut WorkingSet, node: NodeIdx) {
    let Some(r) = ws.nodes[node].remote_rsc else {
        ws.nodes[node].online = false;
        return;
    };
    let role = ws.resources[r].role;
    let failed = ws.resources[r].failed;
    let stopping = connection_stopping(ws, r);
    let container = ws.resources[r].container;
    let container_failed = container.is_some_and(|c| ws.resources[c].failed);
    let container_stopped = container.is_some_and(|c| ws.resources[c].role == Role::Stopped);
    // A guest's host, when its connection runs on exactly one node.
    let host_lost = container.is_some()
        && ws.resources[r].running_on.len() == 1
        && ws.resources[r].running_on.first().is_some_and(|&h| !ws.nodes[h].online && ws.nodes[h].unclean);
    let n = &mut ws.nodes[node];
    if role == Role::Started {
        n.online = true;
        if stopping {
            n.shutdown = true;
        }
    }
    if container_failed {
        n.online = false;
        n.remote_requires_reset = true;
    } else if failed {
        n.online = false;
    } else if role == Role::Stopped || container_stopped {
        n.online = false;
        n.remote_requires_reset = false;
    } else if host_lost {
        n.online = false;
        n.remote_requires_reset = true;
    }
}

/// Resources name their container with the `container` meta-attribute.
pub(super) fn link_containers(ws: &mut WorkingSet) {
    for r in 0..ws.resources.len() {
        if ws.resources[r].variant != crate::model::Variant::Primitive {
            continue;
        }
        let Some(container_id) = ws.resources[r].meta.get("container").cloned() else { continue };
        if container_id.eq_ignore_ascii_case(&ws.resources[r].id) {
            continue;
        }
        match ws.rsc_by_id(&container_id) {
            Some(c) => {
                ws.resources[r].container = Some(c);
                ws.resources[c].fillers.push(r);
            }
            None => ws
                .warnings
                .push(format!("Resource {}: Unknown resource container ({container_id})", ws.resources[r].id)),
        }
    }
}

/// A remote node's own status: transient attributes, standby, maintenance
/// (also when its connection is unmanaged), shutdown, resource discovery.
pub(super) fn unpack_remote_attributes(ws: &mut WorkingSet, node: NodeIdx, state: &Element) {
    if !ws.nodes[node].remote_requires_reset {
        ws.nodes[node].unclean = false;
        ws.nodes[node].unseen = false;
    }
    transient_attributes(ws, node, state);
    let connection_unmanaged = ws.nodes[node].remote_rsc.is_some_and(|r| !ws.resources[r].managed);
    let stonith_enabled = ws.options.stonith_enabled;
    let n = &mut ws.nodes[node];
    let flag = |name: &str| n.attrs.get(name).is_some_and(|v| is_true(v));
    let (standby, maintenance) = (flag("standby"), flag("maintenance"));
    let shutdown = super::nodes::shutdown_requested(n);
    if shutdown {
        n.shutdown = true;
    }
    if standby {
        n.standby = true;
    }
    if maintenance || connection_unmanaged {
        n.maintenance = true;
    }
    let discovery_off = n.attrs.get(RSC_DISCOVERY_ATTR).is_some_and(|v| !is_true(v));
    // Without fencing, a remote node that was not probed could not be made
    // safe, so discovery stays on.
    if discovery_off && stonith_enabled {
        n.rsc_discovery_enabled = false;
    }
}

/// After all history is read: connections of remote nodes shutting down stop,
/// and remote nodes without history get their state from their connection.
pub(super) fn finish_remote_nodes(ws: &mut WorkingSet) {
    for node in 0..ws.nodes.len() {
        if !ws.nodes[node].is_remote {
            continue;
        }
        if ws.nodes[node].shutdown {
            if let Some(r) = ws.nodes[node].remote_rsc {
                ws.resources[r].next_role = Role::Stopped;
            }
        }
        if !ws.nodes[node].history_unpacked {
            determine_online_status(ws, node);
        }
    }
}

/// A failed connection that must reset its node fences the remote node
/// (once: not if its status says it was fenced already).
pub(super) fn connection_unrecoverable(ws: &mut WorkingSet, connection: RscIdx) {
    if !ws.options.stonith_enabled {
        return;
    }
    let Some(node) = ws.node_by_name(&ws.resources[connection].id) else { return };
    if ws.nodes[node].is_remote && !ws.nodes[node].remote_was_fenced {
        fence_node(ws, node, "remote connection is unrecoverable");
        ws.nodes[node].remote_requires_reset = true;
    }
}

/// A failed connection makes its unclean node's fencing certain, even if the
/// connection is started again elsewhere.
pub(super) fn failed_connection_keeps_fencing(ws: &mut WorkingSet, connection: RscIdx) {
    if let Some(node) = ws.node_by_name(&ws.resources[connection].id) {
        if ws.nodes[node].unclean {
            ws.nodes[node].unseen = false;
        }
    }
}

/// A failed monitor of a connection with a reconnect interval does not
/// expire before its remote node has been fenced: the executor reports only
/// changes of a monitor's result, so a connection still failing would go
/// unnoticed once the failure was forgotten.
pub(super) fn failure_kept_until_fenced(ws: &WorkingSet, rsc: RscIdx, task: &str, interval_ms: u64) -> bool {
    let res = &ws.resources[rsc];
    if res.remote_reconnect_ms == 0 || !ws.options.stonith_enabled || interval_ms == 0 || task != "monitor" {
        return false;
    }
    ws.node_by_name(&res.id).is_some_and(|n| !ws.nodes[n].remote_was_fenced)
}
