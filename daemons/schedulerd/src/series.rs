//! The numbered files the scheduler saves its inputs in (`pe-input-N.bz2`, ...), and the
//! `<series>.last` files holding the next number, as Pacemaker 2.1.5 keeps them.

use std::path::{Path, PathBuf};

/// Which series an input belongs in, from what the scheduler flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Error,
    Warning,
    Input,
}

impl Series {
    pub fn pick(processing_error: bool, processing_warning: bool) -> Series {
        if processing_error {
            Series::Error
        } else if processing_warning {
            Series::Warning
        } else {
            Series::Input
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Series::Error => "pe-error",
            Series::Warning => "pe-warn",
            Series::Input => "pe-input",
        }
    }

    /// The cluster option limiting how many files of this series are kept.
    pub fn option(self) -> &'static str {
        match self {
            Series::Error => "pe-error-series-max",
            Series::Warning => "pe-warn-series-max",
            Series::Input => "pe-input-series-max",
        }
    }

    /// The limit used when the option is unset or unusable: -1 keeps all, 0 keeps none.
    fn default_limit(self) -> i32 {
        match self {
            Series::Error => -1,
            Series::Warning => 5000,
            Series::Input => 4000,
        }
    }

    /// The limit for a configured option value (`None` when unset). Values that do not
    /// start with an integer, or that overflow, fall back to the default; anything below
    /// -1 means -1 (keep all).
    pub fn limit(self, configured: Option<&str>) -> i32 {
        match configured.map(leading_integer) {
            Some(Some(n)) if n > i64::from(i32::MAX) => self.default_limit(),
            Some(Some(n)) => n.max(-1) as i32,
            _ => self.default_limit(),
        }
    }
}

/// The integer at the start of `text` as strtoll reads it (leading blanks, optional sign,
/// decimal digits, anything after ignored); `None` without digits or on overflow.
fn leading_integer(text: &str) -> Option<i64> {
    let trimmed = text.trim_start();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let end = digits.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let magnitude: i64 = digits[..end].parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `<dir>/<series>-<n>.bz2`
pub fn file_name(dir: &Path, series: Series, number: u32) -> PathBuf {
    dir.join(format!("{}-{number}.bz2", series.name()))
}

fn counter_file(dir: &Path, series: Series) -> PathBuf {
    dir.join(format!("{}.last", series.name()))
}

/// The number the next file of the series gets: what `<series>.last` says, 0 if it is
/// missing or does not start with a number.
pub fn next_number(dir: &Path, series: Series) -> u32 {
    let path = counter_file(dir, series);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_counter(&text).unwrap_or_else(|| {
            tracing::debug!("Could not read sequence number from series file {}", path.display());
            0
        }),
        Err(e) => {
            tracing::debug!("Could not open series file {}: {}", path.display(), e);
            0
        }
    }
}

/// The counter as `fscanf("%u")` reads it: a negative number wraps around, as in C.
fn parse_counter(text: &str) -> Option<u32> {
    let value = leading_integer(text)?;
    Some(value as u32)
}

/// Records `number` as the next one to use, restarting at 0 once it reaches `limit`
/// (when positive). With a limit of 0 nothing is written.
pub fn store_next_number(dir: &Path, series: Series, number: u32, limit: i32) {
    if limit == 0 {
        return;
    }
    let number = if limit > 0 && number >= limit as u32 { 0 } else { number };
    let path = counter_file(dir, series);
    if let Err(e) = std::fs::write(&path, number.to_string()) {
        tracing::error!("Cannot write series file {}: {}", path.display(), e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_pacemaker() {
        assert_eq!(Series::Input.limit(None), 4000);
        assert_eq!(Series::Warning.limit(None), 5000);
        assert_eq!(Series::Error.limit(None), -1);
        assert_eq!(Series::Input.limit(Some("3")), 3);
        assert_eq!(Series::Input.limit(Some(" 7abc")), 7);
        assert_eq!(Series::Input.limit(Some("-5")), -1);
        assert_eq!(Series::Input.limit(Some("0")), 0);
        assert_eq!(Series::Input.limit(Some("INFINITY")), 4000);
        assert_eq!(Series::Input.limit(Some("99999999999")), 4000);
        assert_eq!(Series::Input.limit(Some("99999999999999999999999")), 4000);
    }

    #[test]
    fn counter_wraps_at_the_limit() {
        let dir = std::env::temp_dir().join(format!("schedulerd-series-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        assert_eq!(next_number(&dir, Series::Input), 0);
        store_next_number(&dir, Series::Input, 2, 3);
        assert_eq!(std::fs::read_to_string(dir.join("pe-input.last")).expect("written"), "2");
        assert_eq!(next_number(&dir, Series::Input), 2);
        store_next_number(&dir, Series::Input, 3, 3);
        assert_eq!(next_number(&dir, Series::Input), 0);
        store_next_number(&dir, Series::Input, 9, -1);
        assert_eq!(next_number(&dir, Series::Input), 9);
        store_next_number(&dir, Series::Input, 10, 0);
        assert_eq!(next_number(&dir, Series::Input), 9);
        std::fs::write(dir.join("pe-warn.last"), "junk").expect("write");
        assert_eq!(next_number(&dir, Series::Warning), 0);
        assert_eq!(file_name(&dir, Series::Warning, 4), dir.join("pe-warn-4.bz2"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
