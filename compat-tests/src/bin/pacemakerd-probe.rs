//! Sends one request to the `pacemakerd` IPC and prints what came back, one line each:
//! `response: <xml>` (the synchronous answer), then `event: <xml>` or `no-event`.
//! Used by tests/pacemakerd.rs to compare the C launcher's replies with ours.
//!
//! Usage: pacemakerd-probe TASK [async] [nosubt]
//!   async: send without asking for a synchronous response (the reply comes as an event)
//!   nosubt: leave out the message type

use libcrmcommon::ipc::client::IpcClient;
use libcrmcommon::xml::{self, Element};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        eprintln!("usage: pacemakerd-probe TASK [async] [nosubt]");
        std::process::exit(64);
    };
    let asynchronous = args.iter().any(|a| a == "async");
    let mut request = Element::new("create_request_adv")
        .with_attr("origin", "do_pacemakerd_api_call")
        .with_attr("t", "crmd")
        .with_attr("version", "3.16.1")
        .with_attr("subt", "request")
        .with_attr("reference", format!("{task}-probe-1-0"))
        .with_attr("crm_task", task.as_str())
        .with_attr("crm_sys_to", "pacemakerd")
        .with_attr("crm_sys_from", "12345_probe");
    if args.iter().any(|a| a == "nosubt") {
        request.remove_attr("subt");
    }
    let mut ipc = match IpcClient::connect("pacemakerd", 0) {
        Ok(ipc) => ipc,
        Err(e) => {
            println!("disconnected: {e}");
            return;
        }
    };
    if asynchronous {
        if let Err(e) = ipc.send_async(&request) {
            println!("disconnected: {e}");
            return;
        }
    } else {
        match ipc.request(&request, WAIT) {
            Ok(reply) => println!("response: {}", xml::to_compact(&reply)),
            Err(e) => println!("no-response: {e}"),
        }
    }
    match ipc.next_event(WAIT) {
        Ok(event) => println!("event: {}", xml::to_compact(&event)),
        Err(_) => println!("no-event"),
    }
}
