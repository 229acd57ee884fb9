//! The datatypes Pacemaker's schemas use, checked the way libxml2 2.9 checks them.
//!
//! XSD types other than `string` see the value with whitespace collapsed (libxml2
//! normalizes on the fly); `string` sees it verbatim. `ID` and `IDREF` values are
//! recorded by the validator (see `derive.rs`) after stripping surrounding blanks, as
//! libxml2 registers them for its document-wide checks.

use super::xsd_regex::XsdRegex;

/// The XML Schema datatypes namespace.
pub(super) const XSD_LIBRARY: &str = "http://www.w3.org/2001/XMLSchema-datatypes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Datatype {
    /// The built-in library's `string`: any text, compared verbatim.
    BuiltinString,
    /// The built-in library's `token`: any text, compared with whitespace normalized.
    BuiltinToken,
    XsdString,
    XsdToken,
    XsdNcName,
    XsdId,
    XsdIdRef,
    XsdInteger,
    XsdNonNegativeInteger,
    XsdPositiveInteger,
    XsdNonPositiveInteger,
    XsdNegativeInteger,
    XsdBoolean,
}

/// Whether a value matched a type that the document-wide ID checks care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Id,
    IdRef,
}

impl Datatype {
    pub fn lookup(library: &str, name: &str) -> Result<Datatype, String> {
        let name = name.trim();
        Ok(match (library, name) {
            ("", "string") => Datatype::BuiltinString,
            ("", "token") => Datatype::BuiltinToken,
            (XSD_LIBRARY, "string") => Datatype::XsdString,
            (XSD_LIBRARY, "token") => Datatype::XsdToken,
            (XSD_LIBRARY, "NCName") => Datatype::XsdNcName,
            (XSD_LIBRARY, "ID") => Datatype::XsdId,
            (XSD_LIBRARY, "IDREF") => Datatype::XsdIdRef,
            (XSD_LIBRARY, "integer") => Datatype::XsdInteger,
            (XSD_LIBRARY, "nonNegativeInteger") => Datatype::XsdNonNegativeInteger,
            (XSD_LIBRARY, "positiveInteger") => Datatype::XsdPositiveInteger,
            (XSD_LIBRARY, "nonPositiveInteger") => Datatype::XsdNonPositiveInteger,
            (XSD_LIBRARY, "negativeInteger") => Datatype::XsdNegativeInteger,
            (XSD_LIBRARY, "boolean") => Datatype::XsdBoolean,
            _ => return Err(format!("datatype {name:?} of library {library:?} is not supported")),
        })
    }

    pub fn id_kind(self) -> Option<IdKind> {
        match self {
            Datatype::XsdId => Some(IdKind::Id),
            Datatype::XsdIdRef => Some(IdKind::IdRef),
            _ => None,
        }
    }

    /// Whether `value` is in the type's lexical space.
    pub fn allows(self, value: &str) -> bool {
        match self {
            Datatype::BuiltinString | Datatype::BuiltinToken | Datatype::XsdString | Datatype::XsdToken => true,
            // Collapsing cannot turn a value with inner blanks into an NCName, so
            // stripping the ends is enough.
            Datatype::XsdNcName | Datatype::XsdId | Datatype::XsdIdRef => is_ncname(strip(value)),
            Datatype::XsdInteger => parse_integer(value).is_some(),
            Datatype::XsdNonNegativeInteger => parse_integer(value).is_some_and(|(neg, zero)| !neg || zero),
            Datatype::XsdPositiveInteger => parse_integer(value).is_some_and(|(neg, zero)| !neg && !zero),
            Datatype::XsdNonPositiveInteger => parse_integer(value).is_some_and(|(neg, zero)| neg || zero),
            Datatype::XsdNegativeInteger => parse_integer(value).is_some_and(|(neg, zero)| neg && !zero),
            Datatype::XsdBoolean => matches!(strip(value), "true" | "false" | "1" | "0"),
        }
    }

    /// Whether `value` equals the schema's `<value>` text `expected` for this type.
    pub fn equal(self, expected: &str, value: &str) -> bool {
        if expected == value {
            return true;
        }
        match self {
            Datatype::BuiltinString | Datatype::XsdString => false,
            // libxml2 compares untyped and token values with blanks normalized.
            Datatype::BuiltinToken
            | Datatype::XsdToken
            | Datatype::XsdNcName
            | Datatype::XsdId
            | Datatype::XsdIdRef => tokens(expected).eq(tokens(value)),
            Datatype::XsdInteger
            | Datatype::XsdNonNegativeInteger
            | Datatype::XsdPositiveInteger
            | Datatype::XsdNonPositiveInteger
            | Datatype::XsdNegativeInteger => {
                self.allows(expected) && self.allows(value) && integer_value(expected) == integer_value(value)
            }
            Datatype::XsdBoolean => {
                let truth = |v: &str| match strip(v) {
                    "true" | "1" => Some(true),
                    "false" | "0" => Some(false),
                    _ => None,
                };
                truth(expected).is_some() && truth(expected) == truth(value)
            }
        }
    }
}

/// A `<data>` pattern's type with its facets.
#[derive(Debug, Clone)]
pub(crate) struct DataCheck {
    pub datatype: Datatype,
    pub patterns: Vec<XsdRegex>,
}

impl DataCheck {
    pub fn new(datatype: Datatype, params: &[(String, String)]) -> Result<DataCheck, String> {
        let mut patterns = Vec::new();
        for (name, value) in params {
            match name.trim() {
                "pattern" => patterns.push(XsdRegex::compile(value)?),
                other => return Err(format!("datatype parameter {other:?} is not supported")),
            }
        }
        Ok(DataCheck { datatype, patterns })
    }

    pub fn allows(&self, value: &str) -> bool {
        if !self.datatype.allows(value) {
            return false;
        }
        if self.patterns.is_empty() {
            return true;
        }
        // Facets see the value as the type normalizes it.
        let normalized;
        let subject = match self.datatype {
            Datatype::BuiltinString | Datatype::XsdString => value,
            _ => {
                normalized = collapse(value);
                normalized.as_str()
            }
        };
        self.patterns.iter().all(|p| p.is_match(subject))
    }
}

fn is_xsd_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// XSD whitespace collapsing: blank runs become one space, ends are trimmed.
pub(super) fn collapse(value: &str) -> String {
    value.split(is_xsd_blank).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The blank-separated tokens of a value: comparing them is comparing the values with
/// whitespace collapsed (libxml2's RelaxNG value normalization), without allocating.
fn tokens(value: &str) -> impl Iterator<Item = &str> {
    value.split(is_xsd_blank).filter(|part| !part.is_empty())
}

/// libxml2 strips blanks at both ends of ID and IDREF values before registering them.
pub(super) fn strip(value: &str) -> &str {
    value.trim_matches(is_xsd_blank)
}

/// (negative, zero) of an xsd integer, or `None` if it is not one. libxml2 refuses more
/// than 24 significant digits.
fn parse_integer(value: &str) -> Option<(bool, bool)> {
    let v = strip(value);
    let (negative, digits) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 24 {
        return None;
    }
    Some((negative, significant.is_empty()))
}

fn integer_value(value: &str) -> Option<(bool, String)> {
    let (negative, zero) = parse_integer(value)?;
    let v = strip(value).trim_start_matches(['+', '-']);
    Some((negative && !zero, v.trim_start_matches('0').to_string()))
}

/// An XML namespace-less name (letters per a close approximation outside ASCII).
pub(super) fn is_ncname(value: &str) -> bool {
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start_ok = |c: char| c == '_' || c.is_ascii_alphabetic() || (!c.is_ascii() && c.is_alphabetic());
    let rest_ok = |c: char| {
        start_ok(c)
            || c.is_ascii_digit()
            || c == '.'
            || c == '-'
            || c == '\u{B7}'
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    start_ok(first) && chars.all(rest_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_like_libxml2() {
        assert!(Datatype::XsdInteger.allows(" +0012 "));
        assert!(Datatype::XsdInteger.allows("-5"));
        assert!(!Datatype::XsdInteger.allows(""));
        assert!(!Datatype::XsdInteger.allows("1.0"));
        assert!(!Datatype::XsdInteger.allows("1 2"));
        assert!(!Datatype::XsdInteger.allows("1234567890123456789012345"));
        assert!(Datatype::XsdInteger.allows("000000000000000000000000000001"));
        assert!(Datatype::XsdNonNegativeInteger.allows("-0"));
        assert!(!Datatype::XsdNonNegativeInteger.allows("-1"));
        assert!(!Datatype::XsdPositiveInteger.allows("0"));
    }

    #[test]
    fn ids_are_ncnames() {
        assert!(Datatype::XsdId.allows(" r1 "));
        assert!(!Datatype::XsdId.allows("1r"));
        assert!(!Datatype::XsdId.allows("a b"));
        assert!(!Datatype::XsdId.allows("a:b"));
        assert!(!Datatype::XsdId.allows(""));
    }
}
