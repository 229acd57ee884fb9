//! The D-Bus side of systemd actions: each request runs on its own thread with blocking
//! calls on a shared system bus connection (libdbus through the `dbus` crate), so the
//! executor's main loop never waits on systemd. Outcomes are queued and a pipe wakes
//! the loop.

use super::units;
use crate::result::ActionResult;
use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
use dbus::blocking::SyncConnection;
use liblrmd::protocol::{exec_status, ocf};
use std::io::Write as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

const BUS_NAME: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER_INTERFACE: &str = "org.freedesktop.systemd1.Manager";
const UNIT_INTERFACE: &str = "org.freedesktop.systemd1.Unit";
/// libdbus's default method call timeout, used where Pacemaker passes none.
const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(25);

/// One systemd action to carry out.
#[derive(Debug, Clone)]
pub struct Request {
    /// Matches the outcome to its operation (a late outcome of a cancelled or timed-out
    /// operation matches nothing and is dropped).
    pub seq: u64,
    pub rsc_id: String,
    /// The agent as configured (unit name possibly without suffix).
    pub agent: String,
    /// The action as given to the agent (`status` for a monitor).
    pub action: String,
    pub timeout_ms: i32,
    /// Class `service`: first check that systemd knows the unit.
    pub check_exists: bool,
}

/// How a systemd action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(ActionResult),
    /// No answer to report: Pacemaker then waits for its own timeout of the action.
    NoAnswer,
    /// Class `service` and systemd does not know the unit: it is an LSB script after all.
    NotAUnit,
}

/// The executor's link to the system bus: the connection (made when first needed) and
/// the queue of finished requests.
pub struct SystemdBus {
    connection: Arc<Mutex<Option<Arc<SyncConnection>>>>,
    sender: mpsc::Sender<(u64, Outcome)>,
    receiver: mpsc::Receiver<(u64, Outcome)>,
    wake_read: OwnedFd,
    wake_write: Arc<OwnedFd>,
}

impl SystemdBus {
    pub fn new() -> std::io::Result<SystemdBus> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two-element array with new descriptors we then own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are owned by nothing else.
        let (wake_read, wake_write) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let (sender, receiver) = mpsc::channel();
        Ok(SystemdBus {
            connection: Arc::new(Mutex::new(None)),
            sender,
            receiver,
            wake_read,
            wake_write: Arc::new(wake_write),
        })
    }

    /// The descriptor that becomes readable when outcomes are waiting.
    pub fn wake_fd(&self) -> RawFd {
        self.wake_read.as_raw_fd()
    }

    /// Starts `request` on a thread of its own.
    pub fn submit(&self, request: Request) {
        let connection = Arc::clone(&self.connection);
        let sender = self.sender.clone();
        let wake = Arc::clone(&self.wake_write);
        let seq = request.seq;
        let spawned = std::thread::Builder::new()
            .name("systemd-dbus".into())
            .spawn(move || {
                let outcome = carry_out(&connection, &request);
                deliver(&sender, &wake, request.seq, outcome);
            });
        if let Err(e) = spawned {
            tracing::error!("Cannot start a thread for a systemd action: {}", e);
            let failed = ActionResult::new(
                ocf::UNKNOWN_ERROR,
                exec_status::ERROR,
                Some("Unable to send DBus message".into()),
            );
            deliver(&self.sender, &self.wake_write, seq, Outcome::Done(failed));
        }
    }

    /// Every outcome that has arrived (empties the wake pipe first).
    pub fn take_outcomes(&self) -> Vec<(u64, Outcome)> {
        let mut buf = [0u8; 256];
        // SAFETY: reading into a local buffer from our own non-blocking pipe.
        while unsafe {
            libc::read(
                self.wake_read.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        } > 0
        {}
        self.receiver.try_iter().collect()
    }
}

/// Queues an outcome and wakes the main loop.
fn deliver(sender: &mpsc::Sender<(u64, Outcome)>, wake: &OwnedFd, seq: u64, outcome: Outcome) {
    // A closed channel means the executor is shutting down: nothing to deliver to.
    if sender.send((seq, outcome)).is_ok() {
        // SAFETY: writing one byte from a local buffer to our own pipe; a full pipe
        // (EAGAIN) already guarantees a wake-up.
        unsafe { libc::write(wake.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
    }
}

/// The shared connection, made (or remade after a disconnect) as needed.
fn connect(slot: &Mutex<Option<Arc<SyncConnection>>>) -> Option<Arc<SyncConnection>> {
    let mut guard = match slot.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(existing) = guard.as_ref() {
        if existing.channel().is_connected() {
            return Some(Arc::clone(existing));
        }
        tracing::warn!("Connection to System DBus is closed. Reconnecting...");
        *guard = None;
    }
    match SyncConnection::new_system() {
        Ok(connection) => {
            let connection = Arc::new(connection);
            *guard = Some(Arc::clone(&connection));
            Some(connection)
        }
        Err(e) => {
            tracing::error!(
                "Could not connect to DBus: {}",
                e.message().unwrap_or("unknown error")
            );
            None
        }
    }
}

/// How long a blocking call waits where Pacemaker waits synchronously (meta-data).
fn call_timeout(timeout_ms: i32) -> Duration {
    if timeout_ms > 0 {
        Duration::from_millis(timeout_ms as u64)
    } else {
        DEFAULT_CALL_TIMEOUT
    }
}

/// How long the calls of an action wait. Pacemaker makes them asynchronously, and in
/// practice (observed with a stopped dbus-daemon) their D-Bus timeouts never report: the
/// action's own timer (timeout plus grace) does. So these calls outwait that timer, whose
/// result wins; a late answer is dropped.
fn action_call_timeout(timeout_ms: i32) -> Duration {
    Duration::from_millis(timeout_ms.max(0) as u64 + 2 * super::TIMEOUT_GRACE_MS)
}

fn done(exit_status: i32, status: i32, reason: Option<String>) -> Outcome {
    Outcome::Done(ActionResult::new(exit_status, status, reason))
}

fn carry_out(slot: &Mutex<Option<Arc<SyncConnection>>>, request: &Request) -> Outcome {
    let Some(bus) = connect(slot) else {
        // Class service only asks systemd whether it knows the unit: without a bus it
        // does not, and the LSB script runs.
        if request.check_exists {
            return Outcome::NotAUnit;
        }
        return done(
            ocf::UNKNOWN_ERROR,
            exec_status::ERROR,
            Some("No DBus connection".into()),
        );
    };
    if request.check_exists && !unit_exists(&bus, &request.agent) {
        return Outcome::NotAUnit;
    }
    tracing::debug!(
        "Performing asynchronous {} op on systemd unit {} for resource {}",
        request.action,
        request.agent,
        request.rsc_id
    );
    if request.action.eq_ignore_ascii_case("meta-data") {
        let timeout = call_timeout(request.timeout_ms);
        let description = load_unit(&bus, &request.agent, true, DEFAULT_CALL_TIMEOUT)
            .ok()
            .and_then(|path| unit_property(&bus, &path, "Description", timeout));
        let mut result = ActionResult::new(ocf::OK, exec_status::DONE, None);
        result.stdout = Some(units::metadata(&request.agent, description.as_deref()));
        return Outcome::Done(result);
    }
    let timeout = action_call_timeout(request.timeout_ms);
    let path = match load_unit(&bus, &request.agent, false, timeout) {
        Ok(path) => path,
        Err(error) => {
            // Pacemaker maps the error (and logs it), then reports the missing object
            // instead, whatever the error was.
            method_error_result(request, &error);
            return done(
                ocf::UNKNOWN_ERROR,
                exec_status::ERROR,
                Some(format!(
                    "No DBus object found for systemd unit {}",
                    request.agent
                )),
            );
        }
    };
    let method = match request.action.as_str() {
        "monitor" | "status" => {
            return match unit_property(&bus, &path, "ActiveState", timeout) {
                Some(state) => Outcome::Done(units::result_from_active_state(&state)),
                None => Outcome::NoAnswer,
            };
        }
        "start" => {
            if write_override(&request.agent) {
                reload(&bus, timeout);
            }
            "StartUnit"
        }
        "stop" => {
            if remove_override(&request.agent) {
                reload(&bus, timeout);
            }
            "StopUnit"
        }
        "restart" => "RestartUnit",
        other => {
            return done(
                ocf::UNIMPLEMENT_FEATURE,
                exec_status::ERROR,
                Some(format!(
                    "Action {other} not implemented for systemd resources"
                )),
            )
        }
    };
    let Some(name) = units::unit_name(&request.agent, false) else {
        return done(
            ocf::UNKNOWN_ERROR,
            exec_status::ERROR,
            Some("Unable to invoke systemd DBus method".into()),
        );
    };
    let reply: Result<(dbus::Path<'static>,), dbus::Error> = bus
        .with_proxy(BUS_NAME, MANAGER_PATH, timeout)
        .method_call(MANAGER_INTERFACE, method, (name.as_str(), "replace"));
    match reply {
        Ok((job,)) => {
            tracing::debug!(
                "DBus request for {} of {} using {} succeeded",
                request.action,
                request.rsc_id,
                job
            );
            done(ocf::OK, exec_status::DONE, None)
        }
        Err(error) => Outcome::Done(method_error_result(request, &error)),
    }
}

/// `LoadUnit` (which also finds a unit already loaded): the unit's object path.
fn load_unit(
    bus: &SyncConnection,
    agent: &str,
    add_instance: bool,
    timeout: Duration,
) -> Result<dbus::Path<'static>, dbus::Error> {
    let name = units::unit_name(agent, add_instance).ok_or_else(|| {
        dbus::Error::new_custom("org.freedesktop.systemd1.InvalidName", "empty unit name")
    })?;
    let (path,): (dbus::Path<'static>,) = bus
        .with_proxy(BUS_NAME, MANAGER_PATH, timeout)
        .method_call(MANAGER_INTERFACE, "LoadUnit", (name.as_str(),))?;
    Ok(path)
}

/// A string property of a unit, or `None` (logged) when it cannot be read.
fn unit_property(
    bus: &SyncConnection,
    path: &dbus::Path<'static>,
    name: &str,
    timeout: Duration,
) -> Option<String> {
    match bus
        .with_proxy(BUS_NAME, path.clone(), timeout)
        .get::<String>(UNIT_INTERFACE, name)
    {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::error!(
                "DBus query for {} property '{}' failed: {}",
                path,
                name,
                e.message().unwrap_or("unknown error")
            );
            None
        }
    }
}

/// Whether systemd knows `agent` as a unit (loaded or masked), as class `service` asks.
fn unit_exists(bus: &SyncConnection, agent: &str) -> bool {
    let Ok(path) = load_unit(bus, agent, true, DEFAULT_CALL_TIMEOUT) else {
        return false;
    };
    matches!(
        unit_property(bus, &path, "LoadState", DEFAULT_CALL_TIMEOUT).as_deref(),
        Some("loaded" | "masked")
    )
}

/// Pacemaker's reading of a failed method call: an unknown unit is "not installed",
/// except that stopping it succeeds (it cannot be running).
fn method_error_result(request: &Request, error: &dbus::Error) -> ActionResult {
    let name = error.name().unwrap_or("");
    let unknown_unit = [
        "org.freedesktop.systemd1.InvalidName",
        "org.freedesktop.systemd1.LoadFailed",
        "org.freedesktop.systemd1.NoSuchUnit",
    ]
    .iter()
    .any(|known| name.contains(known));
    tracing::info!(
        "DBus request for {} of systemd unit {} for resource {} failed: {}",
        request.action,
        request.agent,
        request.rsc_id,
        error.message().unwrap_or("")
    );
    if !unknown_unit {
        return ActionResult::new(
            ocf::UNKNOWN_ERROR,
            exec_status::ERROR,
            Some("Unable to invoke systemd DBus method".into()),
        );
    }
    if request.action.eq_ignore_ascii_case("stop") {
        return ActionResult::new(ocf::OK, exec_status::DONE, None);
    }
    ActionResult::new(
        ocf::NOT_INSTALLED,
        exec_status::NOT_INSTALLED,
        Some(format!("systemd unit {} not found", request.agent)),
    )
}

/// Asks systemd to reload its unit files (after a drop-in changed); a failure is only
/// logged, as in Pacemaker.
fn reload(bus: &SyncConnection, timeout: Duration) {
    let reply: Result<(), dbus::Error> = bus
        .with_proxy(BUS_NAME, MANAGER_PATH, timeout)
        .method_call(MANAGER_INTERFACE, "Reload", ());
    if let Err(e) = reply {
        tracing::warn!(
            "Could not issue systemd reload: {}",
            e.message().unwrap_or("unknown error")
        );
    }
}

/// Writes the drop-in; returns whether it was written.
fn write_override(agent: &str) -> bool {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = units::override_dir(agent);
    if let Err(e) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&dir)
    {
        tracing::warn!(
            "Could not create systemd override directory {}: {}",
            dir.display(),
            e
        );
    }
    let file = units::override_file(agent);
    // World-readable whatever the umask (systemd warns about unreadable drop-ins).
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&file)
        .and_then(|mut f| {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
            f.write_all(units::override_text(agent).as_bytes())
        });
    match written {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(
                "Cannot write systemd override file {}: {}",
                file.display(),
                e
            );
            false
        }
    }
}

/// Removes the drop-in; returns whether there was one.
fn remove_override(agent: &str) -> bool {
    let file = units::override_file(agent);
    match std::fs::remove_file(&file) {
        Ok(()) => true,
        Err(e) => {
            // A stop of a stopped resource finds none, which is fine.
            tracing::debug!(
                "Cannot remove systemd override file {}: {}",
                file.display(),
                e
            );
            false
        }
    }
}
