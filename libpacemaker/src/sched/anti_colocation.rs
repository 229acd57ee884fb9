//! Orderings implied by mandatory anti-colocations (score -INFINITY): each
//! resource leaves a node before the other may arrive there. They carry the
//! anti-colocation flag, which the transition graph keeps only between
//! actions on the same node, and change no action's flags.

use crate::model::{order_flags as of, Role};

use super::actions::Builder;

/// What leaves: demote a promoted resource, else stop it (and, for an
/// unpromoted one, do not promote it either).
fn leaving_tasks(role: Role) -> &'static [&'static str] {
    match role {
        Role::Promoted => &["demote"],
        Role::Unpromoted => &["stop", "promote"],
        _ => &["stop"],
    }
}

/// What arrives: promote into the promoted role, else start (and, for the
/// unpromoted role, demote).
fn arriving_tasks(role: Role) -> &'static [&'static str] {
    match role {
        Role::Promoted => &["promote"],
        Role::Unpromoted => &["start", "demote"],
        _ => &["start"],
    }
}

/// Adds the orderings for every colocation with a score of -INFINITY.
pub fn order_anti_colocations(builder: &mut Builder) {
    let colocations = builder.ws.colocations.clone();
    for c in colocations {
        if c.score > -crate::score::INFINITY {
            continue;
        }
        for (first, first_role, then, then_role) in [
            (c.dependent, c.dependent_role, c.primary, c.primary_role),
            (c.primary, c.primary_role, c.dependent, c.dependent_role),
        ] {
            for first_task in leaving_tasks(first_role) {
                for then_task in arriving_tasks(then_role) {
                    builder.order_tasks(first, first_task, then, then_task, of::ANTI_COLOCATION);
                }
            }
        }
    }
}
