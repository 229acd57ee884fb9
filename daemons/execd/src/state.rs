//! The executor's data: registered resources and the operations on them.

use crate::agent::{AgentSpec, Invocation};
use crate::child::AgentProcess;
use crate::result::ActionResult;
use libcrmcommon::ipc::ClientId;
use libcrmcommon::mainloop::TimerId;
use liblrmd::Params;
use std::collections::VecDeque;
use std::time::Instant;

/// Internal handle of an operation (stable while it exists).
pub type OpId = u64;

/// A registered resource and its operation queues, as Pacemaker keeps them.
#[derive(Debug)]
pub struct Resource {
    pub id: String,
    pub spec: AgentSpec,
    /// Call options given at registration (drop-recurring on client exit).
    pub call_opts: u32,
    /// Operations not started yet, in order; the head waits for its start delay.
    pub pending: VecDeque<OpId>,
    /// The one operation being executed for this resource, if any.
    pub active: Option<OpId>,
    /// Recurring operations that have run at least once (and are not cancelled).
    pub recurring: Vec<OpId>,
    /// For fence devices: what a probe reports (exit status, execution status).
    pub fence_probe: (i32, i32),
}

/// When timers fire, what they are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerEvent {
    /// The operation's start delay has passed.
    StartDelay(OpId),
    /// The operation's agent ran out of time.
    Timeout(OpId),
    /// A recurring operation's interval has passed (run it again).
    Repeat(OpId),
    /// Time for the next attempt to connect to the fencer.
    FencerRetry,
}

/// Where an operation stands in the process layer.
#[derive(Debug, Default)]
pub enum Execution {
    /// Not handed to the process layer (queued, or waiting between runs of a fence monitor).
    #[default]
    Idle,
    /// Waiting for another process of the same resource to end.
    Blocked,
    Running(AgentProcess),
    /// A systemd action under way on the system bus (its request number).
    Systemd(u64),
    /// A recurring operation waiting for its next run.
    WaitingInterval(TimerId),
}

/// One requested operation (a recurring one lives until cancelled).
#[derive(Debug)]
pub struct Operation {
    pub rsc_id: String,
    /// The client that asked, for "notify originator only" and drop-recurring.
    pub client: Option<ClientId>,
    pub client_uuid: String,
    pub call_id: i32,
    pub call_opts: u32,
    pub action: String,
    pub interval_ms: u32,
    pub timeout_ms: i32,
    pub timeout_orig_ms: i32,
    pub start_delay_ms: i32,
    pub user_data: Option<String>,
    pub params: Params,
    /// `on-fail=block`: a timeout kills only the agent, not its process group.
    pub leave_group: bool,

    /// The result reported to clients (OCF exit codes).
    pub result: ActionResult,
    /// The raw result of the last process run (the agent's own exit codes).
    pub process_result: ActionResult,
    pub t_queue: Option<Instant>,
    pub t_first_queue: Option<Instant>,
    pub t_run: Option<Instant>,
    pub t_first_run: Option<Instant>,
    /// Wall-clock seconds of the last start, and of the last change of exit status.
    pub epoch_last_run: i64,
    pub epoch_rc_change: i64,
    pub first_notify_sent: bool,
    pub last_notify: (i32, i32),
    pub rsc_deleted: bool,

    pub delay_timer: Option<TimerId>,
    pub timeout_timer: Option<TimerId>,
    /// Next run of a recurring fence device monitor.
    pub fence_repeat_timer: Option<TimerId>,
    pub execution: Execution,
    /// The agent class and action name used for the process (e.g. `status`).
    pub agent_class: String,
    pub agent_action: String,
    /// A cancellation is under way: do not reschedule.
    pub cancel_requested: bool,
    /// The process was killed because it ran out of time.
    pub timed_out: bool,
    /// Known to the process layer as a recurring operation.
    pub services_recurring: bool,
    /// How the agent is run (kept for the next runs of a recurring operation).
    pub invocation: Option<Invocation>,
    /// An alert agent run: not tied to a resource, never blocked, never reported.
    pub is_alert: bool,
    /// A systemd start or stop being checked by monitors until it completes: the action
    /// reported (Pacemaker's `real_action`), while `action` is then `monitor`.
    pub real_action: Option<String>,
}

impl Operation {
    /// A newly requested operation: what was asked, with every piece of run-time state
    /// (results, timestamps, timers, notifications) at its start value.
    pub fn requested(
        rsc_id: &str,
        client: Option<ClientId>,
        client_uuid: &str,
        call_id: i32,
        timeout_ms: i32,
    ) -> Operation {
        Operation {
            rsc_id: rsc_id.to_owned(),
            client,
            client_uuid: client_uuid.to_owned(),
            call_id,
            call_opts: 0,
            action: String::new(),
            interval_ms: 0,
            timeout_ms,
            timeout_orig_ms: timeout_ms,
            start_delay_ms: 0,
            user_data: None,
            params: Params::default(),
            leave_group: false,
            result: ActionResult::default(),
            process_result: ActionResult::default(),
            t_queue: None,
            t_first_queue: None,
            t_run: None,
            t_first_run: None,
            epoch_last_run: 0,
            epoch_rc_change: 0,
            first_notify_sent: false,
            last_notify: (0, 0),
            rsc_deleted: false,
            delay_timer: None,
            timeout_timer: None,
            fence_repeat_timer: None,
            execution: Execution::Idle,
            agent_class: String::new(),
            agent_action: String::new(),
            cancel_requested: false,
            timed_out: false,
            services_recurring: false,
            invocation: None,
            is_alert: false,
            real_action: None,
        }
    }

    pub fn matches(&self, action: &str, interval_ms: u32) -> bool {
        self.interval_ms == interval_ms && self.action.eq_ignore_ascii_case(action)
    }

    pub fn pid(&self) -> Option<i32> {
        match &self.execution {
            Execution::Running(p) => Some(p.pid),
            _ => None,
        }
    }
}

/// Milliseconds from `earlier` to `later` (0 if either is unknown), as an `int`.
pub fn diff_ms(later: Option<Instant>, earlier: Option<Instant>) -> i32 {
    match (later, earlier) {
        (Some(l), Some(e)) => {
            i32::try_from(l.saturating_duration_since(e).as_millis()).unwrap_or(i32::MAX)
        }
        _ => 0,
    }
}

/// Seconds since the epoch.
pub fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
