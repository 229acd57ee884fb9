//! One member of a [`crate::Cluster`]: its directories, namespaces and daemons.

use crate::accounts::ClusterIds;
use crate::cluster::Stack;
use crate::cluster_setup;
use crate::command::{Command, Output};
use crate::daemon_mix::NodeDaemons;
use crate::implementation::{Impl, ImplKind, C_BASED};
use crate::node_env::{self, RunAs, StderrLog};
use crate::sandbox::shell_quote;
use crate::sandbox::Sandbox;
use libcrmcommon::xml::Element;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful stop may take before the member is killed anyway.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// A daemon the harness started in the member; `nsenter` (our child) waits for it.
#[derive(Debug)]
struct MemberDaemon {
    name: String,
    nsenter: Child,
    stderr_file: PathBuf,
}

/// One node of a cluster. It is running between a start and a stop of the cluster's
/// `start_member`/`stop_member`; commands on a stopped member panic.
#[derive(Debug)]
pub struct Member {
    index: usize,
    implementation: NodeDaemons,
    stack: Stack,
    /// Shell lines the cluster adds to the member's namespace setup (e.g. the power switch).
    cluster_setup: String,
    dir: PathBuf,
    sandbox: Option<Sandbox>,
    daemons: Vec<MemberDaemon>,
    /// How many times its namespaces were created (names the bridge port).
    incarnations: u32,
}

impl Member {
    /// Creates the member's host-side directories (Debian's owners and modes), its
    /// corosync.conf and seed CIB.
    pub(crate) fn prepare(
        cluster_dir: &Path,
        index: usize,
        members: usize,
        implementation: NodeDaemons,
        stack: Stack,
        seed_cib: Option<&str>,
        ids: ClusterIds,
        cluster_setup: String,
    ) -> io::Result<Member> {
        let dir = cluster_dir.join(cluster_setup::member_name(index));
        let cib_files: Vec<(&str, &[u8])> = seed_cib.map(|cib| ("cib.xml", cib.as_bytes())).into_iter().collect();
        node_env::create_node_dirs(&dir, ids, &cluster_setup::corosync_config(members), &cib_files)?;
        Ok(Member { index, implementation, stack, cluster_setup, dir, sandbox: None, daemons: Vec::new(), incarnations: 0 })
    }

    /// `node<index>`: hostname and corosync node name.
    pub fn name(&self) -> String {
        cluster_setup::member_name(self.index)
    }

    pub fn index(&self) -> usize {
        self.index
    }

    /// The implementation of its CIB manager.
    pub fn kind(&self) -> ImplKind {
        self.implementation.based.kind()
    }

    /// Which of its daemons are ours.
    pub fn implementation(&self) -> &NodeDaemons {
        &self.implementation
    }

    /// The member's directory on the host (logs, CIB files, command transcript).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Pacemaker log of the member, as seen from the host.
    pub fn pacemaker_log(&self) -> PathBuf {
        self.dir.join("log-pacemaker/pacemaker.log")
    }

    pub fn is_running(&self) -> bool {
        self.sandbox.is_some()
    }

    pub(crate) fn holder_pid(&self) -> Option<u32> {
        self.sandbox.as_ref().map(Sandbox::holder_pid)
    }

    /// Whether the member's namespaces were created and its PID 1 is gone: it was switched
    /// off (fenced through the power switch) without the test stopping it.
    pub fn is_powered_off(&self) -> bool {
        self.sandbox.as_ref().is_some_and(|sandbox| process_finished(sandbox.holder_pid()))
    }

    /// Names of the files in directory `path` as the member sees it (empty when the member
    /// is not running or the directory does not exist). Read through /proc, without
    /// entering the member, so it is cheap enough to poll.
    pub fn list_dir(&self, path: &str) -> Vec<String> {
        let Some(in_member) = self.host_path(path) else { return Vec::new() };
        let mut names: Vec<String> = fs::read_dir(in_member)
            .map(|entries| entries.filter_map(|entry| entry.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The host path of `path` (absolute, without symbolic links) in the member's mount
    /// namespace, while the member runs.
    pub fn host_path(&self, path: &str) -> Option<PathBuf> {
        let sandbox = self.sandbox.as_ref()?;
        Some(PathBuf::from(format!("/proc/{}/root/{}", sandbox.holder_pid(), path.trim_start_matches('/'))))
    }

    /// Sends SIGKILL to every process of the member named `process_name` (as `pkill -x`
    /// matches it), and returns how many there were.
    #[track_caller]
    pub fn kill_processes(&self, process_name: &str) -> usize {
        let found = self.run(&["pgrep", "-x", process_name]);
        let pids: Vec<&str> = found.stdout.split_whitespace().collect();
        if !pids.is_empty() {
            self.run(&["pkill", "-KILL", "-x", process_name]);
        }
        pids.len()
    }

    pub(crate) fn incarnation(&self) -> u32 {
        self.incarnations
    }

    pub(crate) fn create_sandbox(&mut self) -> Result<(), String> {
        if self.sandbox.is_some() {
            return Err(format!("{} is already running", self.name()));
        }
        self.incarnations += 1;
        let ready = self.dir.join("ready");
        fs::remove_file(&ready).ok();
        let mut setup = String::new();
        for (binary, installed) in self.implementation.subdaemon_mounts() {
            setup.push_str(&format!("mount --bind {} {}\n", shell_quote(&binary.display().to_string()), shell_quote(&installed)));
        }
        setup.push_str(&self.cluster_setup);
        let script = crate::sandbox::node_setup_script(&self.dir, &cluster_setup::member_name(self.index), &Impl::C, &setup, &ready);
        let log = self.dir.join(format!("holder.{}.log", self.incarnations));
        let sandbox = Sandbox::create(&script, &ready, &log).map_err(|e| format!("creating the namespaces: {e}"))?;
        self.sandbox = Some(sandbox);
        Ok(())
    }

    pub(crate) fn start_corosync(&mut self) -> Result<(), String> {
        self.spawn_daemon("corosync", &["/usr/sbin/corosync", "-f"], false)
    }

    pub(crate) fn wait_for_corosync(&mut self) -> Result<(), String> {
        self.wait_for("corosync", &["corosync-cmapctl", "-g", "runtime.votequorum.this_node_id"])
    }

    /// Starts pacemaker-based as hacluster (as pacemakerd would), or pacemakerd as root.
    pub(crate) fn start_pacemaker(&mut self) -> Result<(), String> {
        match self.stack {
            Stack::BasedOnly => self.spawn_daemon("pacemaker-based", &[C_BASED], true),
            Stack::Full => {
                let launcher = self.implementation.launcher().display().to_string();
                self.spawn_daemon("pacemakerd", &[&launcher], false)
            }
        }
    }

    /// Starts the launcher again after it was killed (as systemd would restart it); the
    /// subdaemons it left running are adopted by the new one.
    pub(crate) fn restart_launcher(&mut self) -> Result<(), String> {
        if let Some(position) = self.daemons.iter().position(|daemon| daemon.name == "pacemakerd") {
            let mut old = self.daemons.remove(position);
            match old.nsenter.try_wait() {
                Ok(Some(_)) => {}
                _ => {
                    self.daemons.insert(position, old);
                    return Err(format!("pacemakerd of {} still runs", self.name()));
                }
            }
        }
        self.start_pacemaker()
    }

    pub(crate) fn wait_for_cib(&mut self) -> Result<(), String> {
        self.wait_for("the CIB manager", &["cibadmin", "-Q", "-l"])
    }

    /// Waits until the CPG group `group` (e.g. `cib`) has `members` processes as this
    /// member's corosync sees it: before that, a write is not seen by the missing ones.
    pub(crate) fn wait_for_group(&mut self, group: &str, members: usize) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let output = self.quiet_cmd(&["corosync-cpgtool", "-e"]).timeout(Duration::from_secs(5)).run();
            let seen = group_size(&output.stdout, group);
            if output.success() && seen == members {
                return Ok(());
            }
            self.check_daemons_alive().map_err(|dead| format!("while waiting for CPG group {group}: {dead}"))?;
            if Instant::now() > deadline {
                return Err(format!(
                    "CPG group {group} on {} has {seen} of {members} members after {START_TIMEOUT:?}:\n{output}",
                    self.name()
                ));
            }
            sleep(POLL);
        }
    }

    /// Graceful stop: the Pacemaker side first (`pacemakerd --shutdown`, or SIGTERM to
    /// based), then corosync (SIGTERM), then the namespaces. A member that does not stop
    /// in time is killed and the delay reported as an error.
    pub(crate) fn stop(&mut self) -> Result<(), String> {
        if self.sandbox.is_none() {
            return Err(format!("{} is not running", self.name()));
        }
        let mut problems = Vec::new();
        let pacemaker = match self.stack {
            Stack::BasedOnly => "pacemaker-based",
            Stack::Full => "pacemakerd",
        };
        if self.stack == Stack::Full {
            let asked = self.cmd(&["pacemakerd", "--shutdown"]).timeout(Duration::from_secs(20)).run();
            if !asked.success() {
                problems.push(format!("pacemakerd --shutdown failed:\n{asked}"));
                self.signal_daemon(pacemaker, libc::SIGTERM);
            }
        } else {
            self.signal_daemon(pacemaker, libc::SIGTERM);
        }
        if let Err(error) = self.wait_for_exit(pacemaker) {
            problems.push(error);
        }
        self.signal_daemon("corosync", libc::SIGTERM);
        if let Err(error) = self.wait_for_exit("corosync") {
            problems.push(error);
        }
        if let Err(error) = self.destroy() {
            problems.push(error);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Kills everything in the member's namespaces (no-op when stopped).
    pub(crate) fn destroy(&mut self) -> Result<(), String> {
        let result = match self.sandbox.as_mut() {
            Some(sandbox) => sandbox.destroy(),
            None => Ok(()),
        };
        for daemon in &mut self.daemons {
            daemon.nsenter.kill().ok();
            daemon.nsenter.wait().ok();
        }
        self.daemons.clear();
        self.sandbox = None;
        result
    }

    /// A command to run inside the member as root with a clean environment (PATH,
    /// LANG=C.UTF-8, HOME and TMPDIR in the member's directory, TERM=dumb).
    #[track_caller]
    pub fn cmd(&self, args: &[&str]) -> Command<'_> {
        let Some(sandbox) = self.sandbox.as_ref() else {
            panic!("{} is stopped; cannot run {args:?}", self.name());
        };
        node_env::root_command(sandbox, &self.dir, args)
    }

    /// Runs `args` inside the member and returns what it did.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).run()
    }

    /// Like [`Member::cmd`] but not written to commands.log (for polling).
    #[track_caller]
    pub fn quiet_cmd(&self, args: &[&str]) -> Command<'_> {
        let mut command = self.cmd(args);
        command.log = PathBuf::from("/dev/null");
        command
    }

    /// Like [`Member::run`] but not written to commands.log (for polling).
    #[track_caller]
    pub fn run_quietly(&self, args: &[&str]) -> Output {
        self.quiet_cmd(args).run()
    }

    /// This member's whole CIB as its own CIB manager has it (`cibadmin -Q -l`).
    #[track_caller]
    pub fn cib(&self) -> Element {
        self.run(&["cibadmin", "-Q", "-l"]).expect_ok().xml()
    }

    /// Checks that every daemon the harness started here still runs.
    pub(crate) fn check_daemons_alive(&self) -> Result<(), String> {
        let dead: Vec<&str> = self
            .daemons
            .iter()
            .filter(|daemon| process_finished(daemon.nsenter.id()))
            .map(|daemon| daemon.name.as_str())
            .collect();
        if dead.is_empty() {
            Ok(())
        } else {
            Err(format!("daemons of {} exited: {dead:?}{}", self.name(), self.daemon_stderr_tails()))
        }
    }

    pub(crate) fn daemon_stderr_tails(&self) -> String {
        node_env::stderr_tails(self.daemons.iter().map(|daemon| daemon.stderr_file.as_path()))
    }

    fn spawn_daemon(&mut self, name: &str, argv: &[&str], as_cluster_user: bool) -> Result<(), String> {
        let sandbox = self.sandbox.as_ref().ok_or_else(|| format!("{} is stopped", cluster_setup::member_name(self.index)))?;
        let stderr_file = self.dir.join(format!("{name}.{}.stderr", self.incarnations));
        let run_as = if as_cluster_user { RunAs::ClusterUser } else { RunAs::Root };
        let nsenter = node_env::spawn_daemon(sandbox, argv, run_as, StderrLog::Copied, &stderr_file)?;
        self.daemons.push(MemberDaemon { name: name.to_owned(), nsenter, stderr_file });
        Ok(())
    }

    /// Sends `signal` to the daemon process itself: the child of its `nsenter` (env and
    /// setpriv exec, so that child is the daemon).
    fn signal_daemon(&self, name: &str, signal: i32) {
        let Some(daemon) = self.daemons.iter().find(|daemon| daemon.name == name) else { return };
        let nsenter = daemon.nsenter.id();
        let children = fs::read_to_string(format!("/proc/{nsenter}/task/{nsenter}/children")).unwrap_or_default();
        for pid in children.split_whitespace().filter_map(|pid| pid.parse::<i32>().ok()) {
            // SAFETY: kill has no memory preconditions; the PID is our grandchild, which
            // nsenter has not reaped while it is listed as its child.
            unsafe { libc::kill(pid, signal) };
        }
    }

    fn wait_for_exit(&mut self, name: &str) -> Result<(), String> {
        let deadline = Instant::now() + STOP_TIMEOUT;
        let Some(daemon) = self.daemons.iter_mut().find(|daemon| daemon.name == name) else { return Ok(()) };
        loop {
            match daemon.nsenter.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if Instant::now() > deadline => {
                    return Err(format!("{name} did not exit within {STOP_TIMEOUT:?}"))
                }
                Ok(None) => sleep(POLL),
                Err(error) => return Err(format!("waiting for {name}: {error}")),
            }
        }
    }

    /// Polls `probe` until it exits 0, failing early if a daemon died.
    fn wait_for(&mut self, what: &str, probe: &[&str]) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let output = self.quiet_cmd(probe).timeout(Duration::from_secs(5)).run();
            if output.success() {
                return Ok(());
            }
            self.check_daemons_alive().map_err(|dead| format!("while waiting for {what}: {dead}"))?;
            if Instant::now() > deadline {
                return Err(format!("{what} on {} not ready after {START_TIMEOUT:?}; last probe:\n{output}", self.name()));
            }
            sleep(POLL);
        }
    }
}

/// Number of members `corosync-cpgtool` lists for `group`: the indented lines below the
/// group's own (unindented) line. corosync-cpgtool -e prints the name with its
/// terminating NUL, hence the trimming.
fn group_size(cpgtool_output: &str, group: &str) -> usize {
    let name_of = |line: &str| line.trim_end_matches(|c: char| c.is_whitespace() || c == '\0').to_owned();
    let mut lines = cpgtool_output.lines().skip_while(|line| name_of(line) != group);
    if lines.next().is_none() {
        return 0;
    }
    lines.take_while(|line| line.starts_with([' ', '\t'])).count()
}

/// Whether `pid` (a child of ours) has exited and is a zombie, or is gone.
fn process_finished(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::group_size;

    #[test]
    fn counts_the_members_of_one_cpg_group() {
        let output = "Group Name\t       PID\t   Node ID\ncib\0 \n\t\t        38\t         1 (10.213.0.1)\n\t\t        30\t         2 (10.213.0.2)\ncrmd\n\t\t        41\t         1 (10.213.0.1)\n";
        assert_eq!(group_size(output, "cib"), 2);
        assert_eq!(group_size(output, "crmd"), 1);
        assert_eq!(group_size(output, "attrd"), 0);
    }
}
