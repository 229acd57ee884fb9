//! Frees replaced CIB trees on a background thread: dropping a CIB with thousands of
//! elements takes a millisecond or more, which a client waiting for its reply need not pay.

use libcrmcommon::xml::Element;
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

pub struct Reaper {
    queue: Option<Sender<Arc<Element>>>,
}

impl Reaper {
    pub fn start() -> Reaper {
        let (queue, trees) = channel::<Arc<Element>>();
        let spawned = std::thread::Builder::new().name("cib-reaper".into()).spawn(move || {
            for tree in trees {
                drop(tree);
            }
        });
        match spawned {
            Ok(_) => Reaper { queue: Some(queue) },
            Err(e) => {
                tracing::warn!("Could not start the CIB reaper thread ({}); freeing inline", e);
                Reaper { queue: None }
            }
        }
    }

    /// Hands a tree over to be freed (inline when the thread is gone).
    pub fn free(&self, tree: Arc<Element>) {
        if let Some(queue) = &self.queue {
            // On failure the tree comes back inside the error and is dropped right here.
            let _ = queue.send(tree);
        }
    }
}
