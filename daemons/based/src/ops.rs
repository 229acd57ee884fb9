//! What each CIB operation does to the document, as pure functions over the tree.
//!
//! Each function gets the CIB as it was (`current`) and a working copy (`scratch`) to change,
//! and returns the answer payload or a legacy result code with an optional payload.

use crate::support;
use libcib::protocol::{call_opt, element, rc, section as sec};
use libcrmcommon::xml::{Element, XmlNode};

/// What an operation hands back: the payload for `cib_calldata`, or a failure.
pub type OpResult = Result<Option<Element>, (i32, Option<Element>)>;

/// Child-index path of a CIB section, following Pacemaker's section table.
pub fn section_path(cib: &Element, section: Option<&str>) -> Option<Vec<usize>> {
    let names: &[&str] = match section {
        None | Some("cib") | Some("all") => &[],
        Some("status") => &["status"],
        Some("configuration") => &["configuration"],
        Some(s) if sec::parent_of(s) == Some("configuration") => {
            return find_names(cib, &["configuration", s]);
        }
        // Pacemaker has no lookup path for a name it does not know and ends up at the root.
        Some(_) => &[],
    };
    find_names(cib, names)
}

fn find_names(root: &Element, names: &[&str]) -> Option<Vec<usize>> {
    let mut path = Vec::with_capacity(names.len());
    let mut cur = root;
    for name in names {
        let i = cur.child_index_by_id(name, None)?;
        path.push(i);
        cur = cur.children[i].as_element()?;
    }
    Some(path)
}

/// `section` as the operations see it: "all" and an input naming the section mean "whole".
fn effective_section<'a>(section: Option<&'a str>, input: Option<&Element>) -> Option<&'a str> {
    match section {
        Some(s) if s.eq_ignore_ascii_case(sec::ALL) => None,
        Some(s) if input.is_some_and(|i| i.name.eq_ignore_ascii_case(s)) => None,
        other => other,
    }
}

pub fn query(opts: u32, section: Option<&str>, current: &Element) -> OpResult {
    if opts & call_opt::XPATH != 0 {
        return xpath_query(opts, section.unwrap_or(""), current);
    }
    let section = section.filter(|s| !s.eq_ignore_ascii_case(sec::ALL));
    let path = section_path(current, section).ok_or((rc::ENXIO, None))?;
    let found = current.at_path(&path).ok_or((rc::ENXIO, None))?;
    if opts & call_opt::NO_CHILDREN != 0 {
        Ok(Some(found.shallow_copy()))
    } else {
        Ok(Some(found.clone()))
    }
}

fn xpath_query(opts: u32, expr: &str, current: &Element) -> OpResult {
    let matches = support::xpath_select(current, expr).map_err(|_| (rc::ENXIO, None))?;
    if matches.is_empty() {
        return Err((rc::ENXIO, None));
    }
    let mut answer: Option<Element> =
        if matches.len() > 1 { Some(Element::new(element::XPATH_QUERY)) } else { None };
    for path in &matches {
        let Some(m) = current.at_path(path) else { continue };
        if opts & call_opt::NO_CHILDREN != 0 {
            let shallow = m.shallow_copy();
            match answer.as_mut() {
                Some(a) => {
                    a.push_child(shallow);
                }
                None => answer = Some(shallow),
            }
        } else if opts & call_opt::XPATH_ADDRESS != 0 {
            let a = answer.get_or_insert_with(|| Element::new(element::XPATH_QUERY));
            a.push_child(Element::new(element::XPATH_QUERY_PATH).with_attr("id", address_of(current, path)));
        } else {
            match answer.as_mut() {
                Some(a) => {
                    a.push_child(m.clone());
                }
                None => answer = Some(m.clone()),
            }
        }
    }
    Ok(answer)
}

/// `/cib/configuration/resources/primitive[@id='x']` for the element at `path`.
fn address_of(root: &Element, path: &[usize]) -> String {
    let mut out = String::new();
    let mut cur = root;
    let push = |e: &Element, out: &mut String| {
        out.push('/');
        out.push_str(&e.name);
        if let Some(id) = e.id() {
            out.push_str(&format!("[@id='{id}']"));
        }
    };
    push(cur, &mut out);
    for &i in path {
        let Some(next) = cur.children.get(i).and_then(XmlNode::as_element) else { break };
        push(next, &mut out);
        cur = next;
    }
    out
}

pub fn modify(opts: u32, section: Option<&str>, input: Option<&Element>, scratch: &mut Element) -> OpResult {
    if opts & call_opt::XPATH != 0 {
        return xpath_write(libcib::protocol::op::MODIFY, opts, section.unwrap_or(""), input, scratch);
    }
    let input = input.ok_or((rc::EINVAL, None))?;
    let section = section.filter(|s| !s.eq_ignore_ascii_case(sec::ALL));
    let path = match section_path(scratch, section) {
        Some(p) => p,
        None => {
            // Create a missing known section under its parent, as Pacemaker does.
            let name = section.ok_or((rc::EINVAL, None))?;
            let parent = sec::parent_of(name).filter(|p| !p.is_empty()).ok_or((rc::EINVAL, None))?;
            let parent_path = section_path(scratch, Some(parent)).ok_or((rc::EINVAL, None))?;
            let parent_el = scratch.at_path_mut(&parent_path).ok_or((rc::EINVAL, None))?;
            parent_el.push_child(Element::new(name));
            section_path(scratch, Some(name)).ok_or((rc::EINVAL, None))?
        }
    };
    let root = scratch.at_path_mut(&path).ok_or((rc::EINVAL, None))?;
    if !update_matching(root, input) {
        if opts & call_opt::CAN_CREATE != 0 {
            root.push_child(input.clone());
        } else {
            return Err((rc::ENXIO, None));
        }
    }
    Ok(None)
}

/// Whether [`modify`] on `current` takes its create branch: `cib_can_create` is set and
/// nothing at or below the section matches the input's name and id, so the input is
/// appended as a copy (C: `add_node_copy`, also used to add a missing section).
///
/// Pacemaker's in-place change tracking does not see such a copy as a change of its new
/// ancestors (the copied nodes come with the "created" flag already set, so marking them
/// created skips the dirty propagation). The configuration therefore stays "unchanged":
/// the C daemon bumps `num_updates`, not `epoch`, and every replica must do the same.
pub fn modify_appends_copy(opts: u32, section: Option<&str>, input: Option<&Element>, current: &Element) -> bool {
    if opts & call_opt::XPATH != 0 || opts & call_opt::CAN_CREATE == 0 {
        return false;
    }
    let Some(input) = input else { return false };
    let section = section.filter(|s| !s.eq_ignore_ascii_case(sec::ALL));
    match section_path(current, section).and_then(|path| current.at_path(&path)) {
        Some(root) => !has_matching(root, input),
        // A missing section is created empty, so nothing can match in it.
        None => section.is_some_and(|name| sec::parent_of(name).is_some_and(|p| !p.is_empty())),
    }
}

/// Whether [`update_matching`] would find an element to merge `update` into.
fn has_matching(root: &Element, update: &Element) -> bool {
    (root.name == update.name && root.id() == update.id()) || root.elements().any(|child| has_matching(child, update))
}

pub fn create(opts: u32, section: Option<&str>, input: Option<&Element>, scratch: &mut Element) -> OpResult {
    let input = input.ok_or((rc::EINVAL, None))?;
    let section = match section {
        Some(s) if s.eq_ignore_ascii_case(sec::ALL) || s.eq_ignore_ascii_case(sec::CIB) => None,
        _ if input.name.eq_ignore_ascii_case(sec::CIB) => None,
        other => other,
    };
    let Some(section_name) = section else {
        return modify(opts & !call_opt::XPATH, None, Some(input), scratch);
    };
    let path = section_path(scratch, Some(section_name)).ok_or((rc::EINVAL, None))?;
    let parent = scratch.at_path_mut(&path).ok_or((rc::EINVAL, None))?;
    let mut failed = Element::new(element::FAILED);
    let mut result = rc::OK;
    if input.name.eq_ignore_ascii_case(section_name) {
        for child in input.elements() {
            result = add_object(parent, child);
            if result != rc::OK {
                failed.push_child(failure_record(child, result));
                break;
            }
        }
    } else {
        result = add_object(parent, input);
        if result != rc::OK {
            failed.push_child(failure_record(input, result));
        }
    }
    if result == rc::OK && !failed.children.is_empty() {
        result = rc::EINVAL;
    }
    if result != rc::OK {
        return Err((result, Some(failed)));
    }
    Ok(None)
}

fn failure_record(target: &Element, result: i32) -> Element {
    let mut e = Element::new(element::FAILED_UPDATE);
    e.push_child(target.clone());
    if let Some(id) = target.id() {
        e.set_attr("id", id);
    }
    e.set_attr("object_type", target.name.clone());
    e.set_attr("operation", libcib::protocol::op::CREATE);
    e.set_attr("reason", libcib::protocol::rc_text(result));
    e
}

/// Adds `obj` under `parent` unless an equivalent object (same name, and id if any) exists.
fn add_object(parent: &mut Element, obj: &Element) -> i32 {
    if parent.child_by_id(&obj.name, obj.id()).is_some() {
        return rc::EEXIST;
    }
    update_object(parent, obj)
}

/// Creates or updates `update` under `parent`, honouring the legacy `replace` attribute.
fn update_object(parent: &mut Element, update: &Element) -> i32 {
    let idx = match parent.child_index_by_id(&update.name, update.id()) {
        Some(i) => i,
        None => {
            parent.push_child(Element::new(update.name.clone()));
            parent.children.len() - 1
        }
    };
    let Some(target) = parent.children[idx].as_element_mut() else { return rc::EINVAL };
    let mut update = update.clone();
    if let Some(replace) = update.remove_attr("replace") {
        for item in replace.split(',').filter(|s| !s.is_empty()) {
            target.remove_child(item);
        }
        target.remove_attr("replace");
    }
    copy_in_properties(target, &update);
    let mut result = rc::OK;
    for child in update.elements() {
        let r = update_object(target, child);
        if result == rc::OK {
            result = r;
        }
    }
    result
}

/// Finds the first element at or below `root` with the update's name and id (both possibly
/// absent) and merges the update into it.
pub fn update_matching(root: &mut Element, update: &Element) -> bool {
    if root.name == update.name && root.id() == update.id() {
        merge_update(root, update);
        return true;
    }
    for child in root.elements_mut() {
        if update_matching(child, update) {
            return true;
        }
    }
    false
}

/// Merges attributes and children of `update` into `target` (pcmk__xml_update semantics).
pub fn merge_update(target: &mut Element, update: &Element) {
    copy_in_properties(target, update);
    for child in &update.children {
        match child {
            XmlNode::Comment(text) => {
                if !target.children.iter().any(|c| matches!(c, XmlNode::Comment(t) if t == text)) {
                    target.children.push(XmlNode::Comment(text.clone()));
                }
            }
            XmlNode::Element(u) => {
                let key: Option<(&str, &str)> = match (u.id(), u.attr("id-ref")) {
                    (Some(id), _) => Some(("id", id)),
                    (None, Some(r)) => Some(("id-ref", r)),
                    (None, None) => None,
                };
                let pos = target.children.iter().position(|c| match c {
                    XmlNode::Element(e) => e.name == u.name && key.is_none_or(|(k, v)| e.attr(k) == Some(v)),
                    XmlNode::Comment(_) => false,
                });
                let idx = pos.unwrap_or_else(|| {
                    target.push_child(Element::new(u.name.clone()));
                    target.children.len() - 1
                });
                if let Some(t) = target.children[idx].as_element_mut() {
                    merge_update(t, u);
                }
            }
        }
    }
}

/// Copies attributes, expanding `name++` and `name+=N` against the existing value.
pub fn copy_in_properties(target: &mut Element, src: &Element) {
    for (name, value) in &src.attrs {
        expand_plus_plus(target, name, value);
    }
}

pub fn expand_plus_plus(target: &mut Element, name: &str, value: &str) {
    let Some(old) = target.attr(name) else {
        target.set_attr(name, value);
        return;
    };
    let rest = match value.strip_prefix(name) {
        Some(r) if r.starts_with("++") || r.starts_with("+=") => r,
        _ => {
            target.set_attr(name, value);
            return;
        }
    };
    let offset = if rest == "++" || rest.starts_with("++") { 1 } else { parse_score(&rest[2..]) };
    let new = (parse_score(old) as i64 + offset as i64).min(SCORE_INFINITY as i64);
    target.set_attr(name, new.to_string());
}

pub const SCORE_INFINITY: i32 = 1_000_000;

/// Pacemaker's char2score: INFINITY spellings, otherwise a clamped integer (0 if junk).
pub fn parse_score(s: &str) -> i32 {
    let t = s.trim();
    match t {
        "INFINITY" | "+INFINITY" => return SCORE_INFINITY,
        "-INFINITY" => return -SCORE_INFINITY,
        "red" | "yellow" | "green" => return 0,
        _ => {}
    }
    let digits_end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    t[..digits_end]
        .parse::<i64>()
        .map(|v| v.clamp(-(SCORE_INFINITY as i64), SCORE_INFINITY as i64) as i32)
        .unwrap_or(0)
}

/// Applies `name++` expansion to every attribute of the tree (values referring to themselves).
pub fn fix_plus_plus(e: &mut Element) {
    let pending: Vec<(String, String)> = e
        .attrs
        .iter()
        .filter(|(n, v)| v.starts_with(n) && (v[n.len()..].starts_with("++") || v[n.len()..].starts_with("+=")))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    for (name, value) in pending {
        // Expanding a value against itself counts from zero, as in Pacemaker.
        let rest = &value[name.len()..];
        let offset = if rest.starts_with("++") { 1 } else { parse_score(&rest[2..]) };
        e.set_attr(name, offset.min(SCORE_INFINITY).to_string());
    }
    for c in e.elements_mut() {
        fix_plus_plus(c);
    }
}

pub fn delete(opts: u32, section: Option<&str>, input: Option<&Element>, scratch: &mut Element) -> OpResult {
    if opts & call_opt::XPATH != 0 {
        return xpath_write(libcib::protocol::op::DELETE, opts, section.unwrap_or(""), input, scratch);
    }
    let input = input.ok_or((rc::EINVAL, None))?;
    let Some(path) = section_path(scratch, section.filter(|s| !s.eq_ignore_ascii_case(sec::ALL))) else {
        return Ok(None);
    };
    let Some(root) = scratch.at_path_mut(&path) else { return Ok(None) };
    if section.is_some_and(|s| input.name.eq_ignore_ascii_case(s)) {
        for child in input.elements() {
            replace_matching(root, child, true);
        }
    } else {
        replace_matching(root, input, true);
    }
    Ok(None)
}

/// Finds the first element strictly below `root` matching `update` (name, and id if the update
/// has one; for deletes every attribute of the update must match, case-insensitively) and
/// deletes it or replaces it with a copy of `update`.
pub fn replace_matching(root: &mut Element, update: &Element, delete_only: bool) -> bool {
    let mut i = 0;
    while i < root.children.len() {
        let XmlNode::Element(child) = &root.children[i] else {
            i += 1;
            continue;
        };
        if matches_for_replace(child, update, delete_only) {
            if delete_only {
                root.children.remove(i);
            } else {
                root.children[i] = XmlNode::Element(update.clone());
            }
            return true;
        }
        if let Some(child) = root.children[i].as_element_mut() {
            if replace_matching(child, update, delete_only) {
                return true;
            }
        }
        i += 1;
    }
    false
}

fn matches_for_replace(child: &Element, update: &Element, delete_only: bool) -> bool {
    let id_ok = match update.id() {
        None => true,
        Some(up) => child.id() == Some(up),
    };
    if !id_ok || !child.name.eq_ignore_ascii_case(&update.name) {
        return false;
    }
    !delete_only
        || update.attrs.iter().all(|(n, v)| child.attr(n).is_some_and(|cv| cv.eq_ignore_ascii_case(v)))
}

pub fn replace(
    opts: u32,
    section: Option<&str>,
    request_digest: Option<(&str, Option<&str>)>,
    input: Option<&Element>,
    current: &Element,
    scratch: &mut Element,
) -> OpResult {
    if opts & call_opt::XPATH != 0 {
        return xpath_write(libcib::protocol::op::REPLACE, opts, section.unwrap_or(""), input, scratch);
    }
    let input = input.ok_or((rc::EINVAL, None))?;
    let section = effective_section(section, Some(input));
    if input.name.eq_ignore_ascii_case(sec::CIB) {
        let mut result = rc::OK;
        if let Some((digest, _version)) = request_digest {
            let ours = support::versioned_digest(input);
            if !ours.eq_ignore_ascii_case(digest) {
                tracing::error!("Digest mis-match on replace: {} vs. {} (expected)", ours, digest);
                result = rc::OLD_DATA;
            }
        }
        let (a, e, u) = version_tuple(current);
        let (ra, re, ru) = version_tuple(input);
        let older = ra < a || (ra == a && (re < e || (re == e && ru < u)));
        if older {
            tracing::info!(
                "Replacement {}.{}.{} not applied to {}.{}.{}: current configuration is newer",
                ra, re, ru, a, e, u
            );
            result = rc::OLD_DATA;
        } else {
            tracing::info!("Replaced {}.{}.{} with {}.{}.{}", a, e, u, ra, re, ru);
        }
        *scratch = input.clone();
        if result != rc::OK {
            return Err((result, None));
        }
        return Ok(None);
    }
    let path = section_path(scratch, section).ok_or((rc::ENXIO, None))?;
    let root = scratch.at_path_mut(&path).ok_or((rc::ENXIO, None))?;
    if !replace_matching(root, input, false) {
        return Err((rc::ENXIO, None));
    }
    Ok(None)
}

/// (admin_epoch, epoch, num_updates), missing values counting as 0.
pub fn version_tuple(cib: &Element) -> (i64, i64, i64) {
    let get = |n| cib.attr_i64(n).unwrap_or(0);
    (get("admin_epoch"), get("epoch"), get("num_updates"))
}

pub fn erase(current: &Element, scratch: &mut Element) -> OpResult {
    let mut fresh = support::empty_cib(0);
    copy_in_properties(&mut fresh, current);
    bump_counter(&mut fresh, "admin_epoch");
    *scratch = fresh;
    Ok(None)
}

pub fn bump(scratch: &mut Element) -> OpResult {
    bump_counter(scratch, "epoch");
    Ok(None)
}

/// Increments an integer attribute (missing counts as 0, so it becomes 1).
pub fn bump_counter(e: &mut Element, name: &str) {
    let v = e.attr(name).map(|v| v.trim().parse::<i64>().unwrap_or(0) + 1).unwrap_or(1);
    e.set_attr(name, v.to_string());
}

/// The xpath forms of modify, delete, create and replace.
fn xpath_write(op: &str, opts: u32, expr: &str, input: Option<&Element>, scratch: &mut Element) -> OpResult {
    use libcib::protocol::op as o;
    let mut matches = support::xpath_select(scratch, expr).map_err(|_| (rc::ENXIO, None))?;
    if matches.is_empty() {
        if op == o::DELETE {
            tracing::debug!("{} was already removed", expr);
            return Ok(None);
        }
        return Err((rc::ENXIO, None));
    }
    let multiple = opts & call_opt::MULTIPLE != 0;
    match op {
        o::DELETE => {
            if matches.iter().any(|p| p.is_empty()) {
                tracing::warn!("Cannot perform {} for {}: The xpath is addressing the whole /cib", op, expr);
                return Err((rc::EINVAL, None));
            }
            if !multiple {
                matches.truncate(1);
            }
            // Drop matches inside other matches, then delete from the last so indices hold.
            matches.sort();
            let mut kept: Vec<Vec<usize>> = Vec::new();
            for m in matches {
                if !kept.iter().any(|k| m.starts_with(k)) {
                    kept.push(m);
                }
            }
            for m in kept.iter().rev() {
                remove_at(scratch, m);
            }
            Ok(None)
        }
        o::MODIFY => {
            let input = input.ok_or((rc::EINVAL, None))?;
            let mut result = Ok(None);
            for m in &matches {
                let Some(target) = scratch.at_path_mut(m) else { continue };
                if !update_matching(target, input) {
                    result = Err((rc::ENXIO, None));
                } else if !multiple {
                    break;
                }
            }
            result
        }
        o::CREATE => {
            let input = input.ok_or((rc::EINVAL, None))?;
            if let Some(target) = scratch.at_path_mut(&matches[0]) {
                target.push_child(input.clone());
            }
            Ok(None)
        }
        o::REPLACE => {
            if !multiple {
                matches.truncate(1);
            }
            for m in matches.iter().rev() {
                let Some((parent_path, _)) = m.split_last().map(|(l, p)| (p.to_vec(), *l)) else {
                    return Err((rc::EINVAL, None));
                };
                remove_at(scratch, m);
                if let (Some(input), Some(parent)) = (input, scratch.at_path_mut(&parent_path)) {
                    parent.push_child(input.clone());
                }
            }
            Ok(None)
        }
        _ => Err((rc::EINVAL, None)),
    }
}

fn remove_at(root: &mut Element, path: &[usize]) {
    if let Some((last, parent)) = path.split_last() {
        if let Some(p) = root.at_path_mut(parent) {
            if *last < p.children.len() {
                p.children.remove(*last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcrmcommon::xml::parse;

    fn cib() -> Element {
        parse(r#"<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-a" name="a" value="1"/></cluster_property_set></crm_config><nodes/><resources><primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>"#).unwrap()
    }

    #[test]
    fn modify_merges_and_creates_only_when_allowed() {
        let mut c = cib();
        let upd = parse(r#"<nvpair id="o-a" value="2"/>"#).unwrap();
        assert!(modify(0, Some("crm_config"), Some(&upd), &mut c).is_ok());
        assert!(libcrmcommon::xml::to_compact(&c).contains(r#"<nvpair id="o-a" name="a" value="2"/>"#));
        let new = parse(r#"<cluster_property_set id="n"/>"#).unwrap();
        assert_eq!(modify(0, Some("crm_config"), Some(&new), &mut c).unwrap_err().0, rc::ENXIO);
        assert!(modify(call_opt::CAN_CREATE, Some("crm_config"), Some(&new), &mut c).is_ok());
        assert!(c.at_path(&section_path(&c, Some("crm_config")).unwrap()).unwrap().child_by_id("cluster_property_set", Some("n")).is_some());
    }

    #[test]
    fn only_an_unmatched_modify_with_create_appends_a_copy() {
        let c = cib();
        let new_set = parse(r#"<cluster_property_set id="n"/>"#).unwrap();
        let existing = parse(r#"<nvpair id="o-a" value="2"/>"#).unwrap();
        assert!(modify_appends_copy(call_opt::CAN_CREATE, Some("crm_config"), Some(&new_set), &c));
        assert!(!modify_appends_copy(0, Some("crm_config"), Some(&new_set), &c), "no create without cib_can_create");
        assert!(!modify_appends_copy(call_opt::CAN_CREATE, Some("crm_config"), Some(&existing), &c), "a match is merged");
        // A missing section is added empty first, so nothing matches in it.
        assert!(modify_appends_copy(call_opt::CAN_CREATE, Some("rsc_defaults"), Some(&new_set), &c));
    }

    #[test]
    fn create_refuses_duplicates() {
        let mut c = cib();
        let p = parse(r#"<primitive id="d1" class="ocf" type="Dummy"/>"#).unwrap();
        let (code, failed) = create(0, Some("resources"), Some(&p), &mut c).unwrap_err();
        assert_eq!(code, rc::EEXIST);
        assert_eq!(failed.unwrap().first_element().unwrap().attr("reason"), Some("File exists"));
        let p2 = parse(r#"<primitive id="d2" class="ocf" type="Dummy"/>"#).unwrap();
        assert!(create(0, Some("resources"), Some(&p2), &mut c).is_ok());
    }

    #[test]
    fn delete_matches_all_given_attributes() {
        let mut c = cib();
        let wrong = parse(r#"<primitive id="d1" type="Other"/>"#).unwrap();
        delete(0, Some("resources"), Some(&wrong), &mut c).unwrap();
        assert!(libcrmcommon::xml::to_compact(&c).contains("d1"));
        let right = parse(r#"<primitive id="d1" type="dummy"/>"#).unwrap();
        delete(0, Some("resources"), Some(&right), &mut c).unwrap();
        assert!(!libcrmcommon::xml::to_compact(&c).contains("d1"));
    }

    #[test]
    fn plus_plus_expansion() {
        let mut e = Element::new("x").with_attr("score", "5");
        expand_plus_plus(&mut e, "score", "score++");
        assert_eq!(e.attr("score"), Some("6"));
        expand_plus_plus(&mut e, "score", "score+=INFINITY");
        assert_eq!(e.attr("score"), Some("1000000"));
        let mut f = Element::new("y").with_attr("v", "v+=3");
        fix_plus_plus(&mut f);
        assert_eq!(f.attr("v"), Some("3"));
    }

    #[test]
    fn replace_refuses_older_cib() {
        let current = cib();
        let mut scratch = current.clone();
        let older = parse(r#"<cib epoch="0" num_updates="5" admin_epoch="0"/>"#).unwrap();
        assert_eq!(replace(0, None, None, Some(&older), &current, &mut scratch).unwrap_err().0, rc::OLD_DATA);
        let newer = parse(r#"<cib epoch="7" num_updates="0" admin_epoch="0"><configuration/></cib>"#).unwrap();
        assert!(replace(0, None, None, Some(&newer), &current, &mut scratch).is_ok());
        assert_eq!(scratch.attr("epoch"), Some("7"));
    }
}
