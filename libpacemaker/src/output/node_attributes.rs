//! The "Node Attributes" section of the cluster status (crm_simulate -A, crm_mon -A), as
//! Pacemaker 2.1.5 prints it: each online node's attributes, sorted by name, without the
//! ones the cluster manages itself; a ping resource's attribute also says whether the
//! node lost connectivity.

use libcrmcommon::xml::Element;

use crate::model::{NodeIdx, RscIdx, WorkingSet};
use crate::output::status::sorted_nodes;

/// Attributes not worth showing: set by the cluster itself.
const HIDDEN_PREFIXES: &[&str] = &["fail-count-", "last-failure-", "shutdown", "terminate", "standby", "#"];

/// The section (with the blank line before it), or nothing when no online node has an
/// attribute to show. `cib` is the CIB `ws` was unpacked from (ping resources' parameters).
pub fn node_attributes(ws: &WorkingSet, cib: &Element) -> String {
    let mut out = String::new();
    for n in sorted_nodes(ws) {
        let node = &ws.nodes[n];
        if !node.online {
            continue;
        }
        let mut names: Vec<&String> =
            node.attrs.keys().filter(|name| !HIDDEN_PREFIXES.iter().any(|p| name.starts_with(p))).collect();
        if names.is_empty() {
            continue;
        }
        names.sort();
        if out.is_empty() {
            out.push_str("\n  * Node Attributes:\n");
        }
        out.push_str(&format!("    * Node: {}:\n", node.uname));
        for name in names {
            let value = &node.attrs[name];
            let mut line = format!("      * {name:<32}\t: {value:<10}");
            if let Some(expected) = ping_expectation(ws, cib, n, name) {
                let score = scan_int(value).unwrap_or(i32::MIN);
                if score <= 0 {
                    line.push_str("\t: Connectivity is lost");
                } else if score < expected {
                    line.push_str(&format!("\t: Connectivity is degraded (Expected={expected})"));
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// When `attribute` is the one a ping resource active on the node maintains: the value
/// it has with every host reachable (hosts × multiplier).
fn ping_expectation(ws: &WorkingSet, cib: &Element, n: NodeIdx, attribute: &str) -> Option<i32> {
    ws.nodes[n].running.iter().find_map(|&r| {
        let params = ping_params(ws, cib, r)?;
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        if !param("name").unwrap_or("pingd").eq_ignore_ascii_case(attribute) {
            return None;
        }
        // The agent splits the host list on single blanks.
        let hosts = param("host_list").map_or(0, |h| h.split(' ').count() as i32);
        let multiplier = param("multiplier").and_then(scan_int).unwrap_or(1);
        Some(hosts.saturating_mul(multiplier))
    })
}

/// A ping (or pingd) resource's instance attributes, from its configuration.
fn ping_params(ws: &WorkingSet, cib: &Element, r: RscIdx) -> Option<Vec<(String, String)>> {
    let res = &ws.resources[r];
    if !(res.agent.eq_ignore_ascii_case("ping") || res.agent.eq_ignore_ascii_case("pingd")) {
        return None;
    }
    let id = crate::unpack::strip_instance(&res.id);
    let resources = cib.child("configuration")?.child("resources")?;
    let primitive = resources.descendants().find(|e| e.name == "primitive" && e.id() == Some(id))?;
    let template = primitive
        .attr("template")
        .and_then(|t| resources.elements().find(|e| e.name == "template" && e.id() == Some(t)));
    let mut params = Vec::new();
    // The primitive's own settings win over its template's.
    for source in [Some(primitive), template].into_iter().flatten() {
        for set in source.elements().filter(|e| e.name == "instance_attributes") {
            for pair in set.elements().filter(|e| e.name == "nvpair") {
                if let (Some(name), Some(value)) = (pair.attr("name"), pair.attr("value")) {
                    if !params.iter().any(|(k, _): &(String, String)| k == name) {
                        params.push((name.to_owned(), value.to_owned()));
                    }
                }
            }
        }
    }
    Some(params)
}

/// The integer a value starts with, as Pacemaker reads one (out-of-range values clamp).
fn scan_int(value: &str) -> Option<i32> {
    let text = value.trim_start();
    let sign = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign..].chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number: i64 = text[..sign + digits].parse().unwrap_or(if text.starts_with('-') { i64::MIN } else { i64::MAX });
    Some(number.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}
