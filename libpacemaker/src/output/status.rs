//! The cluster status text crm_simulate prints (crm_mon's text format:
//! node list and full resource list).

use std::cmp::Ordering;

use crate::model::{NodeIdx, Role, RscIdx, Variant, WorkingSet};

/// Pacemaker's natural, case-insensitive node name ordering
/// (pcmk__numeric_strcasecmp): digit runs compare numerically.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let na = a[si..i].trim_start_matches('0');
            let nb = b[sj..j].trim_start_matches('0');
            let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if o != Ordering::Equal {
                return o;
            }
            continue;
        }
        let (ca, cb) = (ab[i].to_ascii_lowercase(), bb[j].to_ascii_lowercase());
        if ca != cb {
            return ca.cmp(&cb);
        }
        i += 1;
        j += 1;
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}

pub fn sorted_nodes(ws: &WorkingSet) -> Vec<NodeIdx> {
    let mut v: Vec<NodeIdx> = (0..ws.nodes.len()).collect();
    v.sort_by(|&a, &b| natural_cmp(&ws.nodes[a].uname, &ws.nodes[b].uname));
    v
}

fn node_status_text(ws: &WorkingSet, n: NodeIdx) -> &'static str {
    let node = &ws.nodes[n];
    if node.unclean {
        if node.online {
            "UNCLEAN (online)"
        } else if node.pending {
            "UNCLEAN (pending)"
        } else {
            "UNCLEAN (offline)"
        }
    } else if node.pending {
        "pending"
    } else if node.standby_onfail && node.online {
        "standby (on-fail)"
    } else if node.standby {
        if node.online {
            if !node.running.is_empty() {
                "standby (with active resources)"
            } else {
                "standby"
            }
        } else {
            "OFFLINE (standby)"
        }
    } else if node.maintenance {
        if node.online {
            "maintenance"
        } else {
            "OFFLINE (maintenance)"
        }
    } else if node.online {
        "online"
    } else {
        "OFFLINE"
    }
}

/// What the node list adds for an unhealthy node.
fn health_note(ws: &WorkingSet, n: NodeIdx) -> &'static str {
    match crate::health::node_colour(ws, n) {
        c if c < 0 => " (health is RED)",
        0 => " (health is YELLOW)",
        _ => "",
    }
}

pub fn node_list(ws: &WorkingSet, out: &mut String) {
    let mut online = Vec::new();
    let mut offline = Vec::new();
    let mut remote_online = Vec::new();
    let mut remote_offline = Vec::new();
    let mut guest_online = Vec::new();
    out.push_str("  * Node List:\n");
    for n in sorted_nodes(ws) {
        let node = &ws.nodes[n];
        let guest = ws.is_guest(n);
        if node.unclean
            || node.pending
            || (node.standby_onfail && node.online)
            || node.standby
            || node.maintenance
            || crate::health::node_colour(ws, n) <= 0
        {
            let kind = if guest {
                "GuestNode"
            } else if node.is_remote {
                "RemoteNode"
            } else {
                "Node"
            };
            out.push_str(&format!(
                "    * {kind} {}: {}{}\n",
                node.uname,
                node_status_text(ws, n),
                health_note(ws, n)
            ));
        } else if node.online {
            if guest {
                guest_online.push(node.uname.clone());
            } else if node.is_remote {
                remote_online.push(node.uname.clone());
            } else {
                online.push(node.uname.clone());
            }
        } else if guest {
            // Offline guests are not listed.
        } else if node.is_remote {
            remote_offline.push(node.uname.clone());
        } else {
            offline.push(node.uname.clone());
        }
    }
    for (label, list) in [
        ("Online", online),
        ("OFFLINE", offline),
        ("RemoteOnline", remote_online),
        ("RemoteOFFLINE", remote_offline),
        ("GuestOnline", guest_online),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("    * {label}: [ {} ]\n", list.join(" ")));
        }
    }
}

fn agent_text(ws: &WorkingSet, r: RscIdx) -> String {
    let res = &ws.resources[r];
    match &res.provider {
        Some(p) if res.class == "ocf" => format!("{}:{}:{}", res.class, p, res.agent),
        _ => format!("{}:{}", res.class, res.agent),
    }
}

fn displayable_role(ws: &WorkingSet, r: RscIdx) -> Role {
    let role = ws.resources[r].role;
    if role == Role::Started && ws.is_promotable_member(r) {
        Role::Unpromoted
    } else {
        role
    }
}

/// One primitive's status line (without indentation or bullet).
pub fn primitive_line(ws: &WorkingSet, r: RscIdx, name: &str, show_pending: bool) -> String {
    let res = &ws.resources[r];
    // An inactive resource is shown where an action of it is pending, else
    // where it is locked to.
    let node = match res.running_on[..] {
        [n] => Some(n),
        [] => res.pending_node.or(res.lock_node),
        _ => None,
    };
    primitive_line_at(ws, r, name, node, show_pending)
}

/// A primitive's status line showing it at `node` (a bundle replica's
/// resource is shown where its container is).
pub fn primitive_line_at(ws: &WorkingSet, r: RscIdx, name: &str, node: Option<NodeIdx>, show_pending: bool) -> String {
    let res = &ws.resources[r];
    let mut s = format!("{name}\t({}):\t", agent_text(ws, r));
    if res.orphan {
        s.push_str(" ORPHANED");
    }
    let role = displayable_role(ws, r);
    if res.failed {
        s.push_str(" FAILED");
        if role > Role::Unpromoted {
            s.push(' ');
            s.push_str(role.text());
        }
    } else {
        // crm_simulate shows operations in progress ("Starting").
        let pending = match res.pending_task.as_deref().filter(|_| show_pending) {
            Some("start") => Some("Starting"),
            Some("stop") => Some("Stopping"),
            Some("migrate_to") | Some("migrate_from") => Some("Migrating"),
            Some("promote") => Some("Promoting"),
            Some("demote") => Some("Demoting"),
            _ => None,
        };
        s.push(' ');
        s.push_str(pending.unwrap_or(role.text()));
    }
    if let Some(n) = node {
        s.push(' ');
        s.push_str(&ws.nodes[n].uname);
    }
    if role == Role::Stopped {
        let probe = match node {
            Some(n) => res.failed_probe.get(&n).copied(),
            None => {
                let mut v: Vec<(&usize, &i32)> = res.failed_probe.iter().collect();
                v.sort();
                v.first().map(|(_, &rc)| rc)
            }
        };
        if let Some(rc) = probe {
            s.push_str(&format!(" ({}) ", super::failures::exit_status_text(rc)));
        }
    }
    let mut flags: Vec<String> = Vec::new();
    if let Some(n) = node {
        if !ws.nodes[n].online && ws.nodes[n].unclean {
            flags.push("UNCLEAN".to_string());
        }
    }
    if node.is_some() && node == res.lock_node {
        flags.push("LOCKED".to_string());
    }
    if show_pending && res.pending_task.as_deref() == Some("monitor") {
        flags.push("Monitoring".to_string());
    }
    if let Some(t) = res.meta.get("target-role").and_then(|t| Role::parse(t)) {
        if t == Role::Stopped {
            flags.push("disabled".to_string());
        } else if ws.is_promotable_member(r) && t == Role::Unpromoted {
            flags.push(format!(
                "target-role:{}",
                res.meta.get("target-role").cloned().unwrap_or_default()
            ));
        }
    }
    if res.blocked {
        flags.push("blocked".to_string());
    } else if !res.managed {
        flags.push("unmanaged".to_string());
    }
    if res.failure_ignored {
        flags.push("failure ignored".to_string());
    }
    if !flags.is_empty() {
        s.push_str(&format!(" ({})", flags.join(", ")));
    }
    if res.running_on.len() > 1 {
        if let Some(d) = &res.description {
            s.push(' ');
            s.push_str(d);
        }
        let names: Vec<&str> = res
            .running_on
            .iter()
            .map(|&n| ws.nodes[n].uname.as_str())
            .collect();
        s.push_str(&format!(" [ {} ]", names.join(" ")));
    }
    s
}

fn is_disabled(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.resources[r]
        .meta
        .get("target-role")
        .and_then(|t| Role::parse(t))
        == Some(Role::Stopped)
}

fn printable_name(ws: &WorkingSet, r: RscIdx) -> String {
    let anonymous = ws
        .enclosing_clone(r)
        .map(|c| !ws.resources[c].clone.unique)
        .unwrap_or(false);
    if anonymous {
        crate::unpack::strip_instance(&ws.resources[r].id).to_string()
    } else {
        ws.resources[r].id.clone()
    }
}

fn write_resource(ws: &WorkingSet, r: RscIdx, depth: usize, show_pending: bool, out: &mut String) {
    let indent = "  ".repeat(depth);
    let res = &ws.resources[r];
    match res.variant {
        Variant::Primitive => {
            // Stopped orphans are left out, except as members of a group
            // shown because another member is active.
            let in_group = res.parent.is_some_and(|p| ws.resources[p].variant == Variant::Group);
            if res.orphan && res.running_on.is_empty() && !in_group {
                return;
            }
            if res
                .meta
                .get("internal_rsc")
                .map(|v| crate::options::is_true(v))
                .unwrap_or(false)
            {
                return;
            }
            out.push_str(&format!(
                "{indent}* {}\n",
                primitive_line(ws, r, &printable_name(ws, r), show_pending)
            ));
        }
        Variant::Group => {
            let mut notes = Vec::new();
            if !res.managed {
                notes.push("unmanaged");
            }
            if is_disabled(ws, r) {
                notes.push("disabled");
            }
            let suffix = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
            let name = res.id.clone();
            out.push_str(&format!("{indent}* Resource Group: {name}{suffix}:\n"));
            for &c in &res.children {
                write_resource(ws, c, depth + 1, show_pending, out);
            }
        }
        Variant::Clone => write_clone(ws, r, depth, show_pending, out),
        Variant::Bundle => super::bundle::write_bundle(ws, r, depth, show_pending, out),
    }
}

fn clone_header(ws: &WorkingSet, r: RscIdx) -> String {
    let res = &ws.resources[r];
    let mut attrs = Vec::new();
    if res.clone.promotable {
        attrs.push("promotable");
    }
    if res.clone.unique {
        attrs.push("unique");
    }
    if !res.managed {
        attrs.push("unmanaged");
    }
    if is_disabled(ws, r) {
        attrs.push("disabled");
    }
    let child_id = res
        .children
        .first()
        .map(|&c| crate::unpack::strip_instance(&ws.resources[c].id).to_string())
        .unwrap_or_default();
    if attrs.is_empty() {
        format!("Clone Set: {} [{}]", res.id, child_id)
    } else {
        format!(
            "Clone Set: {} [{}] ({})",
            res.id,
            child_id,
            attrs.join(", ")
        )
    }
}

fn instance_location(ws: &WorkingSet, inst: RscIdx) -> Option<NodeIdx> {
    let nodes = ws.running_nodes(inst);
    if nodes.len() == 1 {
        Some(nodes[0])
    } else {
        None
    }
}

fn write_clone(ws: &WorkingSet, r: RscIdx, depth: usize, show_pending: bool, out: &mut String) {
    let indent = "  ".repeat(depth);
    let inner = "  ".repeat(depth + 1);
    let res = &ws.resources[r];
    let mut body = String::new();
    let mut promoted: Vec<NodeIdx> = Vec::new();
    let mut started: Vec<NodeIdx> = Vec::new();
    for &child in &res.children {
        let prims = ws.primitives_of(child);
        let partially_active = prims.iter().any(|&p| ws.counts_as_active(p));
        let fully_active = prims.iter().all(|&p| ws.counts_as_active(p));
        let mut print_full = false;
        if res.clone.unique {
            if partially_active || !ws.resources[child].orphan {
                print_full = true;
            }
        } else if show_pending && ws.resources[child].pending_task.is_some() {
            // An instance with an operation in progress is shown with it.
            print_full = true;
        } else if !partially_active {
            // Listed in the Stopped summary below.
        } else if prims
            .iter()
            .any(|&p| ws.resources[p].orphan || !ws.resources[p].managed || ws.resources[p].failed)
        {
            print_full = true;
        } else if fully_active {
            match instance_location(ws, child) {
                Some(n) => {
                    let node = &ws.nodes[n];
                    let role = prims
                        .iter()
                        .map(|&p| ws.resources[p].role)
                        .max()
                        .unwrap_or(Role::Stopped);
                    if !node.online && node.unclean {
                        print_full = true;
                    } else if role > Role::Unpromoted {
                        promoted.push(n);
                    } else {
                        started.push(n);
                    }
                }
                None => print_full = true,
            }
        } else {
            print_full = true;
        }
        if print_full {
            write_resource(ws, child, depth + 1, show_pending, &mut body);
        }
    }
    let sort = |v: &mut Vec<NodeIdx>| {
        v.sort_by(|&a, &b| natural_cmp(&ws.nodes[a].uname, &ws.nodes[b].uname))
    };
    sort(&mut promoted);
    sort(&mut started);
    let names = |v: &[NodeIdx]| {
        v.iter()
            .map(|&n| ws.nodes[n].uname.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !promoted.is_empty() {
        body.push_str(&format!("{inner}* Promoted: [ {} ]\n", names(&promoted)));
    }
    if !started.is_empty() {
        if res.clone.promotable {
            let target = res.meta.get("target-role").and_then(|t| Role::parse(t));
            if target == Some(Role::Unpromoted) {
                body.push_str(&format!(
                    "{inner}* Unpromoted (target-role): [ {} ]\n",
                    names(&started)
                ));
            } else {
                body.push_str(&format!("{inner}* Unpromoted: [ {} ]\n", names(&started)));
            }
        } else {
            body.push_str(&format!("{inner}* Started: [ {} ]\n", names(&started)));
        }
    }
    let active_instances = promoted.len() + started.len();
    if !res.clone.unique && res.clone.clone_max > active_instances {
        let mut candidates: Vec<NodeIdx> = res.allowed.keys().copied().collect();
        if candidates.is_empty() {
            candidates = res.known_on.clone();
        }
        sort(&mut candidates);
        let running = ws.collective_running_on(r);
        let disabled = is_disabled(ws, r);
        let mut by_state: Vec<(String, Vec<NodeIdx>)> = Vec::new();
        for n in candidates {
            if running.contains(&n) {
                continue;
            }
            let state = if let Some(rc) = res.failed_probe.get(&n) {
                format!("Stopped ({})", super::failures::exit_status_text(*rc))
            } else if disabled {
                "Stopped (disabled)".to_string()
            } else {
                "Stopped".to_string()
            };
            match by_state.iter_mut().find(|(s, _)| *s == state) {
                Some((_, v)) => v.push(n),
                None => by_state.push((state, vec![n])),
            }
        }
        by_state.sort_by(|a, b| a.0.cmp(&b.0));
        for (state, nodes) in by_state {
            body.push_str(&format!("{inner}* {state}: [ {} ]\n", names(&nodes)));
        }
    }
    out.push_str(&format!("{indent}* {}:\n", clone_header(ws, r)));
    out.push_str(&body);
}

pub fn resource_list(ws: &WorkingSet, show_pending: bool, out: &mut String) {
    out.push_str("  * Full List of Resources:\n");
    let before = out.len();
    for &r in &ws.top_level {
        // A group or clone active only where it is unmanaged and the node is
        // offline counts as active nowhere: Pacemaker lists it not at all.
        let collective = ws.resources[r].variant != Variant::Primitive;
        if collective && !ws.running_nodes(r).is_empty() && ws.collective_running_on(r).is_empty() {
            continue;
        }
        write_resource(ws, r, 2, show_pending, out);
    }
    if out.len() == before {
        out.push_str("    * No resources\n");
    }
}

/// The full status block (node list, blank line, resource list).
pub fn cluster_status(ws: &WorkingSet, show_pending: bool) -> String {
    let mut out = String::new();
    node_list(ws, &mut out);
    out.push('\n');
    resource_list(ws, show_pending, &mut out);
    out
}
