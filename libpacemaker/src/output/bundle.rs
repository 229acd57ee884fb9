//! A bundle's status lines: a header, then one line per replica naming the
//! replica (its guest node, else its container) and showing the state of
//! what it runs (its inner resource instance, else its container) where its
//! container is.

use crate::model::{BundleReplica, RscIdx, WorkingSet};

use super::status::primitive_line_at;

fn replica_line(ws: &WorkingSet, replica: &BundleReplica, show_pending: bool) -> String {
    let mut name = ws.resources[replica.remote.unwrap_or(replica.container)].id.clone();
    if let Some(ip) = &replica.ipaddr {
        name.push_str(&format!(" ({ip})"));
    }
    let shown = replica.child.unwrap_or(replica.container);
    let host = ws.resources[replica.container].running_on.first().copied();
    primitive_line_at(ws, shown, &name, host, show_pending)
}

pub(super) fn write_bundle(ws: &WorkingSet, r: RscIdx, depth: usize, show_pending: bool, out: &mut String) {
    let res = &ws.resources[r];
    let Some(bundle) = &res.bundle else { return };
    if bundle.replicas.is_empty() {
        return;
    }
    let indent = "  ".repeat(depth);
    let set = if bundle.replicas.len() > 1 { " set" } else { "" };
    let unique = if res.clone.unique { " (unique)" } else { "" };
    let unmanaged = if res.managed { "" } else { " (unmanaged)" };
    out.push_str(&format!("{indent}* Container bundle{set}: {} [{}]{unique}{unmanaged}:\n", res.id, bundle.image));
    for replica in &bundle.replicas {
        out.push_str(&format!("{indent}  * {}\n", replica_line(ws, replica, show_pending)));
    }
}
