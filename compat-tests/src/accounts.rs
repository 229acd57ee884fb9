//! Looks up the numeric ids of the cluster account (hacluster:haclient) from the local
//! account files, so the harness needs no NSS bindings.

use std::fs;
use std::io;

/// The user the CIB manager runs as, and owner of its directories.
pub const CLUSTER_USER: &str = "hacluster";
/// The group of that user; members may read the CIB manager's files.
pub const CLUSTER_GROUP: &str = "haclient";

/// Numeric uid and gid of the cluster user and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterIds {
    pub uid: u32,
    pub gid: u32,
}

impl ClusterIds {
    pub fn lookup() -> io::Result<ClusterIds> {
        let uid = id_in_file("/etc/passwd", CLUSTER_USER)?;
        let gid = id_in_file("/etc/group", CLUSTER_GROUP)?;
        Ok(ClusterIds { uid, gid })
    }
}

/// Third field of the colon-separated line whose first field is `name`.
fn id_in_file(path: &str, name: &str) -> io::Result<u32> {
    let text = fs::read_to_string(path)?;
    id_in_text(&text, name).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{name} not found in {path} (is the pacemaker package installed?)"),
        )
    })
}

fn id_in_text(text: &str, name: &str) -> Option<u32> {
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        fields.nth(1)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::id_in_text;

    #[test]
    fn finds_the_id_of_the_named_entry_only() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nhacluster:x:102:105::/var/lib/pacemaker:/usr/sbin/nologin\n";
        assert_eq!(id_in_text(passwd, "hacluster"), Some(102));
        assert_eq!(id_in_text(passwd, "hacl"), None);
        assert_eq!(id_in_text("haclient:x:105:\n", "haclient"), Some(105));
        assert_eq!(id_in_text("broken\n", "broken"), None);
    }
}
