//! Per-node ACL marks: the union of the permissions of every rule matching a node, kept
//! in a tree that mirrors an [`Element`]'s `children` (comments get empty marks, since
//! XPath matches on comments count for their parent element).

use super::rules::{AclRule, Permission};
use crate::xml::Element;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Marks {
    pub read: bool,
    pub write: bool,
    pub deny: bool,
}

impl Marks {
    pub fn add(&mut self, permission: Permission) {
        match permission {
            Permission::Read => self.read = true,
            Permission::Write => self.write = true,
            Permission::Deny => self.deny = true,
        }
    }

    pub fn union(self, other: Marks) -> Marks {
        Marks { read: self.read || other.read, write: self.write || other.write, deny: self.deny || other.deny }
    }

    /// Pacemaker's `test_acl_mode` for reads: deny wins, write implies read.
    pub fn grants_read(self) -> bool {
        !self.deny && (self.read || self.write)
    }

    /// `test_acl_mode` for writes (and creation, which is checked as a write).
    pub fn grants_write(self) -> bool {
        !self.deny && self.write
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct MarkTree {
    pub marks: Marks,
    pub children: Vec<MarkTree>,
}

impl MarkTree {
    /// An unmarked tree shaped like `element`.
    pub fn blank(element: &Element) -> MarkTree {
        MarkTree {
            marks: Marks::default(),
            children: element
                .children
                .iter()
                .map(|c| c.as_element().map_or_else(MarkTree::default, MarkTree::blank))
                .collect(),
        }
    }

    /// Marks `element` with every rule, as Pacemaker's `pcmk__apply_acl` does.
    pub fn for_document(element: &Element, rules: &[AclRule]) -> MarkTree {
        let mut tree = MarkTree::blank(element);
        for rule in rules {
            for path in rule.matches(element) {
                if let Some(node) = tree.at_path_mut(&path) {
                    node.marks.add(rule.permission);
                }
            }
        }
        tree
    }

    pub fn at_path(&self, path: &[usize]) -> Option<&MarkTree> {
        let mut node = self;
        for &i in path {
            node = node.children.get(i)?;
        }
        Some(node)
    }

    pub fn at_path_mut(&mut self, path: &[usize]) -> Option<&mut MarkTree> {
        let mut node = self;
        for &i in path {
            node = node.children.get_mut(i)?;
        }
        Some(node)
    }

    /// The marks from the root down to the node at `path` (root first).
    pub fn chain(&self, path: &[usize]) -> Vec<Marks> {
        let mut chain = vec![self.marks];
        let mut node = self;
        for &i in path {
            match node.children.get(i) {
                Some(child) => {
                    node = child;
                    chain.push(node.marks);
                }
                None => {
                    chain.push(Marks::default());
                    break;
                }
            }
        }
        chain
    }
}

/// Pacemaker's `pcmk__check_acl` walk: from the node upwards, the first node whose marks
/// grant the access decides yes, the first denied node decides no; the default is no.
/// `chain` lists marks from the root down to the node.
pub(super) fn walk_grants(chain: &[Marks], grants: fn(Marks) -> bool) -> bool {
    for marks in chain.iter().rev() {
        if grants(*marks) {
            return true;
        }
        if marks.deny {
            return false;
        }
    }
    false
}
