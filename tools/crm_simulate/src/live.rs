//! `-L`: the live CIB, queried from the local CIB manager over its read-only IPC server, as
//! Pacemaker's tools do (register, then one synchronous local query).

use std::time::Duration;

use libcib::protocol::{attr, call_opt, element, msg_type, op, rc};
use libcrmcommon::ipc::client::IpcClient;
use libcrmcommon::xml::Element;

const SERVER: &str = "cib_ro";
const CLIENT_NAME: &str = "crm_simulate";
const WAIT: Duration = Duration::from_secs(30);
const BUFFER: usize = 128 * 1024;

pub fn query_cib() -> Result<Element, String> {
    let unreachable = |e: &dyn std::fmt::Display| format!("Could not connect to the CIB manager: {e}");
    let mut ipc = IpcClient::connect(SERVER, BUFFER).map_err(|e| unreachable(&e))?;
    let registration = Element::new(element::COMMAND)
        .with_attr(attr::TYPE, msg_type::CIB)
        .with_attr(attr::OPERATION, op::REGISTER)
        .with_attr(attr::CLIENT_NAME, CLIENT_NAME);
    let registered = ipc.request(&registration, WAIT).map_err(|e| unreachable(&e))?;
    let token = registered.attr(attr::CLIENT_ID).unwrap_or_default().to_owned();
    let options = call_opt::SCOPE_LOCAL | call_opt::SYNC_CALL;
    let query = Element::new(element::COMMAND)
        .with_attr(attr::TYPE, msg_type::CIB)
        .with_attr(attr::OPERATION, op::QUERY)
        .with_attr(attr::CALL_ID, "1")
        .with_attr(attr::CALL_OPTIONS, options.to_string())
        .with_attr(attr::CLIENT_ID, token)
        .with_attr(attr::CLIENT_NAME, CLIENT_NAME);
    let reply = ipc.request(&query, WAIT).map_err(|e| format!("Live CIB query failed: {e}"))?;
    let code = reply.attr(attr::RC).and_then(|c| c.parse::<i32>().ok()).unwrap_or(rc::OK);
    if code != rc::OK {
        return Err(format!("Live CIB query failed: {} ({code})", libcib::protocol::rc_text(code)));
    }
    reply
        .child(element::CALLDATA)
        .and_then(Element::first_element)
        .cloned()
        .ok_or_else(|| "Live CIB query returned no CIB".to_owned())
}
