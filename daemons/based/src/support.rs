//! The CIB manager's use of shared machinery (XPath, digests, patchsets, schemas), behind one
//! narrow interface so the operation code does not care where each piece lives.

use libcib::protocol::{cib_attr, FEATURE_SET};
use libcrmcommon::xml::Element;

/// What a new CIB validates with when the schema catalog is unavailable.
pub const LATEST_SCHEMA: &str = "pacemaker-3.9";

/// Elements matched by an XPath expression, as child-index paths in document order.
/// Unsupported or malformed expressions are logged and treated as matching nothing.
pub fn xpath_select(root: &Element, expr: &str) -> Result<Vec<Vec<usize>>, String> {
    libcrmcommon::xml::xpath::select(root, expr).map_err(|e| {
        tracing::error!("Could not evaluate XPath expression {:?}: {}", expr, e);
        e.to_string()
    })
}

/// The digest written to cib.xml.sig.
pub fn on_disk_digest(cib: &Element) -> String {
    libcrmcommon::digest::on_disk(cib)
}

/// The versioned digest used by patchsets, pings and sync.
pub fn versioned_digest(cib: &Element) -> String {
    libcrmcommon::digest::versioned(cib)
}

/// The newest installed schema, which new CIBs validate with.
pub fn latest_schema() -> String {
    let latest = libcrmcommon::schemas::Schemas::system().latest();
    if latest.is_empty() { LATEST_SCHEMA.to_owned() } else { latest.to_owned() }
}

/// A new, empty CIB as Pacemaker creates it.
pub fn empty_cib(epoch: i64) -> Element {
    let mut cib = Element::new("cib")
        .with_attr(cib_attr::FEATURE_SET, FEATURE_SET)
        .with_attr(cib_attr::VALIDATE_WITH, latest_schema())
        .with_attr(cib_attr::EPOCH, epoch.to_string())
        .with_attr(cib_attr::NUM_UPDATES, "0")
        .with_attr(cib_attr::ADMIN_EPOCH, "0");
    let config = cib.push_child(Element::new("configuration"));
    for s in ["crm_config", "nodes", "resources", "constraints"] {
        config.push_child(Element::new(s));
    }
    cib.push_child(Element::new("status"));
    cib
}

/// How an operation changed the document, as far as Pacemaker's change tracking sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// Every difference between the old and new CIB counts (compare the trees).
    Compared,
    /// The operation's only change was appending a copy of `copied` (C `add_node_copy`):
    /// tracked as a change of the document but not of any ancestor, so never a
    /// configuration change; and not even a document change when the copy holds no
    /// attribute at all (only new attributes mark the document dirty).
    AppendedCopy { has_attributes: bool },
}

/// The v2 patchset from `old` to `new`, if anything changed. Versions on `new` are bumped
/// first when `manage_counters` (comparing the trees once for both); returns (patchset,
/// config_changed).
pub fn create_patchset(
    old: &Element,
    new: &mut Element,
    manage_counters: bool,
    with_digest: bool,
    tracking: Tracking,
) -> (Option<Element>, bool) {
    use libcrmcommon::patchset::{self, CreateOptions, VersionBump};
    let options = CreateOptions { with_digest, ..Default::default() };
    if let Tracking::AppendedCopy { has_attributes } = tracking {
        if !has_attributes {
            return (None, false);
        }
        if manage_counters {
            // Pacemaker's rule for a change outside the configuration; missing counts as 0.
            let updates = new.attr("num_updates").and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0);
            new.set_attr("num_updates", updates.wrapping_add(1).to_string());
        }
        return (patchset::create(old, new, &options), false);
    }
    if manage_counters {
        let (diff, bump) = patchset::bump_and_create(old, new, &options);
        (diff, bump == VersionBump::Configuration)
    } else {
        (patchset::create(old, new, &options), patchset::config_changed(old, new))
    }
}

/// Applies a patchset received in `cib_apply_diff`.
pub fn apply_patchset(cib: &mut Element, diff: &Element) -> Result<(), i32> {
    libcrmcommon::patchset::apply(cib, diff, true).map_err(|e| {
        tracing::warn!("Could not apply patchset: {}", e);
        e.legacy_code()
    })
}

/// Validates the CIB against its `validate-with` schema.
pub fn validate(cib: &Element) -> Result<(), String> {
    libcrmcommon::schemas::Schemas::system().validate_document(cib).map_err(|e| e.to_string())
}

/// The `cib_upgrade` operation: upgrades to the newest schema (up to `max`), bumping the
/// version counters as Pacemaker does.
pub fn upgrade(cib: &mut Element, max: Option<&str>) -> Result<(), i32> {
    match libcrmcommon::schemas::Schemas::system().cib_upgrade(cib, max) {
        Ok(done) if done.upgraded => {
            *cib = done.document;
            Ok(())
        }
        Ok(_) => Err(libcib::protocol::rc::SCHEMA_UNCHANGED),
        Err(failure) => {
            tracing::warn!("CIB upgrade failed: {}", failure);
            Err(failure.error.legacy_rc())
        }
    }
}

/// Whether `schema` is at least pacemaker-1.2 (supports the update-* attributes).
pub fn schema_supports_update_attrs(schema: &str) -> bool {
    match schema.strip_prefix("pacemaker-") {
        Some(v) => {
            let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            let (major, minor) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
            (major, minor) >= (1, 2)
        }
        None => schema == "pacemaker-next",
    }
}

/// Whether `element` or any element below it has an attribute.
pub fn has_any_attribute(element: &Element) -> bool {
    !element.attrs.is_empty() || element.elements().any(has_any_attribute)
}
