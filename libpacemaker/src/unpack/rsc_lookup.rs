//! Finding the resource a history entry (lrm_resource) belongs to without
//! scanning every resource for every entry: a converged cluster of N nodes
//! and R resources has N × R entries, so a linear search per entry makes
//! unpacking quadratic.

use std::collections::HashMap;

use super::resources::strip_instance;
use crate::model::{RscIdx, Variant, WorkingSet};

/// Primitives indexed by the names history uses for them. Resources created
/// while unpacking (orphans) are appended to the working set; `catch_up`
/// indexes them, which keeps "first in working-set order" answers the same as
/// a linear scan would give.
#[derive(Debug, Default)]
pub(super) struct ResourceLookup {
    /// How many of the working set's resources are indexed.
    indexed: usize,
    /// Primitives that are not anonymous clone instances: the first per id.
    by_id: HashMap<String, RscIdx>,
    /// Primitives inside any clone, by id without instance number ("rsc" for
    /// "rsc:3"), in working-set order.
    clone_members: HashMap<String, Vec<RscIdx>>,
}

impl ResourceLookup {
    /// Indexes resources added to the working set since the last call.
    pub(super) fn catch_up(&mut self, ws: &WorkingSet) {
        for r in self.indexed..ws.resources.len() {
            let rsc = &ws.resources[r];
            if rsc.variant != Variant::Primitive {
                continue;
            }
            match ws.enclosing_clone(r) {
                Some(clone) => {
                    self.clone_members
                        .entry(strip_instance(&rsc.id).to_string())
                        .or_default()
                        .push(r);
                    if ws.resources[clone].clone.unique {
                        self.by_id.entry(rsc.id.clone()).or_insert(r);
                    }
                }
                None => {
                    self.by_id.entry(rsc.id.clone()).or_insert(r);
                }
            }
        }
        self.indexed = ws.resources.len();
    }

    /// The resource a history entry id names, and whether it is an anonymous
    /// clone instance (named with or without an instance number). An exact
    /// match on a primitive that is not an anonymous instance wins.
    pub(super) fn find(&self, ws: &WorkingSet, id: &str) -> Option<(RscIdx, bool)> {
        if let Some(&r) = self.by_id.get(id) {
            return Some((r, false));
        }
        self.clone_members(strip_instance(id))
            .iter()
            .copied()
            .find(|&r| {
                ws.enclosing_clone(r)
                    .map(|c| !ws.resources[c].clone.unique)
                    .unwrap_or(false)
            })
            .map(|r| (r, true))
    }

    /// Primitives inside any clone whose id without instance number is `base`,
    /// in working-set order.
    pub(super) fn clone_members(&self, base: &str) -> &[RscIdx] {
        self.clone_members
            .get(base)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
