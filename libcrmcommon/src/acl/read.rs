//! What a restricted user may read: Pacemaker's `xml_acl_filtered_copy`.
//!
//! The copy is marked with every rule; then, rule by rule, each `deny` rule is evaluated
//! on the copy as filtered so far and its matches are purged; finally the whole copy is
//! purged from the root. Purging an element that is not itself readable strips all its
//! attributes but `id`, purges its children, and removes it entirely (comments included)
//! unless some descendant stayed readable. A readable element is kept whole.

use super::flags::MarkTree;
use super::rules::{AclRule, Permission};
use crate::xml::{Element, XmlNode};

pub(super) fn filtered_copy(doc: &Element, rules: &[AclRule]) -> Option<Element> {
    if rules.is_empty() {
        // A user with no rules reads nothing.
        return None;
    }
    let mut target = doc.clone();
    let mut marks = MarkTree::for_document(&target, rules);
    for rule in rules.iter().filter(|r| r.permission == Permission::Deny) {
        let matches = rule.matches(&target);
        // Purging only touches the match's own subtree (and may remove the match),
        // so going backwards keeps the remaining paths valid.
        for path in matches.iter().rev() {
            let Some((element, node_marks)) = at_path_both(&mut target, &mut marks, path) else { continue };
            if purge(element, node_marks) {
                continue;
            }
            let Some((&last, parent_path)) = path.split_last() else {
                // The root itself has nothing readable.
                return None;
            };
            if let Some((parent, parent_marks)) = at_path_both(&mut target, &mut marks, parent_path) {
                parent.children.remove(last);
                parent_marks.children.remove(last);
            }
        }
    }
    if purge(&mut target, &mut marks) {
        Some(target)
    } else {
        None
    }
}

fn at_path_both<'e, 'm>(
    element: &'e mut Element,
    marks: &'m mut MarkTree,
    path: &[usize],
) -> Option<(&'e mut Element, &'m mut MarkTree)> {
    let element = element.at_path_mut(path)?;
    let marks = marks.at_path_mut(path)?;
    Some((element, marks))
}

/// Returns whether anything under (or at) `element` remains readable; the caller
/// removes the element otherwise.
fn purge(element: &mut Element, marks: &mut MarkTree) -> bool {
    if marks.marks.grants_read() {
        return true;
    }
    element.attrs.retain(|(name, _)| name == "id");
    let mut readable = false;
    let mut i = 0;
    while i < element.children.len() {
        let keep = match (&mut element.children[i], marks.children.get_mut(i)) {
            (XmlNode::Element(child), Some(child_marks)) => purge(child, child_marks),
            _ => false,
        };
        if keep {
            readable = true;
            i += 1;
        } else {
            element.children.remove(i);
            if i < marks.children.len() {
                marks.children.remove(i);
            }
        }
    }
    readable
}
