//! pacemaker-execd: the resource agent executor of a cluster node.

mod agent;
mod alerts;
mod child;
mod daemon;
mod execution;
mod fence_ops;
mod fencer;
mod processes;
mod result;
mod secrets;
mod state;
mod systemd;

use libcrmcommon::ipc::server as ipc;
use libcrmcommon::mainloop::{self, Reactor};
use std::time::Duration;

const DAEMON_NAME: &str = "pacemaker-execd";
/// CRM_EX_FATAL: pacemakerd does not respawn a daemon that exits with it.
const EXIT_FATAL: i32 = 100;
const EXIT_USAGE: i32 = 64;
const SIGNAL_TOKEN: u64 = 1;
/// Scratch directory for resource agents (Pacemaker's CRM_RSCTMP_DIR).
const AGENT_TMP_DIR: &str = "/run/resource-agents";

struct Args {
    verbosity: u8,
    logfile: Option<String>,
}

fn usage() -> String {
    format!(
        "{DAEMON_NAME} - resource agent executor daemon for Pacemaker cluster nodes\n\
         Usage: {DAEMON_NAME} [options]\n\
         Options:\n \
         -?, --help\t\tThis text\n \
         -$, --version\t\tVersion information\n \
         -V, --verbose\t\tIncrease debug output\n \
         -l, --logfile=value\t\tSend logs to the additional named logfile\n\n\
         Report bugs to users@clusterlabs.org\n"
    )
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        verbosity: 0,
        logfile: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-?" | "-h" | "--help" => {
                print!("{}", usage());
                std::process::exit(0);
            }
            "-$" | "--version" => {
                println!(
                    "Pacemaker 2.1.5 (pacemaker-rs {})",
                    env!("CARGO_PKG_VERSION")
                );
                std::process::exit(0);
            }
            "-l" | "--logfile" => args.logfile = Some(it.next().ok_or("--logfile needs a value")?),
            s if s.starts_with("--logfile=") => {
                args.logfile = Some(s["--logfile=".len()..].to_owned())
            }
            s if s.starts_with("-l") && s.len() > 2 => args.logfile = Some(s[2..].to_owned()),
            s if s.starts_with('-') && s.len() > 1 && s[1..].chars().all(|c| c == 'V') => {
                args.verbosity = args.verbosity.saturating_add((s.len() - 1) as u8)
            }
            "--verbose" => args.verbosity = args.verbosity.saturating_add(1),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

/// The variables agents' logging helpers (`ocf_log`, `ha_log`) read, set as Pacemaker's
/// executor sets them in its own environment for its children to inherit.
fn export_agent_logging_environment() {
    use libcrmcommon::options::env_option;
    let facility = env_option("logfacility");
    if let Some(f) = facility.filter(|f| !f.eq_ignore_ascii_case("none") && f != "/dev/null") {
        std::env::set_var("HA_LOGFACILITY", f);
    }
    if let Some(file) = env_option("logfile").filter(|f| !f.eq_ignore_ascii_case("none")) {
        std::env::set_var("HA_LOGFILE", &file);
        let debug = env_option("debug").is_some_and(|d| {
            libcrmcommon::options::is_true(&d)
                || d.split([',', ' ']).any(|n| n.trim() == DAEMON_NAME)
        });
        if debug {
            std::env::set_var("HA_DEBUGLOG", &file);
        }
    }
    // Otherwise agents starting services would talk to systemd's notification socket.
    std::env::remove_var("NOTIFY_SOCKET");
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{DAEMON_NAME}: {e}\n{}", usage());
            std::process::exit(EXIT_USAGE);
        }
    };
    if let Some(file) = &args.logfile {
        // Our logger writes one file: an explicit -l wins when no PCMK_logfile is set.
        if libcrmcommon::options::env_option("logfile").is_none() {
            std::env::set_var("PCMK_logfile", file);
        }
    }
    libcrmcommon::logging::init(DAEMON_NAME, args.verbosity > 0, args.verbosity);
    export_agent_logging_environment();
    tracing::info!(
        "Starting Pacemaker local executor (pacemaker-rs {})",
        env!("CARGO_PKG_VERSION")
    );

    // Block the signals before anything else so they only arrive through the signalfd.
    let signals = match mainloop::signal_fd(&[libc::SIGTERM, libc::SIGINT, libc::SIGCHLD]) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::error!("Cannot set up signal handling: {}", e);
            std::process::exit(EXIT_FATAL);
        }
    };
    if let Err(e) = create_agent_tmp_dir() {
        tracing::warn!(
            "Could not create resource agent temporary directory {}: {}",
            AGENT_TMP_DIR,
            e
        );
    }
    // SAFETY: ignoring SIGPIPE so a vanished client cannot kill us mid-send (agents get the
    // default disposition back before exec).
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    if let Err(e) = ipc::serve_typed(
        liblrmd::protocol::IPC_NAME,
        libqb_sys::qb_ipc_type::QB_IPC_SHM,
    ) {
        tracing::error!(
            "Failed to create IPC server: {}; shutting down and inhibiting respawn",
            e
        );
        std::process::exit(EXIT_FATAL);
    }
    mainloop::watch_readable(signals, SIGNAL_TOKEN);
    tracing::info!("Pacemaker local executor successfully started and accepting connections");
    tracing::info!(
        "OCF resource agent search path is {}",
        liblrmd::protocol::ocf::RESOURCE_DIR
    );

    let mut execd = daemon::Execd::new();
    let mut reactor = Reactor::new();
    'running: loop {
        let timeout = mainloop::min_timeout(ipc::retry_timeout(), Some(Duration::from_secs(5)));
        let timeout = mainloop::min_timeout(timeout, execd.timers.next_timeout());
        let timeout = mainloop::min_timeout(timeout, execd.fencer_timeout());
        let ready = reactor.poll(timeout);
        for token in &ready {
            if *token >= processes::OUTPUT_TOKEN_BASE {
                execd.on_output_ready(*token);
            }
        }
        if ready.contains(&systemd::WAKE_TOKEN) {
            execd.on_systemd_ready();
        }
        if ready.contains(&SIGNAL_TOKEN) {
            for sig in mainloop::read_signals(signals) {
                match sig {
                    libc::SIGCHLD => execd.on_sigchld(),
                    libc::SIGTERM | libc::SIGINT => {
                        tracing::info!("Caught signal {}, shutting down", sig);
                        break 'running;
                    }
                    _ => {}
                }
            }
        }
        for event in ipc::take_events() {
            execd.on_ipc_event(event);
        }
        for due in execd.timers.expired() {
            execd.on_timer(due);
        }
        execd.poll_fencer();
        execd.run_work();
        ipc::flush_pending();
    }
    tracing::info!("Terminating with {} clients", ipc::clients().len());
    ipc::shutdown_all();
}

fn create_agent_tmp_dir() -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(AGENT_TMP_DIR)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
