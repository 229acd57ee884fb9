//! pacemaker-schedulerd: calculates the cluster's response to events. The controller (on
//! the DC) sends it the CIB over the `pengine` IPC server; it answers with a transition
//! graph and saves each input under /var/lib/pacemaker/pengine.

mod cli;
mod daemon;
mod input_file;
mod messages;
mod pecalc;
mod series;

use libcrmcommon::ipc::server as ipc;
use libcrmcommon::mainloop::{self, Reactor};
use std::path::Path;

/// Where Pacemaker's scheduler keeps its inputs (PE_STATE_DIR).
const STATE_DIR: &str = "/var/lib/pacemaker/pengine";
const SIGNAL_TOKEN: u64 = 1;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let request = args.join(" ");
    let verbosity = match cli::parse(args.get(1..).unwrap_or(&[]), &request) {
        cli::Action::Serve { verbosity } => verbosity,
        other => cli::finish(other),
    };
    libcrmcommon::logging::init(cli::DAEMON_NAME, verbosity > 0, verbosity);
    tracing::info!("Starting Pacemaker scheduler (pacemaker-rs {})", env!("CARGO_PKG_VERSION"));

    let signals = match mainloop::signal_fd(&[libc::SIGTERM, libc::SIGINT]) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::error!("Cannot set up signal handling: {}", e);
            std::process::exit(cli::EXIT_FATAL);
        }
    };
    if let Err(problem) = check_state_dir(Path::new(STATE_DIR)) {
        tracing::error!("{}", problem);
        tracing::error!("Terminating due to bad permissions on {}", STATE_DIR);
        eprintln!("{}: ERROR: Bad permissions on {} (see logs for details)", cli::DAEMON_NAME, STATE_DIR);
        std::process::exit(cli::EXIT_FATAL);
    }
    if let Err(e) = ipc::serve(messages::SYSTEM_NAME) {
        tracing::error!("{}", e);
        eprintln!("{}: Failed to create pacemaker-schedulerd server: exiting and inhibiting respawn", cli::DAEMON_NAME);
        std::process::exit(cli::EXIT_FATAL);
    }
    // SAFETY: ignoring SIGPIPE so a vanished client cannot kill us mid-send.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    mainloop::watch_readable(signals, SIGNAL_TOKEN);
    let mut daemon = daemon::Daemon::new(pecalc::Scheduler::new(STATE_DIR.into()));
    tracing::info!("Pacemaker scheduler successfully started and accepting connections");

    let mut reactor = Reactor::new();
    'running: loop {
        let ready = reactor.poll(ipc::retry_timeout());
        if ready.contains(&SIGNAL_TOKEN) {
            for sig in mainloop::read_signals(signals) {
                if sig == libc::SIGTERM || sig == libc::SIGINT {
                    tracing::info!("Caught signal {}, shutting down", sig);
                    break 'running;
                }
            }
        }
        for event in ipc::take_events() {
            daemon.on_ipc_event(event);
        }
        ipc::flush_pending();
    }
    ipc::shutdown_all();
    tracing::info!("Exiting {}", cli::DAEMON_NAME);
}

/// Pacemaker's check that a daemon may write its state directory: it must be a directory
/// writable by its owner `hacluster` or by its group `haclient` (whoever runs the daemon).
fn check_state_dir(dir: &Path) -> Result<(), String> {
    use libcrmcommon::users::{group_id, user_ids, CLUSTER_GROUP, CLUSTER_USER};
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).map_err(|e| format!("{} not found: {}", dir.display(), e))?;
    if !meta.is_dir() {
        return Err(format!("{} must be a directory", dir.display()));
    }
    let user_writes = user_ids(CLUSTER_USER).is_some_and(|(uid, _)| meta.uid() == uid && meta.mode() & 0o200 != 0);
    let group_writes = group_id(CLUSTER_GROUP).is_some_and(|gid| meta.gid() == gid && meta.mode() & 0o020 != 0);
    if user_writes || group_writes {
        Ok(())
    } else {
        Err(format!(
            "{} must be owned and writable by either user {} or group {}",
            dir.display(),
            CLUSTER_USER,
            CLUSTER_GROUP
        ))
    }
}
