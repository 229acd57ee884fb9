//! Parsing text into an [`Element`] tree.
//!
//! Mirrors what libxml2 gives Pacemaker with its options: blank text is dropped,
//! comments are kept, attribute values are normalized (literal TAB/CR/LF become spaces)
//! and the five predefined plus numeric entities are expanded. DOCTYPEs are refused
//! rather than interpreted, so no entity expansion tricks get through.

use super::attributes::Attributes;
use super::node::{Element, XmlNode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::fmt;
use std::ops::Range;

/// How deep documents may nest; libxml2's default limit without XML_PARSE_HUGE.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub position: u64,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XML parse error at byte {}: {}", self.position, self.message)
    }
}

impl std::error::Error for ParseError {}

fn err(reader: &Reader<&[u8]>, message: impl Into<String>) -> ParseError {
    ParseError { message: message.into(), position: reader.buffer_position() }
}

/// Parses a complete document with exactly one root element.
pub fn parse(text: &str) -> Result<Element, ParseError> {
    parse_bytes(text.as_bytes())
}

pub fn parse_bytes(bytes: &[u8]) -> Result<Element, ParseError> {
    // One UTF-8 check of the whole input lets names and values be sliced out of it
    // without checking each again; input that is not UTF-8 throughout takes the
    // per-slice checks (and their errors) instead.
    let text = Text { whole: std::str::from_utf8(bytes).ok() };
    let mut reader = Reader::from_reader(bytes);
    {
        let cfg = reader.config_mut();
        cfg.trim_text(true);
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
    }
    let mut stack: Vec<Element> = Vec::new();
    let mut spans = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| err(&reader, e.to_string()))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(err(&reader, "content after the root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(&reader, format!("elements nested deeper than {MAX_DEPTH}")));
                }
                stack.push(element_from_start(&reader, &text, &start, &mut spans)?);
            }
            Event::Empty(start) => {
                let e = element_from_start(&reader, &text, &start, &mut spans)?;
                attach(&reader, &mut stack, &mut root, e)?;
            }
            Event::End(_) => {
                let mut e = stack.pop().ok_or_else(|| err(&reader, "unexpected end tag"))?;
                // The list grew by doubling; giving back the unused part (in place)
                // lets later allocations reuse it instead of touching new memory.
                e.children.shrink_to_fit();
                attach(&reader, &mut stack, &mut root, e)?;
            }
            Event::Text(t) => {
                // Pacemaker never uses element text; non-blank text is accepted and
                // dropped as the C serializer would drop it, but only inside an element.
                if stack.is_empty() && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(err(&reader, "text outside the root element"));
                }
            }
            Event::CData(_) => {
                if stack.is_empty() {
                    return Err(err(&reader, "CDATA outside the root element"));
                }
            }
            Event::Comment(c) => {
                let text = String::from_utf8(c.to_vec())
                    .map_err(|_| err(&reader, "comment is not UTF-8"))?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(XmlNode::Comment(text));
                }
            }
            Event::Decl(_) | Event::PI(_) => {}
            Event::DocType(_) => return Err(err(&reader, "DOCTYPE declarations are not accepted")),
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(err(&reader, format!("unexpected end of input inside <{}>", stack.last().map(|e| e.name.as_str()).unwrap_or(""))));
    }
    root.ok_or_else(|| err(&reader, "no root element"))
}

/// The input as text, when it is UTF-8 throughout.
struct Text<'a> {
    whole: Option<&'a str>,
}

impl<'a> Text<'a> {
    /// `slice` (a part of the input, as the reader hands it out) as text.
    fn str<'s>(&self, slice: &'s [u8]) -> Option<&'s str>
    where
        'a: 's,
    {
        if let Some(whole) = self.whole {
            // The reader's events borrow from the input, so the slice's place in it
            // is its address difference; slices cut at ASCII delimiters are always
            // on character boundaries, which `get` confirms.
            let offset = (slice.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
            if let Some(s) = offset.checked_add(slice.len()).and_then(|end| whole.get(offset..end)) {
                return Some(s);
            }
        }
        std::str::from_utf8(slice).ok()
    }
}

fn attach(
    reader: &Reader<&[u8]>,
    stack: &mut [Element],
    root: &mut Option<Element>,
    e: Element,
) -> Result<(), ParseError> {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(XmlNode::Element(e));
        Ok(())
    } else if root.is_none() {
        *root = Some(e);
        Ok(())
    } else {
        Err(err(reader, "more than one root element"))
    }
}

fn element_from_start(
    reader: &Reader<&[u8]>,
    text: &Text<'_>,
    start: &BytesStart<'_>,
    spans: &mut Vec<AttributeSpan>,
) -> Result<Element, ParseError> {
    let name = text.str(start.name().0).ok_or_else(|| err(reader, "element name is not UTF-8"))?;
    if name.is_empty() {
        return Err(err(reader, "empty element name"));
    }
    // The attributes are split first so that the element's list is allocated
    // once, at its final size.
    let raw = start.attributes_raw();
    spans.clear();
    let mut tokenizer = AttributeTokenizer { tag: raw, pos: 0, name_len: start.name().0.len() };
    while let Some(span) = tokenizer.next().map_err(|m| err(reader, m))? {
        let key = &raw[span.key.clone()];
        if spans.iter().any(|s| s.key_prefix == span.key_prefix && raw[s.key.clone()] == *key) {
            return Err(err(reader, format!("duplicate attribute {}", String::from_utf8_lossy(key))));
        }
        spans.push(span);
    }
    // Expanding entities and normalizing white space never lengthen a value, so
    // the raw names and values bound the room they need.
    let bytes = spans.iter().map(|s| s.key.len() + s.value.len()).sum();
    let mut attrs = Attributes::with_capacity(spans.len(), bytes);
    for span in spans.iter() {
        let key = text.str(&raw[span.key.clone()]).ok_or_else(|| err(reader, "attribute name is not UTF-8"))?;
        let value = text.str(&raw[span.value.clone()]).ok_or_else(|| err(reader, "attribute value is not UTF-8"))?;
        if span.verbatim {
            attrs.push(key, value);
        } else {
            let mut expanded = String::with_capacity(value.len());
            unescape_attr_into(value, &mut expanded).map_err(|m| err(reader, m))?;
            attrs.push(key, &expanded);
        }
    }
    Ok(Element { name: name.to_owned(), attrs, children: Vec::new() })
}

/// One attribute of a start tag: where its name and raw value are in the tag.
struct AttributeSpan {
    key: Range<usize>,
    /// The name's length and first bytes, which tell most names apart without
    /// comparing them (every name is checked against the element's others).
    key_prefix: (usize, u64),
    value: Range<usize>,
    /// The raw value needs no entity expansion or white-space normalization.
    verbatim: bool,
}

/// Splits the attribute part of a start tag into attributes, with the syntax
/// quick-xml's strict (non-HTML) attribute reader accepts: a name ends at `=` or
/// white space, white space may surround `=`, values are quoted.
struct AttributeTokenizer<'a> {
    tag: &'a [u8],
    pos: usize,
    /// Length of the element name before the attributes, for error positions.
    name_len: usize,
}

impl AttributeTokenizer<'_> {
    fn next(&mut self) -> Result<Option<AttributeSpan>, String> {
        let s = self.tag;
        let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let skip_space = |from: usize| s[from..].iter().position(|&b| !is_space(b)).map(|n| from + n);
        let bad_key_end = |at: usize| format!("position {}: attribute key must be directly followed by `=` or space", self.name_len + at);
        let Some(key_start) = skip_space(self.pos) else {
            self.pos = s.len();
            return Ok(None);
        };
        let key_len = s[key_start..].iter().position(|&b| ENDS_NAME[usize::from(b)]);
        let key_end = key_len.map(|n| key_start + n).ok_or_else(|| bad_key_end(s.len()))?;
        let eq = skip_space(key_end).ok_or_else(|| bad_key_end(s.len()))?;
        if s[eq] != b'=' {
            return Err(bad_key_end(eq));
        }
        let Some(quote_at) = skip_space(eq + 1) else {
            return Err(format!("position {}: `=` must be followed by an attribute value", self.name_len + s.len()));
        };
        let quote = s[quote_at];
        if quote != b'"' && quote != b'\'' {
            return Err(format!("position {}: attribute value must be enclosed in `\"` or `'`", self.name_len + quote_at));
        }
        let Some(value_end) = memchr::memchr(quote, &s[quote_at + 1..]).map(|n| quote_at + 1 + n) else {
            return Err(format!("position {}: missing closing quote", self.name_len + s.len()));
        };
        let verbatim = !may_need_normalizing(&s[quote_at + 1..value_end]);
        self.pos = value_end + 1;
        let key = &s[key_start..key_end];
        let mut first = [0u8; 8];
        first[..key.len().min(8)].copy_from_slice(&key[..key.len().min(8)]);
        let key_prefix = (key.len(), u64::from_ne_bytes(first));
        Ok(Some(AttributeSpan { key: key_start..key_end, key_prefix, value: quote_at + 1..value_end, verbatim }))
    }
}

/// Whether a raw value may hold a byte that normalization changes (see
/// [`NORMALIZED`]). Values are most of a CIB's bytes, so they are checked eight at
/// a time: any control byte (below 0x20, which covers TAB, LF and CR), `&` or `<`.
/// Other control bytes give a false "maybe", which only sends the value through
/// the normalizing copy, where they are kept as they are.
fn may_need_normalizing(value: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether any byte of `word` is zero (exact for "any").
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let mut words = value.chunks_exact(8);
    for chunk in &mut words {
        let word = u64::from_ne_bytes(chunk.try_into().expect("8-byte chunk"));
        let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
        if below_space || has_zero(word ^ (ONES * u64::from(b'&'))) || has_zero(word ^ (ONES * u64::from(b'<'))) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| NORMALIZED[usize::from(b)])
}

/// A lookup table that is true for the given bytes.
const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// The bytes that end an attribute name: `=` and white space.
const ENDS_NAME: [bool; 256] = byte_set(b"= \t\n\r");

/// The bytes attribute-value normalization replaces: entity references, literal
/// white space other than the space, and `<` (an error).
const NORMALIZED: [bool; 256] = byte_set(b"&<\t\n\r");

/// Attribute-value normalization and entity expansion as XML 1.0 §3.3.3 asks,
/// appended to `out`.
fn unescape_attr_into(raw: &str, out: &mut String) -> Result<(), String> {
    let mut rest = raw;
    while let Some(pos) = rest.bytes().position(|b| NORMALIZED[usize::from(b)]) {
        out.push_str(&rest[..pos]);
        let c = rest.as_bytes()[pos];
        match c {
            b'&' => {
                let end = rest[pos..].find(';').ok_or("unterminated entity reference")? + pos;
                let entity = &rest[pos + 1..end];
                out.push(expand_entity(entity)?);
                rest = &rest[end + 1..];
            }
            b'<' => return Err("'<' in attribute value".into()),
            _ => {
                out.push(' ');
                rest = &rest[pos + 1..];
            }
        }
    }
    out.push_str(rest);
    Ok(())
}

fn expand_entity(entity: &str) -> Result<char, String> {
    let c = match entity {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let code = if let Some(hex) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(dec) = entity.strip_prefix('#') {
                dec.parse::<u32>().ok()
            } else {
                return Err(format!("unknown entity &{entity};"));
            };
            code.and_then(char::from_u32)
                .filter(|&c| c != '\0')
                .ok_or_else(|| format!("invalid character reference &{entity};"))?
        }
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_attributes_children_and_comments() {
        let e = parse("<?xml version=\"1.0\"?>\n<a x=\"1\" y='&apos;q&apos;'>\n  <!--c-->\n  <b/>\n  text\n  <c z=\"&#10;&lt;\"></c></a>").unwrap();
        assert_eq!(e.name, "a");
        assert_eq!(e.attr("y"), Some("'q'"));
        assert_eq!(e.children.len(), 3);
        assert_eq!(e.children[0], XmlNode::Comment("c".into()));
        assert_eq!(e.child("c").unwrap().attr("z"), Some("\n<"));
    }

    #[test]
    fn normalizes_literal_whitespace_in_attributes() {
        let e = parse("<a v=\"x\ty\nz\"/>").unwrap();
        assert_eq!(e.attr("v"), Some("x y z"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "<a>", "<a></b>", "<a/><b/>", "<a x='1' x='2'/>", "<a x='&foo;'/>",
                    "<!DOCTYPE a [<!ENTITY e 'x'>]><a/>", "junk", "<a x=1/>", "<a/>trailing"] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn attribute_syntax() {
        let e = parse("<a x = \"1\"\ty='2'z=\"&amp;\"/>").unwrap();
        assert_eq!(e.attrs, vec![("x", "1"), ("y", "2"), ("z", "&")]);
        for bad in ["<a x/>", "<a x=/>", "<a x y='1'/>", "<a x='1/>", "<a x=\"1'/>", "<a x='<'/>", "<a x='1' x = '2'/>"] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn non_ascii_names_and_values() {
        let e = parse("<a \u{e9}t\u{e9}=\"\u{2603} &#x2603;\"><b/></a>").unwrap();
        assert_eq!(e.attr("\u{e9}t\u{e9}"), Some("\u{2603} \u{2603}"));
    }

    #[test]
    fn text_that_is_not_utf8_is_dropped_but_names_must_be_utf8() {
        let e = parse_bytes(b"<a v=\"1\">\xff<b/></a>").unwrap();
        assert_eq!(e.attr("v"), Some("1"));
        assert_eq!(e.children.len(), 1);
        assert!(parse_bytes(b"<a v=\"\xff\"/>").is_err());
        assert!(parse_bytes(b"<a \xff=\"1\"/>").is_err());
    }

    #[test]
    fn normalization_check_finds_every_special_byte_at_every_position() {
        for len in 0..20 {
            let plain = vec![b'a'; len];
            assert!(!may_need_normalizing(&plain));
            for at in 0..len {
                for special in [b'&', b'<', b'\t', b'\n', b'\r'] {
                    let mut value = plain.clone();
                    value[at] = special;
                    assert!(may_need_normalizing(&value), "{special} at {at} of {len}");
                }
                let mut high = plain.clone();
                high[at] = 0xc3;
                assert!(!may_need_normalizing(&high));
            }
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).is_err());
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }
}
