//! pacemaker-based: the CIB manager.

mod daemon;
mod digest_check;
mod notify;
mod ops;
mod perform;
mod reaper;
mod request;
mod store;
mod support;
mod writer;

use libcrmcommon::ipc::server as ipc;
use libcrmcommon::mainloop::{self, Reactor};
use std::path::PathBuf;
use std::time::Duration;

const DAEMON_NAME: &str = "pacemaker-based";
const DEFAULT_CIB_ROOT: &str = "/var/lib/pacemaker/cib";
/// CRM_EX_FATAL: pacemakerd does not respawn a daemon that exits with it.
const EXIT_FATAL: i32 = 100;
const EXIT_USAGE: i32 = 64;
const SIGNAL_TOKEN: u64 = 1;
const CLUSTER_TOKEN: u64 = 2;

struct Args {
    verbosity: u8,
    stand_alone: bool,
    disk_writes: bool,
    cib_root: PathBuf,
}

fn usage() -> String {
    format!(
        "{DAEMON_NAME} - daemon for managing the configuration of a Pacemaker cluster\n\
         Usage: {DAEMON_NAME} [options]\n\
         Options:\n \
         -?, --help\t\tThis text\n \
         -V, --verbose\t\tIncrease debug output\n \
         -s, --stand-alone\t\tAdvanced use only\n \
         -w, --disk-writes\t\tAdvanced use only\n \
         -r, --cib-root=value\t\tAdvanced use only\n\n\
         Report bugs to users@clusterlabs.org\n"
    )
}

/// The cluster options this daemon owns, as `pacemaker-based metadata` prints them (pcs reads
/// this to validate `pcs property set`).
const METADATA: &str = r#"<?xml version="1.0"?>
<resource-agent name="pacemaker-based" version="2.1.5">
  <version>1.1</version>
  <longdesc lang="en">Cluster options used by Pacemaker&apos;s Cluster Information Base manager</longdesc>
  <shortdesc lang="en">Cluster Information Base manager options</shortdesc>
  <parameters>
    <parameter name="enable-acl">
      <longdesc lang="en">Enable Access Control Lists (ACLs) for the CIB</longdesc>
      <shortdesc lang="en">Enable Access Control Lists (ACLs) for the CIB</shortdesc>
      <content type="boolean" default="false"/>
    </parameter>
    <parameter name="cluster-ipc-limit">
      <longdesc lang="en">Raise this if log has &quot;Evicting client&quot; messages for cluster daemon PIDs (a good value is the number of resources in the cluster multiplied by the number of nodes).</longdesc>
      <shortdesc lang="en">Maximum IPC message backlog before disconnecting a cluster daemon</shortdesc>
      <content type="integer" default="500"/>
    </parameter>
  </parameters>
</resource-agent>
"#;

fn parse_args() -> Result<Args, String> {
    if std::env::args().nth(1).as_deref() == Some("metadata") {
        print!("{METADATA}");
        std::process::exit(0);
    }
    let mut args = Args { verbosity: 0, stand_alone: false, disk_writes: false, cib_root: DEFAULT_CIB_ROOT.into() };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-?" | "-h" | "--help" => {
                print!("{}", usage());
                std::process::exit(0);
            }
            "-s" | "--stand-alone" => args.stand_alone = true,
            "-w" | "--disk-writes" => args.disk_writes = true,
            "-r" | "--cib-root" => args.cib_root = it.next().ok_or("--cib-root needs a value")?.into(),
            s if s.starts_with("--cib-root=") => args.cib_root = s["--cib-root=".len()..].into(),
            s if s.starts_with("-r") && s.len() > 2 => args.cib_root = s[2..].into(),
            s if s.starts_with('-') && s.len() > 1 && s[1..].chars().all(|c| c == 'V') => {
                args.verbosity = args.verbosity.saturating_add((s.len() - 1) as u8)
            }
            "--verbose" => args.verbosity = args.verbosity.saturating_add(1),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{DAEMON_NAME}: {e}\n{}", usage());
            std::process::exit(EXIT_USAGE);
        }
    };
    if args.stand_alone {
        // As Pacemaker does: a stand-alone CIB manager always runs as the cluster user.
        if let Err(e) = become_cluster_user() {
            eprintln!("{DAEMON_NAME}: {e}");
            std::process::exit(EXIT_FATAL);
        }
    }
    libcrmcommon::logging::init(DAEMON_NAME, args.verbosity > 0, args.verbosity);
    tracing::info!("Starting {} (pacemaker-rs {})", DAEMON_NAME, env!("CARGO_PKG_VERSION"));

    // Before any thread exists: the blocked mask is per thread and inherited by threads
    // spawned later (the disk writer). A thread that does not block SIGTERM would take a
    // process-directed SIGTERM with the default action and kill the daemon unflushed
    // (pacemakerd then logs "terminated with signal 15" on every shutdown).
    let signals = match mainloop::signal_fd(&[libc::SIGTERM, libc::SIGINT, libc::SIGHUP]) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::error!("Cannot set up signal handling: {}", e);
            std::process::exit(EXIT_FATAL);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.cib_root) {
        tracing::error!("Cannot create CIB directory {}: {}", args.cib_root.display(), e);
        std::process::exit(EXIT_FATAL);
    }
    if !dir_is_writable(&args.cib_root) {
        tracing::error!("Terminating: CIB directory {} is not writable", args.cib_root.display());
        std::process::exit(EXIT_FATAL);
    }

    let cluster = if args.stand_alone { None } else { Some(sign_in()) };
    let node_name = match &cluster {
        Some(c) => c.local_node().name.clone(),
        // Pacemaker's name for itself when it is not in a cluster.
        None => "localhost".to_owned(),
    };
    // In stand-alone mode Pacemaker only writes to disk when asked to (-w).
    let disk_writes = !args.stand_alone || args.disk_writes;
    let mut based = daemon::Based::new(daemon::Config {
        node_name,
        cluster,
        stand_alone: args.stand_alone,
        // Stand-alone, the status section on disk is kept (nothing else would rebuild it).
        preserve_status: args.stand_alone,
        cib_dir: args.cib_root.clone(),
        disk_writes,
    });
    if let Err(e) = based.serve() {
        tracing::error!("Failed to create IPC servers: {}; shutting down and inhibiting respawn", e);
        std::process::exit(EXIT_FATAL);
    }
    // SAFETY: ignoring SIGPIPE so a vanished client cannot kill us mid-send.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    mainloop::watch_readable(signals, SIGNAL_TOKEN);
    tracing::info!("CIB manager ready: serving cib_ro, cib_rw, cib_shm");

    let mut reactor = Reactor::new();
    let mut watched_cluster_fds: Vec<i32> = Vec::new();
    'running: loop {
        let fds = based.cluster_fds();
        if fds != watched_cluster_fds {
            for fd in &watched_cluster_fds {
                mainloop::unwatch(*fd);
            }
            for fd in &fds {
                mainloop::watch_readable(*fd, CLUSTER_TOKEN);
            }
            watched_cluster_fds = fds;
        }
        let timeout = mainloop::min_timeout(ipc::retry_timeout(), Some(Duration::from_secs(5)));
        let timeout = mainloop::min_timeout(timeout, based.cluster_retry());
        let timeout = mainloop::min_timeout(timeout, based.timer_timeout());
        let ready = reactor.poll(timeout);
        if ready.contains(&CLUSTER_TOKEN) || based.cluster_retry().is_some() {
            based.on_cluster_events();
        }
        if ready.contains(&SIGNAL_TOKEN) {
            for sig in mainloop::read_signals(signals) {
                if sig == libc::SIGTERM || sig == libc::SIGINT {
                    tracing::info!("Caught signal {}, shutting down", sig);
                    if based.begin_shutdown() {
                        break 'running;
                    }
                }
            }
        }
        for event in ipc::take_events() {
            based.on_ipc_event(event);
        }
        // Writes forwarded just now through a local (in-process) cluster come straight back.
        based.on_cluster_events();
        based.on_timers();
        ipc::flush_pending();
        based.after_iteration();
        if based.shutdown_finished() {
            break 'running;
        }
    }
    ipc::shutdown_all();
    based.flush_disk();
    tracing::info!("Exiting {}", DAEMON_NAME);
}

/// Connects to the cluster layer and joins the CIB group, or exits as Pacemaker does.
/// `PCMK_cluster_type=local` selects the built-in single-node stack instead of corosync.
fn sign_in() -> Box<dyn libcrmcommon::cluster::ClusterLayer> {
    use libcrmcommon::cluster::{ClusterLayer, CorosyncCluster, LocalCluster};
    let local = libcrmcommon::options::env_option("cluster_type").is_some_and(|t| t == "local");
    let mut cluster: Box<dyn ClusterLayer> = if local {
        match LocalCluster::for_this_host() {
            Ok(c) => Box::new(c),
            Err(e) => {
                tracing::error!("Cannot start the local cluster layer: {}", e);
                std::process::exit(EXIT_FATAL);
            }
        }
    } else {
        match CorosyncCluster::connect() {
            Ok(c) => Box::new(c),
            Err(e) => {
                tracing::error!("Could not connect to the cluster layer (corosync): {}", e);
                tracing::error!("Cannot sign in to the cluster... terminating");
                std::process::exit(EXIT_FATAL);
            }
        }
    };
    if let Err(e) = cluster.join(daemon::CIB_GROUP) {
        tracing::error!("Could not join the {} process group: {}; terminating", daemon::CIB_GROUP, e);
        std::process::exit(EXIT_FATAL);
    }
    tracing::info!("Joined the cluster as {} (node id {})", cluster.local_node().name, cluster.local_node().id);
    cluster
}

/// Switches to hacluster:haclient with its supplementary groups (setgid, initgroups, setuid).
fn become_cluster_user() -> Result<(), String> {
    use libcrmcommon::users::{user_ids, CLUSTER_USER};
    let (uid, gid) = user_ids(CLUSTER_USER).ok_or_else(|| format!("Invalid uid ({CLUSTER_USER}) specified"))?;
    let name = std::ffi::CString::new(CLUSTER_USER).map_err(|e| e.to_string())?;
    // SAFETY: plain credential syscalls, in this order so each step is still permitted.
    unsafe {
        if libc::setgid(gid) < 0 {
            return Err(format!("Could not set group to {gid}: {}", std::io::Error::last_os_error()));
        }
        if libc::initgroups(name.as_ptr(), gid) < 0 {
            return Err(format!("Could not setup groups for user {uid}: {}", std::io::Error::last_os_error()));
        }
        if libc::setuid(uid) < 0 {
            return Err(format!("Could not set user to {uid}: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

fn dir_is_writable(dir: &std::path::Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: access() on a valid C string.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}
