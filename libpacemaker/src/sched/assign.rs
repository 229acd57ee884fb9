//! Placement: choosing a node for every resource (Pacemaker's "assignment").

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::model::{Colocation, NodeIdx, Role, RscIdx, Variant, WorkingSet};
use crate::score::{self, INFINITY};

/// Marker score Pacemaker uses while merging to flag "must not be negative".
const INFINITY_HACK: i32 = INFINITY * -100;

pub struct Placement<'a> {
    pub ws: &'a mut WorkingSet,
    /// Colocations where the resource is the dependent ("this with").
    pub(super) this_with: Vec<Vec<usize>>,
    /// Colocations where the resource is the primary ("with this").
    pub(super) with_this: Vec<Vec<usize>>,
    /// Groups whose "R with group" colocations have become "R with last
    /// member" ones: Pacemaker moves them when it starts assigning the group
    /// (expand_group_colocations), so merging through the group's members
    /// only meets them from then on.
    expanded_groups: Vec<bool>,
    /// Per primitive: the score of the node it was assigned to, as it was
    /// then (Pacemaker's allocated_to keeps a copy of that node entry, and a
    /// mandatory colocation with a promotable clone's role adds it).
    assigned_weight: Vec<i32>,
    /// Per clone instance: the clone's colocations it took on each time it
    /// was considered for placement ("this with", then "with this"), as
    /// Pacemaker's append_parent_colocation adds them (repeats included).
    inherited_this_with: Vec<Vec<usize>>,
    inherited_with_this: Vec<Vec<usize>>,
    /// Per clone: how many instances were placed on each node.
    clone_counts: Vec<BTreeMap<NodeIdx, usize>>,
    order: Vec<RscIdx>,
    scores: String,
    /// Score and utilization lines interleaved as crm_simulate -s -U
    /// prints them; `scores` alone holds the score lines.
    assignment_log: String,
    /// Utilization lines alone (crm_simulate -U).
    utilization_log: String,
}

/// Pacemaker's node name order (pcmk__numeric_strcasecmp): case-insensitive,
/// with runs of digits compared as numbers ("node9" before "node10").
fn numeric_name_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let run = |s: &[u8], mut k: usize| {
                while k < s.len() && s[k] == b'0' {
                    k += 1;
                }
                let start = k;
                while k < s.len() && s[k].is_ascii_digit() {
                    k += 1;
                }
                (start, k)
            };
            let ((sa, ea), (sb, eb)) = (run(a, i), run(b, j));
            let by_value = (ea - sa).cmp(&(eb - sb)).then_with(|| a[sa..ea].cmp(&b[sb..eb]));
            if by_value != Ordering::Equal {
                return by_value;
            }
            i = ea;
            j = eb;
            continue;
        }
        let order = a[i].to_ascii_lowercase().cmp(&b[j].to_ascii_lowercase());
        if order != Ordering::Equal {
            return order;
        }
        i += 1;
        j += 1;
    }
    (a.len() - i).cmp(&(b.len() - j))
}

/// " name=value" for each utilization attribute, as crm_simulate -U lists them.
fn utilization_text(values: &BTreeMap<String, i64>) -> String {
    values.iter().map(|(k, v)| format!(" {k}={v}")).collect()
}

pub fn node_available(ws: &WorkingSet, n: NodeIdx) -> bool {
    ws.nodes[n].can_run_resources()
}

impl<'a> Placement<'a> {
    pub fn new(ws: &'a mut WorkingSet) -> Self {
        let count = ws.resources.len();
        let mut p = Placement {
            ws,
            this_with: vec![Vec::new(); count],
            with_this: vec![Vec::new(); count],
            expanded_groups: vec![false; count],
            assigned_weight: vec![0; count],
            inherited_this_with: vec![Vec::new(); count],
            inherited_with_this: vec![Vec::new(); count],
            clone_counts: vec![BTreeMap::new(); count],
            order: Vec::new(),
            scores: String::new(),
            assignment_log: String::new(),
            utilization_log: String::new(),
        };
        p.log_capacities("Original");
        p.index_colocations();
        p
    }

    fn index_colocations(&mut self) {
        for (i, c) in self.ws.colocations.iter().enumerate() {
            self.this_with[c.dependent].push(i);
            self.with_this[c.primary].push(i);
        }
        // Pacemaker inserts each colocation in order, before the first one that does
        // not sort after it: a stable sort of the reversed list gives the same order.
        let ws = &*self.ws;
        for list in self.this_with.iter_mut() {
            list.reverse();
            list.sort_by(|&a, &b| consider_first(ws, ws.colocations[a].primary, ws.colocations[b].primary));
        }
        for list in self.with_this.iter_mut() {
            list.reverse();
            list.sort_by(|&a, &b| consider_first(ws, ws.colocations[a].dependent, ws.colocations[b].dependent));
        }
    }

    /// Assigns every resource, in Pacemaker's order.
    pub fn assign_all(&mut self) {
        let mut order = self.ws.top_level.clone();
        // Remote connections go first: where they run decides whether their
        // nodes can take resources.
        for &r in &order {
            if self.ws.resources[r].is_remote_connection {
                // A partially migrated connection prefers its target.
                let target = self.ws.resources[r].migration.partial.map(|(_, target)| target);
                self.assign(r, target);
            }
        }
        // Only non-default placement strategies sort resources: highest
        // priority first, then higher score on the current node.
        if self
            .ws
            .options
            .placement_strategy
            .eq_ignore_ascii_case("default")
        {
            for &r in &order.clone() {
                self.assign(r, None);
            }
            self.order = order;
            return;
        }
        let tables: HashMap<RscIdx, BTreeMap<NodeIdx, i32>> =
            order.iter().map(|&r| (r, self.scores_with_primaries(r))).collect();
        // The nodes in Pacemaker's preference order (capacity counts under "balanced").
        let base_weights: BTreeMap<NodeIdx, i32> = self.ws.nodes.iter().enumerate().map(|(n, node)| (n, node.weight)).collect();
        let node_order: Vec<NodeIdx> = self.sorted_nodes(&base_weights, None).into_iter().map(|(n, _)| n).collect();
        let ws = &*self.ws;
        order.sort_by(|&a, &b| {
            let pa = ws.resources[a].priority;
            let pb = ws.resources[b].priority;
            pb.cmp(&pa)
                .then_with(|| current_weight(ws, &tables[&b], b).cmp(&current_weight(ws, &tables[&a], a)))
                .then_with(|| {
                    for &n in &node_order {
                        let wa = tables[&a].get(&n).copied().unwrap_or(-INFINITY);
                        let wb = tables[&b].get(&n).copied().unwrap_or(-INFINITY);
                        if wa != wb {
                            return wb.cmp(&wa);
                        }
                    }
                    std::cmp::Ordering::Equal
                })
        });
        for &r in &order {
            self.assign(r, None);
        }
        self.order = order;
    }

    /// Colocations where `r` is the dependent, in the order Pacemaker
    /// considers them.
    pub(super) fn colocations_as_dependent(&self, r: RscIdx) -> Vec<usize> {
        self.this_with[r].clone()
    }

    /// Colocations where `r` is the primary, in the order Pacemaker
    /// considers them.
    pub(super) fn colocations_as_primary(&self, r: RscIdx) -> Vec<usize> {
        self.with_this[r].clone()
    }

    /// Adds a line to what crm_simulate -s shows.
    pub(super) fn record_score_line(&mut self, line: &str) {
        if !self.ws.record_scores {
            return;
        }
        self.scores.push_str(line);
        self.scores.push('\n');
        self.assignment_log.push_str(line);
        self.assignment_log.push('\n');
    }

    /// Allocation score lines collected during assignment.
    pub fn scores(&self) -> String {
        self.scores.clone()
    }

    /// Records a resource's node scores as crm_simulate -s shows them,
    /// then its children's (orphans show none).
    pub(super) fn show_scores(&mut self, prefix: &str, r: RscIdx) {
        if !self.ws.record_scores || self.ws.resources[r].orphan {
            return;
        }
        self.show_own_scores(prefix, r);
        for child in self.ws.resources[r].children.clone() {
            self.show_scores(prefix, child);
        }
    }

    fn show_own_scores(&mut self, prefix: &str, r: RscIdx) {
        let ws = &*self.ws;
        let res = &ws.resources[r];
        let mut nodes: Vec<(&str, i32)> = res
            .allowed
            .iter()
            .map(|(&n, &w)| (ws.nodes[n].uname.as_str(), w))
            .collect();
        nodes.sort_by(|a, b| a.0.cmp(b.0));
        // Written in place: one line per resource and node adds up on large clusters.
        let from = self.scores.len();
        for (name, w) in nodes {
            let _ = writeln!(self.scores, "{prefix}: {} allocation score on {}: {}", res.id, name, score::readable(w));
        }
        self.assignment_log.push_str(&self.scores[from..]);
    }

    /// Records every node's remaining capacity ("Original" before
    /// assignment, "Remaining" after), as crm_simulate -U shows it, by
    /// node name.
    pub fn log_capacities(&mut self, when: &str) {
        if !self.ws.record_scores {
            return;
        }
        let mut nodes: Vec<&crate::model::Node> = self.ws.nodes.iter().collect();
        nodes.sort_by(|a, b| numeric_name_cmp(&a.uname, &b.uname));
        let mut text = String::new();
        for node in nodes {
            text.push_str(&format!("{when}: {} capacity:{}\n", node.uname, utilization_text(&node.utilization)));
        }
        self.utilization_log.push_str(&text);
        self.assignment_log.push_str(&text);
    }

    /// Utilization lines alone, and interleaved with the score lines.
    pub fn utilization_logs(&self) -> (String, String) {
        (self.utilization_log.clone(), self.assignment_log.clone())
    }

    /// Top-level resources in the order they were assigned.
    pub fn order(&self) -> Vec<RscIdx> {
        self.order.clone()
    }

    pub fn assign(&mut self, r: RscIdx, prefer: Option<NodeIdx>) -> Option<NodeIdx> {
        match self.ws.resources[r].variant {
            Variant::Primitive => self.assign_primitive(r, prefer),
            Variant::Group => self.assign_group(r, prefer),
            Variant::Clone => {
                self.assign_clone(r);
                None
            }
            Variant::Bundle => {
                self.assign_bundle(r, prefer);
                None
            }
        }
    }

    fn assign_group(&mut self, r: RscIdx, prefer: Option<NodeIdx>) -> Option<NodeIdx> {
        if !self.ws.resources[r].provisional {
            return self.ws.resources[r].assigned_to;
        }
        if self.ws.resources[r].assigning {
            return None;
        }
        self.ws.resources[r].assigning = true;
        self.expanded_groups[r] = true;
        self.show_scores("pcmk__group_assign", r);
        let children = self.ws.resources[r].children.clone();
        let mut first = None;
        for (i, c) in children.iter().enumerate() {
            let n = self.assign(*c, prefer);
            if i == 0 {
                first = n;
            }
        }
        if let Some(&c0) = children.first() {
            self.ws.resources[r].next_role = self.ws.resources[c0].next_role;
        }
        let res = &mut self.ws.resources[r];
        res.assigning = false;
        res.provisional = false;
        res.assigned_to = first;
        first
    }

    fn assign_primitive(&mut self, r: RscIdx, prefer: Option<NodeIdx>) -> Option<NodeIdx> {
        if let Some(parent) = self.ws.resources[r].parent {
            // A bundle is assigned (and shows its scores) again every time
            // one of its members is; other collectives only the first time.
            if !self.ws.resources[parent].assigning {
                self.assign(parent, prefer);
            }
        }
        if !self.ws.resources[r].provisional {
            return self.ws.resources[r].assigned_to;
        }
        if self.ws.resources[r].assigning {
            return None;
        }
        self.ws.resources[r].assigning = true;

        for ci in self.this_with_effective(r) {
            self.apply_this_with(r, ci);
        }
        for ci in self.with_this_effective(r) {
            let c = self.ws.colocations[ci].clone();
            if !self.has_influence(&c) {
                continue;
            }
            let factor = c.score as f64 / INFINITY as f64;
            let mut nodes = self.ws.resources[r].allowed.clone();
            self.add_colocated_node_scores(
                c.dependent,
                &mut nodes,
                c.node_attribute.as_deref(),
                factor,
                true,
                false,
            );
            self.ws.resources[r].allowed = nodes;
        }

        if self.ws.resources[r].next_role == Role::Stopped {
            for n in 0..self.ws.nodes.len() {
                self.ws.resources[r].allowed.insert(n, -INFINITY);
            }
        }
        self.show_scores("pcmk__primitive_assign", r);

        let managed = self.ws.resources[r].managed
            && !(self.ws.options.stonith_enabled
                && !self.ws.have_stonith_resource
                && !self.ws.options.have_watchdog);
        if !managed {
            self.ws.resources[r].managed = false;
            let res = &self.ws.resources[r];
            let role = if res.started_before_roles { Role::Started } else { res.role };
            self.ws.resources[r].next_role = role;
            let current = self.ws.resources[r].running_on.first().copied();
            self.finalize(r, current, true);
        } else if self.ws.options.stop_all_resources {
            self.finalize(r, None, true);
        } else {
            let most_free = self.ban_insufficient_capacity(r);
            let chosen = self.best_node(r, prefer.or(most_free));
            self.finalize(r, chosen, false);
        }
        self.ws.resources[r].assigning = false;
        if self.ws.resources[r].is_remote_connection {
            self.remote_connection_assigned(r);
        }
        self.ws.resources[r].assigned_to
    }

    /// A remote node whose connection is placed will be online (and need
    /// no start-up fencing, since the connection will be attempted); one
    /// whose connection is not placed is shutting down.
    fn remote_connection_assigned(&mut self, connection: RscIdx) {
        let Some(node) = self.ws.node_by_name(&self.ws.resources[connection].id) else { return };
        let res = &self.ws.resources[connection];
        let up = res.assigned_to.is_some() && res.next_role != Role::Stopped;
        let n = &mut self.ws.nodes[node];
        if up {
            n.online = true;
            if n.unseen {
                n.unclean = false;
            }
        } else {
            n.shutdown = true;
        }
    }

    /// The "this with" colocations that apply to a primitive: its own, the
    /// group-internal ones, and those inherited from a group or clone parent.
    fn this_with_effective(&self, r: RscIdx) -> Vec<usize> {
        let mut list = self.this_with[r].clone();
        for &ci in &self.inherited_this_with[r] {
            self.insert_by_primary(&mut list, ci);
        }
        if let Some(p) = self.ws.resources[r].parent {
            let parent = &self.ws.resources[p];
            if parent.variant == Variant::Group {
                let pos = parent.children.iter().position(|&c| c == r).unwrap_or(0);
                if pos == 0 {
                    // "group with R" is "first member with R", merged into the
                    // member's own colocations in their order.
                    for ci in self.this_with_effective_group(p) {
                        self.insert_by_primary(&mut list, ci);
                    }
                } else {
                    // Once a member is unmanaged, later members need the group's
                    // mandatory colocations themselves.
                    let any_unmanaged = parent.children[..pos]
                        .iter()
                        .any(|&c| !self.ws.resources[c].managed);
                    if any_unmanaged {
                        let group_list = self.this_with_effective_group(p);
                        list.extend(
                            group_list
                                .into_iter()
                                .filter(|&ci| self.ws.colocations[ci].score >= INFINITY),
                        );
                    }
                }
            }
            if parent.variant == Variant::Bundle {
                list.extend(self.bundle_colocations_for_container(p, r, true));
            }
        }
        list
    }

    fn this_with_effective_group(&self, g: RscIdx) -> Vec<usize> {
        let mut list = self.this_with[g].clone();
        for &ci in &self.inherited_this_with[g] {
            self.insert_by_primary(&mut list, ci);
        }
        list
    }

    /// The "with this" colocations of a resource: its own, and for the last
    /// member of a group being (or done being) assigned, the group's.
    fn with_this_effective(&self, r: RscIdx) -> Vec<usize> {
        let mut list = self.with_this[r].clone();
        for &ci in &self.inherited_with_this[r] {
            self.insert_by_dependent(&mut list, ci);
        }
        if let Some(p) = self.ws.resources[r].parent {
            let parent = &self.ws.resources[p];
            if parent.variant == Variant::Group && parent.children.last() == Some(&r) && self.expanded_groups[p] {
                list.extend(self.with_this[p].iter().copied());
                for &ci in &self.inherited_with_this[p] {
                    self.insert_by_dependent(&mut list, ci);
                }
            }
            if parent.variant == Variant::Bundle {
                list.extend(self.bundle_colocations_for_container(p, r, false));
            }
        }
        list
    }

    /// Inserts a colocation where Pacemaker's sorted insertion puts it:
    /// before the first one whose primary is not to be considered earlier.
    fn insert_by_primary(&self, list: &mut Vec<usize>, ci: usize) {
        self.insert_sorted_by(list, ci, |c| c.primary);
    }

    /// As insert_by_primary, for colocations ordered by their dependents.
    fn insert_by_dependent(&self, list: &mut Vec<usize>, ci: usize) {
        self.insert_sorted_by(list, ci, |c| c.dependent);
    }

    fn insert_sorted_by(&self, list: &mut Vec<usize>, ci: usize, side: fn(&Colocation) -> RscIdx) {
        let ws = &*self.ws;
        let rsc = side(&ws.colocations[ci]);
        let at = list
            .iter()
            .position(|&other| consider_first(ws, rsc, side(&ws.colocations[other])).is_le())
            .unwrap_or(list.len());
        list.insert(at, ci);
    }

    /// A clone instance takes on its clone's colocations when it is
    /// considered for placement: all of them if not every node will get an
    /// instance, otherwise only the negative and mandatory "this with" ones
    /// and the negative "with this" ones (Pacemaker's append_parent_colocation).
    fn inherit_clone_colocations(&mut self, clone: RscIdx, inst: RscIdx, all: bool) {
        for ci in self.this_with[clone].clone() {
            let score = self.ws.colocations[ci].score;
            if all || score < 0 || score >= INFINITY {
                self.inherited_this_with[inst].push(ci);
            }
        }
        let inactive = self.ws.running_nodes(inst).is_empty();
        for ci in self.with_this[clone].clone() {
            let c = &self.ws.colocations[ci];
            if (c.influence || inactive) && (all || c.score < 0) {
                self.inherited_with_this[inst].push(ci);
            }
        }
    }

    fn apply_this_with(&mut self, r: RscIdx, ci: usize) {
        let c = self.ws.colocations[ci].clone();
        let archive = if c.dependent_role >= Role::Promoted || (c.score < 0 && c.score > -INFINITY)
        {
            Some(self.ws.resources[r].allowed.clone())
        } else {
            None
        };
        self.assign(c.primary, None);
        self.apply_coloc_to_dependent(r, c.primary, &c);
        if let Some(saved) = archive {
            if !self.any_node_available(&self.ws.resources[r].allowed) {
                self.ws.resources[r].allowed = saved;
            }
        }
    }

    /// Applies a colocation's effect on `dependent` (a primitive) given the
    /// primary's (possibly collective) assignment.
    pub(super) fn apply_coloc_to_dependent(&mut self, dependent: RscIdx, primary: RscIdx, c: &Colocation) {
        match self.ws.resources[primary].variant {
            Variant::Group => {
                let children = self.ws.resources[primary].children.clone();
                let member = if c.score >= INFINITY {
                    children.last()
                } else {
                    children.first()
                };
                if let Some(&m) = member {
                    self.apply_coloc_to_dependent(dependent, m, c);
                }
            }
            Variant::Clone => {
                let role_filter = if self.ws.resources[primary].clone.promotable {
                    c.primary_role
                } else {
                    Role::Unknown
                };
                if role_filter != Role::Unknown {
                    // Colocation with a role of a promotable clone: only instances
                    // that will have that role count.
                    self.apply_coloc_with_promotable_role(dependent, primary, c);
                    return;
                }
                if self.interleaves_with(c.dependent, primary) {
                    // Each instance follows the primary's instance on the best
                    // node it could share (Pacemaker's find_compatible_child).
                    match self.compatible_instance(dependent, primary) {
                        Some(partner) => self.apply_coloc_to_dependent(dependent, partner, c),
                        None if c.score >= INFINITY => {
                            self.ws.resources[dependent].next_role = Role::Stopped;
                        }
                        None => {}
                    }
                    return;
                }
                if c.score >= INFINITY {
                    // Blocked instances don't count; nodes hosting an
                    // instance that the dependent has no score for are
                    // listed as banned (Pacemaker's node_list_exclude).
                    let nodes: Vec<NodeIdx> = self.ws.resources[primary]
                        .children
                        .iter()
                        .filter(|&&i| !self.ws.primitives_of(i).iter().any(|&m| self.ws.resources[m].blocked))
                        .filter_map(|&i| self.instance_location(i))
                        .collect();
                    let allowed = &mut self.ws.resources[dependent].allowed;
                    for (n, w) in allowed.iter_mut() {
                        if !nodes.contains(n) {
                            *w = -INFINITY;
                        }
                    }
                    for &n in &nodes {
                        allowed.entry(n).or_insert(-INFINITY);
                    }
                } else {
                    let children = self.ws.resources[primary].children.clone();
                    for i in children {
                        self.apply_coloc_to_dependent(dependent, i, c);
                    }
                }
            }
            Variant::Bundle => self.apply_coloc_with_bundle(dependent, primary, c),
            Variant::Primitive => {
                if self.ws.resources[primary].provisional {
                    return;
                }
                if c.dependent_role != Role::Unknown
                    && self.ws.is_promotable_member(dependent)
                    && c.dependent_role >= Role::Unpromoted
                {
                    // Role-based colocation affects promotion, not placement.
                    return;
                }
                self.apply_coloc_to_weights(dependent, primary, c);
            }
        }
    }

    /// A colocation with a role of a promotable clone (Pacemaker's
    /// pcmk__update_dependent_with_promotable): an optional one adds its
    /// score on the nodes sharing the attribute with an instance headed for
    /// that role; a mandatory one bans every other node and adds each such
    /// instance's assigned score to its node, unless both roles are promoted.
    fn apply_coloc_with_promotable_role(&mut self, dependent: RscIdx, primary: RscIdx, c: &Colocation) {
        let attr = c.node_attribute.as_deref().unwrap_or("#uname");
        let mut affected: Vec<(NodeIdx, i32)> = Vec::new();
        for i in self.ws.resources[primary].children.clone() {
            let Some((node, weight)) = self.instance_location_weight(i) else {
                continue;
            };
            let role = self
                .ws
                .primitives_of(i)
                .first()
                .map(|&p| self.ws.resources[p].next_role)
                .unwrap_or(Role::Stopped);
            if role != c.primary_role {
                continue;
            }
            if c.score < INFINITY {
                let primary_value = self.node_attr(node, attr).map(str::to_owned);
                let matching: Vec<NodeIdx> = self.ws.resources[dependent]
                    .allowed
                    .keys()
                    .copied()
                    .filter(|&n| {
                        let value = self.node_attr(n, attr);
                        match (&primary_value, value) {
                            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                            (None, None) => true,
                            _ => false,
                        }
                    })
                    .collect();
                let allowed = &mut self.ws.resources[dependent].allowed;
                for n in matching {
                    if let Some(w) = allowed.get_mut(&n) {
                        *w = score::add(*w, c.score);
                    }
                }
            }
            affected.push((node, weight));
        }
        if c.score >= INFINITY && (c.dependent_role != Role::Promoted || c.primary_role != Role::Promoted) {
            let allowed = &mut self.ws.resources[dependent].allowed;
            for (n, w) in allowed.iter_mut() {
                match affected.iter().find(|(a, _)| a == n) {
                    Some(&(_, weight)) => *w = score::add(*w, weight),
                    None => *w = -INFINITY,
                }
            }
            for &(n, _) in &affected {
                allowed.entry(n).or_insert(-INFINITY);
            }
        }
    }

    /// Where an instance will be, with the score its node had when it was
    /// assigned there (for a cloned group, its first placed member's); none
    /// when its members are split.
    fn instance_location_weight(&self, inst: RscIdx) -> Option<(NodeIdx, i32)> {
        let mut found: Option<(NodeIdx, i32)> = None;
        for p in self.ws.primitives_of(inst) {
            let Some(n) = self.ws.resources[p].assigned_to else {
                continue;
            };
            match found {
                None => found = Some((n, self.assigned_weight[p])),
                Some((m, _)) if m != n => return None,
                Some(_) => {}
            }
        }
        found
    }

    /// Whether a colocation of clone `dependent` with clone `primary` pairs
    /// their instances: the dependent asks for interleaving and both allow
    /// as many instances per node.
    fn interleaves_with(&self, dependent: RscIdx, primary: RscIdx) -> bool {
        let (d, p) = (&self.ws.resources[dependent], &self.ws.resources[primary]);
        d.variant == Variant::Clone
            && p.variant == Variant::Clone
            && d.clone.interleave
            && d.clone.clone_node_max == p.clone.clone_node_max
    }

    /// The instance of clone `primary` placed on the best-scoring node of
    /// `dependent`'s (or on the node `dependent` is placed on), if any;
    /// blocked instances do not count.
    fn compatible_instance(&self, dependent: RscIdx, primary: RscIdx) -> Option<RscIdx> {
        let candidates: Vec<NodeIdx> = match self.ws.resources[dependent].assigned_to {
            Some(n) if !self.ws.resources[dependent].provisional => vec![n],
            _ => self
                .sorted_nodes(&self.ws.resources[dependent].allowed, None)
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
        };
        let instances = &self.ws.resources[primary].children;
        candidates.into_iter().find_map(|n| {
            instances.iter().copied().find(|&i| {
                let blocked = self.ws.primitives_of(i).iter().any(|&m| self.ws.resources[m].blocked);
                !blocked && self.instance_location(i) == Some(n)
            })
        })
    }

    fn instance_location(&self, inst: RscIdx) -> Option<NodeIdx> {
        match self.ws.resources[inst].variant {
            Variant::Primitive => self.ws.resources[inst].assigned_to,
            _ => self.ws.resources[inst]
                .children
                .first()
                .and_then(|&c| self.instance_location(c)),
        }
    }

    pub(super) fn node_attr<'b>(&'b self, n: NodeIdx, attr: &str) -> Option<&'b str> {
        if attr == "#uname" {
            return Some(self.ws.nodes[n].uname.as_str());
        }
        self.ws.nodes[n].attrs.get(attr).map(|s| s.as_str())
    }

    pub(super) fn apply_coloc_to_weights(&mut self, dependent: RscIdx, primary: RscIdx, c: &Colocation) {
        if c.score > 0
            && c.primary_role != Role::Unknown
            && c.primary_role != self.ws.resources[primary].next_role
        {
            return;
        }
        if c.score < 0
            && c.primary_role != Role::Unknown
            && c.primary_role == self.ws.resources[primary].next_role
        {
            return;
        }
        let attribute = c
            .node_attribute
            .clone()
            .unwrap_or_else(|| "#uname".to_string());
        let primary_node = self.ws.resources[primary].assigned_to;
        let value = primary_node
            .and_then(|n| self.node_attr(n, &attribute))
            .map(str::to_string);
        if primary_node.is_none() && c.score < 0 {
            return;
        }
        let mut work = self.ws.resources[dependent].allowed.clone();
        for (&n, w) in work.iter_mut() {
            if primary_node.is_none() {
                *w = score::add(-c.score, *w);
            } else if self.node_attr(n, &attribute).map(str::to_string) == value && value.is_some()
            {
                if c.score < INFINITY {
                    *w = score::add(c.score, *w);
                }
            } else if c.score >= INFINITY {
                *w = score::add(-c.score, *w);
            }
        }
        if c.score <= -INFINITY || c.score >= INFINITY || self.any_node_available(&work) {
            self.ws.resources[dependent].allowed = work;
        }
    }

    /// Whether a colocation's dependent may pull its primary around: when
    /// its influence is on, or the primary is not active yet anyway. A
    /// bundle's connection never moves its clean, active container (moving
    /// the connection is cheap, moving the container interrupts service).
    fn has_influence(&self, c: &Colocation) -> bool {
        let dependent = &self.ws.resources[c.dependent];
        let primary = &self.ws.resources[c.primary];
        if dependent.is_remote_connection
            && super::bundle::is_bundle_member(self.ws, c.dependent)
            && !primary.failed
            && primary.running_on.len() == 1
        {
            return false;
        }
        c.influence
            || self
                .ws
                .primitives_of(c.primary)
                .iter()
                .all(|&p| self.ws.resources[p].running_on.is_empty())
    }

    fn any_node_available(&self, nodes: &BTreeMap<NodeIdx, i32>) -> bool {
        nodes
            .iter()
            .any(|(&n, &w)| w >= 0 && node_available(self.ws, n))
    }

    /// Pacemaker's pcmk__add_colocated_node_scores: folds a colocated
    /// resource's preferences (scaled by `factor`) into `nodes`.
    pub(super) fn add_colocated_node_scores(
        &mut self,
        rsc: RscIdx,
        nodes: &mut BTreeMap<NodeIdx, i32>,
        attr: Option<&str>,
        factor: f64,
        only_active: bool,
        only_positive: bool,
    ) {
        if self.ws.resources[rsc].merging {
            return;
        }
        self.ws.resources[rsc].merging = true;
        let source = match self.ws.resources[rsc].variant {
            Variant::Group => self.ws.resources[rsc].children.first().copied(),
            _ => Some(rsc),
        };
        let Some(source) = source else {
            self.ws.resources[rsc].merging = false;
            return;
        };
        let mut work = nodes.clone();
        if source != rsc {
            self.add_colocated_node_scores(
                source,
                &mut work,
                attr,
                factor,
                only_active,
                only_positive,
            );
        } else {
            self.add_scores_matching_attr(
                &mut work,
                rsc,
                attr.unwrap_or("#uname"),
                factor,
                only_positive,
            );
        }
        if self.any_node_available(&work) {
            let multiplier = if factor < 0.0 { -1.0 } else { 1.0 };
            let list = match self.ws.resources[rsc].variant {
                // "With group" colocations are taken from the last member:
                // none before the group is expanded, its own after, when
                // the members' internal colocations have met them already.
                Variant::Group => match self.ws.resources[rsc].children.last() {
                    Some(&last) => self.with_this_effective(last),
                    None => Vec::new(),
                },
                _ => self.with_this_effective(rsc),
            };
            for ci in list {
                let c = self.ws.colocations[ci].clone();
                if !self.has_influence(&c) {
                    continue;
                }
                let f = multiplier * c.score as f64 / INFINITY as f64;
                self.add_colocated_node_scores(
                    c.dependent,
                    &mut work,
                    c.node_attribute.as_deref(),
                    f,
                    true,
                    only_positive,
                );
            }
        } else if only_active {
            self.ws.resources[rsc].merging = false;
            return;
        }
        if only_positive {
            for w in work.values_mut() {
                if *w == INFINITY_HACK {
                    *w = 1;
                }
            }
        }
        *nodes = work;
        self.ws.resources[rsc].merging = false;
    }

    /// A resource's node scores with those of the resources it is
    /// colocated with folded in (Pacemaker's pcmk__add_colocated_node_scores
    /// over "this with" colocations), which order resources for a
    /// non-default placement strategy.
    fn scores_with_primaries(&mut self, r: RscIdx) -> BTreeMap<NodeIdx, i32> {
        let mut work = score_table(self.ws, r).clone();
        self.ws.resources[r].merging = true;
        if self.any_node_available(&work) {
            for ci in self.this_with[r].clone() {
                let c = self.ws.colocations[ci].clone();
                let factor = c.score as f64 / INFINITY as f64;
                self.add_primary_scores(c.primary, &mut work, c.node_attribute.as_deref(), factor);
            }
        }
        self.ws.resources[r].merging = false;
        work
    }

    /// Folds a primary's scores (and its own primaries') into `nodes`,
    /// unless that leaves no node available.
    fn add_primary_scores(&mut self, rsc: RscIdx, nodes: &mut BTreeMap<NodeIdx, i32>, attr: Option<&str>, factor: f64) {
        if self.ws.resources[rsc].merging {
            return;
        }
        self.ws.resources[rsc].merging = true;
        let mut work = nodes.clone();
        self.add_scores_matching_attr(&mut work, rsc, attr.unwrap_or("#uname"), factor, false);
        if self.any_node_available(&work) {
            let multiplier = if factor < 0.0 { -1.0 } else { 1.0 };
            for ci in self.this_with[rsc].clone() {
                let c = self.ws.colocations[ci].clone();
                let f = multiplier * c.score as f64 / INFINITY as f64;
                self.add_primary_scores(c.primary, &mut work, c.node_attribute.as_deref(), f);
            }
            *nodes = work;
        }
        self.ws.resources[rsc].merging = false;
    }

    fn add_scores_matching_attr(
        &self,
        work: &mut BTreeMap<NodeIdx, i32>,
        rsc: RscIdx,
        attr: &str,
        factor: f64,
        only_positive: bool,
    ) {
        let keys: Vec<NodeIdx> = work.keys().copied().collect();
        for n in keys {
            let value = self.node_attr(n, attr).map(str::to_string);
            let mut best = -INFINITY;
            for (&m, &w) in &self.ws.resources[rsc].allowed {
                if w > best
                    && node_available(self.ws, m)
                    && self.node_attr(m, attr).map(str::to_string) == value
                {
                    best = w;
                }
            }
            let current = work[&n];
            if factor < 0.0 && best < 0 {
                continue;
            }
            if current == INFINITY_HACK {
                continue;
            }
            let weighted = factor * best as f64;
            let mut add = if weighted < 0.0 {
                (weighted - 0.5) as i64
            } else {
                (weighted + 0.5) as i64
            } as i32;
            if add == 0 && best != 0 {
                add = if factor > 0.0 {
                    1
                } else if factor < 0.0 {
                    -1
                } else {
                    0
                };
            }
            let new_score = score::add(add, current);
            if only_positive && new_score < 0 && current > 0 {
                work.insert(n, INFINITY_HACK);
                continue;
            }
            if only_positive && new_score < 0 && current == 0 {
                continue;
            }
            work.insert(n, new_score);
        }
    }

    /// Sorted candidate nodes for a resource, best first (Pacemaker's compare_nodes).
    pub(super) fn sorted_nodes(
        &self,
        allowed: &BTreeMap<NodeIdx, i32>,
        active: Option<NodeIdx>,
    ) -> Vec<(NodeIdx, i32)> {
        let mut list: Vec<(NodeIdx, i32)> = allowed.iter().map(|(&n, &w)| (n, w)).collect();
        let ws = &*self.ws;
        // Worked out once per sort, not once per comparison.
        let strategy = ws.options.placement_strategy.to_ascii_lowercase();
        let (minimal, balanced) = (strategy == "minimal", strategy == "balanced");
        list.sort_by(|&(a, wa), &(b, wb)| {
            let ea = if node_available(ws, a) { wa } else { -INFINITY };
            let eb = if node_available(ws, b) { wb } else { -INFINITY };
            eb.cmp(&ea)
                .then_with(|| {
                    if balanced {
                        compare_capacities(ws, a, b)
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then_with(|| {
                    if minimal {
                        std::cmp::Ordering::Equal
                    } else {
                        ws.nodes[a].assigned_count.cmp(&ws.nodes[b].assigned_count)
                    }
                })
                .then_with(|| match active {
                    Some(x) if x == a => std::cmp::Ordering::Less,
                    Some(x) if x == b => std::cmp::Ordering::Greater,
                    _ => std::cmp::Ordering::Equal,
                })
                .then_with(|| ws.nodes[a].uname.cmp(&ws.nodes[b].uname))
        });
        list
    }

    /// Resources that must end up on the same node as `r`: mandatory
    /// colocations followed transitively both ways, as the resources involved
    /// know them now (a clone instance with the colocations it inherited),
    /// in Pacemaker's order (its colocated_resources methods).
    fn colocated_resources(&self, r: RscIdx, orig: RscIdx, list: &mut Vec<RscIdx>) {
        let res = &self.ws.resources[r];
        if res.variant == Variant::Group {
            // Members of a group are colocated: each one's resources count.
            for &m in &res.children {
                self.colocated_resources(m, orig, list);
            }
        }
        if list.contains(&r) {
            return;
        }
        list.push(r);
        let is_clone = |x: RscIdx| self.ws.resources[x].variant == Variant::Clone;
        // An expanded group has handed its colocations to its members.
        let (this_with, with_this) = if res.variant == Variant::Group {
            if self.expanded_groups[r] {
                (Vec::new(), Vec::new())
            } else {
                let mut this_with = self.this_with[r].clone();
                this_with.extend(self.inherited_this_with[r].iter().copied());
                let mut with_this = self.with_this[r].clone();
                with_this.extend(self.inherited_with_this[r].iter().copied());
                (this_with, with_this)
            }
        } else {
            (self.this_with_effective(r), self.with_this_effective(r))
        };
        for ci in this_with {
            let c = &self.ws.colocations[ci];
            if c.primary != orig && c.score >= INFINITY && self.affects_location(c.dependent, c) {
                self.colocated_resources(c.primary, orig, list);
            }
        }
        for ci in with_this {
            let c = &self.ws.colocations[ci];
            if c.dependent == orig {
                continue;
            }
            // Whether a non-clone goes where one of a clone's instances
            // does is not known yet.
            if is_clone(r) && !is_clone(c.dependent) {
                continue;
            }
            if c.score >= INFINITY && self.affects_location(c.dependent, c) {
                self.colocated_resources(c.dependent, orig, list);
            }
        }
    }

    /// Whether a colocation (looked at ahead of assignment) is about where
    /// the dependent runs rather than its role: not so for a role colocation
    /// of a promotable instance already placed.
    fn affects_location(&self, dependent: RscIdx, c: &Colocation) -> bool {
        let res = &self.ws.resources[dependent];
        let promotable_parent = res.parent.is_some_and(|p| self.ws.resources[p].clone.promotable);
        !(c.dependent_role >= Role::Unpromoted && promotable_parent && !res.provisional)
    }

    /// Adds what a not yet placed resource will use to `total` (Pacemaker's
    /// add_utilization methods): a group all its members not listed
    /// themselves, a clone or bundle one instance's worth.
    fn add_utilization(&self, r: RscIdx, listed: &[RscIdx], total: &mut BTreeMap<String, i64>) {
        let res = &self.ws.resources[r];
        if !res.provisional {
            return;
        }
        match res.variant {
            Variant::Primitive => {
                for (k, v) in &res.utilization {
                    *total.entry(k.clone()).or_insert(0) += v;
                }
            }
            Variant::Group => {
                for &m in &res.children {
                    if self.ws.resources[m].provisional && !listed.contains(&m) {
                        self.add_utilization(m, listed, total);
                    }
                }
            }
            Variant::Clone => {
                let mut existing = false;
                for &child in &res.children {
                    if listed.contains(&child) {
                        existing = true;
                    } else if self.ws.resources[child].children.iter().any(|m| listed.contains(m)) {
                        // A member of a cloned group is listed: its instance counts.
                        self.add_utilization(child, listed, total);
                        existing = true;
                    }
                }
                if !existing {
                    if let Some(&first) = res.children.first() {
                        self.add_utilization(first, listed, total);
                    }
                }
            }
            Variant::Bundle => {
                // Replicas are alike; only containers have utilization.
                let first = res.bundle.as_ref().and_then(|b| b.replicas.first()).map(|rep| rep.container);
                if let Some(container) = first {
                    self.add_utilization(container, listed, total);
                }
            }
        }
    }

    /// Bans nodes without enough remaining capacity (non-default placement
    /// strategies); returns the node with the most free capacity, if any.
    fn ban_insufficient_capacity(&mut self, r: RscIdx) -> Option<NodeIdx> {
        if self
            .ws
            .options
            .placement_strategy
            .eq_ignore_ascii_case("default")
        {
            return None;
        }
        let mut listed = Vec::new();
        self.colocated_resources(r, r, &mut listed);
        let mut total: BTreeMap<String, i64> = BTreeMap::new();
        for &c in &listed {
            self.add_utilization(c, &listed, &mut total);
        }
        let own = self.ws.resources[r].utilization.clone();
        let enough = |ws: &WorkingSet, n: NodeIdx, need: &BTreeMap<String, i64>| {
            need.iter()
                .all(|(k, v)| ws.nodes[n].utilization.get(k).copied().unwrap_or(0) >= *v)
        };
        let candidates: Vec<NodeIdx> = self.ws.resources[r]
            .allowed
            .iter()
            .filter(|(&n, &w)| w >= 0 && node_available(self.ws, n))
            .map(|(&n, _)| n)
            .collect();
        let any_capable = candidates.iter().any(|&n| enough(self.ws, n, &total));
        let mut most_capable: Option<NodeIdx> = None;
        for &n in &candidates {
            if most_capable
                .map(|m| compare_capacities(self.ws, n, m) == std::cmp::Ordering::Less)
                .unwrap_or(true)
            {
                most_capable = Some(n);
            }
        }
        let need = if any_capable { &total } else { &own };
        for n in candidates {
            if !enough(self.ws, n, need) {
                self.ws.resources[r].allowed.insert(n, -INFINITY);
            }
        }
        if any_capable {
            None
        } else {
            most_capable
        }
    }

    fn best_node(&self, r: RscIdx, prefer: Option<NodeIdx>) -> Option<NodeIdx> {
        let rsc = &self.ws.resources[r];
        let current = rsc.running_on.first().copied();
        let nodes = self.sorted_nodes(&rsc.allowed, current);
        let (best, best_weight) = *nodes.first()?;
        if let Some(p) = prefer {
            if let Some(&w) = rsc.allowed.get(&p) {
                if w >= best_weight && node_available(self.ws, p) && w >= 0 {
                    return Some(p);
                }
            }
        }
        let mut chosen = best;
        let unique_instance = self
            .ws
            .enclosing_clone(r)
            .map(|c| self.ws.resources[c].clone.unique)
            .unwrap_or(false);
        if !unique_instance && best_weight > 0 && node_available(self.ws, best) {
            if let Some(cur) = current {
                if node_available(self.ws, cur) {
                    for &(n, w) in nodes.iter().skip(1) {
                        if w != best_weight {
                            break;
                        }
                        if n == cur {
                            chosen = n;
                        }
                    }
                }
            }
        }
        Some(chosen)
    }

    pub(super) fn finalize(&mut self, r: RscIdx, chosen: Option<NodeIdx>, force: bool) {
        let mut chosen = chosen;
        if !force {
            if let Some(n) = chosen {
                let w = self.ws.resources[r]
                    .allowed
                    .get(&n)
                    .copied()
                    .unwrap_or(-INFINITY);
                // The plan may assume a guest node's connection comes up.
                if w < 0 || (!node_available(self.ws, n) && !self.ws.is_guest(n)) {
                    chosen = None;
                }
            }
        }
        if let Some(n) = chosen {
            // Forced onto its current node, a resource keeps that node's own
            // score rather than one from its table.
            self.assigned_weight[r] = if force {
                self.ws.nodes[n].weight
            } else {
                self.ws.resources[r].allowed.get(&n).copied().unwrap_or(-INFINITY)
            };
        }
        let res = &mut self.ws.resources[r];
        res.provisional = false;
        res.assigned_to = chosen;
        match chosen {
            None => {
                res.next_role = Role::Stopped;
            }
            Some(n) => {
                self.ws.nodes[n].assigned_count += 1;
                if self.ws.record_scores {
                    let line = format!(
                    "pcmk__finalize_assignment: {} utilization on {}:{}\n",
                    self.ws.resources[r].id,
                    self.ws.nodes[n].uname,
                    utilization_text(&self.ws.resources[r].utilization)
                );
                    self.utilization_log.push_str(&line);
                    self.assignment_log.push_str(&line);
                }
                let util = self.ws.resources[r].utilization.clone();
                for (k, v) in util {
                    // A capacity the node doesn't define becomes 0, not
                    // negative (as Pacemaker's update_utilization_value does).
                    let capacity = self.ws.nodes[n].utilization.entry(k).or_insert(v);
                    *capacity -= v;
                }
            }
        }
    }

    fn assign_clone(&mut self, r: RscIdx) {
        if !self.ws.resources[r].provisional || self.ws.resources[r].assigning {
            return;
        }
        if self.ws.resources[r].clone.promotable {
            super::promotion_scores::add_promotion_scores(self.ws, r);
        }
        self.ws.resources[r].assigning = true;
        for ci in self.this_with[r].clone() {
            let primary = self.ws.colocations[ci].primary;
            self.assign(primary, None);
        }
        for ci in self.with_this[r].clone() {
            let c = self.ws.colocations[ci].clone();
            if !self.has_influence(&c) {
                continue;
            }
            let factor = c.score as f64 / INFINITY as f64;
            let mut nodes = self.ws.resources[r].allowed.clone();
            self.add_colocated_node_scores(
                c.dependent,
                &mut nodes,
                c.node_attribute.as_deref(),
                factor,
                true,
                true,
            );
            self.ws.resources[r].allowed = nodes;
        }
        self.show_scores("pcmk__clone_allocate", r);
        let settings = self.ws.resources[r].clone.clone();
        let children = self.ws.resources[r].children.clone();
        let children = self.distribute_instances(r, children, settings.clone_max, settings.clone_node_max);
        self.ws.resources[r].children = children;
        if settings.promotable {
            super::promote::set_instance_roles(self, r);
            super::promotion_scores::reset_instance_priorities(self.ws, r);
        }
        let res = &mut self.ws.resources[r];
        res.provisional = false;
        res.assigning = false;
    }

    /// Places a collective's instances (a clone's, or a bundle's
    /// containers): those active somewhere stay there if they can, then the
    /// rest go where they score best, at most `max` in all and
    /// `per_host_max` per node (Pacemaker's distribute_children). Returns
    /// the instances in the order they were considered.
    pub(super) fn distribute_instances(
        &mut self,
        r: RscIdx,
        mut children: Vec<RscIdx>,
        max: usize,
        per_host_max: usize,
    ) -> Vec<RscIdx> {
        let colocated = self.instance_colocated_scores(r, &children);
        let ws = &*self.ws;
        let clone_allowed = ws.resources[r].allowed.clone();
        super::list_sort::sort_like_glib(&mut children, &mut |&a, &b| cmp_instance(ws, &clone_allowed, &colocated, a, b));
        // A clone's instances are looked up in this order while they are placed.
        if self.ws.resources[r].variant == Variant::Clone {
            self.ws.resources[r].children = children.clone();
        }
        // Nodes the collective may run on are the ones that count.
        let available = self.ws.resources[r]
            .allowed
            .keys()
            .filter(|&&n| node_available(self.ws, n))
            .count();
        let per_host_max = per_host_max.max(1);
        let loop_max = if available > 0 {
            (max / available).max(1)
        } else {
            1
        };
        let all_coloc = max < available;
        self.clone_counts[r].clear();
        let mut allocated = 0;
        for &child in &children {
            if allocated >= max {
                break;
            }
            let running = self.ws.running_nodes(child);
            if running.is_empty() || !self.is_provisional(child) || self.any_failed(child) {
                continue;
            }
            let node = running[0];
            let clone_weight = self.ws.resources[r]
                .allowed
                .get(&node)
                .copied()
                .unwrap_or(-INFINITY);
            if !node_available(self.ws, node) || clone_weight < 0 {
                continue;
            }
            if self.clone_counts[r].get(&node).copied().unwrap_or(0) >= loop_max {
                continue;
            }
            if self
                .assign_instance(r, child, Some(node), all_coloc, per_host_max)
                .is_some()
            {
                allocated += 1;
            }
        }
        for &child in &children {
            if !self.is_provisional(child) {
                continue;
            }
            if allocated >= max {
                self.ban_everywhere(child);
                self.assign(child, None);
            } else if self.assign_instance(r, child, None, all_coloc, per_host_max).is_some() {
                allocated += 1;
            }
        }
        children
    }

    /// Each active instance's score on its current node once its parent's
    /// colocations are folded in (what Pacemaker's cmp_instance_by_colocation
    /// compares), worked out once rather than per comparison.
    pub(super) fn instance_colocated_scores(&mut self, parent: RscIdx, instances: &[RscIdx]) -> HashMap<RscIdx, i32> {
        let mut scores = HashMap::new();
        for &inst in instances {
            let Some(&current) = self.ws.running_nodes(inst).first() else { continue };
            let mut table = BTreeMap::from([(current, self.ws.nodes[current].weight)]);
            for ci in self.this_with[parent].clone() {
                let c = self.ws.colocations[ci].clone();
                let factor = c.score as f64 / INFINITY as f64;
                self.add_colocated_node_scores(c.primary, &mut table, c.node_attribute.as_deref(), factor, false, false);
            }
            for ci in self.with_this[parent].clone() {
                let c = self.ws.colocations[ci].clone();
                if !c.influence {
                    continue;
                }
                let factor = c.score as f64 / INFINITY as f64;
                self.add_colocated_node_scores(c.dependent, &mut table, c.node_attribute.as_deref(), factor, false, true);
            }
            scores.insert(inst, table[&current]);
        }
        scores
    }

    fn is_provisional(&self, r: RscIdx) -> bool {
        self.ws.resources[r].provisional
    }

    fn any_failed(&self, r: RscIdx) -> bool {
        self.ws
            .primitives_of(r)
            .iter()
            .any(|&p| self.ws.resources[p].failed)
    }

    /// Bans an instance, and everything inside it, from every node (as
    /// resource_location with no node does when the clone is full).
    fn ban_everywhere(&mut self, r: RscIdx) {
        for n in 0..self.ws.nodes.len() {
            add_location_score(self.ws, r, n, -INFINITY);
        }
    }

    /// Bans the instance (in its own table and everything inside it, on the
    /// nodes its own table has) where it may not run: unavailable nodes,
    /// nodes the collective may not use or scores negatively, nodes already
    /// holding `per_host_max` instances, everywhere for an orphan
    /// (Pacemaker's can_run_instance: each of those ends in -INFINITY).
    fn limit_instance(&mut self, clone: RscIdx, inst: RscIdx, per_host_max: usize) {
        let nodes: Vec<NodeIdx> = self.ws.resources[inst].allowed.keys().copied().collect();
        for n in nodes {
            let clone_weight = self.ws.resources[clone].allowed.get(&n).copied();
            let count = self.clone_counts[clone].get(&n).copied().unwrap_or(0);
            let may_run = node_available(self.ws, n)
                && !self.ws.resources[inst].orphan
                && clone_weight.is_some_and(|w| w >= 0)
                && count < per_host_max;
            if !may_run {
                add_to_existing_scores(self.ws, inst, n, -INFINITY);
            }
        }
    }

    fn assign_instance(
        &mut self,
        clone: RscIdx,
        inst: RscIdx,
        prefer: Option<NodeIdx>,
        all_coloc: bool,
        per_host_max: usize,
    ) -> Option<NodeIdx> {
        if !self.is_provisional(inst) {
            return self.instance_location(inst);
        }
        if self.ws.resources[inst].assigning {
            return None;
        }
        if self.ws.resources[clone].variant == Variant::Clone {
            self.inherit_clone_colocations(clone, inst, all_coloc);
        }
        if let Some(p) = prefer {
            let w = self.ws.resources[inst].allowed.get(&p).copied();
            if w.map(|w| w < 0).unwrap_or(true) {
                return None;
            }
        }
        self.limit_instance(clone, inst, per_host_max);
        // Only the instance's own table is kept to undo with: a cloned
        // group's members keep what their assignment added, as in Pacemaker.
        let backup = self.ws.resources[inst].allowed.clone();
        let chosen = self.assign(inst, prefer);
        if let (Some(c), Some(p)) = (chosen, prefer) {
            if c != p {
                // Not the preferred node: undo and let the second pass decide.
                for prim in self.ws.primitives_of(inst) {
                    if let Some(n) = self.ws.resources[prim].assigned_to {
                        self.ws.nodes[n].assigned_count =
                            self.ws.nodes[n].assigned_count.saturating_sub(1);
                        // The node gets back what the instance would have used
                        // (Pacemaker's pcmk__release_node_capacity).
                        for (k, v) in self.ws.resources[prim].utilization.clone() {
                            if let Some(capacity) = self.ws.nodes[n].utilization.get_mut(&k) {
                                *capacity += v;
                            }
                        }
                    }
                    let res = &mut self.ws.resources[prim];
                    res.assigned_to = None;
                    res.provisional = true;
                    res.next_role = Role::Unknown;
                    apply_target_role_again(res);
                }
                self.ws.resources[inst].allowed = backup;
                let res = &mut self.ws.resources[inst];
                res.provisional = true;
                res.assigned_to = None;
                return None;
            }
        }
        if let Some(c) = chosen {
            *self.clone_counts[clone].entry(c).or_insert(0) += 1;
        }
        chosen
    }
}

/// Adds a score to a resource's entry for a node and to those of everything
/// inside it, where they have one (Pacemaker's common_update_score).
fn add_to_existing_scores(ws: &mut WorkingSet, r: RscIdx, node: NodeIdx, score: i32) {
    if let Some(w) = ws.resources[r].allowed.get_mut(&node) {
        *w = score::add(*w, score);
    }
    for child in ws.resources[r].children.clone() {
        add_to_existing_scores(ws, child, node, score);
    }
}

/// Adds a location score for a node to a resource and everything inside
/// it, creating missing entries (Pacemaker's resource_node_score).
fn add_location_score(ws: &mut WorkingSet, r: RscIdx, node: NodeIdx, score: i32) {
    for child in ws.resources[r].children.clone() {
        add_location_score(ws, child, node, score);
    }
    let w = ws.resources[r].allowed.entry(node).or_insert(0);
    *w = score::add(*w, score);
}

fn apply_target_role_again(res: &mut crate::model::Resource) {
    if let Some(t) = res.target_role {
        if t == Role::Stopped {
            res.next_role = Role::Stopped;
        }
    }
}

/// Pacemaker's pcmk__compare_node_capacities: Less means `a` has more free capacity.
fn compare_capacities(ws: &WorkingSet, a: NodeIdx, b: NodeIdx) -> std::cmp::Ordering {
    let mut result = 0i32;
    let (ua, ub) = (&ws.nodes[a].utilization, &ws.nodes[b].utilization);
    for (k, &va) in ua {
        let vb = ub.get(k).copied().unwrap_or(0);
        if va > vb {
            result -= 1;
        } else if va < vb {
            result += 1;
        }
    }
    for (k, &vb) in ub {
        if ua.contains_key(k) {
            continue;
        }
        if 0 > vb {
            result -= 1;
        } else if 0 < vb {
            result += 1;
        }
    }
    result.cmp(&0)
}

/// Pacemaker's pcmk__cmp_instance: the order clone instances are placed in.
pub(super) fn cmp_instance(
    ws: &WorkingSet,
    clone_allowed: &BTreeMap<NodeIdx, i32>,
    colocated: &HashMap<RscIdx, i32>,
    a: RscIdx,
    b: RscIdx,
) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let ra = ws.running_nodes(a);
    let rb = ws.running_nodes(b);
    if !ra.is_empty() && !rb.is_empty() && ra.len() != rb.len() {
        return ra.len().cmp(&rb.len());
    }
    // An instance active on a node it may no longer run on counts as inactive.
    let allowed_on = |r: RscIdx, n: Option<NodeIdx>| -> (bool, Option<NodeIdx>) {
        match n {
            None => (true, None),
            Some(n) => {
                let first = ws.primitives_of(r).first().copied().unwrap_or(r);
                match ws.resources[first].allowed.get(&n) {
                    Some(&w) if w >= 0 => (true, Some(n)),
                    _ => (false, None),
                }
            }
        }
    };
    let (can_a, na) = allowed_on(a, ra.first().copied());
    let (can_b, nb) = allowed_on(b, rb.first().copied());
    if can_a != can_b {
        return if can_a { Less } else { Greater };
    }
    let (pa, pb) = (ws.resources[a].priority, ws.resources[b].priority);
    if pa != pb {
        return pb.cmp(&pa);
    }
    let (na, nb) = match (na, nb) {
        // No preference between inactive instances (the sort keeps their order).
        (None, None) => return Equal,
        (None, Some(_)) => return Greater,
        (Some(_), None) => return Less,
        (Some(x), Some(y)) => (x, y),
    };
    let (aa, ab) = (node_available(ws, na), node_available(ws, nb));
    if aa != ab {
        return if aa { Less } else { Greater };
    }
    let (ta, tb) = (
        clone_allowed.contains_key(&na),
        clone_allowed.contains_key(&nb),
    );
    if ta != tb {
        return if ta { Less } else { Greater };
    }
    let failed = |r: RscIdx| ws.primitives_of(r).iter().any(|&p| ws.resources[p].failed);
    let (fa, fb) = (failed(a), failed(b));
    if fa != fb {
        return if !fa { Less } else { Greater };
    }
    // Higher score on the current node with the parent's colocations first.
    let colocated_score = |r: RscIdx| colocated.get(&r).copied().unwrap_or(0);
    colocated_score(b)
        .cmp(&colocated_score(a))
        .then_with(|| ws.resources[a].instance.cmp(&ws.resources[b].instance))
}

/// The node scores Pacemaker compares when sorting resources (a group
/// uses its last member's).
fn score_table(ws: &WorkingSet, r: RscIdx) -> &BTreeMap<NodeIdx, i32> {
    match ws.resources[r].variant {
        Variant::Group => match ws.resources[r].children.last() {
            Some(&m) => &ws.resources[m].allowed,
            None => &ws.resources[r].allowed,
        },
        _ => &ws.resources[r].allowed,
    }
}

/// The order Pacemaker considers the other resources of a resource's colocations in
/// (cmp_primary_priority, cmp_dependent_priority): higher priority first, then clones
/// before groups before primitives, promotable clones first, then by id.
fn consider_first(ws: &WorkingSet, a: RscIdx, b: RscIdx) -> std::cmp::Ordering {
    let kind_rank = |r: RscIdx| match ws.resources[r].variant {
        Variant::Primitive => 0,
        Variant::Group => 1,
        _ => 2,
    };
    let (ra, rb) = (&ws.resources[a], &ws.resources[b]);
    rb.priority
        .cmp(&ra.priority)
        .then_with(|| kind_rank(b).cmp(&kind_rank(a)))
        .then_with(|| rb.clone.promotable.cmp(&ra.clone.promotable))
        .then_with(|| ra.id.cmp(&rb.id))
}

fn current_weight(ws: &WorkingSet, table: &BTreeMap<NodeIdx, i32>, r: RscIdx) -> i32 {
    let running = ws.running_nodes(r);
    match running.first() {
        Some(n) => table.get(n).copied().unwrap_or(-INFINITY),
        None => -INFINITY,
    }
}

#[cfg(test)]
mod numeric_name_tests {
    use super::numeric_name_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn digits_compare_as_numbers_and_case_is_ignored() {
        assert_eq!(numeric_name_cmp("dhcp69", "dhcp180"), Less);
        assert_eq!(numeric_name_cmp("node10", "node9"), Greater);
        assert_eq!(numeric_name_cmp("Node1", "node1"), Equal);
        assert_eq!(numeric_name_cmp("node01", "node1"), Equal);
        assert_eq!(numeric_name_cmp("a", "ab"), Less);
    }
}

