//! The executor's operation life cycle, as Pacemaker's: a per-resource queue where one
//! operation at a time is active, start delays, duplicate recurring operations merged,
//! recurring operations cancelled before a stop, results reported (recurring ones only on
//! change when asked) and operations freed or kept for their next run.

use crate::agent;
use crate::daemon::{rsc_xml, Execd};
use crate::result::ActionResult;
use crate::state::{diff_ms, epoch_now, Execution, OpId, Operation, TimerEvent};
use libcrmcommon::ipc::ClientId;
use libcrmcommon::xml::Element;
use liblrmd::event::{params_from_xml, OpEvent};
use liblrmd::protocol::{attr, call_opt, class, exec_status, ocf, rc};
use std::time::{Duration, Instant};

impl Execd {
    /// `lrmd_rsc_exec`: queues the operation; returns its call id or a negative code.
    pub(crate) fn exec_request(
        &mut self,
        client: ClientId,
        client_uuid: &str,
        request: &Element,
        call_id: i32,
    ) -> i32 {
        let Some(rsc) = rsc_xml(request) else {
            return rc::EINVAL;
        };
        let Some(rsc_id) = rsc.attr(attr::RSC_ID) else {
            return rc::EINVAL;
        };
        if !self.resources.contains_key(rsc_id) {
            tracing::info!(
                "Resource '{}' not found ({} active resources)",
                rsc_id,
                self.resources.len()
            );
            return rc::ENODEV;
        }
        let int = |e: &Element, name: &str| {
            e.attr(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(0)
        };
        let params = params_from_xml(rsc);
        let leave_group = params
            .iter()
            .any(|(k, v)| k == "CRM_meta_on_fail" && v.eq_ignore_ascii_case("block"));
        let timeout_ms = int(rsc, attr::TIMEOUT).clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        let operation = Operation {
            call_opts: int(request, attr::CALL_OPTIONS).clamp(0, u32::MAX as i64) as u32,
            action: rsc.attr(attr::RSC_ACTION).unwrap_or_default().to_owned(),
            interval_ms: int(rsc, attr::RSC_INTERVAL).clamp(0, u32::MAX as i64) as u32,
            start_delay_ms: int(rsc, attr::RSC_START_DELAY).clamp(0, i32::MAX as i64) as i32,
            user_data: rsc.attr(attr::RSC_USERDATA).map(str::to_owned),
            params,
            leave_group,
            ..Operation::requested(rsc_id, Some(client), client_uuid, call_id, timeout_ms)
        };
        self.schedule(operation);
        call_id
    }

    /// `lrmd_rsc_cancel`.
    pub(crate) fn cancel_request(&mut self, request: &Element) -> i32 {
        let Some(rsc) = rsc_xml(request) else {
            return rc::EINVAL;
        };
        let (Some(rsc_id), Some(action)) = (rsc.attr(attr::RSC_ID), rsc.attr(attr::RSC_ACTION))
        else {
            return rc::EINVAL;
        };
        let interval_ms = rsc
            .attr(attr::RSC_INTERVAL)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let (rsc_id, action) = (rsc_id.to_owned(), action.to_owned());
        self.cancel_op(&rsc_id, &action, interval_ms)
    }

    fn schedule(&mut self, operation: Operation) {
        let rsc_id = operation.rsc_id.clone();
        if self.merge_recurring_duplicate(&operation) {
            return;
        }
        // The controller expects recurring operations to be cancelled before a stop.
        if operation.action.eq_ignore_ascii_case("stop") {
            self.cancel_all_recurring(&rsc_id, None);
        }
        let id = self.insert_op(operation);
        self.enqueue(id);
    }

    /// Appends an operation to its resource's queue (with its start delay).
    pub(crate) fn enqueue(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let now = Instant::now();
        op.t_queue = Some(now);
        op.t_first_queue.get_or_insert(now);
        let delay = op.start_delay_ms;
        let rsc_id = op.rsc_id.clone();
        if delay > 0 {
            let timer = self.timers.add(
                Duration::from_millis(delay as u64),
                TimerEvent::StartDelay(id),
            );
            if let Some(op) = self.ops.get_mut(&id) {
                op.delay_timer = Some(timer);
            }
        }
        match self.resources.get_mut(&rsc_id) {
            Some(rsc) => {
                rsc.pending.push_back(id);
                self.work.insert(rsc_id);
            }
            None => {
                // The resource went away meanwhile (a retry or a repeat came due after its
                // unregistration): report the operation as cancelled rather than keep it.
                if let Some(op) = self.ops.get_mut(&id) {
                    op.result.exec_status = exec_status::CANCELLED;
                }
                self.finalize(id);
            }
        }
    }

    /// A recurring operation equal to one already known takes over its call id and user
    /// data (and runs at once if it was waiting for its interval).
    fn merge_recurring_duplicate(&mut self, new: &Operation) -> bool {
        if new.interval_ms == 0 {
            return false;
        }
        let Some(rsc) = self.resources.get(&new.rsc_id) else {
            return false;
        };
        let find = |list: &mut dyn Iterator<Item = &OpId>| {
            list.copied().find(|id| {
                self.ops
                    .get(id)
                    .is_some_and(|o| o.matches(&new.action, new.interval_ms))
            })
        };
        let (dup, pending) = match find(&mut rsc.pending.iter()) {
            Some(dup) => (dup, true),
            None => match find(&mut rsc.recurring.iter()) {
                Some(dup) => (dup, false),
                None => return false,
            },
        };
        let is_fence = rsc.spec.class.eq_ignore_ascii_case(class::STONITH);
        let Some(op) = self.ops.get_mut(&dup) else {
            return false;
        };
        if is_fence && op.result.exec_status == exec_status::CANCELLED {
            return false;
        }
        tracing::warn!(
            "Duplicate recurring op entry detected ({}_{}_{}), merging with previous op entry",
            new.rsc_id,
            agent::agent_action_name(&op.agent_class, &op.action),
            op.interval_ms
        );
        op.first_notify_sent = false;
        op.user_data = new.user_data.clone();
        op.call_id = new.call_id;
        if !pending {
            if is_fence {
                if let Some(timer) = op.fence_repeat_timer.take() {
                    self.timers.cancel(timer);
                }
                self.fence_repeat(dup);
            } else {
                self.kick_recurring(dup);
            }
        }
        true
    }

    /// Cancels an operation; the result event says "cancelled".
    pub(crate) fn cancel_op(&mut self, rsc_id: &str, action: &str, interval_ms: u32) -> i32 {
        let Some(rsc) = self.resources.get(rsc_id) else {
            return rc::ENODEV;
        };
        let queued = rsc.pending.iter().copied().find(|id| {
            self.ops
                .get(id)
                .is_some_and(|o| o.matches(action, interval_ms))
        });
        if let Some(id) = queued {
            if let Some(op) = self.ops.get_mut(&id) {
                op.result.exec_status = exec_status::CANCELLED;
            }
            self.finalize(id);
            return rc::OK;
        }
        if rsc.spec.class.eq_ignore_ascii_case(class::STONITH) {
            let recurring = rsc.recurring.iter().copied().find(|id| {
                self.ops
                    .get(id)
                    .is_some_and(|o| o.matches(action, interval_ms))
            });
            if let Some(id) = recurring {
                let active = rsc.active == Some(id);
                if let Some(op) = self.ops.get_mut(&id) {
                    op.result.exec_status = exec_status::CANCELLED;
                }
                if !active {
                    self.finalize(id);
                }
                return rc::OK;
            }
            return rc::EOPNOTSUPP;
        }
        let agent_action = agent::agent_action_name(&rsc.spec.class.to_ascii_lowercase(), action);
        if self.cancel_process_op(rsc_id, &agent_action, interval_ms) {
            rc::OK
        } else {
            rc::EOPNOTSUPP
        }
    }

    /// Cancels every recurring operation of a resource (of one client only, if given).
    pub(crate) fn cancel_all_recurring(&mut self, rsc_id: &str, client_uuid: Option<&str>) {
        let Some(rsc) = self.resources.get(rsc_id) else {
            return;
        };
        let candidates: Vec<(String, u32)> = rsc
            .recurring
            .iter()
            .chain(rsc.pending.iter())
            .filter_map(|id| self.ops.get(id))
            .filter(|op| op.interval_ms != 0)
            .filter(|op| match client_uuid {
                Some(c) => op.client_uuid.eq_ignore_ascii_case(c),
                None => true,
            })
            .map(|op| (op.action.clone(), op.interval_ms))
            .collect();
        for (action, interval_ms) in candidates {
            self.cancel_op(rsc_id, &action, interval_ms);
        }
    }

    /// Forgets a resource: queued operations are reported cancelled, recurring ones are
    /// cancelled; a running one finishes and is reported with `rsc_deleted`.
    pub(crate) fn remove_resource(&mut self, rsc_id: &str) {
        let Some(rsc) = self.resources.remove(rsc_id) else {
            return;
        };
        let is_fence = rsc.spec.class.eq_ignore_ascii_case(class::STONITH);
        for id in rsc.pending.iter().copied() {
            if let Some(op) = self.ops.get_mut(&id) {
                op.result.exec_status = exec_status::CANCELLED;
            }
            self.finalize(id);
        }
        for id in rsc.recurring.iter().copied() {
            let Some(op) = self.ops.get_mut(&id) else {
                continue;
            };
            if is_fence {
                op.result.exec_status = exec_status::CANCELLED;
                if rsc.active != Some(id) {
                    self.finalize(id);
                }
            } else {
                let (agent_action, interval) = (op.agent_action.clone(), op.interval_ms);
                self.cancel_process_op(rsc_id, &agent_action, interval);
            }
        }
        self.work.remove(rsc_id);
    }

    /// Runs the queues of the resources that may have work, until nothing changes.
    pub fn run_work(&mut self) {
        while let Some(rsc_id) = self.work.pop_first() {
            self.execute_next(&rsc_id);
        }
    }

    /// Starts the next queued operation of a resource, unless one is active or the next
    /// one's start delay has not passed.
    fn execute_next(&mut self, rsc_id: &str) {
        let Some(rsc) = self.resources.get_mut(rsc_id) else {
            return;
        };
        if rsc.active.is_some() {
            return;
        }
        let Some(&id) = rsc.pending.front() else {
            return;
        };
        if self.ops.get(&id).is_some_and(|op| op.delay_timer.is_some()) {
            return;
        }
        rsc.pending.pop_front();
        rsc.active = Some(id);
        let spec = rsc.spec.clone();
        let is_fence = spec.class.eq_ignore_ascii_case(class::STONITH);
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let now = Instant::now();
        op.t_run = Some(now);
        op.t_first_run.get_or_insert(now);
        op.epoch_last_run = epoch_now();
        if op.interval_ms != 0 {
            if let Some(rsc) = self.resources.get_mut(rsc_id) {
                rsc.recurring.push(id);
            }
        }
        let level = op.action.eq_ignore_ascii_case("monitor");
        log_execute(level, rsc_id, &op.action, op.call_id);
        if is_fence {
            self.execute_fence_action(id);
            return;
        }
        let (action, params, interval_ms) = (op.action.clone(), op.params.clone(), op.interval_ms);
        // A nagios plugin has nothing to stop.
        if spec.class.eq_ignore_ascii_case(class::NAGIOS) && action.eq_ignore_ascii_case("stop") {
            op.agent_class = class::NAGIOS.to_owned();
            op.result.exit_status = ocf::OK;
            self.finalize(id);
            return;
        }
        match agent::prepare(rsc_id, &spec, &action, interval_ms, &params) {
            Err(result) => {
                op.agent_class = spec.class.to_ascii_lowercase();
                op.agent_action = agent::agent_action_name(&op.agent_class, &action);
                op.result = result;
                self.finalize(id);
            }
            Ok(invocation) => {
                op.agent_class = invocation.class.clone();
                op.agent_action = invocation.agent_action.clone();
                self.start_process_op(id, invocation);
            }
        }
    }

    /// Runs a recurring operation that waits for its interval now.
    fn kick_recurring(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        if let Execution::WaitingInterval(timer) = op.execution {
            self.timers.cancel(timer);
            op.execution = Execution::Idle;
            self.rerun_recurring(id);
        }
    }

    pub fn on_timer(&mut self, event: TimerEvent) {
        match event {
            TimerEvent::StartDelay(id) => {
                if let Some(op) = self.ops.get_mut(&id) {
                    op.delay_timer = None;
                    self.work.insert(op.rsc_id.clone());
                }
            }
            TimerEvent::Timeout(id) => self.on_process_timeout(id),
            TimerEvent::FencerRetry => self.retry_fencer(),
            TimerEvent::Repeat(id) => {
                let is_fence = self
                    .ops
                    .get(&id)
                    .is_some_and(|op| op.fence_repeat_timer.is_some());
                if is_fence {
                    self.fence_repeat(id);
                } else {
                    if let Some(op) = self.ops.get_mut(&id) {
                        op.execution = Execution::Idle;
                    }
                    self.rerun_recurring(id);
                }
            }
        }
    }

    /// The result of a process-layer run is in (`process_result`): map it, report it.
    pub(crate) fn process_op_complete(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        // The output is handed over (a later cancellation reports none).
        let raw = ActionResult {
            stdout: op.process_result.stdout.take(),
            stderr: op.process_result.stderr.take(),
            ..op.process_result.clone()
        };
        if op.result.exit_status != raw.exit_status {
            op.epoch_rc_change = epoch_now();
        }
        let mut code = agent::to_ocf(&op.agent_class, &op.action, raw.exit_status);
        // A nagios probe only ran `--version`: the "resource" is not running.
        let nagios_probe = op.agent_class == class::NAGIOS && op.matches("monitor", 0);
        if nagios_probe && code == ocf::OK && raw.exec_status == exec_status::DONE {
            code = ocf::NOT_RUNNING;
        }
        op.result = ActionResult {
            exit_status: code,
            exec_status: raw.exec_status,
            exit_reason: raw.exit_reason,
            stdout: raw.stdout,
            stderr: raw.stderr,
        };
        let failed_nagios_start = op.agent_class == class::NAGIOS
            && op.action.eq_ignore_ascii_case("start")
            && (code != ocf::OK || raw.exec_status != exec_status::DONE);
        let again = failed_nagios_start
            || (op.agent_class == class::SYSTEMD && self.systemd_needs_another_check(id));
        if again && self.retry_within_timeout(id) {
            return;
        }
        self.finalize(id);
    }

    /// Pacemaker retries a failed nagios start until its timeout is used up (the plugin may
    /// need time to see the service), and checks a systemd start or stop until it is done:
    /// queue it again after a short delay, or, when no time is left, turn the result into a
    /// timeout. Returns whether it was queued again.
    fn retry_within_timeout(&mut self, id: OpId) -> bool {
        let Some(op) = self.ops.get_mut(&id) else {
            return false;
        };
        let elapsed = diff_ms(Some(Instant::now()), op.t_first_run);
        let left = op.timeout_orig_ms.saturating_sub(elapsed);
        let mut delay = op.timeout_orig_ms / 10;
        if delay >= left && left > 20 {
            delay = left / 2;
        }
        delay = delay.min(2000);
        if delay < left {
            if op.result.exit_status == ocf::OK && op.result.exec_status == exec_status::DONE {
                tracing::debug!(
                    "{} {} may still be in progress: re-scheduling (elapsed={}ms, remaining={}ms, start_delay={}ms)",
                    op.rsc_id, op.real_action.as_deref().unwrap_or(&op.action), elapsed, left, delay
                );
            } else if op.result.exec_status == exec_status::PENDING {
                tracing::info!(
                    "{} {} is still in progress: re-scheduling (elapsed={}ms, remaining={}ms, start_delay={}ms)",
                    op.rsc_id, op.action, elapsed, left, delay
                );
            } else {
                tracing::info!(
                    "{} {} failed '{}' ({}): re-scheduling (elapsed={}ms, remaining={}ms, start_delay={}ms)",
                    op.rsc_id, op.action, op.result.exit_status, op.result.exit_status, elapsed, left, delay
                );
            }
            op.start_delay_ms = delay;
            op.timeout_ms = left;
            op.t_run = None;
            op.t_queue = None;
            op.epoch_last_run = 0;
            op.result.exit_reason = None;
            op.result.stdout = None;
            op.result.stderr = None;
            op.result.exec_status = exec_status::DONE;
            let rsc_id = op.rsc_id.clone();
            if let Some(rsc) = self.resources.get_mut(&rsc_id) {
                if rsc.active == Some(id) {
                    rsc.active = None;
                }
            }
            self.enqueue(id);
            return true;
        }
        tracing::info!(
            "Giving up on {} {} (rc={}): timeout (elapsed={}ms, remaining={}ms)",
            op.rsc_id,
            op.real_action.as_deref().unwrap_or(&op.action),
            op.result.exit_status,
            elapsed,
            left
        );
        op.result = ActionResult::new(
            ocf::UNKNOWN_ERROR,
            exec_status::TIMEOUT,
            Some("Investigate reason for timeout, and adjust configured operation timeout if necessary".into()),
        );
        op.t_run = op.t_first_run;
        op.t_queue = op.t_first_queue;
        false
    }

    /// Reports an operation's result, then frees it or keeps it for its next run.
    pub(crate) fn finalize(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let rsc_id = op.rsc_id.clone();
        op.timeout_ms = op.timeout_orig_ms;
        match self.resources.get_mut(&rsc_id) {
            Some(rsc) => {
                if rsc.active == Some(id) {
                    rsc.active = None;
                    self.work.insert(rsc_id.clone());
                }
            }
            None => op.rsc_deleted = true,
        }
        self.send_result(id);
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let cancelled = op.result.exec_status == exec_status::CANCELLED;
        if op.interval_ms == 0 || cancelled {
            if let Some(rsc) = self.resources.get_mut(&rsc_id) {
                rsc.pending.retain(|o| *o != id);
                rsc.recurring.retain(|o| *o != id);
            }
            self.free_op(id);
        } else {
            // Only what belongs to this run is cleared; the exit status stays to detect changes.
            op.t_run = None;
            op.t_queue = None;
            op.epoch_last_run = 0;
            op.result.exit_reason = None;
            op.result.stdout = None;
            op.result.stderr = None;
            op.result.exec_status = exec_status::DONE;
        }
    }

    fn free_op(&mut self, id: OpId) {
        let Some(op) = self.ops.remove(&id) else {
            return;
        };
        for timer in [op.delay_timer, op.timeout_timer, op.fence_repeat_timer]
            .into_iter()
            .flatten()
        {
            self.timers.cancel(timer);
        }
        if let Execution::WaitingInterval(timer) = op.execution {
            self.timers.cancel(timer);
        }
        self.blocked.retain(|o| *o != id);
    }

    fn send_result(&mut self, id: OpId) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let exec_time = diff_ms(op.t_run.map(|_| Instant::now()), op.t_run);
        let queue_time = diff_ms(op.t_run, op.t_queue);
        log_finished(op, exec_time, queue_time);
        let changes_only = op.call_opts & call_opt::NOTIFY_CHANGES_ONLY != 0;
        let now = (op.result.exit_status, op.result.exec_status);
        if op.first_notify_sent && changes_only && op.last_notify == now {
            return;
        }
        op.first_notify_sent = true;
        op.last_notify = now;
        let event = OpEvent {
            rsc_id: op.rsc_id.clone(),
            // A systemd start or stop is reported as such after its follow-up monitors.
            action: op.real_action.clone().unwrap_or_else(|| op.action.clone()),
            call_id: op.call_id,
            timeout_ms: op.timeout_ms,
            interval_ms: op.interval_ms,
            start_delay_ms: op.start_delay_ms,
            exit_status: op.result.exit_status,
            exec_status: op.result.exec_status,
            rsc_deleted: op.rsc_deleted,
            run_time: op.epoch_last_run,
            rc_change_time: op.epoch_rc_change,
            exec_time_ms: exec_time,
            queue_time_ms: queue_time,
            user_data: op.user_data.clone(),
            exit_reason: op.result.exit_reason.clone(),
            output: op.result.output(),
            params: op.params.clone(),
        };
        let xml = event.to_xml();
        match op
            .client
            .filter(|_| op.call_opts & call_opt::NOTIFY_ORIG_ONLY != 0)
        {
            Some(client) => self.notify_client(client, &xml),
            None => self.notify_all(&xml),
        }
    }
}

fn log_execute(is_monitor: bool, rsc_id: &str, action: &str, call_id: i32) {
    if is_monitor {
        tracing::debug!(
            "executing - rsc:{} action:{} call_id:{}",
            rsc_id,
            action,
            call_id
        );
    } else {
        tracing::info!(
            "executing - rsc:{} action:{} call_id:{}",
            rsc_id,
            action,
            call_id
        );
    }
}

fn log_finished(op: &Operation, exec_time: i32, queue_time: i32) {
    let mut text = format!("{} {} (call {}", op.rsc_id, op.action, op.call_id);
    if op.result.exec_status == exec_status::DONE {
        text.push_str(&format!(") exited with status {}", op.result.exit_status));
    } else {
        text.push_str(&format!(
            ") could not be executed: {}",
            exec_status::describe(op.result.exec_status)
        ));
    }
    if let Some(reason) = &op.result.exit_reason {
        text.push_str(&format!(" ({reason})"));
    }
    text.push_str(&format!(
        " (execution time {}",
        agent::readable_interval(exec_time.max(0) as u64)
    ));
    if queue_time > 0 {
        text.push_str(&format!(
            " after being queued {}",
            agent::readable_interval(queue_time as u64)
        ));
    }
    text.push(')');
    if op.action.eq_ignore_ascii_case("monitor") {
        tracing::debug!("{}", text);
    } else {
        tracing::info!("{}", text);
    }
}
