//! A test cluster of N nodes on one virtual bridge, each node in its own namespaces, each
//! with its own choice of CIB manager (Debian's C daemon or ours).
//!
//! Layout: a "switch" sandbox holds a network namespace with the bridge; every member is a
//! sandbox like the single-node harness' ([`crate::Node`]) whose `eth0` is one end of a
//! veth pair whose other end is plugged into the bridge. All namespaces are anonymous and
//! every interface name lives inside them, so tests running in parallel cannot collide and
//! nothing is added to the host's network configuration.
//!
//! A member can be stopped (its daemons shut down gracefully, then its namespaces
//! destroyed) and started again with its state directories kept, as after a reboot.
//!
//! ```ignore
//! let cluster = Cluster::start(ClusterOpts::new("t", Stack::BasedOnly, vec![Impl::C, rust]))?;
//! cluster.member(1).run(&["cibadmin", "-Q"]).expect_ok();
//! ```

use crate::accounts::ClusterIds;
use crate::cluster_member::Member;
use crate::cluster_setup;
use crate::daemon_mix::NodeDaemons;
use crate::implementation::{Impl, ImplKind, Selection};
use crate::node_env;
use crate::power_switch::{PowerEvent, PowerSwitch};
use crate::node::StartError;
use crate::sandbox::Sandbox;
use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The CPG group of the CIB managers.
const CIB_GROUP: &str = "cib";

/// Which daemons each member runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// corosync and pacemaker-based only, started by the harness (based as hacluster).
    BasedOnly,
    /// corosync and Debian's pacemakerd, which starts all six subdaemons (the CIB
    /// manager being ours where the member's [`Impl`] says so). With
    /// [`ClusterOpts::with_daemons`], the launcher and subdaemons each member's
    /// [`NodeDaemons`] names.
    Full,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct ClusterOpts {
    /// Names the cluster's directory under the output directory (any text; sanitised).
    pub name: String,
    pub stack: Stack,
    /// The daemons of each member; member `i` (1-based) is `members[i - 1]`.
    pub members: Vec<NodeDaemons>,
    /// Initial `cib.xml` of each member (`None`: start without one). Missing entries
    /// count as `None`.
    pub seed_cibs: Vec<Option<String>>,
    /// Installs a [`PowerSwitch`], so that fence_dummy really switches members off.
    pub power_switch: bool,
}

impl ClusterOpts {
    /// Members that differ only in their CIB manager.
    pub fn new(name: &str, stack: Stack, members: Vec<Impl>) -> ClusterOpts {
        let members = members.into_iter().map(NodeDaemons::with_based).collect();
        ClusterOpts { name: name.to_owned(), stack, members, seed_cibs: Vec::new(), power_switch: false }
    }

    /// Members started by a launcher, each with its own mix of daemons.
    pub fn with_daemons(name: &str, members: Vec<NodeDaemons>) -> ClusterOpts {
        ClusterOpts { name: name.to_owned(), stack: Stack::Full, members, seed_cibs: Vec::new(), power_switch: false }
    }

    /// Makes fencing switch the fenced member off (see [`PowerSwitch`]).
    pub fn with_power_switch(mut self) -> ClusterOpts {
        self.power_switch = true;
        self
    }

    /// Gives every member the same initial CIB.
    pub fn seed_all(mut self, cib: &str) -> ClusterOpts {
        self.seed_cibs = vec![Some(cib.to_owned()); self.members.len()];
        self
    }
}

/// A running cluster. Dropping it destroys every namespace; its directory is removed unless
/// the test is failing or [`Cluster::keep_logs`] was called (or `PCMK_COMPAT_KEEP` is set).
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    // Declared (and so dropped) before the switch: members unplug first.
    members: Vec<Member>,
    switch: Sandbox,
    power: Option<PowerSwitch>,
    keep: Cell<bool>,
}

impl Cluster {
    /// Creates the switch and every member, starts corosync everywhere, then the CIB
    /// manager (or pacemakerd), and returns once `cibadmin -Q` answers on every member.
    pub fn start(opts: ClusterOpts) -> Result<Cluster, StartError> {
        let dir = node_env::output_dir().join(node_env::directory_name(&opts.name, "cluster"));
        let fail = |message: String| StartError { message, dir: dir.clone() };
        if !crate::running_as_root() {
            return Err(fail("the compat-test harness needs root".to_owned()));
        }
        if opts.members.is_empty() || opts.members.len() > 250 {
            return Err(fail(format!("a cluster needs 1 to 250 members, not {}", opts.members.len())));
        }
        let ids = ClusterIds::lookup().map_err(|e| fail(e.to_string()))?;
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| fail(format!("removing {}: {e}", dir.display())))?;
        }
        fs::create_dir_all(&dir).map_err(|e| fail(format!("creating {}: {e}", dir.display())))?;
        let ready = dir.join("switch.ready");
        let switch = Sandbox::create(&cluster_setup::switch_script(&ready), &ready, &dir.join("switch.log"))
            .map_err(|e| fail(format!("creating the switch: {e}")))?;
        let power = match opts.power_switch {
            true => Some(PowerSwitch::install(&dir).map_err(|e| fail(format!("installing the power switch: {e}")))?),
            false => None,
        };
        let member_setup = power.as_ref().map(PowerSwitch::member_setup).unwrap_or_default();
        let mut cluster = Cluster { dir: dir.clone(), members: Vec::new(), switch, power, keep: Cell::new(false) };
        let count = opts.members.len();
        for (position, daemons) in opts.members.iter().enumerate() {
            let seed = opts.seed_cibs.get(position).cloned().flatten();
            let member =
                Member::prepare(&dir, position + 1, count, daemons.clone(), opts.stack, seed.as_deref(), ids, member_setup.clone())
                    .map_err(|e| fail(format!("preparing member {}: {e}", position + 1)))?;
            cluster.members.push(member);
        }
        let booted = (1..=count).try_for_each(|index| cluster.boot_namespaces(index)).and_then(|()| {
            cluster.members.iter_mut().try_for_each(Member::start_corosync)?;
            cluster.members.iter_mut().try_for_each(Member::wait_for_corosync)?;
            cluster.members.iter_mut().try_for_each(Member::start_pacemaker)?;
            cluster.members.iter_mut().try_for_each(Member::wait_for_cib)?;
            cluster.members.iter_mut().try_for_each(|member| member.wait_for_group(CIB_GROUP, count))
        });
        if let Err(message) = booted {
            cluster.keep_logs();
            let tails = cluster.members.iter().map(Member::daemon_stderr_tails).collect::<String>();
            return Err(fail(format!("{message}{tails}")));
        }
        Ok(cluster)
    }

    /// Member `index` (1-based, as in its name `node<index>`). Panics on a bad index.
    #[track_caller]
    pub fn member(&self, index: usize) -> &Member {
        match index.checked_sub(1).and_then(|position| self.members.get(position)) {
            Some(member) => member,
            None => panic!("the cluster has no member {index}"),
        }
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Stops member `index` gracefully (pacemakerd or based first, then corosync) and
    /// destroys its namespaces; its state directories (CIB, logs) stay.
    #[track_caller]
    pub fn stop_member(&mut self, index: usize) {
        self.unplug(index);
        let member = self.member_mut(index);
        if let Err(error) = member.stop() {
            self.keep_logs();
            panic!("stopping node{index}: {error}");
        }
    }

    /// Starts a stopped member again with the state it had, and waits for its CIB manager.
    #[track_caller]
    pub fn start_member(&mut self, index: usize) {
        if self.member(index).is_powered_off() {
            self.clear_powered_off(index);
        }
        let started = self.boot_namespaces(index).and_then(|()| {
            let member = self.member_mut(index);
            member.start_corosync()?;
            member.wait_for_corosync()?;
            member.start_pacemaker()?;
            member.wait_for_cib()?;
            let running = self.members.iter().filter(|member| member.is_running()).count();
            self.members.iter_mut().filter(|member| member.is_running()).try_for_each(|member| member.wait_for_group(CIB_GROUP, running))
        });
        if let Err(error) = started {
            self.keep_logs();
            let tails = self.member(index).daemon_stderr_tails();
            panic!("restarting node{index}: {error}{tails}");
        }
    }

    /// Starts the launcher of member `index` again after the test killed it.
    #[track_caller]
    pub fn restart_launcher(&mut self, index: usize) {
        if let Err(error) = self.member_mut(index).restart_launcher() {
            self.keep_logs();
            panic!("restarting pacemakerd on node{index}: {error}");
        }
    }

    /// Kills every process of member `index` at once, as a power cut would; its state
    /// directories stay (start it again with [`Cluster::start_member`]).
    #[track_caller]
    pub fn power_off(&mut self, index: usize) {
        self.unplug(index);
        if let Err(error) = self.member_mut(index).destroy() {
            self.keep_logs();
            panic!("powering node{index} off: {error}");
        }
    }

    /// The members that are switched off without the test having stopped them (fenced).
    pub fn powered_off_members(&self) -> Vec<usize> {
        self.members.iter().filter(|member| member.is_powered_off()).map(Member::index).collect()
    }

    /// What the power switch did so far (empty without one).
    pub fn power_events(&self) -> Vec<PowerEvent> {
        self.power.as_ref().map(PowerSwitch::events).unwrap_or_default()
    }

    /// Cleans up after a member the power switch turned off, so it can start again.
    fn clear_powered_off(&mut self, index: usize) {
        if let Err(error) = self.member_mut(index).destroy() {
            eprintln!("compat-tests: clearing node{index} after its power cut: {error}");
        }
    }

    fn unplug(&self, index: usize) {
        if let Some(power) = &self.power {
            power.unplug(&self.member(index).name());
        }
    }

    /// Keeps the cluster's directory after the drop even when the test passes.
    pub fn keep_logs(&self) {
        self.keep.set(true);
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last `lines` warnings, errors and critical messages of every member's Pacemaker
    /// log, for a failure report: CI keeps only the test's output, and why a daemon stopped
    /// (or pacemakerd gave up) is usually said in one of these lines.
    pub fn problems_logged(&self, lines: usize) -> String {
        let mut report = String::new();
        for member in &self.members {
            let log = fs::read_to_string(member.pacemaker_log()).unwrap_or_default();
            let problems: Vec<&str> = log
                .lines()
                .filter(|line| ["\twarning: ", "\terror: ", "\tcrit: "].iter().any(|level| line.contains(level)))
                .collect();
            let tail = &problems[problems.len().saturating_sub(lines)..];
            report.push_str(&format!("--- {}: last {} problems logged\n", member.name(), tail.len()));
            for line in tail {
                report.push_str(line);
                report.push('\n');
            }
        }
        report
    }

    /// Panics unless every daemon the harness started on every running member is alive.
    #[track_caller]
    pub fn assert_daemons_alive(&self) {
        for member in &self.members {
            if let Err(report) = member.check_daemons_alive() {
                self.keep_logs();
                panic!("{report}");
            }
        }
    }

    #[track_caller]
    fn member_mut(&mut self, index: usize) -> &mut Member {
        match index.checked_sub(1).and_then(|position| self.members.get_mut(position)) {
            Some(member) => member,
            None => panic!("the cluster has no member {index}"),
        }
    }

    /// Creates member `index`'s namespaces and plugs its `eth0` into the bridge.
    fn boot_namespaces(&mut self, index: usize) -> Result<(), String> {
        let switch_pid = self.switch.holder_pid();
        let member = self.member_mut(index);
        member.create_sandbox()?;
        let member_pid = member.holder_pid().ok_or("member has no namespaces")?;
        // A fresh name per plug: the previous incarnation's veth end may still be
        // vanishing from the switch while the new one is added.
        let port = format!("v{index}g{}", member.incarnation());
        let address = format!("{}/24", cluster_setup::member_address(index));
        let in_switch = |args: &[&str]| run_in_netns(switch_pid, args);
        let in_member = |args: &[&str]| run_in_netns(member_pid, args);
        in_switch(&["ip", "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &member_pid.to_string()])?;
        in_switch(&["ip", "link", "set", &port, "master", cluster_setup::BRIDGE, "up"])?;
        in_member(&["ip", "addr", "add", &address, "dev", "eth0"])?;
        in_member(&["ip", "link", "set", "eth0", "up"])?;
        if let Some(power) = &self.power {
            power.plug(&cluster_setup::member_name(index), member_pid);
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The switch first: it must not kill by a PID that a destroyed member freed.
        drop(self.power.take());
        let mut clean = true;
        for member in &mut self.members {
            if let Err(error) = member.destroy() {
                eprintln!("compat-tests: {error}");
                clean = false;
            }
        }
        if let Err(error) = self.switch.destroy() {
            eprintln!("compat-tests: {error}");
            clean = false;
        }
        let failed = std::thread::panicking() || !clean;
        if failed || self.keep.get() || std::env::var_os("PCMK_COMPAT_KEEP").is_some() {
            eprintln!("compat-tests: cluster files kept in {}", self.dir.display());
        } else if let Err(error) = fs::remove_dir_all(&self.dir) {
            eprintln!("compat-tests: cannot remove {}: {error}", self.dir.display());
        }
    }
}

/// Runs `args` on the host side in the network namespace of process `pid`.
fn run_in_netns(pid: u32, args: &[&str]) -> Result<(), String> {
    let output = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-n", "--"])
        .args(args)
        .output()
        .map_err(|e| format!("running nsenter {args:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{args:?} in the namespace of {pid} failed: {}", String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// Polls `probe` every 100 ms until it returns `Ok`, and panics with its last error when
/// `timeout` passes first.
#[track_caller]
pub fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match probe() {
            Ok(value) => return value,
            Err(last) if Instant::now() > deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last state:\n{last}")
            }
            Err(_) => sleep(Duration::from_millis(100)),
        }
    }
}

/// The implementations for a mix of kinds (member `i` gets `kinds[i - 1]`), or `None`
/// after telling on stderr why the test is skipped (not root, or a kind not selected by
/// `PCMK_RS_BASED` / not built; see [`crate::select`]).
pub fn select_mix(test_path: &str, kinds: &[ImplKind]) -> Option<Vec<Impl>> {
    let label = kinds.iter().map(|kind| kind.label()).collect::<Vec<_>>().join("+");
    let skip = |reason: &str| {
        use std::io::Write;
        writeln!(std::io::stderr(), "SKIPPED {test_path} [{label}]: {reason}").ok();
        None
    };
    if !crate::running_as_root() {
        return skip("compat tests need root (namespaces, mounts)");
    }
    let mut chosen = Vec::new();
    for kind in kinds {
        match crate::select(*kind) {
            Selection::Run(implementation) => chosen.push(implementation),
            Selection::Skip(reason) => return skip(&reason),
        }
    }
    Some(chosen)
}
