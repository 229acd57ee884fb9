//! The XML of pacemakerd's IPC conversation: Pacemaker's generic request/reply envelope
//! (element names are the C function names that build them, which clients ignore but
//! which we reproduce so captures compare equal), acks, and the ping/shutdown payloads.

use libcrmcommon::xml::Element;
use std::sync::atomic::{AtomicU32, Ordering};

/// `CRM_FEATURE_SET` of Pacemaker 2.1.5.
pub const FEATURE_SET: &str = "3.16.1";
/// Our IPC server name and the system name in envelopes (`CRM_SYSTEM_MCP`).
pub const SYSTEM_NAME: &str = "pacemakerd";

pub const OP_PING: &str = "ping";
pub const OP_QUIT: &str = "quit";
pub const OP_RM_NODE_CACHE: &str = "rm_node_cache";

/// An `<ack>`: the synchronous response of a request whose real reply (if any) follows as
/// an event. `function` and `line` say where the C daemon builds it; clients only read the
/// element name and `status`.
pub fn ack(function: &str, line: u32, status: i32) -> Element {
    Element::new("ack")
        .with_attr("function", function)
        .with_attr("line", line.to_string())
        .with_attr("status", status.to_string())
}

/// Why a reply could not be built.
#[derive(Debug, PartialEq, Eq)]
pub struct NoMessageType;

/// A reply to `request` carrying `data` in `<crm_xml>`, as `create_reply_adv` builds it:
/// sender and recipient swapped, reference and task copied.
pub fn reply(request: &Element, data: Element, origin: &str) -> Result<Element, NoMessageType> {
    // The C daemon refuses (asserts) on a request without a message type.
    request.attr("subt").ok_or(NoMessageType)?;
    let mut reply = Element::new("create_reply_adv")
        .with_attr("origin", origin)
        .with_attr("t", "crmd")
        .with_attr("version", FEATURE_SET)
        .with_attr("subt", "response");
    let mut copy = |name: &str, from: &str| {
        if let Some(value) = request.attr(from) {
            reply.set_attr(name, value);
        }
    };
    copy("reference", "reference");
    copy("crm_task", "crm_task");
    copy("crm_sys_to", "crm_sys_from");
    copy("crm_sys_from", "crm_sys_to");
    if let Some(host) = request.attr("src").filter(|h| !h.is_empty()) {
        reply.set_attr("crm_host_to", host);
    }
    Ok(reply.with_child(Element::new("crm_xml").with_child(data)))
}

/// The payload of a ping reply.
pub fn ping_response(subsystem: Option<&str>, state: &str, last_good: i64) -> Element {
    let mut ping = Element::new("ping_response");
    if let Some(subsystem) = subsystem {
        ping.set_attr("crm_subsystem", subsystem);
    }
    ping.with_attr("pacemakerd_state", state)
        .with_attr("crm-timestamp", last_good.to_string())
        .with_attr("result", "ok")
}

/// The payload of a shutdown reply: `op-status` 0 when accepted, 4 when not privileged.
pub fn shutdown_response(status: i32) -> Element {
    Element::new("shutdown").with_attr("op-status", status.to_string())
}

/// A request as `create_request_adv` builds it, from `<client_id>_<system>` to pacemakerd.
pub fn request(task: &str, system: &str, client_id: &str, origin: &str) -> Element {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    Element::new("create_request_adv")
        .with_attr("origin", origin)
        .with_attr("t", "crmd")
        .with_attr("version", FEATURE_SET)
        .with_attr("subt", "request")
        .with_attr("reference", format!("{task}-{system}-{}-{counter}", now_epoch()))
        .with_attr("crm_task", task)
        .with_attr("crm_sys_to", SYSTEM_NAME)
        .with_attr("crm_sys_from", format!("{client_id}_{system}"))
}

/// Seconds since the epoch.
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml;

    #[test]
    fn ping_reply_matches_the_c_daemons_capture() {
        let request = xml::parse(
            r#"<create_request_adv origin="do_pacemakerd_api_call" t="crmd" version="3.16.1" subt="request" reference="ping-probe-1795337137-0" crm_task="ping" crm_sys_to="pacemakerd" crm_sys_from="12345_probe"/>"#,
        )
        .unwrap();
        let data = ping_response(request.attr("crm_sys_to"), "running", 1795337137);
        let reply = reply(&request, data, "handle_ping_request").unwrap();
        assert_eq!(
            xml::to_compact(&reply),
            r#"<create_reply_adv origin="handle_ping_request" t="crmd" version="3.16.1" subt="response" reference="ping-probe-1795337137-0" crm_task="ping" crm_sys_to="12345_probe" crm_sys_from="pacemakerd"><crm_xml><ping_response crm_subsystem="pacemakerd" pacemakerd_state="running" crm-timestamp="1795337137" result="ok"/></crm_xml></create_reply_adv>"#
        );
    }

    #[test]
    fn reply_needs_a_message_type() {
        let request = Element::new("x").with_attr("crm_task", "ping");
        assert_eq!(reply(&request, shutdown_response(0), "f"), Err(NoMessageType));
    }

    #[test]
    fn ack_attributes_in_c_order() {
        assert_eq!(
            xml::to_compact(&ack("handle_ping_request", 52, 112)),
            r#"<ack function="handle_ping_request" line="52" status="112"/>"#
        );
    }

    #[test]
    fn request_names_the_client() {
        let r = request(OP_QUIT, "pacemakerd", "77", "do_pacemakerd_api_call");
        assert_eq!(r.attr("crm_sys_from"), Some("77_pacemakerd"));
        assert!(r.attr("reference").unwrap().starts_with("quit-pacemakerd-"));
    }
}
