//! Location, colocation and ordering constraints (simple form and resource sets).

use libcrmcommon::xml::Element;

use crate::model::{order_flags as of, Colocation, Discovery, Role, RscIdx, RscOrder, Variant, WorkingSet};
use crate::options::is_true;
use crate::rules::{expand_captures, location_rule_matches, ResourceMatch, RuleContext};
use crate::sched::digests::{resource_params, IdIndex};
use crate::score::{self, INFINITY};

pub(super) fn unpack_constraints(ws: &mut WorkingSet, constraints: &Element, ids: &IdIndex) {
    for c in constraints.elements() {
        match c.name.as_str() {
            "rsc_location" => unpack_location(ws, c, ids),
            "rsc_colocation" => unpack_colocation(ws, c),
            "rsc_order" => unpack_order(ws, c),
            "rsc_ticket" => unpack_ticket(ws, c),
            _ => {}
        }
    }
}

fn find_rsc(ws: &WorkingSet, id: &str) -> Option<RscIdx> {
    // Clone instances are not addressable by configuration; only real resources.
    ws.resources
        .iter()
        .position(|r| r.id == id && r.instance.map(|_| false).unwrap_or(true))
        .or_else(|| ws.resources.iter().position(|r| r.id == id))
        .or_else(|| {
            // An anonymous instance known by that name from its history stands
            // for its whole clone (Pacemaker's pcmk__find_constraint_resource
            // finds renamed resources too); without such history the primitive
            // inside a clone cannot be named.
            let instance = ws.resources.iter().position(|r| r.clone_name.as_deref() == Some(id))?;
            Some(ws.top_parent(instance))
        })
}

/// Resources an id in a constraint stands for: the resource itself, or
/// every resource a tag or template refers to.
fn expand_ref(ws: &WorkingSet, id: &str) -> Vec<RscIdx> {
    fn walk(ws: &WorkingSet, id: &str, depth: usize, out: &mut Vec<RscIdx>) {
        if depth > 8 {
            return;
        }
        if let Some(r) = find_rsc(ws, id) {
            if !out.contains(&r) {
                out.push(r);
            }
            return;
        }
        if let Some(refs) = ws.tags.get(id) {
            for r in refs {
                walk(ws, r, depth + 1, out);
            }
            return;
        }
        for (i, r) in ws.resources.iter().enumerate() {
            if r.template.as_deref() == Some(id) && r.instance.is_none() && !out.contains(&i) {
                out.push(i);
            }
        }
    }
    let mut out = Vec::new();
    walk(ws, id, 0, &mut out);
    out
}

/// Adds `score` for `node` to the resource's allowed nodes the way
/// Pacemaker applies a location constraint (including group and clone rules).
pub fn apply_location(ws: &mut WorkingSet, rsc: RscIdx, node: usize, score_value: i32) {
    apply_location_discovering(ws, rsc, node, score_value, Discovery::Always);
}

/// [`apply_location`] for a constraint with a resource-discovery mode, which
/// the resource and its members take on for the node unless they have a
/// stronger one there.
fn apply_location_discovering(ws: &mut WorkingSet, rsc: RscIdx, node: usize, score_value: i32, discovery: Discovery) {
    add_allowed(ws, rsc, node, score_value);
    if discovery > Discovery::Always {
        let res = &mut ws.resources[rsc];
        let mode = res.discovery.entry(node).or_default();
        *mode = (*mode).max(discovery);
        res.exclusive_discovery |= discovery == Discovery::Exclusive;
    }
    match ws.resources[rsc].variant {
        Variant::Primitive => {}
        Variant::Group => {
            // Only the first member gets the score; the others just learn the node.
            let children = ws.resources[rsc].children.clone();
            for (i, c) in children.into_iter().enumerate() {
                let member_score = if i == 0 { score_value } else { 0 };
                apply_location_discovering(ws, c, node, member_score, discovery);
            }
        }
        Variant::Clone => {
            let children = ws.resources[rsc].children.clone();
            for c in children {
                apply_location_discovering(ws, c, node, score_value, discovery);
            }
        }
        Variant::Bundle => {
            // Only the replicas' containers and IP addresses share the
            // bundle's location: the guest connections follow their
            // containers, and the inner resource is confined to guest nodes.
            let members: Vec<RscIdx> = ws.resources[rsc]
                .bundle
                .iter()
                .flat_map(|b| b.replicas.iter())
                .flat_map(|rep| std::iter::once(rep.container).chain(rep.ip))
                .collect();
            for m in members {
                apply_location_discovering(ws, m, node, score_value, discovery);
            }
        }
    }
}

fn add_allowed(ws: &mut WorkingSet, rsc: RscIdx, node: usize, value: i32) {
    // A node new to the table comes with the constraint's score alone.
    let entry = ws.resources[rsc].allowed.entry(node).or_insert(0);
    *entry = score::add(*entry, value);
}

fn constraint_score(c: &Element) -> Option<i32> {
    c.attr("score").map(score::parse_or_zero)
}

fn unpack_location(ws: &mut WorkingSet, c: &Element, ids: &IdIndex) {
    // Each target with what its id's match against rsc-pattern captured.
    let targets: Vec<(RscIdx, Vec<Option<String>>)> = if let Some(id) = c.attr("rsc") {
        expand_ref(ws, id).into_iter().map(|r| (r, Vec::new())).collect()
    } else if let Some(pattern) = c.attr("rsc-pattern") {
        pattern_targets(ws, pattern)
    } else if c.child("resource_set").is_some() {
        let mut v = Vec::new();
        for set in c.elements().filter(|e| e.name == "resource_set") {
            for rr in set.elements().filter(|e| e.name == "resource_ref") {
                if let Some(id) = rr.id() {
                    v.extend(expand_ref(ws, id).into_iter().map(|r| (r, Vec::new())));
                }
            }
        }
        v
    } else {
        return;
    };
    let role = c
        .attr("role")
        .and_then(Role::parse)
        .unwrap_or(Role::Unknown);
    let discovery = discovery_mode(c);
    for (rsc, captures) in targets {
        if let Some(node_name) = c.attr("node") {
            let Some(node) = ws.node_by_name(node_name) else {
                continue;
            };
            let Some(value) = constraint_score(c) else {
                continue;
            };
            mark_exclusive(ws, rsc, discovery);
            if role == Role::Promoted {
                add_promoted_location(ws, rsc, node, value);
                continue;
            }
            if role > Role::Started {
                continue;
            }
            apply_location_discovering(ws, rsc, node, value, discovery);
        } else {
            for rule in c.elements().filter(|e| e.name == "rule") {
                let captures: Vec<Option<&str>> = captures.iter().map(Option::as_deref).collect();
                apply_rule_location(ws, ids, rsc, rule, role, discovery, &captures);
            }
        }
    }
}

/// A location constraint's `resource-discovery` (unknown values mean
/// "always", as in Pacemaker).
fn discovery_mode(c: &Element) -> Discovery {
    match c.attr("resource-discovery").map(str::to_ascii_lowercase).as_deref() {
        Some("never") => Discovery::Never,
        Some("exclusive") => Discovery::Exclusive,
        _ => Discovery::Always,
    }
}

/// An exclusive-discovery constraint makes its resource exclusive even when
/// it applies to no node.
fn mark_exclusive(ws: &mut WorkingSet, rsc: RscIdx, discovery: Discovery) {
    if discovery == Discovery::Exclusive {
        ws.resources[rsc].exclusive_discovery = true;
    }
}

/// A location preference for the promoted role only (used when choosing
/// which instances to promote).
fn add_promoted_location(ws: &mut WorkingSet, rsc: RscIdx, node: usize, value: i32) {
    // A bundle is never promoted itself: the constraint is its inner clone's.
    let rsc = ws.resources[rsc].bundle.as_ref().and_then(|b| b.child).unwrap_or(rsc);
    let entry = ws.resources[rsc].promoted_location.entry(node).or_insert(0);
    *entry = score::add(*entry, value);
}

fn apply_rule_location(
    ws: &mut WorkingSet,
    ids: &IdIndex,
    rsc: RscIdx,
    rule: &Element,
    constraint_role: Role,
    discovery: Discovery,
    captures: &[Option<&str>],
) {
    let role = rule
        .attr("role")
        .and_then(Role::parse)
        .unwrap_or(constraint_role);
    mark_exclusive(ws, rsc, discovery);
    if role > Role::Started && role != Role::Promoted {
        return;
    }
    let fixed_score = rule.attr("score").map(score::parse_or_zero);
    let score_attr = rule.attr("score-attribute").map(|attr| expand_captures(attr, captures));
    let needs_params = refers_to_params(rule);
    let meta = ws.resources[rsc].meta.clone();
    for n in 0..ws.nodes.len() {
        let params = needs_params.then(|| resource_params(ws, ids, rsc, n));
        let mut next_change = None;
        let matched = {
            let ctx = RuleContext {
                node_attrs: Some(&ws.nodes[n].attrs),
                now: Some(ws.now),
            };
            let resource = ResourceMatch { params: params.as_ref(), meta: Some(&meta), captures };
            location_rule_matches(rule, &ctx, &resource, &mut next_change)
        };
        // The constraint applies differently once the rule's result changes.
        if let Some(time) = next_change {
            ws.update_recheck_time(time);
        }
        if !matched {
            continue;
        }
        let value = match (fixed_score, &score_attr) {
            (Some(s), _) => s,
            // A node without the attribute is banned, as in Pacemaker.
            (None, Some(attr)) => ws.nodes[n].attrs.get(attr).map_or(-INFINITY, |v| score::parse_or_zero(v)),
            (None, None) => 0,
        };
        if role == Role::Promoted {
            add_promoted_location(ws, rsc, n, value);
        } else {
            apply_location_discovering(ws, rsc, n, value, discovery);
        }
    }
}

/// Whether a rule compares against a resource parameter anywhere (evaluating the
/// resource's parameters for every node is only worth it then).
fn refers_to_params(rule: &Element) -> bool {
    rule.elements().any(|e| match e.name.as_str() {
        "expression" => e.attr("value-source").is_some_and(|s| s.eq_ignore_ascii_case("param")),
        "rule" => refers_to_params(e),
        _ => false,
    })
}

/// The top-level resources an `rsc-pattern` (a POSIX extended regular expression; a
/// leading '!' inverts it) selects, each with the groups its id's match captured.
fn pattern_targets(ws: &WorkingSet, pattern: &str) -> Vec<(RscIdx, Vec<Option<String>>)> {
    let (inverted, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    // Pacemaker ignores a constraint whose pattern does not compile.
    let Ok(regex) = regex::Regex::new(pattern) else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    for &r in &ws.top_level {
        match (regex.captures(&ws.resources[r].id), inverted) {
            (Some(found), false) => {
                let captures = found.iter().map(|group| group.map(|m| m.as_str().to_owned())).collect();
                targets.push((r, captures));
            }
            (None, true) => targets.push((r, Vec::new())),
            _ => {}
        }
    }
    targets
}

fn role_attr(c: &Element, name: &str) -> Role {
    match c.attr(name).and_then(Role::parse) {
        Some(Role::Started) | None => Role::Unknown,
        Some(r) => r,
    }
}

fn influence(ws: &WorkingSet, c: &Element, dependent: RscIdx) -> bool {
    // An invalid value falls back to the default.
    if let Some(v) = c.attr("influence").and_then(crate::options::parse_boolean) {
        return v;
    }
    ws.resources[dependent]
        .meta
        .get("critical")
        .map(|v| is_true(v))
        .unwrap_or(true)
}

pub fn add_colocation(ws: &mut WorkingSet, coloc: Colocation) {
    if coloc.score == 0 || coloc.dependent == coloc.primary {
        return;
    }
    ws.colocations.push(coloc);
}

fn unpack_colocation(ws: &mut WorkingSet, c: &Element) {
    let id = c.id().unwrap_or("").to_string();
    let score_value = constraint_score(c).unwrap_or(0);
    let node_attribute = c.attr("node-attribute").map(str::to_string);
    let colocate = |ws: &mut WorkingSet, dependent: RscIdx, primary: RscIdx, score: i32, roles: (Role, Role)| {
        let influence = influence(ws, c, dependent);
        let (dependent_role, primary_role) = roles;
        add_colocation(
            ws,
            Colocation {
                id: id.clone(),
                dependent,
                primary,
                score,
                dependent_role,
                primary_role,
                node_attribute: node_attribute.clone(),
                influence,
            },
        );
    };
    if c.child("resource_set").is_some() {
        let sets: Vec<&Element> = c.elements().filter(|e| e.name == "resource_set").collect();
        let members_of = |ws: &WorkingSet, set: &Element| -> Vec<RscIdx> {
            set.elements()
                .filter(|e| e.name == "resource_ref")
                .filter_map(|rr| rr.id())
                .flat_map(|i| expand_ref(ws, i))
                .collect()
        };
        let sequential = |set: &Element| set.attr("sequential").map(is_true).unwrap_or(true);
        for (i, set) in sets.iter().enumerate() {
            let members = members_of(ws, set);
            let role = role_attr(set, "role");
            let set_score = set.attr("score").map(score::parse_or_zero).unwrap_or(score_value);
            // Within a set (Pacemaker's unpack_colocation_set).
            if sequential(set) && set_score > 0 {
                let listed = set.attr("ordering").is_some_and(|o| o.eq_ignore_ascii_case("listed"));
                for pair in members.windows(2) {
                    // ordering="group" (the default): each member with the one before it;
                    // "listed": each with the one after it.
                    let (dependent, primary) = if listed { (pair[0], pair[1]) } else { (pair[1], pair[0]) };
                    colocate(ws, dependent, primary, set_score, (role, role));
                }
            } else if sequential(set) && set_score < 0 {
                // Anti-colocated with every member listed before it.
                for (k, &member) in members.iter().enumerate() {
                    for &earlier in &members[..k] {
                        colocate(ws, member, earlier, set_score, (role, role));
                    }
                }
            }
            // Between this set and the one before it (Pacemaker's colocate_rsc_sets): the
            // earlier set's first member with the later set's last one; every member of
            // a set that is not sequential.
            if i == 0 || score_value == 0 {
                continue;
            }
            let earlier = sets[i - 1];
            let earlier_members = members_of(ws, earlier);
            let roles = (role_attr(earlier, "role"), role);
            let dependents: Vec<RscIdx> = if sequential(earlier) {
                earlier_members.first().copied().into_iter().collect()
            } else {
                earlier_members
            };
            let primaries: Vec<RscIdx> = if sequential(set) {
                members.last().copied().into_iter().collect()
            } else {
                members
            };
            for &dependent in &dependents {
                for &primary in &primaries {
                    colocate(ws, dependent, primary, score_value, roles);
                }
            }
        }
        return;
    }
    let (Some(dep_id), Some(prim_id)) = (c.attr("rsc"), c.attr("with-rsc")) else {
        return;
    };
    let (dependents, primaries) = (expand_ref(ws, dep_id), expand_ref(ws, prim_id));
    if dependents.len() > 1 && primaries.len() > 1 {
        // Two unordered sets: Pacemaker ends up not colocating them.
        return;
    }
    let roles = (role_attr(c, "rsc-role"), role_attr(c, "with-rsc-role"));
    for &dependent in &dependents {
        for &primary in &primaries {
            colocate(ws, dependent, primary, score_value, roles);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OrderKind {
    Mandatory,
    Optional,
    Serialize,
}

fn order_kind(c: &Element) -> OrderKind {
    if let Some(kind) = c.attr("kind") {
        return match kind.to_ascii_lowercase().as_str() {
            "optional" => OrderKind::Optional,
            "serialize" => OrderKind::Serialize,
            _ => OrderKind::Mandatory,
        };
    }
    match c.attr("score").map(score::parse_or_zero) {
        Some(0) => OrderKind::Optional,
        _ => OrderKind::Mandatory,
    }
}

fn flags_for(kind: OrderKind, first_task: &str, inverse: bool, symmetric: bool) -> u32 {
    match kind {
        OrderKind::Optional => of::OPTIONAL,
        OrderKind::Serialize => of::SERIALIZE_ONLY,
        OrderKind::Mandatory => {
            if !symmetric {
                of::ASYMMETRICAL
            } else if inverse {
                of::IMPLIES_FIRST
            } else {
                let mut f = of::IMPLIES_THEN;
                if first_task == "start" || first_task == "promote" {
                    f |= of::RUNNABLE_LEFT;
                }
                f
            }
        }
    }
}

fn invert(task: &str) -> Option<&'static str> {
    Some(match task {
        "start" => "stop",
        "stop" => "start",
        "promote" => "demote",
        "demote" => "promote",
        "running" => "stopped",
        "stopped" => "running",
        "promoted" => "demoted",
        "demoted" => "promoted",
        _ => return None,
    })
}

pub fn add_order(
    ws: &mut WorkingSet,
    first: RscIdx,
    first_task: &str,
    then: RscIdx,
    then_task: &str,
    flags: u32,
) {
    ws.orders.push(RscOrder {
        id: String::new(),
        min_first_instances: 0,
        first,
        first_task: first_task.to_string(),
        then,
        then_task: then_task.to_string(),
        flags,
    });
}

fn add_ordering_pair(
    ws: &mut WorkingSet,
    kind: OrderKind,
    symmetric: bool,
    first: RscIdx,
    first_task: &str,
    then: RscIdx,
    then_task: &str,
) {
    // The deprecated restart-type=restart makes optional orderings restart "then"
    // (and its stop required by the stop of "first", in the inverse ordering).
    let restarts_then = kind == OrderKind::Optional
        && ws.resources[then].meta.get("restart-type").is_some_and(|v| v == "restart");
    let mut flags = flags_for(kind, first_task, false, symmetric);
    if restarts_then {
        flags |= of::IMPLIES_THEN;
    }
    add_order(ws, first, first_task, then, then_task, flags);
    if symmetric && kind != OrderKind::Serialize {
        if let (Some(inv_then), Some(inv_first)) = (invert(then_task), invert(first_task)) {
            let mut inverse_flags = flags_for(kind, inv_then, true, symmetric);
            if restarts_then {
                inverse_flags |= of::IMPLIES_FIRST;
            }
            add_order(ws, then, inv_then, first, inv_first, inverse_flags);
        }
    }
}

/// How many instances of a "first" clone must be runnable (clone-min, or 1
/// when the ordering has require-all=false); 0 means "all, as usual".
fn minimum_first_instances(ws: &WorkingSet, first: RscIdx, c: &Element) -> usize {
    if ws.resources[first].variant != Variant::Clone {
        return 0;
    }
    if let Some(min) = ws.resources[first]
        .meta
        .get("clone-min")
        .map(|v| score::parse_or_zero(v))
    {
        if min > 0 {
            return min as usize;
        }
    }
    match c.attr("require-all") {
        Some(v) if !is_true(v) => 1,
        _ => 0,
    }
}

/// Whether a resource set says sequential="true" itself (the default of true
/// applies within a set, not to how sets are ordered against each other).
fn explicitly_sequential(set: &Element) -> bool {
    set.attr("sequential").is_some_and(is_true)
}

fn unpack_order(ws: &mut WorkingSet, c: &Element) {
    let kind = order_kind(c);
    let symmetric = c
        .attr("symmetrical")
        .map(is_true)
        .unwrap_or(kind != OrderKind::Serialize);
    if c.child("resource_set").is_some() {
        let sets: Vec<&Element> = c.elements().filter(|e| e.name == "resource_set").collect();
        let mut prev_set: Option<(Vec<RscIdx>, String)> = None;
        let mut prev_gate: Option<String> = None;
        let mut prev_sequential = false;
        for set in sets {
            let members: Vec<RscIdx> = set
                .elements()
                .filter(|e| e.name == "resource_ref")
                .filter_map(|rr| rr.id())
                .flat_map(|i| expand_ref(ws, i))
                .collect();
            let action = set.attr("action").unwrap_or("start").to_string();
            let sequential = set.attr("sequential").map(is_true).unwrap_or(true);
            let set_kind = match set.attr("kind") {
                Some(_) => order_kind(set),
                None => kind,
            };
            if set_kind == OrderKind::Serialize {
                // Each member is serialized with every later one, whether
                // or not the set is sequential.
                for (i, &first) in members.iter().enumerate() {
                    for &then in &members[i + 1..] {
                        add_ordering_pair(ws, set_kind, symmetric, first, &action, then, &action);
                    }
                }
            } else if sequential {
                for w in members.windows(2) {
                    add_ordering_pair(ws, set_kind, symmetric, w[0], &action, w[1], &action);
                }
            }
            if let Some((prev, prev_action)) = &prev_set {
                if let Some(gate_id) = &prev_gate {
                    // The previous set needs only one of its members.
                    ws.set_gates.push(crate::model::SetGate {
                        id: gate_id.clone(),
                        firsts: prev.clone(),
                        first_task: prev_action.clone(),
                        thens: members.clone(),
                        then_task: action.clone(),
                        flags: flags_for(kind, prev_action, false, symmetric),
                    });
                } else {
                    // Between sets, a set explicitly marked sequential is
                    // represented by its end nearest the other set (its last
                    // member before, its first member after); any other set
                    // by all of its members.
                    let firsts: Vec<RscIdx> = match (prev_sequential, prev.last()) {
                        (true, Some(&last)) => vec![last],
                        _ => prev.clone(),
                    };
                    let thens: Vec<RscIdx> = match (explicitly_sequential(set), members.first()) {
                        (true, Some(&first)) => vec![first],
                        _ => members.clone(),
                    };
                    for &f in &firsts {
                        for &t in &thens {
                            add_ordering_pair(ws, kind, symmetric, f, prev_action, t, &action);
                        }
                    }
                }
            }
            prev_gate = match set.attr("require-all") {
                Some(v) if !is_true(v) => Some(set.id().unwrap_or("").to_string()),
                _ => None,
            };
            prev_sequential = explicitly_sequential(set);
            prev_set = Some((members, action));
        }
        return;
    }
    let (Some(first_id), Some(then_id)) = (c.attr("first"), c.attr("then")) else {
        return;
    };
    let (firsts, thens) = (expand_ref(ws, first_id), expand_ref(ws, then_id));
    if firsts.len() != 1 || thens.len() != 1 {
        // Tags and templates stand for unordered sets: every "first" before every "then".
        let first_task = c.attr("first-action").unwrap_or("start").to_string();
        let then_task = c
            .attr("then-action")
            .map(str::to_string)
            .unwrap_or_else(|| first_task.clone());
        for &f in &firsts {
            for &t in &thens {
                add_ordering_pair(ws, kind, symmetric, f, &first_task, t, &then_task);
            }
        }
        return;
    }
    let (first, then) = (firsts[0], thens[0]);
    let first_task = c.attr("first-action").unwrap_or("start").to_string();
    let then_task = c
        .attr("then-action")
        .map(str::to_string)
        .unwrap_or_else(|| first_task.clone());
    let min = minimum_first_instances(ws, first, c);
    if min > 0 {
        ws.orders.push(RscOrder {
            id: c.id().unwrap_or("").to_string(),
            min_first_instances: min,
            first,
            first_task: first_task.clone(),
            then,
            then_task: then_task.clone(),
            flags: flags_for(kind, &first_task, false, symmetric),
        });
        if symmetric && kind != OrderKind::Serialize {
            if let (Some(inv_then), Some(inv_first)) = (invert(&then_task), invert(&first_task)) {
                add_order(
                    ws,
                    then,
                    inv_then,
                    first,
                    inv_first,
                    flags_for(kind, inv_then, true, symmetric),
                );
            }
        }
        return;
    }
    add_ordering_pair(ws, kind, symmetric, first, &first_task, then, &then_task);
    let _ = INFINITY;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LossPolicy {
    Stop,
    Demote,
    Fence,
    Freeze,
}

fn unpack_ticket(ws: &mut WorkingSet, c: &Element) {
    let Some(ticket) = c.attr("ticket") else {
        return;
    };
    let (granted, standby) = ws.tickets.get(ticket).copied().unwrap_or((false, false));
    if granted && !standby {
        return;
    }
    let policy = match c
        .attr("loss-policy")
        .map(|p| p.to_ascii_lowercase())
        .as_deref()
    {
        Some("demote") => LossPolicy::Demote,
        Some("fence") if ws.options.stonith_enabled => LossPolicy::Fence,
        Some("freeze") => LossPolicy::Freeze,
        _ => LossPolicy::Stop,
    };
    let mut targets: Vec<(RscIdx, Role)> = Vec::new();
    if let Some(id) = c.attr("rsc") {
        for r in expand_ref(ws, id) {
            targets.push((r, role_attr(c, "rsc-role")));
        }
    }
    for set in c.elements().filter(|e| e.name == "resource_set") {
        let role = role_attr(set, "role");
        for rr in set.elements().filter(|e| e.name == "resource_ref") {
            for r in rr.id().map(|i| expand_ref(ws, i)).unwrap_or_default() {
                targets.push((r, role));
            }
        }
    }
    for (r, role) in targets {
        if role == Role::Promoted {
            ws.resources[r].lacks_promotion_ticket = true;
        }
        for p in ws.primitives_of(r) {
            ticket_constraint(ws, p, role, policy, granted);
        }
    }
}

fn ban_everywhere(ws: &mut WorkingSet, r: RscIdx) {
    for n in 0..ws.nodes.len() {
        ws.resources[r].allowed.insert(n, -INFINITY);
    }
}

/// Pacemaker's constraints_for_ticket for one primitive whose ticket is
/// revoked or in standby.
fn ticket_constraint(
    ws: &mut WorkingSet,
    r: RscIdx,
    role: Role,
    policy: LossPolicy,
    granted: bool,
) {
    let role_matches = role == Role::Unknown || role == ws.resources[r].role;
    if !granted && !ws.resources[r].running_on.is_empty() {
        match policy {
            LossPolicy::Stop => ban_everywhere(ws, r),
            LossPolicy::Demote => {
                if role != Role::Promoted {
                    ban_everywhere(ws, r);
                }
            }
            LossPolicy::Fence => {
                if !role_matches {
                    return;
                }
                ban_everywhere(ws, r);
                for n in ws.resources[r].running_on.clone() {
                    super::nodes::fence_node(ws, n, "deadman ticket was lost");
                }
            }
            LossPolicy::Freeze => {
                if role_matches {
                    ws.resources[r].managed = false;
                    ws.resources[r].blocked = true;
                }
            }
        }
    } else if role != Role::Promoted || policy == LossPolicy::Stop {
        ban_everywhere(ws, r);
    }
}
