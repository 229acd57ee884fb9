//! Which CIB schemas exist, in Pacemaker's order, and how one upgrades to the next.
//!
//! Pacemaker 2.1.5 scans its schema directory for `pacemaker-X.Y.rng`, sorts them by
//! numeric version (so 2.10 follows 2.9), and appends two pseudo-schemas: the deprecated
//! `pacemaker-next` and `none` (validation disabled). Schemas are identified by their
//! position in that list, and `validate-with` values compare by position. Names from
//! older releases (`pacemaker-0.7`, `transitional-0.6`, `pacemaker-1.1`) are not in the
//! list on Debian 12 and so are unknown, exactly as in C.
//!
//! Wherever the next schema has a higher major version, an `upgrade-X.Y.xsl` transform
//! (named after the older schema) must exist, optionally bracketed by
//! `upgrade-X.Y-enter.xsl` (or a generic `upgrade-enter.xsl`) and the matching `-leave`
//! stylesheet. A missing transform ends the list there, as in C.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::relaxng::{NativeSchema, SchemaLoadError};

/// Where Debian installs the schemas; `PCMK_schema_directory` overrides it.
pub const DEFAULT_SCHEMA_DIRECTORY: &str = "/usr/share/pacemaker";

/// Name of the pseudo-schema that disables validation.
pub const SCHEMA_NONE: &str = "none";
/// Name of the deprecated pseudo-schema for unreleased syntax.
pub const SCHEMA_NEXT: &str = "pacemaker-next";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// Validated against `<directory>/<name>.rng`.
    RelaxNg,
    /// Anything is accepted.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// `pacemaker-X.Y`, `pacemaker-next` or `none`.
    pub name: String,
    /// (major, minor); (0, 0) for the pseudo-schemas.
    pub version: (u8, u8),
    pub validator: Validator,
    /// Base name (no `.xsl`) of the stylesheet converting documents of this schema to the
    /// next major version, if one is needed.
    pub transform: Option<String>,
    /// Base name of the stylesheet applied before `transform`.
    pub transform_enter: Option<String>,
    /// Whether the `-leave` counterpart of `transform_enter` is applied afterwards.
    pub transform_onleave: bool,
    /// Index of the schema a valid document may move on to; `None` where upgrading stops
    /// (C's -1).
    pub after_transform: Option<usize>,
}

/// The ordered list of known schemas, loaded from one directory.
#[derive(Debug, Clone)]
pub struct Schemas {
    directory: PathBuf,
    schemas: Vec<Schema>,
    /// Natively compiled RELAX NG schemas by index, loaded on first use (clones share it).
    native: Arc<[OnceLock<NativeLoad>]>,
}

/// The outcome of loading one schema natively.
pub(crate) type NativeLoad = Result<Arc<NativeSchema>, SchemaLoadError>;

impl Schemas {
    /// The schemas of this installation (`PCMK_schema_directory` or /usr/share/pacemaker),
    /// loaded once per process.
    pub fn system() -> &'static Schemas {
        static SYSTEM: OnceLock<Schemas> = OnceLock::new();
        SYSTEM.get_or_init(|| Schemas::load(system_directory()))
    }

    /// Scans `directory` as Pacemaker does. An unreadable directory yields only the two
    /// pseudo-schemas (C logs a notice and carries on likewise).
    pub fn load(directory: impl Into<PathBuf>) -> Schemas {
        let directory = directory.into();
        let mut files: Vec<((u8, u8), String)> = match std::fs::read_dir(&directory) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter_map(|name| schema_file_version(&name).map(|version| (version, name)))
                .collect(),
            Err(_) => Vec::new(),
        };
        // C sorts by version only; the file name breaks ties deterministically.
        files.sort();

        let mut schemas = Vec::with_capacity(files.len() + 2);
        for (position, (version, _file)) in files.iter().enumerate() {
            if *version == (0, 0) {
                // C cannot name such a schema (it asserts); leave it out.
                continue;
            }
            let next_file_version = files.get(position + 1).map(|(v, _)| *v);
            let index = schemas.len();
            let mut schema = Schema {
                name: format!("pacemaker-{}.{}", version.0, version.1),
                version: *version,
                validator: Validator::RelaxNg,
                transform: None,
                transform_enter: None,
                transform_onleave: false,
                after_transform: next_file_version.map(|_| index + 1),
            };
            let transform_expected = next_file_version.is_some_and(|next| version.0 < next.0);
            let mut transform_missing = false;
            if transform_expected {
                let upgrade = format!("upgrade-{}.{}", version.0, version.1);
                if xsl_exists(&directory, &upgrade) {
                    let (enter, onleave) = enter_transform(&directory, *version);
                    schema.transform = Some(upgrade);
                    schema.transform_enter = enter;
                    schema.transform_onleave = onleave;
                } else {
                    // Without a way across the major version, later schemas are unusable.
                    schema.after_transform = None;
                    transform_missing = true;
                }
            }
            schemas.push(schema);
            if transform_missing {
                break;
            }
        }
        for name in [SCHEMA_NEXT, SCHEMA_NONE] {
            schemas.push(Schema {
                name: name.to_string(),
                version: (0, 0),
                validator: if name == SCHEMA_NONE { Validator::None } else { Validator::RelaxNg },
                transform: None,
                transform_enter: None,
                transform_onleave: false,
                after_transform: None,
            });
        }
        let native = schemas.iter().map(|_| OnceLock::new()).collect();
        Schemas { directory, schemas, native }
    }

    /// The schema at `index` compiled for native validation, loading it on first use;
    /// `None` for schemas without a RELAX NG file. A load failure is logged once and kept
    /// (callers then fall back to libxml2).
    pub fn native_schema(&self, index: usize) -> Option<&NativeLoad> {
        let rng = self.rng_path(index)?;
        let slot = self.native.get(index)?;
        Some(slot.get_or_init(|| {
            let loaded = NativeSchema::load(&rng).map(Arc::new);
            if let Err(e) = &loaded {
                tracing::warn!("{}: {e}; validating with libxml2 instead", rng.display());
            }
            loaded
        }))
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// All schemas in order, the pseudo-schemas last.
    pub fn all(&self) -> &[Schema] {
        &self.schemas
    }

    pub fn get(&self, index: usize) -> Option<&Schema> {
        self.schemas.get(index)
    }

    /// Position of a schema by name, compared ignoring ASCII case as C does.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.schemas.iter().position(|s| s.name.eq_ignore_ascii_case(name))
    }

    pub fn by_name(&self, name: &str) -> Option<&Schema> {
        self.index_of(name).and_then(|i| self.schemas.get(i))
    }

    /// C's `get_schema_version()`: a missing name means `none`, an unknown one is -1.
    pub fn legacy_index(&self, name: Option<&str>) -> isize {
        self.index_of(name.unwrap_or(SCHEMA_NONE)).map_or(-1, |i| i as isize)
    }

    /// C's `get_schema_name()`: "unknown" outside the list.
    pub fn legacy_name(&self, index: isize) -> &str {
        usize::try_from(index).ok().and_then(|i| self.schemas.get(i)).map_or("unknown", |s| s.name.as_str())
    }

    /// Index of the newest real schema (not `pacemaker-next` or `none`).
    pub fn latest_index(&self) -> Option<usize> {
        self.schemas.len().checked_sub(3)
    }

    /// Name of the newest real schema ("pacemaker-3.9" on Debian 12).
    pub fn latest(&self) -> &str {
        self.latest_index().and_then(|i| self.schemas.get(i)).map_or("unknown", |s| s.name.as_str())
    }

    /// The oldest schema the tools accept without upgrading: the first one of the latest
    /// major version (pacemaker-3.0). C's search never looks at the first two list entries,
    /// so when the latest major version starts there it answers the latest schema; so do we.
    pub fn minimum_index(&self) -> Option<usize> {
        let latest = self.latest_index()?;
        let major = self.schemas[latest].version.0;
        let first_of_major = (0..=latest).rev().take_while(|&i| self.schemas[i].version.0 == major).last()?;
        Some(if first_of_major <= 1 { latest } else { first_of_major })
    }

    /// Orders two `validate-with` values the way C does: by list position, with unknown
    /// names (C's -1) before every known one and a missing value meaning `none`.
    pub fn compare(&self, a: Option<&str>, b: Option<&str>) -> Ordering {
        self.legacy_index(a).cmp(&self.legacy_index(b))
    }

    /// The RelaxNG file of a schema, if it is validated by one.
    pub fn rng_path(&self, index: usize) -> Option<PathBuf> {
        let schema = self.schemas.get(index)?;
        match schema.validator {
            Validator::RelaxNg => Some(self.directory.join(format!("{}.rng", schema.name))),
            Validator::None => None,
        }
    }

    /// The file of a stylesheet named as in [`Schema::transform`].
    pub fn xsl_path(&self, base_name: &str) -> PathBuf {
        self.directory.join(format!("{base_name}.xsl"))
    }
}

fn system_directory() -> PathBuf {
    match std::env::var_os("PCMK_schema_directory") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_SCHEMA_DIRECTORY),
    }
}

fn xsl_exists(directory: &Path, base_name: &str) -> bool {
    directory.join(format!("{base_name}.xsl")).exists()
}

/// The pre-upgrade stylesheet for `version` (specific, else generic) and whether its
/// `-leave` counterpart exists.
fn enter_transform(directory: &Path, version: (u8, u8)) -> (Option<String>, bool) {
    let specific = format!("upgrade-{}.{}", version.0, version.1);
    for (enter, leave) in [
        (format!("{specific}-enter"), format!("{specific}-leave")),
        ("upgrade-enter".to_string(), "upgrade-leave".to_string()),
    ] {
        if xsl_exists(directory, &enter) {
            let onleave = xsl_exists(directory, &leave);
            return (Some(enter), onleave);
        }
    }
    (None, false)
}

/// The version in a schema file name, as C's filter accepts it: `pacemaker-` then two
/// `%hhu` numbers separated by a dot, and a name ending in `.rng`. Like sscanf, anything
/// between the second number and the end is not checked, and numbers wrap modulo 256.
pub(crate) fn schema_file_version(file_name: &str) -> Option<(u8, u8)> {
    if !file_name.ends_with(".rng") {
        return None;
    }
    let rest = file_name.strip_prefix("pacemaker-")?;
    let (major, rest) = scan_hhu(rest)?;
    let rest = rest.strip_prefix('.')?;
    let (minor, _) = scan_hhu(rest)?;
    Some((major, minor))
}

/// sscanf's `%hhu`: optional leading whitespace and sign, decimal digits, value taken
/// modulo 256 (negative values wrap as unsigned conversion does).
fn scan_hhu(s: &str) -> Option<(u8, &str)> {
    let s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let value = s[..digits].bytes().fold(0u8, |acc, d| acc.wrapping_mul(10).wrapping_add(d - b'0'));
    let value = if negative { value.wrapping_neg() } else { value };
    Some((value, &s[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_parse_like_sscanf() {
        assert_eq!(schema_file_version("pacemaker-3.9.rng"), Some((3, 9)));
        assert_eq!(schema_file_version("pacemaker-2.10.rng"), Some((2, 10)));
        assert_eq!(schema_file_version("pacemaker-3.9.1.rng"), Some((3, 9)));
        assert_eq!(schema_file_version("pacemaker-next.rng"), None);
        assert_eq!(schema_file_version("pacemaker.rng"), None);
        assert_eq!(schema_file_version("pacemaker-3.9.xsl"), None);
        assert_eq!(schema_file_version("pacemaker-3.rng"), None);
        assert_eq!(schema_file_version("pacemaker-257.1.rng"), Some((1, 1)));
    }

    #[test]
    fn pseudo_schemas_remain_when_directory_is_missing() {
        let schemas = Schemas::load("/nonexistent/schema/dir");
        let names: Vec<_> = schemas.all().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["pacemaker-next", "none"]);
        assert_eq!(schemas.latest_index(), None);
        assert_eq!(schemas.latest(), "unknown");
        assert_eq!(schemas.minimum_index(), None);
    }
}
