//! Rule evaluation (node attribute expressions, and/or nesting).
//!
//! Date expressions, rsc_expression and op_expression are not evaluated yet:
//! a rule that contains one is treated as not matching.

use std::cmp::Ordering;
use std::collections::HashMap;

use libcrmcommon::xml::Element;

/// What a rule is evaluated against.
pub struct RuleContext<'a> {
    pub node_attrs: Option<&'a HashMap<String, String>>,
}

/// Evaluates a `<rule>` element.
pub fn rule_matches(rule: &Element, ctx: &RuleContext) -> bool {
    let is_or = rule.attr("boolean-op").map(|b| b.eq_ignore_ascii_case("or")).unwrap_or(false);
    let mut any = false;
    let mut count = 0;
    for child in rule.elements() {
        let result = match child.name.as_str() {
            "expression" => expression_matches(child, ctx),
            "rule" => rule_matches(child, ctx),
            "date_expression" | "rsc_expression" | "op_expression" => false,
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

fn expression_matches(expr: &Element, ctx: &RuleContext) -> bool {
    let attr = match expr.attr("attribute") {
        Some(a) => a,
        None => return false,
    };
    let op = expr.attr("operation").unwrap_or("");
    let value_source = expr.attr("value-source").unwrap_or("literal");
    let actual = ctx.node_attrs.and_then(|a| a.get(attr)).map(|s| s.as_str());
    let expected = match value_source {
        // param/meta value sources need resource parameters, which we don't pass yet.
        "param" | "meta" => None,
        _ => expr.attr("value"),
    };
    match op {
        "defined" => return actual.is_some(),
        "not_defined" => return actual.is_none(),
        _ => {}
    }
    let (actual, expected) = match (actual, expected) {
        (Some(a), Some(e)) => (a, e),
        (None, _) => return op == "ne",
        (Some(_), None) => return false,
    };
    let kind = expr.attr("type").map(|t| t.to_ascii_lowercase());
    let kind = match kind.as_deref() {
        Some("number") | Some("integer") => "number",
        Some("version") => "version",
        Some("string") => "string",
        _ => {
            if matches!(op, "lt" | "lte" | "gt" | "gte") && expected.parse::<f64>().is_ok() {
                "number"
            } else {
                "string"
            }
        }
    };
    let ordering = match kind {
        "number" => match (actual.trim().parse::<f64>(), expected.trim().parse::<f64>()) {
            (Ok(a), Ok(e)) => a.partial_cmp(&e),
            _ => None,
        },
        "version" => Some(compare_versions(actual, expected)),
        _ => Some(actual.to_ascii_lowercase().cmp(&expected.to_ascii_lowercase())),
    };
    let ordering = match ordering {
        Some(o) => o,
        None => return false,
    };
    match op {
        "eq" => ordering == Ordering::Equal,
        "ne" => ordering != Ordering::Equal,
        "lt" => ordering == Ordering::Less,
        "lte" => ordering != Ordering::Greater,
        "gt" => ordering == Ordering::Greater,
        "gte" => ordering != Ordering::Less,
        _ => false,
    }
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
/// under `parent`, earlier sets winning, skipping sets whose rules fail.
pub fn collect_nvpairs(parent: &Element, set_name: &str, ctx: &RuleContext, into: &mut HashMap<String, String>) {
    for set in parent.elements().filter(|e| e.name == set_name) {
        if let Some(rule) = set.child("rule") {
            if !rule_matches(rule, ctx) {
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
