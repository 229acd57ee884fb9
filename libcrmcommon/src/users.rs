//! The cluster's users and groups: who may talk to the daemons.
//!
//! Pacemaker admits root, the cluster user `hacluster` and members of the `haclient` group;
//! everyone else is shut out (locally through the IPC ring permissions, see `ipc::server`).

use std::ffi::{CStr, CString};

pub const CLUSTER_USER: &str = "hacluster";
pub const CLUSTER_GROUP: &str = "haclient";

/// uid and primary gid of a user, if it exists.
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: getpwnam_r writes into our zeroed passwd and buffer only.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(cname.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() {
            return None;
        }
        Some((pwd.pw_uid, pwd.pw_gid))
    }
}

/// Name of the user with this uid.
pub fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: getpwuid_r writes into our zeroed passwd and buffer only.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned())
    }
}

pub fn group_id(name: &str) -> Option<u32> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 64 * 1024];
    // SAFETY: getgrnam_r writes into our zeroed group and buffer only.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = libc::getgrnam_r(cname.as_ptr(), &mut grp, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() {
            return None;
        }
        Some(grp.gr_gid)
    }
}

/// Every group the user belongs to (primary and supplementary), by gid.
pub fn groups_of(user: &str) -> Vec<u32> {
    let Some((_, primary)) = user_ids(user) else { return Vec::new() };
    let Ok(cname) = CString::new(user) else { return Vec::new() };
    let mut n: libc::c_int = 64;
    loop {
        let mut gids = vec![0 as libc::gid_t; n as usize];
        // SAFETY: gids has room for n entries; getgrouplist updates n.
        let rc = unsafe { libc::getgrouplist(cname.as_ptr(), primary, gids.as_mut_ptr(), &mut n) };
        if rc >= 0 {
            gids.truncate(n as usize);
            return gids;
        }
        if n > 65536 {
            return vec![primary];
        }
        n = n.saturating_mul(2).max(128);
    }
}

/// The ids daemons need for access decisions, looked up once at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterIds {
    pub hacluster_uid: Option<u32>,
    pub hacluster_gid: Option<u32>,
    pub haclient_gid: Option<u32>,
}

impl ClusterIds {
    pub fn lookup() -> Self {
        let user = user_ids(CLUSTER_USER);
        ClusterIds {
            hacluster_uid: user.map(|u| u.0),
            hacluster_gid: user.map(|u| u.1),
            haclient_gid: group_id(CLUSTER_GROUP),
        }
    }

    /// Root and the cluster user are privileged: they bypass ACLs and may delegate.
    pub fn is_privileged(&self, uid: u32) -> bool {
        uid == 0 || Some(uid) == self.hacluster_uid
    }

    /// Whether a local client may connect at all.
    pub fn may_connect(&self, uid: u32, gid: u32) -> bool {
        if self.is_privileged(uid) || Some(gid) == self.haclient_gid {
            return true;
        }
        let Some(haclient) = self.haclient_gid else { return false };
        user_name(uid).is_some_and(|name| groups_of(&name).contains(&haclient))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_known_and_privileged() {
        assert_eq!(user_ids("root").map(|u| u.0), Some(0));
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert!(ClusterIds::lookup().is_privileged(0));
        assert!(ClusterIds::lookup().may_connect(0, 0));
        assert!(user_ids("no-such-user-here").is_none());
    }
}
