//! Sends one message to a scheduler's `pengine` IPC server, the way the controller does
//! (a crm request, synchronous flag set), and prints what came back, one line each:
//! `ack: <xml>` for the response, `event: <xml>` for each event, `no-ack` / `no-event` when
//! nothing came within the wait, `disconnected: <why>`. Used by tests/schedulerd.rs inside
//! a node; works against any implementation.
//!
//! Usage: pengine-probe KIND [CIB-FILE]   (see `main` for the kinds). `pe_calc` reads the
//! CIB from CIB-FILE, or stdin when it is `-`.

use libcrmcommon::ipc::client::IpcClient;
use libcrmcommon::ipc::frame::{self, flags};
use libcrmcommon::xml::{self, Element};
use std::io::Read;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
/// The ring size the controller asks for (5 MiB, lib/common/ipc_client.c).
const BUFFER: usize = 5 * 1024 * 1024;

fn request(task: &str, cib: Option<Element>) -> Element {
    let mut msg = Element::new("create_request_adv")
        .with_attr("origin", "do_pe_invoke")
        .with_attr("t", "crmd")
        .with_attr("version", "3.16.1")
        .with_attr("subt", "request")
        .with_attr("reference", format!("{task}-crmd-1700000000-7"))
        .with_attr("crm_task", task)
        .with_attr("crm_sys_to", "pengine")
        .with_attr("crm_sys_from", "4242_crmd");
    if let Some(cib) = cib {
        msg.push_child(Element::new("crm_xml")).push_child(cib);
    }
    msg
}

fn read_cib(source: Option<String>) -> Element {
    let text = match source.as_deref() {
        None | Some("-") => {
            let mut t = String::new();
            std::io::stdin().read_to_string(&mut t).expect("read CIB from stdin");
            t
        }
        Some(path) => std::fs::read_to_string(path).expect("read CIB file"),
    };
    xml::parse(&text).expect("CIB parses")
}

/// Sends `text` as one message with the synchronous flag, then prints the response and
/// the events that follow.
fn exchange(ipc: &mut IpcClient, text: &str, events: usize) {
    let (header, payload) = frame::encode(1, flags::CLIENT_RESPONSE, text, BUFFER).expect("frame");
    let mut bytes = header.encode().to_vec();
    bytes.extend_from_slice(&payload);
    if let Err(e) = ipc.send_raw(&bytes) {
        println!("disconnected: {e}");
        return;
    }
    match ipc.request_raw_wait(WAIT) {
        Ok(Some(ack)) => println!("ack: {}", xml::to_compact(&ack)),
        Ok(None) => println!("no-ack"),
        Err(e) => println!("disconnected: {e}"),
    }
    for _ in 0..events {
        match ipc.next_event(WAIT) {
            Ok(event) => println!("event: {}", xml::to_compact(&event)),
            Err(e) if !ipc.is_connected() => {
                println!("disconnected: {e}");
                return;
            }
            Err(_) => println!("no-event"),
        }
    }
}

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let mut ipc = match IpcClient::connect("pengine", BUFFER) {
        Ok(c) => c,
        Err(e) => {
            println!("disconnected: {e}");
            std::process::exit(1);
        }
    };
    let text = match kind.as_str() {
        // The controller's request with a CIB (file or stdin).
        "pe_calc" => xml::to_compact(&request("pe_calc", Some(read_cib(std::env::args().nth(2))))),
        // Not XML at all.
        "malformed" => "this is not XML".to_owned(),
        // XML cut off in the middle of the root element's attributes.
        "truncated" => "<create_request_adv crm_task='pe_calc' crm_sys_to=".to_owned(),
        // A pe_calc whose CIB claims a schema it does not validate against and cannot be
        // upgraded from.
        "invalid-schema" => {
            let cib = xml::parse(
                r#"<cib validate-with="pacemaker-1.0" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources><bogus id="x"/></resources><constraints/></configuration><status/></cib>"#,
            )
            .expect("static CIB parses");
            xml::to_compact(&request("pe_calc", Some(cib)))
        }
        // A pe_calc whose CIB is not a CIB.
        "not-a-cib" => xml::to_compact(&request("pe_calc", Some(Element::new("nothing").with_attr("validate-with", "pacemaker-3.9")))),
        // A pe_calc without any CIB.
        "no-cib" => xml::to_compact(&request("pe_calc", None)),
        "hello" => xml::to_compact(&request("hello", None)),
        "unknown-task" => xml::to_compact(&request("frobnicate", None)),
        "no-task" => {
            let mut r = request("pe_calc", None);
            r.remove_attr("crm_task");
            xml::to_compact(&r)
        }
        "wrong-recipient" => {
            let mut r = request("pe_calc", None);
            r.set_attr("crm_sys_to", "crmd");
            xml::to_compact(&r)
        }
        "reply" => {
            let mut r = request("pe_calc", None);
            r.set_attr("subt", "response");
            xml::to_compact(&r)
        }
        other => {
            eprintln!("pengine-probe: unknown kind {other:?}");
            std::process::exit(2);
        }
    };
    // Only a pe_calc with a CIB has an event to wait for; for the rest one short look
    // shows there is none.
    let events = usize::from(matches!(kind.as_str(), "pe_calc" | "invalid-schema" | "not-a-cib" | "no-cib"));
    exchange(&mut ipc, &text, events);
}
