//! Daemon options from the environment (`PCMK_<name>`, or the legacy `HA_<name>`).

/// Value of `PCMK_<name>` or, failing that, `HA_<name>`; empty values count as unset.
pub fn env_option(name: &str) -> Option<String> {
    [format!("PCMK_{name}"), format!("HA_{name}")]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
}

/// Pacemaker's boolean spelling: yes/true/on/y/1 (case-insensitive).
pub fn is_true(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "y" | "1")
}

pub fn env_is_true(name: &str) -> bool {
    env_option(name).is_some_and(|v| is_true(&v))
}
