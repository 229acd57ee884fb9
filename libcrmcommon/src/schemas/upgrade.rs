//! Moving a CIB to newer schemas: C's `update_validation()`, `cli_config_update()` and the
//! CIB "upgrade" operation (`cibadmin --upgrade`).
//!
//! Starting from the schema a document claims, it is validated against each schema in
//! turn. Within a major version a valid document simply moves on; across a major version
//! it moves on unchanged if it already validates with the next schema, and otherwise the
//! older schema's transform (enter, main, leave stylesheets) is applied and the result must
//! validate with the next schema. The walk never goes past the latest real schema.

use super::catalog::{Schema, Schemas};
use super::error::UpgradeError;
use super::libxml::with_engine;
use super::validate::VALIDATE_WITH;
use crate::xml::Element;
use std::fmt;

/// What [`Schemas::update_validation`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationUpdate {
    /// The document, transformed if a transform was applied, with `validate-with` raised to
    /// the best schema when that is newer than what it claimed. C hands this back even
    /// when it reports an error, and callers rely on it.
    pub document: Element,
    /// C's `*best`: list index of the newest schema the document validated with. 0 both
    /// for "pacemaker-1.0" and "nothing validated"; -1 only when the claimed schema is
    /// unknown and no real schema exists.
    pub best: isize,
    pub outcome: Result<(), UpgradeError>,
    /// Stylesheet messages and, on failure, the validation errors behind it.
    pub messages: Vec<String>,
}

/// A successful CIB upgrade operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CibUpgrade {
    pub document: Element,
    /// Index of the schema the document now validates with (see [`ValidationUpdate::best`]).
    pub schema_index: isize,
    /// Whether the schema moved forward (and the version counters were bumped).
    pub upgraded: bool,
    pub messages: Vec<String>,
}

/// A failed CIB upgrade operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeFailure {
    pub error: UpgradeError,
    pub messages: Vec<String>,
}

impl fmt::Display for UpgradeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        for message in &self.messages {
            write!(f, "\n  {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UpgradeFailure {}

/// A configuration acceptable to the command-line tools ([`Schemas::cli_config_update`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigUpdate {
    pub document: Element,
    /// Whether `document` is an upgraded copy rather than the input.
    pub upgraded: bool,
    /// Schema index of the document (C's `best_version`).
    pub version: isize,
    /// What C prints to stderr from command-line tools (validation disabled).
    pub warning: Option<String>,
    /// What C only logs (internal upgrade notices).
    pub log_message: Option<String>,
    pub messages: Vec<String>,
}

/// A configuration the command-line tools must refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigUpdateError {
    /// C's message, word for word.
    pub message: String,
    pub version: isize,
    pub messages: Vec<String>,
}

impl fmt::Display for ConfigUpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigUpdateError {}

impl Schemas {
    /// C's `update_validation(&xml, &best, max, transform, ...)`.
    ///
    /// Without `transform` this only finds the newest schema (from the claimed one on)
    /// the document validates with. With it, the document is upgraded as far as it goes,
    /// stopping at schema index `max` (C treats 0 as "no limit"; so does `Some(0)`).
    pub fn update_validation(&self, document: Element, max: Option<usize>, transform: bool) -> ValidationUpdate {
        let latest = self.latest_index().map_or(-1, |i| i as isize);
        let max = max.map_or(0, |m| m as isize);
        let claimed = document.attr(VALIDATE_WITH).map(str::to_string);
        let mut document = document;
        let mut messages = Vec::new();

        let mut best: isize = 0;
        let mut matched: isize = -1;
        let mut index: isize = 0;
        if let Some(claimed) = &claimed {
            matched = self.legacy_index(Some(claimed));
            if matched >= 0 && !transform {
                best = matched;
                index = matched + 1;
            } else if matched >= 0 {
                index = matched;
            }
        }
        if matched >= latest {
            // Already at the newest schema, or at a pseudo-schema: nothing to do.
            return ValidationUpdate { document, best: matched, outcome: Ok(()), messages };
        }

        let mut outcome: Result<(), UpgradeError> = Ok(());
        let mut last_failure: Vec<String> = Vec::new();
        while index <= latest {
            let Some(schema) = usize::try_from(index).ok().and_then(|i| self.get(i)) else { break };
            let current = index as usize;
            match self.validate_index(&document, current) {
                Ok(()) => outcome = Ok(()),
                Err(error) => {
                    if best != 0 {
                        // Valid for an earlier schema: that is as far as it goes.
                        break;
                    }
                    last_failure = vec![error.to_string()];
                    outcome = Err(UpgradeError::SchemaValidation);
                }
            }
            if outcome.is_ok() {
                best = index;
            }

            if outcome.is_ok() && transform {
                let next = schema.after_transform.map_or(-1, |n| n as isize);
                if next <= index {
                    break; // no later schema
                }
                if max > 0 && (index == max || next > max) {
                    break; // the caller's limit
                }
                let next_index = next as usize;
                if schema.transform.is_none() || self.validate_index(&document, next_index).is_ok() {
                    index = next;
                } else {
                    match self.apply_upgrade(&document, schema, &mut messages) {
                        None => outcome = Err(UpgradeError::TransformFailed),
                        Some(upgraded) => match self.validate_index(&upgraded, next_index) {
                            Ok(()) => {
                                index = next;
                                best = next;
                                document = upgraded;
                                outcome = Ok(());
                            }
                            Err(error) => {
                                let transform = schema.transform.as_deref().unwrap_or("");
                                last_failure = vec![format!("{transform}.xsl did not produce a valid configuration: {error}")];
                                outcome = Err(UpgradeError::SchemaValidation);
                            }
                        },
                    }
                }
            }

            if !transform || outcome.is_err() {
                index += 1;
            }
        }

        if best > matched && best != 0 {
            document.set_attr(VALIDATE_WITH, self.legacy_name(best).to_string());
        }
        if outcome.is_err() {
            messages.extend(last_failure);
        }
        ValidationUpdate { document, best, outcome, messages }
    }

    /// The enter → main → leave stylesheet sequence of `schema`; `None` if the main one
    /// fails. A failing enter or leave stage is skipped, as in C.
    fn apply_upgrade(&self, document: &Element, schema: &Schema, messages: &mut Vec<String>) -> Option<Element> {
        let main = schema.transform.as_deref()?;
        let mut run_leave = schema.transform_onleave;
        let entered = schema.transform_enter.as_deref().and_then(|enter| {
            let result = self.run_transform(enter, document, messages);
            if result.is_none() {
                run_leave = false;
            }
            result
        });
        let upgraded = self.run_transform(main, entered.as_ref().unwrap_or(document), messages)?;
        if !run_leave {
            return Some(upgraded);
        }
        let leave = schema.transform_enter.as_deref().map(leave_stylesheet)?;
        Some(self.run_transform(&leave, &upgraded, messages).unwrap_or(upgraded))
    }

    fn run_transform(&self, base_name: &str, document: &Element, messages: &mut Vec<String>) -> Option<Element> {
        let path = self.xsl_path(base_name);
        match with_engine(|engine| engine.transform(&path, document)) {
            Ok(transformed) => {
                messages.extend(transformed.messages.into_iter().map(|m| format!("{base_name}.xsl: {m}")));
                Some(transformed.document)
            }
            Err(failure) => {
                messages.extend(failure.messages.into_iter().map(|m| format!("{base_name}.xsl: {m}")));
                messages.push(format!("Transformation {base_name}.xsl failed: {}", failure.reason));
                None
            }
        }
    }

    /// C's `cli_config_update()`: makes sure a configuration uses at least the oldest
    /// schema of the current major version, upgrading a copy if needed.
    pub fn cli_config_update(&self, document: Element) -> Result<ConfigUpdate, ConfigUpdateError> {
        let claimed = document.attr(VALIDATE_WITH).map(str::to_string);
        let claimed_text = claimed.clone().unwrap_or_else(|| "(none)".to_string());
        let original_version = self.legacy_index(claimed.as_deref());
        let minimum = self.minimum_index().map_or(-1, |i| i as isize);
        let none_index = self.legacy_index(None);

        if original_version < minimum {
            let update = self.update_validation(document, None, true);
            let version = update.best;
            if version < minimum {
                let message = if version < original_version || original_version == -1 {
                    format!(
                        "Cannot upgrade configuration (claiming schema {claimed_text}) to at least {} because it \
                         does not validate with any schema from {} to {}",
                        self.legacy_name(minimum),
                        self.legacy_name(original_version),
                        self.latest()
                    )
                } else {
                    format!(
                        "Cannot upgrade configuration (claiming schema {claimed_text}) to at least {} because it \
                         would not upgrade past {}",
                        self.legacy_name(minimum),
                        update.document.attr(VALIDATE_WITH).unwrap_or("unspecified version")
                    )
                };
                return Err(ConfigUpdateError { message, version, messages: update.messages });
            }
            let log_message = if Some(version) < self.latest_index().map(|i| i as isize) {
                format!(
                    "Configuration with schema {claimed_text} was internally upgraded to acceptable (but not most \
                     recent) {}",
                    self.legacy_name(version)
                )
            } else {
                format!(
                    "Configuration with schema {claimed_text} was internally upgraded to latest version {}",
                    self.legacy_name(version)
                )
            };
            return Ok(ConfigUpdate {
                document: update.document,
                upgraded: true,
                version,
                warning: None,
                log_message: Some(log_message),
                messages: update.messages,
            });
        }

        let warning = (original_version >= none_index).then(|| {
            "Schema validation of configuration is disabled (enabling is encouraged and prevents common \
             misconfigurations)"
                .to_string()
        });
        Ok(ConfigUpdate {
            document,
            upgraded: false,
            version: original_version,
            warning,
            log_message: None,
            messages: Vec::new(),
        })
    }

    /// The CIB "upgrade" operation as each node applies it (C's `cib_process_upgrade()`;
    /// what `cibadmin --upgrade` does to a file CIB): upgrades a copy of `cib` as far as it
    /// goes, at most to `max_schema`, and on progress bumps `admin_epoch` and resets
    /// `epoch` and `num_updates` to 1.
    pub fn cib_upgrade(&self, cib: &Element, max_schema: Option<&str>) -> Result<CibUpgrade, UpgradeFailure> {
        let current = match cib.attr(VALIDATE_WITH) {
            Some(name) => self.legacy_index(Some(name)),
            None => 0,
        };
        let max = max_schema.map_or(0, |name| self.legacy_index(Some(name)));
        let update = self.update_validation(cib.clone(), usize::try_from(max).ok(), true);
        if update.best > current {
            let mut document = update.document;
            bump_counter(&mut document, "admin_epoch", false);
            bump_counter(&mut document, "epoch", true);
            bump_counter(&mut document, "num_updates", true);
            return Ok(CibUpgrade { document, schema_index: update.best, upgraded: true, messages: update.messages });
        }
        match update.outcome {
            Ok(()) => Ok(CibUpgrade {
                document: update.document,
                schema_index: update.best,
                upgraded: false,
                messages: update.messages,
            }),
            Err(error) => Err(UpgradeFailure { error, messages: update.messages }),
        }
    }

    /// The DC's check of an upgrade request (pacemaker-based): the name of the schema the
    /// cluster should upgrade to, or why not, including "already the latest" (-211).
    pub fn check_upgrade_request(&self, cib: &Element) -> Result<String, UpgradeFailure> {
        let current = match cib.attr(VALIDATE_WITH) {
            Some(name) => self.legacy_index(Some(name)),
            None => 0,
        };
        let update = self.update_validation(cib.clone(), None, true);
        if update.best > current {
            return Ok(self.legacy_name(update.best).to_string());
        }
        let error = match update.outcome {
            Ok(()) => UpgradeError::SchemaUnchanged,
            Err(error) => error,
        };
        Err(UpgradeFailure { error, messages: update.messages })
    }
}

/// `upgrade-X.Y-enter` → `upgrade-X.Y-leave` (the part after the last dash is replaced).
fn leave_stylesheet(enter: &str) -> String {
    match enter.rfind('-') {
        Some(dash) => format!("{}leave", &enter[..=dash]),
        None => format!("{enter}-leave"),
    }
}

/// C's `cib_update_counter()`: `atoi(old) + 1`, or "1" when resetting or unset.
fn bump_counter(cib: &mut Element, name: &str, reset: bool) {
    let value = match cib.attr(name) {
        Some(old) if !reset => c_atoi(old).wrapping_add(1),
        _ => 1,
    };
    cib.set_attr(name, value.to_string());
}

/// glibc's `atoi`: `(int) strtol(s, NULL, 10)`, i.e. leading blanks, a sign, digits,
/// saturated to a long and then truncated to an int.
fn c_atoi(s: &str) -> i32 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value: i64 = 0;
    for d in digits.bytes().take_while(u8::is_ascii_digit) {
        let digit = i64::from(d - b'0');
        value = if negative {
            value.saturating_mul(10).saturating_sub(digit)
        } else {
            value.saturating_mul(10).saturating_add(digit)
        };
    }
    value as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leave_follows_enter() {
        assert_eq!(leave_stylesheet("upgrade-2.10-enter"), "upgrade-2.10-leave");
        assert_eq!(leave_stylesheet("upgrade-enter"), "upgrade-leave");
    }

    #[test]
    fn counters_follow_atoi() {
        assert_eq!(c_atoi("41"), 41);
        assert_eq!(c_atoi("  7x"), 7);
        assert_eq!(c_atoi("-3"), -3);
        assert_eq!(c_atoi("junk"), 0);
        assert_eq!(c_atoi("99999999999999999999"), -1);
        let mut cib = Element::new("cib").with_attr("epoch", "5").with_attr("admin_epoch", "2");
        bump_counter(&mut cib, "admin_epoch", false);
        bump_counter(&mut cib, "epoch", true);
        bump_counter(&mut cib, "num_updates", true);
        assert_eq!(cib.attr("admin_epoch"), Some("3"));
        assert_eq!(cib.attr("epoch"), Some("1"));
        assert_eq!(cib.attr("num_updates"), Some("1"));
    }
}
