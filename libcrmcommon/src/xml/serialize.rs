//! Serializing an [`Element`] tree the way Pacemaker 2.1.5 does.
//!
//! The exact bytes matter: the on-disk signature and the patchset digests are MD5 sums
//! over this text, computed independently by C and Rust peers.

use super::node::{Element, XmlNode};

/// Compact form: no declaration, no whitespace between elements (the IPC/CPG payload form).
pub fn to_compact(e: &Element) -> String {
    let mut out = String::with_capacity(256);
    write_element(e, false, 0, &mut out, None);
    out
}

/// Formatted form: two-space indentation, one element per line, trailing newline
/// (what Pacemaker writes to cib.xml and pe-input files).
pub fn to_formatted(e: &Element) -> String {
    let mut out = String::with_capacity(256);
    write_element(e, true, 0, &mut out, None);
    out
}

/// Compact form without the attributes that `skip` rejects (used by the versioned digest).
pub fn to_compact_filtered(e: &Element, skip: &dyn Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(256);
    write_element(e, false, 0, &mut out, Some(skip));
    out
}

fn indent(out: &mut String, formatted: bool, depth: usize) {
    if formatted {
        out.extend(std::iter::repeat_n(' ', 2 * depth));
    }
}

fn write_element(
    e: &Element,
    formatted: bool,
    depth: usize,
    out: &mut String,
    skip: Option<&dyn Fn(&str) -> bool>,
) {
    indent(out, formatted, depth);
    out.push('<');
    out.push_str(&e.name);
    for (name, value) in &e.attrs {
        if skip.is_some_and(|s| s(name)) {
            continue;
        }
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_attr_into(value, out);
        out.push('"');
    }
    if e.children.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
    }
    if formatted {
        out.push('\n');
    }
    if !e.children.is_empty() {
        for child in &e.children {
            match child {
                XmlNode::Element(c) => write_element(c, formatted, depth + 1, out, skip),
                XmlNode::Comment(text) => {
                    indent(out, formatted, depth + 1);
                    out.push_str("<!--");
                    out.push_str(text);
                    out.push_str("-->");
                    if formatted {
                        out.push('\n');
                    }
                }
            }
        }
        indent(out, formatted, depth);
        out.push_str("</");
        out.push_str(&e.name);
        out.push('>');
        if formatted {
            out.push('\n');
        }
    }
}

/// Whether `escape_attr_into` does anything but copy byte `b` (printable ASCII is copied
/// except for the five XML specials).
fn needs_escape(b: u8) -> bool {
    !matches!(b, 0x20..=0x7e) || matches!(b, b'<' | b'>' | b'"' | b'\'' | b'&')
}

/// Pacemaker's attribute escaping (crm_xml_escape), including its quirks: TAB becomes four
/// spaces, CR/LF become backslash sequences, other control bytes and lone high bytes become
/// backslash-octal of the sign-extended byte, and the first pair of consecutive high-bit
/// bytes (any multi-byte UTF-8 character) stops escaping for the rest of the value.
pub fn escape_attr_into(value: &str, out: &mut String) {
    let bytes = value.as_bytes();
    // Most values need no escaping: copy the plain prefix in one go.
    let plain = bytes.iter().position(|&b| needs_escape(b)).unwrap_or(bytes.len());
    out.push_str(&value[..plain]);
    let mut i = plain;
    while i < bytes.len() {
        let b = bytes[i];
        if b & 0x80 != 0 && bytes.get(i + 1).is_some_and(|n| n & 0x80 != 0) {
            // Copy the remainder untouched. `i` is at a UTF-8 lead byte here unless an
            // earlier lone continuation byte was octal-escaped, which cannot happen in a
            // valid &str, so this slice is on a char boundary.
            out.push_str(&value[i..]);
            return;
        }
        match b {
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            b'"' => out.push_str("&quot;"),
            b'\'' => out.push_str("&apos;"),
            b'&' => out.push_str("&amp;"),
            b'\t' => out.push_str("    "),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                // C's `char` is signed: bytes >= 0x80 print as a 32-bit two's complement.
                let sign_extended = b as i8 as i32 as u32;
                out.push_str(&format!("\\{sign_extended:03o}"));
            }
        }
        i += 1;
    }
}

pub fn escape_attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_attr_into(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn compact_matches_pacemaker_form() {
        let e = parse("<cib a=\"1\">\n <configuration>\n  <!-- hi -->\n  <x y=\"&lt;&amp;&apos;\"/>\n </configuration>\n <status/>\n</cib>").unwrap();
        assert_eq!(
            to_compact(&e),
            "<cib a=\"1\"><configuration><!-- hi --><x y=\"&lt;&amp;&apos;\"/></configuration><status/></cib>"
        );
        assert_eq!(
            to_formatted(&e),
            "<cib a=\"1\">\n  <configuration>\n    <!-- hi -->\n    <x y=\"&lt;&amp;&apos;\"/>\n  </configuration>\n  <status/>\n</cib>\n"
        );
    }

    #[test]
    fn escaping_quirks() {
        assert_eq!(escape_attr("a\tb\nc\rd"), "a    b\\nc\\rd");
        assert_eq!(escape_attr("\u{1}\u{7f}"), "\\001\\177");
        // A multi-byte character stops escaping for the rest of the value.
        assert_eq!(escape_attr("<é<"), "&lt;é<");
    }
}
