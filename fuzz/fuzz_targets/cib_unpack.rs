//! The scheduler on arbitrary input: whatever parses as XML must unpack (or be refused with
//! an error) and schedule, including building the transition graph, without panicking.
//! This is what pacemaker-schedulerd does with every CIB the controller sends it.

#![no_main]

use libcrmcommon::xml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cib) = xml::parse_bytes(data) else { return };
    let Ok(transition) = libpacemaker::calculate_transition(&cib, 0) else { return };
    let _ = xml::to_compact(&transition.graph);
});
