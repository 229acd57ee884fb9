//! Times native RELAX NG validation against libxml2 on one CIB file.
//!
//! Usage: relaxng_bench CIB.xml [ROUNDS]

use libcrmcommon::schemas::{Schemas, ValidationEngine, VALIDATE_WITH};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: relaxng_bench CIB.xml [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: u32 = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(20);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let doc = libcrmcommon::xml::parse(&text).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let schemas = Schemas::system();
    let name = doc.attr(VALIDATE_WITH).unwrap_or("pacemaker-3.9");
    let Some(index) = schemas.index_of(name) else {
        eprintln!("unknown schema {name}");
        std::process::exit(1)
    };
    println!("{} elements, schema {name}", doc.count_elements());
    for engine in [ValidationEngine::Native, ValidationEngine::Libxml2] {
        let first = Instant::now();
        let verdict = schemas.validate_index_with(&doc, index, engine);
        let first = first.elapsed();
        let t = Instant::now();
        let cpu = thread_cpu_time();
        for _ in 0..rounds {
            let _ = schemas.validate_index_with(&doc, index, engine);
        }
        let per = t.elapsed() / rounds;
        let cpu_per = (thread_cpu_time() - cpu) / rounds;
        println!(
            "{engine:?}: first {first:?} (incl. load), then {per:?} wall, {cpu_per:?} CPU per validation; verdict {:?}",
            verdict.map_err(|e| e.to_string())
        );
    }
}

/// CPU time of this thread (wall time is unreliable on a shared machine).
fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
