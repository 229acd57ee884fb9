//! A single node started the way systemd starts Pacemaker: corosync, then a launcher
//! (`pacemakerd`, Debian's or ours) that starts Debian's six C subdaemons from
//! `/usr/lib/pacemaker` by itself. Used to test the launcher; the C launcher is the oracle.
//!
//! corosync.conf here has no `uidgid` section: granting the cluster group access to
//! corosync is the launcher's job (cmap `uidgid.gid.<haclient>`), so a launcher that skips
//! it leaves hacluster's daemons unable to join.
//!
//! `PCMK_RS_PACEMAKERD` chooses the launchers like `PCMK_RS_BASED` chooses CIB managers
//! (`auto`, `c`, `rust`, `both`); `PCMK_RS_PACEMAKERD_BIN` names our binary (default:
//! `pacemakerd` beside the test's cargo profile, then `target/release/pacemakerd`).

use crate::accounts::ClusterIds;
use crate::cluster_setup::seed_cib;
use crate::command::{Command, Output};
use crate::implementation::ImplKind;
use crate::node::StartError;
use crate::node_env::{self, RunAs, StderrLog};
use crate::sandbox::{self, Sandbox};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Debian's launcher.
pub const C_PACEMAKERD: &str = "/usr/sbin/pacemakerd";
const POLL: Duration = Duration::from_millis(100);
/// The subdaemons, in the launcher's start order.
pub const SUBDAEMONS: [&str; 6] = [
    "pacemaker-based",
    "pacemaker-fenced",
    "pacemaker-execd",
    "pacemaker-attrd",
    "pacemaker-schedulerd",
    "pacemaker-controld",
];

/// Which launcher a test runs, or why it is skipped.
pub fn select_launcher(kind: ImplKind) -> Result<PathBuf, String> {
    let wanted = std::env::var("PCMK_RS_PACEMAKERD").unwrap_or_default();
    let (run_c, run_rust, rust_required) = match wanted.as_str() {
        "" | "auto" => (true, true, false),
        "c" => (true, false, false),
        "rust" => (false, true, true),
        "both" => (true, true, true),
        other => panic!("PCMK_RS_PACEMAKERD={other:?}: expected c, rust, both or auto"),
    };
    match kind {
        ImplKind::C if run_c => Ok(PathBuf::from(C_PACEMAKERD)),
        ImplKind::C => Err(format!("PCMK_RS_PACEMAKERD={wanted} excludes the C launcher")),
        ImplKind::Rust if !run_rust => Err(format!("PCMK_RS_PACEMAKERD={wanted} excludes our launcher")),
        ImplKind::Rust => match rust_pacemakerd() {
            Some(path) => Ok(path),
            None if rust_required => panic!("PCMK_RS_PACEMAKERD={wanted} but our pacemakerd is not built"),
            None => Err("our pacemakerd is not built (cargo build --release -p pacemakerd)".to_owned()),
        },
    }
}

/// Our pacemakerd, if built.
pub fn rust_pacemakerd() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PCMK_RS_PACEMAKERD_BIN") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let mut candidates = Vec::new();
    if let Some(profile) = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf())) {
        candidates.push(profile.join("pacemakerd"));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    candidates.push(manifest.parent().unwrap_or(manifest).join("target/release/pacemakerd"));
    candidates.into_iter().find(|p| p.is_file())
}

/// A running node; dropping it kills everything in it (the directory is kept if the test
/// fails or `PCMK_COMPAT_KEEP` is set).
#[derive(Debug)]
pub struct LauncherNode {
    dir: PathBuf,
    sandbox: Sandbox,
    corosync: Child,
    /// The latest launcher; `None` until one is started.
    pacemakerd: Option<Child>,
    launches: u32,
    keep: bool,
}

impl LauncherNode {
    /// Creates the node, starts corosync and the launcher `pacemakerd` (a path inside the
    /// node; the host's file system is visible there), and returns once the launcher's IPC
    /// answers (`crmadmin -P`).
    pub fn start(name: &str, pacemakerd: &Path) -> Result<LauncherNode, StartError> {
        let mut node = LauncherNode::create(name, |_| Ok(()))?;
        let started = node.start_launcher(pacemakerd).and_then(|()| node.wait_for_launcher());
        started.map_err(|message| StartError { message, dir: node.dir.clone() })?;
        Ok(node)
    }

    /// Creates the node and starts corosync, no launcher yet. `prepare` may change the
    /// node's host-side directory first (it gets its path).
    pub fn create(name: &str, prepare: impl FnOnce(&Path) -> std::io::Result<()>) -> Result<LauncherNode, StartError> {
        let dir = node_env::output_dir().join(node_env::directory_name(name, "node"));
        let fail = |message: String| StartError { message, dir: dir.clone() };
        let ids = ClusterIds::lookup().map_err(|e| fail(e.to_string()))?;
        prepare_dir(&dir, ids).map_err(|e| fail(format!("preparing {}: {e}", dir.display())))?;
        prepare(&dir).map_err(|e| fail(format!("preparing {}: {e}", dir.display())))?;
        let ready = dir.join("ready");
        let script = sandbox::node_setup_script(&dir, crate::corosync::NODE_NAME, &crate::Impl::C, "", &ready);
        let sandbox = Sandbox::create(&script, &ready, &dir.join("holder.log"))
            .map_err(|e| fail(format!("creating the namespaces: {e}")))?;
        let corosync = spawn(&sandbox, &dir, "corosync", &["/usr/sbin/corosync", "-f"]).map_err(fail)?;
        let mut node = LauncherNode { dir: dir.clone(), sandbox, corosync, pacemakerd: None, launches: 0, keep: false };
        node.wait_for(&["corosync-cmapctl", "-g", "runtime.votequorum.this_node_id"], Duration::from_secs(30))
            .map_err(fail)?;
        Ok(node)
    }

    /// Starts (another) launcher without waiting for it; its output goes to
    /// `pacemakerd.<n>.stderr`.
    pub fn start_launcher(&mut self, pacemakerd: &Path) -> Result<(), String> {
        self.start_launcher_with_env(pacemakerd, &[])
    }

    /// Like [`LauncherNode::start_launcher`], with further environment variables.
    pub fn start_launcher_with_env(&mut self, pacemakerd: &Path, env: &[(&str, &str)]) -> Result<(), String> {
        self.launches += 1;
        let mut argv: Vec<String> = env.iter().map(|(name, value)| format!("{name}={value}")).collect();
        argv.push(pacemakerd.display().to_string());
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let child = spawn(&self.sandbox, &self.dir, &format!("pacemakerd.{}", self.launches), &argv)?;
        self.pacemakerd = Some(child);
        Ok(())
    }

    /// Waits until the launcher answers on its IPC (`crmadmin -P`).
    pub fn wait_for_launcher(&mut self) -> Result<(), String> {
        self.wait_for(&["crmadmin", "-P"], Duration::from_secs(30))
    }

    /// Sends `signal` to the launcher process (the child of its `nsenter`).
    pub fn signal_launcher(&self, signal: i32) {
        let Some(nsenter) = self.pacemakerd.as_ref().map(Child::id) else { return };
        let children = fs::read_to_string(format!("/proc/{nsenter}/task/{nsenter}/children")).unwrap_or_default();
        for pid in children.split_whitespace().filter_map(|pid| pid.parse::<i32>().ok()) {
            // SAFETY: kill has no memory preconditions; the PID is our grandchild, not yet
            // reaped by nsenter while it is listed as its child.
            unsafe { libc::kill(pid, signal) };
        }
    }

    /// Kills corosync outright (SIGKILL), as a crash would.
    pub fn kill_corosync(&mut self) {
        self.corosync.kill().ok();
        self.corosync.wait().ok();
        // nsenter's child is corosync itself; killing nsenter alone would leave it.
        self.run(&["pkill", "-KILL", "-x", "corosync"]);
    }

    /// Starts corosync again (after [`LauncherNode::kill_corosync`]) and waits until it
    /// answers.
    pub fn restart_corosync(&mut self) -> Result<(), String> {
        self.corosync = spawn(&self.sandbox, &self.dir, "corosync.2", &["/usr/sbin/corosync", "-f"])?;
        self.wait_for(&["corosync-cmapctl", "-g", "runtime.votequorum.this_node_id"], Duration::from_secs(30))
    }

    /// Whether corosync still runs.
    pub fn corosync_running(&mut self) -> bool {
        matches!(self.corosync.try_wait(), Ok(None))
    }

    /// Polls `probe` until it exits 0 (quietly), failing if the launcher exited.
    pub fn wait_for(&mut self, probe: &[&str], timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.quiet(probe);
            if out.success() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.pacemakerd.as_mut().map(Child::try_wait) {
                return Err(format!("pacemakerd exited ({status}) while waiting for {probe:?}"));
            }
            if Instant::now() > deadline {
                return Err(format!("{probe:?} did not succeed within {timeout:?}:\n{out}"));
            }
            sleep(POLL);
        }
    }

    /// Polls until `check` holds for the output of `args`; panics after `timeout`.
    #[track_caller]
    pub fn wait_until(&self, args: &[&str], timeout: Duration, check: impl Fn(&Output) -> bool) -> Output {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.quiet(args);
            if check(&out) {
                self.cmd(args).run();
                return out;
            }
            if Instant::now() > deadline {
                panic!("{args:?} never showed what was expected within {timeout:?}; last:\n{out}");
            }
            sleep(POLL);
        }
    }

    /// A command run inside the node as root (see [`crate::Node::cmd`]).
    pub fn cmd(&self, args: &[&str]) -> Command<'_> {
        node_env::root_command(&self.sandbox, &self.dir, args)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).run()
    }

    fn quiet(&self, args: &[&str]) -> Output {
        let mut command = self.cmd(args).timeout(Duration::from_secs(10));
        command.log = PathBuf::from("/dev/null");
        command.run()
    }

    /// PIDs (inside the node) of the subdaemon `name` (its command line is exactly its
    /// path: launchers start them without arguments; process names are cut at 15 bytes).
    pub fn pids_of(&self, name: &str) -> Vec<u32> {
        self.quiet(&["pgrep", "-x", "-f", &format!("/usr/lib/pacemaker/{name}")]).stdout.lines().filter_map(|l| l.trim().parse().ok()).collect()
    }

    /// The node's Pacemaker log.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("log-pacemaker/pacemaker.log")).unwrap_or_default()
    }

    /// Waits for the launcher to exit; its status, or `None` after `timeout`.
    pub fn wait_for_launcher_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.pacemakerd.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => return Some(status),
                Some(Ok(None)) => {}
                _ => return None,
            }
            if Instant::now() > deadline {
                return None;
            }
            sleep(POLL);
        }
    }

    /// Keeps the node's directory after the test, even if it passes.
    pub fn keep_for_inspection(&mut self) {
        self.keep = true;
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for LauncherNode {
    fn drop(&mut self) {
        let teardown = self.sandbox.destroy();
        for child in std::iter::once(&mut self.corosync).chain(self.pacemakerd.as_mut()) {
            child.kill().ok();
            child.wait().ok();
        }
        if let Err(e) = &teardown {
            eprintln!("compat-tests: {e}");
        }
        if self.keep || std::thread::panicking() || teardown.is_err() || std::env::var_os("PCMK_COMPAT_KEEP").is_some() {
            eprintln!("compat-tests: node files kept in {}", self.dir.display());
        } else {
            fs::remove_dir_all(&self.dir).ok();
        }
    }
}

/// Starts `argv` inside the node as root with a daemon's environment; output in
/// `<name>.stderr`.
fn spawn(sandbox: &Sandbox, dir: &Path, name: &str, argv: &[&str]) -> Result<Child, String> {
    node_env::spawn_daemon(sandbox, argv, RunAs::Root, StderrLog::LogFileOnly, &dir.join(format!("{name}.stderr")))
}

/// The node's host-side directories, with a seed CIB that lets the lone node elect itself
/// quickly and run without fencing devices.
fn prepare_dir(dir: &Path, ids: ClusterIds) -> std::io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    let cib = seed_cib(&[("dc-deadtime", "2s"), ("stonith-enabled", "false")]);
    node_env::create_node_dirs(dir, ids, &corosync_config_without_uidgid(), &[("cib.xml", cib.as_bytes())])
}

/// The harness' corosync.conf minus its `uidgid` block.
fn corosync_config_without_uidgid() -> String {
    let config = crate::corosync::config();
    let mut out = String::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.starts_with("uidgid {") {
            skipping = true;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
        if skipping && line.starts_with('}') {
            skipping = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn corosync_config_loses_only_the_uidgid_block() {
        let config = super::corosync_config_without_uidgid();
        assert!(!config.contains("uidgid"));
        assert!(config.contains("nodelist {") && config.contains("quorum {") && config.contains("system {"));
    }
}
