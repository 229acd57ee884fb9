//! The namespaces of one node and the process that holds them.
//!
//! `unshare --net --mount --uts --pid --fork --mount-proc` runs a setup script that becomes
//! PID 1 of the new PID namespace (the "holder"): it mounts the node's private file
//! systems, then turns into a reaper loop (resource agents daemonise; something must reap
//! them). Every daemon and command of the node is entered with `nsenter` into the holder's
//! namespaces. The network namespace is anonymous, so nothing is added to the host's
//! network configuration, and the mounts exist only inside the node's mount namespace.
//!
//! Teardown kills `unshare`, whose `--kill-child=SIGKILL` kills the holder; when PID 1 of
//! a PID namespace dies the kernel kills everything else in it. `unshare` also gets
//! SIGKILL when the test process dies (parent-death signal), so a crashed test run leaves
//! no nodes behind either.

use crate::accounts::{CLUSTER_GROUP, CLUSTER_USER};
use crate::implementation::{Impl, C_BASED};
use std::fs;
use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const HOLDER_START_TIMEOUT: Duration = Duration::from_secs(10);
const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// The running namespaces of one node.
#[derive(Debug)]
pub struct Sandbox {
    unshare: Child,
    holder_pid: u32,
    /// `readlink /proc/<holder>/ns/pid`, e.g. `pid:[4026532179]`: identifies the members.
    pid_namespace: String,
    destroyed: bool,
}

impl Sandbox {
    /// Starts the holder with `setup_script` (run by `/bin/sh -e`; it must create
    /// `ready_file` once set up and then `exec` the reaper given by [`REAPER`]). The
    /// holder's output goes to `holder_log`.
    pub fn create(setup_script: &str, ready_file: &Path, holder_log: &Path) -> io::Result<Sandbox> {
        let log = fs::File::create(holder_log)?;
        let mut unshare = Command::new("unshare");
        unshare
            .args(["--net", "--mount", "--uts", "--pid", "--fork", "--mount-proc"])
            .args(["--propagation", "private", "--kill-child=SIGKILL", "--"])
            .args(["/bin/sh", "-e", "-c", setup_script])
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // SAFETY: the closure runs between fork and exec and only calls prctl, which is
        // async-signal-safe and touches no memory of the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            unshare.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let unshare = unshare.spawn()?;
        let mut sandbox = Sandbox { unshare, holder_pid: 0, pid_namespace: String::new(), destroyed: false };
        match sandbox.wait_until_ready(ready_file, holder_log) {
            Ok(()) => Ok(sandbox),
            Err(error) => {
                sandbox.destroy().ok();
                Err(error)
            }
        }
    }

    fn wait_until_ready(&mut self, ready_file: &Path, holder_log: &Path) -> io::Result<()> {
        let deadline = Instant::now() + HOLDER_START_TIMEOUT;
        while !ready_file.exists() {
            if let Some(status) = self.unshare.try_wait()? {
                let log = fs::read_to_string(holder_log).unwrap_or_default();
                return Err(io::Error::other(format!("namespace setup failed ({status}): {log}")));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("namespace setup did not finish in time"));
            }
            sleep(POLL);
        }
        let unshare_pid = self.unshare.id();
        let children = fs::read_to_string(format!("/proc/{unshare_pid}/task/{unshare_pid}/children"))?;
        self.holder_pid = children
            .split_whitespace()
            .next()
            .and_then(|pid| pid.parse().ok())
            .ok_or_else(|| io::Error::other("unshare has no child process"))?;
        self.pid_namespace = namespace_of(self.holder_pid, "pid")
            .ok_or_else(|| io::Error::other("cannot read the holder's PID namespace"))?;
        Ok(())
    }

    /// Host PID of the node's PID 1.
    pub fn holder_pid(&self) -> u32 {
        self.holder_pid
    }

    /// A command that runs `program` inside the node (network, mount, UTS and PID
    /// namespaces), as root, with working directory `/`.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("nsenter");
        command
            .args(["-t", &self.holder_pid.to_string(), "-m", "-u", "-n", "-p", "--"])
            .arg(program)
            .current_dir("/");
        command
    }

    /// Host PIDs of every process still in the node's PID namespace.
    pub fn members(&self) -> Vec<u32> {
        if self.pid_namespace.is_empty() {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
        entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| namespace_of(*pid, "pid").as_deref() == Some(self.pid_namespace.as_str()))
            .collect()
    }

    /// Kills every process of the node and waits until none is left.
    pub fn destroy(&mut self) -> Result<(), String> {
        if self.destroyed {
            return Ok(());
        }
        self.destroyed = true;
        // unshare is our own unreaped child, so its PID cannot have been reused.
        self.unshare.kill().ok();
        self.unshare.wait().map_err(|e| format!("waiting for unshare: {e}"))?;
        let deadline = Instant::now() + TEARDOWN_TIMEOUT;
        loop {
            let left = self.members();
            if left.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("processes {left:?} of the node survived its teardown"));
            }
            sleep(POLL);
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Err(error) = self.destroy() {
            eprintln!("compat-tests: {error}");
        }
    }
}

/// The last command of a setup script: a PID 1 that reaps orphans until it is killed.
pub const REAPER: &str = r#"exec /bin/bash -c 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'"#;

fn namespace_of(pid: u32, kind: &str) -> Option<String> {
    let link = fs::read_link(format!("/proc/{pid}/ns/{kind}")).ok()?;
    link.to_str().map(str::to_owned)
}

/// Quotes `text` as one word for /bin/sh.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quotes_single_quotes_for_sh() {
        assert_eq!(shell_quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}

/// The setup a node's holder (PID 1 of its namespaces) runs: hostname, loopback up, private
/// /run, /dev/shm and corosync/pacemaker state directories bound from `dir`, and for the Rust
/// CIB manager its binary bind-mounted over Debian's, which is the path pacemakerd starts (it
/// has the directory compiled in), then `extra_setup` (more shell lines). Touches `ready` when
/// done, then reaps orphans forever.
pub fn node_setup_script(dir: &Path, hostname: &str, based: &Impl, extra_setup: &str, ready: &Path) -> String {
    node_setup_script_with_init(dir, hostname, based, extra_setup, ready, REAPER)
}

/// As [`node_setup_script`], with `init` (a shell line that must `exec` a PID 1 which reaps
/// orphans, e.g. systemd) instead of the reaper.
pub fn node_setup_script_with_init(
    dir: &Path,
    hostname: &str,
    based: &Impl,
    extra_setup: &str,
    ready: &Path,
    init: &str,
) -> String {
    let host = |sub: &str| shell_quote(&dir.join(sub).display().to_string());
    let mut script = format!(
        "hostname {name}
ip link set lo up
# pacemaker's panic path writes to sysrq-trigger; keep it away from the host
if [ -e /proc/sysrq-trigger ]; then mount --bind /dev/null /proc/sysrq-trigger; fi
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock /run/crm /run/resource-agents /run/fence-agents /run/corosync
chmod 1777 /run/lock
chmod 1755 /run/resource-agents /run/fence-agents
chown {CLUSTER_USER}:{CLUSTER_GROUP} /run/crm
chmod 0750 /run/crm
ln -s /dev/shm /run/shm
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount --bind {etc_corosync} /etc/corosync
mount --bind {var_lib_corosync} /var/lib/corosync
mount --bind {log_corosync} /var/log/corosync
mount --bind {var_lib_pacemaker} /var/lib/pacemaker
mount --bind {log_pacemaker} /var/log/pacemaker
",
        name = hostname,
        etc_corosync = host("etc-corosync"),
        var_lib_corosync = host("var-lib-corosync"),
        log_corosync = host("log-corosync"),
        var_lib_pacemaker = host("var-lib-pacemaker"),
        log_pacemaker = host("log-pacemaker"),
    );
    if let Impl::Rust(binary) = based {
        script.push_str(&format!("mount --bind {} {C_BASED}\n", shell_quote(&binary.display().to_string())));
    }
    script.push_str(extra_setup);
    script.push_str(&format!("touch {}\n{init}\n", shell_quote(&ready.display().to_string())));
    script
}
