//! The `<transition_graph>` element's own attributes (no actions yet: the action writer is
//! being added separately; until then graphs carry only this header).

use libcrmcommon::xml::Element;

use crate::model::WorkingSet;

/// A cluster option's configured value, or Pacemaker 2.1.5's default for it.
fn option<'a>(ws: &'a WorkingSet, name: &str, default: &'a str) -> &'a str {
    ws.options.raw.get(name).map(String::as_str).unwrap_or(default)
}

/// An empty transition graph carrying the header Pacemaker writes, in its attribute order.
pub fn transition_graph(ws: &WorkingSet, transition_id: u64) -> Element {
    let mut graph = Element::new("transition_graph")
        .with_attr("cluster-delay", option(ws, "cluster-delay", "60s"))
        .with_attr("stonith-timeout", option(ws, "stonith-timeout", "60s"))
        .with_attr("failed-stop-offset", "INFINITY")
        .with_attr("failed-start-offset", if ws.options.start_failure_is_fatal { "INFINITY" } else { "1" })
        .with_attr("batch-limit", option(ws, "batch-limit", "0"))
        .with_attr("transition_id", transition_id.to_string());
    let migration_limit = option(ws, "migration-limit", "-1");
    if migration_limit.trim().parse::<i64>().is_ok_and(|limit| limit > 0) {
        graph.set_attr("migration-limit", migration_limit);
    }
    graph
}
