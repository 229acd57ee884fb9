//! An action's `<attributes>` (the agent's parameters and the CRM_meta_*
//! values the executor passes along) and the `<primitive>` naming the agent.

use std::collections::HashMap;

use libcrmcommon::xml::Element;

use crate::model::{RscIdx, Variant, WorkingSet};
use crate::options::is_true;
use crate::rules::{collect_nvpairs, RuleContext};
use crate::sched::actions::Action;

use super::config::{xml_id, Config};
use libcrmcommon::duration::{interval_ms as interval_spec_ms, msec};
use super::view::{self, Kind};

/// Pacemaker's CRM_FEATURE_SET as Debian's 2.1.5 build reports it.
pub const CRM_FEATURE_SET: &str = "3.16.1";

/// Default operation timeout (Pacemaker's CRM_DEFAULT_OP_TIMEOUT_S).
const DEFAULT_TIMEOUT_MS: i64 = 20_000;

/// Attributes in the order they are added, where the first addition of a name
/// wins unless it is explicitly overridden (Pacemaker's hash2field vs crm_xml_add).
#[derive(Default)]
struct AttributeList {
    pairs: Vec<(String, String)>,
}

impl AttributeList {
    fn add_if_absent(&mut self, name: &str, value: &str) {
        if !self.pairs.iter().any(|(n, _)| n == name) {
            self.pairs.push((name.to_string(), value.to_string()));
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        match self.pairs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.pairs.push((name.to_string(), value.to_string())),
        }
    }

    /// A meta-attribute, unless its name looks cluster-internal.
    fn add_meta_if_absent(&mut self, name: &str, value: &str) {
        if name.contains('#') || name.contains(':') {
            return;
        }
        self.add_if_absent(&meta_name(name), value);
    }
}

/// "CRM_meta_" plus the name with dashes turned into underscores.
pub(super) fn meta_name(name: &str) -> String {
    format!("CRM_meta_{}", name.replace('-', "_"))
}

/// Sorted name/value pairs in a map, for a deterministic reading order where
/// Pacemaker iterates a hash table (the output is sorted anyway).
fn sorted(map: &HashMap<String, String>) -> Vec<(&String, &String)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort();
    v
}

/// The `<op>` definition an action was created from (any interval-0 op of
/// the same name; migrations and notifications fall back to "migrate" and
/// "notify" definitions), disabled ones included.
fn op_definition<'a>(config: &Config<'a>, ws: &WorkingSet, a: &Action) -> Option<&'a Element> {
    let r = a.rsc?;
    let ops = config.op_definitions(ws, r);
    let interval = view::interval_ms(a);
    let find = |name: &str| {
        ops.iter().copied().find(|op| {
            op.attr("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && op_interval_ms(op) == interval
        })
    };
    find(&a.task).or_else(|| {
        if a.task.starts_with("migrate") && interval == 0 {
            find("migrate")
        } else if a.task == "notify" && interval == 0 {
            find("notify")
        } else {
            None
        }
    })
}

fn op_interval_ms(op: &Element) -> u64 {
    op.attr("interval")
        .and_then(interval_spec_ms)
        .unwrap_or(0)
}

/// The action's own meta-attributes: operation defaults, then the matching
/// `<op>`'s meta-attributes and XML attributes, with the timeout, interval
/// and start delay normalized to milliseconds.
fn operation_meta(
    config: &Config,
    ws: &WorkingSet,
    a: &Action,
    op: Option<&Element>,
) -> HashMap<String, String> {
    let mut meta = HashMap::new();
    let Some(r) = a.rsc else { return meta };
    let interval = view::interval_ms(a);
    if a.op_meta.is_empty() {
        meta = configured_operation_meta(config, ws, r, a, op);
        let timeout = meta
            .get("timeout")
            .and_then(|t| msec(t))
            .and_then(|ms| i64::try_from(ms).ok())
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        meta.insert("timeout".to_string(), timeout.to_string());
    } else {
        // Assembled (timeout and interval in milliseconds) by the scheduler.
        meta.extend(a.op_meta.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let is_fence_device = ws.resources[r].class == "stonith";
    if is_fence_device && (a.task == "start" || (a.task == "monitor" && interval == 0)) {
        // Fence devices' start and probe take the device's own monitor timeout.
        if let Some(ms) = params(config, ws, r, a)
            .get("pcmk_monitor_timeout")
            .and_then(|t| msec(t))
        {
            meta.insert("timeout".to_string(), ms.to_string());
        }
    }
    normalize_start_delay(&mut meta);
    meta
}

/// Operation meta-data straight from the configuration, for actions the
/// scheduler created without it.
fn configured_operation_meta(
    config: &Config,
    ws: &WorkingSet,
    r: RscIdx,
    a: &Action,
    op: Option<&Element>,
) -> HashMap<String, String> {
    let mut meta = HashMap::new();
    let plain = RuleContext {
        node_attrs: None,
        now: Some(ws.now),
    };
    let interval = view::interval_ms(a);
    meta.extend(crate::sched::monitors::operation_defaults(ws, r, &a.task, interval));
    if a.task == "monitor" && interval == 0 {
        // Probes default to the timeout of the most frequent enabled monitor.
        let shortest = config
            .op_definitions(ws, r)
            .into_iter()
            .filter(|op| op.attr("name") == Some("monitor"))
            .filter(|op| op.attr("enabled").map(is_true).unwrap_or(true))
            .filter(|op| op_interval_ms(op) > 0)
            .min_by_key(|op| op_interval_ms(op));
        if let Some(timeout) = shortest.and_then(|op| op.attr("timeout")) {
            meta.insert("timeout".to_string(), timeout.to_string());
        }
    }
    if let Some(op) = op {
        let mut own = HashMap::new();
        collect_nvpairs(op, "meta_attributes", &plain, &mut own);
        meta.extend(own);
        for (name, value) in &op.attrs {
            meta.insert(name.to_string(), value.to_string());
        }
    }
    meta.remove("id");
    if interval > 0 {
        meta.insert("interval".to_string(), interval.to_string());
    } else {
        meta.remove("interval");
    }
    meta
}

/// A start delay is passed on in milliseconds.
fn normalize_start_delay(meta: &mut HashMap<String, String>) {
    if let Some(delay) = meta.get("start-delay").cloned() {
        let ms = msec(&delay).unwrap_or(0);
        meta.insert("start-delay".to_string(), ms.to_string());
    }
}

/// The resource's instance attributes, evaluated for the action's node,
/// its own winning over its parents'.
fn params(config: &Config, ws: &WorkingSet, r: RscIdx, a: &Action) -> HashMap<String, String> {
    let ctx = RuleContext {
        node_attrs: a.node.map(|n| &ws.nodes[n].attrs),
        now: Some(ws.now),
    };
    let mut out = HashMap::new();
    let mut cur = Some(r);
    while let Some(c) = cur {
        if let Some(xml) = config.resource_xml(ws, c) {
            collect_nvpairs(xml, "instance_attributes", &ctx, &mut out);
            if let Some(template) = config.template_of(xml) {
                collect_nvpairs(template, "instance_attributes", &ctx, &mut out);
            }
        }
        cur = ws.resources[c].parent;
    }
    if let Some(host) = out.get("addr").and_then(|a| crate::sched::bundle::connection_address(ws, r, a)) {
        out.insert("addr".to_string(), host);
    }
    out
}

/// Meta-attributes a resource contributes to its (and its children's)
/// actions: instance number for clone instances, clone limits for clones.
fn add_resource_meta(ws: &WorkingSet, r: RscIdx, list: &mut AttributeList) {
    let res = &ws.resources[r];
    match res.variant {
        Variant::Primitive | Variant::Group => {
            if res.variant == Variant::Primitive {
                if let Some(n) = res.instance {
                    list.set("CRM_meta_clone", &n.to_string());
                }
                if let Some(v) = res.meta.get("remote-node") {
                    list.set("CRM_meta_remote_node", v);
                }
                if let Some(v) = res.meta.get("container") {
                    list.set("CRM_meta_container", v);
                }
                // A bundle replica's address, for what runs inside it.
                if let Some(v) = res.meta.get("external-ip") {
                    list.set("pcmk_external_ip", v);
                }
            }
        }
        Variant::Bundle => {}
        Variant::Clone => {
            let c = &res.clone;
            let flag = |b: bool| if b { "true" } else { "false" };
            list.set("CRM_meta_globally_unique", flag(c.unique));
            list.set("CRM_meta_notify", flag(c.notify));
            list.set("CRM_meta_clone_max", &c.clone_max.to_string());
            list.set("CRM_meta_clone_node_max", &c.clone_node_max.to_string());
            if c.promotable {
                let (max, node_max) = (c.promoted_max.to_string(), c.promoted_node_max.to_string());
                list.set("CRM_meta_promoted_max", &max);
                list.set("CRM_meta_promoted_node_max", &node_max);
                list.set("CRM_meta_master_max", &max);
                list.set("CRM_meta_master_node_max", &node_max);
            }
        }
    }
}

/// Whether the action element carries the node it runs on.
pub(super) fn has_node_info(a: &Action) -> bool {
    a.node.is_some() && (a.task == view::FENCE_TASK || view::kind(a) != Kind::Pseudo)
}

/// The `<attributes>` element of an action.
pub(super) fn attributes(config: &Config, ws: &WorkingSet, a: &Action) -> Element {
    let op = op_definition(config, ws, a);
    let mut meta = operation_meta(config, ws, a, op);
    for (name, value) in view::scheduler_meta(a) {
        meta.insert(name, value);
    }
    if has_node_info(a) {
        if let Some(n) = a.node {
            meta.insert("on_node".to_string(), ws.nodes[n].uname.clone());
            meta.insert("on_node_uuid".to_string(), ws.nodes[n].id.clone());
        }
    }

    let mut list = AttributeList::default();
    let mut numbered = Vec::new();
    list.add_if_absent("crm_feature_set", CRM_FEATURE_SET);
    if let (Some(op), Some(n)) = (op, a.node) {
        let mut extra = HashMap::new();
        let ctx = RuleContext {
            node_attrs: Some(&ws.nodes[n].attrs),
            now: Some(ws.now),
        };
        collect_nvpairs(op, "instance_attributes", &ctx, &mut extra);
        for (name, value) in sorted(&extra) {
            list.add_if_absent(name, value);
        }
    }
    if let Some(r) = a.rsc {
        if a.node.is_some() || ws.resources[r].variant == Variant::Primitive {
            for (name, value) in sorted(&params(config, ws, r, a)) {
                if name.starts_with(|c: char| c.is_ascii_digit()) {
                    // XML attribute names can't start with a digit.
                    numbered.push((name.clone(), value.clone()));
                } else {
                    list.add_if_absent(name, value);
                }
            }
        }
    }
    if let Some(host) = a.rsc.and_then(|_| crate::sched::guest::physical_host(ws, a)) {
        // Where node attributes set from inside a container should go.
        if let Some(target) = a.rsc.and_then(|r| ws.resources[r].meta.get("container-attribute-target")) {
            list.add_meta_if_absent("container-attribute-target", target);
        }
        list.add_meta_if_absent("physical_host", &ws.nodes[host].uname);
    }
    for (name, value) in sorted(&meta) {
        list.add_meta_if_absent(name, value);
    }
    if let Some(r) = a.rsc {
        let mut cur = Some(r);
        while let Some(c) = cur {
            add_resource_meta(ws, c, &mut list);
            cur = ws.resources[c].parent;
        }
    } else if a.task == view::FENCE_TASK {
        if let Some(n) = a.node {
            let attrs: HashMap<String, String> = ws.nodes[n].attrs.clone();
            for (name, value) in sorted(&attrs) {
                list.add_meta_if_absent(name, value);
            }
        }
    }

    let mut pairs = list.pairs;
    pairs.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
    let mut element = Element::new("attributes");
    element.attrs = pairs.into();
    numbered.sort();
    for (name, value) in numbered {
        element = element.with_child(
            Element::new("param")
                .with_attr("name", name)
                .with_attr("value", value),
        );
    }
    element
}

/// The `<primitive>` element naming the resource agent of a real resource action.
pub(super) fn primitive(ws: &WorkingSet, a: &Action) -> Option<Element> {
    let r = a.rsc?;
    let res = &ws.resources[r];
    let clone_name = view::clone_name(ws, a);
    let anonymous = ws
        .enclosing_clone(r)
        .is_some_and(|c| !ws.resources[c].clone.unique);
    let mut e = Element::new("primitive");
    if res.orphan && clone_name.is_some() {
        e.set_attr("id", clone_name.unwrap_or_default());
        e.set_attr("long-id", res.id.clone());
    } else if anonymous {
        let base = xml_id(ws, r).to_string();
        let long = match clone_name {
            Some(name) if name != base => name,
            _ => res.id.clone(),
        };
        e.set_attr("id", base);
        e.set_attr("long-id", long);
    } else {
        e.set_attr("id", res.id.clone());
    }
    e.set_attr("class", res.class.clone());
    if let Some(p) = &res.provider {
        e.set_attr("provider", p.clone());
    }
    e.set_attr("type", res.agent.clone());
    Some(e)
}
