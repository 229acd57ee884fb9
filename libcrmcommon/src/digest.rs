//! MD5 digests over serialized XML, byte-compatible with Pacemaker 2.1.5.
//!
//! Pacemaker has two recipes. The "v1" recipe hashes a single space, the compact
//! serialization and a newline; it is used for the on-disk signature (`cib.xml.sig`),
//! for resource-operation digests (after sorting attributes) and for versioned digests
//! of CIBs older than feature set 3.0.5. The "v2" recipe hashes the compact
//! serialization alone, leaving out the bookkeeping attributes that nodes may set
//! differently (see [`is_filtered_attr`]); it is the `digest` of patchsets and the CIB
//! ping reply.

use crate::xml::{to_compact, to_compact_filtered, Element, XmlNode};
use md5::{Digest, Md5};

/// Attributes left out of v2 digests: they record who wrote the CIB and when, which
/// differs between nodes holding otherwise identical copies.
pub const FILTERED_ATTRS: [&str; 5] =
    ["crm-debug-origin", "cib-last-written", "update-origin", "update-client", "update-user"];

/// `CRM_FEATURE_SET` of Pacemaker 2.1.5: the CIB manager takes its ping and sync digests
/// with this feature set rather than the CIB's own.
pub const PACEMAKER_FEATURE_SET: &str = "3.16.1";

/// Oldest feature set whose versioned digests use the v2 recipe.
const FIRST_V2_DIGEST_FEATURE_SET: &str = "3.0.5";

pub fn is_filtered_attr(name: &str) -> bool {
    FILTERED_ATTRS.contains(&name)
}

/// Lower-case hex MD5 of `text`, as `crm_md5sum` computes it. That function measures its
/// input with `strlen`, so anything from an embedded NUL on is not hashed.
pub fn md5_hex(text: &str) -> String {
    let hashed = text.as_bytes().split(|&b| b == 0).next().unwrap_or_default();
    let sum = Md5::digest(hashed);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for byte in sum {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

fn v1_digest(e: &Element) -> String {
    md5_hex(&format!(" {}\n", to_compact(e)))
}

fn v2_digest(e: &Element, filtered: bool) -> String {
    if filtered {
        md5_hex(&to_compact_filtered(e, &is_filtered_attr))
    } else {
        md5_hex(&to_compact(e))
    }
}

/// The digest stored in `cib.xml.sig` (`calculate_on_disk_digest`).
pub fn on_disk(e: &Element) -> String {
    v1_digest(e)
}

/// The digest of a whole CIB as exchanged between nodes (`calculate_xml_versioned_digest`
/// with filtering and no sorting): v2 when `feature_set` is at least 3.0.5, else v1.
pub fn versioned_for(e: &Element, feature_set: Option<&str>) -> String {
    calculate_versioned(e, feature_set, true)
}

/// `calculate_xml_versioned_digest(e, FALSE, filtered, feature_set)` in full: the v1
/// recipe (which never filters) below feature set 3.0.5 or without one, else v2,
/// filtered or not (the scheduler digests its input unfiltered).
pub fn calculate_versioned(e: &Element, feature_set: Option<&str>, filtered: bool) -> String {
    match feature_set {
        Some(v) if compare_versions(FIRST_V2_DIGEST_FEATURE_SET, v) != std::cmp::Ordering::Greater => {
            v2_digest(e, filtered)
        }
        _ => v1_digest(e),
    }
}

/// The digest the CIB manager answers pings and sync requests with: filtered v2 under
/// Pacemaker 2.1.5's own feature set, whatever the CIB says.
pub fn ping(e: &Element) -> String {
    versioned_for(e, Some(PACEMAKER_FEATURE_SET))
}

/// [`versioned_for`] with the element's own `crm_feature_set`, as `cibadmin
/// --md5-sum-versioned` and patch application do.
pub fn versioned(e: &Element) -> String {
    versioned_for(e, e.attr("crm_feature_set"))
}

/// The digest of a resource operation's parameters (`calculate_operation_digest`): the
/// v1 recipe over a copy with every element's attributes sorted by name.
pub fn operation(e: &Element) -> String {
    v1_digest(&sorted_copy(e))
}

/// Pacemaker's `sorted_xml`: attributes sorted by name at every level. Comments turn into
/// empty `<comment/>` elements because the C code rebuilds every child as an element
/// named after the node, and libxml2 names comment nodes "comment".
fn sorted_copy(e: &Element) -> Element {
    let mut pairs: Vec<(&str, &str)> = e.attrs.iter().collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then_with(|| a.1.as_bytes().cmp(b.1.as_bytes())));
    let attrs = pairs.into_iter().collect();
    let children = e
        .children
        .iter()
        .map(|child| match child {
            XmlNode::Element(c) => XmlNode::Element(sorted_copy(c)),
            XmlNode::Comment(_) => XmlNode::Element(Element::new("comment")),
        })
        .collect();
    Element { name: e.name.clone(), attrs, children }
}

/// Pacemaker's `compare_version`: dot-separated numeric fields compared left to right,
/// a missing field counting as 0 ("3.0" equals "3.0.0"). A field's value is its leading
/// digits; C would loop forever on other text, we read it as 0.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut fa, mut fb) = (a.split('.'), b.split('.'));
    loop {
        let (x, y) = (fa.next(), fb.next());
        if x.is_none() && y.is_none() {
            return std::cmp::Ordering::Equal;
        }
        let (x, y) = (x.map_or(0, leading_number), y.map_or(0, leading_number));
        if x != y {
            return x.cmp(&y);
        }
    }
}

fn leading_number(field: &str) -> i64 {
    // At most 18 digits always fit an i64.
    field.trim_start().bytes().take_while(u8::is_ascii_digit).take(18).fold(0, |n, d| n * 10 + i64::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn md5_of_known_text() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex("abc\0def"), md5_hex("abc"));
    }

    #[test]
    fn versioned_switches_recipe_on_feature_set() {
        let e = parse("<cib update-origin=\"n1\" epoch=\"1\"/>").unwrap();
        assert_eq!(versioned_for(&e, Some("3.0.5")), md5_hex("<cib epoch=\"1\"/>"));
        assert_eq!(versioned_for(&e, Some("3.0.4")), md5_hex(" <cib update-origin=\"n1\" epoch=\"1\"/>\n"));
        assert_eq!(versioned_for(&e, None), on_disk(&e));
        assert_eq!(ping(&e), md5_hex("<cib epoch=\"1\"/>"));
        assert_eq!(calculate_versioned(&e, Some("3.16.1"), false), md5_hex("<cib update-origin=\"n1\" epoch=\"1\"/>"));
    }

    #[test]
    fn operation_digest_sorts_attributes_and_turns_comments_into_elements() {
        let e = parse("<p b=\"2\" a=\"1\"><!--x--><q z=\"1\" y=\"2\"/></p>").unwrap();
        assert_eq!(
            operation(&e),
            md5_hex(" <p a=\"1\" b=\"2\"><comment/><q y=\"2\" z=\"1\"/></p>\n")
        );
    }

    #[test]
    fn version_comparison() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("3.0.5", "3.0.5"), Equal);
        assert_eq!(compare_versions("3.0.5", "3.16.2"), Less);
        assert_eq!(compare_versions("3.0", "3.0.1"), Less);
        assert_eq!(compare_versions("3.0", "3.0.0"), Equal);
        assert_eq!(compare_versions("3.10", "3.9"), Greater);
    }
}
