//! Synthetic cluster events for crm_simulate (`-u/-d/-f` node up/down/fail, `-i` injected
//! operation results, `-q` quorum, `-w` watchdog, `-g/-r/-b/-e` tickets): edits to the
//! CIB's status (and crm_config) made before scheduling, as Pacemaker 2.1.5 makes them, with
//! the "Performing Requested Modifications" lines it prints.

use libcrmcommon::xml::{Element, XmlNode};

/// Who recorded injected history (`crm-debug-origin`), as Pacemaker's tool names itself.
const ORIGIN: &str = "crm_simulate";
/// Feature set written into injected operation history.
const FEATURE_SET: &str = "3.16.1";
/// The transition-key UUID of results no transition produced.
const FAKE_TRANSITION_UUID: &str = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
const INJECTED_EXIT_REASON: &str = "Simulated action result";
const OCF_OK: i32 = 0;
const OCF_NOT_RUNNING: i32 = 7;

/// The requested events, in the order crm_simulate applies them.
#[derive(Debug, Default, Clone)]
pub struct Injections {
    pub quorum: Option<String>,
    pub watchdog: Option<String>,
    pub node_up: Vec<String>,
    pub node_down: Vec<String>,
    pub node_fail: Vec<String>,
    pub ticket_grant: Vec<String>,
    pub ticket_revoke: Vec<String>,
    pub ticket_standby: Vec<String>,
    pub ticket_activate: Vec<String>,
    /// `rsc_task_interval@node=rc`
    pub op_inject: Vec<String>,
    /// `rsc_task_interval@node=rc`: results the simulated transition's actions fail with
    /// (crm_simulate -F); not applied before scheduling.
    pub op_fail: Vec<String>,
    /// Seconds since the epoch recorded as the time of injected results and failures.
    pub now: i64,
}

impl Injections {
    /// Pacemaker adds a `<node>` entry for every node it injects state for once any node is
    /// brought up (crm_simulate's --node-up switches that on for the whole run).
    fn creates_node_config(&self) -> bool {
        !self.node_up.is_empty()
    }
}

impl Injections {
    pub fn is_empty(&self) -> bool {
        self.quorum.is_none()
            && self.watchdog.is_none()
            && self.node_up.is_empty()
            && self.node_down.is_empty()
            && self.node_fail.is_empty()
            && self.ticket_grant.is_empty()
            && self.ticket_revoke.is_empty()
            && self.ticket_standby.is_empty()
            && self.ticket_activate.is_empty()
            && self.op_inject.is_empty()
    }
}

/// What applying the injections printed, and what went wrong (printed as errors by the
/// caller; like Pacemaker, a bad operation spec skips that spec only).
#[derive(Debug, Default)]
pub struct InjectionReport {
    pub lines: Vec<String>,
    pub errors: Vec<String>,
}

/// Applies every injection to `cib` in Pacemaker's order.
pub fn apply(cib: &mut Element, injections: &Injections) -> InjectionReport {
    let mut report = InjectionReport::default();
    let item = |report: &mut InjectionReport, text: String| report.lines.push(format!("  * {text}"));
    if let Some(quorum) = &injections.quorum {
        item(&mut report, format!("Setting quorum: {quorum}"));
        cib.set_attr("have-quorum", quorum.clone());
    }
    if let Some(watchdog) = &injections.watchdog {
        item(&mut report, format!("Setting watchdog: {watchdog}"));
        set_bootstrap_option(cib, "have-watchdog", watchdog);
    }
    let add_config = injections.creates_node_config();
    for node in &injections.node_up {
        item(&mut report, format!("Bringing node {node} online"));
        if let Some(state) = node_state(cib, node, add_config) {
            set_node_state(state, true);
        }
    }
    for node in &injections.node_down {
        item(&mut report, format!("Taking node {node} offline"));
        let Some(state) = node_state(cib, node, add_config) else { continue };
        set_node_state(state, false);
        state.children.retain(|c| !matches!(c, XmlNode::Element(e) if e.name == "lrm" || e.name == "transient_attributes"));
    }
    for node in &injections.node_fail {
        item(&mut report, format!("Failing node {node}"));
        let Some(state) = node_state(cib, node, add_config) else { continue };
        set_node_state(state, true);
        state.set_attr("in_ccm", "false");
    }
    let tickets: [(&Vec<String>, &str, &str, bool); 4] = [
        (&injections.ticket_grant, "Granting", "granted", true),
        (&injections.ticket_revoke, "Revoking", "granted", false),
        (&injections.ticket_standby, "Standby", "standby", true),
        (&injections.ticket_activate, "Activating", "standby", false),
    ];
    for (list, verb, attribute, value) in tickets {
        for ticket in list {
            let text = if verb == "Standby" {
                format!("Making ticket {ticket} standby")
            } else {
                format!("{verb} ticket {ticket}")
            };
            item(&mut report, text);
            set_ticket_attr(cib, ticket, attribute, value);
        }
    }
    for spec in &injections.op_inject {
        item(&mut report, format!("Injecting {spec} into the configuration"));
        if let Err(e) = inject_operation(cib, spec, injections.now, add_config, &mut report) {
            report.errors.push(e);
        }
    }
    report
}

fn set_bootstrap_option(cib: &mut Element, name: &str, value: &str) {
    const SET_ID: &str = "cib-bootstrap-options";
    let crm_config = cib.ensure_child("configuration").ensure_child("crm_config");
    let index = match crm_config.child_index_by_id("cluster_property_set", Some(SET_ID)) {
        Some(i) => i,
        None => {
            crm_config.push_child(Element::new("cluster_property_set").with_attr("id", SET_ID));
            crm_config.children.len() - 1
        }
    };
    let Some(set) = crm_config.children[index].as_element_mut() else { return };
    if let Some(pair) = set.elements_mut().find(|e| e.name == "nvpair" && e.attr("name") == Some(name)) {
        pair.set_attr("value", value);
        return;
    }
    set.push_child(
        Element::new("nvpair")
            .with_attr("id", sanitize_id(&format!("{SET_ID}-{name}")))
            .with_attr("name", name)
            .with_attr("value", value),
    );
}

/// The node's `<node>` entry in the configuration, created with its name as id if missing.
fn ensure_node_config(cib: &mut Element, uname: &str) {
    let nodes = cib.ensure_child("configuration").ensure_child("nodes");
    if !nodes.elements().any(|n| n.name == "node" && n.attr("uname") == Some(uname)) {
        nodes.push_child(Element::new("node").with_attr("id", uname).with_attr("uname", uname));
    }
}

/// The node's id as the configuration knows it (the name itself when it is not configured).
fn node_uuid(cib: &Element, uname: &str) -> String {
    cib.child("configuration")
        .and_then(|c| c.child("nodes"))
        .and_then(|nodes| nodes.elements().find(|n| n.name == "node" && n.attr("uname") == Some(uname)))
        .and_then(Element::id)
        .unwrap_or(uname)
        .to_owned()
}

/// The node's `<node_state>`, created (with the configured id) when missing; with
/// `add_config`, the node's configuration entry too.
fn node_state<'a>(cib: &'a mut Element, uname: &str, add_config: bool) -> Option<&'a mut Element> {
    if add_config {
        ensure_node_config(cib, uname);
    }
    let uuid = node_uuid(cib, uname);
    let status = cib.ensure_child("status");
    let position = status
        .children
        .iter()
        .position(|c| matches!(c, XmlNode::Element(e) if e.name == "node_state" && e.attr("uname") == Some(uname)));
    let index = match position {
        Some(i) => i,
        None => {
            status.push_child(Element::new("node_state").with_attr("id", uuid).with_attr("uname", uname));
            status.children.len() - 1
        }
    };
    status.children[index].as_element_mut()
}

fn set_node_state(state: &mut Element, up: bool) {
    let (in_ccm, crmd, join) = if up { ("true", "online", "member") } else { ("false", "offline", "down") };
    state.set_attr("in_ccm", in_ccm);
    state.set_attr("crmd", crmd);
    state.set_attr("join", join);
    state.set_attr("expected", join);
    state.set_attr("crm-debug-origin", ORIGIN);
}

fn set_ticket_attr(cib: &mut Element, ticket: &str, attribute: &str, value: bool) {
    let tickets = cib.ensure_child("status").ensure_child("tickets");
    let index = match tickets.child_index_by_id("ticket_state", Some(ticket)) {
        Some(i) => i,
        None => {
            tickets.push_child(Element::new("ticket_state").with_attr("id", ticket));
            tickets.children.len() - 1
        }
    };
    if let Some(state) = tickets.children[index].as_element_mut() {
        state.set_attr(attribute, if value { "true" } else { "false" });
    }
}

/// Pacemaker replaces the characters an XML ID may not hold that attribute names often do.
fn sanitize_id(id: &str) -> String {
    id.replace([':', '#'], ".")
}

/// An operation key split into resource, task and interval, as Pacemaker's parse_op_key
/// does (tasks with underscores: migrate_to, migrate_from, pre_/post_notify_*).
pub fn parse_op_key(key: &str) -> Option<(String, String, u64)> {
    let (rest, interval) = key.rsplit_once('_')?;
    let interval: u64 = interval.parse().ok()?;
    for special in ["_migrate_to", "_migrate_from"] {
        if let Some(rsc) = rest.strip_suffix(special) {
            if !rsc.is_empty() {
                return Some((rsc.to_owned(), special[1..].to_owned(), interval));
            }
        }
    }
    for phase in ["_pre_notify_", "_post_notify_"] {
        if let Some(at) = rest.find(phase) {
            let (rsc, task) = (&rest[..at], &rest[at + 1..]);
            if !rsc.is_empty() && task.len() > phase.len() - 1 {
                return Some((rsc.to_owned(), task.to_owned(), interval));
            }
        }
    }
    let (rsc, task) = rest.rsplit_once('_')?;
    if rsc.is_empty() || task.is_empty() {
        return None;
    }
    Some((rsc.to_owned(), task.to_owned(), interval))
}

/// The configured primitive an injected result is for, found as Pacemaker finds it: a
/// primitive outside any clone by its id, a cloned one by an instance name (`rsc:N`, N
/// below clone-max), or by its own id when some node's history uses that name (an
/// anonymous instance then carries it).
fn find_primitive<'a>(cib: &'a Element, rsc: &str) -> Option<&'a Element> {
    const COLLECTIVES: [&str; 3] = ["clone", "master", "bundle"];
    let history_uses_name = cib
        .child("status")
        .is_some_and(|status| status.descendants().any(|e| e.name == "lrm_resource" && e.id() == Some(rsc)));
    fn walk<'a>(parent: &'a Element, rsc: &str, in_clone: Option<&'a Element>, history_uses_name: bool) -> Option<&'a Element> {
        for child in parent.elements() {
            if COLLECTIVES.contains(&child.name.as_str()) {
                if let Some(found) = walk(child, rsc, Some(child), history_uses_name) {
                    return Some(found);
                }
            } else if child.name == "group" {
                if let Some(found) = walk(child, rsc, in_clone, history_uses_name) {
                    return Some(found);
                }
            } else if child.name == "primitive" {
                let Some(id) = child.id() else { continue };
                let matches = match (in_clone, rsc.split_once(':')) {
                    (None, _) => id == rsc,
                    (Some(clone), Some((base, instance))) => {
                        base == id && instance.parse::<u64>().is_ok_and(|n| n < clone_max(clone))
                    }
                    (Some(_), None) => history_uses_name && id == rsc,
                };
                if matches {
                    return Some(child);
                }
            }
        }
        None
    }
    walk(cib.child("configuration")?.child("resources")?, rsc, None, history_uses_name)
}

/// A clone's clone-max meta attribute (default: one instance per configured node; the
/// node count is not known here, so any instance number is accepted then).
fn clone_max(clone: &Element) -> u64 {
    clone
        .elements()
        .filter(|e| e.name == "meta_attributes")
        .flat_map(|set| set.elements())
        .find(|nv| nv.name == "nvpair" && nv.attr("name") == Some("clone-max"))
        .and_then(|nv| nv.attr("value"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX)
}

fn inject_operation(
    cib: &mut Element,
    spec: &str,
    now: i64,
    add_config: bool,
    report: &mut InjectionReport,
) -> Result<(), String> {
    let invalid = |found: usize| format!("Invalid operation spec: {spec}.  Only found {found} fields");
    let (key, rest) = spec.split_once('@').ok_or_else(|| invalid(1))?;
    let (node, rc) = rest.split_once('=').ok_or_else(|| invalid(2))?;
    let rc: i32 = rc.trim().parse().map_err(|_| invalid(2))?;
    let (rsc, task, interval_ms) = parse_op_key(key).ok_or_else(|| format!("Invalid resource name: {key}"))?;
    let primitive = find_primitive(cib, &rsc).ok_or_else(|| format!("Invalid resource name: {rsc}"))?;
    // A primitive built from a template takes its agent from there.
    let template = primitive.attr("template").and_then(|t| {
        cib.child("configuration")?.child("resources")?.elements().find(|e| e.name == "template" && e.id() == Some(t))
    });
    let agent_attr = |name: &str| primitive.attr(name).or_else(|| template.and_then(|t| t.attr(name))).map(str::to_owned);
    let (class, agent, provider) = (agent_attr("class"), agent_attr("type"), agent_attr("provider"));

    let state = node_state(cib, node, add_config).ok_or("node state vanished")?;
    if rc != OCF_OK && !(rc == OCF_NOT_RUNNING && interval_ms == 0) {
        let failures = [
            (format!("fail-count-{rsc}#{task}_{interval_ms}"), "value++".to_owned()),
            (format!("last-failure-{rsc}#{task}_{interval_ms}"), now.to_string()),
        ];
        for (name, value) in failures {
            report.lines.push(format!(
                // Pacemaker edits a detached copy of the node state, so libxml2 names its
                // path "/node_state".
                "  * Injecting attribute {name}={value} into /node_state '{}'",
                state.id().unwrap_or("")
            ));
            set_transient_attr(state, &name, &value);
        }
    }
    let history = resource_history(state, &rsc, class.as_deref(), agent.as_deref(), provider.as_deref())?;
    let call_id = history
        .elements()
        .filter_map(|op| op.attr("call-id").and_then(|c| c.parse::<i64>().ok()))
        .fold(0, i64::max)
        + 1;
    record_result(history, &OperationResult { rsc: &rsc, task: &task, interval_ms, rc, call_id, target_rc: 0, when: now });
    Ok(())
}

/// Sets a transient node attribute; "value++" counts up from the current value.
pub(crate) fn set_transient_attr(state: &mut Element, name: &str, value: &str) {
    let uuid = state.id().unwrap_or("").to_owned();
    let attrs = ensure_child_with_id(state, "transient_attributes", &uuid);
    let set = ensure_child_with_id(attrs, "instance_attributes", &uuid);
    let set_id = set.id().unwrap_or("nvpair").to_owned();
    let existing = set.elements_mut().find(|e| e.name == "nvpair" && e.attr("name") == Some(name));
    let current = existing.as_ref().and_then(|e| e.attr("value")).map(str::to_owned);
    let value = if value == "value++" {
        (current.and_then(|c| c.parse::<i64>().ok()).unwrap_or(0) + 1).to_string()
    } else {
        value.to_owned()
    };
    match existing {
        Some(pair) => pair.set_attr("value", value),
        None => {
            set.push_child(
                Element::new("nvpair")
                    .with_attr("id", sanitize_id(&format!("{set_id}-{name}")))
                    .with_attr("name", name)
                    .with_attr("value", value),
            );
        }
    }
}

fn ensure_child_with_id<'a>(parent: &'a mut Element, name: &str, id: &str) -> &'a mut Element {
    if parent.child(name).is_none() {
        parent.push_child(Element::new(name).with_attr("id", id));
    }
    parent.ensure_child(name)
}

/// The node's `lrm_resource` for `rsc`, created when the class and type are known.
fn resource_history<'a>(
    state: &'a mut Element,
    rsc: &str,
    class: Option<&str>,
    agent: Option<&str>,
    provider: Option<&str>,
) -> Result<&'a mut Element, String> {
    let uuid = state.id().unwrap_or("").to_owned();
    let node = state.id().unwrap_or("").to_owned();
    let lrm = ensure_child_with_id(state, "lrm", &uuid);
    let resources = lrm.ensure_child("lrm_resources");
    if resources.child_index_by_id("lrm_resource", Some(rsc)).is_none() {
        let (Some(class), Some(agent)) = (class, agent) else {
            return Err(format!(
                "Resource {rsc} not found in the status section of {node}.  Please supply the class and type to continue"
            ));
        };
        let mut entry = Element::new("lrm_resource").with_attr("id", rsc).with_attr("class", class);
        if let Some(p) = provider {
            entry.set_attr("provider", p);
        }
        entry.set_attr("type", agent);
        resources.push_child(entry);
    }
    let index = resources.child_index_by_id("lrm_resource", Some(rsc)).ok_or("history entry vanished")?;
    resources.children[index].as_element_mut().ok_or_else(|| "history entry is not an element".to_owned())
}

/// One operation result to record in a resource's history.
pub struct OperationResult<'a> {
    pub rsc: &'a str,
    pub task: &'a str,
    pub interval_ms: u64,
    pub rc: i32,
    pub call_id: i64,
    pub target_rc: i32,
    /// When it ran (seconds since the epoch).
    pub when: i64,
}

/// Records a completed operation the way the controller does: a failure as
/// `<rsc>_last_failure_0` (and, for one-shot operations, `<rsc>_last_0` too), a recurring
/// success under its operation key, anything else as `<rsc>_last_0`.
pub fn record_result(history: &mut Element, result: &OperationResult) {
    let key = format!("{}_{}_{}", result.rsc, result.task, result.interval_ms);
    let failed = result.rc != result.target_rc;
    let mut ids = Vec::new();
    if result.task == "migrate_to" || result.task == "migrate_from" {
        ids.push(key.clone());
    } else if failed {
        ids.push(format!("{}_last_failure_0", result.rsc));
        if result.interval_ms == 0 {
            ids.push(format!("{}_last_0", result.rsc));
        }
    } else if result.interval_ms > 0 {
        ids.push(key.clone());
    } else {
        ids.push(format!("{}_last_0", result.rsc));
    }
    let transition_key = format!("{}:-1:{}:{FAKE_TRANSITION_UUID}", result.call_id, result.target_rc);
    for id in ids {
        let op = match history.child_index_by_id("lrm_rsc_op", Some(&id)) {
            Some(i) => match history.children[i].as_element_mut() {
                Some(e) => e,
                None => continue,
            },
            None => history.push_child(Element::new("lrm_rsc_op").with_attr("id", id.clone())),
        };
        op.set_attr("operation_key", key.clone());
        op.set_attr("operation", result.task);
        op.set_attr("crm-debug-origin", ORIGIN);
        op.set_attr("crm_feature_set", FEATURE_SET);
        op.set_attr("transition-key", transition_key.clone());
        op.set_attr("transition-magic", format!("0:{};{transition_key}", result.rc));
        op.set_attr("exit-reason", if failed { INJECTED_EXIT_REASON } else { "" });
        op.set_attr("call-id", result.call_id.to_string());
        op.set_attr("rc-code", result.rc.to_string());
        op.set_attr("op-status", "0");
        op.set_attr("interval", result.interval_ms.to_string());
        op.set_attr("last-rc-change", result.when.to_string());
        op.set_attr("exec-time", "0");
        op.set_attr("queue-time", "0");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_keys_split_like_pacemaker() {
        let k = |s: &str| parse_op_key(s).map(|(r, t, i)| (r, t, i));
        assert_eq!(k("rsc1_monitor_10000"), Some(("rsc1".into(), "monitor".into(), 10000)));
        assert_eq!(k("my_rsc_start_0"), Some(("my_rsc".into(), "start".into(), 0)));
        assert_eq!(k("vm_1_migrate_to_0"), Some(("vm_1".into(), "migrate_to".into(), 0)));
        assert_eq!(k("db:0_pre_notify_start_0"), Some(("db:0".into(), "pre_notify_start".into(), 0)));
        assert_eq!(k("nointerval_start"), None);
        assert_eq!(k("_start_0"), None);
    }

    #[test]
    fn failures_count_up_and_record_history() {
        let mut cib = libcrmcommon::xml::parse(
            r#"<cib><configuration><nodes><node id="1" uname="n1"/></nodes><resources><primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/></resources></configuration><status/></cib>"#,
        )
        .unwrap();
        let injections = Injections { op_inject: vec!["r_monitor_10000@n1=1".into(), "r_monitor_10000@n1=1".into()], now: 5, ..Default::default() };
        let report = apply(&mut cib, &injections);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let text = libcrmcommon::xml::to_compact(&cib);
        assert!(text.contains(r#"name="fail-count-r#monitor_10000" value="2""#), "{text}");
        assert!(text.contains(r#"<nvpair id="1-fail-count-r.monitor_10000""#), "{text}");
        assert!(text.contains(r#"<lrm_rsc_op id="r_last_failure_0" operation_key="r_monitor_10000""#), "{text}");
        assert!(report.lines.iter().any(|l| l.contains("Injecting attribute fail-count-r#monitor_10000=value++ into /node_state '1'")), "{:?}", report.lines);
    }

    #[test]
    fn bad_specs_are_reported_not_applied() {
        let mut cib = libcrmcommon::xml::parse("<cib><configuration><resources/></configuration><status/></cib>").unwrap();
        let before = libcrmcommon::xml::to_compact(&cib);
        let report = apply(&mut cib, &Injections { op_inject: vec!["garbage".into(), "nope_start_0@n1=0".into()], ..Default::default() });
        assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
        assert_eq!(before, libcrmcommon::xml::to_compact(&cib));
    }
}
