//! Reading and writing corosync's configuration map (cmap).

use rust_corosync::cmap;

use crate::cluster::types::ClusterError;

use super::auth::require_root_provider;

fn corosync_error(call: &'static str, error: rust_corosync::CsError) -> ClusterError {
    ClusterError::Corosync { call, error: error.to_string() }
}

/// An open cmap connection to the running corosync (checked to be root's).
pub struct CmapConnection {
    handle: cmap::Handle,
}

impl CmapConnection {
    pub fn open() -> Result<Self, ClusterError> {
        let handle = cmap::initialize(cmap::Map::Icmap)
            .map_err(|e| corosync_error("cmap_initialize", e))?;
        let fd = cmap::fd_get(&handle).map_err(|e| corosync_error("cmap_fd_get", e))?;
        require_root_provider(fd, "cmap")?;
        Ok(CmapConnection { handle })
    }

    fn get_string(&self, key: &str) -> Option<String> {
        match cmap::get(&self.handle, key) {
            Ok(cmap::Data::String(value)) => Some(value),
            _ => None,
        }
    }

    fn get_u32(&self, key: &str) -> Option<u32> {
        match cmap::get(&self.handle, key) {
            Ok(cmap::Data::UInt32(value)) => Some(value),
            _ => None,
        }
    }

    /// The configured name of node `node_id`, found as Pacemaker's
    /// `pcmk__corosync_name()` does: walk `nodelist.node.<i>.nodeid` from 0
    /// until a key is missing; for the matching entry take `.name`, else
    /// `.ring0_addr` unless that is an IP address.
    pub fn node_name(&self, node_id: u32) -> Option<String> {
        self.nodelist().into_iter().find(|entry| entry.node_id == node_id).and_then(|e| e.name)
    }

    /// Every `nodelist.node.<i>` entry, in index order.
    pub fn nodelist(&self) -> Vec<NodelistEntry> {
        let mut entries = Vec::new();
        for index in 0.. {
            let Some(node_id) = self.get_u32(&format!("nodelist.node.{index}.nodeid")) else {
                break;
            };
            let name = self
                .get_string(&format!("nodelist.node.{index}.name"))
                .or_else(|| {
                    self.get_string(&format!("nodelist.node.{index}.ring0_addr"))
                        .filter(|addr| usable_as_node_name(addr))
                });
            entries.push(NodelistEntry { node_id, name });
        }
        entries
    }

    /// `totem.cluster_name`, if set.
    pub fn cluster_name(&self) -> Option<String> {
        self.get_string("totem.cluster_name")
    }

    /// Let members of group `gid` use corosync's IPC (`uidgid.gid.<gid>` = 1),
    /// as pacemakerd does for haclient before starting daemons that run as
    /// hacluster. Needs root.
    pub fn authorize_group(&self, gid: u32) -> Result<(), ClusterError> {
        cmap::set_u8(&self.handle, &format!("uidgid.gid.{gid}"), 1)
            .map_err(|e| corosync_error("cmap_set_uint8", e))
    }
}

/// One node of corosync's configured node list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodelistEntry {
    pub node_id: u32,
    pub name: Option<String>,
}

/// Whether a `ring0_addr` value may serve as a node name. Pacemaker rejects
/// anything that scans as four dot-separated integers (IPv4) or contains a
/// colon (IPv6).
fn usable_as_node_name(value: &str) -> bool {
    !(looks_like_ipv4(value) || value.contains(':'))
}

/// Mirrors `sscanf(value, "%d.%d.%d.%d", ...) == 4`: four integers separated
/// by dots at the start of the string, whatever follows.
fn looks_like_ipv4(value: &str) -> bool {
    let mut rest = value.trim_start();
    for part in 0..4 {
        if part > 0 {
            match rest.strip_prefix('.') {
                Some(r) => rest = r.trim_start(),
                None => return false,
            }
        }
        let digits_start = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        let digits = digits_start.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &digits_start[digits..];
    }
    true
}

/// Read `totem.cluster_name` with a short-lived connection.
pub fn cluster_name() -> Result<Option<String>, ClusterError> {
    Ok(CmapConnection::open()?.cluster_name())
}

/// Set `uidgid.gid.<gid>` = 1 with a short-lived connection.
pub fn authorize_group(gid: u32) -> Result<(), ClusterError> {
    CmapConnection::open()?.authorize_group(gid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_like_ring0_values_are_not_names() {
        assert!(!usable_as_node_name("127.0.0.1"));
        assert!(!usable_as_node_name("10.213.0.1"));
        assert!(!usable_as_node_name("fe80::1"));
        assert!(usable_as_node_name("node1"));
        assert!(usable_as_node_name("node1.example.com"));
        assert!(usable_as_node_name("1.2.3"));
    }
}
