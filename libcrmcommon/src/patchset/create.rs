//! Building v2 patchsets (`xml_create_patchset_v2` and `add_xml_changes_to_patchset`).
//!
//! Layout of the result, in C's order: `<version>` with `<source>` and `<target>`, then
//! every `delete` in the order the comparison found them, then a pre-order walk of the
//! new tree emitting, per node, either one `create` (and nothing below it) or a `modify`
//! (if attributes changed), then its children's changes, then a `move` if it moved.

use super::tracking::{calculate_changes, Source, TrackOptions, TrackedChanges, TrackedNode, CREATED, DELETED, DIRTY, MOVED};
use super::version::{self, VersionBump, VERSION_ATTRS};
use super::v2_changes;
use super::xpath::child_path;
use crate::digest;
use crate::xml::{Element, XmlNode};

/// How to build a patchset.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateOptions {
    /// Add the `digest` attribute: the versioned digest of `new`, computed with the
    /// feature set of `old` (`patchset_process_digest`). `crm_diff --cib` does this; the
    /// CIB manager does it at most once a minute.
    pub with_digest: bool,
    /// Ignore attributes whose only change is their position within the element
    /// (`xml_calculate_significant_changes`, as `crm_diff --cib` uses). Without it, such
    /// attributes are reported as `set` (what the CIB manager and plain `crm_diff` do).
    pub ignore_attribute_moves: bool,
    /// `crm_diff --no-version`: take the version attributes of `old` into `new` before
    /// comparing, and leave the `<version>` element out.
    pub no_version: bool,
}

/// The v2 patchset turning `old` into `new`, or `None` when nothing differs (or when the
/// roots differ in name or id, which C does not compare).
pub fn create(old: &Element, new: &Element, options: &CreateOptions) -> Option<Element> {
    let versioned_new;
    let new = if options.no_version {
        let mut copy = new.clone();
        for name in VERSION_ATTRS {
            if let Some(value) = old.attr(name) {
                copy.set_attr(name, value);
            }
        }
        versioned_new = copy;
        &versioned_new
    } else {
        new
    };
    let changes = track(old, new, options)?;
    if !changes.any() {
        return None;
    }
    let mut diff = build(old, &changes);
    if options.with_digest {
        diff.set_attr("digest", digest::versioned_for(new, old.attr("crm_feature_set")));
    }
    if options.no_version {
        if let Some(i) = diff.child_index_by_id("version", None) {
            diff.children.remove(i);
        }
    }
    Some(diff)
}

/// Whether anything under `/cib/configuration` differs between `old` and `new`
/// (`is_config_change`): the first `configuration` child of the root or anything below it
/// changed, or a deleted node's path mentions `/cib/configuration`.
pub fn config_changed(old: &Element, new: &Element) -> bool {
    track(old, new, &CreateOptions::default()).is_some_and(|c| is_config_change(&c))
}

/// Applies the CIB manager's version rule to `new` after an operation changed `old` into
/// it (the `manage_version` branch of `xml_create_patchset`, called by `cib_perform_op`):
/// nothing changed → untouched; a configuration change → `epoch`+1 and `num_updates`=0;
/// anything else → `num_updates`+1. A patchset created afterwards from `old` to the
/// bumped `new` carries the version attributes as `set` changes on `/cib`, exactly as
/// the C daemon's does.
pub fn bump_versions(old: &Element, new: &mut Element) -> VersionBump {
    match track(old, new, &CreateOptions::default()) {
        Some(changes) if changes.any() => version::bump(new, is_config_change(&changes)),
        _ => VersionBump::Unchanged,
    }
}

/// [`bump_versions`] followed by [`create`], comparing the trees once: what the CIB
/// manager does after every write. Returns the patchset from `old` to the bumped `new`
/// (`None` when nothing changed) and what the version rule did; both are exactly what
/// the two separate calls give.
pub fn bump_and_create(old: &Element, new: &mut Element, options: &CreateOptions) -> (Option<Element>, VersionBump) {
    if options.ignore_attribute_moves || options.no_version {
        // The version rule always compares every attribute; these options change the
        // comparison, so the two results cannot share one walk.
        let bump = bump_versions(old, new);
        return (create(old, new, options), bump);
    }
    let bumped_attrs;
    let (diff, bump) = {
        let Some(mut changes) = track(old, new, options) else {
            return (None, VersionBump::Unchanged);
        };
        if !changes.any() {
            return (None, VersionBump::Unchanged);
        }
        let config_change = is_config_change(&changes);
        // Bump a copy of the root's attributes, then redo the one comparison that depends
        // on them: the root's own attributes.
        let mut bumped_root = Element { name: new.name.clone(), attrs: new.attrs.clone(), children: Vec::new() };
        let bump = version::bump(&mut bumped_root, config_change);
        bumped_attrs = bumped_root.attrs;
        changes.recompare_root_attrs(old, &bumped_attrs);
        (build(old, &changes), bump)
    };
    new.attrs = bumped_attrs;
    let mut diff = diff;
    if options.with_digest {
        diff.set_attr("digest", digest::versioned_for(new, old.attr("crm_feature_set")));
    }
    (Some(diff), bump)
}

fn track<'a>(old: &'a Element, new: &'a Element, options: &CreateOptions) -> Option<TrackedChanges<'a>> {
    calculate_changes(old, new, TrackOptions { lazy: options.ignore_attribute_moves })
}

fn is_config_change(changes: &TrackedChanges) -> bool {
    let config_dirty = changes
        .new
        .marked_children()
        .iter()
        .find(|c| matches!(c.source, Source::Element(e) if e.name == "configuration"))
        .is_some_and(|c| c.has(DIRTY));
    config_dirty || changes.deleted.iter().any(|d| d.path.contains("/cib/configuration"))
}

fn build(old: &Element, changes: &TrackedChanges) -> Element {
    // C reads the target versions while removed attributes are still present
    // (flagged deleted), so a removed version attribute reports its old value.
    let mut diff = v2_changes::diff_with_versions(old, |name| changes.new.attr_as_tracked(name).map(str::to_owned));
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
    // C's position skips siblings flagged deleted; nodes (unlike attributes) never are
    // by now, so it is the index.
    let node_position = index;

    if node.has(CREATED) {
        let mut change = v2_changes::create_change(parent_path, node_position);
        match node.source {
            Source::Element(_) => {
                if let Some(e) = node.to_element_as_tracked() {
                    change.children.push(XmlNode::Element(e));
                }
            }
            Source::Comment(text) => change.children.push(XmlNode::Comment(text.to_owned())),
        }
        diff.push_child(change);
        return;
    }

    let path = child_path(parent_path, node.name(), node.id());
    let attrs = node.marked_attrs();
    let changed_attrs: Vec<_> = attrs.iter().filter(|a| a.flags & (DELETED | DIRTY) != 0).collect();
    if !changed_attrs.is_empty() {
        let changes = changed_attrs.iter().map(|attr| v2_changes::AttrChange {
            name: attr.name,
            value: (attr.flags & DELETED == 0).then_some(attr.value),
        });
        let remaining = attrs.iter().filter(|a| a.flags & DELETED == 0).map(|a| (a.name, a.value));
        diff.push_child(v2_changes::modify_change(&path, node.name(), changes, remaining));
    }

    // Children without flags produce nothing, and then none are kept.
    let children = node.marked_children();
    for i in 0..children.len() {
        add_node_changes(children, i, &path, diff);
    }

    if node.has(MOVED) {
        diff.push_child(v2_changes::move_change(&path, node_position));
    }
}
