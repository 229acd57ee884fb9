//! Logging through `tracing`, written in Pacemaker's detail-log line format:
//!
//! `Nov 23 13:45:01.123 node1 pacemaker-based     [1234] (function) \tinfo: message`
//!
//! Honours `PCMK_logfile` (default /var/log/pacemaker/pacemaker.log, `none` to disable),
//! `PCMK_stderr`, `PCMK_debug` (`yes` or a list of daemon names) and `PCMK_logfacility`
//! (`none` disables syslog; we never write to syslog ourselves, there is no /dev/log in our
//! sandboxes, but the setting is accepted).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

pub const DEFAULT_LOGFILE: &str = "/var/log/pacemaker/pacemaker.log";

struct PacemakerFormat {
    daemon: String,
    node: String,
    pid: u32,
    max_level: Level,
    file: Option<Mutex<File>>,
    stderr: bool,
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    function: Option<String>,
    /// A `priority = "notice"` field: syslog's notice, which `tracing` has no level for
    /// (logged at INFO, printed as Pacemaker prints notices).
    priority: Option<String>,
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "function" {
            self.function = Some(value.to_owned());
        } else if field.name() == "priority" {
            self.priority = Some(value.to_owned());
        } else if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.message, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "function" {
            self.function = Some(format!("{value:?}"));
        } else if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.message, " {}={:?}", field.name(), value);
        }
    }
}

fn priority_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// The local time as libqb's hi-res `%T` prints it: `Nov 23 13:45:01.123`.
pub fn timestamp() -> String {
    // SAFETY: time/localtime_r on stack values.
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts);
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&ts.tv_sec, &mut tm);
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        format!(
            "{} {:02} {:02}:{:02}:{:02}.{:03}",
            MONTHS[tm.tm_mon.clamp(0, 11) as usize],
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
            ts.tv_nsec / 1_000_000
        )
    }
}

impl<S: Subscriber> Layer<S> for PacemakerFormat {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *metadata.level() <= self.max_level
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > self.max_level {
            return;
        }
        let mut v = MessageVisitor::default();
        event.record(&mut v);
        let function = v
            .function
            .unwrap_or_else(|| meta.module_path().and_then(|m| m.rsplit("::").next()).unwrap_or("main").to_owned());
        let priority = v.priority.as_deref().unwrap_or_else(|| priority_name(meta.level()));
        let tail = format!("({function}) \t{priority}: {}\n", v.message);
        if let Some(file) = &self.file {
            let line = format!("{} {} {:<20}[{}] {}", timestamp(), self.node, self.daemon, self.pid, tail);
            if let Ok(mut f) = file.lock() {
                let _ = f.write_all(line.as_bytes());
            }
        }
        if self.stderr {
            let _ = std::io::stderr().write_all(tail.as_bytes());
        }
    }
}

/// The node name as Pacemaker's logs show it (uname -n).
pub fn node_name() -> String {
    // SAFETY: uname into a zeroed struct.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) == 0 {
            return std::ffi::CStr::from_ptr(u.nodename.as_ptr()).to_string_lossy().into_owned();
        }
    }
    "localhost".to_owned()
}

fn debug_enabled_for(daemon: &str) -> bool {
    match crate::options::env_option("debug") {
        None => false,
        Some(v) if crate::options::is_true(&v) => true,
        Some(v) => v.split([',', ' ']).any(|d| d.trim() == daemon),
    }
}

/// As root, gives the log file to the cluster user and group (mode 0660, or
/// `PCMK_logfile_mode`) as Pacemaker does, so the daemons running as hacluster can write to a
/// file a root daemon created first.
fn set_logfile_permissions(path: &str, file: &std::fs::File) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let Ok(meta) = file.metadata() else { return };
    let Some((uid, gid)) = crate::users::user_ids(crate::users::CLUSTER_USER) else {
        eprintln!("Not changing '{path}' ownership because user information is unavailable");
        return;
    };
    let group_rw = meta.mode() & 0o070 == 0o060;
    if meta.gid() != gid || !group_rw {
        if let Err(e) = std::os::unix::fs::fchown(file, Some(uid), Some(gid)) {
            eprintln!("Couldn't change '{path}' ownership to user {}: {e}", crate::users::CLUSTER_USER);
        }
    }
    let mode = std::env::var("PCMK_logfile_mode")
        .ok()
        .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
        .unwrap_or(0o660);
    if mode != 0 {
        if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(mode)) {
            eprintln!("Couldn't change '{path}' mode to {mode:04o}: {e}");
        }
    }
}

/// Installs the global logger for daemon `daemon`. `to_stderr` forces stderr output (e.g. `-V`
/// on the command line); `verbosity` raises the level one step per count.
pub fn init(daemon: &str, to_stderr: bool, verbosity: u8) {
    let logfile = crate::options::env_option("logfile").unwrap_or_else(|| DEFAULT_LOGFILE.to_owned());
    let file = if logfile == "none" || logfile == "/dev/null" {
        None
    } else {
        match OpenOptions::new().create(true).append(true).open(&logfile) {
            Ok(f) => {
                set_logfile_permissions(&logfile, &f);
                Some(Mutex::new(f))
            }
            Err(e) => {
                eprintln!("{daemon}: could not open log file {logfile}: {e}");
                None
            }
        }
    };
    let mut max_level = if debug_enabled_for(daemon) { Level::DEBUG } else { Level::INFO };
    if verbosity >= 1 {
        max_level = Level::DEBUG;
    }
    if verbosity >= 2 {
        max_level = Level::TRACE;
    }
    let stderr = to_stderr || crate::options::env_is_true("stderr") || file.is_none();
    let layer = PacemakerFormat {
        daemon: daemon.to_owned(),
        node: node_name(),
        pid: std::process::id(),
        max_level,
        file,
        stderr,
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
    route_libqb_logs(daemon);
}

unsafe extern "C" fn libqb_log_sink(
    _target: i32,
    cs: *mut libqb_sys::qb_log_callsite,
    _timestamp: *mut libqb_sys::timespec,
    msg: *const libc::c_char,
) {
    if cs.is_null() || msg.is_null() {
        return;
    }
    let text = std::ffi::CStr::from_ptr(msg).to_string_lossy();
    let function = if (*cs).function.is_null() {
        "libqb".into()
    } else {
        std::ffi::CStr::from_ptr((*cs).function).to_string_lossy()
    };
    match (*cs).priority as i32 {
        p if p <= libc::LOG_ERR => tracing::error!(function = &*function, "{}", text),
        p if p <= libc::LOG_WARNING => tracing::warn!(function = &*function, "{}", text),
        p if p <= libc::LOG_INFO => tracing::info!(function = &*function, "{}", text),
        _ => tracing::debug!(function = &*function, "{}", text),
    }
}

fn route_libqb_logs(daemon: &str) {
    let Ok(name) = std::ffi::CString::new(daemon) else { return };
    // SAFETY: libqb copies the name; the sink is a 'static function.
    unsafe {
        libqb_sys::qb_log_init(name.as_ptr(), libc::LOG_DAEMON, libc::LOG_INFO as u8);
        libqb_sys::qb_log_ctl(libqb_sys::qb_log_target_slot_QB_LOG_SYSLOG as i32, libqb_sys::qb_log_conf_QB_LOG_CONF_ENABLED, 0);
        let t = libqb_sys::qb_log_custom_open(Some(libqb_log_sink), None, None, std::ptr::null_mut());
        if t >= 0 {
            libqb_sys::qb_log_ctl(t, libqb_sys::qb_log_conf_QB_LOG_CONF_ENABLED, 1);
            libqb_sys::qb_log_filter_ctl(
                t,
                libqb_sys::qb_log_filter_conf_QB_LOG_FILTER_ADD,
                libqb_sys::qb_log_filter_type_QB_LOG_FILTER_FILE,
                c"*".as_ptr(),
                libc::LOG_INFO as u8,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    /// A log file a root daemon creates must stay writable for the daemons that run as
    /// hacluster (pacemakerd creates it before it starts pacemaker-based).
    #[test]
    fn root_gives_the_log_file_to_the_cluster_group() {
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let Some((uid, gid)) = crate::users::user_ids(crate::users::CLUSTER_USER) else { return };
        if !root {
            return;
        }
        let path = std::env::temp_dir().join(format!("pcmk-rs-logfile-{}", std::process::id()));
        let file = OpenOptions::new().create(true).append(true).open(&path).unwrap();
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).unwrap();
        set_logfile_permissions(path.to_str().unwrap(), &file);
        let meta = std::fs::metadata(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o777), (uid, gid, 0o660));
    }
}
