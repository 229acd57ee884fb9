//! `-P DIR [-N N]`: schedules every `*.xml` in a directory N times and prints the processor
//! time each took, in Pacemaker's "Timings" list (files in reverse name order, as it lists them).

use std::path::Path;
use std::time::Duration;

/// Processor time of this process (what Pacemaker's clock() measures).
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

pub fn profile_dir(dir: &str, repeat: u64, now: Option<i64>) -> Result<String, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("Could not read {dir}: {e}"))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n.ends_with(".xml"))
        .collect();
    names.sort();
    let mut out = String::new();
    if names.is_empty() {
        return Ok(out);
    }
    out.push_str("Timings:\n");
    for name in names.iter().rev() {
        let path = format!("{dir}/{name}");
        if !Path::new(&path).is_file() {
            continue;
        }
        let Ok(text) = std::fs::read(&path) else { continue };
        let start = cpu_time();
        // Like Pacemaker, an unreadable or invalid file is skipped (after its parse time).
        if let Ok(cib) = libcrmcommon::xml::parse_bytes(&text) {
            for _ in 0..repeat {
                let Ok(mut ws) = libpacemaker::unpack::unpack_at(&cib, now) else { break };
                let _ = libpacemaker::sched::schedule(&mut ws, &cib);
            }
        }
        let secs = (cpu_time() - start).as_secs_f64();
        out.push_str(&format!("  * Testing {path} ... {secs:.2} secs\n"));
    }
    Ok(out)
}
