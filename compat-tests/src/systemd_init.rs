//! Nodes whose PID 1 is the real systemd, for systemd resources.
//!
//! systemd runs as PID 1 of the node's PID namespace, booted into a small target of its
//! own (`pcmk-test.target`, from the node's private /run/systemd/system) that pulls in only
//! the D-Bus system bus (units of our own there, without the default dependencies that
//! would start the host's sysinit services). Its console is a file in the node's Pacemaker
//! log directory. The node's teardown SIGKILLs it like any holder.
//!
//! Such systemd instances share the machine's cgroup tree, so only one runs at a time:
//! [`SystemdLock`] serializes them across test processes.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

pub const SYSTEMD_BINARY: &str = "/lib/systemd/systemd";
/// The target the node's systemd boots into.
pub const TEST_TARGET: &str = "pcmk-test.target";
/// Where the node's systemd writes its messages (inside the node; bound from its
/// directory's `log-pacemaker`).
pub const CONSOLE_LOG: &str = "/var/log/pacemaker/systemd-console.log";
const LOCK_FILE: &str = "/run/lock/pcmk-rs-compat-systemd.lock";

/// Whether systemd is installed here.
pub fn systemd_installed() -> bool {
    Path::new(SYSTEMD_BINARY).is_file()
}

/// The holder's PID 1 line for a systemd node.
pub fn systemd_init_line() -> String {
    format!("exec {SYSTEMD_BINARY} --system --unit={TEST_TARGET} --show-status=no --log-level=info --log-target=console")
}

/// Holder setup lines for a systemd node: the boot target, the D-Bus units, the console,
/// and `units` (file name, content) in /run/systemd/system.
pub fn systemd_holder_setup(units: &[(&str, &str)]) -> String {
    let mut files: Vec<(&str, String)> = vec![
        (
            TEST_TARGET,
            "[Unit]\nDescription=pacemaker-rs compat test target\nDefaultDependencies=no\n\
             Wants=dbus.socket dbus.service\n"
                .to_owned(),
        ),
        (
            "dbus.socket",
            "[Unit]\nDescription=D-Bus System Message Bus Socket (compat test)\nDefaultDependencies=no\n\
             [Socket]\nListenStream=/run/dbus/system_bus_socket\n"
                .to_owned(),
        ),
        (
            "dbus.service",
            "[Unit]\nDescription=D-Bus System Message Bus (compat test)\nDefaultDependencies=no\n\
             Requires=dbus.socket\n[Service]\n\
             ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only\n\
             StandardOutput=null\nStandardError=null\n"
                .to_owned(),
        ),
    ];
    files.extend(units.iter().map(|(name, text)| (*name, (*text).to_owned())));
    let mut script = String::from("mkdir -p /run/systemd/system /run/dbus\n");
    for (name, text) in files {
        script.push_str(&format!(
            "printf '%s' {} > /run/systemd/system/{}\n",
            crate::sandbox::shell_quote(&text),
            name
        ));
    }
    script.push_str(&format!(": > {CONSOLE_LOG}\nmount --bind {CONSOLE_LOG} /dev/console\n"));
    script
}

/// A probe (for [`crate::Node::wait_until_ready`]) that succeeds once systemd answers on
/// the system bus.
pub const SYSTEMD_ON_BUS_PROBE: [&str; 10] = [
    "busctl",
    "--system",
    "call",
    "org.freedesktop.systemd1",
    "/org/freedesktop/systemd1",
    "org.freedesktop.DBus.Peer",
    "Ping",
    "--timeout=2",
    "--quiet",
    "--no-pager",
];

/// Held while a systemd node runs (an exclusive lock on a file of the host's /run/lock).
pub struct SystemdLock {
    _file: File,
}

impl SystemdLock {
    /// Waits for the lock.
    pub fn acquire() -> io::Result<SystemdLock> {
        let file = File::options().create(true).truncate(false).write(true).open(LOCK_FILE)?;
        loop {
            // SAFETY: flock on a descriptor we own; released when the file is closed.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(SystemdLock { _file: file });
            }
            let error = io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::EINTR) {
                return Err(error);
            }
        }
    }
}
