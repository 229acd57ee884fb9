//! Times the steps the CIB manager takes for one write and one whole-CIB query, in-process,
//! on a CIB file (e.g. `python3 shared/tools/refcluster/gen-cib.py 16 1000 > cib.xml`).
//!
//! Usage: cargo run --release -p libcrmcommon --example cib_write_path -- CIB.xml [ROUNDS]
//!
//! Prints the median time of each step in microseconds. Used to keep the per-write cost of
//! big CIBs in check: a change of one attribute should cost little more than the
//! unavoidable whole-tree steps (copy, schema validation).

use libcrmcommon::patchset::{self, CreateOptions};
use libcrmcommon::xml::{self, Element};
use std::time::{Duration, Instant};

/// One nvpair change under crm_config, as `cibadmin --modify` of a property would make.
fn modified(cib: &Element, round: usize) -> Element {
    let mut new = cib.clone();
    let config = new.child_mut("configuration").and_then(|c| c.child_mut("crm_config"));
    if let Some(crm_config) = config {
        let set = Element::new("cluster_property_set").with_attr("id", "bench-set").with_child(
            Element::new("nvpair")
                .with_attr("id", "bench-nv")
                .with_attr("name", "bench-attr")
                .with_attr("value", round.to_string()),
        );
        crm_config.children.retain(|c| c.as_element().and_then(Element::id) != Some("bench-set"));
        crm_config.push_child(set);
    }
    new
}

struct Step {
    name: &'static str,
    samples: Vec<Duration>,
}

fn median_us(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples.get(samples.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: cib_write_path CIB.xml [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(50);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let cib = match xml::parse(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot parse {path}: {e}");
            std::process::exit(1);
        }
    };
    let schemas = libcrmcommon::schemas::Schemas::system();
    let mut steps: Vec<Step> = Vec::new();
    let mut time = |name: &'static str, f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        let elapsed = start.elapsed();
        match steps.iter_mut().find(|s| s.name == name) {
            Some(s) => s.samples.push(elapsed),
            None => steps.push(Step { name, samples: vec![elapsed] }),
        }
    };
    let mut sink = 0usize;
    for round in 0..rounds {
        let mut new = Element::default();
        time("clone+modify", &mut || new = modified(&cib, round));
        let mut two_pass = new.clone();
        time("bump_versions+create (two passes)", &mut || {
            patchset::bump_versions(&cib, &mut two_pass);
            let diff = patchset::create(&cib, &two_pass, &CreateOptions::default());
            sink += diff.map_or(0, |d| d.children.len());
        });
        let mut one_pass = new.clone();
        time("bump_and_create", &mut || {
            let (diff, _) = patchset::bump_and_create(&cib, &mut one_pass, &CreateOptions::default());
            sink += diff.map_or(0, |d| d.children.len());
        });
        if one_pass != two_pass {
            eprintln!("bump_and_create and bump_versions disagree");
            std::process::exit(1);
        }
        let mut spare = Some(new);
        time("drop a CIB", &mut || drop(spare.take()));
        time("schema validation", &mut || sink += usize::from(schemas.validate_document(&one_pass).is_ok()));
        let mut text = String::new();
        time("serialize (to_compact)", &mut || text = xml::to_compact(&one_pass));
        time("on-disk digest", &mut || sink += libcrmcommon::digest::on_disk(&one_pass).len());
        // A query reply: a per-call start tag around the CIB. The first one after a change
        // compresses everything; a repeated one reuses the compressed CIB.
        let reply = |call: usize| format!("<cib-reply cib_callid=\"{call}\"><cib_calldata>{text}</cib_calldata></cib-reply>");
        for (name, call) in [("query reply frame, new CIB (bzip2)", 2 * round), ("query reply frame, same CIB", 2 * round + 1)] {
            let reply = reply(call);
            time(name, &mut || {
                let frame = libcrmcommon::ipc::frame::encode(1, 0, &reply, 128 * 1024);
                sink += frame.map_or(0, |(_, payload)| payload.len());
            });
        }
    }
    println!("{} rounds on {path} ({} bytes), median per step:", rounds, text.len());
    for step in &mut steps {
        println!("  {:<36} {:>10.1} us", step.name, median_us(&mut step.samples));
    }
    // Keeps the measured work from being optimized away.
    if sink == usize::MAX {
        println!();
    }
}
