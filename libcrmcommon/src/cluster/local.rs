//! A single-node stand-in for the cluster layer, for running without corosync.

use std::collections::{BTreeSet, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::types::{
    ChangeReason, ClusterError, ClusterEvent, ClusterMessage, GroupMember, MemberChange,
    MessageType, NodeIdentity, QuorumMember, Target,
};
use super::{check_group_name, ClusterLayer, ORIGIN_ATTRIBUTE};
use crate::xml::Element;

/// The cluster of one node: this process.
///
/// Behaves like a one-node corosync cluster seen through [`ClusterLayer`]:
/// joining a group reports a membership of just this process, the quorum view
/// is always quorate with this node alone, and messages sent to a joined group
/// come back from `dispatch` in the order they were sent (addressed messages
/// only when addressed to this node, as receivers filter them on corosync).
///
/// A socket pair provides a pollable fd that is readable while events are
/// pending, so a poll loop treats it like the corosync fds.
pub struct LocalCluster {
    identity: NodeIdentity,
    pid: u32,
    groups: BTreeSet<String>,
    pending: VecDeque<ClusterEvent>,
    message_counter: u32,
    wake_reader: UnixStream,
    wake_writer: UnixStream,
}

impl LocalCluster {
    /// A local cluster whose only node is `identity`. Reports the initial
    /// quorum view on the first `dispatch`, as the corosync layer does.
    pub fn new(identity: NodeIdentity) -> Result<Self, ClusterError> {
        let (wake_reader, wake_writer) =
            UnixStream::pair().map_err(|e| ClusterError::Io(format!("socketpair: {e}")))?;
        for end in [&wake_reader, &wake_writer] {
            end.set_nonblocking(true)
                .map_err(|e| ClusterError::Io(format!("set_nonblocking: {e}")))?;
        }
        let mut cluster = LocalCluster {
            identity,
            pid: std::process::id(),
            groups: BTreeSet::new(),
            pending: VecDeque::new(),
            message_counter: 0,
            wake_reader,
            wake_writer,
        };
        let quorum = ClusterEvent::Quorum {
            quorate: true,
            ring_id: 1,
            members: vec![QuorumMember {
                node_id: cluster.identity.id,
                name: Some(cluster.identity.name.clone()),
            }],
        };
        cluster.queue(quorum);
        Ok(cluster)
    }

    /// Node id 1 named after this host (`uname -n`), like a default
    /// single-node corosync configuration.
    pub fn for_this_host() -> Result<Self, ClusterError> {
        Self::new(NodeIdentity { id: 1, name: local_hostname()? })
    }

    fn myself(&self) -> GroupMember {
        GroupMember {
            node_id: self.identity.id,
            pid: self.pid,
            name: Some(self.identity.name.clone()),
        }
    }

    fn queue(&mut self, event: ClusterEvent) {
        self.pending.push_back(event);
        // One byte per event is not needed: the fd only has to stay readable
        // while anything is pending. A full buffer already means "readable".
        match self.wake_writer.write(&[1]) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => tracing::warn!("local cluster wake-up write failed: {e}"),
        }
    }

    fn drain_wakeups(&mut self) {
        let mut sink = [0u8; 256];
        loop {
            match self.wake_reader.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }
}

/// The kernel's node name, as `uname -n` prints it.
pub fn local_hostname() -> Result<String, ClusterError> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_err(|e| ClusterError::Io(format!("reading the host name: {e}")))?;
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(ClusterError::InvalidNodeName(name));
    }
    Ok(name)
}

impl ClusterLayer for LocalCluster {
    fn local_node(&self) -> &NodeIdentity {
        &self.identity
    }

    fn join(&mut self, group: &str) -> Result<(), ClusterError> {
        check_group_name(group)?;
        if !self.groups.insert(group.to_string()) {
            return Err(ClusterError::AlreadyJoined(group.to_string()));
        }
        let me = self.myself();
        self.queue(ClusterEvent::Membership {
            group: group.to_string(),
            members: vec![me.clone()],
            joined: vec![MemberChange { member: me, reason: ChangeReason::Join }],
            left: Vec::new(),
            local_is_member: true,
        });
        Ok(())
    }

    fn leave(&mut self, group: &str) -> Result<(), ClusterError> {
        if !self.groups.remove(group) {
            return Err(ClusterError::NotJoined(group.to_string()));
        }
        // Like CPG, nothing more is delivered for a group once it is left.
        self.pending.retain(|event| match event {
            ClusterEvent::Message(m) => m.group != group,
            ClusterEvent::Membership { group: g, .. } => g != group,
            _ => true,
        });
        Ok(())
    }

    fn send(
        &mut self,
        group: &str,
        to: Option<&Target>,
        destination_type: MessageType,
        payload: &Element,
    ) -> Result<(), ClusterError> {
        if !self.groups.contains(group) {
            return Err(ClusterError::NotJoined(group.to_string()));
        }
        self.message_counter = self.message_counter.wrapping_add(1);
        let for_us = match to {
            None => true,
            Some(target) => {
                let name_matches = match &target.name {
                    None => true,
                    Some(name) => name.eq_ignore_ascii_case(&self.identity.name),
                };
                (target.node_id == 0 || target.node_id == self.identity.id) && name_matches
            }
        };
        if !for_us {
            // The message would go out and every receiver would drop it.
            return Ok(());
        }
        let mut delivered = payload.clone();
        delivered.set_attr(ORIGIN_ATTRIBUTE, self.identity.name.clone());
        let message = ClusterMessage {
            group: group.to_string(),
            from_node_id: self.identity.id,
            from_pid: self.pid,
            from_name: self.identity.name.clone(),
            message_id: self.message_counter,
            sender_type: MessageType::for_sender(group, self.pid),
            destination_type,
            addressed: to.is_some(),
            compressed: false,
            payload: delivered,
        };
        self.queue(ClusterEvent::Message(message));
        Ok(())
    }

    fn poll_fds(&self) -> Vec<RawFd> {
        vec![self.wake_reader.as_raw_fd()]
    }

    fn dispatch(&mut self) -> Vec<ClusterEvent> {
        self.drain_wakeups();
        self.pending.drain(..).collect()
    }

    fn flush(&mut self) -> Result<(), ClusterError> {
        Ok(())
    }

    fn retry_after(&self) -> Option<Duration> {
        None
    }

    fn node_name(&mut self, node_id: u32) -> Option<String> {
        (node_id == self.identity.id).then(|| self.identity.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> LocalCluster {
        LocalCluster::new(NodeIdentity { id: 1, name: "node1".into() }).expect("local cluster")
    }

    fn readable(fd: RawFd) -> bool {
        let mut pollfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, zero timeout.
        let rc = unsafe { libc::poll(&mut pollfd, 1, 0) };
        rc == 1 && (pollfd.revents & libc::POLLIN) != 0
    }

    #[test]
    fn reports_quorum_then_membership_then_messages_in_order() {
        let mut c = cluster();
        let fd = c.poll_fds()[0];
        assert!(readable(fd));
        let events = c.dispatch();
        assert!(!readable(fd));
        assert!(matches!(&events[..], [ClusterEvent::Quorum { quorate: true, .. }]));

        c.join("cib").expect("join");
        assert_eq!(c.join("cib"), Err(ClusterError::AlreadyJoined("cib".into())));
        for i in 0..3 {
            let msg = Element::new("cib_command").with_attr("n", i.to_string());
            c.send("cib", None, MessageType::CIB, &msg).expect("send");
        }
        c.send("cib", Some(&Target::by_name("node2")), MessageType::CIB, &Element::new("no"))
            .expect("send to other node");
        c.send("cib", Some(&Target::node(1, "NODE1")), MessageType::CIB, &Element::new("yes"))
            .expect("send to us");
        assert!(readable(fd));
        let events = c.dispatch();
        assert_eq!(events.len(), 5);
        assert!(matches!(&events[0], ClusterEvent::Membership { local_is_member: true, members, .. } if members.len() == 1));
        let names: Vec<String> = events[1..]
            .iter()
            .map(|e| match e {
                ClusterEvent::Message(m) => {
                    assert_eq!(m.payload.attr("src"), Some("node1"));
                    assert_eq!(m.sender_type, MessageType::CIB);
                    format!("{}{}", m.payload.name, m.payload.attr("n").unwrap_or(""))
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(names, ["cib_command0", "cib_command1", "cib_command2", "yes"]);
    }

    #[test]
    fn send_needs_a_joined_group() {
        let mut c = cluster();
        assert_eq!(
            c.send("attrd", None, MessageType::ATTRD, &Element::new("x")),
            Err(ClusterError::NotJoined("attrd".into()))
        );
        assert!(c.join("").is_err());
    }
}
