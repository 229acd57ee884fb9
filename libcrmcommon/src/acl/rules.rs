//! Reading a user's ACL rules out of the CIB's `<acls>` section, the way Pacemaker 2.1.5
//! unpacks them: every `acl_target` (or legacy `acl_user`) naming the user and every
//! `acl_group` the user belongs to contributes its permissions in document order, with
//! `role` (legacy `role_ref`) references expanded in place.

use crate::xml::xpath::XPath;
use crate::xml::{xpath, Element};

/// What an ACL rule grants on the elements it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
    Deny,
}

impl Permission {
    fn parse(kind: &str) -> Option<Permission> {
        match kind {
            "read" => Some(Permission::Read),
            "write" => Some(Permission::Write),
            "deny" => Some(Permission::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Deny => "deny",
        }
    }
}

/// One unpacked permission: a mode and the XPath selecting what it applies to.
#[derive(Debug, Clone)]
pub struct AclRule {
    pub permission: Permission,
    /// The XPath as configured, or as built from `object-type`/`reference`/`attribute`.
    pub xpath: String,
    /// `None` when the XPath does not compile; such a rule matches nothing, as a failed
    /// libxml2 search matches nothing in Pacemaker.
    pub(super) compiled: Option<XPath>,
}

impl AclRule {
    pub fn new(permission: Permission, xpath: String) -> AclRule {
        let compiled = match XPath::compile(&xpath) {
            Ok(compiled) => Some(compiled),
            Err(e) => {
                tracing::warn!("ACL {} rule with XPath {xpath:?} matches nothing: {e}", permission.as_str());
                None
            }
        };
        AclRule { permission, xpath, compiled }
    }

    /// Child-index paths of the elements this rule applies to in `doc`.
    pub(super) fn matches(&self, doc: &Element) -> Vec<Vec<usize>> {
        let Some(compiled) = &self.compiled else { return Vec::new() };
        compiled.select(doc).unwrap_or_else(|e| {
            tracing::warn!("ACL XPath {:?} failed: {e}", self.xpath);
            Vec::new()
        })
    }
}

/// Roles may reference roles. Pacemaker recurses without a guard (a cycle crashes it);
/// we skip a role already being expanded and cap the nesting.
const MAX_ROLE_DEPTH: usize = 16;

/// The rules that apply to `user`, in the order Pacemaker applies them.
/// `is_member(group)` says whether the user belongs to an OS group.
pub(super) fn rules_for_user(cib: &Element, user: &str, is_member: &dyn Fn(&str) -> bool) -> Vec<AclRule> {
    let mut rules = Vec::new();
    let Some(acls) = acls_section(cib) else { return rules };
    for entry in acls.elements() {
        let applies = match entry.name.as_str() {
            "acl_target" | "acl_user" => entry_name(entry) == Some(user),
            "acl_group" => entry_name(entry).is_some_and(is_member),
            _ => false,
        };
        if applies {
            unpack_entry(acls, entry, &mut rules, &mut Vec::new());
        }
    }
    rules
}

/// Pacemaker takes the `<acls>` element from `//acls` and ignores ACLs unless exactly
/// one matches.
fn acls_section(cib: &Element) -> Option<&Element> {
    let matches = xpath::select(cib, "//acls").ok()?;
    match matches.as_slice() {
        [only] => cib.at_path(only),
        _ => None,
    }
}

/// Targets and groups are named by `name`, falling back to `id`.
fn entry_name(entry: &Element) -> Option<&str> {
    entry.attr("name").or_else(|| entry.id())
}

/// `expanding` holds the ids of the roles being expanded around this entry.
fn unpack_entry<'a>(acls: &'a Element, entry: &'a Element, rules: &mut Vec<AclRule>, expanding: &mut Vec<&'a str>) {
    for child in entry.elements() {
        let tag = if child.name == "acl_permission" {
            match child.attr("kind") {
                Some(kind) => kind,
                None => {
                    tracing::warn!("Ignoring acl_permission {:?} without kind", child.id());
                    continue;
                }
            }
        } else {
            child.name.as_str()
        };
        if tag == "role" || tag == "role_ref" {
            let Some(role_id) = child.id() else { continue };
            if expanding.contains(&role_id) || expanding.len() >= MAX_ROLE_DEPTH {
                tracing::warn!("Ignoring ACL role {role_id:?}: cyclic or too deeply nested role references");
                continue;
            }
            if let Some(role) = acls.elements().find(|r| r.name == "acl_role" && r.id() == Some(role_id)) {
                expanding.push(role_id);
                unpack_entry(acls, role, rules, expanding);
                expanding.pop();
            }
        } else if let Some(permission) = Permission::parse(tag) {
            match permission_xpath(child) {
                Some(xpath) => rules.push(AclRule::new(permission, xpath)),
                None => {
                    // Pacemaker 2.1.5 loses every rule unpacked so far when a permission
                    // has no selection criteria (the schema forbids such permissions).
                    // Losing rules only ever denies more, so we keep that behaviour.
                    tracing::warn!("ACL permission {:?} selects nothing; dropping earlier rules", child.id());
                    rules.clear();
                }
            }
        } else {
            tracing::warn!("Ignoring unknown ACL element or kind {tag:?}");
        }
    }
}

/// The XPath a permission selects: its `xpath`, or one built from `object-type`,
/// `reference` and `attribute` (with the pre-1.1.12 names `tag` and `ref`).
fn permission_xpath(permission: &Element) -> Option<String> {
    if let Some(xpath) = permission.attr("xpath") {
        return Some(xpath.to_string());
    }
    let tag = permission.attr("object-type").or_else(|| permission.attr("tag"));
    let reference = permission.attr("reference").or_else(|| permission.attr("ref"));
    let attribute = permission.attr("attribute");
    if tag.is_none() && reference.is_none() {
        return None;
    }
    let tag = tag.unwrap_or("*");
    Some(match (reference, attribute) {
        (Some(r), Some(a)) => format!("//{tag}[@id='{r}' and @{a}]"),
        (Some(r), None) => format!("//{tag}[@id='{r}']"),
        (None, Some(a)) => format!("//{tag}[@{a}]"),
        (None, None) => format!("//{tag}"),
    })
}
