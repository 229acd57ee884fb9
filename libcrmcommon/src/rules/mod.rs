//! Rule evaluation for the scheduler and the CIB manager: node attribute expressions,
//! date expressions (`gt`, `lt`, `in_range` with an end or a duration, `date_spec`),
//! resource and operation expressions (for rsc_defaults and op_defaults), and/or nesting.

mod calendar;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::xml::Element;

/// What a rule is evaluated against.
pub struct RuleContext<'a> {
    pub node_attrs: Option<&'a HashMap<String, String>>,
    /// Seconds since the epoch, for date expressions.
    pub now: Option<i64>,
}

/// The resource and operation a rule in rsc_defaults or op_defaults is
/// evaluated for (`rsc_expression`, `op_expression`); rules elsewhere have
/// neither, and such expressions never match there.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleSubject<'a> {
    pub resource: Option<ResourceAgent<'a>>,
    pub operation: Option<OperationKind<'a>>,
}

/// A resource's agent, as an `rsc_expression` compares it.
#[derive(Clone, Copy, Debug)]
pub struct ResourceAgent<'a> {
    pub class: &'a str,
    pub provider: Option<&'a str>,
    pub agent: &'a str,
}

/// An operation's name and interval, as an `op_expression` compares them.
#[derive(Clone, Copy, Debug)]
pub struct OperationKind<'a> {
    pub name: &'a str,
    pub interval_ms: u64,
}

/// What a location constraint's rule can refer to besides node attributes (Pacemaker's
/// match data): the constrained resource's parameters and meta-attributes, which an
/// expression's `value-source="param"|"meta"` names, and the groups the constraint's
/// `rsc-pattern` captured, which `%1`..`%9` in attribute names stand for.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResourceMatch<'a> {
    pub params: Option<&'a BTreeMap<String, String>>,
    pub meta: Option<&'a HashMap<String, String>>,
    /// Group 0 is the whole match; a group that took part in no match is `None`.
    pub captures: &'a [Option<&'a str>],
}

/// Replaces `%0`..`%9` in `text` by what `rsc-pattern` captured; a reference to a group
/// that captured nothing disappears, as in Pacemaker.
pub fn expand_captures(text: &str, captures: &[Option<&str>]) -> String {
    let mut expanded = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().and_then(|d| d.to_digit(10))) {
            ('%', Some(group)) => {
                chars.next();
                if let Some(Some(captured)) = captures.get(group as usize) {
                    expanded.push_str(captured);
                }
            }
            _ => expanded.push(c),
        }
    }
    expanded
}

/// Evaluates a location constraint's `<rule>` for one resource (see [`ResourceMatch`]),
/// lowering `next_change` as [`rule_matches_noting_change`] does.
pub fn location_rule_matches(
    rule: &Element,
    ctx: &RuleContext,
    resource: &ResourceMatch,
    next_change: &mut Option<i64>,
) -> bool {
    evaluate_rule(rule, ctx, &RuleSubject::default(), Some(resource), next_change)
}

/// Evaluates a `<rule>` element.
pub fn rule_matches(rule: &Element, ctx: &RuleContext) -> bool {
    rule_matches_for(rule, ctx, &RuleSubject::default())
}

/// Evaluates a `<rule>` element for a resource or operation.
pub fn rule_matches_for(rule: &Element, ctx: &RuleContext, subject: &RuleSubject) -> bool {
    rule_matches_noting_change(rule, ctx, subject, &mut None)
}

/// Like [`rule_matches_for`], also lowering `next_change` to the earliest
/// time (seconds since the epoch) at which a date expression that was
/// evaluated would give another result, as Pacemaker's rule evaluation
/// reports it (the scheduler asks to run again by then).
pub fn rule_matches_noting_change(
    rule: &Element,
    ctx: &RuleContext,
    subject: &RuleSubject,
    next_change: &mut Option<i64>,
) -> bool {
    evaluate_rule(rule, ctx, subject, None, next_change)
}

fn evaluate_rule(
    rule: &Element,
    ctx: &RuleContext,
    subject: &RuleSubject,
    resource: Option<&ResourceMatch>,
    next_change: &mut Option<i64>,
) -> bool {
    let is_or = rule
        .attr("boolean-op")
        .map(|b| b.eq_ignore_ascii_case("or"))
        .unwrap_or(false);
    let mut any = false;
    let mut count = 0;
    for child in rule.elements() {
        let result = match child.name.as_str() {
            "expression" => expression_matches(child, ctx, resource),
            "rule" => evaluate_rule(child, ctx, subject, resource, next_change),
            "date_expression" => date_expression_matches(child, ctx, next_change),
            "rsc_expression" => resource_expression_matches(child, subject),
            "op_expression" => operation_expression_matches(child, subject),
            _ => continue,
        };
        count += 1;
        if is_or && result {
            return true;
        }
        if !is_or && !result {
            return false;
        }
        any |= result;
    }
    if count == 0 {
        // An empty rule passes (Pacemaker treats it as true).
        return true;
    }
    if is_or {
        any
    } else {
        true
    }
}

fn expression_matches(expr: &Element, ctx: &RuleContext, resource: Option<&ResourceMatch>) -> bool {
    let Some(attr) = expr.attr("attribute") else {
        return false;
    };
    let op = expr.attr("operation").unwrap_or("");
    let attr = match resource {
        Some(resource) if attr.contains('%') => expand_captures(attr, resource.captures),
        _ => attr.to_owned(),
    };
    let actual = ctx.node_attrs.and_then(|a| a.get(&attr)).map(String::as_str);
    let expected = expected_value(expr, resource);
    match op.to_ascii_lowercase().as_str() {
        "defined" => actual.is_some(),
        "not_defined" => actual.is_none(),
        "eq" => compare_values(actual, expected, expr.attr("type"), op) == Ordering::Equal,
        "ne" => compare_values(actual, expected, expr.attr("type"), op) != Ordering::Equal,
        // An order against a missing value means nothing.
        _ if actual.is_none() || expected.is_none() => false,
        "lt" => compare_values(actual, expected, expr.attr("type"), op) == Ordering::Less,
        "lte" => compare_values(actual, expected, expr.attr("type"), op) != Ordering::Greater,
        "gt" => compare_values(actual, expected, expr.attr("type"), op) == Ordering::Greater,
        "gte" => compare_values(actual, expected, expr.attr("type"), op) != Ordering::Less,
        _ => false,
    }
}

/// The value an expression compares against: its `value`, or for a location rule with
/// `value-source="param"|"meta"`, the resource's parameter or meta-attribute that
/// `value` names. Outside location rules the value is always taken literally.
fn expected_value<'a>(expr: &'a Element, resource: Option<&ResourceMatch<'a>>) -> Option<&'a str> {
    let value = expr.attr("value").filter(|v| !v.is_empty())?;
    let Some(resource) = resource else {
        return Some(value);
    };
    match expr.attr("value-source").map(str::to_ascii_lowercase).as_deref() {
        Some("param") => resource.params?.get(value).map(String::as_str),
        Some("meta") => resource.meta?.get(value).map(String::as_str),
        _ => Some(value),
    }
}

/// Orders a node attribute against an expected value as Pacemaker does: a missing value
/// sorts before a present one; without a `type`, ordering operators compare numbers
/// (decimal ones when either value has a '.') and equality compares strings; values
/// that do not parse as the type are compared as strings, ignoring case.
fn compare_values(actual: Option<&str>, expected: Option<&str>, kind: Option<&str>, op: &str) -> Ordering {
    let (actual, expected) = match (actual, expected) {
        (Some(a), Some(e)) => (a, e),
        (None, None) => return Ordering::Equal,
        (Some(_), None) => return Ordering::Greater,
        (None, Some(_)) => return Ordering::Less,
    };
    let kind = match kind.map(str::to_ascii_lowercase) {
        Some(kind) => kind,
        None if ["lt", "lte", "gt", "gte"].iter().any(|o| op.eq_ignore_ascii_case(o)) => {
            if actual.contains('.') || expected.contains('.') { "number" } else { "integer" }.to_owned()
        }
        None => "string".to_owned(),
    };
    let as_strings = || actual.to_ascii_lowercase().cmp(&expected.to_ascii_lowercase());
    match kind.as_str() {
        "integer" => match (leading_integer(actual), leading_integer(expected)) {
            (Some(a), Some(e)) => a.cmp(&e),
            _ => as_strings(),
        },
        "number" => match (actual.trim().parse::<f64>(), expected.trim().parse::<f64>()) {
            (Ok(a), Ok(e)) => a.partial_cmp(&e).unwrap_or(Ordering::Equal),
            _ => as_strings(),
        },
        "version" => compare_versions(actual, expected),
        "string" => as_strings(),
        // An unknown type compares nothing: everything is equal.
        _ => Ordering::Equal,
    }
}

/// Parses the ISO 8601 forms Pacemaker configurations use: "2005-001"
/// (ordinal), "2005-01-01", optionally followed by "T"/" " and "HH:MM[:SS]"
/// and "Z" or an offset. Returns seconds since the epoch (UTC).
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, time) = match t.find(|c| c == 'T' || c == ' ') {
        Some(p) => (&t[..p], Some(t[p + 1..].trim())),
        None => (t, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let year: i64 = parts.first()?.parse().ok()?;
    let day_of_year: i64 = match parts.len() {
        2 => parts[1].parse().ok()?,
        3 => {
            let m: i64 = parts[1].parse().ok()?;
            let d: i64 = parts[2].parse().ok()?;
            if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
                return None;
            }
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
            cumulative[(m - 1) as usize] + d + if leap && m > 2 { 1 } else { 0 }
        }
        _ => return None,
    };
    let days_before_year = {
        let y = year - 1;
        365 * (year - 1970) + (y / 4 - y / 100 + y / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400)
    };
    let mut secs = (days_before_year + day_of_year - 1) * 86_400;
    if let Some(time) = time {
        let (clock, offset) = match time.find(|c| c == 'Z' || c == '+' || c == '-') {
            Some(p) => (&time[..p], &time[p..]),
            None => (time, ""),
        };
        let hms: Vec<i64> = clock
            .trim()
            .split(':')
            .map(|p| p.trim().parse().unwrap_or(0))
            .collect();
        secs += hms.first().copied().unwrap_or(0) * 3600
            + hms.get(1).copied().unwrap_or(0) * 60
            + hms.get(2).copied().unwrap_or(0);
        if let Some(rest) = offset
            .strip_prefix('+')
            .or_else(|| offset.strip_prefix('-'))
        {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let rest = rest.trim();
            let o: Vec<i64> = if rest.contains(':') {
                rest.split(':')
                    .map(|p| p.trim().parse().unwrap_or(0))
                    .collect()
            } else if rest.len() == 4 && rest.is_ascii() {
                vec![
                    rest[..2].parse().unwrap_or(0),
                    rest[2..].parse().unwrap_or(0),
                ]
            } else {
                vec![rest.parse().unwrap_or(0)]
            };
            secs -= sign
                * (o.first().copied().unwrap_or(0) * 3600 + o.get(1).copied().unwrap_or(0) * 60);
        }
    }
    Some(secs)
}

/// Evaluates a date expression, noting when its result will change (not
/// for `date_spec`, for which Pacemaker 2.1.5 does not work it out).
fn date_expression_matches(expr: &Element, ctx: &RuleContext, next_change: &mut Option<i64>) -> bool {
    let Some(now) = ctx.now else { return false };
    let start = expr.attr("start").and_then(parse_iso8601);
    let mut end = expr.attr("end").and_then(parse_iso8601);
    if let (Some(s), None, Some(duration)) = (start, end, expr.child("duration")) {
        end = Some(calendar::add_duration(s, duration));
    }
    let mut changes_at = |t: i64| {
        if next_change.map_or(true, |n| t < n) {
            *next_change = Some(t);
        }
    };
    let operation = expr.attr("operation").unwrap_or("in_range");
    if operation.eq_ignore_ascii_case("in_range") {
        match (start, end) {
            (None, None) => false,
            (Some(s), _) if now < s => {
                changes_at(s);
                false
            }
            (_, Some(e)) if now > e => false,
            (_, e) => {
                // Still in range during the end's second.
                if let Some(e) = e {
                    changes_at(e + 1);
                }
                true
            }
        }
    } else if operation.eq_ignore_ascii_case("date_spec") {
        calendar::date_spec_matches(expr.child("date_spec"), now)
    } else if operation.eq_ignore_ascii_case("gt") {
        match start {
            None => false,
            Some(s) if now > s => true,
            Some(s) => {
                changes_at(s + 1);
                false
            }
        }
    } else if operation.eq_ignore_ascii_case("lt") {
        match end {
            Some(e) if now < e => {
                changes_at(e);
                true
            }
            _ => false,
        }
    } else {
        false
    }
}

/// Pacemaker's pe__eval_rsc_expr: the class and type must match where given;
/// the provider must match exactly, absent on both sides included.
fn resource_expression_matches(expr: &Element, subject: &RuleSubject) -> bool {
    let Some(rsc) = subject.resource else { return false };
    expr.attr("class").map_or(true, |c| c == rsc.class)
        && expr.attr("provider") == rsc.provider
        && expr.attr("type").map_or(true, |t| t == rsc.agent)
}

/// Pacemaker's pe__eval_op_expr: the name must match, the interval where given.
fn operation_expression_matches(expr: &Element, subject: &RuleSubject) -> bool {
    let Some(op) = subject.operation else { return false };
    if let Some(interval) = expr.attr("interval") {
        match crate::duration::interval_ms(interval) {
            Some(ms) if ms == op.interval_ms => {}
            _ => return false,
        }
    }
    expr.attr("name") == Some(op.name)
}

/// The integer a string starts with (strtoll-like), if any.
fn leading_integer(text: &str) -> Option<i64> {
    let t = text.trim();
    let mut end = 0;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+')) {
            end = i + 1;
        } else {
            break;
        }
    }
    let digits = &t[..end];
    if digits.is_empty() || digits == "-" || digits == "+" {
        return None;
    }
    digits
        .parse::<i64>()
        .ok()
        .or(Some(if digits.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        }))
}

fn compare_versions(a: &str, b: &str) -> Ordering {
    let pa: Vec<i64> = a.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let pb: Vec<i64> = b.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let n = pa.len().max(pb.len());
    for i in 0..n {
        let x = pa.get(i).copied().unwrap_or(0);
        let y = pb.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

/// Collects name/value pairs from the nvpair sets (e.g. meta_attributes)
/// under `parent`, skipping sets whose rules fail. A set with a higher
/// `score` wins; among equal scores the last one listed does (Pacemaker
/// 2.1.5 lists them in reverse before a stable sort by score).
pub fn collect_nvpairs(
    parent: &Element,
    set_name: &str,
    ctx: &RuleContext,
    into: &mut HashMap<String, String>,
) {
    collect_nvpairs_for(parent, set_name, ctx, &RuleSubject::default(), into);
}

/// Like [`collect_nvpairs`], with rules evaluated for a resource or operation.
pub fn collect_nvpairs_for(
    parent: &Element,
    set_name: &str,
    ctx: &RuleContext,
    subject: &RuleSubject,
    into: &mut HashMap<String, String>,
) {
    collect_nvpairs_noting_change(parent, set_name, ctx, subject, into, &mut None);
}

/// Like [`collect_nvpairs_for`], noting when a set's rule will give another
/// result (see [`rule_matches_noting_change`]).
pub fn collect_nvpairs_noting_change(
    parent: &Element,
    set_name: &str,
    ctx: &RuleContext,
    subject: &RuleSubject,
    into: &mut HashMap<String, String>,
    next_change: &mut Option<i64>,
) {
    let mut sets: Vec<&Element> = parent.elements().filter(|e| e.name == set_name).collect();
    sets.reverse();
    // Sets with a higher score are considered first (stable for equal scores).
    sets.sort_by_key(|e| {
        -e.attr("score")
            .map(crate::score::parse_or_zero)
            .unwrap_or(0)
    });
    for set in sets {
        if let Some(rule) = set.child("rule") {
            if !rule_matches_noting_change(rule, ctx, subject, next_change) {
                continue;
            }
        }
        for nv in set.elements().filter(|e| e.name == "nvpair") {
            if let (Some(n), Some(v)) = (nv.attr("name"), nv.attr("value")) {
                into.entry(n.to_string()).or_insert_with(|| v.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_attrs(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn value_source_compares_against_the_resources_parameter_or_meta_attribute() {
        let attrs = node_attrs(&[("fake", "300"), ("rack", "2")]);
        let ctx = RuleContext { node_attrs: Some(&attrs), now: None };
        let params: BTreeMap<String, String> = [("fake".to_string(), "200".to_string())].into();
        let meta: HashMap<String, String> = [("rack".to_string(), "2".to_string())].into();
        let resource = ResourceMatch { params: Some(&params), meta: Some(&meta), captures: &[] };
        let matches = |rule: &str| {
            let rule = crate::xml::parse(rule).expect("rule parses");
            location_rule_matches(&rule, &ctx, &resource, &mut None)
        };
        let gt = r#"<rule><expression attribute="fake" operation="gt" value="fake" value-source="param"/></rule>"#;
        assert!(matches(gt), "node's 300 > the parameter's 200");
        let lt = r#"<rule><expression attribute="fake" operation="lt" value="fake" value-source="param"/></rule>"#;
        assert!(!matches(lt));
        let meta_eq = r#"<rule><expression attribute="rack" operation="eq" value="rack" value-source="meta"/></rule>"#;
        assert!(matches(meta_eq));
        // A parameter the resource lacks: only "ne" holds.
        let missing = r#"<rule><expression attribute="fake" operation="OP" value="nope" value-source="param"/></rule>"#;
        assert!(!matches(&missing.replace("OP", "eq")));
        assert!(matches(&missing.replace("OP", "ne")));
        assert!(!matches(&missing.replace("OP", "gt")));
        // Outside a location rule the value is literal.
        let literal = crate::xml::parse(r#"<rule><expression attribute="rack" operation="eq" value="2" value-source="meta"/></rule>"#).unwrap();
        assert!(rule_matches(&literal, &ctx));
    }

    #[test]
    fn pattern_captures_expand_in_attribute_names() {
        let captures = [Some("rsc-web"), Some("web"), None];
        assert_eq!(expand_captures("%1-weight", &captures), "web-weight");
        assert_eq!(expand_captures("a%2b%9c", &captures), "abc");
        assert_eq!(expand_captures("100%", &captures), "100%");
        let attrs = node_attrs(&[("web-ok", "yes")]);
        let ctx = RuleContext { node_attrs: Some(&attrs), now: None };
        let resource = ResourceMatch { captures: &captures, ..Default::default() };
        let rule = crate::xml::parse(r#"<rule><expression attribute="%1-ok" operation="eq" value="yes"/></rule>"#).unwrap();
        assert!(location_rule_matches(&rule, &ctx, &resource, &mut None));
    }

    #[test]
    fn untyped_ordering_compares_integers_unless_a_value_has_a_decimal_point() {
        let attrs = node_attrs(&[("n", "10"), ("d", "2.5")]);
        let ctx = RuleContext { node_attrs: Some(&attrs), now: None };
        let matches = |attr: &str, op: &str, value: &str| {
            let rule = crate::xml::parse(&format!(r#"<rule><expression attribute="{attr}" operation="{op}" value="{value}"/></rule>"#)).unwrap();
            rule_matches(&rule, &ctx)
        };
        assert!(matches("n", "gt", "9"), "10 > 9 as integers, not as strings");
        assert!(matches("d", "lt", "10"), "2.5 < 10 as numbers");
        // No attribute and no value: "eq" holds.
        assert!(matches("n", "ne", ""));
        assert!(matches("missing", "eq", ""));
    }

    /// Evaluates `rule` at `now`, returning its result and when it changes.
    fn with_change(rule: &str, now: i64) -> (bool, Option<i64>) {
        let rule = crate::xml::parse(rule).expect("rule parses");
        let ctx = RuleContext { node_attrs: None, now: Some(now) };
        let mut next = None;
        let matched = rule_matches_noting_change(&rule, &ctx, &RuleSubject::default(), &mut next);
        (matched, next)
    }

    #[test]
    fn date_expressions_note_when_their_result_changes() {
        let range = r#"<rule id="r"><date_expression id="d" operation="in_range" start="1970-01-01T00:01:40Z" end="1970-01-01T00:03:20Z"/></rule>"#;
        assert_eq!(with_change(range, 50), (false, Some(100)));
        assert_eq!(with_change(range, 150), (true, Some(201)), "in range through the end's second");
        assert_eq!(with_change(range, 250), (false, None));
        let gt = r#"<rule id="r"><date_expression id="d" operation="gt" start="1970-01-01T00:01:40Z"/></rule>"#;
        assert_eq!(with_change(gt, 100), (false, Some(101)));
        let lt = r#"<rule id="r"><date_expression id="d" operation="lt" end="1970-01-01T00:01:40Z"/></rule>"#;
        assert_eq!(with_change(lt, 50), (true, Some(100)));
        // The earliest change wins; expressions not evaluated (after an
        // "and" failed) do not count.
        let both = r#"<rule id="r"><date_expression id="a" operation="lt" end="1970-01-01T00:01:40Z"/>
            <date_expression id="b" operation="lt" end="1970-01-01T00:00:30Z"/>
            <date_expression id="c" operation="gt" start="1970-01-01T00:00:20Z"/></rule>"#;
        assert_eq!(with_change(both, 10), (false, Some(21)));
        assert_eq!(with_change(both, 40), (false, Some(100)));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(parse_iso8601("1970-001"), Some(0));
        assert_eq!(parse_iso8601("2005-001"), Some(1_104_537_600));
        assert_eq!(parse_iso8601("2005-01-01"), Some(1_104_537_600));
        assert_eq!(parse_iso8601("2005-01-01T01:00:00Z"), Some(1_104_541_200));
        assert_eq!(parse_iso8601("garbage"), None);
        assert_eq!(
            parse_iso8601("2019-09-23 18:00:00 -05:00"),
            parse_iso8601("2019-09-23T23:00:00Z")
        );
    }
}
