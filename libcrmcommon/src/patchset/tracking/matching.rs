//! Finding a node's counterpart among the other tree's siblings (`pcmk__xml_match` with
//! `exact` set), in better than linear time per lookup for long child lists.

use crate::xml::XmlNode;
use std::collections::HashMap;

/// Below this many siblings a linear scan beats building hash maps.
const INDEX_THRESHOLD: usize = 16;

/// First-occurrence lookup of element siblings by name, and by name plus id. Matching
/// only looks at names and ids, which no step of the comparison changes, so the index
/// stays valid for the whole walk of one child list.
pub(super) struct SiblingIndex<'a> {
    maps: Option<IndexMaps<'a>>,
}

struct IndexMaps<'a> {
    by_name: HashMap<&'a str, usize>,
    by_name_and_id: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> SiblingIndex<'a> {
    pub fn new(siblings: &'a [XmlNode]) -> SiblingIndex<'a> {
        if siblings.len() < INDEX_THRESHOLD {
            return SiblingIndex { maps: None };
        }
        let mut by_name = HashMap::with_capacity(8);
        let mut by_name_and_id = HashMap::with_capacity(siblings.len());
        for (i, sibling) in siblings.iter().enumerate() {
            if let XmlNode::Element(e) = sibling {
                by_name.entry(e.name.as_str()).or_insert(i);
                if let Some(id) = e.id() {
                    by_name_and_id.entry((e.name.as_str(), id)).or_insert(i);
                }
            }
        }
        SiblingIndex { maps: Some(IndexMaps { by_name, by_name_and_id }) }
    }

    /// Index of the first element of `siblings` (the list this index was built from)
    /// named `name` and, when `id` is given, carrying that id.
    pub fn find(&self, siblings: &[XmlNode], name: &str, id: Option<&str>) -> Option<usize> {
        match (&self.maps, id) {
            (Some(maps), None) => maps.by_name.get(name).copied(),
            (Some(maps), Some(id)) => maps.by_name_and_id.get(&(name, id)).copied(),
            (None, _) => siblings.iter().position(|c| match c {
                XmlNode::Element(e) => e.name == name && (id.is_none() || e.id() == id),
                XmlNode::Comment(_) => false,
            }),
        }
    }
}

/// The comment of `haystack` matching a comment with `text` at (skip-aware) position
/// `wanted`: the first non-skipped node at that position must be a comment with the same
/// text, ignoring ASCII case.
pub(super) fn find_comment(
    haystack: &[XmlNode],
    skipped: impl Fn(usize) -> bool,
    wanted: usize,
    text: &str,
) -> Option<usize> {
    let mut offset = 0;
    for (i, candidate) in haystack.iter().enumerate() {
        let is_skipped = skipped(i);
        if offset > wanted {
            return None;
        }
        if offset == wanted && !is_skipped {
            return match candidate {
                XmlNode::Comment(t) if t.eq_ignore_ascii_case(text) => Some(i),
                _ => None,
            };
        }
        if !is_skipped {
            offset += 1;
        }
    }
    None
}

/// Counts skipped siblings before an index while more get skipped (a Fenwick tree), so
/// that skip-aware positions cost O(log n) instead of a scan of the earlier siblings.
pub(super) struct SkipCounter {
    tree: Vec<u32>,
}

impl SkipCounter {
    pub fn new(skipped: &[bool]) -> SkipCounter {
        let mut counter = SkipCounter { tree: vec![0; skipped.len() + 1] };
        for (i, _) in skipped.iter().enumerate().filter(|(_, s)| **s) {
            counter.mark(i);
        }
        counter
    }

    /// Records that sibling `index` is now skipped (call once per index).
    pub fn mark(&mut self, index: usize) {
        let mut i = index + 1;
        while i < self.tree.len() {
            self.tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }

    /// How many siblings before `index` are skipped.
    pub fn skipped_before(&self, index: usize) -> usize {
        let mut i = index.min(self.tree.len().saturating_sub(1));
        let mut sum = 0usize;
        while i > 0 {
            sum += self.tree[i] as usize;
            i -= i & i.wrapping_neg();
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_counter_counts_earlier_skips() {
        let mut skipped = vec![false, true, false, false, true, false];
        let mut counter = SkipCounter::new(&skipped);
        skipped[3] = true;
        counter.mark(3);
        for index in 0..=skipped.len() {
            let expected = skipped[..index].iter().filter(|s| **s).count();
            assert_eq!(counter.skipped_before(index), expected, "index {index}");
        }
    }

    #[test]
    fn index_finds_first_occurrences_like_a_scan() {
        let mut xml = String::from("<r>");
        for i in 0..40 {
            xml.push_str(&format!("<a id='{}'/><b/><!--c-->", i % 7));
        }
        xml.push_str("</r>");
        let root = crate::xml::parse(&xml).expect("parses");
        let indexed = SiblingIndex::new(&root.children);
        let scan = SiblingIndex { maps: None };
        for (name, id) in [("a", None), ("a", Some("3")), ("a", Some("9")), ("b", None), ("b", Some("1")), ("z", None)] {
            assert_eq!(indexed.find(&root.children, name, id), scan.find(&root.children, name, id), "{name} {id:?}");
        }
    }
}
