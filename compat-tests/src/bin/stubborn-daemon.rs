//! Stands in for a subdaemon that hangs: ignores SIGTERM and never serves its IPC. Bound
//! over a real subdaemon's path inside a node by tests/pacemakerd.rs (a script would not
//! do: the launcher checks `/proc/<pid>/exe`).

fn main() {
    // SAFETY: setting a signal disposition to SIG_IGN has no memory preconditions.
    unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
