//! Serving the `pacemakerd` IPC: ping (state report), quit (shutdown request, privileged
//! clients only) and rm_node_cache (acknowledged, nothing to purge).
//!
//! Every request that asks for a synchronous response gets an `<ack>`: status 112 ("more
//! to follow") when the real reply comes as an event.

use crate::exit_codes;
use crate::messages::{self, OP_PING, OP_QUIT, OP_RM_NODE_CACHE};
use crate::state::LauncherState;
use crate::supervisor::Launcher;
use libcrmcommon::ipc::server::{self as ipc, ClientId, ServerEvent};
use libcrmcommon::ipc::{flags, Message};
use libcrmcommon::xml::{self, Element};

/// Where the C daemon builds each ack (function, line), reproduced in ours.
const ACK_NODE_CACHE: (&str, u32) = ("handle_node_cache_request", 32);
const ACK_PING: (&str, u32) = ("handle_ping_request", 52);
const ACK_SHUTDOWN: (&str, u32) = ("handle_shutdown_request", 107);
const ACK_UNKNOWN: (&str, u32) = ("handle_unknown_request", 144);
const ACK_UNPARSABLE: (&str, u32) = ("pcmk_ipc_dispatch", 220);

pub fn on_event(launcher: &mut Launcher, event: ServerEvent) {
    match event {
        ServerEvent::Connected { .. } => {}
        ServerEvent::Request { client, request } => on_request(launcher, client, &request),
        ServerEvent::BadRequest { client, id, flags: request_flags, error } => {
            tracing::warn!("Unparsable IPC request: {}", error);
            send_ack(client, id, request_flags, ACK_UNPARSABLE, exit_codes::PROTOCOL);
        }
        ServerEvent::Disconnected { info, .. } => {
            if launcher.sbd.shutdown_reported_to == Some(info.pid) {
                launcher.sbd.shutdown_reported_client_closed = true;
                if launcher.shutdown_requested() {
                    launcher.request_shutdown();
                }
            }
        }
    }
}

fn send_ack(client: ClientId, id: i32, request_flags: u32, at: (&str, u32), status: i32) {
    if request_flags & flags::CLIENT_RESPONSE == 0 {
        return;
    }
    if let Err(e) = ipc::send_response(client, id, &messages::ack(at.0, at.1, status)) {
        tracing::warn!("Could not acknowledge IPC request: {}", e);
    }
}

fn send_reply(client: ClientId, reply: &Element) {
    if let Err(e) = ipc::send_event(client, reply) {
        tracing::warn!("Could not send IPC reply: {}", e);
    }
}

fn client_name(client: ClientId) -> String {
    ipc::client_info(client).map_or_else(|| "unknown".to_owned(), |info| format!("{}[{}]", info.user, info.pid))
}

fn on_request(launcher: &mut Launcher, client: ClientId, request: &Message) {
    let (id, request_flags) = (request.header.id, request.header.flags);
    let msg = match xml::parse(&request.text) {
        Ok(msg) => msg,
        Err(e) => {
            tracing::warn!("Unparsable IPC request from {}: {}", client_name(client), e);
            send_ack(client, id, request_flags, ACK_UNPARSABLE, exit_codes::PROTOCOL);
            return;
        }
    };
    let Some(op) = msg.attr("crm_task").map(str::to_owned) else {
        // The C daemon drops such a request without an answer.
        tracing::error!("IPC request from {} has no crm_task", client_name(client));
        return;
    };
    let result = match op.as_str() {
        OP_RM_NODE_CACHE => {
            tracing::trace!("Ignoring request from client {} to purge node because peer cache is not used", client_name(client));
            send_ack(client, id, request_flags, ACK_NODE_CACHE, exit_codes::OK);
            Ok(())
        }
        OP_PING => {
            send_ack(client, id, request_flags, ACK_PING, exit_codes::INDETERMINATE);
            handle_ping(launcher, client, &msg)
        }
        OP_QUIT => {
            send_ack(client, id, request_flags, ACK_SHUTDOWN, exit_codes::INDETERMINATE);
            handle_quit(launcher, client, &msg)
        }
        other => {
            send_ack(client, id, request_flags, ACK_UNKNOWN, exit_codes::INVALID_PARAM);
            Err(format!("Unknown IPC request type '{other}' (bug?)"))
        }
    };
    match result {
        Ok(()) => tracing::debug!(function = "pcmk_ipc_dispatch", "Processed {} request from client {}: OK", op, client_name(client)),
        Err(reason) => tracing::warn!(function = "pcmk_ipc_dispatch", "Processed {} request from client {}: Error ({})", op, client_name(client), reason),
    }
}

fn handle_ping(launcher: &mut Launcher, client: ClientId, msg: &Element) -> Result<(), String> {
    let from = msg.attr("crm_sys_from");
    tracing::trace!(function = "handle_ping_request", "Pinged from crm_sys_from='{}' origin='{}'", from.unwrap_or(""), msg.attr("origin").unwrap_or(""));
    let data = messages::ping_response(msg.attr("crm_sys_to"), launcher.state.as_str(), launcher.last_good);
    let reply = messages::reply(msg, data, "handle_ping_request")
        .map_err(|_| format!("Failed building ping reply for client {}", client_name(client)))?;
    send_reply(client, &reply);
    // sbd pings to learn how start-up and shutdown go; its pings move those along.
    if from.is_some_and(|f| f.contains("sbd")) {
        match launcher.state {
            LauncherState::ShutdownComplete => {
                if launcher.sbd.sync_startup {
                    notice!(function = "handle_ping_request", "Shutdown-complete-state passed to SBD.");
                }
                launcher.sbd.shutdown_reported_to = ipc::client_info(client).map(|info| info.pid);
            }
            LauncherState::WaitForPing => {
                notice!(function = "handle_ping_request", "Received startup-trigger from SBD.");
                launcher.state = LauncherState::StartingDaemons;
                launcher.init_children();
            }
            _ => {}
        }
    }
    Ok(())
}

fn handle_quit(launcher: &mut Launcher, client: ClientId, msg: &Element) -> Result<(), String> {
    // Only root and hacluster may stop the node this way; others go through the CIB,
    // where ACLs apply.
    let allowed = ipc::client_info(client).is_some_and(|info| info.privileged);
    let status = if allowed {
        notice!(
            function = "handle_shutdown_request", "Shutting down in response to IPC request {} from {}",
            msg.attr("reference").unwrap_or("(null)"),
            msg.attr("origin").unwrap_or("(null)")
        );
        exit_codes::OK
    } else {
        tracing::warn!(function = "handle_shutdown_request", "Ignoring shutdown request from unprivileged client {}", client_name(client));
        exit_codes::INSUFFICIENT_PRIV
    };
    let reply = messages::reply(msg, messages::shutdown_response(status), "handle_shutdown_request")
        .map_err(|_| format!("Failed building shutdown reply for client {}", client_name(client)))?;
    send_reply(client, &reply);
    if allowed {
        launcher.request_shutdown();
    }
    Ok(())
}
