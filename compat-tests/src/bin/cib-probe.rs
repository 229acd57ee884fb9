//! Sends one deliberately bad message to a CIB manager's `cib_rw` and says what came back:
//! `reply: <xml>`, `no-reply`, or `disconnected: <why>`. Used by tests/bad_input.rs inside a
//! node; works against any implementation.
//!
//! Usage: cib-probe KIND   (see `main` for the kinds)

use libcrmcommon::ipc::client::IpcClient;
use libcrmcommon::ipc::frame::{self, flags, Header, HEADER_SIZE};
use libcrmcommon::xml::{self, Element};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

fn register(ipc: &mut IpcClient) -> String {
    let reg = Element::new("cib_command")
        .with_attr("t", "cib")
        .with_attr("cib_op", "register")
        .with_attr("cib_clientname", "cib-probe")
        .with_attr("cib_callopt", "4096");
    let reply = ipc.request(&reg, WAIT).expect("registration");
    reply.attr("cib_clientid").unwrap_or("").to_owned()
}

fn request(token: &str, op: &str, callopt: &str) -> Element {
    Element::new("cib_command")
        .with_attr("t", "cib")
        .with_attr("cib_async_id", token)
        .with_attr("cib_op", op)
        .with_attr("cib_callid", "7")
        .with_attr("cib_callopt", callopt)
}

/// A frame with a valid header shape whose fields say `declared` bytes, carrying `payload`.
fn frame_bytes(payload: &[u8], declared: u32, compressed: Option<u32>, flags_in: u32) -> Vec<u8> {
    let header = Header {
        id: 1,
        size: (HEADER_SIZE + payload.len()) as i32,
        error: 0,
        size_uncompressed: declared,
        size_compressed: compressed.unwrap_or(0),
        flags: flags_in | if compressed.is_some() { flags::COMPRESSED } else { 0 },
        version: 1,
    };
    let mut bytes = header.encode().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

fn await_answer(ipc: &mut IpcClient, sync: bool) {
    if sync {
        // A synchronous raw message is answered on the response channel; read it as the
        // client library would, by waiting for a response with any id.
        match ipc.request_raw_wait(WAIT) {
            Ok(Some(reply)) => println!("reply: {}", xml::to_compact(&reply)),
            Ok(None) => println!("no-reply"),
            Err(e) => println!("disconnected: {e}"),
        }
    } else {
        match ipc.next_event(WAIT) {
            Ok(reply) => println!("reply: {}", xml::to_compact(&reply)),
            Err(e) if e.to_string().contains("timed out") || e.to_string().contains("Resource temporarily") => {
                println!("no-reply")
            }
            Err(e) => println!("disconnected: {e}"),
        }
    }
}

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let mut ipc = IpcClient::connect("cib_rw", 512 * 1024).expect("connect to cib_rw");
    let token = register(&mut ipc);
    match kind.as_str() {
        // A frame shorter than the 40-byte header.
        "truncated" => {
            ipc.send_raw(&[1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).expect("send");
            await_answer(&mut ipc, false);
        }
        // Payload without its terminating NUL, sent as a synchronous request.
        "no-nul" => {
            let text = xml::to_compact(&request(&token, "cib_query", "4096"));
            ipc.send_raw(&frame_bytes(text.as_bytes(), text.len() as u32, None, flags::CLIENT_RESPONSE)).expect("send");
            await_answer(&mut ipc, true);
        }
        // A header that claims far more payload than was sent.
        "lying-size" => {
            ipc.send_raw(&frame_bytes(b"<a/>\0", 100_000_000, None, flags::CLIENT_RESPONSE)).expect("send");
            await_answer(&mut ipc, true);
        }
        // "Compressed" garbage claiming to expand to 200 MB.
        "bad-bzip2" => {
            ipc.send_raw(&frame_bytes(b"BZh91AY&SYgarbage", 200_000_000, Some(17), flags::CLIENT_RESPONSE)).expect("send");
            await_answer(&mut ipc, true);
        }
        // Not XML at all.
        "bad-xml" => {
            ipc.send_raw(&frame_bytes(b"<cib_command t='cib' cib_op=\0", 29, None, flags::CLIENT_RESPONSE)).expect("send");
            await_answer(&mut ipc, true);
        }
        // An operation no CIB manager knows, asynchronously (C never answers it).
        "unknown-op" => {
            ipc.send_async(&request(&token, "cib_frobnicate", "0")).expect("send");
            await_answer(&mut ipc, false);
        }
        // Call options that are not a number, on a query.
        "bad-callopt" => {
            ipc.send_async(&request(&token, "cib_query", "lots").with_attr("cib_section", "nodes")).expect("send");
            await_answer(&mut ipc, false);
        }
        // A modify with no data.
        "no-calldata" => {
            ipc.send_async(&request(&token, "cib_modify", "0").with_attr("cib_section", "crm_config")).expect("send");
            await_answer(&mut ipc, false);
        }
        // A section name that does not exist.
        "bad-section" => {
            ipc.send_async(&request(&token, "cib_query", "0").with_attr("cib_section", "no-such-section")).expect("send");
            await_answer(&mut ipc, false);
        }
        // XPath that is huge, malformed or expensive.
        "hostile-xpath" => {
            let deep = format!("/{}", "*//".repeat(200) + "*");
            let nested = format!("//*[{}1{}]", "(".repeat(500), ")".repeat(500));
            for expr in [deep.as_str(), nested.as_str(), "//*[", "//nvpair[@name=$x]"] {
                let req = request(&token, "cib_query", "2").with_attr("cib_section", expr);
                ipc.send_async(&req).expect("send");
                await_answer(&mut ipc, false);
            }
        }
        // Subscribes to diff and replace notifications and prints the next N of them, one per
        // line (N = second argument), then exits; "ready" is printed once subscribed.
        "notify" => {
            let count: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(1);
            for kind in ["cib_diff_notify", "cib_refresh_notify"] {
                let sub = Element::new("cib-callback")
                    .with_attr("cib_op", "cib_notify")
                    .with_attr("cib_notify_type", kind)
                    .with_attr("cib_notify_activate", "1");
                let ack = ipc.request(&sub, WAIT).expect("subscribe");
                assert_eq!(ack.attr("status"), Some("0"), "subscription refused: {}", xml::to_compact(&ack));
            }
            println!("ready");
            for _ in 0..count {
                match ipc.next_event(Duration::from_secs(30)) {
                    Ok(event) => println!("{}", xml::to_compact(&event)),
                    Err(e) => {
                        println!("disconnected: {e}");
                        break;
                    }
                }
            }
        }
        // N rounds of an asynchronous write immediately followed by an asynchronous read of
        // what it wrote, on one connection (N = second argument). Prints each answer in the
        // order it came: `call <id> rc <rc> [value <what the read saw>]`.
        "write-then-read" => {
            let rounds: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(1);
            for round in 0..rounds {
                let marker = Element::new("nvpair")
                    .with_attr("id", "probe-order")
                    .with_attr("name", "probe-order")
                    .with_attr("value", round.to_string());
                let mut data = Element::new("cib_calldata");
                data.push_child(Element::new("crm_config"))
                    .push_child(Element::new("cluster_property_set").with_attr("id", "cib-bootstrap-options"))
                    .push_child(marker);
                let mut write = request(&token, "cib_modify", "0").with_attr("cib_section", "crm_config");
                write.set_attr("cib_callid", (2 * round + 1).to_string());
                write.push_child(data);
                let mut read = request(&token, "cib_query", "0").with_attr("cib_section", "crm_config");
                read.set_attr("cib_callid", (2 * round + 2).to_string());
                ipc.send_async(&write).expect("send write");
                ipc.send_async(&read).expect("send read");
            }
            for _ in 0..2 * rounds {
                match ipc.next_event(WAIT) {
                    Ok(event) => {
                        let seen = event
                            .descendants()
                            .find(|e| e.attr("id") == Some("probe-order"))
                            .and_then(|e| e.attr("value"))
                            .map(|v| format!(" value {v}"))
                            .unwrap_or_default();
                        println!("call {} rc {}{seen}", event.attr("cib_callid").unwrap_or("?"), event.attr("cib_rc").unwrap_or("?"));
                    }
                    Err(e) => {
                        println!("disconnected: {e}");
                        break;
                    }
                }
            }
        }
        other => {
            eprintln!("cib-probe: unknown kind {other:?}");
            std::process::exit(2);
        }
    }
    let _ = frame::DEFAULT_BUFFER_SIZE;
}
