//! The "Transition Summary" lines: one per resource change, worded as
//! Pacemaker words them (Start, Stop, Move, Recover, Restart, Promote ...).

use crate::model::{NodeIdx, Role, RscIdx, WorkingSet};
use crate::sched::actions::Plan;

fn find_on(plan: &Plan, r: RscIdx, task: &str, node: Option<NodeIdx>) -> Option<usize> {
    let list = plan.rsc_actions(r, task);
    match node {
        None => list.first().copied(),
        Some(n) => list
            .iter()
            .copied()
            .find(|&i| plan.actions[i].node == Some(n) || plan.actions[i].node.is_none()),
    }
}

/// The role the summary gives a resource: one still active somewhere
/// though its history there ended stopped (a failed migration's target)
/// counts as started, as Pacemaker's pcmk__output_resource_actions has it.
fn summary_role(rsc: &crate::model::Resource) -> Role {
    if rsc.role == Role::Stopped && !rsc.running_on.is_empty() {
        Role::Started
    } else {
        rsc.role
    }
}

struct Item<'a> {
    change: &'a str,
    origin: Option<NodeIdx>,
    destination: Option<NodeIdx>,
    action: Option<usize>,
    source: Option<usize>,
}

fn item_text(ws: &WorkingSet, plan: &Plan, r: RscIdx, item: Item) -> SummaryItem {
    let rsc = &ws.resources[r];
    let role = summary_role(rsc);
    let name = |n: Option<NodeIdx>| n.map(|n| ws.nodes[n].uname.clone()).unwrap_or_default();
    let need_role = role > Role::Started || rsc.next_role > Role::Unpromoted;
    let same_host = matches!((item.origin, item.destination), (Some(a), Some(b)) if a == b);
    let same_role = role == rsc.next_role;
    let (origin, destination) = (item.origin, item.destination);
    let details = if need_role && origin.is_none() {
        format!(
            "{} -> {} {}",
            role.text(),
            rsc.next_role.text(),
            name(destination)
        )
    } else if origin.is_none() {
        name(destination)
    } else if need_role && destination.is_none() {
        format!("{} {}", role.text(), name(origin))
    } else if destination.is_none() {
        name(origin)
    } else if need_role && same_role && same_host {
        format!("{} {}", role.text(), name(origin))
    } else if same_role && same_host {
        name(origin)
    } else if need_role && same_role {
        format!(
            "{} -> {} {}",
            name(origin),
            name(destination),
            role.text()
        )
    } else if same_role {
        format!("{} -> {}", name(origin), name(destination))
    } else if same_host {
        format!(
            "{} -> {} {}",
            role.text(),
            rsc.next_role.text(),
            name(origin)
        )
    } else {
        format!(
            "{} {} -> {} {}",
            role.text(),
            name(origin),
            rsc.next_role.text(),
            name(destination)
        )
    };
    let source = item.source.or(item.action);
    let source_reason = source.and_then(|s| plan.actions[s].reason.clone());
    let runnable = item
        .action
        .map(|a| plan.actions[a].runnable)
        .unwrap_or(true);
    let reason = match (source_reason, runnable) {
        (Some(text), false) => format!("  due to {text} (blocked)"),
        (Some(text), true) => format!("  due to {text}"),
        (None, false) => "  blocked".to_string(),
        (None, true) => String::new(),
    };
    SummaryItem { change: item.change.to_string(), rsc: rsc.id.clone(), details, reason }
}

/// One Transition Summary line before layout.
#[derive(Debug, Clone)]
pub struct SummaryItem {
    pub change: String,
    pub rsc: String,
    pub details: String,
    /// Empty, or "  due to ..." / "  blocked".
    pub reason: String,
}

/// Lays out summary lines as Pacemaker does: the resource and details columns start at
/// 5 characters and widen as longer values come along, so earlier lines keep narrower
/// columns than later ones (its widths are running maxima, not a table layout).
#[derive(Debug)]
pub struct SummaryLayout {
    rsc_width: usize,
    detail_width: usize,
}

impl Default for SummaryLayout {
    fn default() -> Self {
        SummaryLayout { rsc_width: 5, detail_width: 5 }
    }
}

impl SummaryLayout {
    pub fn line(&mut self, item: &SummaryItem) -> String {
        if item.rsc.len() > self.rsc_width {
            self.rsc_width = item.rsc.len() + 2;
        }
        self.detail_width = self.detail_width.max(item.details.len());
        format!(
            "  * {:<8}   {:<rw$}   ( {:>dw$} ){}",
            item.change,
            item.rsc,
            item.details,
            item.reason,
            rw = self.rsc_width,
            dw = self.detail_width
        )
    }
}

/// Lines for one primitive (rsc_action_default in Pacemaker).
pub fn primitive_lines(ws: &WorkingSet, plan: &Plan, r: RscIdx) -> Vec<SummaryItem> {
    let rsc = &ws.resources[r];
    let role = summary_role(rsc);
    // Where it is taken to run (a partial migration's source).
    let current = crate::sched::fencing::active_on(ws, r).current;
    let next = rsc.assigned_to;
    let mut out = Vec::new();
    if !rsc.managed || (current.is_none() && next.is_none()) {
        return out;
    }
    let moving = matches!((current, next), (Some(a), Some(b)) if a != b);
    let start = find_on(plan, r, "start", next);
    let start_runnable = start.map(|s| plan.actions[s].runnable).unwrap_or(false);
    let start_node = if start_runnable { current } else { None };
    // A resource stopped only where it doesn't belong
    // (multiple-active=stop_unexpected) has its stop elsewhere.
    let stop_unexpected = rsc
        .meta
        .get("multiple-active")
        .is_some_and(|v| v.eq_ignore_ascii_case("stop_unexpected"));
    let stop = find_on(plan, r, "stop", start_node)
        .or_else(|| stop_unexpected.then(|| find_on(plan, r, "stop", None)).flatten());
    let promote = find_on(plan, r, "promote", next);
    let demote = find_on(plan, r, "demote", next);
    let optional = |i: Option<usize>| i.map(|i| plan.actions[i].optional).unwrap_or(true);
    // An agent reload still planned (Pacemaker's pe_rsc_reload).
    let reloading = plan
        .rsc_actions(r, crate::sched::digests::RELOAD_TASK)
        .into_iter()
        .any(|i| !plan.actions[i].optional);

    if role == rsc.next_role {
        if next.is_none() {
            return out;
        }
        let migrate =
            find_on(plan, r, "migrate_from", next).filter(|&i| plan.actions[i].node == next);
        if migrate.map(|m| plan.actions[m].runnable).unwrap_or(false) && current.is_some() {
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change: "Migrate",
                    origin: current,
                    destination: next,
                    action: start,
                    source: None,
                },
            ));
        } else if reloading {
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change: "Reload",
                    origin: current,
                    destination: next,
                    action: start,
                    source: None,
                },
            ));
        } else if start.is_none() || optional(start) {
            if demote.is_some() && promote.is_some() && !optional(demote) && !optional(promote) {
                out.push(item_text(
                    ws,
                    plan,
                    r,
                    Item {
                        change: "Re-promote",
                        origin: current,
                        destination: next,
                        action: promote,
                        source: demote,
                    },
                ));
            }
        } else if !start_runnable {
            let src = if stop
                .map(|s| plan.actions[s].reason.is_some())
                .unwrap_or(false)
            {
                stop
            } else {
                start
            };
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change: "Stop",
                    origin: current,
                    destination: None,
                    action: stop,
                    source: src,
                },
            ));
        } else if moving && current.is_some() {
            let change = if rsc.failed { "Recover" } else { "Move" };
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change,
                    origin: current,
                    destination: next,
                    action: stop,
                    source: None,
                },
            ));
        } else if rsc.failed {
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change: "Recover",
                    origin: current,
                    destination: None,
                    action: stop,
                    source: None,
                },
            ));
        } else {
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change: "Restart",
                    origin: current,
                    destination: next,
                    action: start,
                    source: None,
                },
            ));
        }
        return out;
    }

    if stop.is_some() && (rsc.next_role == Role::Stopped || (start.is_some() && !start_runnable)) {
        for &node in &rsc.running_on {
            let stop_op = find_on(plan, r, "stop", Some(node))
                .filter(|&i| plan.actions[i].node == Some(node));
            let src = if stop_op
                .map(|s| plan.actions[s].reason.is_some())
                .unwrap_or(false)
            {
                stop_op
            } else {
                start
            };
            out.push(item_text(
                ws,
                plan,
                r,
                Item {
                    change: "Stop",
                    origin: Some(node),
                    destination: None,
                    action: stop_op,
                    source: src,
                },
            ));
        }
    } else if stop.is_some() && rsc.failed && rsc.failed_stop {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Recover",
                origin: current,
                destination: next,
                action: stop,
                source: start,
            },
        ));
    } else if moving {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Move",
                origin: current,
                destination: next,
                action: stop,
                source: None,
            },
        ));
    } else if reloading {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Reload",
                origin: current,
                destination: next,
                action: start,
                source: None,
            },
        ));
    } else if stop.is_some() && !optional(stop) {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Restart",
                origin: current,
                destination: next,
                action: start,
                source: None,
            },
        ));
    } else if role == Role::Promoted {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Demote",
                origin: current,
                destination: next,
                action: demote,
                source: None,
            },
        ));
    } else if rsc.next_role == Role::Promoted {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Promote",
                origin: current,
                destination: next,
                action: promote,
                source: None,
            },
        ));
    } else if role == Role::Stopped && rsc.next_role > Role::Stopped {
        out.push(item_text(
            ws,
            plan,
            r,
            Item {
                change: "Start",
                origin: current,
                destination: next,
                action: start,
                source: None,
            },
        ));
    }
    out
}
