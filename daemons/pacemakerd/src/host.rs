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
            function = "mcp_chown", "Cannot change the ownership of {} to user {} and gid {}: {}",
            path, CLUSTER_USER, gid, std::io::Error::last_os_error()
        );
    }
}

/// Creates the directories (0750, hacluster's) that may be missing.
pub fn create_pacemaker_dirs(uid: u32, gid: u32) {
    match std::fs::DirBuilder::new().mode(0o750).create(RUN_DIR) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            tracing::warn!(function = "create_pcmk_dirs", "Could not create directory {}: {}", RUN_DIR, e)
        }
        _ => chown(RUN_DIR, uid, gid),
    }
    for dir in STATE_DIRS {
        match std::fs::DirBuilder::new().mode(0o750).recursive(true).create(dir) {
            Err(e) => tracing::warn!(function = "create_pcmk_dirs", "Could not create directory {}: {}", dir, e),
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
            function = "remove_core_file_limit", "Unable to check system core file limits (consider ensuring the size is unlimited): {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    if limit.rlim_max == 0 {
        // SAFETY: no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            notice!(function = "remove_core_file_limit", "Core dumps are disabled (consider enabling them)");
            return;
        }
        limit.rlim_max = libc::RLIM_INFINITY;
    }
    if limit.rlim_cur != limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: valid rlimit.
        if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) } < 0 {
            notice!(
                function = "remove_core_file_limit", "Unable to raise system limit on core file size (consider doing so manually): {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Resets the node, as Pacemaker's panic does: through sbd's watchdog when sbd runs
/// (killing sbd), else directly (sysrq, then reboot). `PCMK_panic_action` (`crash`,
/// `sync-crash`, `sync-reboot`) chooses the direct way; the trace tag `panic-delay` turns
/// the panic into a plain fatal exit, for debugging. Reached when a subdaemon exits asking
/// for it (101), with `PCMK_fail_fast` set, or on SIGQUIT (how a daemon whose launcher is
/// gone asks for it).
pub fn panic_node(origin: &str) -> ! {
    let sbd = crate::sbd::locate();
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() };
    // Leaving our parent's service: systemd (PID 1) restarts nothing after FATAL.
    let exit_code = if parent > 1 { crate::exit_codes::PANIC } else { crate::exit_codes::FATAL };
    if libcrmcommon::options::env_option("trace_tags").is_some_and(|tags| tags.split(',').any(|t| t.trim() == "panic-delay")) {
        tracing::error!(
            function = "pcmk__panic", priority = "emerg",
            "Shutting down instead of panicking the node | origin={} sbd={} parent={}",
            origin,
            sbd.unwrap_or(0),
            parent
        );
        std::process::exit(crate::exit_codes::FATAL);
    }
    if let Some(sbd) = sbd.filter(|pid| *pid > 1) {
        tracing::error!(function = "pcmk__panic", priority = "emerg", "Signaling sbd[{}] to panic the system: {}", sbd, origin);
        tracing::error!(function = "panic_sbd", priority = "emerg", "Signaling sbd[{}] to panic", sbd);
        // SAFETY: kill has no memory preconditions.
        if unsafe { libc::kill(sbd, libc::SIGKILL) } == 0 {
            std::process::exit(exit_code);
        }
        tracing::error!(function = "panic_sbd", priority = "emerg", "Cannot signal sbd[{}] to terminate: {}", sbd, std::io::Error::last_os_error());
    } else {
        tracing::error!(function = "pcmk__panic", priority = "emerg", "Panicking the system directly: {}", origin);
    }
    let action = std::env::var("PCMK_panic_action").unwrap_or_default().to_ascii_lowercase();
    // SAFETY: sync and reboot have no memory preconditions.
    unsafe {
        match action.as_str() {
            "crash" => sysrq_trigger('c'),
            "sync-crash" => {
                libc::sync();
                sysrq_trigger('c');
            }
            other => {
                if other == "sync-reboot" {
                    libc::sync();
                }
                sysrq_trigger('b');
            }
        }
        libc::reboot(libc::RB_AUTOBOOT);
    }
    let error = std::io::Error::last_os_error();
    tracing::error!(
        function = "panic_local", priority = "emerg",
        "Reboot failed, escalating to parent {}: {} | rc={}",
        parent,
        error,
        error.raw_os_error().unwrap_or(0)
    );
    std::process::exit(exit_code)
}

fn sysrq_trigger(request: char) {
    use std::io::Write;
    match std::fs::OpenOptions::new().append(true).open("/proc/sysrq-trigger") {
        Ok(mut file) => {
            tracing::info!(function = "sysrq_trigger", "sysrq-trigger: {}", request);
            let _ = writeln!(file, "{request}");
        }
        // As crm_perror prints it: "<strerror> (<errno>)".
        Err(e) => tracing::warn!(
            function = "sysrq_trigger", "Opening sysrq-trigger failed: {} ({})",
            e.to_string().split(" (os error").next().unwrap_or_default(),
            e.raw_os_error().unwrap_or(0)
        ),
    }
}
