//! What the graph needs from the CIB's configuration that the working set does
//! not keep: each resource's XML (instance attributes, operation definitions)
//! and the operation defaults.

use std::collections::HashMap;

use libcrmcommon::xml::Element;

use crate::model::{RscIdx, WorkingSet};

/// Resource definitions and templates by XML id.
pub(super) struct Config<'a> {
    resources: HashMap<&'a str, &'a Element>,
    templates: HashMap<&'a str, &'a Element>,
}

impl<'a> Config<'a> {
    /// Definitions from the CIB, and those of bundles' implicit resources
    /// (which exist only in the working set).
    pub fn new(cib: &'a Element, ws: &'a WorkingSet) -> Self {
        let mut config = Self::from_cib(cib);
        for (r, res) in ws.resources.iter().enumerate() {
            if let (true, Some(xml)) = (crate::sched::bundle::is_bundle_member(ws, r), res.config_xml.as_ref()) {
                config.resources.entry(res.id.as_str()).or_insert(xml);
            }
        }
        config
    }

    fn from_cib(cib: &'a Element) -> Self {
        let mut config = Config {
            resources: HashMap::new(),
            templates: HashMap::new(),
        };
        let Some(configuration) = cib.child("configuration") else {
            return config;
        };
        if let Some(resources) = configuration.child("resources") {
            config.index(resources);
        }
        config
    }

    fn index(&mut self, parent: &'a Element) {
        for e in parent.elements() {
            match e.name.as_str() {
                "primitive" | "group" | "clone" | "master" | "bundle" => {
                    if let Some(id) = e.id() {
                        self.resources.entry(id).or_insert(e);
                    }
                    self.index(e);
                }
                "template" => {
                    if let Some(id) = e.id() {
                        self.templates.entry(id).or_insert(e);
                    }
                }
                _ => {}
            }
        }
    }

    /// The XML a resource was unpacked from (for a clone instance, the
    /// definition shared by all instances), if it is still configured.
    pub fn resource_xml(&self, ws: &WorkingSet, r: RscIdx) -> Option<&'a Element> {
        self.resources.get(xml_id(ws, r)).copied()
    }

    /// The template a primitive was defined from, if any.
    pub fn template_of(&self, xml: &Element) -> Option<&'a Element> {
        xml.attr("template")
            .and_then(|t| self.templates.get(t).copied())
    }

    /// A resource's `<op>` definitions, its own first, then its template's.
    pub fn op_definitions(&self, ws: &WorkingSet, r: RscIdx) -> Vec<&'a Element> {
        let mut out = Vec::new();
        if let Some(xml) = self.resource_xml(ws, r) {
            for source in std::iter::once(xml).chain(self.template_of(xml)) {
                if let Some(ops) = source.child("operations") {
                    out.extend(ops.elements().filter(|e| e.name == "op"));
                }
            }
        }
        out
    }
}

/// The id of the XML a resource came from: clone instances ("rsc:2") share
/// their definition's id ("rsc").
pub(super) fn xml_id(ws: &WorkingSet, r: RscIdx) -> &str {
    let id = ws.resources[r].id.as_str();
    if ws.resources[r].instance.is_none() {
        return id;
    }
    match id.rfind(':') {
        Some(pos) if pos + 1 < id.len() && id[pos + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &id[..pos]
        }
        _ => id,
    }
}
