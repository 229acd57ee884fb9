//! OS group membership for `acl_group` entries.
//!
//! Pacemaker (`pcmk__is_user_in_group`) looks only at a group's explicit member list,
//! not at users' primary groups, so neither do we.

use std::ffi::{CStr, CString};

/// Whether `user` is listed as a member of the OS group `group`.
pub fn user_in_group(user: &str, group: &str) -> bool {
    group_members(group).is_some_and(|members| members.iter().any(|m| m == user))
}

/// The member list of an OS group, or `None` if it does not exist or cannot be read.
pub fn group_members(group: &str) -> Option<Vec<String>> {
    let name = CString::new(group).ok()?;
    let mut buffer: Vec<libc::c_char> = vec![0; 4096];
    loop {
        // SAFETY: all-zero is a valid `struct group` (null pointers, zero gid).
        let mut entry: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the duration of the call and the buffer
        // length is its real size; getgrnam_r only writes within them.
        let rc = unsafe { libc::getgrnam_r(name.as_ptr(), &mut entry, buffer.as_mut_ptr(), buffer.len(), &mut result) };
        if rc == libc::ERANGE && buffer.len() < (1 << 24) {
            buffer.resize(buffer.len() * 4, 0);
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        let mut members = Vec::new();
        let mut cursor = entry.gr_mem;
        if cursor.is_null() {
            return Some(members);
        }
        // SAFETY: on success gr_mem is a NULL-terminated array of NUL-terminated strings
        // stored in `buffer`, which outlives this loop.
        unsafe {
            while !(*cursor).is_null() {
                members.push(CStr::from_ptr(*cursor).to_string_lossy().into_owned());
                cursor = cursor.add(1);
            }
        }
        return Some(members);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_groups_and_odd_names_have_no_members() {
        assert!(!user_in_group("root", "no-such-group-pcmk-rs"));
        assert!(!user_in_group("root", "bad\0name"));
    }

    #[test]
    fn reads_the_group_database() {
        // Every Debian system has group "root"; its member list is normally empty,
        // and root's membership there is only primary, which does not count.
        assert!(group_members("root").is_some());
        assert!(!user_in_group("root", "root"));
    }
}
