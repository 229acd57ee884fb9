//! An owned XML element tree, shaped like the documents Pacemaker exchanges.
//!
//! Pacemaker drops text content (libxml2 blank removal, and its serializer never emits
//! text), so a node is either an element or a comment. Attribute order is document order
//! and matters: digests are taken over the serialized bytes.

use super::attributes::Attributes;

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlNode {
    Element(Element),
    Comment(String),
}

impl XmlNode {
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            XmlNode::Element(e) => Some(e),
            XmlNode::Comment(_) => None,
        }
    }

    pub fn as_element_mut(&mut self) -> Option<&mut Element> {
        match self {
            XmlNode::Element(e) => Some(e),
            XmlNode::Comment(_) => None,
        }
    }
}

/// An XML element with its attributes (in document order) and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Attributes,
    pub children: Vec<XmlNode>,
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element { name: name.into(), attrs: Attributes::new(), children: Vec::new() }
    }

    /// Builder-style attribute setter.
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder-style child appender.
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(XmlNode::Element(child));
        self
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.value(name)
    }

    pub fn has_attr(&self, name: &str) -> bool {
        self.attrs.position(name).is_some()
    }

    /// Integer attribute, with Pacemaker's leniency: missing or unparsable is `None`.
    pub fn attr_i64(&self, name: &str) -> Option<i64> {
        self.attr(name).and_then(|v| v.trim().parse().ok())
    }

    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// Sets an attribute, keeping its position if it already exists.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.attrs.position(&name) {
            Some(i) => self.attrs.set_value(i, &value),
            None => self.attrs.push(&name, &value),
        }
    }

    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let pos = self.attrs.position(name)?;
        Some(self.attrs.remove(pos).1)
    }

    pub fn push_child(&mut self, child: Element) -> &mut Element {
        self.children.push(XmlNode::Element(child));
        match self.children.last_mut() {
            Some(XmlNode::Element(e)) => e,
            _ => unreachable!("just pushed an element"),
        }
    }

    /// Child elements, skipping comments.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(XmlNode::as_element)
    }

    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(XmlNode::as_element_mut)
    }

    pub fn first_element(&self) -> Option<&Element> {
        self.elements().next()
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.name == name)
    }

    /// The child with this element name and id (`id` `None` matches any id).
    pub fn child_by_id(&self, name: &str, id: Option<&str>) -> Option<&Element> {
        self.elements().find(|e| e.name == name && (id.is_none() || e.id() == id))
    }

    /// Index into `children` of the child with this element name and id.
    pub fn child_index_by_id(&self, name: &str, id: Option<&str>) -> Option<usize> {
        self.children.iter().position(|n| match n {
            XmlNode::Element(e) => e.name == name && (id.is_none() || e.id() == id),
            XmlNode::Comment(_) => false,
        })
    }

    /// Returns the existing child named `name` or appends a new empty one.
    pub fn ensure_child(&mut self, name: &str) -> &mut Element {
        if let Some(i) = self.child_index_by_id(name, None) {
            self.children[i].as_element_mut().expect("index of an element")
        } else {
            self.push_child(Element::new(name))
        }
    }

    /// Removes and returns the first child element named `name`.
    pub fn remove_child(&mut self, name: &str) -> Option<Element> {
        let i = self.child_index_by_id(name, None)?;
        match self.children.remove(i) {
            XmlNode::Element(e) => Some(e),
            XmlNode::Comment(_) => None,
        }
    }

    /// A copy of this element with its attributes but no children.
    pub fn shallow_copy(&self) -> Element {
        Element { name: self.name.clone(), attrs: self.attrs.clone(), children: Vec::new() }
    }

    /// Walks the tree depth first (pre-order) over elements.
    pub fn descendants(&self) -> Descendants<'_> {
        Descendants { stack: vec![self] }
    }

    /// The element reached by following child indices (into `children`).
    pub fn at_path(&self, path: &[usize]) -> Option<&Element> {
        let mut cur = self;
        for &i in path {
            cur = cur.children.get(i)?.as_element()?;
        }
        Some(cur)
    }

    pub fn at_path_mut(&mut self, path: &[usize]) -> Option<&mut Element> {
        let mut cur = self;
        for &i in path {
            cur = cur.children.get_mut(i)?.as_element_mut()?;
        }
        Some(cur)
    }

    /// Number of elements in this subtree, including this one.
    pub fn count_elements(&self) -> usize {
        self.descendants().count()
    }
}

pub struct Descendants<'a> {
    stack: Vec<&'a Element>,
}

impl<'a> Iterator for Descendants<'a> {
    type Item = &'a Element;

    fn next(&mut self) -> Option<&'a Element> {
        let e = self.stack.pop()?;
        for child in e.children.iter().rev() {
            if let XmlNode::Element(c) = child {
                self.stack.push(c);
            }
        }
        Some(e)
    }
}
