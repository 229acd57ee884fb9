//! Drives a running CIB manager over one libqb connection, the way the CIB client library
//! does (register, then synchronous calls), and prints one `key=value` line per measurement.
//!
//! Usage: cib-bench [--modify N] [--create-delete N] [--query N] [--xpath-query N]
//!
//! Works against any implementation serving `cib_rw`, so the same binary measures Pacemaker's
//! pacemaker-based and ours.

use libcrmcommon::ipc::client::IpcClient;
use libcrmcommon::xml::Element;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);
const CIB_CLIENT_BUFFER: usize = 512 * 1024;
const SYNC_CALL: u32 = 0x1000;
const XPATH: u32 = 0x2;
const CAN_CREATE: u32 = 0x8;

struct Session {
    ipc: IpcClient,
    token: String,
    call_id: u64,
}

impl Session {
    fn connect() -> Result<Session, String> {
        let mut ipc = IpcClient::connect("cib_rw", CIB_CLIENT_BUFFER).map_err(|e| e.to_string())?;
        let reg = Element::new("cib_command")
            .with_attr("t", "cib")
            .with_attr("cib_op", "register")
            .with_attr("cib_clientname", "cib-bench")
            .with_attr("cib_callopt", SYNC_CALL.to_string());
        let reply = ipc.request(&reg, TIMEOUT).map_err(|e| e.to_string())?;
        let token = reply.attr("cib_clientid").ok_or("registration reply without cib_clientid")?.to_owned();
        Ok(Session { ipc, token, call_id: 0 })
    }

    fn call(&mut self, op: &str, section: Option<&str>, opts: u32, data: Option<Element>) -> Result<Element, String> {
        self.call_id += 1;
        let mut req = Element::new("cib_command")
            .with_attr("__name__", "cib_command")
            .with_attr("t", "cib")
            .with_attr("cib_async_id", self.token.clone())
            .with_attr("cib_op", op);
        if let Some(s) = section {
            req.set_attr("cib_section", s);
        }
        req.set_attr("cib_callid", self.call_id.to_string());
        req.set_attr("cib_callopt", (opts | SYNC_CALL).to_string());
        if let Some(d) = data {
            req.push_child(Element::new("cib_calldata")).push_child(d);
        }
        let reply = self.ipc.request(&req, TIMEOUT).map_err(|e| e.to_string())?;
        match reply.attr("cib_rc") {
            Some("0") => Ok(reply),
            other => Err(format!("{op} failed: rc={other:?}")),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

fn report(name: &str, mut lat: Vec<Duration>, total: Duration) {
    lat.sort();
    println!(
        "{name}_ops={} {name}_per_s={:.1} {name}_p50_ms={:.3} {name}_p99_ms={:.3}",
        lat.len(),
        lat.len() as f64 / total.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
}

fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut modify = 0usize;
    let mut query = 0usize;
    let mut xpath_query = 0usize;
    let mut create_delete = 0usize;
    while let Some(a) = args.next() {
        let n = |v: Option<String>| v.and_then(|s| s.parse::<usize>().ok()).ok_or(format!("{a} needs a count"));
        match a.as_str() {
            "--modify" => modify = n(args.next())?,
            "--query" => query = n(args.next())?,
            "--xpath-query" => xpath_query = n(args.next())?,
            "--create-delete" => create_delete = n(args.next())?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let mut s = Session::connect()?;
    if modify > 0 {
        let mut lat = Vec::with_capacity(modify);
        let start = Instant::now();
        for i in 0..modify {
            let set = Element::new("cluster_property_set").with_attr("id", "bench-set").with_child(
                Element::new("nvpair").with_attr("id", "bench-nv").with_attr("name", "bench-attr").with_attr("value", i.to_string()),
            );
            let t = Instant::now();
            s.call("cib_modify", Some("crm_config"), CAN_CREATE, Some(set))?;
            lat.push(t.elapsed());
        }
        report("modify", lat, start.elapsed());
    }
    if create_delete > 0 {
        // Structural writes (a primitive created, then deleted): each one is schema-validated.
        let mut lat = Vec::with_capacity(create_delete);
        let start = Instant::now();
        for i in 0..create_delete {
            let primitive = Element::new("primitive")
                .with_attr("id", "bench-structural")
                .with_attr("class", "ocf")
                .with_attr("provider", "heartbeat")
                .with_attr("type", "Dummy");
            let t = Instant::now();
            if i % 2 == 0 {
                s.call("cib_create", Some("resources"), 0, Some(primitive))?;
            } else {
                s.call("cib_delete", Some("resources"), 0, Some(Element::new("primitive").with_attr("id", "bench-structural")))?;
            }
            lat.push(t.elapsed());
        }
        report("create_delete", lat, start.elapsed());
    }
    if query > 0 {
        let mut lat = Vec::with_capacity(query);
        let start = Instant::now();
        for _ in 0..query {
            let t = Instant::now();
            s.call("cib_query", None, 0, None)?;
            lat.push(t.elapsed());
        }
        report("query", lat, start.elapsed());
    }
    if xpath_query > 0 {
        let mut lat = Vec::with_capacity(xpath_query);
        let start = Instant::now();
        for _ in 0..xpath_query {
            let t = Instant::now();
            s.call("cib_query", Some("//nvpair[@name='bench-attr']"), XPATH, None)?;
            lat.push(t.elapsed());
        }
        report("xpath_query", lat, start.elapsed());
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(std::env::args().skip(1)) {
        eprintln!("cib-bench: {e}");
        std::process::exit(1);
    }
}
