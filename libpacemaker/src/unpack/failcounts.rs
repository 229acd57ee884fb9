//! A resource's fail count on a node, from the node's transient attributes, as Pacemaker
//! 2.1.5 sums it (pe_get_failcount): `fail-count-<rsc>#<op>_<interval>` attributes, and
//! the latest `last-failure-<rsc>#<op>_<interval>`.

use crate::model::{NodeIdx, RscIdx, WorkingSet};
use crate::unpack::strip_instance;

/// Transient attribute name prefixes that hold fail counts and failure times.
const FAIL_COUNT_PREFIX: &str = "fail-count-";
const LAST_FAILURE_PREFIX: &str = "last-failure-";
/// CIBs written before this feature set kept one fail count per resource, not per
/// operation ("fail-count-rsc" rather than "fail-count-rsc#start_0").
const PER_OPERATION_SINCE: &str = "3.0.13";

/// Whether a CIB of this `crm_feature_set` counts failures per operation.
pub fn per_operation(feature_set: Option<&str>) -> bool {
    feature_set.is_some_and(|v| libcrmcommon::digest::compare_versions(v, PER_OPERATION_SINCE).is_ge())
}

/// The resource's fail count on the node, expired failures included, and its last failure
/// time (when there is a count and a time).
pub fn fail_count(ws: &WorkingSet, node: NodeIdx, rsc: RscIdx) -> (i32, Option<i64>) {
    let res = &ws.resources[rsc];
    let anonymous = ws.enclosing_clone(rsc).is_some_and(|c| !ws.resources[c].clone.unique);
    // An anonymous instance is known by the name its history used.
    let name = res.clone_name.as_deref().unwrap_or(&res.id);
    let name = if anonymous { strip_instance(name) } else { name };
    let pattern = AttributePattern { name, any_instance: anonymous, per_operation: ws.per_operation_fail_counts };
    let (mut count, mut last) = (0, 0i64);
    for (attribute, value) in &ws.nodes[node].attrs {
        if pattern.matches(attribute, FAIL_COUNT_PREFIX) {
            count = crate::score::add(count, crate::score::parse_or_zero(value));
        } else if pattern.matches(attribute, LAST_FAILURE_PREFIX) {
            if let Some(when) = leading_integer(value) {
                last = last.max(when);
            }
        }
    }
    (count, (count > 0 && last > 0).then_some(last))
}

/// Which attributes belong to a resource: `<prefix><name>[:<instance>][#<op>_<interval>]`.
struct AttributePattern<'a> {
    name: &'a str,
    /// Anonymous clone instances share counts, whatever instance number was recorded.
    any_instance: bool,
    per_operation: bool,
}

impl AttributePattern<'_> {
    fn matches(&self, attribute: &str, prefix: &str) -> bool {
        let Some(mut rest) = attribute.strip_prefix(prefix).and_then(|r| r.strip_prefix(self.name)) else {
            return false;
        };
        if self.any_instance {
            if let Some(instance) = rest.strip_prefix(':') {
                let digits = instance.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 {
                    rest = &instance[digits..];
                }
            }
        }
        if !self.per_operation {
            return rest.is_empty();
        }
        // "#<something>_<digits>" to the end.
        let Some(operation) = rest.strip_prefix('#') else { return false };
        match operation.rfind('_') {
            Some(at) => {
                let interval = &operation[at + 1..];
                at > 0 && !interval.is_empty() && interval.bytes().all(|b| b.is_ascii_digit())
            }
            None => false,
        }
    }
}

/// The integer a value starts with (as strtoll reads it).
fn leading_integer(value: &str) -> Option<i64> {
    let text = value.trim_start();
    let sign = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign..].bytes().take_while(u8::is_ascii_digit).count();
    text[..sign + digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_count_attribute_names() {
        let unique = AttributePattern { name: "rsc", any_instance: false, per_operation: true };
        assert!(unique.matches("fail-count-rsc#start_0", FAIL_COUNT_PREFIX));
        assert!(unique.matches("fail-count-rsc#monitor_10000", FAIL_COUNT_PREFIX));
        assert!(!unique.matches("fail-count-rsc", FAIL_COUNT_PREFIX));
        assert!(!unique.matches("fail-count-rsc:1#start_0", FAIL_COUNT_PREFIX));
        assert!(!unique.matches("fail-count-rsc2#start_0", FAIL_COUNT_PREFIX));
        assert!(!unique.matches("fail-count-rsc#_0", FAIL_COUNT_PREFIX));
        let anonymous = AttributePattern { name: "rsc", any_instance: true, per_operation: true };
        assert!(anonymous.matches("fail-count-rsc:1#start_0", FAIL_COUNT_PREFIX));
        assert!(anonymous.matches("last-failure-rsc#start_0", LAST_FAILURE_PREFIX));
        let legacy = AttributePattern { name: "rsc", any_instance: false, per_operation: false };
        assert!(legacy.matches("fail-count-rsc", FAIL_COUNT_PREFIX));
        assert!(!legacy.matches("fail-count-rsc#start_0", FAIL_COUNT_PREFIX));
        assert!(per_operation(Some("3.0.13")) && per_operation(Some("3.16.1")));
        assert!(!per_operation(Some("3.0.9")) && !per_operation(None));
    }
}
