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

/// Creates the remote node of each top-level connection resource that has no
/// node entry yet (before resources are unpacked, so that resources get
/// scores for these nodes too).
pub(super) fn create_remote_nodes(ws: &mut WorkingSet, resources: &Element) {
    for xml in resources.elements().filter(|e| is_remote_connection_xml(e)) {
        let Some(id) = xml.id() else { continue };
        if ws.node_by_name(id).is_none() {
            ws.nodes.push(new_node(id, id, true));
        }
    }
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
    let n = &mut ws.nodes[node];
    n.remote_rsc = Some(connection);
    n.unclean = startup_fencing;
    n.unseen = true;
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
    match ws.nodes[node].remote_rsc {
        None => false,
        Some(r) => ws.options.shutdown_lock || ws.resources[r].role == Role::Started,
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
    let n = &mut ws.nodes[node];
    if role == Role::Started {
        n.online = true;
        if stopping {
            n.shutdown = true;
        }
    }
    if failed {
        n.online = false;
    } else if role == Role::Stopped {
        n.online = false;
        n.remote_requires_reset = false;
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
