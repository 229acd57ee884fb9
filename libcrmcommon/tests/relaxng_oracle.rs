//! The native RELAX NG validator against libxml2 (the implementation Pacemaker uses):
//! both must give the same verdict on every CIB of the scheduler corpus and on
//! systematic mutations of them. Skips when the schemas are not installed.

use libcrmcommon::schemas::{Schemas, ValidationEngine, VALIDATE_WITH};
use libcrmcommon::xml::{self, Element, XmlNode};
use std::path::Path;

const CORPUS: &str = "/work/shared/scheduler-corpus/xml";

fn schemas() -> Option<&'static Schemas> {
    let schemas = Schemas::system();
    if schemas.latest_index().is_none() {
        eprintln!("no schemas installed; skipping");
        return None;
    }
    Some(schemas)
}

/// Both verdicts; `Err` text describes a disagreement.
fn compare(schemas: &Schemas, doc: &Element, index: usize, label: &str) -> Result<bool, String> {
    let native = schemas.validate_index_with(doc, index, ValidationEngine::Native);
    let libxml2 = schemas.validate_index_with(doc, index, ValidationEngine::Libxml2);
    if native.is_ok() == libxml2.is_ok() {
        Ok(native.is_ok())
    } else {
        Err(format!("{label}: native {native:?} vs libxml2 {libxml2:?}"))
    }
}

#[test]
fn every_installed_pacemaker_schema_loads_natively() {
    let Some(schemas) = schemas() else { return };
    for (index, schema) in schemas.all().iter().enumerate() {
        if let Some(load) = schemas.native_schema(index) {
            assert!(load.is_ok(), "{}: {:?}", schema.name, load.as_ref().err());
        }
    }
}

fn corpus_documents(schemas: &Schemas) -> Vec<(String, Element, usize)> {
    let Ok(entries) = std::fs::read_dir(CORPUS) else {
        eprintln!("no corpus at {CORPUS}");
        return Vec::new();
    };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut documents = Vec::new();
    for path in files {
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(doc) = xml::parse(&text) else { continue };
        let Some(index) = doc.attr(VALIDATE_WITH).and_then(|name| schemas.index_of(name)) else { continue };
        if schemas.rng_path(index).is_none() {
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        documents.push((name, doc, index));
    }
    documents
}

#[test]
fn corpus_verdicts_agree() {
    let Some(schemas) = schemas() else { return };
    let documents = corpus_documents(schemas);
    let mut disagreements = Vec::new();
    let mut valid = 0;
    for (name, doc, index) in &documents {
        match compare(schemas, doc, *index, name) {
            Ok(true) => valid += 1,
            Ok(false) => {}
            Err(e) => disagreements.push(e),
        }
    }
    eprintln!("{} corpus documents, {valid} valid, {} disagreements", documents.len(), disagreements.len());
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Element paths (indices into `children`) of all elements below the root.
fn element_paths(root: &Element) -> Vec<Vec<usize>> {
    fn walk(e: &Element, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        for (i, child) in e.children.iter().enumerate() {
            if let XmlNode::Element(c) = child {
                path.push(i);
                out.push(path.clone());
                walk(c, path, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut out);
    out
}

/// Systematic single mutations of `doc` at up to `per_document` elements, each with a
/// label, handed to `each` one at a time.
fn for_each_mutation(doc: &Element, seed: usize, per_document: usize, each: &mut dyn FnMut(String, Element)) {
    let paths = element_paths(doc);
    let mut out = Vec::new();
    let all_ids: Vec<String> = doc.descendants().filter_map(|e| e.id().map(str::to_string)).collect();
    // Sample elements spread over the document (at most ~40 per document).
    let step = (paths.len() / per_document.max(1)).max(1);
    for (n, path) in paths.iter().enumerate().skip(seed % step).step_by(step) {
        for (label, mutated) in out.drain(..) {
            each(label, mutated);
        }
        let Some(target) = doc.at_path(path) else { continue };
        let label = |what: &str| format!("{what} at {}", xml::element_xpath(doc, path).unwrap_or_default());
        let mut edit = |what: &str, f: &mut dyn FnMut(&mut Element)| {
            let mut copy = doc.clone();
            if let Some(e) = copy.at_path_mut(path) {
                f(e);
                out.push((label(what), copy));
            }
        };
        // Remove each attribute in turn (the first three).
        for (name, _) in target.attrs.iter().take(3) {
            let name = name.to_string();
            edit(&format!("remove @{name}"), &mut |e| {
                e.remove_attr(&name);
            });
        }
        edit("add unknown attribute", &mut |e| e.set_attr("bogus-attribute", "x"));
        edit("add unknown child", &mut |e| {
            e.push_child(Element::new("bogus-element"));
        });
        if let Some(id) = all_ids.get((n * 7 + seed) % all_ids.len().max(1)) {
            if target.has_attr("id") {
                let id = id.clone();
                edit("duplicate id", &mut |e| e.set_attr("id", id.clone()));
            }
        }
        edit("id with blanks", &mut |e| {
            if let Some(id) = e.id().map(str::to_string) {
                e.set_attr("id", format!(" {id} "));
            }
        });
        edit("id not an NCName", &mut |e| {
            if e.has_attr("id") {
                e.set_attr("id", "1-starts-with-digit");
            }
        });
        // Value mutations of every attribute (first four).
        for (name, value) in target.attrs.iter().take(4) {
            for (what, new_value) in [
                ("wrong enum", format!("{value}X")),
                ("bad integer", "12abc".to_string()),
                ("big integer", "1234567890123456789012345".to_string()),
                ("empty", String::new()),
                ("blank padded", format!("  {value}\t")),
                ("negative", "-1".to_string()),
                ("INFINITY", "-INFINITY".to_string()),
                ("boolean", "yes".to_string()),
                ("dangling ref", "no-such-id".to_string()),
            ] {
                edit(&format!("{what} @{name}"), &mut |e| e.set_attr(name, new_value.clone()));
            }
        }
        // Empty the element's children.
        if target.elements().next().is_some() {
            edit("remove all children", &mut |e| e.children.clear());
        }
        edit("rename", &mut |e| e.name = format!("{}s", e.name));
        // Remove the element, or duplicate it, or move it one level up.
        let (parent_path, last) = path.split_at(path.len() - 1);
        let mut copy = doc.clone();
        if let Some(parent) = copy.at_path_mut(parent_path) {
            parent.children.remove(last[0]);
            out.push((label("remove element"), copy));
        }
        let mut copy = doc.clone();
        if let Some(parent) = copy.at_path_mut(parent_path) {
            let twin = parent.children[last[0]].clone();
            parent.children.insert(last[0] + 1, twin);
            out.push((label("duplicate element"), copy));
        }
        if !parent_path.is_empty() {
            let mut copy = doc.clone();
            let (grand_path, parent_index) = parent_path.split_at(parent_path.len() - 1);
            let moved = copy.at_path_mut(parent_path).map(|p| p.children.remove(last[0]));
            if let (Some(moved), Some(grand)) = (moved, copy.at_path_mut(grand_path)) {
                grand.children.insert(parent_index[0] + 1, moved);
                out.push((label("move to grandparent"), copy));
            }
        }
        // Move into the next sibling element.
        let mut copy = doc.clone();
        if let Some(parent) = copy.at_path_mut(parent_path) {
            let sibling =
                (last[0] + 1..parent.children.len()).find(|&i| matches!(parent.children[i], XmlNode::Element(_)));
            if let Some(sibling) = sibling {
                let moved = parent.children.remove(last[0]);
                if let Some(XmlNode::Element(s)) = parent.children.get_mut(sibling - 1) {
                    s.children.push(moved);
                    out.push((label("move into next sibling"), copy));
                }
            }
        }
    }
    for (label, mutated) in out {
        each(label, mutated);
    }
}

#[test]
fn mutated_corpus_verdicts_agree() {
    let Some(schemas) = schemas() else { return };
    let documents = corpus_documents(schemas);
    // RELAXNG_ORACLE_DOCS and RELAXNG_ORACLE_ELEMENTS widen the sample.
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    // Debug builds are ~10x slower; they check a smaller sample by default.
    let (default_docs, default_elements) = if cfg!(debug_assertions) { (15, 6) } else { (60, 15) };
    let limit = env("RELAXNG_ORACLE_DOCS", default_docs);
    let per_document = env("RELAXNG_ORACLE_ELEMENTS", default_elements);
    let step = (documents.len() / limit.max(1)).max(1);
    let mut disagreements = Vec::new();
    let (mut total, mut invalid) = (0, 0);
    for (n, (name, doc, index)) in documents.iter().enumerate().step_by(step) {
        for_each_mutation(doc, n, per_document, &mut |label, mutated| {
            total += 1;
            match compare(schemas, &mutated, *index, &format!("{name}: {label}")) {
                Ok(true) => {}
                Ok(false) => invalid += 1,
                Err(e) => disagreements.push(e),
            }
        });
    }
    eprintln!("{total} mutated documents, {invalid} invalid, {} disagreements", disagreements.len());
    let shown: Vec<_> = disagreements.iter().take(30).cloned().collect();
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), shown.join("\n"));
}

#[test]
fn generated_large_cib_agrees_and_ids_are_document_wide() {
    let Some(schemas) = schemas() else { return };
    let Some(index) = schemas.index_of("pacemaker-3.9") else { return };
    let generator = Path::new("/work/shared/tools/refcluster/gen-cib.py");
    let Ok(out) = std::process::Command::new("python3").arg(generator).args(["4", "50"]).output() else { return };
    let Ok(doc) = xml::parse(&String::from_utf8_lossy(&out.stdout)) else { return };
    assert_eq!(compare(schemas, &doc, index, "generated"), Ok(true));
    // An op reusing a primitive's id, and a constraint to an unknown resource.
    let text = xml::to_compact(&doc).replacen("id=\"r2-mon\"", "id=\"r1\"", 1);
    let dup = xml::parse(&text).expect("reparse");
    assert_eq!(compare(schemas, &dup, index, "duplicate id"), Ok(false));
}
