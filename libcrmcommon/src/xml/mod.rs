//! Pacemaker's XML document model.

mod attributes;
mod node;
mod parse;
mod serialize;
pub mod xpath;

pub use attributes::Attributes;
pub use node::{Descendants, Element, XmlNode};
pub use parse::{parse, parse_bytes, ParseError, MAX_DEPTH};
pub use serialize::{escape_attr, escape_attr_into, to_compact, to_compact_filtered, to_formatted};
pub use xpath::{element_xpath, XPath, XPathError};
