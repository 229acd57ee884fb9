//! Applying a modifying operation: run it on a copy, check the result the way Pacemaker does
//! (versions, feature set, ACLs, schema), compute the patchset and bump the counters.

use crate::ops::{self, OpResult};
use crate::request::CibRequest;
use crate::store::ctime_now;
use crate::support;
use libcib::protocol::{attr, call_opt, cib_attr, op, rc, FEATURE_SET};
use libcrmcommon::xml::{Element, XmlNode};
use libcrmcommon::acl::AclContext;
use std::borrow::Cow;

pub struct WriteOutcome {
    pub result: i32,
    /// The CIB after the operation (also on schema failure, for the reply).
    pub result_cib: Option<Element>,
    pub diff: Option<Element>,
    pub config_changed: bool,
    pub output: Option<Element>,
    /// Replace notification bits (1 nodes, 2 alerts, 4 status) when a replace or erase
    /// changed those sections.
    pub change_sections: u32,
}

const CHANGE_NODES: u32 = 1;
const CHANGE_ALERTS: u32 = 2;
const CHANGE_STATUS: u32 = 4;

impl WriteOutcome {
    fn failed(result: i32, output: Option<Element>) -> Self {
        WriteOutcome { result, result_cib: None, diff: None, config_changed: false, output, change_sections: 0 }
    }
}

/// What `user` may read of the CIB (`None`: nothing at all).
pub fn readable_view<'a>(cib: &'a Element, user: &str) -> Option<Cow<'a, Element>> {
    let acl = AclContext::for_user(cib, user);
    if !acl.is_restricted() {
        return Some(Cow::Borrowed(cib));
    }
    match acl.filter_readable(cib) {
        Some(view) => Some(Cow::Owned(view)),
        None => {
            tracing::debug!("User {} may read nothing of the CIB", user);
            None
        }
    }
}

/// Path of the first element of `root` equal to `wanted` (where a replace put its input).
fn path_of_equal(root: &Element, wanted: &Element) -> Option<Vec<usize>> {
    if root == wanted {
        return Some(Vec::new());
    }
    for (i, child) in root.children.iter().enumerate() {
        if let Some(e) = child.as_element() {
            if let Some(mut p) = path_of_equal(e, wanted) {
                p.insert(0, i);
                return Some(p);
            }
        }
    }
    None
}

/// Pacemaker's ACL check of a client's change, before the server's own bookkeeping.
fn check_acls(request: &CibRequest, input: Option<&Element>, current: &Element, scratch: &Element) -> Result<(), i32> {
    let user = request.attr(attr::USER).unwrap_or("");
    let acl = AclContext::for_user(current, user);
    if !acl.is_restricted() {
        return Ok(());
    }
    let verdict = if request.op == op::REPLACE {
        let replaced = match input {
            Some(i) if i.name == "cib" => Some(Vec::new()),
            Some(i) => path_of_equal(scratch, i),
            None => None,
        };
        match replaced {
            Some(path) => acl.check_replace(current, scratch, &path),
            None => acl.check_write(current, scratch),
        }
    } else {
        acl.check_write(current, scratch)
    };
    verdict.map_err(|denied| {
        tracing::info!("User {} may not make this change: {}", user, denied);
        rc::EACCES
    })
}

fn run_op(request: &CibRequest, input: Option<&Element>, current: &Element, scratch: &mut Element) -> OpResult {
    let section = request.section.as_deref();
    let opts = request.call_options;
    match request.op.as_str() {
        op::MODIFY => ops::modify(opts, section, input, scratch),
        op::CREATE => ops::create(opts, section, input, scratch),
        op::DELETE => ops::delete(opts, section, input, scratch),
        op::REPLACE => {
            let digest = request.attr(attr::DIGEST).map(|d| (d, request.attr(attr::FEATURE_SET)));
            ops::replace(opts, section, digest, input, current, scratch)
        }
        op::ERASE => ops::erase(current, scratch),
        op::BUMP => ops::bump(scratch),
        op::UPGRADE => {
            let max = request.attr(attr::SCHEMA_MAX);
            support::upgrade(scratch, max).map(|_| None).map_err(|code| (code, None))
        }
        op::APPLY_PATCH => {
            let diff = input.ok_or((rc::EINVAL, None))?;
            support::apply_patchset(scratch, diff).map(|_| None).map_err(|c| (c, None))
        }
        op::ABS_DELETE => Err((rc::EINVAL, None)),
        _ => Err((rc::EINVAL, None)),
    }
}

fn compare_feature_sets(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| s.split('.').map(|p| p.trim().parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    parse(a).cmp(&parse(b))
}

fn section_digest(cib: &Element, path: &[&str]) -> Option<String> {
    let mut cur = cib;
    for name in path {
        cur = cur.child(name)?;
    }
    Some(support::versioned_digest(cur))
}

/// Whether `new` differs from `current` at most in the `value` of existing `nvpair`s
/// (checked before the version counters are bumped).
///
/// Such a change cannot affect schema validity: every Pacemaker schema types an nvpair value
/// as plain text (nvset*.rng), and the CIB in memory is always valid (it was validated when it
/// got there; status-section writes, which skip validation as in Pacemaker, can only hold
/// "anything" per status-1.0.rng). Validation is the bulk of a write's cost, and attribute
/// updates like this are the most common write, so they skip it.
fn only_nvpair_values_differ(current: &Element, new: &Element) -> bool {
    if current.name != new.name || current.attrs.len() != new.attrs.len() || current.children.len() != new.children.len() {
        return false;
    }
    let is_nvpair = current.name == "nvpair";
    let attrs_ok = current.attrs.iter().zip(&new.attrs).all(|((an, av), (bn, bv))| {
        an == bn && (av == bv || (is_nvpair && an == "value"))
    });
    attrs_ok
        && current.children.iter().zip(&new.children).all(|(a, b)| match (a, b) {
            (XmlNode::Element(a), XmlNode::Element(b)) => only_nvpair_values_differ(a, b),
            (XmlNode::Comment(a), XmlNode::Comment(b)) => a == b,
            _ => false,
        })
}

pub fn perform_write(request: &CibRequest, input: Option<&Element>, current: &Element, with_digest: bool) -> WriteOutcome {
    let opts = request.call_options;
    let mut scratch = current.clone();
    let output = match run_op(request, input, current, &mut scratch) {
        Ok(out) => out,
        Err((code, out)) => {
            let mut o = WriteOutcome::failed(code, out);
            if code == rc::OLD_DATA {
                o.result_cib = None;
            }
            return o;
        }
    };
    if let Err(code) = check_acls(request, input, current, &scratch) {
        return WriteOutcome::failed(code, None);
    }
    if let Some(new_version) = scratch.attr(cib_attr::FEATURE_SET) {
        if compare_feature_sets(new_version, FEATURE_SET) == std::cmp::Ordering::Greater {
            tracing::error!("Discarding update with feature set '{}' greater than our own '{}'", new_version, FEATURE_SET);
            return WriteOutcome::failed(rc::EPROTONOSUPPORT, None);
        }
    }
    let (old_admin, old_epoch, _) = ops::version_tuple(current);
    let (new_admin, new_epoch, _) = ops::version_tuple(&scratch);
    if old_admin > new_admin || (old_admin == new_admin && old_epoch > new_epoch) {
        tracing::error!("CIB version went backwards: {}.{} -> {}.{}", old_admin, old_epoch, new_admin, new_epoch);
        return WriteOutcome::failed(rc::OLD_DATA, None);
    }
    ops::fix_plus_plus(&mut scratch);
    let validity_preserved = only_nvpair_values_differ(current, &scratch);
    // A peer's full-CIB sync carries its own versions; they must not be bumped again.
    let global_update = request.attr(attr::GLOBAL_UPDATE).is_some_and(libcrmcommon::options::is_true);
    let manage_counters = opts & call_opt::INHIBIT_BCAST == 0 && !global_update;
    let tracking = if request.op == op::MODIFY && ops::modify_appends_copy(opts, request.section.as_deref(), input, current) {
        support::Tracking::AppendedCopy { has_attributes: input.is_some_and(support::has_any_attribute) }
    } else {
        support::Tracking::Compared
    };
    let (diff, mut config_changed) = support::create_patchset(current, &mut scratch, manage_counters, with_digest, tracking);
    if config_changed && opts & call_opt::NO_MTIME == 0 {
        scratch.set_attr(cib_attr::LAST_WRITTEN, ctime_now());
        let schema_ok = scratch.attr(cib_attr::VALIDATE_WITH).is_some_and(support::schema_supports_update_attrs);
        if schema_ok {
            for (target, source) in [
                (cib_attr::UPDATE_ORIGIN, attr::ORIGIN),
                (cib_attr::UPDATE_CLIENT, attr::CLIENT_NAME),
                (cib_attr::UPDATE_USER, attr::USER),
            ] {
                match request.attr(source) {
                    Some(v) => scratch.set_attr(target, v),
                    None => {
                        scratch.remove_attr(target);
                    }
                }
            }
        }
    }
    if request.section.as_deref() != Some("status") && !validity_preserved {
        if let Err(e) = support::validate(&scratch) {
            tracing::warn!(
                "Updated CIB does not validate against {} schema: {}",
                scratch.attr(cib_attr::VALIDATE_WITH).unwrap_or("unspecified"),
                e
            );
            return WriteOutcome {
                result: rc::SCHEMA_VALIDATION,
                result_cib: Some(scratch),
                diff: None,
                config_changed: false,
                output,
                change_sections: 0,
            };
        }
    }
    let mut change_sections = 0;
    if request.op == op::REPLACE {
        config_changed = true;
        for (bit, path) in [
            (CHANGE_NODES, &["configuration", "nodes"][..]),
            (CHANGE_ALERTS, &["configuration", "alerts"][..]),
            (CHANGE_STATUS, &["status"][..]),
        ] {
            if section_digest(current, path) != section_digest(&scratch, path) {
                change_sections |= bit;
            }
        }
    } else if request.op == op::ERASE {
        change_sections = CHANGE_NODES | CHANGE_ALERTS | CHANGE_STATUS;
    }
    WriteOutcome { result: rc::OK, result_cib: Some(scratch), diff, config_changed, output, change_sections }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml::parse;

    const CIB: &str = r#"<cib epoch="3" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9" crm_feature_set="3.16.1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-a" name="a" value="1"/></cluster_property_set></crm_config><nodes/><resources/><constraints/></configuration><status/></cib>"#;

    fn modify(input: &str) -> WriteOutcome {
        let request = parse(&format!(
            r#"<cib_command cib_op="cib_modify" cib_section="crm_config" cib_callopt="{}"><cib_calldata>{input}</cib_calldata></cib_command>"#,
            call_opt::CAN_CREATE
        ))
        .unwrap();
        let request = CibRequest::from_element(request);
        let current = parse(CIB).unwrap();
        perform_write(&request, request.input().as_ref(), &current, false)
    }

    fn version(outcome: &WriteOutcome) -> (i64, i64, i64) {
        ops::version_tuple(outcome.result_cib.as_ref().expect("the write succeeded"))
    }

    // Versions as Pacemaker 2.1.5's C daemon produced them for the same requests (observed
    // in a two-node cluster: "Completed cib_modify ... version=0.3.1").
    #[test]
    fn modify_that_appends_a_new_set_counts_as_a_status_change() {
        let outcome = modify(r#"<cluster_property_set id="n"><nvpair id="n-b" name="b" value="1"/></cluster_property_set>"#);
        assert_eq!(outcome.result, rc::OK);
        assert_eq!(version(&outcome), (0, 3, 1));
        assert!(!outcome.config_changed);
        assert!(outcome.diff.is_some(), "the append is still notified");
    }

    #[test]
    fn modify_that_merges_into_an_existing_set_changes_the_configuration() {
        let outcome = modify(r#"<cluster_property_set id="o"><nvpair id="o-b" name="b" value="1"/></cluster_property_set>"#);
        assert_eq!(version(&outcome), (0, 4, 0));
        assert!(outcome.config_changed);
    }
}

#[cfg(test)]
mod validity_tests {
    use super::*;
    use libcrmcommon::xml::parse;

    const CIB: &str = r#"<cib epoch="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-a" name="a" value="1"/></cluster_property_set></crm_config></configuration><status/></cib>"#;

    #[test]
    fn nvpair_value_changes_keep_validity_anything_else_does_not() {
        let old = parse(CIB).unwrap();
        assert!(only_nvpair_values_differ(&old, &old));
        assert!(only_nvpair_values_differ(&old, &parse(&CIB.replace("value=\"1\"", "value=\"x y\"")).unwrap()));
        for changed in [
            CIB.replace("name=\"a\"", "name=\"b\""),
            CIB.replace("epoch=\"1\"", "epoch=\"2\""),
            CIB.replace(" value=\"1\"", ""),
            CIB.replace("<status/>", "<status><x/></status>"),
            CIB.replace("nvpair id", "nvpai id").replace("/>", "/>"),
        ] {
            assert!(!only_nvpair_values_differ(&old, &parse(&changed).unwrap()), "{changed}");
        }
    }
}
