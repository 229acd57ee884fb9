//! CIB access control lists, with Pacemaker 2.1.5's semantics (lib/common/acl.c).
//!
//! ACLs restrict a user only when the user is not privileged (`root`, `hacluster` and
//! the empty user are) and the CIB's `enable-acl` cluster option is true. A restricted
//! user's rules come from `acl_target`/`acl_user` entries naming them and `acl_group`
//! entries for OS groups listing them, with roles expanded; a restricted user without
//! rules can neither read nor write anything.
//!
//! - [`AclContext::filter_readable`]: what a query returns (`xml_acl_filtered_copy`).
//! - [`AclContext::check_write`], [`AclContext::check_replace`]: whether a change is
//!   allowed (-EACCES otherwise).
//! - [`AclContext::access`]: per-element access as `cibadmin --show-access` displays it.
//!   cibadmin computes that client side from a full CIB query (made as the invoking,
//!   normally privileged, user), so the server needs nothing beyond a normal query;
//!   this is for our own tools and tests.

mod flags;
mod groups;
mod options;
mod read;
mod rules;
mod write;

pub use groups::{group_members, user_in_group};
pub use rules::{AclRule, Permission};
pub use write::AclDenied;

use crate::xml::Element;
use flags::{walk_grants, MarkTree, Marks};
use write::ChangeKind;

/// The user Pacemaker's daemons run as.
pub const DAEMON_USER: &str = "hacluster";

/// Whether ACLs can apply to `user` at all (Pacemaker's `pcmk_acl_required`).
pub fn acl_required(user: &str) -> bool {
    !(user.is_empty() || user == DAEMON_USER || user == "root")
}

/// Whether `user` is one of the users Pacemaker trusts to act for others.
pub fn is_privileged(user: &str) -> bool {
    user == DAEMON_USER || user == "root"
}

/// The user a daemon should check a request's ACLs against (Pacemaker's
/// `pcmk__update_acl_user`), given the daemon's own user, the IPC peer's user if known,
/// and the user the request names (its `acl_target` attribute, else the daemon's legacy
/// user field such as `cib_user`). Unprivileged daemons and peers act as themselves;
/// privileged peers may delegate to the requested user. The daemon should then write
/// the result into the request's `acl_target` (and legacy field).
pub fn effective_request_user<'a>(own_user: &'a str, peer_user: Option<&'a str>, requested_user: Option<&'a str>) -> &'a str {
    if !is_privileged(own_user) {
        return own_user;
    }
    match (peer_user, requested_user) {
        (None, None) => own_user,
        (None, Some(requested)) => requested,
        (Some(peer), _) if !is_privileged(peer) => peer,
        (Some(peer), None) => peer,
        (Some(_), Some(requested)) => requested,
    }
}

/// Pacemaker's `crm_is_true`.
fn is_true(value: &str) -> bool {
    ["true", "on", "yes", "y", "1"].iter().any(|t| value.eq_ignore_ascii_case(t))
}

/// Whether the CIB's `enable-acl` cluster option is true (see `options` for how the
/// property sets are read).
pub fn acls_enabled(cib: &Element) -> bool {
    options::cluster_option(cib, "enable-acl").is_some_and(is_true)
}

/// How a user may access one element (attributes and comments share their element's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Denied,
    Readable,
    Writable,
}

/// A user's ACLs, unpacked from a CIB.
#[derive(Debug, Clone)]
pub struct AclContext {
    user: String,
    /// `None`: unrestricted. `Some(rules)`: restricted to these rules (possibly none).
    rules: Option<Vec<AclRule>>,
}

impl AclContext {
    /// The ACLs that apply to `user` for requests against `cib`, honouring
    /// `enable-acl` and using the OS group database for `acl_group`.
    pub fn for_user(cib: &Element, user: &str) -> AclContext {
        Self::for_user_with_groups(cib, user, &|group| user_in_group(user, group))
    }

    /// Like [`for_user`](Self::for_user) with a caller-supplied group membership test.
    pub fn for_user_with_groups(cib: &Element, user: &str, is_member: &dyn Fn(&str) -> bool) -> AclContext {
        if !acls_enabled(cib) {
            return AclContext::unrestricted(user);
        }
        Self::ignoring_enable_acl(cib, user, is_member)
    }

    /// The user's ACLs whether or not `enable-acl` is set, as `cibadmin --show-access`
    /// evaluates them.
    pub fn ignoring_enable_acl(cib: &Element, user: &str, is_member: &dyn Fn(&str) -> bool) -> AclContext {
        if !acl_required(user) {
            return AclContext::unrestricted(user);
        }
        AclContext { user: user.to_string(), rules: Some(rules::rules_for_user(cib, user, is_member)) }
    }

    pub fn unrestricted(user: &str) -> AclContext {
        AclContext { user: user.to_string(), rules: None }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn is_restricted(&self) -> bool {
        self.rules.is_some()
    }

    /// The rules in application order (empty when unrestricted).
    pub fn rules(&self) -> &[AclRule] {
        self.rules.as_deref().unwrap_or(&[])
    }

    /// What the user may read of `doc`: a copy with denied elements and attributes
    /// removed, or `None` if nothing is readable (Pacemaker answers -EACCES then).
    /// Pacemaker filters the whole CIB this way and then runs the query (section,
    /// XPath) on the filtered copy; it also answers failed writes with the filtered
    /// copy of the rejected result.
    pub fn filter_readable(&self, doc: &Element) -> Option<Element> {
        match &self.rules {
            None => Some(doc.clone()),
            Some(rules) => read::filtered_copy(doc, rules),
        }
    }

    /// Whether the user may change `old` into `new` by editing it in place (modify,
    /// create, delete, patch requests). Call it on the change the client asked for,
    /// before the server's own updates (version counters, digests).
    pub fn check_write(&self, old: &Element, new: &Element) -> Result<(), AclDenied> {
        self.check(old, new, ChangeKind::InPlace)
    }

    /// Like [`check_write`](Self::check_write) for a replace request, where the element
    /// at `replaced` (a path in `new`; empty for the whole CIB) was swapped for the
    /// client's copy. Pacemaker then judges that subtree by the rules' matches in the
    /// new document, so the outcome can differ from an equivalent in-place edit.
    pub fn check_replace(&self, old: &Element, new: &Element, replaced: &[usize]) -> Result<(), AclDenied> {
        self.check(old, new, ChangeKind::Replaced(replaced))
    }

    fn check(&self, old: &Element, new: &Element, kind: ChangeKind<'_>) -> Result<(), AclDenied> {
        match &self.rules {
            None => Ok(()),
            Some(rules) => write::check(&self.user, rules, old, new, kind),
        }
    }

    /// Every element's access, as child-index paths in document order.
    pub fn access(&self, doc: &Element) -> Vec<(Vec<usize>, Access)> {
        let mut out = Vec::new();
        let marks = self.rules.as_ref().map(|rules| MarkTree::for_document(doc, rules));
        let mut stack: Vec<(Vec<usize>, &Element)> = vec![(Vec::new(), doc)];
        while let Some((path, element)) = stack.pop() {
            let access = match &marks {
                None => Access::Writable,
                Some(marks) => {
                    let chain = marks.chain(&path);
                    if !walk_grants(&chain, Marks::grants_read) {
                        Access::Denied
                    } else if !walk_grants(&chain, Marks::grants_write) {
                        Access::Readable
                    } else {
                        Access::Writable
                    }
                }
            };
            for (i, child) in element.children.iter().enumerate().rev() {
                if let Some(child) = child.as_element() {
                    let mut child_path = path.clone();
                    child_path.push(i);
                    stack.push((child_path, child));
                }
            }
            out.push((path, access));
        }
        out
    }
}

#[cfg(test)]
mod tests;
