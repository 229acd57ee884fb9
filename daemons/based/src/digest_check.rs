//! The primary's consistency check of its peers (Pacemaker 2.1.5 `cib_digester_cb` and
//! `process_ping_reply`).
//!
//! Every applied write (on every node) restarts a 5 s timer. When it fires on the primary
//! (the DC's CIB manager), it multicasts `<ping t="cib" cib_op="ping" cib_ping_id=SEQ
//! crm_feature_set=...>`; every member answers with a `ping_response` holding the digest of
//! its CIB. A reply to the current sequence, with no write seen since the ping went out,
//! whose digest differs from the primary's own makes the primary push its whole CIB to
//! that peer (the caller's `sync_our_cib` to the reply's origin).

use libcib::protocol::{attr, element, msg_type, op};
use libcrmcommon::xml::Element;
use std::time::{Duration, Instant};

/// Quiet time after the last write before the primary asks for digests.
const DELAY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct DigestCheck {
    seq: u64,
    /// Our digest for the current sequence, computed at the first reply.
    digest: Option<String>,
    /// A write was seen since the current ping went out: replies may describe either state.
    modified_since: bool,
    due: Option<Instant>,
}

/// What to do about one ping reply.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Stale, incomplete or overtaken by a write; the reason is for debug logs.
    Ignore(&'static str),
    Same,
    /// The peer's CIB differs: describe it and push ours.
    Differs { ours: String, theirs: String },
}

impl DigestCheck {
    /// A write is about to be performed (whatever its outcome).
    pub fn note_write(&mut self) {
        self.modified_since = true;
    }

    /// A write was applied: the next ping is due `DELAY` from now.
    pub fn restart_timer(&mut self) {
        self.due = Some(Instant::now() + DELAY);
    }

    /// Time until the timer fires, for the main loop's poll timeout.
    pub fn time_left(&self) -> Option<Duration> {
        self.due.map(|due| due.saturating_duration_since(Instant::now()))
    }

    /// Whether the timer fired; it then stops until the next write.
    pub fn take_expired(&mut self) -> bool {
        match self.due {
            Some(due) if Instant::now() >= due => {
                self.due = None;
                true
            }
            _ => false,
        }
    }

    /// Starts a new round and returns the ping to multicast.
    pub fn next_ping(&mut self) -> Element {
        self.seq += 1;
        self.digest = None;
        self.modified_since = false;
        Element::new("ping")
            .with_attr(attr::TYPE, msg_type::CIB)
            .with_attr(attr::OPERATION, op::PING)
            .with_attr(attr::PING_ID, self.seq.to_string())
            .with_attr(attr::FEATURE_SET, libcib::protocol::FEATURE_SET)
    }

    /// Judges a peer's reply (the whole reply message) against `our_cib`.
    pub fn judge(&mut self, reply: &Element, our_cib: &Element) -> Verdict {
        let Some(pong) = reply.child(element::CALLDATA).and_then(Element::first_element) else {
            return Verdict::Ignore("no ping response");
        };
        let Some(seq) = pong.attr(attr::PING_ID).and_then(|s| s.trim().parse::<u64>().ok()) else {
            return Verdict::Ignore("no usable ping id");
        };
        let Some(theirs) = pong.attr(attr::DIGEST) else { return Verdict::Ignore("no digest") };
        if seq != self.seq {
            return Verdict::Ignore("out of sequence");
        }
        if self.modified_since {
            return Verdict::Ignore("CIB updated since the ping");
        }
        let ours = self
            .digest
            .get_or_insert_with(|| libcrmcommon::digest::versioned_for(our_cib, pong.attr(attr::FEATURE_SET)))
            .clone();
        if ours.eq_ignore_ascii_case(theirs) {
            Verdict::Same
        } else {
            Verdict::Differs { ours, theirs: theirs.to_owned() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml::parse;

    fn reply(seq: &str, digest: &str) -> Element {
        parse(&format!(
            r#"<cib-reply t="cib" cib_op="ping"><cib_calldata><ping_response cib_ping_id="{seq}" digest="{digest}" crm_feature_set="3.16.1"/></cib_calldata></cib-reply>"#
        ))
        .unwrap()
    }

    #[test]
    fn compares_only_current_untouched_rounds() {
        let cib = parse(r#"<cib epoch="1" num_updates="0" admin_epoch="0"><configuration/><status/></cib>"#).unwrap();
        let ours = libcrmcommon::digest::versioned_for(&cib, Some("3.16.1"));
        let mut check = DigestCheck::default();
        let ping = check.next_ping();
        assert_eq!(ping.attr(attr::PING_ID), Some("1"));
        assert_eq!(check.judge(&reply("1", &ours), &cib), Verdict::Same);
        assert!(matches!(check.judge(&reply("1", "0123"), &cib), Verdict::Differs { .. }));
        assert_eq!(check.judge(&reply("0", "0123"), &cib), Verdict::Ignore("out of sequence"));
        check.note_write();
        assert_eq!(check.judge(&reply("1", "0123"), &cib), Verdict::Ignore("CIB updated since the ping"));
        check.next_ping();
        assert_eq!(check.judge(&reply("2", &ours), &cib), Verdict::Same);
    }

    #[test]
    fn the_timer_fires_once_per_restart() {
        let mut check = DigestCheck::default();
        assert!(!check.take_expired());
        assert_eq!(check.time_left(), None);
        check.due = Some(Instant::now());
        assert!(check.take_expired());
        assert!(!check.take_expired());
        check.restart_timer();
        assert!(check.time_left().is_some_and(|left| left > Duration::from_secs(4)));
    }
}
