//! Checking that a corosync service is provided by root.

use std::os::fd::RawFd;

use crate::cluster::types::ClusterError;

/// Credentials of the process at the other end of a unix socket.
fn peer_credentials(fd: RawFd) -> Result<libc::ucred, ClusterError> {
    let mut credentials = libc::ucred { pid: 0, uid: u32::MAX, gid: u32::MAX };
    let mut length = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `credentials` and `length` are valid for writes of the sizes
    // given; the kernel validates `fd`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut credentials as *mut libc::ucred).cast(),
            &mut length,
        )
    };
    if rc != 0 {
        return Err(ClusterError::Io(format!(
            "SO_PEERCRED: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(credentials)
}

/// Refuse a corosync connection whose server is not root, as Pacemaker does
/// (`crm_ipc_is_authentic_process(fd, 0, 0, ...)`) for CPG, cmap and quorum.
pub(super) fn require_root_provider(fd: RawFd, service: &'static str) -> Result<(), ClusterError> {
    let credentials = peer_credentials(fd)?;
    if credentials.uid != 0 && credentials.gid != 0 {
        return Err(ClusterError::Corosync {
            call: service,
            error: format!(
                "provider is not authentic: process {} (uid {}, gid {})",
                credentials.pid, credentials.uid, credentials.gid
            ),
        });
    }
    Ok(())
}
