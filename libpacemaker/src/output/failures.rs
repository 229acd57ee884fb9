//! The "Migration Summary" and "Failed Resource Actions" sections of the cluster status
//! (crm_simulate -c, crm_mon's failcounts and failures sections), as Pacemaker 2.1.5
//! prints them.

use libcrmcommon::time::ctime;
use libcrmcommon::xml::Element;

use crate::model::{FailedOp, RscIdx, Variant, WorkingSet};
use crate::unpack::{fail_count, strip_instance};

/// Both sections (each with the blank line before it). `cib` is the CIB `ws` was unpacked
/// from: the summary follows its status section.
pub fn failure_sections(ws: &WorkingSet, cib: &Element) -> String {
    let mut out = migration_summary(ws, cib);
    out.push_str(&failed_actions(ws));
    out
}

/// For each online node with a node_state entry (in status order), the resources whose
/// history there goes with a fail count, in history order. The header comes as soon as
/// one such node exists, even with nothing under it.
fn migration_summary(ws: &WorkingSet, cib: &Element) -> String {
    let mut out = String::new();
    let Some(status) = cib.child("status") else { return out };
    for state in status.elements().filter(|e| e.name == "node_state") {
        let Some(node) = state.id().and_then(|id| ws.nodes.iter().position(|n| n.id.eq_ignore_ascii_case(id))) else {
            continue;
        };
        if !ws.nodes[node].online {
            continue;
        }
        if out.is_empty() {
            out.push_str("\n  * Migration Summary:\n");
        }
        let history = state.child("lrm").and_then(|l| l.child("lrm_resources"));
        let mut node_listed = false;
        for entry in history.into_iter().flat_map(|h| h.elements()).filter(|e| e.name == "lrm_resource") {
            let Some(history_id) = entry.id() else { continue };
            let Some(rsc) = resource_for_history(ws, history_id) else { continue };
            let (fail_count, last_failure) = fail_count(ws, node, rsc);
            if fail_count <= 0 {
                continue;
            }
            if !node_listed {
                out.push_str(&format!("    * Node: {}:\n", ws.nodes[node].uname));
                node_listed = true;
            }
            out.push_str(&format!(
                "      * {history_id}: migration-threshold={} fail-count={fail_count}",
                ws.resources[rsc].migration_threshold
            ));
            if let Some(when) = last_failure {
                out.push_str(&format!(" last-failure='{}'", ctime(when)));
            }
            out.push('\n');
        }
    }
    out
}

/// The resource a history entry (lrm_resource id) stands for: by id or by the name its
/// history used (an anonymous clone instance's), else any instance of that anonymous clone
/// (all of them share fail counts).
fn resource_for_history(ws: &WorkingSet, history_id: &str) -> Option<RscIdx> {
    let primitives = || (0..ws.resources.len()).filter(|&r| ws.resources[r].variant == Variant::Primitive);
    primitives()
        .find(|&r| ws.resources[r].id == history_id || ws.resources[r].clone_name.as_deref() == Some(history_id))
        .or_else(|| {
            let base = strip_instance(history_id);
            primitives().find(|&r| is_anonymous_instance(ws, r) && strip_instance(&ws.resources[r].id) == base)
        })
}

fn is_anonymous_instance(ws: &WorkingSet, r: RscIdx) -> bool {
    ws.enclosing_clone(r).is_some_and(|c| !ws.resources[c].clone.unique)
}

/// The failed operations unpacking noted, but not probes that found the agent or its
/// parameters missing (the resource list shows those).
fn failed_actions(ws: &WorkingSet) -> String {
    let mut out = String::new();
    for op in ws.failed_ops.iter().filter(|op| !is_masked_probe_failure(op)) {
        if out.is_empty() {
            out.push_str("\n  * Failed Resource Actions:\n");
        }
        out.push_str(&format!("    * {}\n", failed_action_line(ws, op)));
    }
    out
}

fn is_masked_probe_failure(op: &FailedOp) -> bool {
    const OCF_INVALID_PARAM: i32 = 2;
    const OCF_NOT_INSTALLED: i32 = 5;
    const EXEC_NOT_INSTALLED: i32 = 7;
    op.task == "monitor"
        && op.interval_ms == 0
        && (op.rc == OCF_NOT_INSTALLED || op.rc == OCF_INVALID_PARAM || op.status == EXEC_NOT_INSTALLED)
}

/// `rsc_start_0 on node1 'error' (1): call=1, status='Error'` and the details recorded.
fn failed_action_line(ws: &WorkingSet, op: &FailedOp) -> String {
    let call = op.call_id.as_deref().filter(|c| !c.is_empty()).unwrap_or("unknown");
    let mut line = format!(
        "{} on {} '{}' ({}): call={call}, status='{}'",
        op.key,
        ws.nodes[op.node].uname,
        exit_status_text(op.rc),
        op.rc,
        execution_status_text(op.status)
    );
    if let Some(reason) = op.exit_reason.as_deref().filter(|r| !r.is_empty()) {
        line.push_str(&format!(", exitreason='{reason}'"));
    }
    if let Some(when) = op.last_rc_change {
        line.push_str(&format!(", last-rc-change='{}'", ctime(when)));
    }
    if let Some(queued) = op.queue_time.as_deref().filter(|q| !q.is_empty()) {
        line.push_str(&format!(", queued={queued}ms"));
    }
    if let Some(exec) = op.exec_time.as_deref().filter(|e| !e.is_empty()) {
        line.push_str(&format!(", exec={exec}ms"));
    }
    line
}

/// An OCF exit code as Pacemaker names it (services_ocf_exitcode_str, built without the
/// deprecated codes as Debian's is).
pub(crate) fn exit_status_text(rc: i32) -> &'static str {
    match rc {
        0 => "ok",
        1 => "error",
        2 => "invalid parameter",
        3 => "unimplemented feature",
        4 => "insufficient privileges",
        5 => "not installed",
        6 => "not configured",
        7 => "not running",
        8 => "promoted",
        9 => "promoted (failed)",
        190 => "OCF_DEGRADED",
        191 => "promoted (degraded)",
        _ => "unknown",
    }
}

/// An executor status as Pacemaker names it (pcmk_exec_status_str).
fn execution_status_text(status: i32) -> &'static str {
    match status {
        -1 => "pending",
        0 => "complete",
        1 => "Cancelled",
        2 => "Timed Out",
        3 => "NOT SUPPORTED",
        4 => "Error",
        5 => "Hard error",
        6 => "Fatal error",
        7 => "Not installed",
        8 => "Internal communication failure",
        9 => "Cannot execute now",
        10 => "No fence device",
        11 => "CIB secrets unavailable",
        _ => "UNKNOWN!",
    }
}
