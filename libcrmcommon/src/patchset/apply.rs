//! Applying patchsets (`xml_apply_patchset`, `apply_v2_patchset`).
//!
//! The steps, as in C: optionally check the CIB's version against the patch's source
//! version; carry out every `delete` and `modify` in document order while locating the
//! targets of `create` and `move` (a moved node is parked at the end of its siblings);
//! then do the creates and moves sorted (stably) by their `position`; finally, if the
//! patch has a `digest`, compare it with the versioned digest of the result.
//!
//! A failed change does not stop the others; the last failure is the one reported, as in
//! C. Unlike C, which edits in place and leaves a half-patched tree behind, the CIB is
//! only replaced when everything succeeded.

use super::arena::{Arena, NodeId, Payload};
use super::error::PatchError;
use super::version::{int_attr, triple, VERSION_ATTRS};
use super::{v1, xpath};
use crate::digest;
use crate::xml::{Attributes, Element, XmlNode};

/// Applies `diff` to `cib` (`xml_apply_patchset(cib, diff, check_version)`). The digest
/// is checked whenever the patch carries one, as in C. On error `cib` is unchanged.
///
/// `check_version` refuses patches whose source version is not the CIB's current one
/// (`crm_diff --cib` and the CIB manager's `cib_process_diff` set it).
///
/// Attribute order after a `modify` is the change result's order: the CIB manager, too,
/// applies patches to an untracked copy of its CIB.
pub fn apply(cib: &mut Element, diff: &Element, check_version: bool) -> Result<(), PatchError> {
    let format = int_attr(diff, "format").or(1);
    if check_version {
        check_versions(cib, diff)?;
    }
    let patched = match format {
        1 => v1::apply(cib, diff)?,
        2 => apply_v2(cib, diff)?,
        other => return Err(PatchError::UnknownFormat(other)),
    };
    if let Some(expected) = diff.attr("digest") {
        let calculated = digest::versioned(&patched);
        if !calculated.eq_ignore_ascii_case(expected) {
            return Err(PatchError::DigestMismatch { expected: expected.to_owned(), calculated });
        }
    }
    *cib = patched;
    Ok(())
}

/// The source and target versions a patchset declares (`xml_patch_versions`), each
/// field defaulting to the corresponding one in `defaults` when absent.
pub fn versions(diff: &Element, defaults_source: [i32; 3], defaults_target: [i32; 3]) -> ([i32; 3], [i32; 3]) {
    let format = int_attr(diff, "format").or(1);
    let (mut source, mut target) = (defaults_source, defaults_target);
    if let Some(node) = version_node(diff, format, false) {
        source = triple(node, source);
    }
    if let Some(node) = version_node(diff, format, true) {
        target = triple(node, target);
    }
    (source, target)
}

/// Where a patchset keeps its versions (`find_patch_xml_node`).
fn version_node(diff: &Element, format: i32, target: bool) -> Option<&Element> {
    match format {
        1 => {
            let section = diff.child(if target { "diff-added" } else { "diff-removed" })?;
            Some(section.child("cib").unwrap_or(section))
        }
        2 => diff.child("version")?.child(if target { "target" } else { "source" }),
        _ => None,
    }
}

/// `xml_patch_version_check`.
fn check_versions(cib: &Element, diff: &Element) -> Result<(), PatchError> {
    let current = triple(cib, [0; 3]).map(|v| v.max(0));
    let (source, target) = versions(diff, current, [current[0], current[1], current[2].wrapping_add(1)]);
    for field in 0..VERSION_ATTRS.len() {
        if current[field] < source[field] {
            return Err(PatchError::DiffResync);
        }
        if current[field] > source[field] {
            return Err(PatchError::OldData);
        }
    }
    if !(0..VERSION_ATTRS.len()).any(|field| target[field] > source[field]) {
        return Err(PatchError::OldData);
    }
    Ok(())
}

/// A create or move, located in the first pass and carried out in the second.
struct Deferred<'a> {
    change: &'a Element,
    target: NodeId,
    is_create: bool,
}

fn apply_v2(cib: &Element, diff: &Element) -> Result<Element, PatchError> {
    let mut tree = Arena::from_element(cib);
    let mut failure: Option<PatchError> = None;
    let mut deferred: Vec<Deferred<'_>> = Vec::new();

    for change in diff.elements() {
        let Some(op) = change.attr("operation") else { continue };
        let path = change.attr("path").unwrap_or_default();
        // Only deletes locate comments by position.
        let comment_position = if op == "delete" {
            usize::try_from(int_attr(change, "position").or(-1)).ok()
        } else {
            None
        };
        let Some(target) = xpath::resolve(&tree, path, comment_position) else {
            if op != "delete" {
                failure = Some(PatchError::DiffFailed(format!("no match for {op} of {path}")));
            }
            continue;
        };
        match op {
            "create" | "move" => {
                if op == "move" {
                    park_at_end(&mut tree, target);
                }
                deferred.push(Deferred { change, target, is_create: op == "create" });
            }
            "delete" => {
                if target == tree.root {
                    failure = Some(PatchError::DiffFailed("a patch cannot delete the root".into()));
                } else {
                    tree.detach(target);
                }
            }
            "modify" => {
                if let Err(e) = modify(&mut tree, target, change) {
                    failure = Some(e);
                }
            }
            other => failure = Some(PatchError::DiffFailed(format!("unknown operation {other}"))),
        }
    }

    // Stable, like g_list_sort.
    deferred.sort_by_key(|d| int_attr(d.change, "position").or(-1));
    for d in &deferred {
        let result = if d.is_create { create(&mut tree, d.target, d.change) } else { move_node(&mut tree, d.target, d.change) };
        if let Err(e) = result {
            failure = Some(e);
        }
    }

    match failure {
        Some(e) => Err(e),
        None => Ok(tree.to_element()),
    }
}

fn park_at_end(tree: &mut Arena, node: NodeId) {
    if let Some(parent) = tree.node(node).parent {
        tree.detach(node);
        let end = tree.node(parent).children.len();
        tree.insert(parent, end, node);
    }
}

fn modify(tree: &mut Arena, target: NodeId, change: &Element) -> Result<(), PatchError> {
    let result = change
        .child("change-result")
        .and_then(|r| r.children.first())
        .ok_or(PatchError::MissingChangeResult)?;
    let wanted = match result {
        XmlNode::Element(e) => e.attrs.clone(),
        // C takes the attributes of whatever node comes first; a comment has none.
        XmlNode::Comment(_) => Attributes::new(),
    };
    // Setting attributes on a comment fails silently in C.
    if let Payload::Element { attrs, .. } = &mut tree.node_mut(target).payload {
        *attrs = wanted;
    }
    Ok(())
}

fn create(tree: &mut Arena, parent: NodeId, change: &Element) -> Result<(), PatchError> {
    let path = change.attr("path").unwrap_or_default();
    let content = change
        .children
        .first()
        .ok_or_else(|| PatchError::DiffFailed(format!("create under {path} has no content")))?;
    if matches!(tree.node(parent).payload, Payload::Comment(_)) {
        return Err(PatchError::DiffFailed(format!("create under comment {path}")));
    }
    let position = int_attr(change, "position").or(0);
    let siblings = tree.node(parent).children.len();
    let index = usize::try_from(position).ok().filter(|&p| p < siblings).unwrap_or(siblings);
    let new_node = tree.add_xml_node(content, Some(parent));
    tree.insert(parent, index, new_node);
    Ok(())
}

fn move_node(tree: &mut Arena, node: NodeId, change: &Element) -> Result<(), PatchError> {
    let position = int_attr(change, "position").or(0);
    let current = tree.position(node);
    if let Some(parent) = tree.node(node).parent {
        if i64::from(position) != current as i64 {
            // C looks up the sibling to insert before while the node is still in place,
            // so a target beyond the node's position is one further along.
            let lookup = if i64::from(position) > current as i64 { i64::from(position) + 1 } else { i64::from(position) };
            let before = usize::try_from(lookup).ok().and_then(|i| tree.node(parent).children.get(i).copied());
            tree.detach(node);
            let index = match before {
                Some(sibling) => tree.position(sibling),
                None => tree.node(parent).children.len(),
            };
            tree.insert(parent, index, node);
        }
    }
    let now = tree.position(node);
    if i64::from(position) != now as i64 {
        let path = change.attr("path").unwrap_or_default();
        return Err(PatchError::DiffFailed(format!("moved {path} to position {now} instead of {position}")));
    }
    Ok(())
}
