//! Scores as Pacemaker computes them: integers clamped to ±INFINITY (1000000),
//! where -INFINITY wins over +INFINITY when both meet.

pub const INFINITY: i32 = 1_000_000;

/// Adds two scores the way Pacemaker does: any -INFINITY operand gives
/// -INFINITY, otherwise any +INFINITY operand gives +INFINITY, otherwise the
/// clamped sum.
pub fn add(a: i32, b: i32) -> i32 {
    if a <= -INFINITY || b <= -INFINITY {
        return -INFINITY;
    }
    if a >= INFINITY || b >= INFINITY {
        return INFINITY;
    }
    (a as i64 + b as i64).clamp(-(INFINITY as i64), INFINITY as i64) as i32
}

/// Parses a score string ("INFINITY", "+INFINITY", "-INFINITY", "red" etc. are
/// handled by the caller for health). Unparsable text yields `None`.
pub fn parse(text: &str) -> Option<i32> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => return Some(INFINITY),
        "-infinity" => return Some(-INFINITY),
        _ => {}
    }
    // Pacemaker accepts a leading integer and ignores trailing garbage.
    let mut end = 0;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+')) {
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    let digits = &t[..end];
    if digits.is_empty() || digits == "-" || digits == "+" {
        return None;
    }
    let v: i64 = digits.parse().unwrap_or(if digits.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    });
    Some(v.clamp(-(INFINITY as i64), INFINITY as i64) as i32)
}

/// Parses a score, treating anything unparsable as 0 (Pacemaker's char2score).
pub fn parse_or_zero(text: &str) -> i32 {
    parse(text).unwrap_or(0)
}

/// Formats a score the way Pacemaker prints it.
pub fn readable(score: i32) -> String {
    if score >= INFINITY {
        "INFINITY".to_string()
    } else if score <= -INFINITY {
        "-INFINITY".to_string()
    } else {
        score.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinity_arithmetic() {
        assert_eq!(add(INFINITY, -INFINITY), -INFINITY);
        assert_eq!(add(INFINITY, 5), INFINITY);
        assert_eq!(add(999_999, 5), INFINITY);
        assert_eq!(add(-3, 5), 2);
    }

    #[test]
    fn parsing() {
        assert_eq!(parse("INFINITY"), Some(INFINITY));
        assert_eq!(parse("-infinity"), Some(-INFINITY));
        assert_eq!(parse("100"), Some(100));
        assert_eq!(parse("99999999999"), Some(INFINITY));
        assert_eq!(parse("abc"), None);
        assert_eq!(readable(-INFINITY), "-INFINITY");
    }
}
