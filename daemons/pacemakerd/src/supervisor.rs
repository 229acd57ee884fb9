//! The launcher's bookkeeping of its subdaemons: starting them, noticing that one died
//! (reaped child or failed liveness check), respawning it or giving up by Pacemaker's rules,
//! and the step-wise shutdown in reverse start order.

use crate::exit_codes;
use crate::liveness::{self, EndpointProbe, PidCheck};
use crate::state::LauncherState;
use crate::subdaemons::{self, Credentials, Spec, CONTROLLER, SUBDAEMONS};
use libcrmcommon::mainloop::Timers;
use std::path::PathBuf;
use std::time::Duration;

/// A subdaemon is given up after this many exits.
pub const MAX_RESPAWN: i32 = 100;
/// Consecutive "PID alive but IPC dead" checks before the process is killed.
const CHECK_RETRIES: u32 = 5;
/// One subdaemon is checked per interval, in turn.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// How long a subdaemon other than the controller may take to stop before SIGSEGV.
const SHUTDOWN_ESCALATION: Duration = Duration::from_secs(180);
/// Rounds of looking for subdaemons already running at start-up (250 ms apart).
const WAIT_TRIES: i32 = 4;
/// Pause between "still waiting" log lines during shutdown (seconds).
const STILL_WAITING_LOG_PERIOD: i64 = 30;

/// One subdaemon and what the launcher knows about it.
#[derive(Debug)]
pub struct Subdaemon {
    pub spec: &'static Spec,
    /// 0 when not running (as far as we know).
    pub pid: i32,
    pub respawn_count: i32,
    pub respawn: bool,
    check_count: u32,
    needs_retry: bool,
    /// Adopted at start-up rather than started by us (we cannot reap it).
    active_before_startup: bool,
}

/// The result of [`Launcher::liveness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Liveness {
    Ok,
    /// The process runs but its IPC end-point does not answer (yet).
    PidOnly,
    Unresponsive,
    Unauthorized,
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    LivenessCheck,
    Escalate(usize),
}

/// Where the launcher stands with sbd (the watchdog daemon).
#[derive(Debug, Default)]
pub struct SbdLink {
    pub running_with_sbd: bool,
    pub sync_startup: bool,
    /// PID of the sbd client told "shutdown_complete"; exit waits for it to disconnect.
    pub shutdown_reported_to: Option<i32>,
    pub shutdown_reported_client_closed: bool,
}

pub struct Launcher {
    pub children: Vec<Subdaemon>,
    pub state: LauncherState,
    /// Epoch seconds of the last successful liveness check (reported to pings).
    pub last_good: i64,
    pub sbd: SbdLink,
    daemon_dir: PathBuf,
    /// hacluster's uid and primary gid, and its groups.
    cluster_user: Option<Credentials>,
    fatal_error: bool,
    shutdown_requested: bool,
    /// The next subdaemon the shutdown waits for (counts down; `None` before shutdown).
    shutdown_phase: Option<isize>,
    next_still_waiting_log: i64,
    next_check: usize,
    timers: Timers<Timer>,
    /// Set when the launcher is done: the exit code.
    pub finished: Option<i32>,
    /// Asked to resume the shutdown at the end of this loop iteration.
    shutdown_step_pending: bool,
    /// The node must be reset (a subdaemon asked for it, or fail-fast): the origin.
    pub panic_requested: Option<&'static str>,
}

impl Launcher {
    pub fn new(daemon_dir: PathBuf, cluster_user: Option<Credentials>) -> Launcher {
        Launcher {
            children: SUBDAEMONS
                .iter()
                .map(|spec| Subdaemon {
                    spec,
                    pid: 0,
                    respawn_count: 0,
                    respawn: true,
                    check_count: 0,
                    needs_retry: false,
                    active_before_startup: false,
                })
                .collect(),
            state: LauncherState::Init,
            last_good: crate::messages::now_epoch(),
            sbd: SbdLink::default(),
            daemon_dir,
            cluster_user,
            fatal_error: false,
            shutdown_requested: false,
            shutdown_phase: None,
            next_still_waiting_log: 0,
            next_check: 0,
            timers: Timers::new(),
            finished: None,
            shutdown_step_pending: false,
            panic_requested: None,
        }
    }

    fn binary(&self, index: usize) -> PathBuf {
        self.daemon_dir.join(self.children[index].spec.name)
    }

    /// Starts subdaemon `index`; false if it could not be.
    fn start_child(&mut self, index: usize) -> bool {
        let binary = self.binary(index);
        let child = &mut self.children[index];
        child.active_before_startup = false;
        child.check_count = 0;
        let credentials = if child.spec.as_cluster_user {
            match &self.cluster_user {
                Some(c) => {
                    tracing::info!(function = "start_child", "Using uid={} and group={} for process {}", c.uid, c.gid, child.spec.name);
                    Some(c.clone())
                }
                None => {
                    tracing::error!(function = "start_child", "Invalid user (hacluster) for {}: not found", child.spec.name);
                    return false;
                }
            }
        } else {
            None
        };
        match subdaemons::spawn(&binary, credentials.as_ref()) {
            Ok(pid) => {
                child.pid = pid;
                tracing::info!(function = "start_child", "Forked child {} for process {}", pid, child.spec.name);
                true
            }
            Err(e) => {
                // The C daemon's forked child logs this and exits CRM_EX_FATAL, which stops
                // the cluster; with no child to reap we take that path directly.
                tracing::error!(function = "start_child", "Could not execute {}: {}", binary.display(), e);
                child.pid = 0;
                self.fatal_child_failure(index);
                false
            }
        }
    }

    /// Sends `signal` to subdaemon `index` if it runs.
    fn stop_child(&self, index: usize, signal: i32) {
        let child = &self.children[index];
        if child.pid <= 0 {
            tracing::trace!(function = "stop_child", "Client {} not running", child.spec.name);
            return;
        }
        // SAFETY: kill has no memory preconditions.
        if unsafe { libc::kill(child.pid, signal) } == 0 {
            notice!(function = "stop_child", "Stopping {} | sent signal {} to process {}", child.spec.name, signal, child.pid);
        } else {
            tracing::error!(
                function = "stop_child", "Could not stop {} (process {}) with signal {}: {}",
                child.spec.name, child.pid, signal, std::io::Error::last_os_error()
            );
        }
    }

    /// Checks subdaemon `index` through its IPC end-point and its PID, adopting a process
    /// that serves the end-point when ours does not.
    fn liveness(&mut self, index: usize) -> Liveness {
        let (uid, gid) = if self.children[index].spec.as_cluster_user {
            match &self.cluster_user {
                Some(c) => (c.uid, c.gid),
                None => {
                    tracing::error!("Could not find user and group IDs for user hacluster");
                    return Liveness::Invalid;
                }
            }
        } else {
            (0, 0)
        };
        let binary = self.binary(index);
        let child = &mut self.children[index];
        let mut ipc_pid = 0;
        let mut rc = match liveness::probe_endpoint(child.spec.endpoint, uid, gid) {
            EndpointProbe::Served { pid } => {
                ipc_pid = pid;
                if child.pid <= 0 {
                    child.pid = pid;
                    Liveness::Ok
                } else if pid != 0 && child.pid != pid {
                    // Someone else (authorised) serves it: look closer below.
                    Liveness::Unresponsive
                } else {
                    Liveness::Ok
                }
            }
            EndpointProbe::Unresponsive => Liveness::Unresponsive,
            EndpointProbe::Unauthorized { .. } => Liveness::Unauthorized,
        };
        if rc == Liveness::Unresponsive {
            let ours = liveness::pid_active(child.pid, &binary);
            if ipc_pid != 0 && (ours != PidCheck::Active || liveness::pid_active(ipc_pid, &binary) == PidCheck::Active) {
                if ours == PidCheck::Active {
                    // Ours lost the end-point to another authentic process: keep that one.
                    self.stop_child(index, libc::SIGKILL);
                }
                self.children[index].pid = ipc_pid;
                rc = Liveness::Ok;
            } else if ours == PidCheck::Active {
                rc = Liveness::PidOnly;
            } else if child.pid == 0 && ours == PidCheck::Invalid {
                rc = Liveness::Unresponsive;
            } else {
                rc = match ours {
                    PidCheck::NotPermitted => Liveness::Unauthorized,
                    PidCheck::Gone => Liveness::Unresponsive,
                    PidCheck::Invalid => Liveness::Invalid,
                    PidCheck::Active => Liveness::PidOnly,
                };
            }
        }
        rc
    }

    /// Looks for subdaemons already running (a restarted launcher) and adopts them.
    /// Err carries the exit code when the launcher must not start.
    pub fn find_and_track_existing(&mut self) -> Result<(), i32> {
        for round in 1..=WAIT_TRIES {
            let mut wait_in_progress = false;
            for index in 0..self.children.len() {
                if self.children[index].respawn_count < 0 {
                    continue;
                }
                let rc = self.liveness(index);
                if rc == Liveness::Unresponsive {
                    continue;
                }
                let child = &mut self.children[index];
                child.respawn_count = round;
                match rc {
                    Liveness::Ok => {
                        notice!(function = "find_and_track_existing_processes", "Tracking existing {} process (pid={})", child.spec.name, child.pid);
                        child.respawn_count = -1;
                        child.active_before_startup = true;
                    }
                    Liveness::PidOnly => {
                        if round == WAIT_TRIES {
                            tracing::error!(
                                function = "find_and_track_existing_processes", priority = "crit", "{} IPC end-point for existing authentic process {} did not (re)appear",
                                child.spec.endpoint, child.pid
                            );
                            return Err(exit_codes::FATAL);
                        }
                        wait_in_progress = true;
                        tracing::warn!(
                            function = "find_and_track_existing_processes", "Cannot find {} IPC end-point for existing authentic process {}, can still (re)appear in {} attempts (?)",
                            child.spec.endpoint, child.pid, WAIT_TRIES - round
                        );
                    }
                    Liveness::Unauthorized => {
                        tracing::error!(function = "find_and_track_existing_processes", priority = "crit", "Checked liveness of {}: Unauthorized IPC server", child.spec.name);
                        return Err(exit_codes::CANTCREAT);
                    }
                    Liveness::Unresponsive | Liveness::Invalid => {
                        tracing::error!(function = "find_and_track_existing_processes", priority = "crit", "Checked liveness of {}: {:?}", child.spec.name, rc);
                        return Err(exit_codes::FATAL);
                    }
                }
            }
            if !wait_in_progress {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        for child in &mut self.children {
            child.respawn_count = 0;
        }
        self.timers.add(CHECK_INTERVAL, Timer::LivenessCheck);
        Ok(())
    }

    /// Starts every subdaemon not already tracked, in order; from then on a start is a
    /// respawn (`PCMK_respawned=true` tells the daemons).
    pub fn init_children(&mut self) {
        for index in 0..self.children.len() {
            if self.children[index].pid == 0 {
                self.start_child(index);
            }
        }
        std::env::set_var("PCMK_respawned", "true");
        self.state = LauncherState::Running;
    }

    /// A reaped child: log how it ended and apply the respawn rules.
    pub fn on_child_exit(&mut self, pid: i32, status: i32) {
        let Some(index) = self.children.iter().position(|c| c.pid == pid && pid > 0) else { return };
        let name = self.children[index].spec.name;
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            let core = if libc::WCOREDUMP(status) { " and dumped core" } else { "" };
            let text = signal_name(signal);
            if signal == libc::SIGKILL {
                tracing::warn!(function = "pcmk_child_exit", "{}[{}] terminated with signal {} ({}){}", name, pid, signal, text, core);
            } else {
                tracing::error!(function = "pcmk_child_exit", "{}[{}] terminated with signal {} ({}){}", name, pid, signal, text, core);
            }
        } else {
            let code = libc::WEXITSTATUS(status);
            match code {
                exit_codes::OK => tracing::info!(function = "pcmk_child_exit", "{}[{}] exited with status {} ({})", name, pid, code, exit_codes::describe(code)),
                exit_codes::FATAL => {
                    tracing::warn!(function = "pcmk_child_exit", "Shutting cluster down because {}[{}] had fatal failure", name, pid);
                    self.children[index].pid = 0;
                    self.fatal_child_failure(index);
                }
                exit_codes::PANIC => {
                    tracing::error!(function = "pcmk_child_exit", priority = "emerg", "{}[{}] instructed the machine to reset", name, pid);
                    // The reset comes first (the main loop acts on it before anything
                    // else); there is no orderly shutdown after it.
                    self.children[index].respawn = false;
                    self.fatal_error = true;
                    self.panic_requested = Some("pcmk_child_exit");
                }
                _ => tracing::error!(function = "pcmk_child_exit", "{}[{}] exited with status {} ({})", name, pid, code, exit_codes::describe(code)),
            }
        }
        self.process_exit(index);
    }

    /// A subdaemon failed in a way that must not be retried: stop the whole node.
    fn fatal_child_failure(&mut self, index: usize) {
        self.children[index].respawn = false;
        self.fatal_error = true;
        self.request_shutdown();
    }

    /// Subdaemon `index` is gone: respawn it or not.
    fn process_exit(&mut self, index: usize) {
        let child = &mut self.children[index];
        child.pid = 0;
        child.active_before_startup = false;
        child.check_count = 0;
        child.respawn_count += 1;
        if child.respawn_count > MAX_RESPAWN {
            tracing::error!(function = "pcmk_process_exit", "Child respawn count exceeded by {}", child.spec.name);
            child.respawn = false;
        }
        let name = child.spec.name;
        let endpoint = child.spec.endpoint;
        let needs_cluster = child.spec.needs_cluster;
        if self.shutdown_requested {
            self.shutdown_step_pending = true;
        } else if !self.children[index].respawn {
            // Given up on it.
        } else if std::env::var("PCMK_fail_fast").is_ok_and(|v| libcrmcommon::options::is_true(&v)) {
            tracing::error!(function = "pcmk_process_exit", "Rebooting system because of {}", name);
            self.panic_requested = Some("pcmk_process_exit");
        } else if self.liveness(index) == Liveness::Ok {
            tracing::warn!(
                function = "pcmk_process_exit", "One-off suppressing strict respawning of a child process {}, appears alright per {} IPC end-point",
                name, endpoint
            );
        } else if needs_cluster && !crate::corosync::cluster_connected() {
            notice!(function = "pcmk_process_exit", "Not respawning {} subdaemon until cluster returns", name);
            self.children[index].needs_retry = true;
        } else {
            notice!(function = "pcmk_process_exit", "Respawning {} subdaemon after unexpected exit", name);
            self.start_child(index);
        }
    }

    /// Starts the subdaemons that waited for the cluster layer to come back.
    pub fn restart_cluster_subdaemons(&mut self) {
        for index in 0..self.children.len() {
            if !self.children[index].needs_retry || self.children[index].pid != 0 {
                continue;
            }
            notice!(function = "restart_cluster_subdaemons", "Respawning cluster-based subdaemon: {}", self.children[index].spec.name);
            if self.start_child(index) {
                self.children[index].needs_retry = false;
            }
        }
    }

    /// Begins (or resumes) the shutdown of the node.
    pub fn request_shutdown(&mut self) {
        self.shutdown_requested = true;
        self.shutdown_step_pending = true;
    }

    pub fn shutdown_requested(&self) -> bool {
        self.shutdown_requested
    }

    /// Runs the shutdown step if one was asked for during this loop iteration.
    pub fn after_iteration(&mut self) {
        if self.shutdown_step_pending && self.finished.is_none() {
            self.shutdown_step_pending = false;
            self.shutdown_step();
        }
    }

    /// One step of the shutdown: stop the last running subdaemon (in reverse start order)
    /// and wait for it; when none is left, finish.
    fn shutdown_step(&mut self) {
        let last = self.children.len() as isize - 1;
        let mut phase = self.shutdown_phase.unwrap_or(last);
        // Said on every step that starts at the controller, as Pacemaker does.
        if phase == last {
            notice!(function = "pcmk_shutdown_worker", "Shutting down Pacemaker");
            self.state = LauncherState::ShuttingDown;
        }
        while phase >= 0 {
            let index = phase as usize;
            if self.children[index].pid != 0 {
                let now = crate::messages::now_epoch();
                if self.children[index].respawn {
                    self.next_still_waiting_log = now + STILL_WAITING_LOG_PERIOD;
                    self.children[index].respawn = false;
                    self.stop_child(index, libc::SIGTERM);
                    if index < CONTROLLER {
                        self.timers.add(SHUTDOWN_ESCALATION, Timer::Escalate(index));
                    }
                } else if now >= self.next_still_waiting_log {
                    self.next_still_waiting_log = now + STILL_WAITING_LOG_PERIOD;
                    notice!(
                        function = "pcmk_shutdown_worker", "Still waiting for {} to terminate | pid={}",
                        self.children[index].spec.name, self.children[index].pid
                    );
                }
                self.shutdown_phase = Some(phase);
                return;
            }
            tracing::debug!(function = "pcmk_shutdown_worker", "{} confirmed stopped", self.children[index].spec.name);
            phase -= 1;
        }
        self.shutdown_phase = Some(-1);
        notice!(function = "pcmk_shutdown_worker", "Shutdown complete");
        self.state = LauncherState::ShutdownComplete;
        if !self.fatal_error && self.sbd.running_with_sbd && self.sbd.sync_startup && !self.sbd.shutdown_reported_client_closed {
            notice!(function = "pcmk_shutdown_worker", "Waiting for SBD to pick up shutdown-complete-state.");
            return;
        }
        if let Some(delay) = libcrmcommon::options::env_option("shutdown_delay") {
            // SAFETY: sync has no preconditions.
            unsafe { libc::sync() };
            std::thread::sleep(parse_interval(&delay));
        }
        if self.fatal_error {
            notice!(function = "pcmk_shutdown_worker", "Shutting down and staying down after fatal error");
            self.finished = Some(exit_codes::FATAL);
        } else {
            self.finished = Some(exit_codes::OK);
        }
    }

    pub fn fatal_error(&self) -> bool {
        self.fatal_error
    }

    /// How long the loop may sleep before a timer is due.
    pub fn next_timeout(&self) -> Option<Duration> {
        self.timers.next_timeout()
    }

    /// Runs the due timers.
    pub fn on_timers(&mut self) {
        for timer in self.timers.expired() {
            match timer {
                Timer::LivenessCheck => {
                    self.check_next_subdaemon();
                    self.timers.add(CHECK_INTERVAL, Timer::LivenessCheck);
                }
                Timer::Escalate(index) => {
                    if self.children[index].pid != 0 {
                        tracing::error!(function = "escalate_shutdown", "Child {} not terminating in a timely manner, forcing", self.children[index].spec.name);
                        // SIGSEGV rather than SIGKILL: the core shows what it was doing.
                        self.stop_child(index, libc::SIGSEGV);
                    }
                }
            }
        }
    }

    /// The periodic check of one subdaemon (round robin).
    fn check_next_subdaemon(&mut self) {
        let index = self.next_check;
        self.next_check = (self.next_check + 1) % self.children.len();
        let rc = self.liveness(index);
        tracing::trace!(function = "check_next_subdaemon", "Checked {}[{}]: {:?}", self.children[index].spec.name, self.children[index].pid, rc);
        let child = &mut self.children[index];
        match rc {
            Liveness::Ok => {
                child.check_count = 0;
                self.last_good = crate::messages::now_epoch();
            }
            Liveness::PidOnly => {
                child.check_count += 1;
                if child.check_count >= CHECK_RETRIES {
                    tracing::error!(
                        function = "check_next_subdaemon", "{}[{}] is unresponsive to ipc after {} tries but we found the pid so have it killed that we can restart",
                        child.spec.name, child.pid, child.check_count
                    );
                    if child.respawn {
                        child.check_count = 0;
                    }
                    self.stop_child(index, libc::SIGKILL);
                } else {
                    notice!(function = "check_next_subdaemon", "{}[{}] is unresponsive to ipc after {} tries", child.spec.name, child.pid, child.check_count);
                    if child.respawn {
                        self.last_good = crate::messages::now_epoch();
                    }
                }
            }
            Liveness::Unresponsive => {
                if !child.respawn && child.respawn_count <= MAX_RESPAWN {
                    // Down and meant to be (shutting down): that is progress.
                    self.last_good = crate::messages::now_epoch();
                }
                if !child.active_before_startup {
                    // Our own child: the SIGCHLD handling takes care of it.
                    return;
                }
                if child.respawn {
                    tracing::error!(function = "check_next_subdaemon", "{}[{}] terminated", child.spec.name, child.pid);
                } else {
                    notice!(function = "check_next_subdaemon", "{}[{}] terminated", child.spec.name, child.pid);
                }
                self.process_exit(index);
            }
            Liveness::Unauthorized | Liveness::Invalid => {
                tracing::error!(function = "check_next_subdaemon", "Cannot check {}: {:?}; exiting", child.spec.name, rc);
                self.finished = Some(exit_codes::FATAL);
            }
        }
    }
}

/// `strsignal` text.
fn signal_name(signal: i32) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local string.
    let text = unsafe { libc::strsignal(signal) };
    if text.is_null() {
        return format!("Unknown signal {signal}");
    }
    // SAFETY: non-null, NUL-terminated.
    unsafe { std::ffi::CStr::from_ptr(text) }.to_string_lossy().into_owned()
}

/// A Pacemaker interval (`crm_get_msec`): a number with an optional unit (ms, s, m, h;
/// seconds by default). Unparsable text counts as zero.
pub fn parse_interval(text: &str) -> Duration {
    let text = text.trim();
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let Ok(value) = text[..digits].parse::<u64>() else { return Duration::ZERO };
    let unit = text[digits..].trim().to_ascii_lowercase();
    match unit.as_str() {
        "ms" | "msec" => Duration::from_millis(value),
        "" | "s" | "sec" => Duration::from_secs(value),
        "m" | "min" => Duration::from_secs(value.saturating_mul(60)),
        "h" | "hr" => Duration::from_secs(value.saturating_mul(3600)),
        "us" | "usec" => Duration::from_micros(value),
        _ => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("10"), Duration::from_secs(10));
        assert_eq!(parse_interval("500ms"), Duration::from_millis(500));
        assert_eq!(parse_interval("2m"), Duration::from_secs(120));
        assert_eq!(parse_interval("x"), Duration::ZERO);
    }

    #[test]
    fn respawn_limit_gives_up() {
        let mut launcher = Launcher::new(PathBuf::from("/nonexistent"), None);
        launcher.children[4].respawn_count = MAX_RESPAWN;
        launcher.process_exit(4);
        assert!(!launcher.children[4].respawn);
        assert_eq!(launcher.children[4].pid, 0);
    }

    #[test]
    fn shutdown_with_nothing_running_completes_at_once() {
        let mut launcher = Launcher::new(PathBuf::from("/nonexistent"), None);
        launcher.request_shutdown();
        launcher.after_iteration();
        assert_eq!(launcher.state, LauncherState::ShutdownComplete);
        assert_eq!(launcher.finished, Some(0));
    }
}
