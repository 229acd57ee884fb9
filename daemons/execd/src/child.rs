//! Agent processes: started in their own process group with stdout and stderr on
//! non-blocking pipes (read from the main loop, bounded), reaped after SIGCHLD, killed as a
//! group on timeout.

use crate::agent::Invocation;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// How much of each output stream is kept; the rest is read and dropped so the agent never
/// blocks on a full pipe. (Results travel in one IPC message of at most 128 KiB.)
pub const OUTPUT_LIMIT: usize = 64 * 1024;

/// One output stream of a running agent.
#[derive(Debug)]
pub struct OutputPipe {
    fd: Option<OwnedFd>,
    data: Vec<u8>,
}

impl OutputPipe {
    fn new(fd: OwnedFd) -> io::Result<OutputPipe> {
        set_nonblocking(fd.as_raw_fd())?;
        Ok(OutputPipe {
            fd: Some(fd),
            data: Vec::new(),
        })
    }

    pub fn raw_fd(&self) -> Option<RawFd> {
        self.fd.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// Reads whatever is available now; closes the pipe at end of file or on error and
    /// returns `true` then.
    pub fn read_available(&mut self) -> bool {
        let Some(fd) = &self.fd else { return true };
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reading into a local buffer of the given size from an fd we own.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let room = OUTPUT_LIMIT.saturating_sub(self.data.len());
                self.data.extend_from_slice(&buf[..(n as usize).min(room)]);
                continue;
            }
            if n < 0 {
                match io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EAGAIN) => return false,
                    _ => {}
                }
            }
            self.fd = None;
            return true;
        }
    }

    /// Stops reading (a grandchild may keep the pipe open forever).
    pub fn close(&mut self) {
        self.fd = None;
    }

    /// The text read so far, or `None` if the stream was empty (as Pacemaker reports it).
    /// Bytes after a NUL in a read are lost in Pacemaker; here NULs are simply dropped.
    pub fn text(&self) -> Option<String> {
        if self.data.is_empty() {
            return None;
        }
        let bytes: Vec<u8> = self.data.iter().copied().filter(|&b| b != 0).collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A started agent process.
#[derive(Debug)]
pub struct AgentProcess {
    pub pid: i32,
    pub stdout: OutputPipe,
    pub stderr: OutputPipe,
}

/// Starts the agent described by `invocation`. The error is an errno.
pub fn spawn(invocation: &Invocation) -> Result<AgentProcess, i32> {
    // Pacemaker checks with stat() first, so a missing agent is "not installed".
    std::fs::metadata(&invocation.path).map_err(|e| e.raw_os_error().unwrap_or(libc::ENOENT))?;
    let mut command = Command::new(&invocation.path);
    command
        .args(&invocation.args)
        .envs(invocation.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir("/")
        .process_group(0);
    // SAFETY: geteuid has no preconditions.
    if let Some((uid, gid)) = invocation.user.filter(|_| unsafe { libc::geteuid() } == 0) {
        // std clears the supplementary groups before switching, as Pacemaker does.
        command.uid(uid).gid(gid);
    }
    // SAFETY: the closure only makes async-signal-safe calls (sigprocmask, signal,
    // setpriority, fcntl, syscall) and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            // The executor blocks the signals it reads through a signalfd; agents must
            // start with a clean mask and default SIGPIPE, as under Pacemaker.
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::setpriority(libc::PRIO_PROCESS, 0, 0);
            mark_inherited_fds_cloexec();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    let pid = child.id() as i32;
    // The child makes itself a group leader before exec; doing it from here as well closes
    // the window in which a kill of the group right after fork would miss it.
    // SAFETY: setpgid on our own child; failure (it already exec'd) is harmless.
    unsafe { libc::setpgid(pid, pid) };
    let pipes = match (child.stdout.take(), child.stderr.take()) {
        (Some(out), Some(err)) => OutputPipe::new(OwnedFd::from(out))
            .and_then(|o| Ok((o, OutputPipe::new(OwnedFd::from(err))?))),
        _ => Err(io::Error::other("no output pipes")),
    };
    // The std handle is dropped without waiting: the executor reaps the process itself.
    drop(child);
    match pipes {
        Ok((stdout, stderr)) => Ok(AgentProcess {
            pid,
            stdout,
            stderr,
        }),
        Err(e) => {
            kill_group(pid, false);
            Err(e.raw_os_error().unwrap_or(libc::EIO))
        }
    }
}

/// Descriptors the executor holds (IPC sockets, the signalfd, other agents' pipes) must not
/// leak into agents.
fn mark_inherited_fds_cloexec() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range only changes descriptor flags of this (child) process.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if rc == 0 {
        return;
    }
    for fd in 3..4096 {
        // SAFETY: fcntl on a possibly closed descriptor just fails with EBADF.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Sends SIGKILL to the agent's process group (or only the agent when `leave_group`, as
/// Pacemaker does for `on-fail=block`). Returns `false` if nothing was there to kill.
pub fn kill_group(pid: i32, leave_group: bool) -> bool {
    if pid <= 0 {
        return false;
    }
    let target = if leave_group { pid } else { -pid };
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(target, libc::SIGKILL) == 0 }
}

/// How a reaped process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// Reaps every child that has ended (non-blocking).
pub fn reap() -> Vec<(i32, Exit)> {
    let mut out = Vec::new();
    loop {
        let mut status = 0;
        // SAFETY: waitpid on any child, non-blocking, into a local.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            break;
        }
        let exit = if libc::WIFEXITED(status) {
            Exit::Code(libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            Exit::Signal(libc::WTERMSIG(status))
        } else {
            continue;
        };
        out.push((pid, exit));
    }
    out
}

/// The C library's name of a signal, as Pacemaker writes it in exit reasons.
pub fn signal_name(signal: i32) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local string.
    unsafe {
        let ptr = libc::strsignal(signal);
        if ptr.is_null() {
            return format!("signal {signal}");
        }
        std::ffi::CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}
