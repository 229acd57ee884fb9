//! One cluster of the scenario tests and the steps run on it (see cluster_scenarios.rs).

mod status;

use compat_tests::{report_skip, running_as_root, Cluster, ClusterOpts, Daemon, Impl, ImplKind, Member, Mix};
use status::Status;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long the cluster may take to reach a state after an action. Generous: recovery
/// after a kill includes corosync's token timeout, an election, fencing and a start.
const REACT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(200);
/// How long a settled cluster must stay so before the next step.
const QUIET: Duration = Duration::from_secs(2);
/// The agent of every test primitive: it keeps a state file while running, which is how
/// the harness sees where a primitive runs.
const AGENT: (&str, &str, &str) = ("ocf", "pacemaker", "Dummy");
const MONITOR_INTERVAL: &str = "2s";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    One,
    Three,
}

impl Size {
    fn members(self) -> usize {
        match self {
            Size::One => 1,
            Size::Three => 3,
        }
    }
}

/// A running scenario cluster and what it is expected to run.
pub struct ClusterRun {
    cluster: Cluster,
    label: String,
    mix: Mix,
    size: Size,
    /// Resource id → on how many nodes it is active once the cluster has settled.
    expected: BTreeMap<String, usize>,
    /// Primitives that must never be active on two nodes at once.
    exclusive: Vec<String>,
    started: Instant,
}

impl ClusterRun {
    /// Starts the cluster and waits for a DC with every node online, or returns `None`
    /// after telling why the test is skipped.
    pub fn start(size: Size, mix: Mix) -> Option<ClusterRun> {
        let label = format!("{}_{}", match size { Size::One => "one_node", Size::Three => "three_nodes" }, mix.label());
        let test = format!("cluster_scenarios::{label}");
        let kind = if mix == Mix::AllC { ImplKind::C } else { ImplKind::Rust };
        if !running_as_root() {
            report_skip(&test, kind, "needs root (namespaces, mounts)");
            return None;
        }
        let nodes = mix.nodes(size.members()).unwrap_or_else(|missing| panic!("{test}: {missing}"));
        let fencing = size == Size::Three;
        let mut opts = ClusterOpts::with_daemons(&test, nodes).seed_all(&seed_cib(size));
        if fencing {
            opts = opts.with_power_switch();
        }
        let cluster = Cluster::start(opts).unwrap_or_else(|error| panic!("{test}: {error}"));
        let mut expected = BTreeMap::new();
        if fencing {
            expected.insert("fence1".to_owned(), 1);
        }
        let mut run = ClusterRun { cluster, label, mix, size, expected, exclusive: Vec::new(), started: Instant::now() };
        run.say(&format!("started: {}", run.describe_members()));
        run.settle();
        run.check_binaries();
        Some(run)
    }

    /// A resource starts and its agent runs where crm_mon says.
    pub fn resource_starts(&mut self) {
        self.add_primitive("web", &[]);
        let status = self.settle();
        let node = status.single_location("web").unwrap_or_default().to_owned();
        assert!(self.state_file_exists(&node, "web"), "[{}] crm_mon shows web on {node} but its agent's state is not there", self.label);
        self.say(&format!("web started on {node}"));
    }

    /// The recurring monitor notices that the resource stopped, and the cluster restarts it.
    pub fn monitor_failure_is_recovered(&mut self) {
        let node = self.location("web");
        self.remove_state_file(&node, "web");
        let status = self.wait_for("web's monitor failure to be recovered", REACT, |status| {
            if !status.has_failure("web") {
                return Err("no failure of web listed yet".to_owned());
            }
            status.single_location("web").map(|_| ()).ok_or_else(|| "web is not running".to_owned())
        });
        let now = status.single_location("web").unwrap_or_default().to_owned();
        assert!(self.state_file_exists(&now, "web"), "[{}] web was not really restarted on {now}", self.label);
        self.cleanup("web");
        self.say("web's monitor failure was recovered");
    }

    /// With migration-threshold=1, one failure bans the resource from its node.
    pub fn migration_threshold_moves_away(&mut self) {
        self.add_primitive("mt", &[("migration-threshold", "1")]);
        self.settle();
        let first = self.location("mt");
        self.remove_state_file(&first, "mt");
        let three = self.size == Size::Three;
        self.wait_for("mt to leave its node after one failure", REACT, |status| {
            if !status.has_failure("mt") {
                return Err("no failure of mt listed yet".to_owned());
            }
            match (three, status.where_active("mt")) {
                (true, [node]) if *node != first => Ok(()),
                (false, []) => Ok(()),
                (_, nodes) => Err(format!("mt is active on {nodes:?}")),
            }
        });
        self.cleanup_and_settle("mt");
        self.say("mt left its node after one failure");
    }

    /// A node in standby runs nothing; back online it runs resources again.
    pub fn standby_and_online(&mut self) {
        let node = self.location("web");
        self.cli(&["crm_standby", "--node", &node, "--update", "on"]);
        let three = self.size == Size::Three;
        self.wait_for(&format!("{node} in standby, empty"), REACT, |status| {
            if !status.nodes.get(&node).is_some_and(|state| state.standby) {
                return Err(format!("{node} is not in standby"));
            }
            if let Some((id, _)) = status.active.iter().find(|(_, nodes)| nodes.contains(&node)) {
                return Err(format!("{id} still runs on {node}"));
            }
            match (three, status.where_active("web")) {
                (true, [_]) | (false, []) => Ok(()),
                (_, nodes) => Err(format!("web is active on {nodes:?}")),
            }
        });
        self.cli(&["crm_standby", "--node", &node, "--update", "off"]);
        self.settle();
        self.say(&format!("{node} went to standby and came back"));
    }

    /// `crm_resource --move` without a node bans the resource from where it runs;
    /// `--clear` lifts the ban.
    pub fn move_and_clear(&mut self) {
        let node = self.location("web");
        let ban = format!("cli-ban-web-on-{node}");
        self.cli(&["crm_resource", "--move", "--resource", "web"]);
        let three = self.size == Size::Three;
        self.wait_for("web to be moved away", REACT, |status| match (three, status.where_active("web")) {
            (true, [other]) if *other != node => Ok(()),
            (false, []) => Ok(()),
            (_, nodes) => Err(format!("web is active on {nodes:?}")),
        });
        assert!(self.constraints().contains(&ban), "[{}] no {ban} after --move", self.label);
        self.cli(&["crm_resource", "--clear", "--resource", "web"]);
        assert!(!self.constraints().contains(&ban), "[{}] {ban} still there after --clear", self.label);
        self.settle();
        self.say("web moved and cleared");
    }

    /// A clone runs on every node; a group's members run together.
    pub fn clone_and_group(&mut self) {
        let members = self.size.members();
        let primitive = |id: &str| primitive_xml(id, &[]);
        self.create("resources", &format!("<clone id=\"cl\">{}</clone>", primitive("cd")));
        self.create("resources", &format!("<group id=\"g\">{}{}</group>", primitive("g1"), primitive("g2")));
        self.expected.insert("cd".to_owned(), members);
        for id in ["g1", "g2"] {
            self.expected.insert(id.to_owned(), 1);
            self.exclusive.push(id.to_owned());
        }
        let status = self.settle();
        assert_eq!(status.single_location("g1"), status.single_location("g2"), "[{}] the group is split", self.label);
        self.say("clone and group running");
    }

    /// Each daemon the mix swaps (all four on the all-C oracle) is killed with SIGKILL on a
    /// node that runs it; the launcher respawns it (the test restarts a killed launcher, as
    /// systemd would), or the cluster fences the node, and everything runs again.
    pub fn daemons_killed_and_respawned(&mut self) {
        let index = self.size.members().min(2);
        let daemons = match self.mix {
            Mix::AllC => Daemon::ALL.to_vec(),
            _ => self.cluster.member(index).implementation().rust_daemons(),
        };
        let c_pacemakerd = !self.cluster.member(index).implementation().rust_daemons().contains(&Daemon::Pacemakerd);
        for daemon in daemons {
            let name = daemon.process_name();
            let before = self.pids(index, name);
            assert!(!before.is_empty(), "[{}] no {name} on node{index}", self.label);
            let log = self.cluster.member(index).pacemaker_log();
            let logged_before = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            let killed = self.cluster.member(index).kill_processes(name);
            assert!(killed > 0, "[{}] {name} was gone before the kill", self.label);
            self.check_disk_cibs();
            if daemon == Daemon::Pacemakerd {
                self.wait_until("pacemakerd to be gone", Duration::from_secs(10), |run| {
                    run.pids(index, name).is_empty().then_some(()).ok_or("still there")
                });
                self.cluster.restart_launcher(index);
            } else {
                let respawned = |run: &ClusterRun| {
                    let now = run.pids(index, name);
                    !now.is_empty() && now.iter().all(|pid| !before.contains(pid))
                };
                // Pacemaker 2.1.5's pacemakerd respawns a subdaemon that needs the cluster
                // only if a test connection to corosync succeeds at that moment, and
                // otherwise only once its own corosync connection is lost and back. That
                // test connection can fail while the killed daemon's dependants exit.
                let refused = format!("Not respawning {name} subdaemon until cluster returns");
                let refused_respawn = |run: &ClusterRun| {
                    c_pacemakerd && logged_since(&run.cluster.member(index).pacemaker_log(), logged_before).contains(&refused)
                };
                self.wait_until(&format!("{name} on node{index} respawned or the node fenced"), REACT, |run| {
                    let done = run.cluster.member(index).is_powered_off() || respawned(run) || refused_respawn(run);
                    done.then_some(()).ok_or("not yet")
                });
                if !respawned(self) && refused_respawn(self) && !self.cluster.member(index).is_powered_off() {
                    // As an admin would: restart pacemakerd, which starts what is missing.
                    self.say(&format!("C pacemakerd did not respawn {name} (\"{refused}\"); restarting pacemakerd"));
                    self.cluster.member(index).kill_processes("pacemakerd");
                    self.wait_until("pacemakerd to be gone", Duration::from_secs(10), |run| {
                        run.pids(index, "pacemakerd").is_empty().then_some(()).ok_or("still there")
                    });
                    self.cluster.restart_launcher(index);
                    self.wait_until(&format!("{name} on node{index} started by the new pacemakerd"), REACT, |run| {
                        respawned(run).then_some(()).ok_or("not yet")
                    });
                }
            }
            let fenced = self.cluster.member(index).is_powered_off();
            self.settle();
            self.check_disk_cibs();
            self.say(&format!("{name} killed on node{index}: {}", if fenced { "node fenced, restarted" } else { "respawned" }));
        }
    }

    /// corosync killed on the node running web: the others fence it (the power switch
    /// turns it off) before they start web themselves.
    pub fn corosync_killed(&mut self) {
        let node = self.location("web");
        let index = member_index(&node);
        let kill_time = Instant::now();
        assert!(self.cluster.member(index).kill_processes("corosync") > 0, "[{}] no corosync on {node}", self.label);
        self.check_disk_cibs();
        self.wait_for("web to run elsewhere after corosync died", REACT, |status| match status.where_active("web") {
            [other] if *other != node => Ok(()),
            nodes => Err(format!("web is active on {nodes:?}")),
        });
        assert!(self.fenced_since(&node, kill_time), "[{}] {node} lost corosync and was not fenced: {:?}", self.label, self.cluster.power_events());
        self.settle();
        self.check_disk_cibs();
        self.say(&format!("corosync killed on {node}: fenced, web recovered, node back"));
    }

    /// A whole node killed at once is fenced and its resources start elsewhere; a change
    /// made while it is down reaches it when it comes back with its old CIB.
    pub fn node_killed_fenced_and_rejoins_with_stale_cib(&mut self) {
        let node = self.location("web");
        let index = member_index(&node);
        let kill_time = Instant::now();
        self.cluster.power_off(index);
        self.check_disk_cibs();
        self.wait_for(&format!("web to run elsewhere after {node} died"), REACT, |status| {
            if status.nodes.get(&node).is_some_and(|state| state.online) {
                return Err(format!("{node} is still online"));
            }
            match status.where_active("web") {
                [other] if *other != node => Ok(()),
                nodes => Err(format!("web is active on {nodes:?}")),
            }
        });
        assert!(self.fenced_since(&node, kill_time), "[{}] {node} died and was not fenced: {:?}", self.label, self.cluster.power_events());
        self.say(&format!("{node} killed: fenced, web recovered in {:.1} s", kill_time.elapsed().as_secs_f64()));

        self.add_primitive("late", &[]);
        let current = self.cluster_cib_epoch();
        let on_disk = disk_epoch(self.cluster.member(index));
        assert!(on_disk < current, "[{}] {node}'s CIB on disk is not stale: {on_disk:?} vs {current:?}", self.label);
        self.cluster.start_member(index);
        self.settle();
        self.wait_until(&format!("{node} to get the cluster's CIB"), REACT, |run| {
            let cib = run.cluster.member(index).run_quietly(&["cibadmin", "-Q", "-l"]);
            if !cib.success() {
                return Err("cibadmin failed");
            }
            let cib = cib.xml();
            let has_late = cib.descendants().any(|element| element.attr("id") == Some("late"));
            (has_late && epoch_of(&cib) == run.cluster_cib_epoch()).then_some(()).ok_or("stale")
        });
        self.say(&format!("{node} rejoined with a stale CIB and got the new one"));
    }

    /// The last checks: everything runs, every CIB on disk is sound.
    pub fn finish(mut self) {
        self.settle();
        self.check_disk_cibs();
        self.cluster.assert_daemons_alive();
        for event in self.cluster.power_events() {
            let at = event.at.duration_since(self.started).as_secs_f64();
            let state = if event.was_on { "on" } else { "already off" };
            self.say(&format!("power switch at +{at:.1}s: {} switched off ({state}) for {}", event.target, event.requested_by));
        }
        self.say(&format!("all scenarios passed in {:.0} s", self.started.elapsed().as_secs_f64()));
    }

    // --- actions -------------------------------------------------------------------------

    fn add_primitive(&mut self, id: &str, meta: &[(&str, &str)]) {
        self.create("resources", &primitive_xml(id, meta));
        self.expected.insert(id.to_owned(), 1);
        self.exclusive.push(id.to_owned());
    }

    fn create(&self, section: &str, xml: &str) {
        self.cli(&["cibadmin", "--create", "--scope", section, "--xml-text", xml]);
    }

    fn cleanup(&self, resource: &str) {
        self.cli(&["crm_resource", "--cleanup", "--resource", resource]);
        self.wait_for(&format!("{resource}'s failures to be cleaned up"), REACT, |status| {
            (!status.has_failure(resource)).then_some(()).ok_or_else(|| format!("{resource} still has failures"))
        });
    }

    /// Cleans `resource` up and waits for the cluster to settle. crm_resource clears the
    /// fail count before the history, so the start that the cleared fail count allows can
    /// race with the history's removal (which unregisters the resource from the executor):
    /// the start then fails at once and the fail count is back. Pacemaker does this with
    /// its own daemons too; an admin cleans up again, and so does this.
    #[track_caller]
    fn cleanup_and_settle(&mut self, resource: &str) {
        const ATTEMPTS: usize = 3;
        // Inactive with a fail count: a lost race (or a fail count not yet cleared, which
        // one more cleanup does no harm to).
        let raced = |status: &Status| status.where_active(resource).is_empty() && status.has_fail_count(resource);
        for attempt in 1..=ATTEMPTS {
            self.cleanup(resource);
            let outcome = self.poll(REACT, |status| if raced(status) { Ok(()) } else { self.settled(status) });
            match outcome {
                Ok(status) if !raced(&status) => break,
                Ok(_) if attempt < ATTEMPTS => {
                    self.say(&format!("{resource}'s cleanup raced with its restart; cleaning up again"));
                }
                Ok(status) => self.fail(format!("{resource} kept its fail count through {ATTEMPTS} cleanups\n{}", status.text)),
                Err(last) => self.fail(format!("the cluster did not settle within {REACT:?} after cleaning {resource} up; last: {last}")),
            }
        }
        self.settle();
    }

    /// Runs a command-line tool on a running member; it must succeed.
    #[track_caller]
    fn cli(&self, args: &[&str]) -> String {
        let output = self.observer().run(args);
        if !output.success() {
            self.fail(format!("{args:?} failed:\n{output}"));
        }
        output.stdout
    }

    fn remove_state_file(&self, node: &str, resource: &str) {
        let member = self.cluster.member(member_index(node));
        let path = member.host_path(&state_file(resource)).expect("member runs");
        fs::remove_file(&path).unwrap_or_else(|e| panic!("[{}] removing {resource}'s state on {node}: {e}", self.label));
    }

    // --- observation -----------------------------------------------------------------------

    /// A member that runs, to ask about the cluster.
    fn observer(&self) -> &Member {
        let member = self.cluster.members().iter().find(|member| member.is_running() && !member.is_powered_off());
        member.unwrap_or_else(|| panic!("[{}] no member is running", self.label))
    }

    fn status(&self) -> Result<Status, String> {
        let output = self.observer().quiet_cmd(&["crm_mon", "-1", "--output-as=xml"]).timeout(Duration::from_secs(15)).run();
        if !output.success() {
            return Err(format!("crm_mon failed:\n{output}"));
        }
        Status::parse(&output.stdout)
    }

    /// Polls crm_mon until `accept` holds (checking on every poll that no primitive runs
    /// twice), and returns that snapshot.
    #[track_caller]
    fn wait_for(&self, what: &str, timeout: Duration, accept: impl Fn(&Status) -> Result<(), String>) -> Status {
        match self.poll(timeout, accept) {
            Ok(status) => status,
            Err(last) => {
                self.fail(format!("{what}: not reached within {timeout:?}; last: {last}"));
            }
        }
    }

    /// Like [`ClusterRun::wait_for`], but returns the last state when `timeout` passes.
    #[track_caller]
    fn poll(&self, timeout: Duration, accept: impl Fn(&Status) -> Result<(), String>) -> Result<Status, String> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_exclusive();
            let last = match self.status() {
                Ok(status) => match accept(&status) {
                    Ok(()) => return Ok(status),
                    Err(why) => format!("{why}\n{}", status.text),
                },
                Err(error) => error,
            };
            if Instant::now() > deadline {
                return Err(last);
            }
            sleep(POLL);
        }
    }

    /// Polls `probe` (checking that no primitive runs twice) until it holds.
    #[track_caller]
    fn wait_until<E: std::fmt::Debug>(&self, what: &str, timeout: Duration, probe: impl Fn(&ClusterRun) -> Result<(), E>) {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_exclusive();
            match probe(self) {
                Ok(()) => return,
                Err(last) if Instant::now() > deadline => {
                    self.fail(format!("{what}: not reached within {timeout:?}; last: {last:?}"));
                }
                Err(_) => sleep(POLL),
            }
        }
    }

    /// Ends the test: keeps the cluster's files and reports `why` with the problems the
    /// nodes logged last, which is all a CI log keeps of them.
    #[track_caller]
    fn fail(&self, why: String) -> ! {
        self.cluster.keep_logs();
        panic!("[{}] {why}\n{}", self.label, self.cluster.problems_logged(40));
    }

    /// Waits until every node is online, none in standby or unclean, and every expected
    /// resource runs as often as expected. A member the power switch turns off meanwhile
    /// (fenced) is started again once its fencing is over, as after a power cycle.
    #[track_caller]
    fn settle(&mut self) -> Status {
        let deadline = Instant::now() + REACT;
        loop {
            for index in self.cluster.powered_off_members() {
                self.power_cycle(index);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let step = remaining.min(Duration::from_secs(5)).max(POLL);
            let settled = self.poll(step, |status| self.settled(status)).and_then(|status| self.stays_settled(status));
            match settled {
                Ok(status) => return status,
                Err(last) if Instant::now() > deadline => {
                    self.fail(format!("the cluster did not settle within {REACT:?}; last: {last}"));
                }
                Err(_) => {}
            }
        }
    }

    /// Settled means quiet, not a passing moment: the state must hold for a while and the
    /// DC be idle, or a decision still in flight (say, to fence a node whose controller
    /// restarted) would land in the middle of the next step.
    fn stays_settled(&self, first: Status) -> Result<Status, String> {
        let since = Instant::now();
        let mut last = first;
        while since.elapsed() < QUIET {
            sleep(POLL);
            self.check_exclusive();
            last = self.status()?;
            self.settled(&last).map_err(|why| format!("{why}\n{}", last.text))?;
        }
        let dc = last.dc.clone().unwrap_or_default();
        let state = self.observer().run_quietly(&["crmadmin", "--status", &dc, "--timeout", "5000"]);
        if state.stdout.contains("S_IDLE") {
            Ok(last)
        } else {
            Err(format!("the DC is not idle: {}", state.stdout.trim()))
        }
    }

    fn settled(&self, status: &Status) -> Result<(), String> {
        if status.dc.is_none() {
            return Err("no DC".to_owned());
        }
        let members = self.size.members();
        let ready = status.nodes.values().filter(|node| node.online && !node.standby && !node.unclean && !node.pending).count();
        if ready != members {
            return Err(format!("{ready} of {members} nodes online and ready"));
        }
        if let Some(id) = status.failed.first() {
            return Err(format!("{id} is failed"));
        }
        for (id, count) in &self.expected {
            let running = status.where_active(id).len();
            if running != *count {
                return Err(format!("{id} is active on {running} nodes, not {count}"));
            }
        }
        Ok(())
    }

    /// Starts a member the power switch turned off. As after a real power cycle, it comes
    /// back once its fencing is over: a node that rejoined before the result arrives takes
    /// it as news that it was fenced while running, and stops.
    fn power_cycle(&mut self, index: usize) {
        let node = format!("node{index}");
        self.wait_for(&format!("{node}'s fencing to complete"), REACT, |status| match status.nodes.get(&node) {
            Some(state) if !state.online && !state.unclean => Ok(()),
            other => Err(format!("{node} is {other:?}")),
        });
        self.say(&format!("{node} was switched off; starting it again"));
        self.cluster.start_member(index);
    }

    fn location(&mut self, resource: &str) -> String {
        let status = self.settle();
        match status.single_location(resource) {
            Some(node) => node.to_owned(),
            None => panic!("[{}] {resource} is not running on exactly one node", self.label),
        }
    }

    fn state_file_exists(&self, node: &str, resource: &str) -> bool {
        let member = self.cluster.member(member_index(node));
        member.host_path(&state_file(resource)).is_some_and(|path| path.exists())
    }

    /// Panics if a primitive runs on two members at once, judged by the agents' state files.
    #[track_caller]
    fn check_exclusive(&self) {
        let running: Vec<(&Member, Vec<String>)> = self
            .cluster
            .members()
            .iter()
            .filter(|member| member.is_running() && !member.is_powered_off())
            .map(|member| (member, member.list_dir("/run")))
            .collect();
        for resource in &self.exclusive {
            let file = format!("Dummy-{resource}.state");
            let on: Vec<String> = running.iter().filter(|(_, files)| files.contains(&file)).map(|(m, _)| m.name()).collect();
            if on.len() > 1 {
                self.fail(format!("{resource} runs on {on:?} at once"));
            }
        }
    }

    fn constraints(&self) -> String {
        self.cli(&["cibadmin", "--query", "--scope", "constraints"])
    }

    /// (admin_epoch, epoch) of the CIB the cluster runs with.
    fn cluster_cib_epoch(&self) -> (u64, u64) {
        let top = self.observer().run_quietly(&["cibadmin", "-Q", "--no-children"]);
        epoch_of(&top.xml())
    }

    fn pids(&self, index: usize, process_name: &str) -> Vec<String> {
        let member = self.cluster.member(index);
        if !member.is_running() || member.is_powered_off() {
            return Vec::new();
        }
        let found = member.run_quietly(&["pgrep", "-x", process_name]);
        found.stdout.split_whitespace().map(str::to_owned).collect()
    }

    fn fenced_since(&self, node: &str, since: Instant) -> bool {
        self.cluster.power_events().iter().any(|event| event.target == node && event.at >= since)
    }

    /// Every member's CIB on disk parses and matches its signature (written by a daemon in
    /// two steps, so a mismatch must last before it counts).
    #[track_caller]
    fn check_disk_cibs(&self) {
        for member in self.cluster.members() {
            let dir = member.dir().join("var-lib-pacemaker/cib");
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match disk_cib_problem(&dir) {
                    None => break,
                    Some(problem) if Instant::now() > deadline => {
                        self.fail(format!("{}'s CIB on disk: {problem}", member.name()));
                    }
                    Some(_) => sleep(Duration::from_millis(100)),
                }
            }
        }
    }

    /// Checks that each member runs the daemons its mix says (ours are bind-mounted over
    /// Debian's paths, so compare the files behind the processes).
    fn check_binaries(&self) {
        for member in self.cluster.members() {
            for daemon in Daemon::ALL {
                let expected = match member.implementation().get(daemon) {
                    Impl::Rust(path) => path.clone(),
                    Impl::C => daemon.installed_path().into(),
                };
                let want = fs::metadata(&expected).unwrap_or_else(|e| panic!("{}: {e}", expected.display()));
                let pids = self.pids(member.index(), daemon.process_name());
                assert!(!pids.is_empty(), "[{}] no {} on {}", self.label, daemon.binary(), member.name());
                for pid in pids {
                    let exe = member.host_path(&format!("/proc/{pid}/exe")).and_then(|path| fs::metadata(path).ok());
                    let same = exe.is_some_and(|exe| exe.ino() == want.ino() && exe.dev() == want.dev());
                    assert!(same, "[{}] {} on {} is not {}", self.label, daemon.binary(), member.name(), expected.display());
                }
            }
        }
    }

    fn describe_members(&self) -> String {
        let parts: Vec<String> =
            self.cluster.members().iter().map(|member| format!("{} {}", member.name(), member.implementation())).collect();
        parts.join("; ")
    }

    fn say(&self, what: &str) {
        eprintln!("[{} +{:.1}s] {what}", self.label, self.started.elapsed().as_secs_f64());
    }
}

/// What a log gained past its first `offset` bytes.
fn logged_since(log: &Path, offset: u64) -> String {
    let text = fs::read(log).unwrap_or_default();
    String::from_utf8_lossy(text.get(offset as usize..).unwrap_or_default()).into_owned()
}

fn seed_cib(size: Size) -> String {
    let fencing = size == Size::Three;
    let mut options = vec![("dc-deadtime", "2s"), ("stonith-enabled", if fencing { "true" } else { "false" })];
    if fencing {
        options.push(("stonith-timeout", "30s"));
    }
    let mut cib = compat_tests::seed_cib(&options);
    let mut resources = String::new();
    if fencing {
        resources.push_str(concat!(
            "<primitive id=\"fence1\" class=\"stonith\" type=\"fence_dummy\">",
            "<instance_attributes id=\"fence1-params\">",
            "<nvpair id=\"fence1-status_file\" name=\"status_file\" value=\"/var/lib/pacemaker/fence_dummy.status\"/>",
            "<nvpair id=\"fence1-pcmk_host_list\" name=\"pcmk_host_list\" value=\"node1 node2 node3\"/>",
            "</instance_attributes>",
            "<operations><op id=\"fence1-monitor-60s\" name=\"monitor\" interval=\"60s\"/></operations>",
            "</primitive>"
        ));
    }
    cib = cib.replace("<resources/>", &format!("<resources>{resources}</resources>"));
    // Stickiness keeps resources where they are when nodes come back, so each step starts
    // from a quiet cluster.
    cib.replace(
        "  </configuration>",
        concat!(
            "    <rsc_defaults><meta_attributes id=\"rsc-options\">",
            "<nvpair id=\"rsc-options-resource-stickiness\" name=\"resource-stickiness\" value=\"100\"/>",
            "</meta_attributes></rsc_defaults>\n  </configuration>"
        ),
    )
}

fn primitive_xml(id: &str, meta: &[(&str, &str)]) -> String {
    let (class, provider, kind) = AGENT;
    let mut xml = format!("<primitive id=\"{id}\" class=\"{class}\" provider=\"{provider}\" type=\"{kind}\">");
    if !meta.is_empty() {
        xml.push_str(&format!("<meta_attributes id=\"{id}-meta\">"));
        for (name, value) in meta {
            xml.push_str(&format!("<nvpair id=\"{id}-meta-{name}\" name=\"{name}\" value=\"{value}\"/>"));
        }
        xml.push_str("</meta_attributes>");
    }
    xml.push_str(&format!(
        "<operations><op id=\"{id}-monitor\" name=\"monitor\" interval=\"{MONITOR_INTERVAL}\" timeout=\"20s\"/></operations></primitive>"
    ));
    xml
}

/// Where ocf:pacemaker:Dummy keeps its state while `resource` runs.
fn state_file(resource: &str) -> String {
    format!("/run/Dummy-{resource}.state")
}

/// `nodeN` → N.
fn member_index(node: &str) -> usize {
    node.strip_prefix("node").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("not a member name: {node}"))
}

fn epoch_of(cib: &compat_tests::Element) -> (u64, u64) {
    let number = |name: &str| cib.attr(name).and_then(|v| v.parse().ok()).unwrap_or(0);
    (number("admin_epoch"), number("epoch"))
}

fn disk_epoch(member: &Member) -> (u64, u64) {
    let text = fs::read_to_string(member.dir().join("var-lib-pacemaker/cib/cib.xml")).unwrap_or_default();
    libcrmcommon::xml::parse(&text).map(|cib| epoch_of(&cib)).unwrap_or((0, 0))
}

/// What is wrong with the CIB files in `dir`, if anything. A member that never wrote one
/// has none yet, which is fine.
fn disk_cib_problem(dir: &Path) -> Option<String> {
    let xml_path = dir.join("cib.xml");
    let text = match fs::read_to_string(&xml_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(format!("cannot read: {e}")),
    };
    let cib = match libcrmcommon::xml::parse(&text) {
        Ok(cib) => cib,
        Err(e) => return Some(format!("does not parse: {e:?}")),
    };
    if cib.name != "cib" {
        return Some(format!("top element is {}", cib.name));
    }
    match fs::read_to_string(dir.join("cib.xml.sig")) {
        // The seed CIB has no signature until the first write.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(format!("cannot read the signature: {e}")),
        Ok(signature) if signature.trim() == libcrmcommon::digest::on_disk(&cib) => None,
        Ok(signature) => Some(format!("signature {} does not match", signature.trim())),
    }
}
