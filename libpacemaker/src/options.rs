//! Cluster options (crm_config) with Pacemaker 2.1.5's defaults.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoQuorumPolicy {
    Stop,
    Freeze,
    Ignore,
    Demote,
    Suicide,
}

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub raw: HashMap<String, String>,
    pub stonith_enabled: bool,
    pub symmetric_cluster: bool,
    pub no_quorum_policy: NoQuorumPolicy,
    pub stop_orphan_resources: bool,
    pub stop_orphan_actions: bool,
    pub maintenance_mode: bool,
    pub start_failure_is_fatal: bool,
    pub startup_fencing: bool,
    pub startup_probes: bool,
    pub stop_all_resources: bool,
    pub shutdown_lock: bool,
    /// How long a shutdown lock lasts (seconds; 0 for as long as the node
    /// is down).
    pub shutdown_lock_limit_s: i64,
    pub placement_strategy: String,
    pub stonith_action: String,
    pub have_watchdog: bool,
    /// priority-fencing-delay in seconds (0: disabled).
    pub priority_fencing_delay_s: u64,
    pub node_health: crate::health::HealthPolicy,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions::from_map(HashMap::new())
    }
}

/// Pacemaker's boolean parsing (crm_is_true).
/// A boolean as Pacemaker reads one (crm_str_to_boolean): None if it is
/// neither a true nor a false spelling.
pub fn parse_boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

pub fn is_true(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "on" | "yes" | "y" | "1"
    )
}

impl ClusterOptions {
    pub fn from_map(raw: HashMap<String, String>) -> Self {
        let flag = |name: &str, default: bool| raw.get(name).map(|v| is_true(v)).unwrap_or(default);
        let stonith_enabled = flag("stonith-enabled", true);
        let no_quorum_policy = match raw
            .get("no-quorum-policy")
            .map(|s| s.to_ascii_lowercase())
            .as_deref()
        {
            Some("ignore") => NoQuorumPolicy::Ignore,
            Some("freeze") => NoQuorumPolicy::Freeze,
            Some("demote") => NoQuorumPolicy::Demote,
            Some("suicide") if stonith_enabled => NoQuorumPolicy::Suicide,
            _ => NoQuorumPolicy::Stop,
        };
        let mut stonith_action = raw
            .get("stonith-action")
            .cloned()
            .unwrap_or_else(|| "reboot".to_string());
        if stonith_action == "poweroff" {
            stonith_action = "off".to_string();
        }
        ClusterOptions {
            stonith_enabled,
            symmetric_cluster: flag("symmetric-cluster", true),
            no_quorum_policy,
            stop_orphan_resources: flag("stop-orphan-resources", true),
            stop_orphan_actions: flag("stop-orphan-actions", true),
            maintenance_mode: flag("maintenance-mode", false),
            start_failure_is_fatal: flag("start-failure-is-fatal", true),
            // Unseen nodes are only assumed unclean when fencing is possible.
            startup_fencing: stonith_enabled && flag("startup-fencing", true),
            startup_probes: flag("enable-startup-probes", true),
            stop_all_resources: flag("stop-all-resources", false),
            shutdown_lock: flag("shutdown-lock", false),
            shutdown_lock_limit_s: raw
                .get("shutdown-lock-limit")
                .and_then(|v| libcrmcommon::duration::interval_ms(v))
                .map_or(0, |ms| (ms / 1000) as i64),
            placement_strategy: raw
                .get("placement-strategy")
                .cloned()
                .unwrap_or_else(|| "default".to_string()),
            stonith_action,
            have_watchdog: flag("have-watchdog", false),
            priority_fencing_delay_s: raw
                .get("priority-fencing-delay")
                .and_then(|v| libcrmcommon::duration::interval_ms(v))
                .map(|ms| ms / 1000)
                .unwrap_or(0),
            node_health: crate::health::HealthPolicy::from_options(&raw),
            raw,
        }
    }
}
