//! A single-threaded, level-triggered poll(2) reactor.
//!
//! libqb drives its IPC servers through "poll handlers" (add/modify/delete an fd watch, queue
//! a job); those callbacks carry no context pointer for the loop itself, so the reactor state
//! is thread-local. Level triggering matters: libqb handles only a few requests per dispatch
//! and leaves the rest readable.
//!
//! Daemon code never runs inside a libqb callback: the IPC layer queues what happened and the
//! daemon drains that queue after each [`Reactor::poll`], so daemon state needs no globals.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::os::raw::c_void;
use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

/// A libqb-style fd callback: returns negative to ask for the watch to be removed.
pub type RawDispatchFn = unsafe extern "C" fn(fd: i32, revents: i32, data: *mut c_void) -> i32;
/// A libqb-style job.
pub type RawJobFn = unsafe extern "C" fn(data: *mut c_void);

#[derive(Clone, Copy)]
enum WatchKind {
    /// Owned by libqb: call its function with its data pointer.
    Raw { func: RawDispatchFn, data: *mut c_void },
    /// Owned by Rust code: report the token from `poll`.
    Token(u64),
}

#[derive(Clone, Copy)]
struct Watch {
    events: i16,
    generation: u64,
    kind: WatchKind,
}

#[derive(Default)]
struct State {
    watches: HashMap<RawFd, Watch>,
    jobs: VecDeque<(RawJobFn, *mut c_void)>,
    next_generation: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Registers or replaces a libqb-owned watch. Returns 0 (libqb's convention).
pub fn raw_watch(fd: RawFd, events: i16, func: RawDispatchFn, data: *mut c_void) -> i32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.next_generation += 1;
        let generation = s.next_generation;
        s.watches.insert(fd, Watch { events, generation, kind: WatchKind::Raw { func, data } });
    });
    0
}

/// Removes a watch on `fd`, whoever owns it.
pub fn unwatch(fd: RawFd) {
    STATE.with(|s| {
        s.borrow_mut().watches.remove(&fd);
    });
}

/// Queues a libqb job to run on the next loop iteration.
pub fn raw_job(func: RawJobFn, data: *mut c_void) {
    STATE.with(|s| s.borrow_mut().jobs.push_back((func, data)));
}

/// Watches `fd` for input on behalf of Rust code; `poll` returns `token` when it is readable.
pub fn watch_readable(fd: RawFd, token: u64) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.next_generation += 1;
        let generation = s.next_generation;
        s.watches.insert(fd, Watch { events: libc::POLLIN, generation, kind: WatchKind::Token(token) });
    });
}

/// Handle to the thread's reactor.
#[derive(Default)]
pub struct Reactor;

impl Reactor {
    pub fn new() -> Self {
        Reactor
    }

    /// Waits up to `timeout` for activity, runs libqb's callbacks and jobs, and returns the
    /// tokens of ready Rust-owned fds.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Vec<u64> {
        let has_jobs = STATE.with(|s| !s.borrow().jobs.is_empty());
        let (mut pollfds, meta): (Vec<libc::pollfd>, Vec<(RawFd, u64)>) = STATE.with(|s| {
            let s = s.borrow();
            s.watches
                .iter()
                .map(|(&fd, w)| (libc::pollfd { fd, events: w.events, revents: 0 }, (fd, w.generation)))
                .unzip()
        });
        let timeout_ms: i32 = if has_jobs {
            0
        } else {
            match timeout {
                None => -1,
                Some(d) => d.as_millis().min(i32::MAX as u128) as i32,
            }
        };
        // SAFETY: pollfds is a valid, exclusively borrowed array of pollfd.
        let n = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, timeout_ms) };
        let mut ready_tokens = Vec::new();
        if n > 0 {
            for (pfd, (fd, generation)) in pollfds.iter().zip(meta) {
                if pfd.revents == 0 {
                    continue;
                }
                // The watch may have been removed or replaced by an earlier callback in this
                // same iteration (libqb closes and reuses fds); skip stale entries.
                let watch = STATE.with(|s| s.borrow().watches.get(&fd).copied());
                let Some(watch) = watch.filter(|w| w.generation == generation) else { continue };
                match watch.kind {
                    WatchKind::Token(t) => ready_tokens.push(t),
                    WatchKind::Raw { func, data } => {
                        // SAFETY: libqb registered this function/data pair for this fd.
                        let rc = unsafe { func(fd, pfd.revents as i32, data) };
                        if rc < 0 {
                            STATE.with(|s| {
                                let mut s = s.borrow_mut();
                                if s.watches.get(&fd).is_some_and(|w| w.generation == generation) {
                                    s.watches.remove(&fd);
                                }
                            });
                        }
                    }
                }
            }
        }
        run_jobs();
        ready_tokens
    }
}

fn run_jobs() {
    // Jobs queued by jobs run on the next iteration, so a self-requeueing job cannot starve IO.
    let batch: Vec<_> = STATE.with(|s| s.borrow_mut().jobs.drain(..).collect());
    for (func, data) in batch {
        // SAFETY: libqb queued this job with its own data pointer.
        unsafe { func(data) };
    }
}

/// One-shot timers keyed by a daemon-defined value.
pub struct Timers<T> {
    by_deadline: BTreeMap<(Instant, u64), T>,
    next_id: u64,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers { by_deadline: BTreeMap::new(), next_id: 0 }
    }
}

/// Identifies a pending timer so it can be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(Instant, u64);

impl<T> Timers<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, after: Duration, what: T) -> TimerId {
        self.next_id += 1;
        let key = (Instant::now() + after, self.next_id);
        self.by_deadline.insert(key, what);
        TimerId(key.0, key.1)
    }

    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        self.by_deadline.remove(&(id.0, id.1))
    }

    pub fn is_pending(&self, id: TimerId) -> bool {
        self.by_deadline.contains_key(&(id.0, id.1))
    }

    /// Time until the earliest timer fires (zero if overdue), or `None` if none is pending.
    pub fn next_timeout(&self) -> Option<Duration> {
        self.by_deadline
            .keys()
            .next()
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// Removes and returns every timer that is due.
    pub fn expired(&mut self) -> Vec<T> {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = self.by_deadline.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        due
    }
}

/// The shorter of two optional timeouts.
pub fn min_timeout(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Blocks the usual termination signals and returns a signalfd that reports them, so signals
/// become ordinary loop events.
pub fn signal_fd(signals: &[i32]) -> std::io::Result<RawFd> {
    // SAFETY: plain libc calls on a zeroed sigset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(fd)
    }
}

/// Reads every pending signal number from a signalfd.
pub fn read_signals(fd: RawFd) -> Vec<i32> {
    let mut out = Vec::new();
    loop {
        // SAFETY: reading into a properly sized, zeroed signalfd_siginfo.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        let n = unsafe { libc::read(fd, &mut info as *mut _ as *mut c_void, size) };
        if n as usize != size {
            break;
        }
        out.push(info.ssi_signo as i32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_order_and_cancel() {
        let mut t = Timers::new();
        let a = t.add(Duration::from_millis(0), "a");
        t.add(Duration::from_millis(0), "b");
        let c = t.add(Duration::from_secs(60), "c");
        assert!(t.is_pending(a));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(t.expired(), vec!["a", "b"]);
        assert_eq!(t.cancel(c), Some("c"));
        assert!(t.next_timeout().is_none());
    }

    #[test]
    fn token_watch_reports_readable_fd() {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        watch_readable(fds[0], 42);
        let mut r = Reactor::new();
        assert!(r.poll(Some(Duration::from_millis(1))).is_empty());
        assert_eq!(unsafe { libc::write(fds[1], b"x".as_ptr() as *const c_void, 1) }, 1);
        assert_eq!(r.poll(Some(Duration::from_millis(100))), vec![42]);
        unwatch(fds[0]);
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
