//! How a simulated action's result is recorded in a resource's history (lrm_resource), the
//! way Pacemaker's controller (and crm_simulate) records one: a few entries per operation,
//! named by what they stand for and overwritten by the next result of their kind.

use libcrmcommon::xml::{Element, XmlNode};

/// What crm_simulate names itself in the entries it writes.
const ORIGIN: &str = "crm_simulate";
/// The feature set Pacemaker 2.1.5 writes into history entries.
const FEATURE_SET: &str = "3.16.1";
/// The transition UUID of actions simulated outside a real transition.
const FAKE_TRANSITION_UUID: &str = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
/// The reason crm_simulate gives a result it made up (shown only for failures).
const INJECTED_REASON: &str = "User-injected result";

/// One action's result.
pub struct ActionResult<'a> {
    /// The resource's name in the transition (an anonymous clone's instances share it),
    /// which names the entries.
    pub rsc: &'a str,
    pub task: &'a str,
    /// For a notification: its type ("pre", "post") and the action it is about.
    pub notification: Option<(&'a str, &'a str)>,
    pub interval_ms: u64,
    /// The result expected, and the result had.
    pub target_rc: i32,
    pub rc: i32,
    /// When it ran (seconds since 1970).
    pub when: u64,
}

/// Records `result` in `entry` (an lrm_resource): the call number follows the entry's
/// highest; a failure goes into `<rsc>_last_failure_0` (and, for a one-shot action, also
/// `<rsc>_last_0`), a recurring action into its own key, a migration into its key, anything
/// else into `<rsc>_last_0`.
pub fn record(entry: &mut Element, result: &ActionResult) {
    let rsc = result.rsc;
    // A reload that worked leaves the resource as a start would.
    let task = if matches!(result.task, "reload" | "reload-agent") { "start" } else { result.task };
    let key = format!("{rsc}_{task}_{}", result.interval_ms);
    // A notification's result is recorded as success, whatever it was.
    let rc = if result.notification.is_some() { 0 } else { result.rc };
    let failed = rc != result.target_rc;
    let ids: Vec<String> = if let Some((kind, about)) = result.notification {
        vec![format!("{rsc}_{kind}_notify_{about}_0")]
    } else if matches!(task, "migrate_to" | "migrate_from") {
        vec![key.clone()]
    } else if failed && result.interval_ms == 0 {
        vec![format!("{rsc}_last_failure_0"), format!("{rsc}_last_0")]
    } else if failed {
        vec![format!("{rsc}_last_failure_0")]
    } else if result.interval_ms > 0 {
        vec![key.clone()]
    } else {
        vec![format!("{rsc}_last_0")]
    };
    let call = highest_call(entry) + 1;
    let transition_key = format!("{call}:-1:{}:{FAKE_TRANSITION_UUID}", result.target_rc);
    let attributes = [
        ("operation_key", key.clone()),
        ("operation", task.to_owned()),
        ("crm-debug-origin", ORIGIN.to_owned()),
        ("crm_feature_set", FEATURE_SET.to_owned()),
        ("transition-magic", format!("0:{rc};{transition_key}")),
        ("transition-key", transition_key),
        ("exit-reason", if failed { INJECTED_REASON.to_owned() } else { String::new() }),
        ("call-id", call.to_string()),
        ("rc-code", rc.to_string()),
        ("op-status", "0".to_owned()),
        ("interval", result.interval_ms.to_string()),
        ("last-rc-change", result.when.to_string()),
        ("exec-time", "0".to_owned()),
        ("queue-time", "0".to_owned()),
    ];
    for id in ids {
        let op = match position_of(entry, &id) {
            Some(at) => entry.children[at].as_element_mut().expect("an element"),
            None => {
                entry.push_child(Element::new("lrm_rsc_op").with_attr("id", id.clone()));
                let last = entry.children.len() - 1;
                entry.children[last].as_element_mut().expect("an element")
            }
        };
        for (name, value) in &attributes {
            op.set_attr(*name, value.clone());
        }
    }
}

fn position_of(entry: &Element, id: &str) -> Option<usize> {
    entry
        .children
        .iter()
        .position(|c| matches!(c, XmlNode::Element(op) if op.name == "lrm_rsc_op" && op.id() == Some(id)))
}

/// The highest call number among the entry's operations (0 when none).
fn highest_call(entry: &Element) -> i64 {
    entry
        .elements()
        .filter(|op| op.name == "lrm_rsc_op")
        .filter_map(|op| op.attr("call-id").and_then(|v| v.trim().parse::<i64>().ok()))
        .fold(0, i64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(entry: &Element) -> Vec<(String, String, String)> {
        entry
            .elements()
            .map(|op| {
                let a = |n: &str| op.attr(n).unwrap_or_default().to_owned();
                (a("id"), a("operation_key"), a("call-id"))
            })
            .collect()
    }

    #[test]
    fn entries_are_named_by_kind_and_overwritten() {
        let mut entry = Element::new("lrm_resource").with_attr("id", "rsc1");
        entry.push_child(
            Element::new("lrm_rsc_op").with_attr("id", "rsc1_monitor_10000").with_attr("call-id", "3").with_attr("rc-code", "7"),
        );
        let result = |task, interval_ms, rc| ActionResult { rsc: "rsc1", task, notification: None, interval_ms, target_rc: 0, rc, when: 5 };
        record(&mut entry, &result("stop", 0, 0));
        record(&mut entry, &result("start", 0, 1));
        record(&mut entry, &result("monitor", 10000, 0));
        assert_eq!(
            ops(&entry),
            [
                ("rsc1_monitor_10000".into(), "rsc1_monitor_10000".into(), "6".into()),
                ("rsc1_last_0".into(), "rsc1_start_0".into(), "5".into()),
                ("rsc1_last_failure_0".into(), "rsc1_start_0".into(), "5".into()),
            ]
        );
        let failure = entry.elements().find(|op| op.id() == Some("rsc1_last_failure_0")).unwrap();
        assert_eq!(failure.attr("exit-reason"), Some(INJECTED_REASON));
        assert_eq!(failure.attr("transition-key"), Some("5:-1:0:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
    }
}
