//! The CIB on disk: cib.xml + cib.xml.sig, numbered backups and cib.last, compatible with
//! Pacemaker's files in both directions.
//!
//! Writes never leave a half-written cib.xml: each file goes to a temporary name in the same
//! directory, is fsynced, renamed into place, and the directory is fsynced. A cib.xml whose
//! signature does not match is never overwritten.

use crate::support;
use libcrmcommon::xml::{self, Element};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const CIB_FILE: &str = "cib.xml";
pub const SERIES_MAX: u32 = 100;

#[derive(Debug)]
pub enum StoreError {
    Io(String, std::io::Error),
    /// cib.xml no longer matches its signature: it was edited behind our back.
    ManuallyModified,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Io(what, e) => write!(f, "{what}: {e}"),
            StoreError::ManuallyModified => {
                write!(f, "On-disk configuration was manually modified; refusing to overwrite it")
            }
        }
    }
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.into();
    move |e| StoreError::Io(what, e)
}

/// What loading found.
pub struct Loaded {
    pub cib: Element,
    /// Where it came from, for the log.
    pub source: String,
}

pub struct Store {
    dir: PathBuf,
    owner: Option<(u32, u32)>,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let owner = match (libcrmcommon::users::user_ids("hacluster"), libcrmcommon::users::group_id("haclient")) {
            (Some((uid, _)), Some(gid)) => Some((uid, gid)),
            _ => None,
        };
        Store { dir: dir.into(), owner }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Loads cib.xml (or the newest usable backup, or an empty CIB) the way Pacemaker does.
    pub fn load(&self, preserve_status: bool) -> Loaded {
        let primary = self.path(CIB_FILE);
        match self.read_verified(&primary) {
            Ok(Some(cib)) => return Loaded { cib: normalize_loaded(cib, preserve_status), source: primary.display().to_string() },
            Ok(None) => {
                tracing::warn!("Primary configuration corrupt or unusable, trying backups in {}", self.dir.display());
                self.quarantine_primary();
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!("Could not verify cluster configuration file {}: No such file or directory", primary.display());
            }
            Err(e) => tracing::error!("Could not read {}: {}", primary.display(), e),
        }
        for backup in self.backups_newest_first() {
            if let Ok(Some(cib)) = self.read_verified(&backup) {
                tracing::warn!("Continuing with last valid configuration archive: {}", backup.display());
                return Loaded { cib: normalize_loaded(cib, preserve_status), source: backup.display().to_string() };
            }
        }
        tracing::warn!("Continuing with an empty configuration");
        Loaded { cib: normalize_loaded(support::empty_cib(0), preserve_status), source: "empty".into() }
    }

    /// Reads a CIB file and checks it against its .sig when one exists. `Ok(None)` means the
    /// file exists but is not usable (bad XML or a signature mismatch).
    fn read_verified(&self, file: &Path) -> std::io::Result<Option<Element>> {
        let text = fs::read_to_string(file)?;
        let cib = match xml::parse(&text) {
            Ok(c) if c.name == "cib" => c,
            Ok(c) => {
                tracing::error!("{} has root element <{}>, not <cib>", file.display(), c.name);
                return Ok(None);
            }
            Err(e) => {
                tracing::error!("{} is not valid XML: {}", file.display(), e);
                return Ok(None);
            }
        };
        let sig_path = PathBuf::from(format!("{}.sig", file.display()));
        match fs::read_to_string(&sig_path) {
            Ok(sig) => {
                let expected = sig.trim();
                let actual = support::on_disk_digest(&cib);
                if !expected.eq_ignore_ascii_case(&actual) {
                    tracing::error!(
                        "Digest comparison failed for {}: expected {}, calculated {}",
                        file.display(), expected, actual
                    );
                    return Ok(None);
                }
            }
            Err(_) => tracing::warn!("No on-disk digest present at {}", sig_path.display()),
        }
        Ok(Some(cib))
    }

    /// Moves a bad cib.xml (and .sig) aside so it is kept for inspection but never loaded or
    /// overwritten again.
    fn quarantine_primary(&self) {
        let stamp = format!("{}.{}", std::process::id(), unix_time());
        for name in [CIB_FILE.to_string(), format!("{CIB_FILE}.sig")] {
            let from = self.path(&name);
            if from.exists() {
                let to = self.path(&format!("cib.auto.{stamp}{}", if name.ends_with(".sig") { ".sig" } else { "" }));
                match fs::rename(&from, &to) {
                    Ok(()) => tracing::error!("Archived unusable {} as {}", from.display(), to.display()),
                    Err(e) => tracing::error!("Could not archive {}: {}", from.display(), e),
                }
            }
        }
    }

    fn backups_newest_first(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with("cib-") && n.ends_with(".raw")
            })
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0));
        found.into_iter().map(|(_, p)| p).collect()
    }

    /// Writes `cib` as the new cib.xml, keeping the previous one as a numbered backup.
    pub fn write(&self, cib: &Element) -> Result<(), StoreError> {
        let primary = self.path(CIB_FILE);
        let sig = self.path(&format!("{CIB_FILE}.sig"));
        if primary.exists() {
            match self.read_verified(&primary) {
                Ok(Some(_)) => {}
                _ => return Err(StoreError::ManuallyModified),
            }
            let seq = self.next_backup_number();
            let backup = self.path(&format!("cib-{seq}.raw"));
            let backup_sig = self.path(&format!("cib-{seq}.raw.sig"));
            let _ = fs::remove_file(&backup);
            let _ = fs::remove_file(&backup_sig);
            fs::hard_link(&primary, &backup).map_err(io_err(format!("Cannot link {} to {}", primary.display(), backup.display())))?;
            if sig.exists() {
                fs::hard_link(&sig, &backup_sig).map_err(io_err(format!("Cannot link {}", sig.display())))?;
            }
            self.write_atomically("cib.last", ((seq + 1) % SERIES_MAX).to_string().as_bytes())?;
            tracing::info!("Archived previous version as {}", backup.display());
        }
        let on_disk = on_disk_form(cib);
        let digest = support::on_disk_digest(&on_disk);
        tracing::info!(
            "Wrote version {}.{}.0 of the CIB to disk (digest: {})",
            on_disk.attr("admin_epoch").unwrap_or("0"),
            on_disk.attr("epoch").unwrap_or("0"),
            digest
        );
        self.write_atomically(CIB_FILE, xml::to_formatted(&on_disk).as_bytes())?;
        self.write_atomically(&format!("{CIB_FILE}.sig"), digest.as_bytes())?;
        self.sync_dir()
    }

    fn next_backup_number(&self) -> u32 {
        fs::read_to_string(self.path("cib.last"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .map(|n| n % SERIES_MAX)
            .unwrap_or(0)
    }

    fn write_atomically(&self, name: &str, data: &[u8]) -> Result<(), StoreError> {
        let target = self.path(name);
        let tmp = self.path(&format!(".{name}.tmp.{}", std::process::id()));
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io_err(format!("Cannot create {}", tmp.display())))?;
        f.write_all(data).map_err(io_err(format!("Cannot write {}", tmp.display())))?;
        f.sync_all().map_err(io_err(format!("Cannot sync {}", tmp.display())))?;
        drop(f);
        let _ = fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600));
        if let Some((uid, gid)) = self.owner {
            let _ = std::os::unix::fs::chown(&tmp, Some(uid), Some(gid));
        }
        fs::rename(&tmp, &target).map_err(io_err(format!("Cannot rename {} to {}", tmp.display(), target.display())))
    }

    fn sync_dir(&self) -> Result<(), StoreError> {
        let d = fs::File::open(&self.dir).map_err(io_err(format!("Cannot open {}", self.dir.display())))?;
        d.sync_all().map_err(io_err(format!("Cannot sync {}", self.dir.display())))
    }
}

/// What is written to disk: no status section, num_updates reset, a fresh write time.
pub fn on_disk_form(cib: &Element) -> Element {
    let mut copy = Element { name: cib.name.clone(), attrs: cib.attrs.clone(), children: Vec::with_capacity(cib.children.len()) };
    for child in &cib.children {
        if child.as_element().is_some_and(|e| e.name == "status") {
            continue;
        }
        copy.children.push(child.clone());
    }
    copy.set_attr("num_updates", "0");
    copy.set_attr("cib-last-written", ctime_now());
    copy
}

/// A loaded CIB gets default counters, loses dc-uuid and (unless kept) any stale status.
fn normalize_loaded(mut cib: Element, preserve_status: bool) -> Element {
    for counter in ["admin_epoch", "epoch", "num_updates"] {
        if !cib.has_attr(counter) {
            cib.set_attr(counter, "0");
        }
    }
    cib.remove_attr("dc-uuid");
    if preserve_status && cib.child("status").is_some() {
        return cib;
    }
    cib.children.retain(|c| c.as_element().is_none_or(|e| e.name != "status"));
    cib.push_child(Element::new("status"));
    cib
}

fn unix_time() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub use libcrmcommon::time::ctime_now;

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("based-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn write_then_load_round_trips_with_backups() {
        let d = tmpdir("rt");
        let store = Store::new(&d);
        let mut cib = support::empty_cib(3);
        store.write(&cib).unwrap();
        cib.set_attr("epoch", "4");
        store.write(&cib).unwrap();
        assert!(d.join("cib-0.raw").exists());
        assert_eq!(fs::read_to_string(d.join("cib.last")).unwrap(), "1");
        let loaded = store.load(false);
        assert_eq!(loaded.cib.attr("epoch"), Some("4"));
        assert!(loaded.cib.child("status").is_some());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn tampered_file_is_never_overwritten_or_loaded() {
        let d = tmpdir("tamper");
        let store = Store::new(&d);
        store.write(&support::empty_cib(5)).unwrap();
        let text = fs::read_to_string(d.join(CIB_FILE)).unwrap().replace("epoch=\"5\"", "epoch=\"50\"");
        fs::write(d.join(CIB_FILE), &text).unwrap();
        assert!(matches!(store.write(&support::empty_cib(6)), Err(StoreError::ManuallyModified)));
        assert_eq!(fs::read_to_string(d.join(CIB_FILE)).unwrap(), text);
        let loaded = store.load(false);
        assert_ne!(loaded.cib.attr("epoch"), Some("50"));
        let _ = fs::remove_dir_all(&d);
    }
}
