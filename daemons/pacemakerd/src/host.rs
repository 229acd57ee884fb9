//! What pacemakerd prepares on the host before starting anything: Pacemaker's directories,
//! core dumps, and (on request of a subdaemon) resetting the node.

use libcrmcommon::users::CLUSTER_USER;
use std::ffi::CString;
use std::os::unix::fs::DirBuilderExt;

/// Pacemaker's state directories (core files, blackbox dumps, scheduler inputs, CIB).
const STATE_DIRS: [&str; 5] = [
    "/var/lib/pacemaker",
    "/var/lib/pacemaker/cores",
    "/var/lib/pacemaker/blackbox",
    "/var/lib/pacemaker/pengine",
    "/var/lib/pacemaker/cib",
];
/// Used by some resource agents.
const RUN_DIR: &str = "/run/crm";

fn chown(path: &str, uid: u32, gid: u32) {
    let Ok(c) = CString::new(path) else { return };
    // SAFETY: chown on a valid C string.
    if unsafe { libc::chown(c.as_ptr(), uid, gid) } < 0 {
        tracing::warn!(
            "Cannot change the ownership of {} to user {} and gid {}: {}",
            path, CLUSTER_USER, gid, std::io::Error::last_os_error()
        );
    }
}

/// Creates the directories (0750, hacluster's) that may be missing.
pub fn create_pacemaker_dirs(uid: u32, gid: u32) {
    match std::fs::DirBuilder::new().mode(0o750).create(RUN_DIR) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            tracing::warn!("Could not create directory {}: {}", RUN_DIR, e)
        }
        _ => chown(RUN_DIR, uid, gid),
    }
    for dir in STATE_DIRS {
        match std::fs::DirBuilder::new().mode(0o750).recursive(true).create(dir) {
            Err(e) => tracing::warn!("Could not create directory {}: {}", dir, e),
            Ok(()) => chown(dir, uid, gid),
        }
    }
}

/// Raises the soft core-size limit to the hard one (and the hard one to unlimited when
/// root and cores are disabled), so crashing subdaemons leave cores.
pub fn remove_core_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: out-parameter of the right type.
    if unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } < 0 {
        notice!(
            "Unable to check system core file limits (consider ensuring the size is unlimited): {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if limit.rlim_max == 0 {
        // SAFETY: no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            notice!("Core dumps are disabled (consider enabling them)");
            return;
        }
        limit.rlim_max = libc::RLIM_INFINITY;
    }
    if limit.rlim_cur != limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: valid rlimit.
        if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) } < 0 {
            notice!(
                "Unable to raise system limit on core file size (consider doing so manually): {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Resets the node, as Pacemaker's panic does: through sbd's watchdog when sbd runs
/// (killing sbd), else an immediate reboot. Only reached when a subdaemon exits asking for
/// it (exit 101) or with `PCMK_fail_fast` set.
pub fn panic_node(reason: &str) -> ! {
    tracing::error!("Shutting down instead of panicking the node: {} (pacemaker-rs resets the node)", reason);
    // SAFETY: sync, kill and reboot have no memory preconditions.
    unsafe {
        libc::sync();
        if let Some(sbd) = crate::sbd::locate() {
            libc::kill(sbd, libc::SIGKILL);
        } else {
            let _ = std::fs::write("/proc/sysrq-trigger", "b");
            libc::reboot(libc::RB_AUTOBOOT);
        }
    }
    std::process::exit(crate::exit_codes::PANIC)
}
