//! A read-only index over an [`Element`] tree giving every XPath node (the document
//! node, elements, attributes, comments) a number in document order, with parent and
//! sibling links, so axes are cheap and node-sets are sorted vectors of numbers.

use crate::xml::{Element, XmlNode};

pub(super) type NodeId = usize;

#[derive(Debug, Clone, Copy)]
pub(super) enum NodeKind<'a> {
    Document,
    Element(&'a Element),
    Comment(&'a str),
    Attribute { name: &'a str, value: &'a str },
}

#[derive(Debug, Clone)]
pub(super) struct NodeEntry<'a> {
    pub kind: NodeKind<'a>,
    pub parent: Option<NodeId>,
    /// Index into the parent's `children` (elements, comments) or `attrs` (attributes).
    pub index_in_parent: usize,
    /// One past the last node of this node's subtree (its attributes included).
    pub subtree_end: NodeId,
    /// One past this element's last attribute; its attributes are `id + 1 .. attrs_end`.
    pub attrs_end: NodeId,
    pub first_child: Option<NodeId>,
    pub next_sibling: Option<NodeId>,
    pub previous_sibling: Option<NodeId>,
}

pub(super) struct Document<'a> {
    pub nodes: Vec<NodeEntry<'a>>,
}

pub(super) const DOCUMENT: NodeId = 0;

impl<'a> Document<'a> {
    pub fn new(root: &'a Element) -> Self {
        let mut nodes = vec![entry(NodeKind::Document, None, 0, 0)];
        let root_id = push_element(&mut nodes, root, DOCUMENT, 0);
        nodes[DOCUMENT].first_child = Some(root_id);

        struct Frame<'a> {
            element: &'a Element,
            id: NodeId,
            next_child: usize,
            last_child: Option<NodeId>,
        }
        // Iterative pre-order walk: programmatically built trees may be arbitrarily deep.
        let mut stack = vec![Frame { element: root, id: root_id, next_child: 0, last_child: None }];
        while let Some(frame) = stack.last_mut() {
            let Some(child) = frame.element.children.get(frame.next_child) else {
                let id = frame.id;
                stack.pop();
                nodes[id].subtree_end = nodes.len();
                continue;
            };
            let index = frame.next_child;
            frame.next_child += 1;
            let parent = frame.id;
            let previous = frame.last_child;
            let child_id = match child {
                XmlNode::Element(e) => push_element(&mut nodes, e, parent, index),
                XmlNode::Comment(text) => {
                    let id = nodes.len();
                    let mut e = entry(NodeKind::Comment(text), Some(parent), index, id + 1);
                    e.attrs_end = id + 1;
                    nodes.push(e);
                    id
                }
            };
            frame.last_child = Some(child_id);
            nodes[child_id].previous_sibling = previous;
            match previous {
                Some(p) => nodes[p].next_sibling = Some(child_id),
                None => nodes[parent].first_child = Some(child_id),
            }
            if let XmlNode::Element(e) = child {
                stack.push(Frame { element: e, id: child_id, next_child: 0, last_child: None });
            }
        }
        let total = nodes.len();
        nodes[DOCUMENT].subtree_end = total;
        nodes[DOCUMENT].attrs_end = 1;
        Document { nodes }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, id: NodeId) -> &NodeEntry<'a> {
        &self.nodes[id]
    }

    pub fn is_attribute(&self, id: NodeId) -> bool {
        matches!(self.nodes[id].kind, NodeKind::Attribute { .. })
    }

    /// The XPath string-value. Our trees keep no text, so elements and the document
    /// have empty string-values.
    pub fn string_value(&self, id: NodeId) -> &'a str {
        match self.nodes[id].kind {
            NodeKind::Document | NodeKind::Element(_) => "",
            NodeKind::Comment(text) => text,
            NodeKind::Attribute { value, .. } => value,
        }
    }

    /// The expanded name as `name()` reports it.
    pub fn name(&self, id: NodeId) -> &'a str {
        match self.nodes[id].kind {
            NodeKind::Element(e) => &e.name,
            NodeKind::Attribute { name, .. } => name,
            NodeKind::Document | NodeKind::Comment(_) => "",
        }
    }

    /// The element a match stands for: itself for elements, the owner for attributes
    /// and comments, the root element for the document node (as Pacemaker's
    /// `getXpathResult` does).
    pub fn owning_element(&self, id: NodeId) -> NodeId {
        match self.nodes[id].kind {
            NodeKind::Element(_) => id,
            NodeKind::Document => self.nodes[DOCUMENT].first_child.unwrap_or(DOCUMENT),
            NodeKind::Comment(_) | NodeKind::Attribute { .. } => self.nodes[id].parent.unwrap_or(DOCUMENT),
        }
    }

    /// Child indices from the root element down to this element.
    pub fn child_path(&self, id: NodeId) -> Vec<usize> {
        let mut path = Vec::new();
        let mut current = id;
        while let Some(parent) = self.nodes[current].parent {
            if parent == DOCUMENT {
                break;
            }
            path.push(self.nodes[current].index_in_parent);
            current = parent;
        }
        path.reverse();
        path
    }
}

fn entry<'a>(kind: NodeKind<'a>, parent: Option<NodeId>, index_in_parent: usize, subtree_end: NodeId) -> NodeEntry<'a> {
    NodeEntry {
        kind,
        parent,
        index_in_parent,
        subtree_end,
        attrs_end: 0,
        first_child: None,
        next_sibling: None,
        previous_sibling: None,
    }
}

/// Appends an element and its attributes; the subtree end is fixed up later.
fn push_element<'a>(nodes: &mut Vec<NodeEntry<'a>>, element: &'a Element, parent: NodeId, index: usize) -> NodeId {
    let id = nodes.len();
    nodes.push(entry(NodeKind::Element(element), Some(parent), index, id + 1));
    for (i, (name, value)) in element.attrs.iter().enumerate() {
        // Namespace declarations are not attributes in the XPath data model.
        if name == "xmlns" || name.starts_with("xmlns:") {
            continue;
        }
        let attr_id = nodes.len();
        let mut a = entry(NodeKind::Attribute { name, value }, Some(id), i, attr_id + 1);
        a.attrs_end = attr_id + 1;
        nodes.push(a);
    }
    let end = nodes.len();
    nodes[id].attrs_end = end;
    nodes[id].subtree_end = end;
    id
}
