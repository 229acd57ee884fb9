//! Parsing text into an [`Element`] tree.
//!
//! Mirrors what libxml2 gives Pacemaker with its options: blank text is dropped,
//! comments are kept, attribute values are normalized (literal TAB/CR/LF become spaces)
//! and the five predefined plus numeric entities are expanded. DOCTYPEs are refused
//! rather than interpreted, so no entity expansion tricks get through.

use super::node::{Element, XmlNode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::fmt;

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
    let mut reader = Reader::from_reader(bytes);
    {
        let cfg = reader.config_mut();
        cfg.trim_text(true);
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
    }
    let mut stack: Vec<Element> = Vec::new();
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
                stack.push(element_from_start(&reader, &start)?);
            }
            Event::Empty(start) => {
                let e = element_from_start(&reader, &start)?;
                attach(&reader, &mut stack, &mut root, e)?;
            }
            Event::End(_) => {
                let e = stack.pop().ok_or_else(|| err(&reader, "unexpected end tag"))?;
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

fn element_from_start(reader: &Reader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, ParseError> {
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|_| err(reader, "element name is not UTF-8"))?
        .to_owned();
    if name.is_empty() {
        return Err(err(reader, "empty element name"));
    }
    let mut element = Element::new(name);
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| err(reader, e.to_string()))?;
        let key = std::str::from_utf8(attr.key.as_ref())
            .map_err(|_| err(reader, "attribute name is not UTF-8"))?;
        let raw = std::str::from_utf8(&attr.value)
            .map_err(|_| err(reader, "attribute value is not UTF-8"))?;
        let value = unescape_attr(raw).map_err(|m| err(reader, m))?;
        if element.has_attr(key) {
            return Err(err(reader, format!("duplicate attribute {key}")));
        }
        element.attrs.push((key.to_owned(), value));
    }
    Ok(element)
}

/// Attribute-value normalization and entity expansion as XML 1.0 §3.3.3 asks.
fn unescape_attr(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find(|c| matches!(c, '&' | '\t' | '\n' | '\r' | '<')) {
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
    Ok(out)
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
    fn depth_is_bounded() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).is_err());
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }
}
