//! pacemakerd: starts, watches and stops Pacemaker's subdaemons on one node (a drop-in for
//! Pacemaker 2.1.5's launcher).

/// Logs at syslog's notice priority (Pacemaker's `crm_notice`).
macro_rules! notice {
    ($($arg:tt)+) => { tracing::info!(priority = "notice", $($arg)+) };
}

mod cli;
mod client;
mod corosync;
mod exit_codes;
mod host;
mod liveness;
mod messages;
mod requests;
mod sbd;
mod state;
mod subdaemons;
mod supervisor;

use libcrmcommon::ipc::server as ipc;
use libcrmcommon::mainloop::{self, Reactor};
use libcrmcommon::users::{self, CLUSTER_USER};
use state::LauncherState;
use std::time::Duration;
use supervisor::Launcher;

const DAEMON_NAME: &str = "pacemakerd";
const CORES_DIR: &str = "/var/lib/pacemaker/cores";
const SIGNAL_TOKEN: u64 = 1;
const CFG_TOKEN: u64 = 2;
/// Pause between attempts to reconnect to corosync after losing it.
const CFG_RECONNECT_INTERVAL: Duration = Duration::from_secs(1);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match cli::parse(&args) {
        Ok(options) => options,
        Err(cli::Early::Print(text)) => {
            print!("{text}");
            std::process::exit(exit_codes::OK);
        }
        Err(cli::Early::Fail { message, code }) => {
            eprintln!("{message}");
            std::process::exit(code);
        }
    };
    // Logs in a common language.
    std::env::set_var("LC_ALL", "C");
    if options.features {
        print!("{}", cli::features(options.xml_output));
        std::process::exit(exit_codes::OK);
    }
    if options.version {
        print!("{}", cli::version());
        std::process::exit(exit_codes::OK);
    }
    if options.standby {
        corosync::set_env_option("node_start_state", "standby");
    }
    corosync::set_env_option("mcp", "true");

    if options.shutdown {
        // A command-line client: no log file, stderr only when asked for.
        std::env::set_var("PCMK_logfile", "none");
        if options.verbosity > 0 {
            libcrmcommon::logging::init(DAEMON_NAME, true, options.verbosity - 1);
        }
        let code = match client::connect() {
            Ok(connection) => client::request_shutdown(connection),
            Err(e) => {
                eprintln!("Could not request shutdown of existing Pacemaker instance: {}", client::describe(&e));
                exit_codes::DISCONNECT
            }
        };
        std::process::exit(code);
    }

    // Before any thread exists and before any child: the mask is inherited by threads,
    // and a SIGCHLD must not be lost.
    let signals = match mainloop::signal_fd(&[libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT, libc::SIGCHLD]) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("{DAEMON_NAME}: cannot set up signal handling: {e}");
            std::process::exit(exit_codes::OSERR);
        }
    };
    libcrmcommon::logging::init(DAEMON_NAME, false, options.verbosity);
    // Core files of the launcher land with the subdaemons' ones.
    match std::env::set_current_dir(CORES_DIR) {
        Ok(()) => tracing::info!(function = "crm_log_init", "Changed active directory to {}", CORES_DIR),
        Err(e) => tracing::warn!("Cannot change active directory to {}: {}", CORES_DIR, e),
    }
    tracing::debug!(function = "main", "Checking for existing Pacemaker instance");
    if client::connect().is_ok() {
        tracing::error!(function = "main", "Aborting start-up because active Pacemaker instance found");
        exit(exit_codes::FATAL);
    }
    tracing::info!(function = "ipc_post_disconnect", "Disconnected from launcher IPC API");

    let cluster_user = users::user_ids(CLUSTER_USER).map(|(uid, gid)| subdaemons::Credentials {
        uid,
        gid,
        groups: users::groups_of(CLUSTER_USER),
    });
    if !corosync::read_config(cluster_user.as_ref().map(|c| c.gid)) {
        exit(exit_codes::UNAVAILABLE);
    }
    // OCF shell functions and cluster-glue read the facility under another name.
    if let Some(facility) = libcrmcommon::options::env_option("logfacility") {
        if !facility.eq_ignore_ascii_case("none") {
            std::env::set_var("HA_LOGFACILITY", facility);
        }
    }
    notice!(
        function = "main", "Starting Pacemaker {} | build=pacemaker-rs-{} features:{}",
        cli::PACEMAKER_VERSION,
        env!("CARGO_PKG_VERSION"),
        cli::FEATURES
    );
    host::remove_core_file_limit();
    let Some(user) = cluster_user.clone() else {
        tracing::error!(function = "create_pcmk_dirs", "Cluster user {} does not exist, aborting Pacemaker startup", CLUSTER_USER);
        exit(67);
    };
    host::create_pacemaker_dirs(user.uid, user.gid);
    if let Err(e) = ipc::serve(messages::SYSTEM_NAME) {
        tracing::error!("Failed to create pacemakerd server: exiting and inhibiting respawn: {}", e);
        exit(exit_codes::OSERR);
    }
    // SAFETY: ignoring SIGPIPE so a vanished client cannot kill us mid-send.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let Some(cfg_connection) = corosync::CfgConnection::connect() else {
        ipc::shutdown_all();
        exit(exit_codes::PROTOCOL);
    };
    let mut cfg = Some(cfg_connection);

    let daemon_dir = subdaemons::daemon_dir();
    if daemon_dir != std::path::Path::new(subdaemons::DEFAULT_DAEMON_DIR) {
        tracing::info!("Starting subdaemons from {} ({})", daemon_dir.display(), subdaemons::DAEMON_DIR_VARIABLE);
    }
    let mut launcher = Launcher::new(daemon_dir, cluster_user);
    launcher.sbd.running_with_sbd = sbd::locate().is_some();
    std::env::set_var("PCMK_watchdog", if launcher.sbd.running_with_sbd { "true" } else { "false" });
    launcher.sbd.sync_startup = sbd::sync_resource_startup();
    if let Err(code) = launcher.find_and_track_existing() {
        ipc::shutdown_all();
        exit(code);
    }
    if launcher.sbd.running_with_sbd && launcher.sbd.sync_startup {
        notice!(function = "main", "Waiting for startup-trigger from SBD.");
        launcher.state = LauncherState::WaitForPing;
    } else {
        if launcher.sbd.running_with_sbd {
            tracing::warn!(
                function = "main", "Enabling SBD_SYNC_RESOURCE_STARTUP would (if supported by your SBD version) improve reliability of interworking between SBD & pacemaker."
            );
        }
        launcher.state = LauncherState::StartingDaemons;
        launcher.init_children();
    }
    notice!(function = "main", "Pacemaker daemon successfully started and accepting connections");

    mainloop::watch_readable(signals, SIGNAL_TOKEN);
    let mut cfg_lost_at: Option<std::time::Instant> = None;
    if let Some(c) = &cfg {
        mainloop::watch_readable(c.fd(), CFG_TOKEN);
    }
    let mut reactor = Reactor::new();
    while launcher.finished.is_none() {
        let mut timeout = mainloop::min_timeout(ipc::retry_timeout(), launcher.next_timeout());
        if cfg_lost_at.is_some() {
            timeout = mainloop::min_timeout(timeout, Some(CFG_RECONNECT_INTERVAL));
        }
        let ready = reactor.poll(timeout);
        if ready.contains(&SIGNAL_TOKEN) {
            for signal in mainloop::read_signals(signals) {
                match signal {
                    libc::SIGCHLD => reap_children(&mut launcher),
                    libc::SIGHUP => tracing::info!(function = "pcmk_ignore", "Ignoring signal Hangup (1)"),
                    // How a subdaemon that lost its launcher asks for the node to be reset.
                    libc::SIGQUIT => host::panic_node("pcmk_sigquit"),
                    _ => launcher.request_shutdown(),
                }
            }
        }
        if let Some(origin) = launcher.panic_requested {
            host::panic_node(origin);
        }
        if ready.contains(&CFG_TOKEN) {
            if let Some(c) = &cfg {
                if !c.dispatch() {
                    tracing::warn!(function = "cfg_connection_destroy", "Lost connection to cluster layer (connection will be reattempted once per second)");
                    mainloop::unwatch(c.fd());
                    cfg = None;
                    cfg_lost_at = Some(std::time::Instant::now());
                }
            }
        }
        if let Some(lost) = cfg_lost_at {
            if lost.elapsed() >= CFG_RECONNECT_INTERVAL {
                match corosync::CfgConnection::connect() {
                    Some(c) => {
                        notice!(function = "cluster_reconnect_cb", "Cluster reconnect succeeded");
                        mainloop::watch_readable(c.fd(), CFG_TOKEN);
                        cfg = Some(c);
                        cfg_lost_at = None;
                        corosync::read_config(users::user_ids(CLUSTER_USER).map(|(_, gid)| gid));
                        launcher.restart_cluster_subdaemons();
                    }
                    None => {
                        tracing::info!(function = "cluster_reconnect_cb", "Cluster reconnect failed (connection will be reattempted once per second)");
                        cfg_lost_at = Some(std::time::Instant::now());
                    }
                }
            }
        }
        for event in ipc::take_events() {
            requests::on_event(&mut launcher, event);
        }
        launcher.on_timers();
        ipc::flush_pending();
        launcher.after_iteration();
        if let Some(origin) = launcher.panic_requested {
            host::panic_node(origin);
        }
    }
    let code = launcher.finished.unwrap_or(exit_codes::OK);
    if launcher.fatal_error() {
        // Staying down: corosync too, as Pacemaker does (its IPC server goes with the exit).
        match cfg.take() {
            Some(c) => c.shutdown_corosync(),
            None => tracing::warn!("Unable to shut down Corosync: No connection"),
        }
        exit(code);
    }
    tracing::trace!(function = "main", "Closing IPC server");
    ipc::shutdown_all();
    drop(cfg);
    exit(code);
}

/// Exits with `code`, logging it as Pacemaker's daemons do.
fn exit(code: i32) -> ! {
    tracing::info!(function = "crm_exit", "Exiting {} | with status {}", DAEMON_NAME, code);
    std::process::exit(code)
}

/// Reaps every exited child and tells the launcher about its subdaemons.
fn reap_children(launcher: &mut Launcher) {
    loop {
        let mut status = 0;
        // SAFETY: waitpid with an out-parameter we own.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            break;
        }
        launcher.on_child_exit(pid, status);
    }
}
