//! XPath 1.0 values and the conversions between them (sections 4.2–4.4 of the spec).

use super::document::NodeId;

#[derive(Debug, Clone)]
pub(super) enum Value {
    /// Node ids in document order, without duplicates.
    Nodes(Vec<NodeId>),
    Boolean(bool),
    Number(f64),
    String(String),
}

pub(super) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `number(string)`: optional whitespace, an optional minus, digits with at most one
/// dot, optional whitespace; anything else is NaN (no exponents, no "inf").
pub(super) fn string_to_number(text: &str) -> f64 {
    let trimmed = text.trim_matches(is_xml_space);
    let unsigned = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let mut digits = 0;
    let mut dots = 0;
    for c in unsigned.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return f64::NAN,
        }
    }
    if digits == 0 || dots > 1 {
        return f64::NAN;
    }
    trimmed.parse::<f64>().unwrap_or(f64::NAN)
}

/// `string(number)`: integers without a fraction, no exponent notation, NaN and
/// Infinity spelled out.
pub(super) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        // Rust's shortest round-trip Display never uses exponent notation and prints
        // integral values without a fraction, which is what XPath asks for.
        format!("{n}")
    }
}

pub(super) fn boolean_to_string(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// XPath `round()`: halves round towards positive infinity, and -0.5 ≤ x < 0 gives -0.
pub(super) fn xpath_round(n: f64) -> f64 {
    if n.is_nan() || n.is_infinite() {
        n
    } else if (-0.5..0.0).contains(&n) {
        -0.0
    } else {
        (n + 0.5).floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_parsing_follows_xpath_not_rust() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number("-3.5"), -3.5);
        assert_eq!(string_to_number(".5"), 0.5);
        assert_eq!(string_to_number("5."), 5.0);
        for bad in ["", "-", ".", "1e3", "inf", "NaN", "+1", "1.2.3", "0x10", "1 2"] {
            assert!(string_to_number(bad).is_nan(), "{bad}");
        }
    }

    #[test]
    fn number_formatting() {
        assert_eq!(number_to_string(3.0), "3");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(number_to_string(0.25), "0.25");
        assert_eq!(number_to_string(f64::NAN), "NaN");
        assert_eq!(number_to_string(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(number_to_string(1e21), "1000000000000000000000");
    }

    #[test]
    fn rounding() {
        assert_eq!(xpath_round(2.5), 3.0);
        assert_eq!(xpath_round(-2.5), -2.0);
        assert!(xpath_round(-0.2).is_sign_negative());
    }
}
