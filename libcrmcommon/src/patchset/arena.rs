//! A mutable tree with stable node handles, for applying patchsets.
//!
//! A patchset's changes are located first and carried out later (creates and moves are
//! sorted and done after every delete and modify), so the nodes they refer to must stay
//! identifiable while siblings come and go. C holds pointers; we hold arena indices.

use crate::xml::{Attributes, Element, XmlNode};

pub(crate) type NodeId = usize;

#[derive(Debug, Clone)]
pub(crate) enum Payload {
    Element { name: String, attrs: Attributes },
    Comment(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub payload: Payload,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
}

#[derive(Debug, Clone)]
pub(crate) struct Arena {
    nodes: Vec<Node>,
    pub root: NodeId,
}

impl Arena {
    pub fn from_element(root: &Element) -> Arena {
        let mut arena = Arena { nodes: Vec::new(), root: 0 };
        arena.root = arena.add_element(root, None);
        arena
    }

    fn add_element(&mut self, e: &Element, parent: Option<NodeId>) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            payload: Payload::Element { name: e.name.clone(), attrs: e.attrs.clone() },
            parent,
            children: Vec::with_capacity(e.children.len()),
        });
        for child in &e.children {
            let child_id = self.add_xml_node(child, Some(id));
            self.nodes[id].children.push(child_id);
        }
        id
    }

    /// Adds a detached copy of `node` (its parent set to `parent`, not yet linked).
    pub fn add_xml_node(&mut self, node: &XmlNode, parent: Option<NodeId>) -> NodeId {
        match node {
            XmlNode::Element(e) => self.add_element(e, parent),
            XmlNode::Comment(text) => {
                let id = self.nodes.len();
                self.nodes.push(Node { payload: Payload::Comment(text.clone()), parent, children: Vec::new() });
                id
            }
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id]
    }

    /// Index of `id` among its parent's children (0 for the root).
    pub fn position(&self, id: NodeId) -> usize {
        self.nodes[id]
            .parent
            .and_then(|p| self.nodes[p].children.iter().position(|&c| c == id))
            .unwrap_or(0)
    }

    /// Unlinks `id` from its parent; the subtree stays in the arena, unreachable.
    pub fn detach(&mut self, id: NodeId) {
        if let Some(parent) = self.nodes[id].parent {
            self.nodes[parent].children.retain(|&c| c != id);
        }
    }

    /// Links `id` under `parent` at `index` (clamped to the end).
    pub fn insert(&mut self, parent: NodeId, index: usize, id: NodeId) {
        let children = &mut self.nodes[parent].children;
        let index = index.min(children.len());
        children.insert(index, id);
        self.nodes[id].parent = Some(parent);
    }

    pub fn to_element(&self) -> Element {
        match self.to_xml_node(self.root) {
            XmlNode::Element(e) => e,
            XmlNode::Comment(_) => Element::default(),
        }
    }

    fn to_xml_node(&self, id: NodeId) -> XmlNode {
        let node = &self.nodes[id];
        match &node.payload {
            Payload::Comment(text) => XmlNode::Comment(text.clone()),
            Payload::Element { name, attrs } => XmlNode::Element(Element {
                name: name.clone(),
                attrs: attrs.clone(),
                children: node.children.iter().map(|&c| self.to_xml_node(c)).collect(),
            }),
        }
    }
}
