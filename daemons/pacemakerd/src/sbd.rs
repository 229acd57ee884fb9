//! Detecting sbd (the storage-based death / watchdog daemon), whose presence pacemakerd
//! reports to the subdaemons as `PCMK_watchdog` and which may gate the start-up.

use crate::liveness::{self, PidCheck};
use std::path::Path;

const PID_FILE: &str = "/run/sbd.pid";
const BINARY: &str = "/usr/sbin/sbd";

/// The PID of a running sbd: from its PID file when that names a live sbd, else by
/// process name.
pub fn locate() -> Option<i32> {
    let from_file = std::fs::read_to_string(PID_FILE)
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok())
        .filter(|pid| liveness::pid_active(*pid, Path::new(BINARY)) == PidCheck::Active);
    let pid = from_file.or_else(|| liveness::pid_of("sbd"));
    match pid {
        Some(pid) => tracing::debug!(function = "pcmk__locate_sbd", "SBD detected at pid {}", pid),
        None => tracing::trace!(function = "pcmk__locate_sbd", "SBD not detected"),
    }
    pid
}

/// `SBD_SYNC_RESOURCE_STARTUP`: whether sbd and pacemakerd synchronise start-up and
/// shutdown (off unless set; Debian builds Pacemaker with that default).
pub fn sync_resource_startup() -> bool {
    match std::env::var("SBD_SYNC_RESOURCE_STARTUP") {
        Err(_) => false,
        Ok(value) => match parse_boolean(&value) {
            Some(b) => b,
            None => {
                tracing::warn!(
                    function = "pcmk__get_sbd_sync_resource_startup", "Defaulting to no start-up synchronization with sbd because environment value '{}' is invalid",
                    value
                );
                false
            }
        },
    }
}

fn parse_boolean(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn booleans() {
        assert_eq!(super::parse_boolean("Yes"), Some(true));
        assert_eq!(super::parse_boolean("0"), Some(false));
        assert_eq!(super::parse_boolean("maybe"), None);
    }
}
