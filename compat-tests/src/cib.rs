//! Reading CIB documents in assertions.

use libcrmcommon::xml::{self, Element, ParseError};

/// Parses a document printed by a tool (an XML declaration line is allowed).
pub fn parse(text: &str) -> Result<Element, ParseError> {
    xml::parse(text)
}

/// The element reached by following child element names from `root`
/// (e.g. `["configuration", "crm_config"]`).
pub fn at<'a>(root: &'a Element, names: &[&str]) -> Option<&'a Element> {
    names.iter().try_fold(root, |element, name| element.child(name))
}

/// The first element (document order, `root` included) whose `id` is `id`.
pub fn by_id<'a>(root: &'a Element, id: &str) -> Option<&'a Element> {
    if root.id() == Some(id) {
        return Some(root);
    }
    root.descendants().find(|element| element.id() == Some(id))
}

/// Every element named `name` below `root` in document order.
pub fn all_named<'a>(root: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    root.descendants().filter(move |element| element.name == name)
}

/// The value of the first `nvpair` named `name` anywhere below `root`.
pub fn nvpair_value<'a>(root: &'a Element, name: &str) -> Option<&'a str> {
    all_named(root, "nvpair").find(|pair| pair.attr("name") == Some(name)).and_then(|pair| pair.attr("value"))
}

/// `(admin_epoch, epoch, num_updates)` of a `<cib>` element; missing or malformed counters
/// read as -1 so that a comparison fails visibly.
pub fn version(cib: &Element) -> (i64, i64, i64) {
    let counter = |name| cib.attr_i64(name).unwrap_or(-1);
    (counter("admin_epoch"), counter("epoch"), counter("num_updates"))
}

/// Pacemaker's unformatted serialization of `element` (one line, attributes in order).
pub fn compact(element: &Element) -> String {
    xml::to_compact(element)
}

/// Names of the element children of `element`, in order.
pub fn child_names(element: &Element) -> Vec<&str> {
    element.elements().map(|child| child.name.as_str()).collect()
}

/// Ids of the element children of `element`, in order (children without id are skipped).
pub fn child_ids(element: &Element) -> Vec<&str> {
    element.elements().filter_map(Element::id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<cib epoch="3" num_updates="1" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="s"><nvpair id="s-a" name="a" value="1"/></cluster_property_set></crm_config>
    <resources/>
  </configuration>
</cib>"#;

    #[test]
    fn helpers_find_what_they_name() {
        let cib = parse(DOC).expect("test document parses");
        assert_eq!(version(&cib), (0, 3, 1));
        assert_eq!(at(&cib, &["configuration", "resources"]).map(|e| e.name.as_str()), Some("resources"));
        assert!(at(&cib, &["configuration", "nodes"]).is_none());
        assert_eq!(by_id(&cib, "s-a").and_then(|e| e.attr("value")), Some("1"));
        assert_eq!(nvpair_value(&cib, "a"), Some("1"));
        assert_eq!(nvpair_value(&cib, "b"), None);
        let configuration = at(&cib, &["configuration"]).expect("configuration present");
        assert_eq!(child_names(configuration), ["crm_config", "resources"]);
    }
}
