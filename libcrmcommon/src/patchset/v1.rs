//! Applying legacy v1 patchsets (`apply_v1_patchset`): a `diff-removed` tree whose
//! `__crm_diff_marker__="removed:top"` nodes are deleted, then a `diff-added` tree whose
//! attributes are (re)set and whose `added:top` nodes are appended. Nodes of both trees
//! are matched to the CIB by name and id; comments by content only, and v1 neither
//! deletes nor adds comments (C's code paths for them end up doing nothing but fixing the
//! case of a matching comment).

use super::error::PatchError;
use super::tracking::COMMENT_NODE_NAME;
use crate::xml::{Element, XmlNode};

const MARKER: &str = "__crm_diff_marker__";

pub(crate) fn apply(cib: &Element, diff: &Element) -> Result<Element, PatchError> {
    let mut result = cib.clone();
    if let Some(removed) = diff.child("diff-removed") {
        if removed.children.len() > 1 {
            return Err(PatchError::NotUnique);
        }
        if let Some(XmlNode::Element(patch)) = removed.children.first() {
            if same_identity(&result, patch) && patch.attr(MARKER) == Some("removed:top") {
                return Err(PatchError::DiffFailed("a v1 patch cannot remove the root".into()));
            }
            process_removals(&mut result, patch);
        }
    }
    if let Some(added) = diff.child("diff-added") {
        if added.children.len() > 1 {
            return Err(PatchError::NotUnique);
        }
        if let Some(XmlNode::Element(patch)) = added.children.first() {
            process_additions(&mut result, patch);
        }
    }
    purge_markers(&mut result);
    Ok(result)
}

/// `pcmk__xml_match(haystack, needle, false)` for an element needle: the first child
/// named alike (comments being named "comment"), with the same id if the needle has one.
fn match_element<'a>(haystack: &'a Element, name: &str, id: Option<&str>) -> Option<&'a XmlNode> {
    haystack.children.iter().find(|c| match c {
        XmlNode::Element(e) => e.name == name && (id.is_none() || e.id() == id),
        XmlNode::Comment(_) => name == COMMENT_NODE_NAME && id.is_none(),
    })
}

fn ids_equal(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

fn same_identity(target: &Element, patch: &Element) -> bool {
    target.name.eq_ignore_ascii_case(&patch.name) && ids_equal(target.id(), patch.id())
}

/// `process_v1_removals` below `target`: deletes the children marked `removed:top`.
fn process_removals(target: &mut Element, patch: &Element) {
    if !same_identity(target, patch) {
        return;
    }
    let mut i = 0;
    while i < target.children.len() {
        let XmlNode::Element(child) = &target.children[i] else {
            i += 1;
            continue;
        };
        let patch_child = match match_element(patch, &child.name, child.id()) {
            Some(XmlNode::Element(p)) => p,
            _ => {
                i += 1;
                continue;
            }
        };
        if same_identity(child, patch_child) && patch_child.attr(MARKER) == Some("removed:top") {
            target.children.remove(i);
            continue;
        }
        if let XmlNode::Element(child) = &mut target.children[i] {
            process_removals(child, patch_child);
        }
        i += 1;
    }
}

/// `process_v1_additions` for a `target` that exists.
fn process_additions(target: &mut Element, patch: &Element) {
    if !same_identity(target, patch) {
        return;
    }
    // Each patch attribute is removed and re-added, so it moves to the end.
    for (name, value) in &patch.attrs {
        target.remove_attr(name);
        target.attrs.push(name, value);
    }
    for patch_child in &patch.children {
        match patch_child {
            XmlNode::Comment(text) => {
                // A comment differing only in case takes the patch's spelling.
                if let Some(pos) = target.children.iter().position(|c| matches!(c, XmlNode::Comment(t) if t.eq_ignore_ascii_case(text))) {
                    target.children[pos] = XmlNode::Comment(text.clone());
                }
            }
            XmlNode::Element(p) => {
                let index = match match_element(target, &p.name, p.id()) {
                    Some(found) => target.children.iter().position(|c| std::ptr::eq(c, found)),
                    None => None,
                };
                match index {
                    Some(i) => {
                        if let XmlNode::Element(child) = &mut target.children[i] {
                            process_additions(child, p);
                        }
                    }
                    None if p.attr(MARKER) == Some("added:top") => target.children.push(XmlNode::Element(p.clone())),
                    None => {}
                }
            }
        }
    }
}

fn purge_markers(e: &mut Element) {
    e.remove_attr(MARKER);
    e.elements_mut().for_each(purge_markers);
}
