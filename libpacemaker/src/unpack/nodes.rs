//! Nodes from the configuration and their state from the status section.

use libcrmcommon::xml::Element;

use crate::model::{Node, WorkingSet};
use crate::options::{is_true, NoQuorumPolicy};
use super::collect_dated_nvpairs;
use crate::rules::RuleSubject;
use crate::score;

pub(super) fn unpack_nodes(ws: &mut WorkingSet, nodes: &Element) {
    for xml in nodes.elements().filter(|e| e.name == "node") {
        let (Some(id), Some(uname)) = (xml.id(), xml.attr("uname")) else {
            ws.warnings
                .push("node entry without id or uname ignored".to_string());
            continue;
        };
        let kind = xml.attr("type").unwrap_or("member");
        let mut node = new_node(id, uname, kind.eq_ignore_ascii_case("remote"));
        node.weight = xml.attr("score").map(score::parse_or_zero).unwrap_or(0);
        let mut attrs = std::collections::HashMap::new();
        collect_dated_nvpairs(ws, xml, "instance_attributes", &RuleSubject::default(), &mut attrs);
        attrs.extend(std::mem::take(&mut node.attrs));
        node.attrs = attrs;
        node.utilization = utilization_of(ws, xml);
        // Until we see a node_state entry, the node is unseen; it is assumed
        // unclean only if unseen nodes are to be fenced. A remote node is
        // subject to this only once it is known to have a connection.
        if !node.is_remote {
            node.unseen = true;
            node.unclean = ws.options.startup_fencing;
        }
        ws.nodes.push(node);
    }
}

/// A node as known before its status is read: offline, with its built-in
/// attributes.
pub(super) fn new_node(id: &str, uname: &str, is_remote: bool) -> Node {
    let mut node = Node {
        id: id.to_string(),
        uname: uname.to_string(),
        is_remote,
        rsc_discovery_enabled: true,
        ..Node::default()
    };
    node.attrs.insert("#uname".to_string(), uname.to_string());
    node.attrs.insert("#id".to_string(), id.to_string());
    node.attrs.insert(
        "#kind".to_string(),
        if is_remote { "remote" } else { "cluster" }.to_string(),
    );
    node
}

/// Utilization values from an element's <utilization> sets (integers; junk counts as 0).
pub(crate) fn utilization_of(ws: &mut WorkingSet, xml: &Element) -> std::collections::BTreeMap<String, i64> {
    let mut raw = std::collections::HashMap::new();
    collect_dated_nvpairs(ws, xml, "utilization", &RuleSubject::default(), &mut raw);
    raw.into_iter()
        .map(|(k, v)| (k, v.trim().parse::<i64>().unwrap_or(0)))
        .collect()
}

pub fn shutdown_requested(node: &Node) -> bool {
    node.attrs
        .get("shutdown")
        .map(|v| !v.is_empty() && v != "0")
        .unwrap_or(false)
}

/// Marks a node unclean (to be fenced) for a reason; the first reason stays.
pub fn fence_node(ws: &mut WorkingSet, idx: usize, reason: &str) {
    // A guest node is "fenced" by recovering its container; it is not
    // marked unclean, so that it can run resources again once recovered.
    if let Some(container) = ws.guest_container(idx) {
        let res = &mut ws.resources[container];
        if !res.failed && res.managed {
            res.failed = true;
            res.failed_stop = true;
            ws.nodes[idx].remote_requires_reset = true;
            if ws.nodes[idx].fence_reason.is_none() {
                ws.nodes[idx].fence_reason = Some(reason.to_string());
            }
        }
        return;
    }
    if ws.nodes[idx].is_remote {
        // A remote node whose connection is unmanaged is left alone.
        if ws.nodes[idx].remote_rsc.is_some_and(|r| !ws.resources[r].managed) {
            return;
        }
        ws.nodes[idx].remote_requires_reset = true;
        // Its fencing is created with the first reason given, even when
        // start-up fencing had already made it unclean.
        if ws.nodes[idx].fence_reason.is_none() {
            ws.nodes[idx].fence_reason = Some(reason.to_string());
        }
    }
    let node = &mut ws.nodes[idx];
    if !node.unclean {
        node.fence_reason = Some(reason.to_string());
    }
    node.unclean = true;
}

/// Fences a node that left the cluster: the only fencing that
/// priority-fencing-delay may delay.
fn fence_lost_node(ws: &mut WorkingSet, idx: usize) {
    if !ws.nodes[idx].unclean {
        ws.nodes[idx].fence_with_priority_delay = true;
    }
    fence_node(ws, idx, "peer is no longer part of the cluster");
}

pub(super) fn unpack_node_states(ws: &mut WorkingSet, status: &Element) {
    for state in status.elements().filter(|e| e.name == "node_state") {
        let (Some(id), Some(uname)) = (state.id(), state.attr("uname")) else {
            continue;
        };
        let Some(idx) = ws.nodes.iter().position(|n| n.id == id || n.uname == uname) else {
            continue;
        };
        if ws.nodes[idx].is_remote {
            super::remote::note_remote_state(ws, idx, state);
            continue;
        }
        transient_attributes(ws, idx, state);
        {
            let node = &mut ws.nodes[idx];
            if node
                .attrs
                .get("standby")
                .map(|v| is_true(v))
                .unwrap_or(false)
            {
                node.standby = true;
            }
            if node
                .attrs
                .get("maintenance")
                .map(|v| is_true(v))
                .unwrap_or(false)
            {
                node.maintenance = true;
            }
            node.unclean = false;
            node.unseen = false;
        }
        determine_online_status(ws, idx, state);
        if !ws.have_quorum
            && ws.nodes[idx].online
            && ws.options.no_quorum_policy == NoQuorumPolicy::Suicide
        {
            fence_node(ws, idx, "cluster does not have quorum");
        }
    }
}

fn determine_online_status(ws: &mut WorkingSet, idx: usize, state: &Element) {
    let expected = state.attr("expected");
    {
        let node = &mut ws.nodes[idx];
        node.shutdown = false;
        node.expected_up = false;
        if shutdown_requested(node) {
            node.shutdown = true;
        } else if expected
            .map(|e| e.eq_ignore_ascii_case("member"))
            .unwrap_or(false)
        {
            node.expected_up = true;
        }
    }
    let online = if ws.options.stonith_enabled {
        online_status_with_fencing(ws, idx, state)
    } else {
        online_status_without_fencing(ws, idx, state)
    };
    let node = &mut ws.nodes[idx];
    node.online = online;
    // A node that is down or shutting down is out of contention: Pacemaker
    // drops its own score to -INFINITY (what later copies of it start from).
    if !online || node.shutdown {
        node.weight = -score::INFINITY;
    }
}

fn online_status_without_fencing(ws: &mut WorkingSet, idx: usize, state: &Element) -> bool {
    let join = state.attr("join");
    let is_peer = state.attr("crmd");
    let in_cluster = state.attr("in_ccm");
    if !in_cluster.map(is_true).unwrap_or(false) {
        false
    } else if is_peer
        .map(|p| p.eq_ignore_ascii_case("online"))
        .unwrap_or(false)
    {
        join.map(|j| j.eq_ignore_ascii_case("member"))
            .unwrap_or(false)
    } else if !ws.nodes[idx].expected_up {
        false
    } else {
        fence_node(ws, idx, "peer is unexpectedly down");
        false
    }
}

fn online_status_with_fencing(ws: &mut WorkingSet, idx: usize, state: &Element) -> bool {
    let join = state.attr("join");
    let is_peer = state.attr("crmd");
    let in_cluster = state.attr("in_ccm");
    let exp_state = state.attr("expected").unwrap_or("down");
    let terminate = ws.nodes[idx].attrs.get("terminate").cloned();
    let do_terminate = match terminate.as_deref() {
        Some(t) if is_true(t) => true,
        Some(t) => t
            .chars()
            .next()
            .map(|c| c != '0' && c.is_ascii_digit())
            .unwrap_or(false),
        None => false,
    };
    let in_ccm = in_cluster.map(is_true).unwrap_or(false);
    let crmd_online = is_peer
        .map(|p| p.eq_ignore_ascii_case("online"))
        .unwrap_or(false);
    let join_is = |v: &str| join.map(|j| j.eq_ignore_ascii_case(v)).unwrap_or(false);

    if ws.nodes[idx].shutdown {
        return crmd_online;
    }
    if in_cluster.is_none() {
        fence_node(ws, idx, "peer has not been seen by the cluster");
    } else if join_is("banned") {
        fence_node(ws, idx, "peer failed Pacemaker membership criteria");
    } else if !do_terminate && exp_state.eq_ignore_ascii_case("down") {
        if in_ccm || crmd_online {
            ws.nodes[idx].standby = true;
            ws.nodes[idx].pending = true;
        }
    } else if do_terminate && join_is("down") && !in_ccm && !crmd_online {
        return false;
    } else if !in_ccm {
        fence_lost_node(ws, idx);
    } else if !crmd_online {
        fence_node(ws, idx, "peer process is no longer available");
    } else if do_terminate {
        fence_node(ws, idx, "termination was requested");
    } else if join_is("member") {
        // active
    } else if join_is("pending") || join_is("down") {
        ws.nodes[idx].standby = true;
        ws.nodes[idx].pending = true;
    } else {
        fence_node(ws, idx, "peer was in an unknown state");
    }
    in_ccm
}

/// A node's transient attributes (from its status entry) override its
/// configured ones.
pub(super) fn transient_attributes(ws: &mut WorkingSet, idx: usize, state: &Element) {
    let Some(transient) = state.child("transient_attributes") else { return };
    let mut attrs = std::collections::HashMap::new();
    collect_dated_nvpairs(ws, transient, "instance_attributes", &RuleSubject::default(), &mut attrs);
    ws.nodes[idx].attrs.extend(attrs);
}
