//! The elements of a v2 patchset, built from what a change-tracking walk found. Both the
//! fast walk (`create`) and the reference walk it is tested against (`reference`) emit
//! through these, so the two can differ only in what they track, never in the layout.

use super::version::VERSION_ATTRS;
use crate::xml::Element;

/// `<diff format="2">` with its `<version>`: the source versions from `old`, the target
/// versions from `target_version` (a version attribute either lacks counts as 1).
pub(crate) fn diff_with_versions(old: &Element, target_version: impl Fn(&str) -> Option<String>) -> Element {
    Element::new("diff").with_attr("format", "2").with_child(
        Element::new("version")
            .with_child(version_element("source", |name| old.attr(name).map(str::to_owned)))
            .with_child(version_element("target", target_version)),
    )
}

fn version_element(name: &str, lookup: impl Fn(&str) -> Option<String>) -> Element {
    let mut v = Element::new(name);
    for attr in VERSION_ATTRS {
        v.set_attr(attr, lookup(attr).unwrap_or_else(|| "1".to_owned()));
    }
    v
}

/// The removal of the node at `path` (`position` among its old siblings, when known).
pub(crate) fn delete_change(path: &str, position: Option<usize>) -> Element {
    let mut change = Element::new("change").with_attr("operation", "delete").with_attr("path", path);
    if let Some(p) = position {
        change.set_attr("position", p.to_string());
    }
    change
}

/// The creation of a node below `parent_path` (empty for the root) at `position`; the
/// caller adds the created node as its child.
pub(crate) fn create_change(parent_path: &str, position: usize) -> Element {
    Element::new("change")
        .with_attr("operation", "create")
        .with_attr("path", if parent_path.is_empty() { "/" } else { parent_path })
        .with_attr("position", position.to_string())
}

/// One attribute a modification touches: its name, and its new value (None: removed).
pub(crate) struct AttrChange<'a> {
    pub name: &'a str,
    pub value: Option<&'a str>,
}

/// The modification of the attributes of the node `name` at `path`: the changes, then
/// the attributes the node is left with.
pub(crate) fn modify_change<'a>(
    path: &str,
    name: &str,
    changes: impl IntoIterator<Item = AttrChange<'a>>,
    remaining: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Element {
    let mut list = Element::new("change-list");
    for change in changes {
        let mut item = Element::new("change-attr").with_attr("name", change.name);
        match change.value {
            None => item.set_attr("operation", "unset"),
            Some(value) => {
                item.set_attr("operation", "set");
                item.set_attr("value", value);
            }
        }
        list.push_child(item);
    }
    let mut result = Element::new(name);
    for (attr, value) in remaining {
        result.set_attr(attr, value);
    }
    Element::new("change")
        .with_attr("operation", "modify")
        .with_attr("path", path)
        .with_child(list)
        .with_child(Element::new("change-result").with_child(result))
}

/// The move of the node at `path` to `position` among its siblings.
pub(crate) fn move_change(path: &str, position: usize) -> Element {
    Element::new("change")
        .with_attr("operation", "move")
        .with_attr("path", path)
        .with_attr("position", position.to_string())
}
