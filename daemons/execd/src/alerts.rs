//! Alert agents (`lrmd_alert_exec`): run as the cluster user with the alert's parameters
//! as environment variables, never blocked by resource operations, and only logged (the
//! client gets no result event).

use crate::agent::Invocation;
use crate::daemon::Execd;
use crate::state::{OpId, Operation};
use libcrmcommon::ipc::ClientId;
use libcrmcommon::xml::Element;
use liblrmd::event::params_from_xml;
use liblrmd::protocol::{attr, class, element, exec_status, rc};

/// The environment variables that carry the alert's sequence number (current and legacy
/// names, as Pacemaker sets both).
const SEQUENCE_KEYS: [&str; 2] = ["CRM_notify_node_sequence", "CRM_alert_node_sequence"];

impl Execd {
    /// Starts an alert agent; returns 0 or a negative code.
    pub(crate) fn alert_request(
        &mut self,
        client: ClientId,
        client_uuid: &str,
        request: &Element,
        call_id: i32,
    ) -> i32 {
        let Some(alert) = request.descendants().find(|e| e.name == element::ALERT) else {
            return rc::EINVAL;
        };
        let (Some(alert_id), Some(path)) =
            (alert.attr(attr::ALERT_ID), alert.attr(attr::ALERT_PATH))
        else {
            return rc::EINVAL;
        };
        let timeout_ms = alert
            .attr(attr::TIMEOUT)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        tracing::info!("Executing alert {} for {}", alert_id, client_uuid);
        self.alert_sequence = self.alert_sequence.wrapping_add(1);
        let mut env: Vec<(String, String)> = params_from_xml(alert)
            .into_iter()
            .filter(|(k, v)| !k.is_empty() && !k.contains(['=', '\0']) && !v.contains('\0'))
            .filter(|(k, _)| !SEQUENCE_KEYS.contains(&k.as_str()))
            .collect();
        for key in SEQUENCE_KEYS {
            env.push((key.to_owned(), self.alert_sequence.to_string()));
        }
        let invocation = Invocation {
            runner: crate::agent::Runner::Process,
            path: path.into(),
            args: Vec::new(),
            env,
            class: class::ALERT.to_owned(),
            agent_action: String::new(),
            user: libcrmcommon::users::user_ids(libcrmcommon::users::CLUSTER_USER),
        };
        let operation = Operation {
            agent_class: class::ALERT.to_owned(),
            invocation: Some(invocation),
            is_alert: true,
            ..Operation::requested(alert_id, Some(client), client_uuid, call_id, timeout_ms)
        };
        let id = self.insert_op(operation);
        self.spawn_op(id);
        rc::OK
    }

    /// An alert agent ended: log how, and forget it.
    pub(crate) fn alert_finished(&mut self, id: OpId) {
        let Some(op) = self.ops.remove(&id) else {
            return;
        };
        if let Some(timer) = op.timeout_timer {
            self.timers.cancel(timer);
        }
        let result = &op.process_result;
        if result.exec_status != exec_status::DONE {
            let reason = result
                .exit_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            tracing::info!(
                "Could not send alert: {}{} | client={}",
                exec_status::describe(result.exec_status),
                reason,
                op.client_uuid
            );
        } else if result.exit_status != 0 {
            tracing::info!(
                "Alert completed but exited with status {} | client={}",
                result.exit_status,
                op.client_uuid
            );
        } else {
            tracing::debug!("Alert completed | client={}", op.client_uuid);
        }
    }
}
