//! The controller's message format ("crm messages", lib/common/messages.c in Pacemaker) as
//! far as the scheduler needs it, and the acks its IPC server sends.

use libcrmcommon::xml::Element;

/// CRM_FEATURE_SET of Pacemaker 2.1.5.
pub const FEATURE_SET: &str = "3.16.1";
/// The name the scheduler goes by in messages (CRM_SYSTEM_PENGINE) and its IPC server name.
pub const SYSTEM_NAME: &str = "pengine";

pub mod attr {
    pub const ORIGIN: &str = "origin";
    pub const TYPE: &str = "t";
    pub const VERSION: &str = "version";
    pub const MSG_TYPE: &str = "subt";
    pub const REFERENCE: &str = "reference";
    pub const TASK: &str = "crm_task";
    pub const SYS_TO: &str = "crm_sys_to";
    pub const SYS_FROM: &str = "crm_sys_from";
    pub const HOST_TO: &str = "crm_host_to";
    pub const HOST_FROM: &str = "src";
    pub const GRAPH_INPUT: &str = "crm-tgraph-in";
    pub const GRAPH_ERRORS: &str = "graph-errors";
    pub const GRAPH_WARNINGS: &str = "graph-warnings";
    pub const CONFIG_ERRORS: &str = "config-errors";
    pub const CONFIG_WARNINGS: &str = "config-warnings";
}

/// The child element wrapping a message's payload.
pub const DATA: &str = "crm_xml";
pub const TYPE_CRM: &str = "crmd";
/// What requests carry in `subt` (only replies are told apart by the scheduler).
#[allow(dead_code)]
pub const MSG_REQUEST: &str = "request";
pub const MSG_RESPONSE: &str = "response";

pub mod op {
    pub const PE_CALC: &str = "pe_calc";
    pub const HELLO: &str = "hello";
}

/// `crm_exit_t` values the scheduler's acks carry.
pub mod status {
    pub const INVALID_PARAM: i32 = 2;
    pub const PROTOCOL: i32 = 76;
    /// "The real answer follows as an event."
    pub const INDETERMINATE: i32 = 112;
}

/// Where in Pacemaker 2.1.5's scheduler an ack comes from: clients ignore these, but they
/// are part of what the C daemon sends, so ours says the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckSite {
    /// A message that could not be read.
    Unreadable,
    /// A reply sent to the scheduler (ignored).
    IgnoredReply,
    /// A message for another daemon (ignored).
    NotForUs,
    PeCalc,
    Hello,
    UnknownRequest,
}

impl AckSite {
    fn function_and_line(self) -> (&'static str, u32) {
        match self {
            AckSite::Unreadable => ("pe_ipc_dispatch", 243),
            AckSite::IgnoredReply => ("pe_ipc_dispatch", 251),
            AckSite::NotForUs => ("pe_ipc_dispatch", 255),
            AckSite::PeCalc => ("handle_pecalc_request", 77),
            AckSite::UnknownRequest => ("handle_unknown_request", 183),
            AckSite::Hello => ("handle_hello_request", 195),
        }
    }
}

/// `<ack function=.. line=.. status=..>`
pub fn ack(site: AckSite, exit_status: i32) -> Element {
    let (function, line) = site.function_and_line();
    Element::new("ack")
        .with_attr("function", function)
        .with_attr("line", line.to_string())
        .with_attr("status", exit_status.to_string())
}

/// A reply to `request` as Pacemaker's `create_reply()` called from `origin` builds it:
/// the request's reference and task, sender and recipient swapped, `data` wrapped in
/// `<crm_xml>`.
pub fn reply(request: &Element, origin: &str, data: Option<&Element>) -> Element {
    let mut reply = Element::new("create_reply_adv")
        .with_attr(attr::ORIGIN, origin)
        .with_attr(attr::TYPE, TYPE_CRM)
        .with_attr(attr::VERSION, FEATURE_SET)
        .with_attr(attr::MSG_TYPE, MSG_RESPONSE);
    let mut copy = |name: &str, from: &str| {
        if let Some(value) = request.attr(from) {
            reply.set_attr(name, value);
        }
    };
    copy(attr::REFERENCE, attr::REFERENCE);
    copy(attr::TASK, attr::TASK);
    copy(attr::SYS_TO, attr::SYS_FROM);
    copy(attr::SYS_FROM, attr::SYS_TO);
    if let Some(host) = request.attr(attr::HOST_FROM).filter(|h| !h.is_empty()) {
        reply.set_attr(attr::HOST_TO, host);
    }
    if let Some(data) = data {
        reply.push_child(Element::new(DATA)).push_child(data.clone());
    }
    reply
}

/// The payload of a message: the first element inside its `<crm_xml>`.
pub fn payload(message: &Element) -> Option<&Element> {
    message.child(DATA)?.first_element()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_swaps_ends_and_echoes_reference() {
        let request = Element::new("create_request_adv")
            .with_attr(attr::MSG_TYPE, MSG_REQUEST)
            .with_attr(attr::REFERENCE, "pe_calc-dc-1700000000-12")
            .with_attr(attr::TASK, op::PE_CALC)
            .with_attr(attr::SYS_TO, SYSTEM_NAME)
            .with_attr(attr::SYS_FROM, "1234_crmd");
        let graph = Element::new("transition_graph");
        let r = reply(&request, "handle_pecalc_request", Some(&graph));
        assert_eq!(
            libcrmcommon::xml::to_compact(&r),
            "<create_reply_adv origin=\"handle_pecalc_request\" t=\"crmd\" version=\"3.16.1\" subt=\"response\" \
             reference=\"pe_calc-dc-1700000000-12\" crm_task=\"pe_calc\" crm_sys_to=\"1234_crmd\" \
             crm_sys_from=\"pengine\"><crm_xml><transition_graph/></crm_xml></create_reply_adv>"
        );
    }
}
