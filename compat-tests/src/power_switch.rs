//! A power switch for test clusters, so that fencing really stops the fenced member.
//!
//! Debian's fence_dummy only pretends: after a "reboot" of a member whose corosync was
//! killed, that member's resources would still run while the others recover them, which
//! no real cluster does. Inside every member the harness mounts its own `fence_dummy` over
//! Debian's: for an "off" or "reboot" it drops a request file into a directory shared by all
//! members, waits for the answer, then runs Debian's agent with the same input (so the
//! fencer sees Debian's agent, metadata and all). A thread of the test process answers each
//! request by killing the target member's PID 1, which takes every process of the member
//! with it: the member is off, as after a power cut, until the test starts it again.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Where members see the switch directory.
const MOUNT_POINT: &str = "/run/power-switch";
const DEBIAN_AGENT: &str = "/usr/sbin/fence_dummy";
const REQUEST_SUFFIX: &str = ".off";
const ANSWER_SUFFIX: &str = ".done";
const POLL: Duration = Duration::from_millis(50);

/// The agent mounted over Debian's fence_dummy inside each member.
const AGENT_WRAPPER: &str = r#"#!/bin/sh
# fence_dummy of a compat-test cluster: an "off" or "reboot" of a member first asks the
# test harness to cut that member's power, then Debian's fence_dummy runs with the input.
switch=/run/power-switch
input=$(cat)
value() { printf '%s\n' "$input" | sed -n "s/^$1=//p" | tail -n 1; }
action=$(value action)
[ -n "$action" ] || action=$(value option)
target=$(value nodename)
case "$action" in
off|reboot)
    if [ -n "$target" ]; then
        request="$switch/$target.$(hostname).$$"
        : > "$request.tmp" && mv "$request.tmp" "$request.off"
        tries=0
        until [ -e "$request.done" ]; do
            tries=$((tries + 1))
            if [ "$tries" -gt 600 ]; then echo "the power switch did not answer" >&2; exit 1; fi
            sleep 0.1
        done
        rm -f "$request.done"
    fi ;;
esac
printf '%s\n' "$input" | exec "$switch/fence_dummy.real" "$@"
"#;

/// One request the switch answered.
#[derive(Debug, Clone)]
pub struct PowerEvent {
    /// The member that was switched off.
    pub target: String,
    /// The member whose fencer asked.
    pub requested_by: String,
    pub at: Instant,
    /// Whether the target was on (plugged in) when the request came.
    pub was_on: bool,
}

type Outlets = Arc<Mutex<BTreeMap<String, u32>>>;

/// The running switch; dropping it stops its thread.
#[derive(Debug)]
pub struct PowerSwitch {
    dir: PathBuf,
    outlets: Outlets,
    events: Arc<Mutex<Vec<PowerEvent>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PowerSwitch {
    /// Creates the switch directory in `cluster_dir` with the agent in it and starts
    /// answering requests.
    pub fn install(cluster_dir: &Path) -> io::Result<PowerSwitch> {
        let dir = cluster_dir.join("power-switch");
        fs::create_dir_all(&dir)?;
        let wrapper = dir.join("fence_dummy");
        fs::write(&wrapper, AGENT_WRAPPER)?;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755))?;
        fs::copy(DEBIAN_AGENT, dir.join("fence_dummy.real"))?;
        let outlets: Outlets = Arc::default();
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (dir, outlets, events, stop) = (dir.clone(), outlets.clone(), events.clone(), stop.clone());
            thread::Builder::new()
                .name("power-switch".to_owned())
                .spawn(move || answer_requests(&dir, &outlets, &events, &stop))?
        };
        Ok(PowerSwitch { dir, outlets, events, stop, thread: Some(thread) })
    }

    /// Lines for a member's setup script: the switch directory and the agent, mounted.
    pub fn member_setup(&self) -> String {
        let dir = crate::sandbox::shell_quote(&self.dir.display().to_string());
        format!("mkdir -p {MOUNT_POINT}\nmount --bind {dir} {MOUNT_POINT}\nmount --bind {MOUNT_POINT}/fence_dummy {DEBIAN_AGENT}\n")
    }

    /// Connects member `name`, whose PID 1 is `holder_pid` on the host.
    pub fn plug(&self, name: &str, holder_pid: u32) {
        self.outlets.lock().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), holder_pid);
    }

    /// Disconnects member `name` (it was stopped by the test).
    pub fn unplug(&self, name: &str) {
        self.outlets.lock().unwrap_or_else(PoisonError::into_inner).remove(name);
    }

    /// Every request answered so far, oldest first.
    pub fn events(&self) -> Vec<PowerEvent> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for PowerSwitch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn answer_requests(dir: &Path, outlets: &Outlets, events: &Mutex<Vec<PowerEvent>>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let requests: Vec<String> = fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                    .filter(|name| name.ends_with(REQUEST_SUFFIX))
                    .collect()
            })
            .unwrap_or_default();
        for request in requests {
            let stem = &request[..request.len() - REQUEST_SUFFIX.len()];
            let mut parts = stem.split('.');
            let target = parts.next().unwrap_or_default().to_owned();
            let requested_by = parts.next().unwrap_or_default().to_owned();
            let holder = outlets.lock().unwrap_or_else(PoisonError::into_inner).remove(&target);
            if let Some(pid) = holder {
                cut_power(pid);
            }
            events.lock().unwrap_or_else(PoisonError::into_inner).push(PowerEvent {
                target,
                requested_by,
                at: Instant::now(),
                was_on: holder.is_some(),
            });
            fs::remove_file(dir.join(&request)).ok();
            fs::write(dir.join(format!("{stem}{ANSWER_SUFFIX}")), b"").ok();
        }
        thread::sleep(POLL);
    }
}

/// Kills a member's PID 1, and so every process in its PID namespace, and waits until it
/// is gone so that the agent reports the member off only once it is.
fn cut_power(holder_pid: u32) {
    let Ok(pid) = i32::try_from(holder_pid) else { return };
    // SAFETY: kill has no memory preconditions. The PID is a member's PID 1, a child of the
    // member's unshare process, which the test keeps unreaped; it cannot have been reused
    // while unplug was not called.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{holder_pid}/ns")).exists() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
}
