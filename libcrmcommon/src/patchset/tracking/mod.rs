//! Change detection between two XML trees, reproducing what Pacemaker 2.1.5 records when
//! it infers changes (`xml_calculate_changes` and friends in lib/common/xml.c).
//!
//! libxml2 lets C attach flags to every node and attribute; Pacemaker marks the new tree
//! in place and then walks it to build the patchset. We mirror the new tree with nodes
//! that borrow from it and carry the same flags, and follow the same steps in the same
//! order, because the patchset depends on details of that process:
//!
//! * children are matched by element name plus `id` when the needle has one (else the
//!   first child of that name), comments by content *and* position;
//! * positions count earlier siblings that are not flagged "skip", and the skip flags
//!   are set as the walk goes (deleted old children, created new children, and one side
//!   of every move), so later positions depend on earlier decisions;
//! * a removed attribute is re-appended to the new element, flagged deleted, so it is
//!   listed after the surviving attributes.
//!
//! CIBs are large and most writes change one attribute, so the walk avoids work C's
//! result does not depend on: a pair of subtrees that compare equal (and whose matching
//! cannot go astray, see [`quiet`]) is left unmarked without being copied, long child
//! lists are matched through a hash index, and skip-aware positions are counted
//! incrementally. Flags on the *old* tree only matter among the siblings being compared,
//! so they live in per-call vectors instead of a copy of the old tree.

mod matching;
mod quiet;

use crate::xml::{Attributes, Element, XmlNode};
use matching::{find_comment, SiblingIndex, SkipCounter};

pub(crate) const DIRTY: u8 = 1 << 0;
pub(crate) const DELETED: u8 = 1 << 1;
pub(crate) const CREATED: u8 = 1 << 2;
pub(crate) const MODIFIED: u8 = 1 << 3;
pub(crate) const MOVED: u8 = 1 << 4;
pub(crate) const SKIP: u8 = 1 << 5;
pub(crate) const PROCESSED: u8 = 1 << 6;

/// Name libxml2 gives comment nodes; it shows up in patchset paths.
pub(crate) const COMMENT_NODE_NAME: &str = "comment";

/// A node of one of the compared documents.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    Element(&'a Element),
    Comment(&'a str),
}

impl<'a> Source<'a> {
    pub fn of(node: &'a XmlNode) -> Source<'a> {
        match node {
            XmlNode::Element(e) => Source::Element(e),
            XmlNode::Comment(text) => Source::Comment(text),
        }
    }

    /// The node name as libxml2 reports it (comments are called "comment").
    pub fn name(self) -> &'a str {
        match self {
            Source::Element(e) => &e.name,
            Source::Comment(_) => COMMENT_NODE_NAME,
        }
    }

    pub fn id(self) -> Option<&'a str> {
        match self {
            Source::Element(e) => e.id(),
            Source::Comment(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TrackedAttr<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub flags: u8,
}

/// A node of the new tree with its change flags.
#[derive(Debug)]
pub(crate) struct TrackedNode<'a> {
    pub source: Source<'a>,
    pub flags: u8,
    /// Attributes and children with their flags, present once the node was compared with
    /// an old node it differs from. `None` means no attribute and no descendant carries a
    /// flag: they are exactly the source's.
    marked: Option<Box<Marked<'a>>>,
}

#[derive(Debug)]
struct Marked<'a> {
    attrs: Vec<TrackedAttr<'a>>,
    children: Vec<TrackedNode<'a>>,
}

impl<'a> TrackedNode<'a> {
    fn new(source: Source<'a>) -> TrackedNode<'a> {
        TrackedNode { source, flags: 0, marked: None }
    }

    pub fn name(&self) -> &'a str {
        self.source.name()
    }

    /// The id of the new node. Attributes re-appended as deleted never include an `id`
    /// (a node is only compared with an old one carrying the same id, or none), so this is
    /// the source's.
    pub fn id(&self) -> Option<&'a str> {
        self.source.id()
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Children that carry flags; empty when none does (they are then all unchanged).
    pub fn marked_children(&self) -> &[TrackedNode<'a>] {
        self.marked.as_ref().map_or(&[], |m| &m.children)
    }

    /// Attributes with flags, including re-appended deleted ones; empty when none changed.
    pub fn marked_attrs(&self) -> &[TrackedAttr<'a>] {
        self.marked.as_ref().map_or(&[], |m| &m.attrs)
    }

    /// The first attribute called `name`, including one flagged deleted.
    pub fn attr_as_tracked(&self, name: &str) -> Option<&'a str> {
        match (&self.marked, self.source) {
            (Some(m), _) => m.attrs.iter().find(|a| a.name == name).map(|a| a.value),
            (None, Source::Element(e)) => e.attr(name),
            (None, Source::Comment(_)) => None,
        }
    }

    /// Back to a plain element *including* attributes flagged deleted: C copies created
    /// subtrees into the patchset before dropping those, so when an unmatched old child
    /// was compared with a new child that later turns out to be "created" (old child
    /// without id, new one with), the copy carries the removed attributes.
    pub fn to_element_as_tracked(&self) -> Option<Element> {
        match (&self.marked, self.source) {
            (_, Source::Comment(_)) => None,
            (None, Source::Element(e)) => Some(e.clone()),
            (Some(m), Source::Element(e)) => Some(Element {
                name: e.name.clone(),
                attrs: m.attrs.iter().map(|a| (a.name.to_owned(), a.value.to_owned())).collect(),
                children: m.children.iter().map(TrackedNode::to_xml_node_as_tracked).collect(),
            }),
        }
    }

    fn to_xml_node_as_tracked(&self) -> XmlNode {
        match self.source {
            Source::Comment(text) => XmlNode::Comment(text.to_owned()),
            Source::Element(e) => XmlNode::Element(self.to_element_as_tracked().unwrap_or_else(|| e.clone())),
        }
    }
}

/// Ordinal position of `siblings[index]`, not counting earlier siblings flagged `ignore`
/// (`pcmk__xml_position`).
pub(crate) fn position<T>(siblings: &[T], index: usize, ignore: u8, flags: impl Fn(&T) -> u8) -> usize {
    siblings[..index].iter().filter(|s| flags(s) & ignore == 0).count()
}

/// A child removed between the old and the new tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeletedObject {
    pub path: String,
    /// Only recorded for comments, which have no other identity.
    pub position: Option<usize>,
}

/// The new tree, marked up, plus what was deleted from it.
#[derive(Debug)]
pub(crate) struct TrackedChanges<'a> {
    pub new: TrackedNode<'a>,
    pub deleted: Vec<DeletedObject>,
    options: TrackOptions,
}

impl<'a> TrackedChanges<'a> {
    /// Whether anything at all changed (the document's dirty flag).
    pub fn any(&self) -> bool {
        !self.deleted.is_empty() || self.new.has(DIRTY)
    }

    /// Re-compares the root's attributes, as if the new root had had `new_attrs` from the
    /// start. Only the root's own attribute flags depend on them, so this equals tracking
    /// the whole tree again (used after the version counters were bumped).
    pub fn recompare_root_attrs(&mut self, old: &'a Element, new_attrs: &'a Attributes) {
        let Source::Element(new_root) = self.new.source else { return };
        let mut attrs = fresh_attrs(new_attrs);
        let attrs_dirty = diff_attrs(&old.attrs, &mut attrs, self.options);
        match &mut self.new.marked {
            Some(m) => m.attrs = attrs,
            None => {
                let children = new_root.children.iter().map(|c| TrackedNode::new(Source::of(c))).collect();
                self.new.marked = Some(Box::new(Marked { attrs, children }));
            }
        }
        if attrs_dirty {
            self.new.flags |= DIRTY;
        }
    }
}

/// Options of the comparison.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TrackOptions {
    /// Ignore attributes that only changed position (`xml_calculate_significant_changes`).
    pub lazy: bool,
}

/// Compares `old` with `new` the way `xml_calculate_changes` does. Returns `None` when the
/// roots differ in name or id, where C refuses to compare.
pub(crate) fn calculate_changes<'a>(
    old: &'a Element,
    new: &'a Element,
    options: TrackOptions,
) -> Option<TrackedChanges<'a>> {
    if !old.name.eq_ignore_ascii_case(&new.name) || !ids_match_ignoring_case(old.id(), new.id()) {
        return None;
    }
    let mut new_tracked = TrackedNode::new(Source::Element(new));
    let mut deleted = Vec::new();
    let root_path = super::xpath::child_path("", new_tracked.name(), new_tracked.id());
    let mut walker = Walker { deleted: &mut deleted, options };
    walker.mark_changes(old, &mut new_tracked, &root_path);
    Some(TrackedChanges { new: new_tracked, deleted, options })
}

fn ids_match_ignoring_case(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

struct Walker<'w> {
    deleted: &'w mut Vec<DeletedObject>,
    options: TrackOptions,
}

fn fresh_attrs(attrs: &Attributes) -> Vec<TrackedAttr<'_>> {
    attrs.iter().map(|(n, v)| TrackedAttr { name: n, value: v, flags: 0 }).collect()
}

impl Walker<'_> {
    /// `mark_xml_changes` for an element pair: `new_path` is the patchset path of `new`.
    fn mark_changes<'a>(&mut self, old: &'a Element, new: &mut TrackedNode<'a>, new_path: &str) {
        if new.has(PROCESSED) {
            return;
        }
        new.flags |= PROCESSED;
        // A comment matches only a comment with the same content: nothing to compare.
        let Source::Element(new_element) = new.source else { return };
        if quiet::is_quiet(old, new_element) {
            return;
        }
        let mut attrs = fresh_attrs(&new_element.attrs);
        let mut dirty = diff_attrs(&old.attrs, &mut attrs, self.options);
        let mut children: Vec<TrackedNode<'a>> =
            new_element.children.iter().map(|c| TrackedNode::new(Source::of(c))).collect();
        dirty |= self.mark_children(&old.children, &new_element.children, &mut children, new_path);
        if dirty || children.iter().any(|c| c.has(DIRTY)) {
            new.flags |= DIRTY;
        }
        new.marked = Some(Box::new(Marked { attrs, children }));
    }

    /// The children part of `mark_xml_changes`: `new_children` mirrors `new_sources`.
    /// Returns whether a child was created or moved.
    fn mark_children<'a>(
        &mut self,
        old_children: &'a [XmlNode],
        new_sources: &'a [XmlNode],
        new_children: &mut [TrackedNode<'a>],
        new_path: &str,
    ) -> bool {
        let new_index = SiblingIndex::new(new_sources);
        let old_index = SiblingIndex::new(old_children);
        let mut old_skipped = vec![false; old_children.len()];

        // Original children: compare the ones still present, record the ones removed.
        // Only the current old child gets skipped here, so its position is a running count
        // (and no new child is skipped yet).
        let mut old_position = 0;
        for (oi, old_child) in old_children.iter().enumerate() {
            let found = match old_child {
                XmlNode::Element(e) => new_index.find(new_sources, &e.name, e.id()),
                XmlNode::Comment(text) => {
                    find_comment(new_sources, |i| new_children[i].has(SKIP), old_position, text)
                }
            };
            match found {
                Some(ni) => {
                    let child_path =
                        super::xpath::child_path(new_path, new_children[ni].name(), new_children[ni].id());
                    if let XmlNode::Element(old_element) = old_child {
                        self.mark_changes(old_element, &mut new_children[ni], &child_path);
                    } else {
                        new_children[ni].flags |= PROCESSED;
                    }
                    old_position += 1;
                }
                None => {
                    let source = Source::of(old_child);
                    let position = matches!(source, Source::Comment(_)).then_some(old_position);
                    self.deleted.push(DeletedObject {
                        path: super::xpath::child_path(new_path, source.name(), source.id()),
                        position,
                    });
                    old_skipped[oi] = true;
                }
            }
        }

        // New children: created ones, and matched ones whose position changed.
        let mut dirty = false;
        let mut old_skips = SkipCounter::new(&old_skipped);
        let mut new_position = 0;
        for new_child in new_children.iter_mut() {
            let found = match new_child.source {
                Source::Element(e) => old_index.find(old_children, &e.name, e.id()),
                Source::Comment(text) => find_comment(old_children, |i| old_skipped[i], new_position, text),
            };
            match found {
                None => {
                    // `pcmk__mark_xml_created`: C flags the whole subtree; the patchset
                    // copies a created node whole, so the flag on its root is enough.
                    new_child.flags |= SKIP | CREATED | DIRTY;
                    dirty = true;
                }
                Some(oi) => {
                    let old_position = oi - old_skips.skipped_before(oi);
                    if new_position != old_position {
                        new_child.flags |= MOVED;
                        if old_position > new_position {
                            if !old_skipped[oi] {
                                old_skipped[oi] = true;
                                old_skips.mark(oi);
                            }
                        } else {
                            new_child.flags |= SKIP;
                        }
                        dirty = true;
                    }
                }
            }
            if !new_child.has(SKIP) {
                new_position += 1;
            }
        }
        dirty
    }
}

/// `xml_diff_attrs`: flags `new_attrs` against `old_attrs`, re-appending removed ones.
/// Returns whether the element itself became dirty.
fn diff_attrs<'a>(old_attrs: &'a Attributes, new_attrs: &mut Vec<TrackedAttr<'a>>, options: TrackOptions) -> bool {
    let mut dirty = false;
    let mut old_flags = vec![0u8; old_attrs.len()];
    for a in new_attrs.iter_mut() {
        a.flags |= CREATED;
    }
    for (oi, (name, old_value)) in old_attrs.iter().enumerate() {
        let Some(ni) = new_attrs.iter().position(|a| a.name == name) else {
            // Re-added at the end, flagged for removal once the patchset is built.
            new_attrs.push(TrackedAttr { name, value: old_value, flags: DELETED });
            dirty = true;
            continue;
        };
        new_attrs[ni].flags &= !CREATED;
        if new_attrs[ni].value != old_value {
            new_attrs[ni].flags |= DIRTY | MODIFIED;
            dirty = true;
            continue;
        }
        if options.lazy {
            continue;
        }
        let new_position = position(new_attrs, ni, SKIP, |a| a.flags);
        let old_position = position(&old_flags, oi, SKIP, |f| *f);
        if new_position != old_position {
            new_attrs[ni].flags |= DIRTY | MOVED;
            if old_position > new_position {
                old_flags[oi] |= SKIP;
            } else {
                new_attrs[ni].flags |= SKIP;
            }
            dirty = true;
        }
    }
    for a in new_attrs.iter_mut() {
        if a.flags & CREATED != 0 {
            a.flags = (a.flags | DIRTY | MODIFIED) & !DELETED;
            dirty = true;
        }
    }
    dirty
}

#[cfg(test)]
mod tests;
