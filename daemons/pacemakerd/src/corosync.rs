//! pacemakerd's use of corosync: reading its configuration and authorising the cluster
//! group before any subdaemon starts (cmap), holding a CFG connection so that corosync
//! cannot be shut down under a running Pacemaker, and shutting corosync down after a fatal
//! subdaemon failure.

use rust_corosync::{cfg, cmap, CsError, DispatchFlags};
use std::os::fd::RawFd;
use std::time::Duration;

/// The retry rule of Pacemaker's corosync calls: "try again" answers are retried with a
/// growing pause (1 s, 2 s, ...), `max` times.
fn with_retries<T>(max: u32, mut call: impl FnMut() -> Result<T, CsError>) -> Result<T, CsError> {
    let mut tries = 0;
    loop {
        match call() {
            Err(CsError::CsErrTryAgain | CsError::CsErrQueueFull) if tries < max => {
                tries += 1;
                tracing::debug!(function = "get_config_opt", "Retrying Corosync operation after {}s", tries);
                std::thread::sleep(Duration::from_secs(tries.into()));
            }
            other => return other,
        }
    }
}

/// Credentials of the process at the other end of a unix socket.
fn peer(fd: RawFd) -> Option<libc::ucred> {
    let mut credentials = libc::ucred { pid: 0, uid: u32::MAX, gid: u32::MAX };
    let mut length = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: out-parameters sized as declared; the kernel validates fd.
    let rc = unsafe {
        libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_PEERCRED, (&mut credentials as *mut libc::ucred).cast(), &mut length)
    };
    (rc == 0).then_some(credentials)
}

/// Refuses a corosync service not provided by root (as `crm_ipc_is_authentic_process`).
fn check_root_provider(fd: RawFd, service: &str) -> bool {
    match peer(fd) {
        Some(c) if c.uid == 0 || c.gid == 0 => true,
        Some(c) => {
            tracing::error!(
                priority = "crit", "Rejecting Corosync {} provider because process {} is running as uid {} gid {}, not root",
                service, c.pid, c.uid, c.gid
            );
            false
        }
        None => {
            tracing::error!(priority = "crit", "Could not authenticate Corosync {} provider: {}", service, std::io::Error::last_os_error());
            false
        }
    }
}

/// Sets `PCMK_<name>` and its legacy twin `HA_<name>`, as Pacemaker does for options it
/// hands to its subdaemons.
pub fn set_env_option(name: &str, value: &str) {
    std::env::set_var(format!("PCMK_{name}"), value);
    std::env::set_var(format!("HA_{name}"), value);
}

/// Reads what pacemakerd needs from cmap before starting anything: the stack must be
/// corosync; `PCMK_debug` follows corosync's `logging.debug` unless set; members of
/// `cluster_gid` may use corosync IPC (`uidgid.gid.<gid>` = 1). False when corosync is not
/// usable (pacemakerd then exits).
pub fn read_config(cluster_gid: Option<u32>) -> bool {
    let mut retries = 0u64;
    let handle = loop {
        match cmap::initialize(cmap::Map::Icmap) {
            Ok(handle) => break handle,
            Err(e) if retries < 5 => {
                retries += 1;
                tracing::info!(function = "mcp_read_config", "Could not connect to Corosync CMAP: {} (retrying in {}s) | rc={}", e, retries, e as i32);
                std::thread::sleep(Duration::from_secs(retries));
            }
            Err(e) => {
                tracing::error!(function = "mcp_read_config", priority = "crit", "Could not connect to Corosync CMAP: {} | rc={}", e, e as i32);
                return false;
            }
        }
    };
    let fd = match cmap::fd_get(&handle) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::error!(function = "mcp_read_config", priority = "crit", "Could not get Corosync CMAP descriptor: {} | rc={}", e, e as i32);
            return false;
        }
    };
    if !check_root_provider(fd, "CMAP") {
        return false;
    }
    if let Some(stack) = libcrmcommon::options::env_option("cluster_type") {
        if !stack.eq_ignore_ascii_case("corosync") {
            tracing::error!(function = "mcp_read_config", priority = "crit", "Expected Corosync cluster layer but detected {}", stack);
            return false;
        }
    }
    tracing::info!(function = "get_cluster_type", "Detected an active 'corosync' cluster");
    tracing::info!(function = "mcp_read_config", "Reading configuration for corosync stack");
    set_env_option("cluster_type", "corosync");
    set_env_option("quorum_type", "corosync");
    if libcrmcommon::options::env_option("debug").is_none() {
        let debug = match with_retries(5, || cmap::get(&handle, "logging.debug")) {
            Ok(cmap::Data::String(value)) => value,
            _ => "off".to_owned(),
        };
        set_env_option("debug", if libcrmcommon::options::is_true(&debug) { "1" } else { "0" });
    }
    match cluster_gid {
        None => tracing::warn!(function = "mcp_read_config", "Could not authorize group with Corosync | No group found for user hacluster"),
        Some(gid) => {
            if let Err(e) = cmap::set_u8(&handle, &format!("uidgid.gid.{gid}"), 1) {
                tracing::warn!(function = "mcp_read_config", "Could not authorize group with Corosync: {} | group={} rc={}", e, gid, e as i32);
            }
        }
    }
    true
}

/// Whether corosync's process-group service answers (a subdaemon that needs the cluster is
/// not respawned while it does not).
pub fn cluster_connected() -> bool {
    use rust_corosync::cpg;
    let model = cpg::ModelData::ModelV1(cpg::Model1Data {
        flags: cpg::Model1Flags::None,
        deliver_fn: None,
        confchg_fn: None,
        totem_confchg_fn: None,
    });
    // The handle finalizes itself when dropped.
    match cpg::initialize(&model, 0) {
        Ok(handle) => cpg::fd_get(&handle).is_ok(),
        Err(_) => false,
    }
}

fn refuse_shutdown(handle: &cfg::Handle, flags: u32) {
    let kind = match flags {
        2 => "immediate",
        1 => "forced",
        _ => "optional",
    };
    tracing::info!(function = "cfg_shutdown_callback", "Corosync wants to shut down: {}", kind);
    // Never while we run.
    let _ = cfg::reply_to_shutdown(handle, cfg::ShutdownReply::No);
}

/// The CFG connection: tracks corosync shutdown requests (and refuses them).
pub struct CfgConnection {
    handle: cfg::Handle,
    fd: RawFd,
}

impl CfgConnection {
    pub fn connect() -> Option<CfgConnection> {
        let callbacks = cfg::Callbacks { corosync_cfg_shutdown_callback_fn: Some(refuse_shutdown) };
        let handle = match with_retries(30, || cfg::initialize(&callbacks)) {
            Ok(handle) => handle,
            Err(e) => {
                tracing::error!(function = "cluster_connect_cfg", priority = "crit", "Could not connect to Corosync CFG: {} | rc={}", e, e as i32);
                return None;
            }
        };
        let fd = match cfg::fd_get(&handle) {
            Ok(fd) => fd,
            Err(e) => {
                tracing::error!(function = "cluster_connect_cfg", priority = "crit", "Could not get Corosync CFG descriptor: {} | rc={}", e, e as i32);
                return None;
            }
        };
        if !check_root_provider(fd, "CFG") {
            return None;
        }
        match with_retries(30, || cfg::local_get(&handle)) {
            Ok(node_id) => tracing::debug!(function = "cluster_connect_cfg", "Corosync reports local node ID is {}", u32::from(node_id)),
            Err(e) => {
                tracing::error!(function = "cluster_connect_cfg", priority = "crit", "Could not get local node ID from Corosync: {} | rc={}", e, e as i32);
                return None;
            }
        }
        if let Err(e) = with_retries(30, || cfg::track_start(&handle, cfg::TrackFlags::None)) {
            tracing::error!(function = "cluster_connect_cfg", priority = "crit", "Could not enable Corosync CFG shutdown tracker: {} | rc={}", e, e as i32);
            return None;
        }
        Some(CfgConnection { handle, fd })
    }

    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Handles what corosync sent; false when the connection is lost.
    pub fn dispatch(&self) -> bool {
        cfg::dispatch(&self.handle, DispatchFlags::All).is_ok()
    }

    /// Asks corosync to shut down at once (after a fatal subdaemon failure).
    pub fn shutdown_corosync(self) {
        tracing::info!(function = "pcmkd_shutdown_corosync", "Asking Corosync to shut down");
        if let Err(e) = cfg::try_shutdown(&self.handle, cfg::ShutdownFlags::Immediate) {
            tracing::warn!(function = "pcmkd_shutdown_corosync", "Corosync shutdown failed: {} | rc={}", e, e as i32);
        }
    }
}
