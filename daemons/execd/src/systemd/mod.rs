//! Systemd resources: actions carried out over D-Bus by worker threads (see `bus`), tied
//! into the executor's operation life cycle as Pacemaker does it: the process layer's
//! one-action-per-resource rule and timeout (the operation's own plus five seconds), and
//! the executor's follow-up monitors, since systemd answers a start or stop as soon as
//! the job is queued, not when it is done.

pub mod bus;
pub mod units;

use crate::agent::{Invocation, Runner};
use crate::daemon::Execd;
use crate::result::ActionResult;
use crate::state::{diff_ms, Execution, OpId, TimerEvent};
use libcrmcommon::mainloop;
use liblrmd::protocol::{class, exec_status, ocf};
use std::time::{Duration, Instant};

/// Main-loop token of the pipe that signals finished systemd requests.
pub const WAKE_TOKEN: u64 = 2;
/// Pacemaker gives a systemd action this much longer than its timeout to answer.
pub(crate) const TIMEOUT_GRACE_MS: u64 = 5000;

impl Execd {
    /// Starts the systemd side of an operation (the process layer's "spawn").
    pub(crate) fn start_systemd_op(&mut self, id: OpId, invocation: &Invocation) {
        let service_fallback = matches!(
            invocation.runner,
            Runner::Systemd {
                service_fallback: true
            }
        );
        if self.systemd.is_none() {
            match bus::SystemdBus::new() {
                Ok(link) => {
                    mainloop::watch_readable(link.wake_fd(), WAKE_TOKEN);
                    self.systemd = Some(link);
                }
                Err(e) => {
                    tracing::error!("Cannot set up systemd D-Bus handling: {}", e);
                    self.finish_systemd_op(
                        id,
                        ActionResult::new(
                            ocf::UNKNOWN_ERROR,
                            exec_status::ERROR,
                            Some("No DBus connection".into()),
                        ),
                    );
                    return;
                }
            }
        }
        self.systemd_seq += 1;
        let seq = self.systemd_seq;
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.timed_out = false;
        op.execution = Execution::Systemd(seq);
        self.inflight.insert(op.rsc_id.clone(), id);
        // Pacemaker produces meta-data synchronously, without this timer.
        if !invocation.agent_action.eq_ignore_ascii_case("meta-data") {
            let grace = Duration::from_millis(op.timeout_ms.max(0) as u64 + TIMEOUT_GRACE_MS);
            op.timeout_timer = Some(self.timers.add(grace, TimerEvent::Timeout(id)));
        }
        let request = bus::Request {
            seq,
            rsc_id: op.rsc_id.clone(),
            agent: self
                .resources
                .get(&op.rsc_id)
                .map(|rsc| rsc.spec.agent.clone())
                .unwrap_or_default(),
            action: invocation.agent_action.clone(),
            timeout_ms: op.timeout_ms,
            check_exists: service_fallback,
        };
        if let Some(link) = &self.systemd {
            link.submit(request);
        }
    }

    /// Systemd requests finished: hand each outcome to its operation, if still waiting.
    pub fn on_systemd_ready(&mut self) {
        let Some(link) = &self.systemd else {
            return;
        };
        for (seq, outcome) in link.take_outcomes() {
            let waiting = self
                .ops
                .iter()
                .find(|(_, op)| matches!(op.execution, Execution::Systemd(s) if s == seq))
                .map(|(id, _)| *id);
            let Some(id) = waiting else {
                tracing::debug!("Dropping the late result of systemd request {}", seq);
                continue;
            };
            match outcome {
                bus::Outcome::Done(result) => self.finish_systemd_op(id, result),
                // Pacemaker's timeout of the action will report it.
                bus::Outcome::NoAnswer => {}
                bus::Outcome::NotAUnit => self.run_as_lsb(id),
            }
        }
    }

    /// Class `service` whose agent systemd does not know: run the LSB script (which then
    /// reports "not installed" if it is missing, as Pacemaker does).
    fn run_as_lsb(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        tracing::info!("Assuming resource class lsb for agent of {}", op.rsc_id);
        if let Some(timer) = op.timeout_timer.take() {
            self.timers.cancel(timer);
        }
        op.execution = Execution::Idle;
        if self.inflight.get(&op.rsc_id) == Some(&id) {
            self.inflight.remove(&op.rsc_id);
        }
        op.agent_class = class::LSB.to_owned();
        if let Some(invocation) = op.invocation.as_mut() {
            invocation.runner = Runner::Process;
            invocation.class = class::LSB.to_owned();
        }
        self.spawn_op(id);
    }

    /// Ends an operation's systemd action: its timer is cancelled and its resource is free
    /// for the next operation. False if the operation is gone.
    fn end_systemd_action(&mut self, id: OpId) -> bool {
        let Some(op) = self.ops.get_mut(&id) else {
            return false;
        };
        if let Some(timer) = op.timeout_timer.take() {
            self.timers.cancel(timer);
        }
        op.execution = Execution::Idle;
        if self.inflight.get(&op.rsc_id) == Some(&id) {
            self.inflight.remove(&op.rsc_id);
        }
        true
    }

    /// The systemd action of an operation ended with `result`.
    fn finish_systemd_op(&mut self, id: OpId, result: ActionResult) {
        if !self.end_systemd_action(id) {
            return;
        }
        if let Some(op) = self.ops.get_mut(&id) {
            op.process_result = result;
        }
        self.process_finished(id);
    }

    /// Systemd did not answer within the operation's timeout (plus grace).
    pub(crate) fn on_systemd_timeout(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.timeout_timer = None;
        let (action, rsc_id) = (op.agent_action.clone(), op.rsc_id.clone());
        let agent = self
            .resources
            .get(&rsc_id)
            .map(|r| r.spec.agent.clone())
            .unwrap_or_default();
        tracing::info!(
            "{} action for systemd unit {} named '{}' timed out",
            action,
            agent,
            rsc_id
        );
        self.finish_systemd_op(
            id,
            ActionResult::new(
                ocf::UNKNOWN_ERROR,
                exec_status::TIMEOUT,
                Some(format!(
                    "{action} action for systemd unit {agent} did not complete in time"
                )),
            ),
        );
    }

    /// Cancels a recurring systemd monitor under way: reported cancelled at once; its
    /// late D-Bus result will be dropped.
    pub(crate) fn cancel_systemd_op(&mut self, id: OpId) {
        if !self.end_systemd_action(id) {
            return;
        }
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.process_result.exec_status = exec_status::CANCELLED;
        op.process_result.exit_reason = None;
        self.process_op_complete(id);
    }

    /// Pacemaker's follow-up of systemd starts and stops (after `result` is set): a start
    /// or stop that systemd accepted is checked with monitors until the unit settles.
    /// Returns whether the operation must run again (as a monitor).
    pub(crate) fn systemd_needs_another_check(&mut self, id: OpId) -> bool {
        let Some(op) = self.ops.get_mut(&id) else {
            return false;
        };
        let ok = op.result.exit_status == ocf::OK && op.result.exec_status == exec_status::DONE;
        let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        if ok && (is(&op.action, "start") || is(&op.action, "stop")) {
            op.real_action = Some(std::mem::replace(&mut op.action, "monitor".to_owned()));
            return true;
        }
        let Some(real_action) = op.real_action.clone() else {
            return false;
        };
        if op.result.exec_status == exec_status::PENDING || (ok && is(&real_action, "stop")) {
            return true;
        }
        let elapsed = diff_ms(Some(Instant::now()), op.t_first_run);
        tracing::debug!(
            "{} systemd {} is now complete (elapsed={}ms, remaining={}ms): {}",
            op.rsc_id,
            real_action,
            elapsed,
            op.timeout_orig_ms.saturating_sub(elapsed),
            op.result.exit_status
        );
        op.t_run = op.t_first_run;
        op.t_queue = op.t_first_queue;
        // A monitor may say "not running"; for a start that is a failure, for a stop success.
        if op.result.exec_status == exec_status::DONE && op.result.exit_status == ocf::NOT_RUNNING {
            if is(&real_action, "start") {
                op.result.exit_status = ocf::UNKNOWN_ERROR;
            } else if is(&real_action, "stop") {
                op.result.exit_status = ocf::OK;
            }
        }
        false
    }
}
