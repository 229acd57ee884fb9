//! The six subdaemons, in start order (shutdown goes in reverse), and how one is started:
//! a new session, the daemon's user and groups, every inherited descriptor closed, standard
//! streams on /dev/null, no arguments, our environment.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian's Pacemaker keeps its subdaemons (`CRM_DAEMON_DIR`).
pub const DEFAULT_DAEMON_DIR: &str = "/usr/lib/pacemaker";
/// Our own setting for a different directory (2.1.5 has it compiled in); for tests and for
/// mixing implementations.
pub const DAEMON_DIR_VARIABLE: &str = "PCMK_RS_DAEMON_DIR";

/// What is fixed about a subdaemon.
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    /// Runs as the cluster user (hacluster); otherwise as root.
    pub as_cluster_user: bool,
    /// The IPC server whose presence shows it alive.
    pub endpoint: &'static str,
    /// Not respawned while the cluster layer is down.
    pub needs_cluster: bool,
}

pub const SUBDAEMONS: [Spec; 6] = [
    Spec { name: "pacemaker-based", as_cluster_user: true, endpoint: "cib_ro", needs_cluster: true },
    Spec { name: "pacemaker-fenced", as_cluster_user: false, endpoint: "stonith-ng", needs_cluster: true },
    Spec { name: "pacemaker-execd", as_cluster_user: false, endpoint: "lrmd", needs_cluster: false },
    Spec { name: "pacemaker-attrd", as_cluster_user: true, endpoint: "attrd", needs_cluster: true },
    Spec { name: "pacemaker-schedulerd", as_cluster_user: true, endpoint: "pengine", needs_cluster: false },
    Spec { name: "pacemaker-controld", as_cluster_user: true, endpoint: "crmd", needs_cluster: true },
];

/// Index of the controller in [`SUBDAEMONS`] (its shutdown is never escalated).
pub const CONTROLLER: usize = 5;

/// The daemon directory in effect.
pub fn daemon_dir() -> PathBuf {
    match std::env::var_os(DAEMON_DIR_VARIABLE) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_DAEMON_DIR),
    }
}

/// Credentials a subdaemon runs with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (the user's groups, looked up before forking).
    pub groups: Vec<u32>,
}

/// Starts `binary` as described in the module comment; returns its PID.
pub fn spawn(binary: &Path, credentials: Option<&Credentials>) -> std::io::Result<i32> {
    let mut command = Command::new(binary);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let credentials = credentials.cloned();
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // system calls on data prepared before the fork (no allocation, no locks).
    unsafe {
        command.pre_exec(move || {
            libc::setsid();
            // The launcher blocks the signals it reads through a signalfd; a daemon that
            // inherited that mask would never see its SIGTERM.
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            if let Some(c) = &credentials {
                // On corosync clusters the root group is not needed: pacemakerd authorised
                // the cluster group in corosync's cmap.
                if libc::setgid(c.gid) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::setgroups(c.groups.len(), c.groups.as_ptr()) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::setuid(c.uid) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // Nothing of ours leaks into the daemon: mark every descriptor above the
            // standard streams close-on-exec (std's own error pipe already is).
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) != 0 {
                for fd in 3..1024 {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            Ok(())
        });
    }
    let child = command.spawn()?;
    // The launcher reaps its children itself (waitpid on SIGCHLD); the handle is not needed.
    Ok(child.id() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_users_are_pacemakers() {
        let names: Vec<_> = SUBDAEMONS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["pacemaker-based", "pacemaker-fenced", "pacemaker-execd", "pacemaker-attrd", "pacemaker-schedulerd", "pacemaker-controld"]
        );
        let root: Vec<_> = SUBDAEMONS.iter().filter(|s| !s.as_cluster_user).map(|s| s.name).collect();
        assert_eq!(root, ["pacemaker-fenced", "pacemaker-execd"]);
        assert_eq!(SUBDAEMONS[CONTROLLER].name, "pacemaker-controld");
    }

    #[test]
    fn spawned_child_has_no_blocked_signals() {
        let fd = libcrmcommon::mainloop::signal_fd(&[libc::SIGTERM]).unwrap();
        let pid = spawn(Path::new("/bin/sleep"), None).unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        unsafe { libc::kill(pid, libc::SIGKILL) };
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        unsafe { libc::close(fd) };
        let blocked = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap_or("SigBlk: ?");
        assert_eq!(blocked.split_whitespace().nth(1), Some("0000000000000000"), "{status}");
    }

    #[test]
    fn spawned_child_has_its_own_session() {
        let pid = spawn(Path::new("/bin/sleep"), None).unwrap();
        let mut status = 0;
        // The session id of the child is its own PID.
        let sid = unsafe { libc::getsid(pid) };
        unsafe { libc::kill(pid, libc::SIGKILL) };
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(sid, pid);
    }
}
