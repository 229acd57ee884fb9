//! A read-only index over an [`Element`] tree for XPath evaluation.
//!
//! The document node, elements and comments get entries numbered in document order,
//! with parent and sibling links, so axes are cheap. Attributes get no entries (a CIB's
//! status section has far more attributes than elements): a [`NodeId`] packs the entry
//! number in its high half and, for an attribute, its index in the owner's `attrs` plus
//! one in its low half. Comparing ids therefore compares document order (an element,
//! then its attributes, then its children), and node-sets are sorted id vectors.

use crate::xml::{Element, XmlNode};

pub(super) type NodeId = u64;

/// Marks a missing link in the compact entries.
const NONE: u32 = u32::MAX;

pub(super) const DOCUMENT: NodeId = 0;

#[derive(Debug, Clone, Copy)]
pub(super) enum EntryKind<'a> {
    Document,
    Element(&'a Element),
    Comment(&'a str),
}

/// What a node id denotes.
#[derive(Debug, Clone, Copy)]
pub(super) enum NodeKind<'a> {
    Document,
    Element(&'a Element),
    Comment(&'a str),
    Attribute { name: &'a str, value: &'a str },
}

#[derive(Debug, Clone)]
struct Entry<'a> {
    kind: EntryKind<'a>,
    parent: u32,
    /// Index into the parent's `children`.
    index_in_parent: u32,
    /// One past the last entry of this node's subtree.
    subtree_end: u32,
    first_child: u32,
    next_sibling: u32,
    previous_sibling: u32,
}

pub(super) struct Document<'a> {
    entries: Vec<Entry<'a>>,
}

fn link(value: u32) -> Option<NodeId> {
    (value != NONE).then(|| entry_id(value))
}

fn entry_id(entry: u32) -> NodeId {
    u64::from(entry) << 32
}

fn entry_of(id: NodeId) -> usize {
    (id >> 32) as usize
}

/// For an attribute id, the index in the owner's `attrs`.
fn attr_index(id: NodeId) -> Option<usize> {
    let low = (id & 0xffff_ffff) as usize;
    low.checked_sub(1)
}

impl<'a> Document<'a> {
    /// Indexes `root`. `None` if the tree has more nodes than ids can number.
    pub fn new(root: &'a Element) -> Option<Self> {
        let mut entries = vec![new_entry(EntryKind::Document, NONE, 0)];
        push_entry(&mut entries, EntryKind::Element(root), 0, 0)?;
        entries[0].first_child = 1;

        struct Frame<'a> {
            element: &'a Element,
            entry: u32,
            next_child: usize,
            last_child: u32,
        }
        // Iterative pre-order walk: programmatically built trees may be arbitrarily deep.
        let mut stack = vec![Frame { element: root, entry: 1, next_child: 0, last_child: NONE }];
        while let Some(frame) = stack.last_mut() {
            let Some(child) = frame.element.children.get(frame.next_child) else {
                let entry = frame.entry as usize;
                stack.pop();
                entries[entry].subtree_end = u32::try_from(entries.len()).ok()?;
                continue;
            };
            let index = u32::try_from(frame.next_child).ok()?;
            frame.next_child += 1;
            let parent = frame.entry;
            let previous = frame.last_child;
            let kind = match child {
                XmlNode::Element(e) => EntryKind::Element(e),
                XmlNode::Comment(text) => EntryKind::Comment(text),
            };
            let child_entry = push_entry(&mut entries, kind, parent, index)?;
            frame.last_child = child_entry;
            entries[child_entry as usize].previous_sibling = previous;
            if previous == NONE {
                entries[parent as usize].first_child = child_entry;
            } else {
                entries[previous as usize].next_sibling = child_entry;
            }
            if let XmlNode::Element(e) = child {
                stack.push(Frame { element: e, entry: child_entry, next_child: 0, last_child: NONE });
            }
        }
        entries[0].subtree_end = u32::try_from(entries.len()).ok()?;
        Some(Document { entries })
    }

    pub fn kind(&self, id: NodeId) -> NodeKind<'a> {
        let entry = &self.entries[entry_of(id)];
        match (entry.kind, attr_index(id)) {
            (EntryKind::Element(e), Some(i)) => match e.attrs.get(i) {
                Some((name, value)) => NodeKind::Attribute { name, value },
                None => NodeKind::Element(e),
            },
            (EntryKind::Document, _) => NodeKind::Document,
            (EntryKind::Element(e), None) => NodeKind::Element(e),
            (EntryKind::Comment(c), _) => NodeKind::Comment(c),
        }
    }

    pub fn is_attribute(id: NodeId) -> bool {
        attr_index(id).is_some()
    }

    /// The entry a node belongs to (an attribute's owner for attributes).
    pub fn entry_index(id: NodeId) -> usize {
        entry_of(id)
    }

    /// The id of an entry given its position in document order.
    pub fn entry_node(index: usize) -> NodeId {
        entry_id(index as u32)
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        if Self::is_attribute(id) {
            return Some(id & !0xffff_ffff);
        }
        link(self.entries[entry_of(id)].parent)
    }

    pub fn first_child(&self, id: NodeId) -> Option<NodeId> {
        if Self::is_attribute(id) {
            return None;
        }
        link(self.entries[entry_of(id)].first_child)
    }

    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        if Self::is_attribute(id) {
            return None;
        }
        link(self.entries[entry_of(id)].next_sibling)
    }

    pub fn previous_sibling(&self, id: NodeId) -> Option<NodeId> {
        if Self::is_attribute(id) {
            return None;
        }
        link(self.entries[entry_of(id)].previous_sibling)
    }

    /// The attributes of an element, skipping namespace declarations (which are not
    /// attributes in the XPath data model).
    pub fn attributes(&self, id: NodeId) -> impl Iterator<Item = NodeId> + 'a {
        let element = match (self.entries[entry_of(id)].kind, Self::is_attribute(id)) {
            (EntryKind::Element(e), false) => Some(e),
            _ => None,
        };
        element
            .into_iter()
            .flat_map(|e| e.attrs.iter().enumerate())
            .filter(|(_, (name, _))| *name != "xmlns" && !name.starts_with("xmlns:"))
            .map(move |(i, _)| id + i as u64 + 1)
    }

    /// Entries strictly inside the subtree of `id` (none for attributes), in order.
    pub fn descendants(&self, id: NodeId) -> impl Iterator<Item = NodeId> {
        let range = if Self::is_attribute(id) {
            0..0
        } else {
            let entry = entry_of(id);
            entry + 1..self.entries[entry].subtree_end as usize
        };
        range.map(|i| (i as u64) << 32)
    }

    /// Entries after `id` in document order that are not its descendants. For an
    /// attribute, those following its owner element: the XPath 1.0 spec would include
    /// the owner's descendants, but libxml2 (and so Pacemaker) does not.
    pub fn following(&self, id: NodeId) -> impl Iterator<Item = NodeId> {
        let entry = entry_of(id);
        let start = self.entries[entry].subtree_end as usize;
        (start..self.entries.len()).map(|i| (i as u64) << 32)
    }

    /// The string-value. Our trees keep no text, so elements and the document have
    /// empty string-values.
    pub fn string_value(&self, id: NodeId) -> &'a str {
        match self.kind(id) {
            NodeKind::Document | NodeKind::Element(_) => "",
            NodeKind::Comment(text) => text,
            NodeKind::Attribute { value, .. } => value,
        }
    }

    /// The name as `name()` reports it.
    pub fn name(&self, id: NodeId) -> &'a str {
        match self.kind(id) {
            NodeKind::Element(e) => &e.name,
            NodeKind::Attribute { name, .. } => name,
            NodeKind::Document | NodeKind::Comment(_) => "",
        }
    }

    /// The element a match stands for: itself for elements, the owner for attributes
    /// and comments, the root element for the document node (as Pacemaker's
    /// `getXpathResult` does).
    pub fn owning_element(&self, id: NodeId) -> NodeId {
        match self.kind(id) {
            NodeKind::Element(_) => id,
            NodeKind::Document => self.first_child(DOCUMENT).unwrap_or(DOCUMENT),
            NodeKind::Comment(_) | NodeKind::Attribute { .. } => self.parent(id).unwrap_or(DOCUMENT),
        }
    }

    /// Child indices from the root element down to the element or comment `id`.
    pub fn child_path(&self, id: NodeId) -> Vec<usize> {
        let mut path = Vec::new();
        let mut current = entry_of(id);
        while current > 1 {
            let entry = &self.entries[current];
            path.push(entry.index_in_parent as usize);
            current = entry.parent as usize;
        }
        path.reverse();
        path
    }
}

fn new_entry(kind: EntryKind<'_>, parent: u32, index_in_parent: u32) -> Entry<'_> {
    Entry {
        kind,
        parent,
        index_in_parent,
        subtree_end: 0,
        first_child: NONE,
        next_sibling: NONE,
        previous_sibling: NONE,
    }
}

/// Appends an entry; its subtree end is fixed up later for elements.
fn push_entry<'a>(entries: &mut Vec<Entry<'a>>, kind: EntryKind<'a>, parent: u32, index: u32) -> Option<u32> {
    let number = u32::try_from(entries.len()).ok().filter(|&n| n != NONE)?;
    if let EntryKind::Element(e) = kind {
        // Attribute positions must fit the low half of an id.
        u32::try_from(e.attrs.len()).ok().filter(|&n| n < u32::MAX)?;
    }
    let mut entry = new_entry(kind, parent, index);
    entry.subtree_end = number + 1;
    entries.push(entry);
    Some(number)
}
