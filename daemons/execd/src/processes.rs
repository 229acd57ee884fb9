//! The process layer (Pacemaker's services library): at most one agent process per
//! resource (later ones wait, "blocked"), output read from the main loop, timeouts that
//! kill the process group, and recurring operations re-run after their interval.

use crate::agent::{self, Invocation};
use crate::child::{self, Exit};
use crate::daemon::Execd;
use crate::result::ActionResult;
use crate::state::{Execution, OpId, TimerEvent};
use libcrmcommon::mainloop;
use liblrmd::protocol::{exec_status, ocf};
use std::time::Duration;

/// Main-loop tokens of agent output pipes are this plus the descriptor.
pub const OUTPUT_TOKEN_BASE: u64 = 1 << 32;

impl Execd {
    /// Hands an operation to the process layer: it runs now, or after the resource's
    /// running process ends.
    pub(crate) fn start_process_op(&mut self, id: OpId, invocation: Invocation) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.invocation = Some(invocation);
        if op.interval_ms > 0 {
            op.services_recurring = true;
        }
        self.spawn_unless_blocked(id);
    }

    /// Runs a recurring operation again (its interval passed, or it was kicked).
    pub(crate) fn rerun_recurring(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.process_result.stdout = None;
        op.process_result.stderr = None;
        let rsc_id = op.rsc_id.clone();
        tracing::debug!(
            "Scheduling another invocation of {}_{}_{}",
            rsc_id,
            op.agent_action,
            op.interval_ms
        );
        self.spawn_unless_blocked(id);
    }

    /// Runs the operation now, or queues it behind the one its resource is running (one
    /// operation per resource at a time).
    fn spawn_unless_blocked(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        if self.inflight.contains_key(&op.rsc_id) {
            op.execution = Execution::Blocked;
            self.blocked.push(id);
            return;
        }
        self.spawn_op(id);
    }

    pub(crate) fn spawn_op(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let Some(invocation) = op.invocation.clone() else {
            return;
        };
        if matches!(invocation.runner, agent::Runner::Systemd { .. }) {
            self.start_systemd_op(id, &invocation);
            return;
        }
        op.timed_out = false;
        match child::spawn(&invocation) {
            Err(errno) => {
                tracing::info!(
                    "Cannot execute '{}': {}",
                    invocation.path.display(),
                    agent::strerror(errno)
                );
                let name = invocation.path.display().to_string();
                op.process_result =
                    agent::exec_error(&invocation.class, &invocation.agent_action, &name, errno);
                self.process_finished(id);
            }
            Ok(process) => {
                for fd in [process.stdout.raw_fd(), process.stderr.raw_fd()]
                    .into_iter()
                    .flatten()
                {
                    mainloop::watch_readable(fd, OUTPUT_TOKEN_BASE + fd as u64);
                    self.output_fds.insert(fd, id);
                }
                self.processes.insert(process.pid, id);
                if !op.is_alert {
                    self.inflight.insert(op.rsc_id.clone(), id);
                }
                if op.timeout_ms > 0 {
                    let timer = self.timers.add(
                        Duration::from_millis(op.timeout_ms as u64),
                        TimerEvent::Timeout(id),
                    );
                    op.timeout_timer = Some(timer);
                }
                op.execution = Execution::Running(process);
            }
        }
    }

    /// An output pipe is readable (`token` from the main loop).
    pub fn on_output_ready(&mut self, token: u64) {
        let Ok(fd) = i32::try_from(token.saturating_sub(OUTPUT_TOKEN_BASE)) else {
            return;
        };
        let Some(id) = self.output_fds.get(&fd).copied() else {
            mainloop::unwatch(fd);
            return;
        };
        let Some(Execution::Running(process)) = self.ops.get_mut(&id).map(|op| &mut op.execution)
        else {
            return;
        };
        for pipe in [&mut process.stdout, &mut process.stderr] {
            if pipe.raw_fd() == Some(fd) && pipe.read_available() {
                mainloop::unwatch(fd);
                self.output_fds.remove(&fd);
            }
        }
    }

    /// SIGCHLD arrived: collect every finished agent.
    pub fn on_sigchld(&mut self) {
        for (pid, exit) in child::reap() {
            let Some(id) = self.processes.remove(&pid) else {
                continue;
            };
            self.on_process_exit(id, exit);
        }
    }

    fn on_process_exit(&mut self, id: OpId, exit: Exit) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let Execution::Running(mut process) = std::mem::take(&mut op.execution) else {
            return;
        };
        if let Some(timer) = op.timeout_timer.take() {
            self.timers.cancel(timer);
        }
        // The output may not all have been read yet; what a grandchild writes later is lost.
        for pipe in [&mut process.stdout, &mut process.stderr] {
            if let Some(fd) = pipe.raw_fd() {
                pipe.read_available();
                mainloop::unwatch(fd);
                self.output_fds.remove(&fd);
                pipe.close();
            }
        }
        if self.inflight.get(&op.rsc_id) == Some(&id) {
            self.inflight.remove(&op.rsc_id);
        }
        let stdout = process.stdout.text();
        let stderr = process.stderr.text();
        let generic = agent::generic_error(&op.agent_class, &op.agent_action);
        let mut result = match exit {
            Exit::Code(code) => {
                tracing::debug!(
                    "{}_{}_{}[{}] exited with status {}",
                    op.rsc_id,
                    op.agent_action,
                    op.interval_ms,
                    process.pid,
                    code
                );
                let reason = if op.agent_class == "ocf" {
                    stderr.as_deref().and_then(agent::exit_reason_from_stderr)
                } else {
                    None
                };
                ActionResult::new(code, exec_status::DONE, reason)
            }
            Exit::Signal(_) if op.timed_out => {
                let readable = agent::readable_interval(op.timeout_ms.max(0) as u64);
                let kind = if op.is_alert {
                    "Alert agent"
                } else {
                    "Resource agent"
                };
                tracing::info!(
                    "{} {}_{}_{}[{}] timed out after {}",
                    kind,
                    op.rsc_id,
                    op.agent_action,
                    op.interval_ms,
                    process.pid,
                    readable
                );
                ActionResult::new(
                    generic,
                    exec_status::TIMEOUT,
                    Some(format!("{kind} did not complete within {readable}")),
                )
            }
            Exit::Signal(signal) if op.cancel_requested => {
                tracing::info!(
                    "{}_{}_{}[{}] terminated with signal {}",
                    op.rsc_id,
                    op.agent_action,
                    op.interval_ms,
                    process.pid,
                    signal
                );
                ActionResult::new(ocf::OK, exec_status::CANCELLED, None)
            }
            Exit::Signal(signal) => {
                tracing::info!(
                    "{}_{}_{}[{}] terminated with signal {}",
                    op.rsc_id,
                    op.agent_action,
                    op.interval_ms,
                    process.pid,
                    signal
                );
                let kind = if op.is_alert {
                    "Alert agent"
                } else {
                    "Resource agent"
                };
                ActionResult::new(
                    ocf::UNKNOWN_ERROR,
                    exec_status::ERROR,
                    Some(format!(
                        "{kind} interrupted by {} signal",
                        child::signal_name(signal)
                    )),
                )
            }
        };
        result.stdout = stdout;
        result.stderr = stderr;
        op.process_result = result;
        self.process_finished(id);
    }

    /// Pacemaker's `services__finalize_async_op`: a recurring operation is rescheduled (or
    /// marked cancelled), the result is reported, then waiting operations may run.
    pub(crate) fn process_finished(&mut self, id: OpId) {
        if self.ops.get(&id).is_some_and(|op| op.is_alert) {
            self.alert_finished(id);
            self.run_blocked();
            return;
        }
        if let Some(op) = self.ops.get_mut(&id) {
            if op.interval_ms != 0 {
                if op.cancel_requested {
                    // Only the status changes: an agent that finished on its own keeps its
                    // exit status.
                    op.process_result.exec_status = exec_status::CANCELLED;
                    op.process_result.exit_reason = None;
                    op.services_recurring = false;
                } else {
                    let timer = self.timers.add(
                        Duration::from_millis(op.interval_ms as u64),
                        TimerEvent::Repeat(id),
                    );
                    op.execution = Execution::WaitingInterval(timer);
                }
            }
        }
        self.process_op_complete(id);
        self.run_blocked();
    }

    fn run_blocked(&mut self) {
        let mut index = 0;
        while index < self.blocked.len() {
            let id = self.blocked[index];
            let rsc = self.ops.get(&id).map(|op| op.rsc_id.clone());
            let Some(rsc_id) = rsc else {
                self.blocked.remove(index);
                continue;
            };
            if self.inflight.contains_key(&rsc_id) {
                index += 1;
                continue;
            }
            self.blocked.remove(index);
            if let Some(op) = self.ops.get_mut(&id) {
                op.execution = Execution::Idle;
            }
            self.spawn_op(id);
        }
    }

    pub(crate) fn on_process_timeout(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        if matches!(op.execution, Execution::Systemd(_)) {
            self.on_systemd_timeout(id);
            return;
        }
        op.timeout_timer = None;
        let Some(pid) = op.pid() else { return };
        if child::kill_group(pid, op.leave_group) {
            op.timed_out = true;
            tracing::debug!(
                "{}_{}_{} process (PID {}) timed out",
                op.rsc_id,
                op.agent_action,
                op.interval_ms,
                pid
            );
        }
    }

    /// Pacemaker's `services_action_cancel`: stops a recurring operation known to the process
    /// layer. A running agent is killed (its end reports the cancellation); a waiting one is
    /// reported cancelled now. Returns `false` if there was no such operation.
    pub(crate) fn cancel_process_op(
        &mut self,
        rsc_id: &str,
        agent_action: &str,
        interval_ms: u32,
    ) -> bool {
        let found = self.ops.iter().find(|(_, op)| {
            op.services_recurring
                && op.rsc_id == rsc_id
                && op.interval_ms == interval_ms
                && op.agent_action.eq_ignore_ascii_case(agent_action)
        });
        let Some((&id, _)) = found else { return false };
        let Some(op) = self.ops.get_mut(&id) else {
            return false;
        };
        op.cancel_requested = true;
        op.services_recurring = false;
        if let Execution::WaitingInterval(timer) = op.execution {
            self.timers.cancel(timer);
            op.execution = Execution::Idle;
        }
        if matches!(op.execution, Execution::Systemd(_)) {
            self.blocked.retain(|o| *o != id);
            self.cancel_systemd_op(id);
            return true;
        }
        if let Some(pid) = op.pid() {
            tracing::info!(
                "Terminating in-flight op {}_{}_{}[{}] early because it was cancelled",
                rsc_id,
                agent_action,
                interval_ms,
                pid
            );
            if !child::kill_group(pid, false) {
                tracing::error!(
                    "Termination of {}_{}_{}[{}] failed",
                    rsc_id,
                    agent_action,
                    interval_ms,
                    pid
                );
            }
            return true;
        }
        // The last run's exit status stays; its output was already reported.
        op.process_result.exec_status = exec_status::CANCELLED;
        op.process_result.exit_reason = None;
        op.execution = Execution::Idle;
        self.blocked.retain(|o| *o != id);
        self.process_op_complete(id);
        true
    }
}
