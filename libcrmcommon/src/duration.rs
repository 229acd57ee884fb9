//! Pacemaker's time spans in configuration: `crm_get_msec` ("10", "10s",
//! "500ms", "2min", "1h") and `crm_parse_interval_spec`, which also takes
//! ISO 8601 durations ("PT30S", "P1D").

/// Milliseconds of a span such as "90", "90s", "500ms", "2min" or "1h" (a
/// bare number is seconds); None if it is not one.
pub fn msec(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits_len = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits_len == 0 {
        return None;
    }
    let n: u64 = t[..digits_len].parse().ok()?;
    match t[digits_len..].trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" => n.checked_mul(1000),
        "ms" | "msec" => Some(n),
        "us" | "usec" => Some(n / 1000),
        "m" | "min" => n.checked_mul(60_000),
        "h" | "hr" => n.checked_mul(3_600_000),
        _ => None,
    }
}

/// Milliseconds of an operation interval: an ISO 8601 duration ("P1DT2H",
/// months counted as 30 days and years as 365) or a span as [`msec`] reads it.
pub fn interval_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix(['P', 'p']) {
        Some(iso) => iso_duration_ms(iso),
        None => msec(t),
    }
}

fn iso_duration_ms(spec: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut in_time = false;
    for c in spec.chars() {
        match c {
            'T' | 't' => in_time = true,
            '0'..='9' => number.push(c),
            _ => {
                let n: u64 = number.parse().ok()?;
                number.clear();
                let seconds: u64 = match (c.to_ascii_uppercase(), in_time) {
                    ('Y', false) => 365 * 86_400,
                    ('M', false) => 30 * 86_400,
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', _) => 3600,
                    ('M', true) => 60,
                    ('S', _) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(seconds)?)?;
            }
        }
    }
    if !number.is_empty() {
        return None;
    }
    total.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::{interval_ms, msec};

    #[test]
    fn spans_and_intervals() {
        assert_eq!(msec("10"), Some(10_000));
        assert_eq!(msec("500ms"), Some(500));
        assert_eq!(msec("2min"), Some(120_000));
        assert_eq!(msec("1 h"), Some(3_600_000));
        assert_eq!(msec("ten"), None);
        assert_eq!(msec("5 parsecs"), None);
        assert_eq!(msec("99999999999999999999h"), None);
        assert_eq!(interval_ms("PT30S"), Some(30_000));
        assert_eq!(interval_ms("P1DT1M"), Some(86_460_000));
        assert_eq!(interval_ms("20s"), Some(20_000));
        assert_eq!(interval_ms("P1X"), None);
    }
}
