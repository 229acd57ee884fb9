//! The straightforward change tracking this crate used before the fast walk in
//! `tracking` (full copies of both trees, linear matching), kept as the reference the fast
//! walk is tested against: both must give byte-identical patchsets on any input.

#![allow(dead_code)]

use super::version::{self, VersionBump};
use super::v2_changes;
use super::xpath::child_path;
use crate::xml::{Element, XmlNode};

/// The patchset `create` builds, by the reference walk (no digest, no `no_version`).
pub(crate) fn create(old: &Element, new: &Element, lazy: bool) -> Option<Element> {
    let changes = calculate_changes(old, new, TrackOptions { lazy })?;
    changes.any().then(|| build(old, &changes))
}

/// `bump_versions` by the reference walk.
pub(crate) fn bump_versions(old: &Element, new: &mut Element) -> VersionBump {
    match calculate_changes(old, new, TrackOptions::default()) {
        Some(changes) if changes.any() => version::bump(new, is_config_change(&changes)),
        _ => VersionBump::Unchanged,
    }
}

fn is_config_change(changes: &TrackedChanges) -> bool {
    let config_dirty = changes
        .new
        .children()
        .iter()
        .find(|c| matches!(&c.kind, TrackedKind::Element { name, .. } if name == "configuration"))
        .is_some_and(|c| c.has(DIRTY));
    config_dirty || changes.deleted.iter().any(|d| d.path.contains("/cib/configuration"))
}



const DIRTY: u8 = 1 << 0;
const DELETED: u8 = 1 << 1;
const CREATED: u8 = 1 << 2;
const MODIFIED: u8 = 1 << 3;
const MOVED: u8 = 1 << 4;
const SKIP: u8 = 1 << 5;
const PROCESSED: u8 = 1 << 6;

/// Name libxml2 gives comment nodes; it shows up in patchset paths.
const COMMENT_NODE_NAME: &str = "comment";

#[derive(Debug, Clone)]
struct TrackedAttr {
    pub name: String,
    pub value: String,
    pub flags: u8,
}

#[derive(Debug, Clone)]
enum TrackedKind {
    Element { name: String, attrs: Vec<TrackedAttr>, children: Vec<TrackedNode> },
    Comment(String),
}

#[derive(Debug, Clone)]
struct TrackedNode {
    pub kind: TrackedKind,
    pub flags: u8,
}

impl TrackedNode {
    pub fn from_element(e: &Element) -> TrackedNode {
        TrackedNode {
            kind: TrackedKind::Element {
                name: e.name.clone(),
                attrs: e
                    .attrs
                    .iter()
                    .map(|(n, v)| TrackedAttr { name: n.to_string(), value: v.to_string(), flags: 0 })
                    .collect(),
                children: e
                    .children
                    .iter()
                    .map(|c| match c {
                        XmlNode::Element(ce) => TrackedNode::from_element(ce),
                        XmlNode::Comment(text) => {
                            TrackedNode { kind: TrackedKind::Comment(text.clone()), flags: 0 }
                        }
                    })
                    .collect(),
            },
            flags: 0,
        }
    }

    /// The node name as libxml2 reports it (comments are called "comment").
    pub fn name(&self) -> &str {
        match &self.kind {
            TrackedKind::Element { name, .. } => name,
            TrackedKind::Comment(_) => COMMENT_NODE_NAME,
        }
    }

    pub fn id(&self) -> Option<&str> {
        match &self.kind {
            TrackedKind::Element { attrs, .. } => {
                attrs.iter().find(|a| a.name == "id").map(|a| a.value.as_str())
            }
            TrackedKind::Comment(_) => None,
        }
    }

    pub fn children(&self) -> &[TrackedNode] {
        match &self.kind {
            TrackedKind::Element { children, .. } => children,
            TrackedKind::Comment(_) => &[],
        }
    }

    pub fn attrs(&self) -> &[TrackedAttr] {
        match &self.kind {
            TrackedKind::Element { attrs, .. } => attrs,
            TrackedKind::Comment(_) => &[],
        }
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Back to a plain element *including* attributes flagged deleted: C copies created
    /// subtrees into the patchset before dropping those, so when an unmatched old child
    /// was compared with a new child that later turns out to be "created" (old child
    /// without id, new one with), the copy carries the removed attributes.
    pub fn to_element_as_tracked(&self) -> Option<Element> {
        match &self.kind {
            TrackedKind::Element { name, attrs, children } => Some(Element {
                name: name.clone(),
                attrs: attrs.iter().map(|a| (a.name.clone(), a.value.clone())).collect(),
                children: children.iter().filter_map(TrackedNode::to_xml_node_as_tracked).collect(),
            }),
            TrackedKind::Comment(_) => None,
        }
    }

    fn to_xml_node_as_tracked(&self) -> Option<XmlNode> {
        match &self.kind {
            TrackedKind::Element { .. } => self.to_element_as_tracked().map(XmlNode::Element),
            TrackedKind::Comment(text) => Some(XmlNode::Comment(text.clone())),
        }
    }
}

/// Ordinal position of `siblings[index]`, not counting earlier siblings flagged `ignore`
/// (`pcmk__xml_position`).
fn position<T>(siblings: &[T], index: usize, ignore: u8, flags: impl Fn(&T) -> u8) -> usize {
    siblings[..index].iter().filter(|s| flags(s) & ignore == 0).count()
}

fn node_position(siblings: &[TrackedNode], index: usize, ignore: u8) -> usize {
    position(siblings, index, ignore, |n| n.flags)
}

/// A child removed between the old and the new tree.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeletedObject {
    pub path: String,
    /// Only recorded for comments, which have no other identity.
    pub position: Option<usize>,
}

/// The new tree, marked up, plus what was deleted from it.
#[derive(Debug)]
struct TrackedChanges {
    pub new: TrackedNode,
    pub deleted: Vec<DeletedObject>,
}

impl TrackedChanges {
    /// Whether anything at all changed (the document's dirty flag).
    pub fn any(&self) -> bool {
        !self.deleted.is_empty() || self.new.has(DIRTY)
    }
}

/// Options of the comparison.
#[derive(Debug, Clone, Copy, Default)]
struct TrackOptions {
    /// Ignore attributes that only changed position (`xml_calculate_significant_changes`).
    pub lazy: bool,
}

/// Compares `old` with `new` the way `xml_calculate_changes` does. Returns `None` when the
/// roots differ in name or id, where C refuses to compare.
fn calculate_changes(old: &Element, new: &Element, options: TrackOptions) -> Option<TrackedChanges> {
    if !old.name.eq_ignore_ascii_case(&new.name) || !ids_match_ignoring_case(old.id(), new.id()) {
        return None;
    }
    let mut old_tracked = TrackedNode::from_element(old);
    let mut new_tracked = TrackedNode::from_element(new);
    let mut deleted = Vec::new();
    let root_path = child_path("", new_tracked.name(), new_tracked.id());
    let mut walker = Walker { deleted: &mut deleted, options };
    walker.mark_changes(&mut old_tracked, &mut new_tracked, &root_path);
    Some(TrackedChanges { new: new_tracked, deleted })
}

fn ids_match_ignoring_case(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

struct Walker<'a> {
    deleted: &'a mut Vec<DeletedObject>,
    options: TrackOptions,
}

/// Index of the child of `haystack` matching `siblings[index]` (`pcmk__xml_match` with
/// `exact` set).
fn find_match(haystack: &[TrackedNode], siblings: &[TrackedNode], index: usize) -> Option<usize> {
    let needle = &siblings[index];
    match &needle.kind {
        TrackedKind::Element { name, .. } => {
            let id = needle.id();
            haystack.iter().position(|c| match &c.kind {
                TrackedKind::Element { name: cn, .. } => cn == name && (id.is_none() || c.id() == id),
                TrackedKind::Comment(_) => false,
            })
        }
        TrackedKind::Comment(text) => {
            let wanted = node_position(siblings, index, SKIP);
            for (i, candidate) in haystack.iter().enumerate() {
                let offset = node_position(haystack, i, SKIP);
                if offset < wanted {
                    continue;
                }
                if offset > wanted {
                    return None;
                }
                if candidate.has(SKIP) {
                    continue;
                }
                return match &candidate.kind {
                    TrackedKind::Comment(t) if t.eq_ignore_ascii_case(text) => Some(i),
                    _ => None,
                };
            }
            None
        }
    }
}

/// Flags a new subtree as created (`pcmk__mark_xml_created`).
fn mark_created(node: &mut TrackedNode) {
    node.flags |= CREATED | DIRTY;
    if let TrackedKind::Element { children, .. } = &mut node.kind {
        children.iter_mut().for_each(mark_created);
    }
}

impl Walker<'_> {
    /// `mark_xml_changes`: `new_path` is the patchset path of `new`.
    fn mark_changes(&mut self, old: &mut TrackedNode, new: &mut TrackedNode, new_path: &str) {
        if new.has(PROCESSED) {
            return;
        }
        new.flags |= PROCESSED;
        let mut dirty = self.diff_attrs(old, new);

        let (TrackedKind::Element { children: old_children, .. }, TrackedKind::Element { children: new_children, .. }) =
            (&mut old.kind, &mut new.kind)
        else {
            // A comment matches only a comment with the same content: nothing to compare.
            return;
        };

        // Original children: compare the ones still present, record the ones removed.
        for oi in 0..old_children.len() {
            match find_match(new_children, old_children, oi) {
                Some(ni) => {
                    let child_path =
                        child_path(new_path, new_children[ni].name(), new_children[ni].id());
                    let (old_child, new_child) = (&mut old_children[oi], &mut new_children[ni]);
                    self.mark_changes(old_child, new_child, &child_path);
                }
                None => {
                    let old_child = &old_children[oi];
                    let position = match old_child.kind {
                        TrackedKind::Comment(_) => Some(node_position(old_children, oi, SKIP)),
                        TrackedKind::Element { .. } => None,
                    };
                    self.deleted.push(DeletedObject {
                        path: child_path(new_path, old_child.name(), old_child.id()),
                        position,
                    });
                    old_children[oi].flags |= SKIP;
                }
            }
        }

        // New children: created ones, and matched ones whose position changed.
        for ni in 0..new_children.len() {
            match find_match(old_children, new_children, ni) {
                None => {
                    new_children[ni].flags |= SKIP;
                    mark_created(&mut new_children[ni]);
                    dirty = true;
                }
                Some(oi) => {
                    let new_position = node_position(new_children, ni, SKIP);
                    let old_position = node_position(old_children, oi, SKIP);
                    if new_position != old_position {
                        new_children[ni].flags |= MOVED;
                        if old_position > new_position {
                            old_children[oi].flags |= SKIP;
                        } else {
                            new_children[ni].flags |= SKIP;
                        }
                        dirty = true;
                    }
                }
            }
        }

        if dirty || new_children.iter().any(|c| c.has(DIRTY)) {
            new.flags |= DIRTY;
        }
    }

    /// `xml_diff_attrs`. Returns whether the element itself became dirty.
    fn diff_attrs(&mut self, old: &mut TrackedNode, new: &mut TrackedNode) -> bool {
        let (TrackedKind::Element { attrs: old_attrs, .. }, TrackedKind::Element { attrs: new_attrs, .. }) =
            (&mut old.kind, &mut new.kind)
        else {
            return false;
        };
        let mut dirty = false;
        for a in new_attrs.iter_mut() {
            a.flags |= CREATED;
        }
        for oi in 0..old_attrs.len() {
            let name = old_attrs[oi].name.clone();
            let Some(ni) = new_attrs.iter().position(|a| a.name == name) else {
                // Re-added at the end, flagged for removal once the patchset is built.
                new_attrs.push(TrackedAttr { name, value: old_attrs[oi].value.clone(), flags: DELETED });
                dirty = true;
                continue;
            };
            new_attrs[ni].flags &= !CREATED;
            if new_attrs[ni].value != old_attrs[oi].value {
                new_attrs[ni].flags |= DIRTY | MODIFIED;
                dirty = true;
                continue;
            }
            if self.options.lazy {
                continue;
            }
            let new_position = position(new_attrs, ni, SKIP, |a| a.flags);
            let old_position = position(old_attrs, oi, SKIP, |a| a.flags);
            if new_position != old_position {
                new_attrs[ni].flags |= DIRTY | MOVED;
                if old_position > new_position {
                    old_attrs[oi].flags |= SKIP;
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
}

fn build(old: &Element, changes: &TrackedChanges) -> Element {
    // C reads the target versions while removed attributes are still present
    // (flagged deleted), so a removed version attribute reports its old value.
    let mut diff = v2_changes::diff_with_versions(old, |name| {
        changes.new.attrs().iter().find(|a| a.name == name).map(|a| a.value.clone())
    });
    for deleted in &changes.deleted {
        diff.push_child(v2_changes::delete_change(&deleted.path, deleted.position));
    }
    add_node_changes(std::slice::from_ref(&changes.new), 0, "", &mut diff);
    diff
}

/// Appends the changes of `siblings[index]` and its subtree; `parent_path` is the path of
/// its parent (empty for the root).
fn add_node_changes(siblings: &[TrackedNode], index: usize, parent_path: &str, diff: &mut Element) {
    let node = &siblings[index];
    // Positions skip nodes flagged deleted; none are left in the tree by now, but the
    // rule is kept so that the numbers mean what C's mean.
    let node_position = || position(siblings, index, DELETED, |n: &TrackedNode| n.flags);

    if node.has(CREATED) {
        let mut change = v2_changes::create_change(parent_path, node_position());
        match &node.kind {
            TrackedKind::Element { .. } => {
                if let Some(e) = node.to_element_as_tracked() {
                    change.children.push(XmlNode::Element(e));
                }
            }
            TrackedKind::Comment(text) => change.children.push(XmlNode::Comment(text.clone())),
        }
        diff.push_child(change);
        return;
    }

    let path = child_path(parent_path, node.name(), node.id());
    let changed_attrs: Vec<_> = node.attrs().iter().filter(|a| a.flags & (DELETED | DIRTY) != 0).collect();
    if !changed_attrs.is_empty() {
        let changes = changed_attrs.iter().map(|attr| v2_changes::AttrChange {
            name: &attr.name,
            value: (attr.flags & DELETED == 0).then_some(attr.value.as_str()),
        });
        let remaining = node.attrs().iter().filter(|a| a.flags & DELETED == 0).map(|a| (a.name.as_str(), a.value.as_str()));
        diff.push_child(v2_changes::modify_change(&path, node.name(), changes, remaining));
    }

    let children = node.children();
    for i in 0..children.len() {
        add_node_changes(children, i, &path, diff);
    }

    if node.has(MOVED) {
        diff.push_child(v2_changes::move_change(&path, node_position()));
    }
}
