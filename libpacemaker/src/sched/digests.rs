//! Operation parameter digests (as Pacemaker's pe_digest.c computes them)
//! and the checks of recorded operations against the current configuration
//! (pcmk__check_action_config): a changed definition means a restart, an
//! agent reload, or a rescheduled recurring operation.
//!
//! Each lrm_rsc_op records MD5 digests of the parameters the operation ran
//! with: `op-digest` over all of them, `op-restart-digest` over those whose
//! change needs a restart (`op-force-restart` lists them when the agent can
//! reload the others), `op-secure-digest` without the private ones listed in
//! `op-secure-params`. The digested element is `<parameters>` with one
//! attribute per parameter: the resource's instance attributes (own, then
//! inherited from its parents, evaluated for the node), the operation's own
//! instance attributes, and for recurring operations `CRM_meta_timeout`.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use libcrmcommon::digest;
use libcrmcommon::rules::{rule_matches, RuleContext};
use libcrmcommon::xml::{Element, XmlNode};

use crate::model::{NodeIdx, RecordedOp, RscIdx, Variant, WorkingSet};
use crate::unpack::parse_interval_ms;

/// Prefix of the meta-attributes passed to agents as parameters.
const META_PREFIX: &str = "CRM_meta";
/// Parameters never part of a digest (Pacemaker's pcmk__filter_op_for_digest).
const NEVER_DIGESTED: [&str; 6] = [
    "id",
    "crm_feature_set",
    "op-digest",
    "on_node",
    "on_node_uuid",
    "pcmk_external_ip",
];
/// Feature sets below this computed the secure digest over the resource
/// parameters alone.
const SECURE_DIGEST_WITH_META: &str = "3.16.0";

/// The part of a resource's configuration element the digests need: its
/// attributes, attribute sets and operations (not nested resources).
pub fn definition_of(xml: &Element) -> Element {
    let mut out = xml.shallow_copy();
    for child in xml.elements() {
        if matches!(
            child.name.as_str(),
            "instance_attributes" | "operations" | "meta_attributes"
        ) {
            out.children.push(XmlNode::Element(child.clone()));
        }
    }
    out
}

/// The digests computed from the configuration for one recorded operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDigests {
    pub all: String,
    /// Only when the entry recorded a restart digest to compare with.
    pub restart: Option<String>,
    /// Only when computed for a simulation (Pacemaker's sanitized mode).
    pub secure: Option<String>,
    /// A one-shot operation with parameters of its own: any change of
    /// them needs a restart (a reload would not apply them).
    pub has_extra_params: bool,
}

/// How a recorded operation compares with the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionCheck {
    Match,
    /// Parameters changed that need a restart.
    Restart,
    /// Parameters changed that a reload (or a reschedule) can apply.
    Changed,
    /// The entry has no digest to compare.
    Unknown,
}

/// Looks up elements by id, for `id-ref` references. The index over the
/// whole CIB is only built when a reference is first followed: most
/// configurations have none, and the status section is large.
pub struct IdIndex<'a> {
    cib: &'a Element,
    by_id: OnceCell<HashMap<&'a str, &'a Element>>,
}

impl<'a> IdIndex<'a> {
    pub fn new(cib: &'a Element) -> Self {
        IdIndex { cib, by_id: OnceCell::new() }
    }

    fn index(&self) -> &HashMap<&'a str, &'a Element> {
        self.by_id.get_or_init(|| {
            let mut by_id = HashMap::new();
            for e in self.cib.descendants() {
                if e.attr("id-ref").is_none() {
                    if let Some(id) = e.id() {
                        by_id.entry(id).or_insert(e);
                    }
                }
            }
            by_id
        })
    }

    fn resolve<'b>(&'b self, e: &'b Element) -> &'b Element {
        match e.attr("id-ref").and_then(|r| self.index().get(r)) {
            Some(target) => target,
            None => e,
        }
    }
}

/// Digests already computed in this run, by parameter set: the resources of
/// a large cluster mostly share a few (often none at all), and each recorded
/// operation is checked against one.
#[derive(Default)]
pub struct DigestCache {
    by_params: HashMap<BTreeMap<String, String>, String>,
}

impl DigestCache {
    /// The operation digest of these parameters.
    fn digest(&mut self, params: &BTreeMap<String, String>) -> String {
        if let Some(known) = self.by_params.get(params) {
            return known.clone();
        }
        let computed = digest::operation(&parameters_element(params));
        self.by_params.insert(params.clone(), computed.clone());
        computed
    }
}

/// Adds the name/value pairs of `parent`'s `set_name` sets to `into`,
/// keeping values already there (Pacemaker's unpacking of instance
/// attributes: sets by descending score, rules evaluated, "#default"
/// removing a value, `id-ref` followed for sets and pairs).
fn add_nvpairs(
    parent: &Element,
    set_name: &str,
    ctx: &RuleContext,
    ids: &IdIndex,
    into: &mut BTreeMap<String, String>,
) {
    let mut sets: Vec<&Element> = parent
        .elements()
        .filter(|e| e.name == set_name)
        .map(|e| ids.resolve(e))
        .collect();
    // Equal scores: the last set listed wins, as in collect_nvpairs.
    sets.reverse();
    sets.sort_by_key(|e| {
        -e.attr("score")
            .map(crate::score::parse_or_zero)
            .unwrap_or(0)
    });
    for set in sets {
        if let Some(rule) = set.child("rule") {
            if !rule_matches(ids.resolve(rule), ctx) {
                continue;
            }
        }
        for pair in set.elements().filter(|e| e.name == "nvpair") {
            let target = ids.resolve(pair);
            let name = pair.attr("name").or_else(|| target.attr("name"));
            let value = pair.attr("value").or_else(|| target.attr("value"));
            let (Some(name), Some(value)) = (name, value) else {
                continue;
            };
            if value.eq_ignore_ascii_case("#default") {
                into.remove(name);
            } else {
                into.entry(name.to_string())
                    .or_insert_with(|| value.to_string());
            }
        }
    }
}

/// The resource's parameters as evaluated for `node` (Pacemaker's
/// pe_rsc_params): its own instance attributes, then its parents'.
pub fn resource_params(
    ws: &WorkingSet,
    ids: &IdIndex,
    r: RscIdx,
    node: NodeIdx,
) -> BTreeMap<String, String> {
    let ctx = RuleContext {
        node_attrs: ws.nodes.get(node).map(|n| &n.attrs),
        now: Some(ws.now),
    };
    let mut params = BTreeMap::new();
    let mut cur = Some(r);
    while let Some(c) = cur {
        if let Some(xml) = &ws.resources[c].config_xml {
            add_nvpairs(xml, "instance_attributes", &ctx, ids, &mut params);
        }
        cur = ws.resources[c].parent;
    }
    if let Some(host) = params.get("addr").and_then(|a| super::bundle::connection_address(ws, r, a)) {
        params.insert("addr".to_string(), host);
    }
    params
}

/// The configured `<op>` for a task and interval, if any.
fn op_config<'a>(rsc_xml: &'a Element, task: &str, interval_ms: u64) -> Option<&'a Element> {
    rsc_xml
        .child("operations")?
        .elements()
        .filter(|e| e.name == "op")
        .find(|op| {
            op.attr("name") == Some(task)
                && op.attr("interval").map(parse_interval_ms).unwrap_or(0) == interval_ms
        })
}

/// Whether a parameter is one Pacemaker itself defines for fence devices
/// (Pacemaker's pcmk_stonith_param).
fn is_fence_param(name: &str) -> bool {
    if name == "provides" || name == "stonith-timeout" {
        return true;
    }
    let Some(rest) = name.strip_prefix("pcmk_") else {
        return false;
    };
    if matches!(
        name,
        "pcmk_action_limit"
            | "pcmk_delay_base"
            | "pcmk_delay_max"
            | "pcmk_host_argument"
            | "pcmk_host_check"
            | "pcmk_host_list"
            | "pcmk_host_map"
    ) {
        return true;
    }
    match rest.find('_') {
        Some(i) => matches!(&rest[i..], "_action" | "_timeout" | "_retries"),
        None => false,
    }
}

/// Whether `name` is in a space-separated list written as " a b c ".
fn listed(list: &str, name: &str) -> bool {
    list.contains(&format!(" {name} "))
}

fn parameters_element(params: &BTreeMap<String, String>) -> Element {
    let mut e = Element::new("parameters");
    for (k, v) in params {
        e.set_attr(k, v);
    }
    e
}

/// Leaves out what digests never cover: bookkeeping attributes and the
/// meta-attributes, except the timeout of recurring operations.
fn filter_for_digest(params: &mut BTreeMap<String, String>) {
    for name in NEVER_DIGESTED {
        params.remove(name);
    }
    let recurring = params
        .get("CRM_meta_interval")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|ms| ms > 0)
        .unwrap_or(false);
    let timeout = params.get("CRM_meta_timeout").cloned();
    params.retain(|k, _| {
        k.len() < META_PREFIX.len()
            || !k.as_bytes()[..META_PREFIX.len()].eq_ignore_ascii_case(META_PREFIX.as_bytes())
    });
    if let (true, Some(timeout)) = (recurring, timeout) {
        params.insert("CRM_meta_timeout".to_string(), timeout);
    }
}

/// The operation's meta-attributes as agents see them (CRM_meta_*); only
/// the interval and timeout survive the digest filter.
fn operation_meta(
    ws: &WorkingSet,
    r: RscIdx,
    task: &str,
    interval_ms: u64,
) -> BTreeMap<String, String> {
    let mut action = super::actions::Action {
        rsc: Some(r),
        task: task.to_string(),
        interval_ms,
        ..Default::default()
    };
    super::monitors::describe_operation(ws, &mut action, r);
    action
        .op_meta
        .iter()
        .map(|(k, v)| (format!("{META_PREFIX}_{}", k.replace('-', "_")), v.clone()))
        .collect()
}

/// Computes the digests of a recorded operation from the configuration
/// (Pacemaker's pe__calculate_digests).
pub fn compute(
    ws: &WorkingSet,
    ids: &IdIndex,
    r: RscIdx,
    op: &RecordedOp,
    with_secure: bool,
) -> OperationDigests {
    compute_cached(ws, ids, &mut DigestCache::default(), r, op, with_secure)
}

/// [`compute`], reusing the digests of parameter sets seen before.
pub fn compute_cached(
    ws: &WorkingSet,
    ids: &IdIndex,
    cache: &mut DigestCache,
    r: RscIdx,
    op: &RecordedOp,
    with_secure: bool,
) -> OperationDigests {
    let version = op
        .feature_set
        .as_deref()
        .unwrap_or(digest::PACEMAKER_FEATURE_SET);
    let params = resource_params(ws, ids, r, op.node);
    let mut extra = BTreeMap::new();
    if let Some(def) = ws.resources[r]
        .config_xml
        .as_ref()
        .and_then(|x| op_config(x, &op.task, op.interval_ms))
    {
        let ctx = RuleContext {
            node_attrs: ws.nodes.get(op.node).map(|n| &n.attrs),
            now: Some(ws.now),
        };
        add_nvpairs(def, "instance_attributes", &ctx, ids, &mut extra);
    }
    let meta = operation_meta(ws, r, &op.task, op.interval_ms);

    // Later sources overwrite earlier ones, as the C code adds them.
    let mut all = params.clone();
    all.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    all.extend(meta);
    filter_for_digest(&mut all);

    let restart = op.digest_restart.as_ref().map(|_| {
        let mut kept = all.clone();
        if let Some(list) = &op.force_restart {
            kept.retain(|k, _| listed(list, k));
        }
        cache.digest(&kept)
    });

    let secure = with_secure.then(|| {
        let old =
            digest::compare_versions(version, SECURE_DIGEST_WITH_META) == std::cmp::Ordering::Less;
        let mut secure = if old { params.clone() } else { all.clone() };
        if let Some(list) = &op.secure_params {
            secure.retain(|k, _| !listed(list, k));
        }
        if old && ws.resources[r].class == "stonith" {
            secure.retain(|k, _| !is_fence_param(k));
        }
        filter_for_digest(&mut secure);
        if old {
            secure.remove("CRM_meta_timeout");
        }
        cache.digest(&secure)
    });

    OperationDigests {
        all: cache.digest(&all),
        restart,
        secure,
        has_extra_params: op.interval_ms == 0 && !extra.is_empty(),
    }
}

/// Compares a recorded operation's digests with computed ones (Pacemaker's
/// rsc_action_digest_cmp, then only_sanitized_changed for simulations).
pub fn compare(op: &RecordedOp, computed: &OperationDigests) -> DefinitionCheck {
    if only_private_changed(op, computed) {
        DefinitionCheck::Match
    } else {
        compare_digests(op, computed)
    }
}

/// How an operation's recorded digests compare with today's, private
/// parameters included (Pacemaker's rsc_action_digest_cmp): a failure
/// recorded with other parameters is forgotten even if only private ones
/// changed.
pub fn compare_digests(op: &RecordedOp, computed: &OperationDigests) -> DefinitionCheck {
    match (&op.digest_restart, &computed.restart) {
        (Some(recorded), Some(now)) if recorded != now => DefinitionCheck::Restart,
        _ => match &op.digest_all {
            None => DefinitionCheck::Unknown,
            Some(recorded) if *recorded != computed.all => {
                if computed.has_extra_params {
                    DefinitionCheck::Restart
                } else {
                    DefinitionCheck::Changed
                }
            }
            Some(_) => DefinitionCheck::Match,
        },
    }
}

/// Whether the digests differ only by private parameters, which a
/// simulation's input may lack (Pacemaker's only_sanitized_changed).
fn only_private_changed(op: &RecordedOp, computed: &OperationDigests) -> bool {
    let differs = match (&op.digest_restart, &computed.restart) {
        (Some(recorded), Some(now)) if recorded != now => true,
        _ => op.digest_all.as_ref() != Some(&computed.all),
    };
    differs && op.digest_secure.is_some() && op.digest_secure == computed.secure
}

/// One-shot monitors, promotions and migrations ran with the start's
/// parameters: they are reported as the start.
fn task_for_digest(task: &str, interval_ms: u64) -> &str {
    if interval_ms == 0 && matches!(task, "monitor" | "migrate_from" | "promote") {
        "start"
    } else {
        task
    }
}

/// An interval as Pacemaker's messages write it: "0s", "60s", "1500ms".
/// Pacemaker's pcmk__readable_interval, which writes into one static buffer
/// and leaves it as it was for an interval of 0 once it holds anything: a
/// start checked after a 60s monitor is reported as "60s-interval start".
#[derive(Default)]
struct ReadableInterval {
    last: String,
}

impl ReadableInterval {
    fn text(&mut self, ms: u64) -> String {
        const S: u64 = 1000;
        const M: u64 = 60 * S;
        const H: u64 = 60 * M;
        const D: u64 = 24 * H;
        if ms == 0 {
            if self.last.is_empty() {
                self.last = "0s".to_string();
            }
            return self.last.clone();
        }
        let mut rest = ms;
        let mut text = String::new();
        for (unit, suffix) in [(D, "d"), (H, "h"), (M, "m")] {
            if rest > unit {
                text.push_str(&format!("{}{suffix}", rest / unit));
                rest %= unit;
            }
        }
        if rest > S {
            text.push_str(&(rest / S).to_string());
            if rest % S > 0 {
                text.push_str(&format!(".{:03}", rest % S));
            }
            text.push('s');
        } else if rest > 0 {
            text.push_str(&format!("{rest}ms"));
        }
        self.last = text;
        self.last.clone()
    }
}

/// What the definition checks ask of the scheduler.
#[derive(Debug, Default, Clone)]
pub struct DefinitionChanges {
    /// Resources to restart ("resource definition change").
    pub restarts: Vec<RscIdx>,
    /// Resources whose agent reloads its parameters on a node.
    pub reloads: Vec<(RscIdx, NodeIdx)>,
    /// Recurring operations to schedule again with the new parameters.
    pub reschedules: Vec<(RscIdx, NodeIdx, String, u64)>,
    /// Fail counts to clear because the failed operation's definition changed.
    pub clear_failcounts: Vec<(RscIdx, NodeIdx)>,
    /// Of those, the ones due to a failure recorded with other parameters:
    /// Pacemaker clears them while unpacking the history, before it checks
    /// failure thresholds, so they ban nothing.
    pub failures_with_old_parameters: Vec<(RscIdx, NodeIdx)>,
    /// Resources whose history on a node names another agent: restarted
    /// there if active, and their history cleaned up.
    pub agent_changes: Vec<(RscIdx, NodeIdx)>,
    /// Last failures whose parameters can be compared only once resources
    /// are placed (see `bundle::needs_remote_name`).
    pub deferred_failure_checks: Vec<(RscIdx, RecordedOp)>,
    /// Changes that make a fence device unfence the node again, and why.
    pub unfencing: Vec<(RscIdx, NodeIdx, &'static str)>,
    /// "Only 'private' parameters ... changed" lines (with their newline),
    /// which crm_simulate prints in its plain layout.
    pub notices: Vec<String>,
}

/// A change of private parameters only, noticed on a node: printed in
/// node order, as Pacemaker (which checks node by node) prints them.
struct PrivateChange {
    node: NodeIdx,
    /// Where the resource's history is among the node's (Pacemaker goes
    /// through a node's history in the order it is recorded).
    history_position: usize,
    interval_ms: u64,
    /// The notice after "<interval>-interval ".
    rest: String,
}

/// Whether a node's resource history is checked (online and able to run
/// resources, or in maintenance).
pub fn history_checked_on(ws: &WorkingSet, node: NodeIdx) -> bool {
    let n = &ws.nodes[node];
    n.maintenance || (n.online && !n.shutdown && !n.unclean && !n.standby && !n.pending)
}

/// Checks every recorded operation of active resources against the
/// configuration (Pacemaker's process_rsc_history and
/// pcmk__check_action_config; orphaned recurring operations are handled
/// by `cancel_stale_recurring`).
pub fn check_definitions(ws: &WorkingSet, cib: &Element) -> DefinitionChanges {
    let ids = IdIndex::new(cib);
    let mut digests = DigestCache::default();
    let mut changes = DefinitionChanges::default();
    let mut notices: Vec<PrivateChange> = Vec::new();
    let history_order = history_positions(cib);
    for r in 0..ws.resources.len() {
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive || res.orphan || res.config_xml.is_none() {
            continue;
        }
        for &node in &res.agent_changed_on {
            if history_checked_on(ws, node) {
                changes.agent_changes.push((r, node));
                changes.unfencing.push((r, node, "Device definition changed"));
            }
        }
        // One digest per operation key and node, from its first entry.
        let mut cache: HashMap<(NodeIdx, String, u64), OperationDigests> = HashMap::new();
        for op in &res.recorded_ops {
            let node = op.node;
            if !res.running_on.contains(&node) || !history_checked_on(ws, node) {
                continue;
            }
            if op.interval_ms > 0 {
                let configured = res.recurring_op_configured(&op.task, op.interval_ms);
                if res.maintenance || ws.nodes[node].maintenance {
                    continue;
                }
                if !configured {
                    // An orphaned recurring operation (cancelled by
                    // `cancel_stale_recurring`) counts as a changed
                    // definition: its failures are forgotten.
                    let failed_here = res.failcount.get(&node).copied().unwrap_or(0) > 0;
                    if failed_here && !changes.clear_failcounts.contains(&(r, node)) {
                        changes.clear_failcounts.push((r, node));
                    }
                    continue;
                }
            }
            let key = (node, op.task.clone(), op.interval_ms);
            let computed = cache
                .entry(key)
                .or_insert_with(|| compute_cached(ws, &ids, &mut digests, r, op, ws.sanitized))
                .clone();
            if only_private_changed(op, &computed) {
                let history_name = res.clone_name.as_deref().unwrap_or(&res.id);
                notices.push(PrivateChange {
                    node,
                    history_position: history_order
                        .get(&(ws.nodes[node].uname.as_str(), history_name))
                        .copied()
                        .unwrap_or(usize::MAX),
                    interval_ms: op.interval_ms,
                    rest: format!(
                        "{} for {} on {} changed: {}\n",
                        task_for_digest(&op.task, op.interval_ms),
                        res.id,
                        ws.nodes[node].uname,
                        op.transition_magic.as_deref().unwrap_or_default()
                    ),
                });
            }
            let changed = match compare(op, &computed) {
                DefinitionCheck::Match => false,
                // A recurring operation's restart is its own (Pacemaker's force_restart).
                DefinitionCheck::Restart if op.interval_ms > 0 => {
                    changes.reschedules.push((r, node, op.task.clone(), op.interval_ms));
                    true
                }
                DefinitionCheck::Restart => {
                    if !changes.restarts.contains(&r) {
                        changes.restarts.push(r);
                    }
                    changes.unfencing.push((r, node, "Device parameters changed"));
                    true
                }
                DefinitionCheck::Changed | DefinitionCheck::Unknown => {
                    if op.interval_ms > 0 {
                        changes
                            .reschedules
                            .push((r, node, op.task.clone(), op.interval_ms));
                        changes.unfencing.push((r, node, "Device parameters changed (reschedule)"));
                    } else if op.digest_restart.is_some() {
                        if !changes.reloads.contains(&(r, node)) {
                            changes.reloads.push((r, node));
                        }
                        changes.unfencing.push((r, node, "Device parameters changed (reload)"));
                    } else {
                        if !changes.restarts.contains(&r) {
                            changes.restarts.push(r);
                        }
                        changes.unfencing.push((r, node, "Device parameters changed"));
                    }
                    true
                }
            };
            let failed_here = res.failcount.get(&node).copied().unwrap_or(0) > 0;
            if changed && failed_here && !changes.clear_failcounts.contains(&(r, node)) {
                changes.clear_failcounts.push((r, node));
            }
        }
        // A failure that ran with other parameters than today's no longer counts.
        let placement_decides_parameters = super::bundle::needs_remote_name(ws, r);
        for op in &res.failure_records {
            if placement_decides_parameters {
                changes.deferred_failure_checks.push((r, op.clone()));
                continue;
            }
            let computed = compute_cached(ws, &ids, &mut digests, r, op, ws.sanitized);
            let changed = ran_with_other_parameters(op, &computed);
            if changed && !changes.failures_with_old_parameters.contains(&(r, op.node)) {
                changes.failures_with_old_parameters.push((r, op.node));
            }
            if changed && !changes.clear_failcounts.contains(&(r, op.node)) {
                changes.clear_failcounts.push((r, op.node));
            }
        }
    }
    notices.sort_by_key(|n| (n.node, n.history_position));
    let mut interval_text = ReadableInterval::default();
    changes.notices = notices
        .into_iter()
        .map(|n| format!("Only 'private' parameters to {}-interval {}", interval_text.text(n.interval_ms), n.rest))
        .collect();
    changes
}

/// Whether a recorded failure ran with other parameters than today's.
fn ran_with_other_parameters(op: &RecordedOp, computed: &OperationDigests) -> bool {
    matches!(compare_digests(op, computed), DefinitionCheck::Restart | DefinitionCheck::Changed)
}

/// The position of each resource history entry among its node's, by node
/// name and entry id.
fn history_positions(cib: &Element) -> HashMap<(&str, &str), usize> {
    let mut positions = HashMap::new();
    let Some(status) = cib.child("status") else { return positions };
    for state in status.elements().filter(|e| e.name == "node_state") {
        let Some(uname) = state.attr("uname") else { continue };
        let Some(entries) = state.child("lrm").and_then(|l| l.child("lrm_resources")) else { continue };
        for (position, entry) in entries.elements().filter(|e| e.name == "lrm_resource").enumerate() {
            if let Some(id) = entry.attr("id") {
                positions.entry((uname, id)).or_insert(position);
            }
        }
    }
    positions
}

/// The deferred last-failure checks, once resources are placed (Pacemaker's
/// check_params for pe_check_last_failure): the fail counts of failures
/// recorded with other parameters are cleared.
pub fn failures_with_changed_parameters(ws: &WorkingSet, cib: &Element, changes: &DefinitionChanges) -> Vec<(RscIdx, NodeIdx)> {
    let ids = IdIndex::new(cib);
    let mut out = Vec::new();
    for (r, op) in &changes.deferred_failure_checks {
        let computed = compute(ws, &ids, *r, op, ws.sanitized);
        if ran_with_other_parameters(op, &computed) && !out.contains(&(*r, op.node)) {
            out.push((*r, op.node));
        }
    }
    out
}

/// The parameter digests of the fence devices that unfence, as a node's
/// fencing actions carry them (`<id>:<agent>:<digest>,` per device), and
/// whether they differ from the ones the node was last unfenced with.
#[derive(Debug, Clone, Default)]
pub struct FenceDeviceDigests {
    pub all: String,
    pub secure: String,
    pub changed: bool,
    /// Devices of which only private parameters changed since the node was
    /// unfenced (a notice is printed for each when a fencing action is made).
    pub private_only: Vec<RscIdx>,
}

/// Node attributes the fencer records after unfencing a node: the device
/// digests it was unfenced with.
const UNFENCED_WITH_ALL: &str = "#digests-all";
const UNFENCED_WITH_SECURE: &str = "#digests-secure";
/// The pseudo-task under which unfencing digests are computed.
const UNFENCE_DIGEST_TASK: &str = "stonith-on";
/// Parameters left out of the secure digest of unfencing, which has no
/// recorded list of private parameters.
const UNFENCE_PRIVATE_PARAMS: &str = " passwd password user ";

/// Fence devices that unfence, in the order Pacemaker lists them (its
/// find_unfencing_devices: depth first, each found one put in front).
fn unfencing_devices(ws: &WorkingSet) -> Vec<RscIdx> {
    fn walk(ws: &WorkingSet, r: RscIdx, out: &mut Vec<RscIdx>) {
        let res = &ws.resources[r];
        if !res.children.is_empty() {
            for &c in &res.children {
                walk(ws, c, out);
            }
        } else if res.is_stonith
            && res
                .meta
                .get("provides")
                .is_some_and(|v| v.eq_ignore_ascii_case("unfencing"))
        {
            out.push(r);
        }
    }
    let mut out = Vec::new();
    for &r in &ws.top_level {
        walk(ws, r, &mut out);
    }
    out.reverse();
    out
}

/// The unfencing digests for every node (Pacemaker's
/// pe__compare_fencing_digest for each device); empty unless some resource
/// provides or requires unfencing.
pub fn fence_device_digests(ws: &WorkingSet, cib: &Element) -> Vec<FenceDeviceDigests> {
    if !ws.unfencing_enabled {
        return Vec::new();
    }
    let ids = IdIndex::new(cib);
    let devices = unfencing_devices(ws);
    (0..ws.nodes.len())
        .map(|node| {
            let recorded_all = ws.nodes[node].attrs.get(UNFENCED_WITH_ALL);
            let recorded_secure = ws.nodes[node].attrs.get(UNFENCED_WITH_SECURE);
            let mut out = FenceDeviceDigests::default();
            for &r in &devices {
                let op = RecordedOp {
                    node,
                    task: UNFENCE_DIGEST_TASK.to_string(),
                    secure_params: Some(UNFENCE_PRIVATE_PARAMS.to_string()),
                    feature_set: cib.attr("crm_feature_set").map(str::to_string),
                    ..Default::default()
                };
                let computed = compute(ws, &ids, r, &op, true);
                let secure = computed.secure.unwrap_or_default();
                let res = &ws.resources[r];
                let entry = |digest: &str| format!("{}:{}:{}", res.id, res.agent, digest);
                // Unknown where the node has no record of its unfencing.
                if let Some(all) = recorded_all {
                    let all_match = all.contains(&entry(&computed.all));
                    let secure_match = recorded_secure.is_some_and(|s| s.contains(&entry(&secure)));
                    if !all_match && secure_match {
                        out.private_only.push(r);
                    }
                    out.changed |= !(all_match || secure_match);
                }
                out.all.push_str(&entry(&computed.all));
                out.all.push(',');
                out.secure.push_str(&entry(&secure));
                out.secure.push(',');
            }
            out
        })
        .collect()
}

/// Task of the agent reload action.
pub const RELOAD_TASK: &str = "reload-agent";
const DEFINITION_CHANGE: &str = "resource definition change";

impl super::actions::Builder<'_> {
    /// Schedules what the definition checks asked for, before the
    /// resources' own actions are created (Pacemaker's force_restart,
    /// schedule_reload, pcmk__reschedule_recurring, pe__clear_failcount).
    pub fn apply_definition_changes(&mut self, changes: &DefinitionChanges) {
        self.rescheduled = changes.reschedules.clone();
        for &(r, node, reason) in &changes.unfencing {
            self.trigger_unfencing(Some(r), Some(node), reason);
        }
        // The operation is scheduled again where it ran, optionally: it is
        // the one the resource's recurring operations there then require,
        // and exists even if the resource moves away.
        for (r, node, task, interval_ms) in changes.reschedules.clone() {
            self.resource_operation(r, &task, Some(node), interval_ms, true);
        }
        for &(r, node) in &changes.agent_changes {
            if self.ws.resources[r].running_on.contains(&node) {
                // Restarted with the new agent; nothing may reuse the old
                // start (no reload, no migration).
                self.resource_action(r, "stop", Some(node), false);
                self.ws.resources[r].start_pending = true;
            }
        }
        for &r in &changes.restarts {
            // A required start wherever the resource is placed: with the
            // resource active, the restart ordering makes the stop required.
            if let Some(node) = self.ws.resources[r].assigned_to {
                let start = self.resource_action(r, "start", Some(node), false);
                // Pacemaker clears the reason of actions that need nothing
                // once they are placed on a node.
                if super::fencing::requirement(self.ws, r) != super::fencing::Requirement::Nothing {
                    self.plan.actions[start].reason = Some(DEFINITION_CHANGE.to_string());
                }
            } else {
                // Placed nowhere: the start is still required, and cannot
                // run (it makes what sums it up, a group's start, required).
                let start = self.resource_action(r, "start", None, false);
                self.plan.actions[start].reason = Some(DEFINITION_CHANGE.to_string());
            }
        }
        for &(r, node) in &changes.reloads {
            let res = &self.ws.resources[r];
            if !res.managed || res.failed {
                continue;
            }
            if res.start_pending {
                // The start may not have used the new parameters: restart.
                self.resource_action(r, "stop", Some(node), false);
                continue;
            }
            let reload = self.resource_action(r, RELOAD_TASK, Some(node), false);
            self.plan.actions[reload].reason = Some(DEFINITION_CHANGE.to_string());
        }
        for &(r, node) in &changes.clear_failcounts {
            self.clear_fail_count(r, node, Some("action definition changed"));
        }
    }

    /// A reload is pointless where the resource is stopped or demoted
    /// anyway (Pacemaker's pe_order_then_cancels_first): it is dropped.
    pub fn cancel_superseded_reloads(&mut self, changes: &DefinitionChanges) {
        for &(r, node) in &changes.reloads {
            let Some(reload) = self.plan.find(Some(r), RELOAD_TASK, Some(node)) else {
                continue;
            };
            let superseded = ["stop", "demote"].iter().any(|task| {
                self.plan
                    .rsc_actions(r, task)
                    .into_iter()
                    .any(|i| !self.plan.actions[i].optional)
            });
            if superseded {
                self.plan.actions[reload].optional = true;
            } else {
                // Before the monitors that will run with the new parameters.
                for task in ["monitor", "stop", "demote"] {
                    for then in self.plan.rsc_actions(r, task) {
                        let a = &self.plan.actions[then];
                        if a.node == Some(node) && (task != "monitor" || a.interval_ms > 0) {
                            self.plan
                                .order(reload, then, crate::model::order_flags::OPTIONAL);
                        }
                    }
                }
            }
        }
    }

    /// Whether a recurring operation must be scheduled again because its
    /// definition changed.
    pub(crate) fn is_rescheduled(
        &self,
        r: RscIdx,
        node: NodeIdx,
        task: &str,
        interval_ms: u64,
    ) -> bool {
        self.rescheduled
            .iter()
            .any(|(rr, n, t, i)| *rr == r && *n == node && t == task && *i == interval_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_params() {
        assert!(is_fence_param("pcmk_host_list"));
        assert!(is_fence_param("pcmk_reboot_action"));
        assert!(is_fence_param("pcmk_monitor_timeout"));
        assert!(is_fence_param("provides"));
        assert!(!is_fence_param("pcmk_foo"));
        assert!(!is_fence_param("ipaddr"));
    }

    #[test]
    fn filter_keeps_timeout_of_recurring_only() {
        let mut p: BTreeMap<String, String> = [
            ("ip", "1.2.3.4"),
            ("CRM_meta_interval", "10000"),
            ("CRM_meta_timeout", "20000"),
            ("crm_meta_name", "monitor"),
            ("crm_feature_set", "3.0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        filter_for_digest(&mut p);
        assert_eq!(p.keys().collect::<Vec<_>>(), ["CRM_meta_timeout", "ip"]);
        p.remove("CRM_meta_timeout");
        p.insert("CRM_meta_interval".into(), "0".into());
        p.insert("CRM_meta_timeout".into(), "20000".into());
        filter_for_digest(&mut p);
        assert_eq!(p.keys().collect::<Vec<_>>(), ["ip"]);
    }

    #[test]
    fn digests_of_known_parameter_sets() {
        // Values Debian's crm_simulate accepts as unchanged for a resource
        // without parameters: its start, and a monitor with a 30s timeout.
        let empty = BTreeMap::new();
        assert_eq!(
            digest::operation(&parameters_element(&empty)),
            "f2317cad3d54cec5d7d7aa7d0bf35cf8"
        );
        let timeout: BTreeMap<String, String> =
            [("CRM_meta_timeout".to_string(), "30000".to_string())].into();
        assert_eq!(
            digest::operation(&parameters_element(&timeout)),
            "02a5bcf940fc8d3239701acb11438d6a"
        );
    }

    #[test]
    fn lists_need_surrounding_spaces() {
        assert!(listed(" passwd user ", "user"));
        assert!(!listed(" passwd user ", "use"));
    }
}
