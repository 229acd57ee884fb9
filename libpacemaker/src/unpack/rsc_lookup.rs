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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;

    fn add(ws: &mut WorkingSet, id: &str, variant: Variant, parent: Option<RscIdx>) -> RscIdx {
        let mut rsc = Resource::new(id, variant, "primitive");
        rsc.parent = parent;
        ws.resources.push(rsc);
        let idx = ws.resources.len() - 1;
        if let Some(p) = parent {
            ws.resources[p].children.push(idx);
        }
        idx
    }

    #[test]
    fn finds_plain_primitives_and_anonymous_instances_like_a_scan() {
        let mut ws = WorkingSet::default();
        let plain = add(&mut ws, "db", Variant::Primitive, None);
        let clone = add(&mut ws, "ping-clone", Variant::Clone, None);
        let first = add(&mut ws, "ping:0", Variant::Primitive, Some(clone));
        let second = add(&mut ws, "ping:1", Variant::Primitive, Some(clone));
        let mut lookup = ResourceLookup::default();
        lookup.catch_up(&ws);

        assert_eq!(lookup.find(&ws, "db"), Some((plain, false)));
        // Any instance number (or none) names the first anonymous instance.
        assert_eq!(lookup.find(&ws, "ping"), Some((first, true)));
        assert_eq!(lookup.find(&ws, "ping:7"), Some((first, true)));
        assert_eq!(lookup.clone_members("ping"), &[first, second]);
        assert_eq!(lookup.find(&ws, "web"), None);

        // Resources added later (orphans) are found once indexed, and never
        // shadow an earlier resource of the same name.
        let orphan = add(&mut ws, "web", Variant::Primitive, None);
        add(&mut ws, "db", Variant::Primitive, None);
        lookup.catch_up(&ws);
        assert_eq!(lookup.find(&ws, "web"), Some((orphan, false)));
        assert_eq!(lookup.find(&ws, "db"), Some((plain, false)));
    }

    #[test]
    fn unique_clone_instances_are_found_by_their_own_name() {
        let mut ws = WorkingSet::default();
        let clone = add(&mut ws, "vip-clone", Variant::Clone, None);
        ws.resources[clone].clone.unique = true;
        let first = add(&mut ws, "vip:0", Variant::Primitive, Some(clone));
        let second = add(&mut ws, "vip:1", Variant::Primitive, Some(clone));
        let mut lookup = ResourceLookup::default();
        lookup.catch_up(&ws);
        assert_eq!(lookup.find(&ws, "vip:1"), Some((second, false)));
        assert_eq!(lookup.find(&ws, "vip:0"), Some((first, false)));
        assert_eq!(lookup.find(&ws, "vip"), None);
    }
}
