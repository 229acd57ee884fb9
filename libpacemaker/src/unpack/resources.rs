//! Resources from the configuration: primitives, groups and clones (with
//! their instances), meta attributes and operation definitions.

use std::collections::HashMap;

use libcrmcommon::xml::{Element, XmlNode};

use crate::model::{OpDef, Resource, Role, RscIdx, Variant, WorkingSet};
use crate::options::is_true;
use super::collect_dated_nvpairs;
use crate::rules::{collect_nvpairs, ResourceAgent, RuleContext, RuleSubject};
use crate::score;

pub(super) fn unpack_resources(
    ws: &mut WorkingSet,
    resources: &Element,
    rsc_defaults: Option<&Element>,
    op_defaults: Option<&Element>,
) {
    ws.op_defaults = op_defaults.cloned();
    let templates: Vec<&Element> = resources
        .elements()
        .filter(|e| e.name == "template")
        .collect();
    let expanded = expand_operation_refs(expand_templates(resources, &templates));
    for xml in expanded.elements() {
        match xml.name.as_str() {
            "primitive" | "group" | "clone" | "master" | "bundle" => {
                if let Some(idx) = unpack_one(ws, xml, None, rsc_defaults, None) {
                    ws.top_level.push(idx);
                }
            }
            "template" => {}
            other => {
                ws.unsupported_resources = true;
                ws.warnings
                    .push(format!("unsupported resource type <{other}> ignored"))
            }
        }
    }
    ws.have_stonith_resource = ws.resources.iter().any(|r| r.is_stonith);
    // Pacemaker keeps top-level resources sorted by priority (stable).
    let mut top = std::mem::take(&mut ws.top_level);
    top.sort_by_key(|&r| -ws.resources[r].priority);
    ws.top_level = top;
}

/// Whether some resource (or the resource defaults) provides or requires
/// unfencing in its meta-attributes, as written (Pacemaker looks for such an
/// nvpair before unpacking anything, so rules and id-refs don't count).
pub(super) fn unfencing_configured(configuration: &Element) -> bool {
    fn unfencing_pair(set: &Element) -> bool {
        set.elements().any(|pair| {
            pair.name == "nvpair"
                && matches!(pair.attr("name"), Some("provides" | "requires"))
                && pair.attr("value") == Some("unfencing")
        })
    }
    let in_resources = configuration.child("resources").is_some_and(|resources| {
        resources
            .descendants()
            .any(|e| e.name == "meta_attributes" && unfencing_pair(e))
    });
    let in_defaults = configuration.child("rsc_defaults").is_some_and(|defaults| {
        defaults
            .elements()
            .any(|e| e.name == "meta_attributes" && unfencing_pair(e))
    });
    in_resources || in_defaults
}

/// Returns a copy of the resources section where every primitive that names
/// a template carries the template's agent, attribute sets and operations
/// (the primitive's own settings win).
fn expand_templates(resources: &Element, templates: &[&Element]) -> Element {
    let mut out = resources.clone();
    if templates.is_empty() {
        return out;
    }
    fn walk(e: &mut Element, templates: &[&Element]) {
        for child in e.elements_mut() {
            if child.name == "primitive" {
                if let Some(tid) = child.attr("template").map(str::to_string) {
                    if let Some(t) = templates.iter().find(|t| t.id() == Some(tid.as_str())) {
                        merge_template(child, t);
                    }
                }
            } else {
                walk(child, templates);
            }
        }
    }
    walk(&mut out, templates);
    out
}

fn merge_template(primitive: &mut Element, template: &Element) {
    for attr in ["class", "provider", "type"] {
        if primitive.attr(attr).is_none() {
            if let Some(v) = template.attr(attr) {
                primitive.set_attr(attr, v);
            }
        }
    }
    // Template sets go first: of sets with equal scores the last one
    // listed wins, so the primitive's own settings override the template's.
    let inherited: Vec<XmlNode> = template
        .elements()
        .filter(|e| e.name != "operations")
        .map(|e| XmlNode::Element(e.clone()))
        .collect();
    primitive.children.splice(0..0, inherited);
    if let Some(tops) = template.child("operations") {
        let ops = primitive.ensure_child("operations");
        for op in tops.elements() {
            // Pacemaker matches template operations by name and role only.
            let role = |e: &Element| e.attr("role").unwrap_or("Started").to_string();
            let same = ops
                .elements()
                .any(|o| o.attr("name") == op.attr("name") && role(o) == role(op));
            if !same {
                ops.push_child(op.clone());
            }
        }
    }
}

/// Returns the resources section with every `<operations id-ref=...>` (and
/// `<op id-ref=...>`) replaced by a copy of the element it refers to.
fn expand_operation_refs(mut resources: Element) -> Element {
    let mut by_id: HashMap<(String, String), Element> = HashMap::new();
    for e in resources.descendants() {
        if (e.name == "operations" || e.name == "op") && e.attr("id-ref").is_none() {
            if let Some(id) = e.id() {
                by_id.insert((e.name.clone(), id.to_string()), e.clone());
            }
        }
    }
    if by_id.is_empty() {
        return resources;
    }
    fn walk(e: &mut Element, by_id: &HashMap<(String, String), Element>) {
        for child in e.elements_mut() {
            if child.name == "operations" || child.name == "op" {
                let target = child
                    .attr("id-ref")
                    .and_then(|r| by_id.get(&(child.name.clone(), r.to_string())));
                if let Some(target) = target {
                    *child = target.clone();
                    continue;
                }
            }
            walk(child, by_id);
        }
    }
    walk(&mut resources, &by_id);
    resources
}

/// An operation interval in milliseconds ("10s", "1m", "500ms", "PT10S" or
/// plain seconds); 0 when it is not one.
pub fn parse_interval_ms(text: &str) -> u64 {
    libcrmcommon::duration::interval_ms(text).unwrap_or(0)
}

/// One `<op>` definition of a primitive.
fn op_definition(ws: &mut WorkingSet, op: &Element, name: &str) -> OpDef {
    let mut meta = std::collections::BTreeMap::new();
    let mut nested = HashMap::new();
    collect_dated_nvpairs(ws, op, "meta_attributes", &RuleSubject::default(), &mut nested);
    meta.extend(nested);
    for (k, v) in &op.attrs {
        meta.insert(k.to_string(), v.to_string());
    }
    meta.remove("id");
    OpDef {
        id: op.id().unwrap_or("").to_string(),
        name: name.to_string(),
        interval_ms: op.attr("interval").map(parse_interval_ms).unwrap_or(0),
        role_text: op.attr("role").map(str::to_string),
        role: op.attr("role").and_then(Role::parse),
        on_fail: op.attr("on-fail").map(str::to_string),
        enabled: op.attr("enabled").map(is_true).unwrap_or(true),
        meta,
    }
}

fn own_meta(ws: &mut WorkingSet, xml: &Element) -> HashMap<String, String> {
    let mut meta = HashMap::new();
    collect_dated_nvpairs(ws, xml, "meta_attributes", &RuleSubject::default(), &mut meta);
    meta
}

pub(super) fn unpack_one(
    ws: &mut WorkingSet,
    xml: &Element,
    parent: Option<RscIdx>,
    rsc_defaults: Option<&Element>,
    instance: Option<usize>,
) -> Option<RscIdx> {
    let base_id = match xml.id() {
        Some(id) => id.to_string(),
        None => {
            ws.warnings
                .push(format!("<{}> without id ignored", xml.name));
            return None;
        }
    };
    let id = match instance {
        Some(n) => format!("{base_id}:{n}"),
        None => base_id.clone(),
    };
    let variant = match xml.name.as_str() {
        "primitive" => Variant::Primitive,
        "group" => Variant::Group,
        "bundle" => Variant::Bundle,
        _ => Variant::Clone,
    };
    let mut rsc = Resource::new(&id, variant, &xml.name);
    rsc.parent = parent;
    rsc.instance = instance;
    rsc.description = xml.attr("description").map(str::to_string);
    rsc.config_xml = Some(crate::sched::digests::definition_of(xml));

    // Meta attributes: own, then inherited from the parent, then defaults.
    let mut meta = own_meta(ws, xml);
    if let Some(p) = parent {
        for (k, v) in &ws.resources[p].meta {
            meta.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    for (k, v) in defaults_for(ws, rsc_defaults, xml) {
        meta.entry(k).or_insert(v);
    }
    if variant == Variant::Clone {
        meta.entry("resource-stickiness".to_string())
            .or_insert_with(|| "1".to_string());
    }

    if variant == Variant::Primitive {
        rsc.class = xml.attr("class").unwrap_or("unknown").to_string();
        rsc.provider = xml.attr("provider").map(str::to_string);
        rsc.agent = xml.attr("type").unwrap_or("unknown").to_string();
        rsc.is_stonith = rsc.class == "stonith";
        rsc.is_remote_connection = super::remote::is_remote_connection_xml(xml);
        rsc.utilization = super::nodes::utilization_of(ws, xml);
        rsc.template = xml.attr("template").map(str::to_string);
        if let Some(ops) = xml.child("operations") {
            for op in ops.elements().filter(|e| e.name == "op") {
                let Some(name) = op.attr("name") else {
                    continue;
                };
                rsc.ops.push(op_definition(ws, op, name));
            }
        }
    }

    rsc.priority = meta
        .get("priority")
        .map(|v| score::parse_or_zero(v))
        .unwrap_or(0);
    rsc.managed = !ws.options.maintenance_mode;
    if let Some(v) = meta.get("is-managed") {
        rsc.managed = is_true(v) && !ws.options.maintenance_mode;
    }
    rsc.maintenance = ws.options.maintenance_mode;
    if meta.get("maintenance").map(|v| is_true(v)).unwrap_or(false) {
        rsc.managed = false;
        rsc.maintenance = true;
    }
    if let Some(v) = meta.get("resource-stickiness") {
        if !v.eq_ignore_ascii_case("default") {
            rsc.stickiness = score::parse_or_zero(v);
        }
    }
    if let Some(v) = meta.get("migration-threshold").filter(|v| !v.eq_ignore_ascii_case("default")) {
        let t = score::parse_or_zero(v);
        rsc.migration_threshold = if t < 0 { 1 } else { t };
    }
    if let Some(v) = meta.get("failure-timeout") {
        rsc.failure_timeout_s = parse_interval_ms(v) / 1000;
    }
    if rsc.is_remote_connection {
        // A reconnect interval works as the connection's failure timeout:
        // a failed connection stays down until its failure expires.
        if let Some(v) = instance_attribute(xml, "reconnect_interval") {
            rsc.remote_reconnect_ms = parse_interval_ms(&v);
            rsc.failure_timeout_s = rsc.remote_reconnect_ms / 1000;
        }
    }
    rsc.target_role = meta
        .get("target-role")
        .and_then(|v| Role::parse(v))
        .filter(|r| *r != Role::Unknown);
    rsc.meta = meta;

    let guest_connection = rsc.is_remote_connection && rsc.meta.contains_key("container");
    let idx = ws.resources.len();
    ws.resources.push(rsc);

    match variant {
        Variant::Primitive => {}
        Variant::Group => {
            for child in xml.elements().filter(|e| e.name == "primitive") {
                let child_instance = instance;
                if let Some(c) = unpack_one(ws, child, Some(idx), rsc_defaults, child_instance) {
                    ws.resources[idx].children.push(c);
                }
            }
        }
        Variant::Clone => unpack_clone(ws, idx, xml, rsc_defaults),
        Variant::Bundle => super::bundle::unpack_bundle_members(ws, idx, xml, rsc_defaults),
    }
    // As in Pacemaker, the default scores come once the members are
    // unpacked, so a bundle's guest nodes made meanwhile are left out.
    if ws.options.symmetric_cluster {
        add_symmetric_default(ws, idx);
    } else if guest_connection {
        // A guest node's connection may go wherever its container goes,
        // even in an asymmetric cluster.
        for n in 0..ws.nodes.len() {
            let score = if ws.nodes[n].bundle_guest { -score::INFINITY } else { ws.nodes[n].weight };
            ws.resources[idx].allowed.entry(n).or_insert(score);
        }
    }
    Some(idx)
}

/// Every node may run the resource and its members (at the node's own
/// score, its `score` attribute), except the
/// bundles' guest nodes and, below a resource that is only looked for where
/// a constraint says (a bundle's inner instance), anything at all.
fn add_symmetric_default(ws: &mut WorkingSet, r: RscIdx) {
    if ws.resources[r].exclusive_discovery {
        return;
    }
    for c in ws.resources[r].children.clone() {
        add_symmetric_default(ws, c);
    }
    for n in (0..ws.nodes.len()).filter(|&n| !ws.nodes[n].bundle_guest) {
        let node_score = ws.nodes[n].weight;
        ws.resources[r].allowed.entry(n).or_insert(node_score);
    }
}

fn unpack_clone(
    ws: &mut WorkingSet,
    idx: RscIdx,
    xml: &Element,
    rsc_defaults: Option<&Element>,
) {
    let node_count = ws.nodes.len();
    let meta = ws.resources[idx].meta.clone();
    let get_usize = |names: &[&str], default: usize| -> usize {
        for n in names {
            if let Some(v) = meta.get(*n) {
                return score::parse(v)
                    .map(|s| s.max(0) as usize)
                    .unwrap_or(default);
            }
        }
        default
    };
    let promotable =
        xml.name == "master" || meta.get("promotable").map(|v| is_true(v)).unwrap_or(false);
    let settings = crate::model::CloneSettings {
        clone_max: get_usize(&["clone-max"], node_count),
        clone_node_max: get_usize(&["clone-node-max"], 1),
        promoted_max: get_usize(&["promoted-max", "master-max"], 1),
        promoted_node_max: get_usize(&["promoted-node-max", "master-node-max"], 1),
        promotable,
        unique: meta
            .get("globally-unique")
            .map(|v| is_true(v))
            .unwrap_or(false),
        ordered: meta.get("ordered").map(|v| is_true(v)).unwrap_or(false),
        interleave: meta.get("interleave").map(|v| is_true(v)).unwrap_or(false),
        notify: meta.get("notify").map(|v| is_true(v)).unwrap_or(false),
    };
    let Some(template) = xml
        .elements()
        .find(|e| e.name == "primitive" || e.name == "group")
    else {
        ws.warnings
            .push(format!("{} has nothing to clone", ws.resources[idx].id));
        return;
    };
    let mut settings = settings;
    if settings.unique && !supports_unique_instances(template) {
        // Agents of other standards can run only as anonymous instances, at
        // most one per node (Pacemaker's pe__force_anon).
        settings.unique = false;
        settings.clone_node_max = 1;
        settings.clone_max = settings.clone_max.min(node_count);
    }
    ws.resources[idx].clone = settings.clone();
    ws.resources[idx].meta.insert(
        "globally-unique".to_string(),
        if settings.unique { "true" } else { "false" }.to_string(),
    );
    ws.resources[idx].meta.insert(
        "promotable".to_string(),
        if promotable { "true" } else { "false" }.to_string(),
    );
    // With clone-max 0, one (orphan) instance still exists for history to
    // be matched to.
    let count = settings.clone_max.max(1);
    for n in 0..count {
        if let Some(c) = unpack_one(ws, template, Some(idx), rsc_defaults, Some(n)) {
            ws.resources[idx].children.push(c);
        }
    }
    if settings.clone_max == 0 {
        for r in ws.resources[idx].children.iter().flat_map(|&c| ws.primitives_of(c)).collect::<Vec<_>>() {
            ws.resources[r].orphan = true;
        }
    }
}

/// Whether every primitive of a clone's template uses an agent standard that
/// can have globally unique instances (OCF and fencing agents only).
fn supports_unique_instances(template: &Element) -> bool {
    let primitives: Vec<&Element> = if template.name == "primitive" {
        vec![template]
    } else {
        template.elements().filter(|e| e.name == "primitive").collect()
    };
    primitives.iter().all(|p| match p.attr("class") {
        Some(class) => class == "ocf" || class == "stonith",
        None => true,
    })
}

/// The rsc_defaults meta-attributes that apply to a resource (their rules
/// may name its agent, as Pacemaker's rsc_expression does).
fn defaults_for(ws: &mut WorkingSet, rsc_defaults: Option<&Element>, xml: &Element) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let Some(defaults) = rsc_defaults {
        let subject = RuleSubject {
            resource: Some(ResourceAgent {
                class: xml.attr("class").unwrap_or(""),
                provider: xml.attr("provider"),
                agent: xml.attr("type").unwrap_or(""),
            }),
            operation: None,
        };
        collect_dated_nvpairs(ws, defaults, "meta_attributes", &subject, &mut out);
    }
    out
}

/// The name a clone instance's history uses (without the instance suffix).
pub fn strip_instance(id: &str) -> &str {
    match id.rfind(':') {
        Some(pos) if id[pos + 1..].chars().all(|c| c.is_ascii_digit()) && pos + 1 < id.len() => {
            &id[..pos]
        }
        _ => id,
    }
}

/// A plain instance attribute of a resource definition (rules not evaluated,
/// as Pacemaker reads connection settings before node attributes are known).
fn instance_attribute(xml: &Element, name: &str) -> Option<String> {
    let mut values = HashMap::new();
    collect_nvpairs(
        xml,
        "instance_attributes",
        &RuleContext {
            node_attrs: None,
            now: None,
        },
        &mut values,
    );
    values.remove(name)
}
