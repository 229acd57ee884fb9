//! Is a subdaemon alive? Two probes, as Pacemaker uses them: connecting to the daemon's IPC
//! end-point and checking who serves it, and checking that a PID runs the expected binary.

use libqb_sys as qb;
use std::ffi::CString;
use std::path::Path;

/// How long a connection attempt to a subdaemon's end-point may take.
const CONNECT_TIMEOUT_MS: i32 = 2000;

/// What probing an IPC end-point found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointProbe {
    /// Served by an authorised process with this PID.
    Served { pid: i32 },
    /// Nobody answers.
    Unresponsive,
    /// Served by a process that is neither root nor the expected user/group.
    Unauthorized { pid: i32, uid: u32, gid: u32 },
}

/// Connects to `endpoint` and checks its server's credentials: accepted when it runs as
/// root, as `uid`, or with primary group `gid` (Pacemaker's "authentic process" rule).
pub fn probe_endpoint(endpoint: &str, uid: u32, gid: u32) -> EndpointProbe {
    let Ok(name) = CString::new(endpoint) else { return EndpointProbe::Unresponsive };
    let mut fd: i32 = -1;
    // SAFETY: the name is copied by libqb; fd is written on success.
    let conn = unsafe { qb::qb_ipcc_connect_async(name.as_ptr(), 0, &mut fd) };
    if conn.is_null() {
        tracing::info!(function = "pcmk__ipc_is_authentic_process_active", "Could not connect to {} IPC: {}", endpoint, std::io::Error::last_os_error());
        return EndpointProbe::Unresponsive;
    }
    let mut pollfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let ready = loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pollfd, 1, CONNECT_TIMEOUT_MS) };
        if rc >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break rc;
        }
    };
    if ready <= 0 {
        tracing::info!(function = "pcmk__ipc_is_authentic_process_active", "Could not connect to {} IPC: {}", endpoint, if ready == 0 { "timeout".to_owned() } else { std::io::Error::last_os_error().to_string() });
        // SAFETY: the half-open connection is ours to close.
        unsafe { qb::qb_ipcc_disconnect(conn) };
        return EndpointProbe::Unresponsive;
    }
    // SAFETY: conn came from connect_async; on failure libqb frees it itself.
    if unsafe { qb::qb_ipcc_connect_continue(conn) } != 0 {
        tracing::info!(function = "pcmk__ipc_is_authentic_process_active", "Could not connect to {} IPC: {}", endpoint, std::io::Error::last_os_error());
        return EndpointProbe::Unresponsive;
    }
    let (mut pid, mut found_uid, mut found_gid): (libc::pid_t, libc::uid_t, libc::gid_t) = (0, u32::MAX, u32::MAX);
    // SAFETY: live connection; out-parameters are ours.
    let rc = unsafe { qb::qb_ipcc_auth_get(conn, &mut pid, &mut found_uid, &mut found_gid) };
    // SAFETY: disconnect once; conn is not used afterwards.
    unsafe { qb::qb_ipcc_disconnect(conn) };
    if rc != 0 {
        tracing::error!(function = "pcmk__ipc_is_authentic_process_active", "Could not get peer credentials from {} IPC: {}", endpoint, std::io::Error::from_raw_os_error(-rc));
        return EndpointProbe::Unresponsive;
    }
    if found_uid == 0 || found_uid == uid || found_gid == gid {
        EndpointProbe::Served { pid }
    } else {
        tracing::error!(
            function = "pcmk__ipc_is_authentic_process_active", "Daemon (IPC {}) effectively blocked with unauthorized process {} (uid: {}, gid: {})",
            endpoint, pid, found_uid, found_gid
        );
        EndpointProbe::Unauthorized { pid, uid: found_uid, gid: found_gid }
    }
}

/// What checking a PID found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidCheck {
    /// Running the expected binary (or not verifiable but signalable).
    Active,
    /// No such process, or it runs something else (PID reused).
    Gone,
    /// Exists but may not be examined.
    NotPermitted,
    /// Not a usable PID.
    Invalid,
}

/// Whether `pid` runs `expected_binary` (`/proc/<pid>/exe`), as `pcmk__pid_active` checks.
pub fn pid_active(pid: i32, expected_binary: &Path) -> PidCheck {
    if pid <= 0 {
        return PidCheck::Invalid;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    if rc < 0 && errno == Some(libc::ESRCH) {
        return PidCheck::Gone;
    }
    let signalable = rc == 0;
    // The kernel reports the resolved path; the daemon directory may hold symlinks.
    let expected = std::fs::canonicalize(expected_binary).unwrap_or_else(|_| expected_binary.to_path_buf());
    match std::fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(exe) if exe == expected => PidCheck::Active,
        Ok(_) => PidCheck::Gone,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            if signalable {
                PidCheck::Active
            } else {
                PidCheck::NotPermitted
            }
        }
        Err(_) => PidCheck::Gone,
    }
}

/// The PID of a process whose name (`/proc/<pid>/comm`) is `name`, ignoring case.
pub fn pid_of(name: &str) -> Option<i32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let found = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).find(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim_end().eq_ignore_ascii_case(name))
            // SAFETY: signal 0 only checks for existence.
            && unsafe { libc::kill(*pid, 0) } == 0
    });
    if let Some(pid) = found {
        tracing::info!(function = "pcmk__procfs_pid_of", "Found {} active as process {}", name, pid);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pid_runs_own_binary() {
        let me = std::process::id() as i32;
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        assert_eq!(pid_active(me, &exe), PidCheck::Active);
        assert_eq!(pid_active(me, Path::new("/usr/lib/pacemaker/pacemaker-based")), PidCheck::Gone);
        assert_eq!(pid_active(0, &exe), PidCheck::Invalid);
    }

    #[test]
    fn nobody_serves_a_made_up_endpoint() {
        assert_eq!(probe_endpoint("pacemaker-rs-no-such-endpoint", 0, 0), EndpointProbe::Unresponsive);
    }
}
