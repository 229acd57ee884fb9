//! Recognising subtree pairs whose comparison would flag nothing.
//!
//! Equal subtrees are not always quiet in C: matching takes the *first* sibling with the
//! needle's name (and id, if the needle has one), so two id-less siblings of the same
//! name (or two with the same name and id) are both matched to the first, and the second
//! is then reported as moved; and an element with a repeated attribute name compares the
//! second occurrence with the first. A pair is quiet when it is equal and none of that
//! can happen anywhere inside it: every child is its own first match, and attribute
//! names are distinct. Then C's walk would only set "processed" flags, which matter
//! nowhere else, and the subtree can be skipped without marking it.

use crate::xml::{Attributes, Element, XmlNode};
use std::collections::HashSet;

/// Past this many entries, duplicate checks hash instead of comparing all pairs.
const PAIRWISE_LIMIT: usize = 12;

/// Whether comparing `old` with `new` would flag nothing at all.
pub(super) fn is_quiet(old: &Element, new: &Element) -> bool {
    old.name == new.name
        && old.attrs == new.attrs
        && old.children.len() == new.children.len()
        && old.children.iter().zip(&new.children).all(|pair| match pair {
            (XmlNode::Element(a), XmlNode::Element(b)) => is_quiet(a, b),
            (XmlNode::Comment(a), XmlNode::Comment(b)) => a == b,
            _ => false,
        })
        && attribute_names_distinct(&new.attrs)
        && children_match_themselves(&new.children)
}

fn attribute_names_distinct(attrs: &Attributes) -> bool {
    if attrs.len() <= PAIRWISE_LIMIT {
        return attrs.iter().enumerate().all(|(i, (name, _))| attrs.iter().take(i).all(|(n, _)| n != name));
    }
    let mut seen = HashSet::with_capacity(attrs.len());
    attrs.iter().all(|(name, _)| seen.insert(name))
}

/// Whether each element child is the first sibling matching it: no earlier sibling has
/// its name and id, or (without id) its name. Comments always match themselves when
/// nothing is flagged skip.
fn children_match_themselves(children: &[XmlNode]) -> bool {
    let elements = || children.iter().filter_map(XmlNode::as_element);
    if children.len() <= PAIRWISE_LIMIT {
        return elements().enumerate().all(|(i, e)| {
            elements().take(i).all(|earlier| {
                earlier.name != e.name || matches!(e.id(), Some(id) if earlier.id() != Some(id))
            })
        });
    }
    let mut names = HashSet::new();
    let mut names_and_ids = HashSet::with_capacity(children.len());
    elements().all(|e| {
        let first = match e.id() {
            None => !names.contains(e.name.as_str()),
            Some(id) => names_and_ids.insert((e.name.as_str(), id)),
        };
        names.insert(e.name.as_str());
        first
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(xml: &str) -> bool {
        let e = crate::xml::parse(xml).expect("parses");
        is_quiet(&e, &e)
    }

    #[test]
    fn equal_trees_with_unambiguous_matching_are_quiet() {
        assert!(quiet("<a x='1'><b id='1'/><b id='2'/><c/><!--x--><!--x--></a>"));
        let mut long = String::from("<r>");
        for i in 0..50 {
            long.push_str(&format!("<p id='{i}'><op id='{i}-m'/></p>"));
        }
        long.push_str("</r>");
        assert!(quiet(&long));
    }

    #[test]
    fn ambiguous_matching_is_not_quiet() {
        assert!(!quiet("<a><c/><c/></a>"));
        assert!(!quiet("<a><b id='1'/><b id='1'/></a>"));
        // An id-less needle matches the first same-named sibling, whatever its id.
        assert!(!quiet("<a><b id='1'/><b/></a>"));
        let mut long = String::from("<r>");
        for i in 0..50 {
            long.push_str(&format!("<p id='{}'/>", i % 49));
        }
        long.push_str("</r>");
        assert!(!quiet(&long));
    }

    #[test]
    fn differences_are_not_quiet() {
        let a = crate::xml::parse("<a><b id='1' v='1'/></a>").expect("parses");
        let b = crate::xml::parse("<a><b id='1' v='2'/></a>").expect("parses");
        assert!(!is_quiet(&a, &b));
    }
}
