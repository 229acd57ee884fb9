//! Leaving the cluster politely: on SIGTERM a CIB manager with peers tells them it is going
//! (an `exit-notification` carrying `cib_shutdown_req`) and exits once the acknowledgement
//! comes back, once it is the last member, or after 10 s, as Pacemaker 2.1.5 does.

use super::*;

/// How long to wait for a peer's acknowledgement before exiting anyway.
const EXIT_ESCALATION: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum ShutdownState {
    #[default]
    Running,
    /// The exit notification is out; exit on acknowledgement or at the deadline.
    AwaitingAcknowledgement { deadline: Instant },
    Finished,
}

impl Based {
    /// Starts leaving (SIGTERM/SIGINT). Returns true when the daemon may exit at once.
    pub fn begin_shutdown(&mut self) -> bool {
        if self.shutdown != ShutdownState::Running {
            return self.shutdown_finished();
        }
        let clients = self.clients.len();
        ipc::shutdown_all();
        tracing::info!("Disconnected {} clients", clients);
        if self.cluster.is_none() || self.active_peers < 2 {
            self.shutdown = ShutdownState::Finished;
            return true;
        }
        tracing::info!("Sending disconnect notification to {} peers...", self.active_peers);
        let leaving = Element::new(element::EXIT_NOTIFICATION)
            .with_attr(attr::TYPE, msg_type::CIB)
            .with_attr(attr::OPERATION, op::SHUTDOWN);
        self.cluster_send(None, &leaving);
        self.shutdown = ShutdownState::AwaitingAcknowledgement { deadline: Instant::now() + EXIT_ESCALATION };
        false
    }

    pub fn shutdown_finished(&mut self) -> bool {
        if let ShutdownState::AwaitingAcknowledgement { deadline } = self.shutdown {
            if Instant::now() >= deadline {
                tracing::error!("Forcing exit: no peer acknowledged our shutdown request in time");
                self.shutdown = ShutdownState::Finished;
            } else if self.active_peers < 2 {
                tracing::info!("No peers left to acknowledge our shutdown request");
                self.shutdown = ShutdownState::Finished;
            }
        }
        self.shutdown == ShutdownState::Finished
    }

    pub(super) fn shutdown_time_left(&self) -> Option<Duration> {
        match self.shutdown {
            ShutdownState::AwaitingAcknowledgement { deadline } => {
                Some(deadline.saturating_duration_since(Instant::now()))
            }
            _ => None,
        }
    }

    /// A `cib_shutdown_req` from the cluster (our own notification comes back too): a
    /// request is acknowledged to its sender; an acknowledgement addressed to us ends our
    /// shutdown.
    pub(super) fn on_peer_shutdown_message(&mut self, request: &CibRequest, reply_to: Option<&str>, is_reply: bool) {
        let peer = request.attr(attr::ORIGIN).unwrap_or("unknown").to_owned();
        if reply_to.is_none() {
            tracing::info!("Peer {} is requesting to shut down", peer);
            let mut ack = self.reply_skeleton(request, rc::OK);
            ack.set_attr(attr::IS_REPLY_TO, peer.clone());
            self.cluster_send(Some(&peer), &ack);
        } else if is_reply {
            if self.shutdown == ShutdownState::Running {
                tracing::error!("Peer {} mistakenly thinks we wanted to shut down", peer);
            } else {
                tracing::info!("Peer {} has acknowledged our shutdown request", peer);
                self.shutdown = ShutdownState::Finished;
            }
        }
    }

    /// Counts the nodes with a CIB manager in the `cib` group (Pacemaker counts active peers).
    pub(super) fn note_cib_members(&mut self, members: &[libcrmcommon::cluster::GroupMember]) {
        let mut nodes: Vec<u32> = members.iter().map(|m| m.node_id).collect();
        nodes.sort_unstable();
        nodes.dedup();
        self.active_peers = nodes.len();
    }
}
