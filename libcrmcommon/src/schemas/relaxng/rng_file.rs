//! Reading `.rng` files into a small tree that keeps text (our CIB tree drops it, but
//! `<value>` and `<param>` carry their meaning as text).

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::path::Path;
use std::rc::Rc;

/// The RELAX NG structure namespace; elements of other namespaces are annotations.
const RELAXNG_NS: &str = "http://relaxng.org/ns/structure/1.0";

/// One element of a schema file, with the datatype library in effect for it.
#[derive(Debug)]
pub(super) struct RngNode {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Rc<RngNode>>,
    /// Concatenated character data directly inside this element.
    pub text: String,
    /// The inherited `datatypeLibrary` value.
    pub datatype_library: String,
}

impl RngNode {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Builds the tree of one file. Only the RELAX NG vocabulary is kept: annotation
/// elements from other namespaces are skipped with their content.
pub(super) fn read(path: &Path) -> Result<Rc<RngNode>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

struct Open {
    node: RngNode,
    /// Default namespace declared on or inherited by this element.
    default_ns: String,
    foreign: bool,
}

fn parse(bytes: &[u8]) -> Result<Rc<RngNode>, String> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(start) => {
                let open = open_element(&start, stack.last())?;
                if stack.len() > 512 {
                    return Err("schema nests too deeply".into());
                }
                stack.push(open);
            }
            Event::Empty(start) => {
                let open = open_element(&start, stack.last())?;
                close(open, &mut stack, &mut root);
            }
            Event::End(_) => {
                let open = stack.pop().ok_or("unbalanced end tag")?;
                close(open, &mut stack, &mut root);
            }
            Event::Text(text) => {
                if let Some(top) = stack.last_mut() {
                    let text = text.unescape().map_err(|e| e.to_string())?;
                    top.node.text.push_str(&text);
                }
            }
            Event::CData(data) => {
                if let Some(top) = stack.last_mut() {
                    top.node.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn close(open: Open, stack: &mut [Open], root: &mut Option<Rc<RngNode>>) {
    if open.foreign {
        return;
    }
    let node = Rc::new(open.node);
    match stack.last_mut() {
        Some(parent) => {
            if !parent.foreign {
                parent.node.children.push(node);
            }
        }
        None => *root = Some(node),
    }
}

fn open_element(start: &BytesStart<'_>, parent: Option<&Open>) -> Result<Open, String> {
    let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut default_ns = parent.map(|p| p.default_ns.clone()).unwrap_or_default();
    let mut datatype_library = parent.map(|p| p.node.datatype_library.clone()).unwrap_or_default();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr.unescape_value().map_err(|e| e.to_string())?.into_owned();
        if key == "xmlns" {
            default_ns = value;
        } else if key.starts_with("xmlns:") {
            // Prefixed vocabularies only annotate the schema.
        } else if key == "datatypeLibrary" {
            datatype_library = value.clone();
            attrs.push((key, value));
        } else if !key.contains(':') {
            attrs.push((key, value));
        }
    }
    let foreign = parent.is_some_and(|p| p.foreign) || qname.contains(':') || default_ns != RELAXNG_NS;
    Ok(Open {
        node: RngNode { name: qname, attrs, children: Vec::new(), text: String::new(), datatype_library },
        default_ns,
        foreign,
    })
}
