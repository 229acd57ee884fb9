//! One isolated single-node "cluster": its directories, namespaces and daemons.

use crate::accounts::ClusterIds;
use crate::command::{Command, Output};
use crate::corosync;
use crate::implementation::{Impl, ImplKind, C_BASED};
use crate::node_env::{self, RunAs, StderrLog};
use crate::sandbox::{self, Sandbox};
use libcrmcommon::xml::Element;
use std::cell::Cell;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long corosync and the CIB manager get to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// Other Debian C daemons a node can run beside the CIB manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CDaemon {
    Fenced,
    Execd,
    Attrd,
    Schedulerd,
    Controld,
}

impl CDaemon {
    pub fn binary_name(self) -> &'static str {
        match self {
            CDaemon::Fenced => "pacemaker-fenced",
            CDaemon::Execd => "pacemaker-execd",
            CDaemon::Attrd => "pacemaker-attrd",
            CDaemon::Schedulerd => "pacemaker-schedulerd",
            CDaemon::Controld => "pacemaker-controld",
        }
    }

    /// Whether pacemakerd would start it as hacluster (else root).
    fn runs_as_cluster_user(self) -> bool {
        matches!(self, CDaemon::Attrd | CDaemon::Schedulerd | CDaemon::Controld)
    }
}

/// What a node runs.
#[derive(Debug, Clone)]
pub struct NodeOpts {
    /// The pacemaker-based under test.
    pub based: Impl,
    /// Run corosync (one node on 127.0.0.1). Without it pacemaker-based gets
    /// `--stand-alone` (the C one then refuses writes).
    pub corosync: bool,
    /// Initial `/var/lib/pacemaker/cib/cib.xml` (no `.sig` is written; based accepts that).
    pub cib_xml: Option<String>,
    /// Further files to put in `/var/lib/pacemaker/cib` before the start (name, content), e.g.
    /// a `cib.xml` with its `cib.xml.sig` written by another implementation.
    pub cib_files: Vec<(String, Vec<u8>)>,
    /// Further C daemons, started in this order after pacemaker-based answers.
    pub extra_daemons: Vec<CDaemon>,
    /// Runs this executor binary where `extra_daemons` asks for [`CDaemon::Execd`] (to put
    /// our pacemaker-execd under Debian's C controller).
    pub execd_binary: Option<PathBuf>,
    /// Name of the node's directory under the output directory (any text; sanitised).
    pub name: String,
    /// Shell lines the holder runs after the standard setup, and the line that `exec`s
    /// its PID 1 instead of the reaper (e.g. systemd); see
    /// [`sandbox::node_setup_script_with_init`].
    pub holder_setup: String,
    pub holder_init: Option<String>,
}

impl NodeOpts {
    /// Defaults for `based`: corosync unless it is the Rust daemon (see
    /// [`Impl::wants_corosync_by_default`]), empty CIB, no other daemons.
    pub fn new(based: Impl) -> NodeOpts {
        let corosync = based.wants_corosync_by_default();
        NodeOpts {
            based,
            corosync,
            cib_xml: None,
            cib_files: Vec::new(),
            extra_daemons: Vec::new(),
            execd_binary: None,
            name: "node".to_owned(),
            holder_setup: String::new(),
            holder_init: None,
        }
    }
}

/// Why a node did not start; its directory is kept for inspection.
#[derive(Debug)]
pub struct StartError {
    pub message: String,
    pub dir: PathBuf,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (logs in {})", self.message, self.dir.display())
    }
}

impl std::error::Error for StartError {}

/// A daemon started inside the node. `nsenter` (our child) waits for it, so the daemon is
/// alive exactly as long as that child has not exited.
#[derive(Debug)]
struct Daemon {
    name: String,
    nsenter: Child,
    stderr_file: PathBuf,
}

/// A running node. Dropping it kills every process in it; its directory is removed unless
/// the test is failing (panicking) or [`Node::keep_logs`] was called.
#[derive(Debug)]
pub struct Node {
    based: Impl,
    corosync: bool,
    dir: PathBuf,
    sandbox: Sandbox,
    daemons: Vec<Daemon>,
    keep: Cell<bool>,
}

impl Node {
    /// Creates the node's directory and namespaces, starts corosync (if asked) and
    /// pacemaker-based, and returns once `cibadmin -Q` succeeds inside.
    pub fn start(opts: NodeOpts) -> Result<Node, StartError> {
        let dir = node_env::output_dir().join(node_env::directory_name(&opts.name, "node"));
        let fail = |message: String| StartError { message, dir: dir.clone() };
        if !crate::running_as_root() {
            return Err(fail("the compat-test harness needs root".to_owned()));
        }
        let ids = ClusterIds::lookup().map_err(|e| fail(e.to_string()))?;
        prepare_dir(&dir, ids, &opts).map_err(|e| fail(format!("preparing {}: {e}", dir.display())))?;
        let script = setup_script(&dir, &opts);
        let sandbox = Sandbox::create(&script, &dir.join("ready"), &dir.join("holder.log"))
            .map_err(|e| fail(format!("creating the namespaces: {e}")))?;
        let mut node = Node {
            based: opts.based.clone(),
            corosync: opts.corosync,
            dir: dir.clone(),
            sandbox,
            daemons: Vec::new(),
            keep: Cell::new(false),
        };
        if let Err(message) = node.boot(&opts) {
            node.keep_logs();
            let tails = node.daemon_stderr_tails();
            drop(node);
            return Err(fail(format!("{message}{tails}")));
        }
        Ok(node)
    }

    fn boot(&mut self, opts: &NodeOpts) -> Result<(), String> {
        if opts.corosync {
            self.spawn_daemon("corosync", &["/usr/sbin/corosync", "-f"], false)?;
            self.wait_for("corosync", &["corosync-cmapctl", "-g", "runtime.votequorum.this_node_id"])?;
        }
        // With --stand-alone the C daemon switches to hacluster:haclient by itself (its
        // -s option handler calls setgid/initgroups/setuid) and exits 100 if it cannot,
        // i.e. when not started as root. Without it, pacemakerd would start it as
        // hacluster, which the harness does instead.
        if opts.corosync {
            self.spawn_daemon("pacemaker-based", &[C_BASED], true)?;
        } else {
            self.spawn_daemon("pacemaker-based", &[C_BASED, "--stand-alone"], false)?;
        }
        self.wait_for("pacemaker-based", &["cibadmin", "-Q"])?;
        for daemon in &opts.extra_daemons {
            let path = match (daemon, &opts.execd_binary) {
                (CDaemon::Execd, Some(binary)) => binary.display().to_string(),
                _ => format!("/usr/lib/pacemaker/{}", daemon.binary_name()),
            };
            self.spawn_daemon(daemon.binary_name(), &[&path], daemon.runs_as_cluster_user())?;
        }
        Ok(())
    }

    /// Starts another daemon inside the node, as root, after the node is up (e.g. an
    /// executor under test); its output goes to `<dir>/<name>.stderr` and it is watched by
    /// [`Node::assert_daemons_alive`].
    pub fn start_extra_daemon(&mut self, name: &str, argv: &[&str]) -> Result<(), String> {
        self.spawn_daemon(name, argv, false)
    }

    /// Polls `probe` (run inside the node) until it exits 0, for up to 30 s; fails early if
    /// a daemon of the node died.
    pub fn wait_until_ready(&mut self, what: &str, probe: &[&str]) -> Result<(), String> {
        self.wait_for(what, probe)
    }

    /// Starts `argv` inside the node with the daemons' environment, stdout and stderr into
    /// `<dir>/<name>.stderr`.
    fn spawn_daemon(&mut self, name: &str, argv: &[&str], as_cluster_user: bool) -> Result<(), String> {
        let stderr_file = self.dir.join(format!("{name}.stderr"));
        let run_as = if as_cluster_user { RunAs::ClusterUser } else { RunAs::Root };
        let nsenter = node_env::spawn_daemon(&self.sandbox, argv, run_as, StderrLog::Copied, &stderr_file)?;
        self.daemons.push(Daemon { name: name.to_owned(), nsenter, stderr_file });
        Ok(())
    }

    /// Polls `probe` until it exits 0, failing early if a daemon died.
    fn wait_for(&mut self, what: &str, probe: &[&str]) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let output = self.cmd(probe).timeout(Duration::from_secs(5)).run_unlogged();
            if output.success() {
                return Ok(());
            }
            if let Some(dead) = self.first_dead_daemon() {
                return Err(format!("{dead} exited while waiting for {what}"));
            }
            if Instant::now() > deadline {
                return Err(format!("{what} not ready after {START_TIMEOUT:?}; last probe:\n{output}"));
            }
            sleep(POLL);
        }
    }

    /// Name and exit status of the first daemon that is no longer running.
    fn first_dead_daemon(&mut self) -> Option<String> {
        self.daemons.iter_mut().find_map(|daemon| match daemon.nsenter.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(format!("{} ({status})", daemon.name)),
            Err(error) => Some(format!("{} (cannot check: {error})", daemon.name)),
        })
    }

    fn daemon_stderr_tails(&self) -> String {
        node_env::stderr_tails(self.daemons.iter().map(|daemon| daemon.stderr_file.as_path()))
    }

    /// A command to run inside the node as root, with a clean environment: PATH, LANG=C.UTF-8,
    /// HOME and TMPDIR in the node's directory (crmsh and pcs write there), TERM=dumb.
    pub fn cmd(&self, args: &[&str]) -> Command<'_> {
        node_env::root_command(&self.sandbox, &self.dir, args)
    }

    /// Runs `args` inside the node (see [`Node::cmd`] for stdin, environment, timeout).
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).run()
    }

    /// The whole CIB (`cibadmin -Q`), parsed; panics if the query fails.
    #[track_caller]
    pub fn cib(&self) -> Element {
        self.run(&["cibadmin", "-Q"]).expect_ok().xml()
    }

    pub fn implementation(&self) -> &Impl {
        &self.based
    }

    pub fn kind(&self) -> ImplKind {
        self.based.kind()
    }

    pub fn has_corosync(&self) -> bool {
        self.corosync
    }

    /// The node's directory on the host (logs, CIB files, command transcript).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Host PID of the node's PID 1.
    pub fn holder_pid(&self) -> u32 {
        self.sandbox.holder_pid()
    }

    /// Host PIDs of every process inside the node.
    pub fn host_pids(&self) -> Vec<u32> {
        self.sandbox.members()
    }

    /// Keeps the node's directory after it is dropped even if the test passes.
    pub fn keep_logs(&self) {
        self.keep.set(true);
    }

    /// Panics unless every daemon the node started is still running (a crash during a
    /// test must fail it even when every command happened to succeed).
    #[track_caller]
    pub fn assert_daemons_alive(&self) {
        let mut dead = Vec::new();
        for daemon in &self.daemons {
            // try_wait needs &mut; a zero-timeout check through /proc avoids that: the
            // nsenter child stays a zombie (not reaped) after the daemon exits.
            if process_finished(daemon.nsenter.id()) {
                dead.push(daemon.name.clone());
            }
        }
        if !dead.is_empty() {
            self.keep_logs();
            panic!("daemons exited during the test: {dead:?}{}", self.daemon_stderr_tails());
        }
    }

    /// Kills everything in the node and reports processes that survived (the directory
    /// is handled as on drop).
    pub fn stop(mut self) -> Result<(), String> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<(), String> {
        let result = self.sandbox.destroy();
        for daemon in &mut self.daemons {
            daemon.nsenter.kill().ok();
            daemon.nsenter.wait().ok();
        }
        result
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let teardown = self.teardown();
        if let Err(error) = &teardown {
            eprintln!("compat-tests: {error}");
        }
        let failed = std::thread::panicking() || teardown.is_err();
        if failed || self.keep.get() || std::env::var_os("PCMK_COMPAT_KEEP").is_some() {
            eprintln!("compat-tests: node files kept in {}", self.dir.display());
        } else if let Err(error) = fs::remove_dir_all(&self.dir) {
            eprintln!("compat-tests: cannot remove {}: {error}", self.dir.display());
        }
    }
}

impl Command<'_> {
    /// Runs without appending to commands.log (readiness polling would flood it).
    fn run_unlogged(mut self) -> Output {
        self.log = PathBuf::from("/dev/null");
        self.run()
    }
}

/// Whether `pid` (a child of ours) has exited and is a zombie, or is gone.
fn process_finished(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may contain spaces.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// Creates the node's host-side directories with the owners and modes Debian's packages
/// give their counterparts.
fn prepare_dir(dir: &Path, ids: ClusterIds, opts: &NodeOpts) -> io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    let mut files: Vec<(&str, &[u8])> = opts.cib_files.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    if let Some(cib) = &opts.cib_xml {
        files.push(("cib.xml", cib.as_bytes()));
    }
    node_env::create_node_dirs(dir, ids, &corosync::config(), &files)
}

/// The holder's setup for this single node (see [`sandbox::node_setup_script`]).
fn setup_script(dir: &Path, opts: &NodeOpts) -> String {
    let init = opts.holder_init.as_deref().unwrap_or(sandbox::REAPER);
    sandbox::node_setup_script_with_init(dir, corosync::NODE_NAME, &opts.based, &opts.holder_setup, &dir.join("ready"), init)
}
