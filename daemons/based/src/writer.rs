//! Disk writes off the event loop: the loop hands over the newest CIB, a worker thread writes
//! it. Bursts coalesce (only the latest pending CIB is written), so a slow disk never delays
//! replies and the file on disk always catches up with the last change.

use crate::store::{Store, StoreError};
use libcrmcommon::xml::Element;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

#[derive(Default)]
struct Shared {
    /// The CIB to write next, shared with the event loop (which never mutates a CIB it
    /// handed over: each change makes a new one).
    pending: Option<Arc<Element>>,
    busy: bool,
    stop: bool,
    failure: Option<String>,
}

pub struct DiskWriter {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    enabled: bool,
}

impl DiskWriter {
    pub fn start(store: Store, enabled: bool) -> Self {
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("cib-writer".into())
            .spawn(move || writer_loop(store, worker_shared))
            .ok();
        DiskWriter { shared, thread, enabled }
    }

    /// Queues `cib` to be written (replacing anything not yet written).
    pub fn request(&mut self, cib: &Arc<Element>) {
        if !self.enabled {
            return;
        }
        let (lock, cv) = &*self.shared;
        if let Ok(mut s) = lock.lock() {
            s.pending = Some(Arc::clone(cib));
            cv.notify_all();
        }
    }

    /// A write failure reported by the worker since the last call; writes stop after one, as
    /// in Pacemaker, so a damaged or hand-edited file is left alone.
    pub fn take_failure(&mut self) -> Option<String> {
        let (lock, _) = &*self.shared;
        let failure = lock.lock().ok()?.failure.take();
        if failure.is_some() {
            self.enabled = false;
        }
        failure
    }

    /// Blocks until everything queued has been written (shutdown, tests).
    pub fn flush(&self) {
        let (lock, cv) = &*self.shared;
        let Ok(mut s) = lock.lock() else { return };
        while (s.pending.is_some() || s.busy) && !s.stop {
            s = match cv.wait(s) {
                Ok(g) => g,
                Err(_) => return,
            };
        }
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        self.flush();
        let (lock, cv) = &*self.shared;
        if let Ok(mut s) = lock.lock() {
            s.stop = true;
            cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn writer_loop(store: Store, shared: Arc<(Mutex<Shared>, Condvar)>) {
    let (lock, cv) = &*shared;
    loop {
        let cib = {
            let Ok(mut s) = lock.lock() else { return };
            while s.pending.is_none() && !s.stop {
                s = match cv.wait(s) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
            if s.pending.is_none() && s.stop {
                return;
            }
            s.busy = true;
            s.pending.take()
        };
        let result = match cib {
            Some(c) => store.write(&c),
            None => Ok(()),
        };
        let Ok(mut s) = lock.lock() else { return };
        s.busy = false;
        match result {
            Ok(()) => {}
            Err(e) => {
                let msg = match e {
                    StoreError::ManuallyModified => e.to_string(),
                    other => format!("Could not save the CIB to disk: {other}"),
                };
                s.failure = Some(msg);
                s.pending = None;
                s.stop = true;
            }
        }
        cv.notify_all();
        if s.stop {
            return;
        }
    }
}
