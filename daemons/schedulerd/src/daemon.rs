//! The `pengine` IPC server's message handling, as Pacemaker 2.1.5's scheduler does it:
//!
//! * a message that cannot be read gets `<ack status="76">` (CRM_EX_PROTOCOL);
//! * replies (`subt="response"`) and messages not addressed to `pengine` get
//!   `<ack status="112">` and are otherwise ignored;
//! * `pe_calc` gets `<ack status="112">` as the response, then the reply as an event;
//! * `hello` gets `<ack status="112">` and nothing else;
//! * any other task gets `<ack status="2">` (CRM_EX_INVALID_PARAM);
//! * a request without a task gets nothing (logged).
//!
//! Acks are only sent when the client asked for a response (the IPC flag), as in Pacemaker.

use crate::messages::{self, attr, op, status, AckSite};
use crate::pecalc::Scheduler;
use libcrmcommon::ipc::server::{self as ipc, ServerEvent};
use libcrmcommon::ipc::{flags, ClientId};
use libcrmcommon::xml::{self, Element};

pub struct Daemon {
    scheduler: Scheduler,
}

impl Daemon {
    pub fn new(scheduler: Scheduler) -> Daemon {
        Daemon { scheduler }
    }

    pub fn on_ipc_event(&mut self, event: ServerEvent) {
        match event {
            ServerEvent::Connected { client } => {
                tracing::trace!("New scheduler client {:?}", client);
            }
            ServerEvent::Disconnected { info, .. } => {
                tracing::trace!("Scheduler client {} (pid {}) disconnected", info.uuid, info.pid);
            }
            ServerEvent::BadRequest { client, id, flags: request_flags, error } => {
                tracing::warn!("Unreadable IPC message from client {}: {}", client_name(client), error);
                send_ack(client, id, request_flags, AckSite::Unreadable, status::PROTOCOL);
            }
            ServerEvent::Request { client, request } => {
                let (id, request_flags) = (request.header.id, request.header.flags);
                match xml::parse(&request.text) {
                    Ok(message) => self.on_message(client, id, request_flags, &message),
                    Err(e) => {
                        tracing::warn!("Unparsable IPC message from client {}: {}", client_name(client), e);
                        send_ack(client, id, request_flags, AckSite::Unreadable, status::PROTOCOL);
                    }
                }
            }
        }
    }

    fn on_message(&mut self, client: ClientId, id: i32, request_flags: u32, message: &Element) {
        let sys_to = message.attr(attr::SYS_TO);
        if message.attr(attr::MSG_TYPE) == Some(messages::MSG_RESPONSE) {
            send_ack(client, id, request_flags, AckSite::IgnoredReply, status::INDETERMINATE);
            tracing::info!("Ignoring IPC reply from {}", client_name(client));
            return;
        }
        if sys_to != Some(messages::SYSTEM_NAME) {
            send_ack(client, id, request_flags, AckSite::NotForUs, status::INDETERMINATE);
            tracing::info!("Ignoring invalid IPC message: to '{}' not {}", sys_to.unwrap_or(""), messages::SYSTEM_NAME);
            return;
        }
        let Some(task) = message.attr(attr::TASK) else {
            tracing::error!("Ignoring IPC request from {} without a task ({})", client_name(client), attr::TASK);
            return;
        };
        match task {
            op::PE_CALC => {
                send_ack(client, id, request_flags, AckSite::PeCalc, status::INDETERMINATE);
                let reply = self.scheduler.calculate(message);
                if let Err(e) = ipc::send_event(client, &reply) {
                    tracing::warn!("Could not send the transition to {}: {}", client_name(client), e);
                }
                tracing::debug!("Processed {} request from client {}: OK", task, client_name(client));
            }
            op::HELLO => {
                send_ack(client, id, request_flags, AckSite::Hello, status::INDETERMINATE);
                tracing::trace!("Received IPC hello from {}", client_name(client));
            }
            other => {
                send_ack(client, id, request_flags, AckSite::UnknownRequest, status::INVALID_PARAM);
                tracing::warn!(
                    "Processed {} request from client {}: Invalid (Unknown IPC request type '{}' (bug?))",
                    other,
                    client_name(client),
                    other
                );
            }
        }
    }
}

fn client_name(client: ClientId) -> String {
    ipc::client_info(client).map_or_else(|| "(gone)".to_owned(), |info| info.pid.to_string())
}

fn send_ack(client: ClientId, id: i32, request_flags: u32, site: AckSite, exit_status: i32) {
    if request_flags & flags::CLIENT_RESPONSE == 0 {
        return;
    }
    if let Err(e) = ipc::send_response(client, id, &messages::ack(site, exit_status)) {
        tracing::warn!("Could not acknowledge IPC message from {}: {}", client_name(client), e);
    }
}
