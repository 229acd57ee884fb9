//! Whether a restricted user may turn one CIB into another.
//!
//! Pacemaker checks writes as they happen on a change-tracked copy of the CIB
//! (`pcmk__check_acl` from `crm_xml_add`, `xml_remove_prop`, `free_xml`, and
//! `pcmk__apply_creation_acl` for new elements); any refusal makes the whole request
//! fail with -EACCES. We compare the old and new documents instead, matching elements
//! the way Pacemaker's change calculation does (same name and, if the old element has
//! one, same id) and applying the same checks:
//!
//! - changing, adding or removing attributes of an element needs write access to it;
//! - removing an element needs write access to it;
//! - creating an element needs write access to it, unless it is "scaffolding" (no
//!   attributes besides `id`, and not inside `<acls>`); its new descendants are checked
//!   the same way.
//!
//! Write access is decided by walking from the element towards the root: the first
//! element marked `write` (and not `deny`) grants it, the first marked `deny` refuses
//! it, and without either it is refused. Which document's rule matches mark an element
//! depends on how the change was made (see [`ChangeKind`]): new elements are always
//! marked by evaluating the rules on the new document. Reordering children is not
//! checked, as in Pacemaker.

use std::fmt;

use super::flags::{walk_grants, MarkTree, Marks};
use super::rules::AclRule;
use crate::xml::{element_xpath, Element, XmlNode};

/// A change the user's ACLs do not allow (Pacemaker answers -EACCES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclDenied {
    pub user: String,
    /// What was attempted: "modify", "delete" or "create".
    pub action: &'static str,
    /// Pacemaker-style XPath of the element concerned.
    pub xpath: String,
}

impl fmt::Display for AclDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ACLs deny user '{}' permission to {} {}", self.user, self.action, self.xpath)
    }
}

impl std::error::Error for AclDenied {}

/// How the new document was produced, which decides where Pacemaker takes an existing
/// element's marks from.
#[derive(Debug, Clone, Copy)]
pub(super) enum ChangeKind<'p> {
    /// Edited in place (modify, create, delete, patch): existing elements keep the marks
    /// of the old document; when new elements are checked, their ancestors also carry
    /// the new document's marks.
    InPlace,
    /// The element at this path of the new document (empty: the whole CIB) replaced its
    /// old counterpart (`cibadmin --replace`): inside it, marks come from the new
    /// document only; above it, from both documents.
    Replaced(&'p [usize]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    ModifyOrDelete,
    Create,
}

pub(super) fn check(user: &str, rules: &[AclRule], old: &Element, new: &Element, kind: ChangeKind<'_>) -> Result<(), AclDenied> {
    let checker = Checker {
        user,
        kind,
        old_root: old,
        new_root: new,
        old_marks: MarkTree::for_document(old, rules),
        new_marks: MarkTree::for_document(new, rules),
    };
    if old.name != new.name {
        // A different root element is a removal of the old root.
        return checker.require(&[checker.old_marks.marks], "delete", old, &[]);
    }
    checker.compare(old, new, &mut Vec::new(), &mut Vec::new())
}

struct Checker<'a> {
    user: &'a str,
    kind: ChangeKind<'a>,
    old_root: &'a Element,
    new_root: &'a Element,
    old_marks: MarkTree,
    new_marks: MarkTree,
}

impl Checker<'_> {
    fn require(&self, chain: &[Marks], action: &'static str, root: &Element, path: &[usize]) -> Result<(), AclDenied> {
        if walk_grants(chain, Marks::grants_write) {
            Ok(())
        } else {
            Err(AclDenied {
                user: self.user.to_string(),
                action,
                xpath: describe(root, path),
            })
        }
    }

    /// The marks Pacemaker sees on an element present in both documents.
    fn matched_marks(&self, old_path: &[usize], new_path: &[usize], purpose: Purpose) -> Marks {
        let old = self.old_marks.at_path(old_path).map_or_else(Marks::default, |m| m.marks);
        let new = self.new_marks.at_path(new_path).map_or_else(Marks::default, |m| m.marks);
        match self.kind {
            ChangeKind::InPlace if purpose == Purpose::ModifyOrDelete => old,
            ChangeKind::InPlace => old.union(new),
            ChangeKind::Replaced(root) if new_path.starts_with(root) => new,
            ChangeKind::Replaced(_) => old.union(new),
        }
    }

    /// Marks from the root down to a matched element (paths of equal length).
    fn matched_chain(&self, old_path: &[usize], new_path: &[usize], purpose: Purpose) -> Vec<Marks> {
        (0..=old_path.len().min(new_path.len()))
            .map(|depth| self.matched_marks(&old_path[..depth], &new_path[..depth], purpose))
            .collect()
    }

    /// Compares matched elements `old` (at `old_path`) and `new` (at `new_path`).
    fn compare(&self, old: &Element, new: &Element, old_path: &mut Vec<usize>, new_path: &mut Vec<usize>) -> Result<(), AclDenied> {
        if attributes_differ(old, new) {
            let chain = self.matched_chain(old_path, new_path, Purpose::ModifyOrDelete);
            self.require(&chain, "modify", self.old_root, old_path)?;
        }
        for (i, old_child) in old.children.iter().enumerate() {
            let result = match find_match(&new.children, old_child) {
                Some(j) => match (old_child, &new.children[j]) {
                    (XmlNode::Element(o), XmlNode::Element(n)) => {
                        old_path.push(i);
                        new_path.push(j);
                        let r = self.compare(o, n, old_path, new_path);
                        new_path.pop();
                        old_path.pop();
                        r
                    }
                    _ => Ok(()),
                },
                None => {
                    // The removed element keeps its own (old) marks; Pacemaker re-marks
                    // it in place before checking.
                    let mut chain = self.matched_chain(old_path, new_path, Purpose::ModifyOrDelete);
                    old_path.push(i);
                    chain.push(self.old_marks.at_path(old_path).map_or_else(Marks::default, |m| m.marks));
                    let r = self.require(&chain, "delete", self.old_root, old_path);
                    old_path.pop();
                    r
                }
            };
            result?;
        }
        for (j, new_child) in new.children.iter().enumerate() {
            if find_match(&old.children, new_child).is_some() {
                continue;
            }
            let mut chain = self.matched_chain(old_path, new_path, Purpose::Create);
            new_path.push(j);
            let result = self.check_created(new_child, &mut chain, new_path);
            new_path.pop();
            result?;
        }
        Ok(())
    }

    /// `pcmk__apply_creation_acl` for a new node and its subtree. `chain` holds the
    /// marks of the node's ancestors.
    fn check_created(&self, node: &XmlNode, chain: &mut Vec<Marks>, new_path: &mut Vec<usize>) -> Result<(), AclDenied> {
        let marks = self.new_marks.at_path(new_path).map_or_else(Marks::default, |m| m.marks);
        chain.push(marks);
        let result = self.check_created_inner(node, chain, new_path);
        chain.pop();
        result
    }

    fn check_created_inner(&self, node: &XmlNode, chain: &mut Vec<Marks>, new_path: &mut Vec<usize>) -> Result<(), AclDenied> {
        let inside_acls = || {
            let parent_path = &new_path[..new_path.len().saturating_sub(1)];
            let own = match node {
                XmlNode::Element(_) => element_xpath(self.new_root, new_path),
                // Pacemaker names a comment's step "comment".
                XmlNode::Comment(_) => element_xpath(self.new_root, parent_path).map(|p| p + "/comment"),
            };
            own.is_some_and(|p| p.contains("/acls/"))
        };
        let scaffolding = match node {
            XmlNode::Element(e) => e.attrs.iter().all(|(name, _)| name == "id"),
            XmlNode::Comment(_) => true,
        } && !inside_acls();
        if !scaffolding {
            self.require(chain, "create", self.new_root, new_path)?;
        }
        if let XmlNode::Element(element) = node {
            for (j, child) in element.children.iter().enumerate() {
                new_path.push(j);
                let result = self.check_created(child, chain, new_path);
                new_path.pop();
                result?;
            }
        }
        Ok(())
    }
}

/// The XPath of the element at `path`, or of a comment's parent followed by `/comment`.
fn describe(root: &Element, path: &[usize]) -> String {
    if let Some(xpath) = element_xpath(root, path) {
        return xpath;
    }
    let parent = &path[..path.len().saturating_sub(1)];
    element_xpath(root, parent).map_or_else(|| "/".to_string(), |p| p + "/comment")
}

/// Whether any attribute was added, removed or changed (order alone does not count).
fn attributes_differ(old: &Element, new: &Element) -> bool {
    old.attrs.len() != new.attrs.len() || old.attrs.iter().any(|(name, value)| new.attr(name) != Some(value))
}

/// Pacemaker's `pcmk__xml_match`: the first sibling with the same element name and, if
/// the needle has an id, the same id; comments match by content.
fn find_match(haystack: &[XmlNode], needle: &XmlNode) -> Option<usize> {
    haystack.iter().position(|candidate| match (needle, candidate) {
        (XmlNode::Element(n), XmlNode::Element(c)) => n.name == c.name && (n.id().is_none() || c.id() == n.id()),
        (XmlNode::Comment(n), XmlNode::Comment(c)) => n == c,
        _ => false,
    })
}
