//! Reading the `enable-acl` cluster option the way the CIB library does
//! (`cib_read_config`, which unpacks `crm_config`'s `cluster_property_set`s).
//!
//! Sets are ordered with `cib-bootstrap-options` first, then by descending `score`
//! (ties in reverse document order, as Pacemaker's prepend-then-stable-sort gives), and
//! unpacked in that order with later values overwriting earlier ones; `#default` unsets.
//! Sets and nvpairs may be `id-ref`s. A set with a `rule` counts only while the rule holds
//! now, evaluated with no node attributes (there is no node in this context), as the CIB
//! library evaluates it.

use crate::rules::{rule_matches, RuleContext};
use crate::xml::Element;

const CRM_SCORE_INFINITY: i64 = 1_000_000;
const BOOTSTRAP_SET: &str = "cib-bootstrap-options";

/// The effective value of a `crm_config` option.
pub(super) fn cluster_option<'a>(cib: &'a Element, name: &str) -> Option<&'a str> {
    let crm_config = cib.child("configuration")?.child("crm_config")?;
    let mut sets: Vec<(&Element, i64, bool)> = crm_config
        .elements()
        .filter(|e| e.name == "cluster_property_set")
        .filter_map(|e| expand_idref(cib, e))
        .map(|set| (set, score(set.attr("score")), set.id() == Some(BOOTSTRAP_SET)))
        .collect();
    sets.reverse();
    sets.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)));

    let mut value = None;
    for (set, _, _) in sets {
        if let Some(rule) = set.child("rule") {
            let context = RuleContext { node_attrs: None, now: Some(now_seconds()) };
            if !rule_matches(rule, &context) {
                continue;
            }
        }
        for nvpair in set.elements().filter(|e| e.name == "nvpair") {
            let referenced = expand_idref(cib, nvpair);
            let attr = |key: &str| nvpair.attr(key).or_else(|| referenced.and_then(|r| r.attr(key)));
            let (Some(pair_name), Some(pair_value)) = (attr("name"), attr("value")) else { continue };
            if pair_name != name {
                continue;
            }
            value = if pair_value.eq_ignore_ascii_case("#default") { None } else { Some(pair_value) };
        }
    }
    value
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The element an `id-ref` points at (same element name, anywhere in the CIB), or the
/// element itself when it has no `id-ref`.
fn expand_idref<'a>(cib: &'a Element, element: &'a Element) -> Option<&'a Element> {
    let Some(reference) = element.attr("id-ref") else { return Some(element) };
    // Exactly one match is required, as with Pacemaker's get_xpath_object.
    let mut matches = cib.descendants().filter(|e| e.name == element.name && e.id() == Some(reference));
    let target = matches.next()?;
    matches.next().is_none().then_some(target)
}

/// Pacemaker's `char2score` for set scores (node-health color names count as 0).
fn score(text: Option<&str>) -> i64 {
    match text {
        None => 0,
        Some("-INFINITY") => -CRM_SCORE_INFINITY,
        Some("INFINITY" | "+INFINITY") => CRM_SCORE_INFINITY,
        Some(other) => leading_integer(other).clamp(-CRM_SCORE_INFINITY, CRM_SCORE_INFINITY),
    }
}

/// `strtoll`-style: optional leading whitespace and sign, then digits; 0 if none.
fn leading_integer(text: &str) -> i64 {
    let trimmed = text.trim_start();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let mut value: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if negative {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    fn option(config: &str) -> Option<String> {
        let cib = parse(&format!("<cib><configuration><crm_config>{config}</crm_config></configuration></cib>")).unwrap();
        cluster_option(&cib, "enable-acl").map(str::to_string)
    }

    #[test]
    fn bootstrap_set_first_then_later_sets_overwrite() {
        let sets = r#"<cluster_property_set id="other"><nvpair id="o" name="enable-acl" value="false"/></cluster_property_set>
            <cluster_property_set id="cib-bootstrap-options"><nvpair id="b" name="enable-acl" value="true"/></cluster_property_set>"#;
        assert_eq!(option(sets).as_deref(), Some("false"));
        let scored = r#"<cluster_property_set id="low" score="1"><nvpair id="l" name="enable-acl" value="low"/></cluster_property_set>
            <cluster_property_set id="high" score="INFINITY"><nvpair id="h" name="enable-acl" value="high"/></cluster_property_set>"#;
        assert_eq!(option(scored).as_deref(), Some("low"));
        // Equal scores: the first set in the document is unpacked last.
        let tied = r#"<cluster_property_set id="a"><nvpair id="a1" name="enable-acl" value="first"/></cluster_property_set>
            <cluster_property_set id="b"><nvpair id="b1" name="enable-acl" value="second"/></cluster_property_set>"#;
        assert_eq!(option(tied).as_deref(), Some("first"));
    }

    #[test]
    fn defaults_references_and_rules() {
        let reset = r##"<cluster_property_set id="cib-bootstrap-options"><nvpair id="b" name="enable-acl" value="true"/></cluster_property_set>
            <cluster_property_set id="x"><nvpair id="x1" name="enable-acl" value="#default"/></cluster_property_set>"##;
        assert_eq!(option(reset), None);
        let referenced = r#"<cluster_property_set id="cib-bootstrap-options"><nvpair id-ref="shared"/></cluster_property_set>
            <cluster_property_set id="y"><rule id="r" score="0"/><nvpair id="shared" name="enable-acl" value="yes"/></cluster_property_set>"#;
        assert_eq!(option(referenced).as_deref(), Some("yes"));
        assert_eq!(score(Some(" 12abc")), 12);
        assert_eq!(score(Some("-5")), -5);
        assert_eq!(score(Some("99999999999")), CRM_SCORE_INFINITY);
        assert_eq!(score(Some("red")), 0);
    }

    #[test]
    fn rule_bearing_sets_count_only_while_their_rule_holds() {
        let set = |rule: &str| {
            format!(
                r#"<cluster_property_set id="cib-bootstrap-options"><nvpair id="b" name="enable-acl" value="false"/></cluster_property_set>
                <cluster_property_set id="timed" score="100">{rule}<nvpair id="t" name="enable-acl" value="true"/></cluster_property_set>"#
            )
        };
        let past = r#"<rule id="r1"><date_expression id="d1" operation="lt" end="2001-01-01"/></rule>"#;
        assert_eq!(option(&set(past)).as_deref(), Some("false"));
        let since = r#"<rule id="r2"><date_expression id="d2" operation="gt" start="2001-01-01"/></rule>"#;
        assert_eq!(option(&set(since)).as_deref(), Some("true"));
        // No node here: a node attribute is never defined.
        let node = r##"<rule id="r3"><expression id="e3" attribute="#uname" operation="defined"/></rule>"##;
        assert_eq!(option(&set(node)).as_deref(), Some("false"));
        let not_node = r##"<rule id="r4"><expression id="e4" attribute="#uname" operation="not_defined"/></rule>"##;
        assert_eq!(option(&set(not_node)).as_deref(), Some("true"));
    }
}
