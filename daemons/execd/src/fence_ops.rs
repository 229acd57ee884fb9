//! Fence device operations through the fencer, as Pacemaker's executor runs them: probes
//! answer from what the executor knows, start registers the device and monitors it, stop
//! removes it, monitors are asynchronous fencer calls. Without a fencer (after 10 attempts
//! 2 s apart) every other operation fails as "not connected".

use crate::daemon::Execd;
use crate::fencer::{FenceResult, FencerClient};
use crate::result::ActionResult;
use crate::state::{OpId, TimerEvent};
use liblrmd::protocol::{exec_status, ocf};
use std::time::Duration;

/// What a fence device operation does next.
enum Step {
    /// Ask the fencer to monitor the device (the result comes later).
    Monitor,
    /// Done successfully.
    Done,
    Failed(FenceResult),
    /// The fencer connection broke.
    Lost(String),
}

/// How many times, and how far apart, the fencer connection is tried before fence device
/// operations fail as "not connected" (Pacemaker's executor: 10 times, 2 s apart).
const FENCER_ATTEMPTS: u32 = 10;
const FENCER_RETRY: Duration = Duration::from_secs(2);

/// How often pending fencer results are looked for.
const FENCER_POLL: Duration = Duration::from_millis(100);

impl Execd {
    /// Makes sure there is a fencer connection for operation `id`, or parks the operation
    /// until a retry gets one. Like Pacemaker's executor it tries 10 times, 2 s apart, but
    /// without blocking every other operation meanwhile.
    fn fencer_for(&mut self, id: OpId) -> bool {
        if self.fencer.is_some() {
            return true;
        }
        if !self.fencer_waiters.is_empty() {
            // Attempts are under way; this one waits for their outcome.
            self.fencer_waiters.push(id);
            return false;
        }
        match FencerClient::connect() {
            Ok(client) => {
                self.fencer = Some(client);
                true
            }
            Err(e) => {
                self.fencer_waiters.push(id);
                self.fencer_attempt_failed(1, &e);
                false
            }
        }
    }

    fn fencer_attempt_failed(&mut self, attempt: u32, error: &str) {
        if attempt < FENCER_ATTEMPTS {
            tracing::info!(
                "Fencer connection attempt {} of {} failed (retrying in {}s): {}",
                attempt,
                FENCER_ATTEMPTS,
                FENCER_RETRY.as_secs(),
                error
            );
            self.fencer_attempt = attempt;
            self.timers.add(FENCER_RETRY, TimerEvent::FencerRetry);
            return;
        }
        tracing::info!("Could not connect to fencer: {}", error);
        self.fencer_attempt = 0;
        for id in std::mem::take(&mut self.fencer_waiters) {
            self.fence_action_complete(
                id,
                ocf::UNKNOWN_ERROR,
                exec_status::NOT_CONNECTED,
                Some("No connection to fencer".into()),
            );
        }
    }

    /// The next connection attempt is due.
    pub(crate) fn retry_fencer(&mut self) {
        let attempt = self.fencer_attempt + 1;
        match FencerClient::connect() {
            Ok(client) => {
                self.fencer = Some(client);
                self.fencer_attempt = 0;
                for id in std::mem::take(&mut self.fencer_waiters) {
                    self.execute_fence_action(id);
                }
            }
            Err(e) => self.fencer_attempt_failed(attempt, &e),
        }
    }

    pub(crate) fn execute_fence_action(&mut self, id: OpId) {
        let Some(op) = self.ops.get(&id) else { return };
        let (rsc_id, action, interval_ms, timeout_ms, params) = (
            op.rsc_id.clone(),
            op.action.to_ascii_lowercase(),
            op.interval_ms,
            op.timeout_ms,
            op.params.clone(),
        );
        let Some(rsc) = self.resources.get(&rsc_id) else {
            return;
        };
        let (known, agent) = (rsc.fence_probe, rsc.spec.agent.clone());
        if action == "monitor" && interval_ms == 0 {
            // Probes need no fencer.
            self.fence_action_complete(id, known.0, known.1, None);
            return;
        }
        if !self.fencer_for(id) {
            return;
        }
        let Some(fencer) = self.fencer.as_mut() else { return };
        let step = match action.as_str() {
            "start" => match fencer.register_device(&rsc_id, &agent, &params) {
                Ok(result) if result.ok() => Step::Monitor,
                Ok(result) => Step::Failed(result),
                Err(e) => Step::Lost(e.to_string()),
            },
            "stop" => match fencer.remove_device(&rsc_id) {
                Ok(result) if result.ok() => Step::Done,
                Ok(result) => Step::Failed(result),
                Err(e) => Step::Lost(e.to_string()),
            },
            "monitor" => Step::Monitor,
            _ => Step::Failed(FenceResult {
                exit_status: ocf::UNIMPLEMENT_FEATURE,
                exec_status: exec_status::ERROR,
                exit_reason: Some("Invalid fence device action (bug?)".into()),
            }),
        };
        match step {
            Step::Monitor => self.start_fence_monitor(id, &rsc_id, timeout_ms),
            // Pacemaker gives the text of the legacy return code as the reason, even "OK".
            Step::Done => {
                self.fence_action_complete(id, ocf::OK, exec_status::DONE, Some("OK".into()))
            }
            Step::Failed(result) => {
                let status = if result.exec_status == exec_status::DONE {
                    exec_status::ERROR
                } else {
                    result.exec_status
                };
                let exit = if result.exit_status == ocf::UNIMPLEMENT_FEATURE {
                    result.exit_status
                } else {
                    ocf::UNKNOWN_ERROR
                };
                self.fence_action_complete(id, exit, status, result.exit_reason)
            }
            Step::Lost(why) => self.fencer_lost(id, why),
        }
    }

    fn start_fence_monitor(&mut self, id: OpId, rsc_id: &str, timeout_ms: i32) {
        let Some(fencer) = self.fencer.as_mut() else {
            self.fence_action_complete(
                id,
                ocf::UNKNOWN_ERROR,
                exec_status::NOT_CONNECTED,
                Some("No connection to fencer".into()),
            );
            return;
        };
        match fencer.monitor(rsc_id, timeout_ms / 1000) {
            Ok(call_id) => {
                self.fence_calls.insert(call_id, id);
            }
            Err(e) => self.fencer_lost(id, e.to_string()),
        }
    }

    fn fencer_lost(&mut self, id: OpId, why: String) {
        tracing::warn!(
            "Connection to fencer lost ({}); pending fence device operations fail",
            why
        );
        self.fencer = None;
        self.fence_action_complete(
            id,
            ocf::UNKNOWN_ERROR,
            exec_status::NOT_CONNECTED,
            Some("Lost connection to fencer".into()),
        );
        self.fail_pending_fence_calls();
    }

    fn fail_pending_fence_calls(&mut self) {
        let pending: Vec<OpId> = self.fence_calls.drain().map(|(_, id)| id).collect();
        for id in pending {
            self.fence_action_complete(
                id,
                ocf::UNKNOWN_ERROR,
                exec_status::NOT_CONNECTED,
                Some("Lost connection to fencer".into()),
            );
        }
        // Probes can no longer tell whether registered devices are still known.
        for rsc in self.resources.values_mut() {
            if rsc.fence_probe.1 == exec_status::DONE {
                rsc.fence_probe = (ocf::UNKNOWN_ERROR, exec_status::NOT_CONNECTED);
            }
        }
    }

    /// Collects fencer results that arrived; call after each loop iteration.
    pub fn poll_fencer(&mut self) {
        if self.fence_calls.is_empty() {
            return;
        }
        let Some(fencer) = self.fencer.as_mut() else {
            return;
        };
        match fencer.poll_events() {
            Ok(events) => {
                for event in events {
                    if let Some(id) = self.fence_calls.remove(&event.call_id) {
                        let FenceResult {
                            exit_status,
                            exec_status,
                            exit_reason,
                        } = event.result;
                        self.fence_action_complete(id, exit_status, exec_status, exit_reason);
                    }
                }
            }
            Err(e) => {
                tracing::warn!("Connection to fencer lost: {}", e);
                self.fencer = None;
                self.fail_pending_fence_calls();
            }
        }
    }

    /// How soon the loop must look at the fencer again.
    pub fn fencer_timeout(&self) -> Option<Duration> {
        (!self.fence_calls.is_empty()).then_some(FENCER_POLL)
    }

    /// A fence device's recurring monitor is due: queue it like a new request.
    pub(crate) fn fence_repeat(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.fence_repeat_timer = None;
        let rsc_id = op.rsc_id.clone();
        if let Some(rsc) = self.resources.get_mut(&rsc_id) {
            rsc.recurring.retain(|o| *o != id);
        }
        self.enqueue(id);
    }

    pub(crate) fn fence_action_complete(
        &mut self,
        id: OpId,
        exit: i32,
        status: i32,
        reason: Option<String>,
    ) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let mut exit = if exit != 0 { ocf::UNKNOWN_ERROR } else { exit };
        let mut status = status;
        if op.result.exec_status == exec_status::CANCELLED {
            status = exec_status::CANCELLED;
        } else {
            match status {
                exec_status::NOT_CONNECTED | exec_status::INVALID => status = exec_status::ERROR,
                exec_status::NO_FENCE_DEVICE => {
                    exit = if op.action == "monitor" {
                        ocf::NOT_RUNNING
                    } else if op.action == "stop" {
                        ocf::OK
                    } else {
                        ocf::NOT_INSTALLED
                    };
                    status = exec_status::ERROR;
                }
                exec_status::NOT_SUPPORTED => exit = ocf::UNIMPLEMENT_FEATURE,
                _ => {}
            }
        }
        op.result = ActionResult::new(exit, status, reason);
        // A successful start or stop changes what probes of the device report.
        let succeeded = exit == ocf::OK && status == exec_status::DONE;
        if succeeded
            && (op.action.eq_ignore_ascii_case("start") || op.action.eq_ignore_ascii_case("stop"))
        {
            let known = if op.action.eq_ignore_ascii_case("start") {
                (ocf::OK, exec_status::DONE)
            } else {
                (ocf::UNKNOWN_ERROR, exec_status::NO_FENCE_DEVICE)
            };
            if let Some(rsc) = self.resources.get_mut(&op.rsc_id) {
                rsc.fence_probe = known;
            }
        }
        if let Some(timer) = op.fence_repeat_timer.take() {
            self.timers.cancel(timer);
        }
        let registered = self.resources.contains_key(&op.rsc_id);
        if registered && op.interval_ms > 0 && status != exec_status::CANCELLED {
            let timer = self.timers.add(
                Duration::from_millis(op.interval_ms as u64),
                TimerEvent::Repeat(id),
            );
            op.fence_repeat_timer = Some(timer);
        }
        self.finalize(id);
    }
}
