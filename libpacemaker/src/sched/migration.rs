//! The orderings of live migrations (Pacemaker's pcmk_sched_migration.c):
//! migrate_to on the current node, then migrate_from on the target, then
//! the stop there and the (pseudo) start here; and the equivalents, for
//! migrate_to, of the orderings other resources have with the migrating
//! resource's start and stop.

use super::actions::{Builder, Ordering, Plan};
use crate::model::{order_flags as of, RscIdx, WorkingSet};
use crate::output::graph::select;

/// One live migration that will happen.
struct Migration {
    rsc: RscIdx,
    /// None when a partial migration continues (migrate_to already done).
    migrate_to: Option<usize>,
    migrate_from: usize,
}

impl Builder<'_> {
    fn planned_migrations(&self) -> Vec<Migration> {
        let plan = &self.plan;
        plan.actions
            .iter()
            .enumerate()
            .filter(|(_, a)| a.task == "migrate_from" && a.migrate_runnable)
            .filter_map(|(migrate_from, a)| {
                let rsc = a.rsc?;
                let migrate_to = plan
                    .rsc_actions(rsc, "migrate_to")
                    .into_iter()
                    .find(|&i| plan.actions[i].migrate_runnable);
                if migrate_to.is_none() && self.ws.resources[rsc].migration.partial.is_none() {
                    return None;
                }
                Some(Migration {
                    rsc,
                    migrate_to,
                    migrate_from,
                })
            })
            .collect()
    }

    /// Orders the halves of each migration and carries other resources'
    /// orderings with its start and stop over to its migrate_to.
    pub(super) fn order_migrations(&mut self) {
        let migrations = self.planned_migrations();
        for m in &migrations {
            let r = m.rsc;
            // Probes first, then migrate_to, then migrate_from.
            let probes: Vec<usize> = self
                .plan
                .rsc_actions(r, "monitor")
                .into_iter()
                .filter(|&i| self.plan.actions[i].is_probe)
                .collect();
            for probe in probes {
                self.plan.order(probe, m.migrate_to.unwrap_or(m.migrate_from), of::OPTIONAL);
            }
            if let Some(migrate_to) = m.migrate_to {
                self.plan
                    .order(migrate_to, m.migrate_from, of::IMPLIES_FIRST_MIGRATABLE);
            }
            // The stop on the source and the pseudo start on the target
            // only confirm what migrate_from did.
            for stop in self.plan.rsc_actions(r, "stop") {
                self.plan
                    .order(m.migrate_from, stop, of::IMPLIES_FIRST_MIGRATABLE);
            }
            for start in self.plan.rsc_actions(r, "start") {
                self.plan.order(
                    m.migrate_from,
                    start,
                    of::IMPLIES_FIRST_MIGRATABLE | of::PSEUDO_LEFT,
                );
            }
        }
        for m in &migrations {
            self.order_migration_equivalents(m, &migrations);
        }
    }

    /// Another resource's action ordered before this resource's start or
    /// stop is ordered before its migrate_to too (starts and promotions
    /// before a start; stops and demotions before a stop).
    fn order_migration_equivalents(&mut self, m: &Migration, migrations: &[Migration]) {
        let r = m.rsc;
        let mut incoming: Vec<(Ordering, &'static str)> = Vec::new();
        for then_task in ["start", "stop"] {
            for then in self.plan.rsc_actions(r, then_task) {
                incoming.extend(
                    self.plan
                        .orderings_into(then)
                        .map(|o| (o.clone(), then_task)),
                );
            }
        }
        // (first action, flags, and whether a continuing partial migration's
        // migrate_from follows it too)
        let mut added: Vec<(usize, u32, bool)> = Vec::new();
        for (o, then_task) in incoming {
            if o.flags & (of::LOAD | of::ANTI_COLOCATION) != 0 {
                continue;
            }
            let first = &self.plan.actions[o.first];
            let Some(first_rsc) = first.rsc else { continue };
            if first_rsc == r || self.is_ancestor(first_rsc, r) || self.is_ancestor(r, first_rsc) {
                continue;
            }
            let first_task = super::member_task(&first.task).to_string();
            let first_may_migrate = self.allows_migration(first_rsc);
            match (first_task.as_str(), then_task) {
                ("start", "start") => {
                    if first_may_migrate {
                        if let Some(other) = migrations.iter().find(|x| x.rsc == first_rsc) {
                            added.push((other.migrate_from, of::OPTIONAL, false));
                        }
                        added.push((o.first, of::APPLY_FIRST_NON_MIGRATABLE, false));
                    } else {
                        added.push((o.first, of::OPTIONAL, false));
                    }
                }
                ("stop", "stop") => {
                    let flags = if first_may_migrate {
                        of::APPLY_FIRST_NON_MIGRATABLE
                    } else {
                        of::OPTIONAL
                    };
                    added.push((o.first, flags, true));
                }
                ("promote", "start") => added.push((o.first, of::OPTIONAL, false)),
                ("demote", "stop") => added.push((o.first, of::OPTIONAL, true)),
                _ => {}
            }
        }
        for (first, flags, before_partial) in added {
            let then = match m.migrate_to {
                Some(migrate_to) => migrate_to,
                None if before_partial => m.migrate_from,
                None => continue,
            };
            self.plan.order(first, then, flags);
            // As for any "stop A then X": A's probes come before X too.
            if self.plan.actions[first].task == "stop" {
                if let Some(first_rsc) = self.plan.actions[first].rsc {
                    let probe_flags = flags & of::APPLY_FIRST_NON_MIGRATABLE;
                    for probe in self.plan.rsc_actions(first_rsc, "monitor") {
                        if self.plan.actions[probe].is_probe {
                            self.plan.order(probe, then, probe_flags);
                        }
                    }
                }
            }
        }
        let Some(migrate_to) = m.migrate_to else { return };
        // Capacity freed on the target comes before migrating there.
        let target = self.ws.resources[r].assigned_to;
        let load_stops: Vec<usize> = self
            .plan
            .rsc_actions(r, "start")
            .into_iter()
            .flat_map(|s| {
                self.plan
                    .orderings_into(s)
                    .filter(|o| o.flags == of::LOAD)
                    .map(|o| o.first)
                    .collect::<Vec<_>>()
            })
            .filter(|&l| self.plan.actions[l].node == target)
            .collect();
        for l in load_stops {
            self.plan.order(l, migrate_to, of::LOAD);
        }
    }

    /// Migrations that can't happen because the resource's stop must come
    /// before a required action that is no part of a migration (Pacemaker
    /// clears the stop's pe_action_migrate_runnable through such an
    /// implies-first or restart ordering): the migrate_from of each, and the
    /// action that blocks it. One blocked migration may block another.
    pub(super) fn migrations_blocked_by_orderings(&self, feasible: &[usize]) -> Vec<(usize, usize)> {
        let plan = &self.plan;
        let rsc_of = |m: usize| plan.actions[m].rsc;
        let mut blocked: Vec<(usize, usize)> = Vec::new();
        loop {
            let viable: Vec<RscIdx> = feasible
                .iter()
                .filter(|&&m| !blocked.iter().any(|&(b, _)| b == m))
                .filter_map(|&m| rsc_of(m))
                .collect();
            let migrating_action = |a: usize| {
                let action = &plan.actions[a];
                action.rsc.is_some_and(|r| viable.contains(&r)) && matches!(action.task.as_str(), "stop" | "start")
                    || self.clone_stop_allows_migrations(a)
            };
            let newly = feasible.iter().copied().filter(|m| !blocked.iter().any(|(b, _)| b == m)).find_map(|m| {
                let r = rsc_of(m)?;
                plan.rsc_actions(r, "stop").into_iter().find_map(|stop| {
                    plan.orderings_from(stop)
                        .filter(|o| {
                            let then = &plan.actions[o.then];
                            let restart = o.flags & of::RESTART != 0 && then.rsc.is_some_and(|t| {
                                self.ws.resources[t].variant == crate::model::Variant::Primitive
                            });
                            // A collective action is required when one of its
                            // members' is.
                            let required = self.then_targets(o.then).iter().any(|&t| !plan.actions[t].optional);
                            (o.flags & of::IMPLIES_FIRST != 0 || restart) && required && !migrating_action(o.then)
                        })
                        .map(|o| (m, o.then))
                        .next()
                })
            });
            match newly {
                Some(b) => blocked.push(b),
                None => return blocked,
            }
        }
    }

    /// A clone's stop lets what must stop before it migrate, unless one of
    /// its instances restarts or moves (stops and starts).
    fn clone_stop_allows_migrations(&self, a: usize) -> bool {
        let action = &self.plan.actions[a];
        let Some(clone) = action.rsc.filter(|&c| self.ws.resources[c].variant == crate::model::Variant::Clone) else {
            return false;
        };
        if action.task != "stop" {
            return false;
        }
        let required = |i: &usize| !self.plan.actions[*i].optional;
        self.ws.resources[clone].children.iter().all(|&instance| {
            let members = self.ws.primitives_of(instance);
            let stops = members.iter().flat_map(|&p| self.plan.rsc_actions(p, "stop")).filter(required).any(|i| {
                let stop = &self.plan.actions[i];
                stop.runnable || stop.pseudo
            });
            let starts = members
                .iter()
                .flat_map(|&p| self.plan.rsc_actions(p, "start"))
                .filter(required)
                .any(|i| self.plan.actions[i].runnable);
            !(stops && starts)
        })
    }

    /// The resources of blocked migrations restart: their stop says why
    /// they don't migrate, and their actions order others again.
    pub(super) fn abandon_migrations(&mut self, blocked: &[(usize, usize)]) {
        for &(m, blocker) in blocked {
            let Some(r) = self.plan.actions[m].rsc else { continue };
            let b = &self.plan.actions[blocker];
            let reason = match b.rsc {
                Some(br) => format!("unrunnable {} {}", self.ws.resources[br].id, b.task),
                None => format!("unrunnable {}", b.task),
            };
            for stop in self.plan.rsc_actions(r, "stop") {
                self.plan.actions[stop].reason = Some(reason.clone());
            }
            self.migrating.retain(|&x| x != r);
        }
    }

    fn allows_migration(&self, r: RscIdx) -> bool {
        self.ws.resources[r].allows_migration()
    }
}

/// Two resources migrating in opposite directions between two nodes would
/// each wait for the other's stop to free capacity ("stop B on node2 then
/// load_stopped_node2 then migrate_to A towards node2", and the reverse):
/// such load orderings into a migrate_to are dropped where they would close
/// a loop in the graph (Pacemaker's ordering_is_invalid).
pub fn break_load_loops(ws: &WorkingSet, plan: &mut Plan) {
    let migrate_tos: Vec<usize> = (0..plan.actions.len())
        .filter(|&i| plan.actions[i].task == "migrate_to" && plan.actions[i].rsc.is_some())
        .collect();
    if migrate_tos.is_empty() {
        return;
    }
    let shown = select::shown_anyway(ws, plan);
    let mut tracking = vec![false; plan.actions.len()];
    // Pacemaker keeps its actions, and each one's inputs, most recent
    // first: which ordering of a loop goes depends on it.
    for m in migrate_tos.into_iter().rev() {
        for o in plan.ordering_ids_into(m).into_iter().rev() {
            if plan.orderings[o].flags == of::LOAD && closes_loop(ws, plan, &shown, &mut tracking, m, m, o) {
                plan.disable_ordering(o);
            }
        }
    }
}

/// Whether following graph inputs back from ordering `o` (into `then`)
/// reaches `start` again (Pacemaker's pcmk__graph_has_loop).
fn closes_loop(
    ws: &WorkingSet,
    plan: &Plan,
    shown: &[bool],
    tracking: &mut Vec<bool>,
    start: usize,
    then: usize,
    o: usize,
) -> bool {
    let crate::sched::actions::Ordering { first, flags, .. } = plan.orderings[o];
    if tracking[first] || !select::input_used(ws, plan, shown, first, then, flags) {
        return false;
    }
    if first == start {
        return true;
    }
    tracking[first] = true;
    let found = plan
        .ordering_ids_into(first)
        .into_iter()
        .any(|o2| closes_loop(ws, plan, shown, tracking, start, first, o2));
    tracking[first] = false;
    found
}
