//! Replies to a client in the order of its requests: a read that arrives while the same
//! client's writes are still going round the cluster waits for them.
//!
//! Pacemaker's CIB manager answers a local read at once, even when the same connection's
//! earlier writes have not come back from the cluster yet. The controller's scheduler step
//! reads the CIB right after writing to it, and when that answer overtakes the writes'
//! answers it sleeps a whole second and asks again ("Re-asking for the CIB: N other peer
//! updates still pending"), which delays recovery after a failure about every other time.
//! Holding the read until the client's writes are answered gives the same data the client
//! asked for (its own writes included) without the nap.
//!
//! A write whose answer never comes (its target node died) does not hold reads for long:
//! after [`HOLD_LIMIT`] it no longer counts.

use crate::request::CibRequest;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long an unanswered write may hold the same client's reads.
pub const HOLD_LIMIT: Duration = Duration::from_secs(2);

/// One client's writes in flight and the requests held behind them.
#[derive(Debug, Default)]
pub struct ClientOrder {
    /// Call ids of writes sent to the cluster whose answers the client still expects.
    in_flight: Vec<(String, Instant)>,
    /// Requests waiting for those answers, in arrival order, with their channel privilege.
    held: VecDeque<(CibRequest, bool)>,
}

impl ClientOrder {
    /// Whether `request` must wait: something is already held (order is kept for every
    /// request after it), or it is a read and the client has writes in flight.
    pub fn must_hold(&mut self, is_local_read: bool, now: Instant) -> bool {
        self.forget_expired(now);
        !self.held.is_empty() || (is_local_read && !self.in_flight.is_empty())
    }

    pub fn hold(&mut self, request: CibRequest, privileged: bool) {
        self.held.push_back((request, privileged));
    }

    /// Notes a write sent to the cluster whose answer the client expects.
    pub fn write_sent(&mut self, call_id: Option<&str>, now: Instant) {
        if let Some(id) = call_id {
            self.in_flight.push((id.to_owned(), now));
        }
    }

    /// Notes an answer sent to the client.
    pub fn answered(&mut self, call_id: Option<&str>) {
        if let Some(id) = call_id {
            if let Some(position) = self.in_flight.iter().position(|(flying, _)| flying == id) {
                self.in_flight.remove(position);
            }
        }
    }

    /// The next held request, once nothing holds it any more.
    pub fn release(&mut self, now: Instant) -> Option<(CibRequest, bool)> {
        self.forget_expired(now);
        if self.in_flight.is_empty() {
            self.held.pop_front()
        } else {
            None
        }
    }

    pub fn has_held(&self) -> bool {
        !self.held.is_empty()
    }

    /// When the oldest write stops holding reads, if any is held.
    pub fn hold_expires(&self) -> Option<Instant> {
        if self.held.is_empty() {
            return None;
        }
        self.in_flight.iter().map(|(_, sent)| *sent + HOLD_LIMIT).min()
    }

    fn forget_expired(&mut self, now: Instant) {
        self.in_flight.retain(|(id, sent)| {
            let keep = now.duration_since(*sent) < HOLD_LIMIT;
            if !keep {
                tracing::debug!("No answer to call {} after {:?}; no longer holding reads for it", id, HOLD_LIMIT);
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml::Element;

    fn read(id: &str) -> CibRequest {
        CibRequest::from_element(Element::new("cib_command").with_attr("cib_op", "cib_query").with_attr("cib_callid", id))
    }

    #[test]
    fn a_read_waits_for_the_same_clients_writes() {
        let now = Instant::now();
        let mut order = ClientOrder::default();
        assert!(!order.must_hold(true, now));
        order.write_sent(Some("7"), now);
        assert!(!order.must_hold(false, now), "writes are not held behind writes");
        assert!(order.must_hold(true, now));
        order.hold(read("8"), true);
        assert!(order.must_hold(false, now), "nothing overtakes a held request");
        assert!(order.release(now).is_none());
        order.answered(Some("7"));
        let (released, privileged) = order.release(now).expect("released");
        assert_eq!(released.call_id.as_deref(), Some("8"));
        assert!(privileged);
        assert!(!order.has_held());
    }

    #[test]
    fn an_unanswered_write_stops_holding_after_the_limit() {
        let start = Instant::now();
        let mut order = ClientOrder::default();
        order.write_sent(Some("1"), start);
        order.hold(read("2"), false);
        assert_eq!(order.hold_expires(), Some(start + HOLD_LIMIT));
        assert!(order.release(start + HOLD_LIMIT / 2).is_none());
        assert!(order.release(start + HOLD_LIMIT).is_some());
    }
}
