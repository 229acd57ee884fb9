//! What Pacemaker derives from a systemd agent name without asking systemd: the unit name,
//! the drop-in override file, how a unit's `ActiveState` maps to a result, and the
//! meta-data it generates for a unit.

use crate::result::ActionResult;
use liblrmd::protocol::{exec_status, ocf};
use std::path::PathBuf;

/// The unit types Pacemaker manages as resources.
const MANAGED_SUFFIXES: [&str; 5] = [".service", ".socket", ".mount", ".timer", ".path"];

/// Where the drop-in overrides for managed units go.
pub const OVERRIDE_ROOT: &str = "/run/systemd/system";

/// The managed suffix `name` ends with (from its last dot), if any.
fn managed_suffix(name: &str) -> Option<&str> {
    let dot = name.rfind('.')?;
    let suffix = &name[dot..];
    MANAGED_SUFFIXES.contains(&suffix).then_some(suffix)
}

/// The full unit name for agent `name`: `.service` is added when it has no managed suffix.
/// A template (`name@` before the suffix) gets the instance `pacemaker` when it has a
/// suffix, or when `add_instance` is set (looking a unit up rather than acting on it).
pub fn unit_name(name: &str, add_instance: bool) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    if let Some(suffix) = managed_suffix(name) {
        let stem = &name[..name.len() - suffix.len()];
        if stem.ends_with('@') {
            return Some(format!("{stem}pacemaker{suffix}"));
        }
        return Some(name.to_owned());
    }
    if add_instance && name.ends_with('@') {
        return Some(format!("{name}pacemaker.service"));
    }
    Some(format!("{name}.service"))
}

/// The drop-in directory for agent `agent` (Pacemaker always uses `<agent>.service.d`,
/// whatever the agent's own suffix).
pub fn override_dir(agent: &str) -> PathBuf {
    PathBuf::from(format!("{OVERRIDE_ROOT}/{agent}.service.d"))
}

pub fn override_file(agent: &str) -> PathBuf {
    override_dir(agent).join("50-pacemaker.conf")
}

/// The drop-in written before a start: it orders the unit before Pacemaker, so that at
/// shutdown systemd stops the unit only after the cluster has, and disables restarts by
/// systemd itself.
pub fn override_text(agent: &str) -> String {
    format!(
        "[Unit]\nDescription=Cluster Controlled {agent}\n\
         Before=pacemaker.service pacemaker_remote.service\n\n\
         [Service]\nRestart=no\n\n"
    )
}

/// The result of a status check from the unit's `ActiveState`: a unit still changing
/// state is "pending" (which makes a start or stop check again); any state but active
/// is "not running", with the state as exit reason.
pub fn result_from_active_state(state: &str) -> ActionResult {
    match state {
        "active" | "reloading" => ActionResult::new(ocf::OK, exec_status::DONE, None),
        "activating" | "deactivating" => {
            ActionResult::new(ocf::UNKNOWN, exec_status::PENDING, None)
        }
        other => ActionResult::new(ocf::NOT_RUNNING, exec_status::DONE, Some(other.to_owned())),
    }
}

/// Escapes text as Pacemaker's `crm_xml_escape` does, including its quirks: tabs become
/// four spaces, newlines `\n`, other unprintable bytes octal escapes, and escaping stops
/// altogether at the first multi-byte UTF-8 sequence.
pub fn escape_description(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    for (index, &byte) in bytes.iter().enumerate() {
        let next = bytes.get(index + 1).copied().unwrap_or(0);
        if byte & 0x80 != 0 && next & 0x80 != 0 {
            out.extend_from_slice(&bytes[index..]);
            break;
        }
        match byte {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&apos;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'\t' => out.extend_from_slice(b"    "),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b' '..=b'~' => out.push(byte),
            // C formats the (signed) char as unsigned octal: high bytes come out as
            // 32-bit two's complement.
            other => {
                let value = other as i8 as i32 as u32;
                out.extend_from_slice(format!("\\{value:03o}").as_bytes());
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The meta-data Pacemaker generates for a unit; `description` is the unit's
/// `Description` (`None` when it could not be read, printed as C prints a null string).
pub fn metadata(agent: &str, description: Option<&str>) -> String {
    let description = description.map_or_else(|| "(null)".to_owned(), escape_description);
    format!(
        "<?xml version=\"1.0\"?>\n\
         <!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n\
         <resource-agent name=\"{agent}\" version=\"0.1\">\n  \
         <version>1.1</version>\n  \
         <longdesc lang=\"en\">\n    {description}\n  </longdesc>\n  \
         <shortdesc lang=\"en\">systemd unit file for {agent}</shortdesc>\n  \
         <parameters/>\n  \
         <actions>\n    \
         <action name=\"start\"     timeout=\"100\" />\n    \
         <action name=\"stop\"      timeout=\"100\" />\n    \
         <action name=\"status\"    timeout=\"100\" />\n    \
         <action name=\"monitor\"   timeout=\"100\" interval=\"60\"/>\n    \
         <action name=\"meta-data\" timeout=\"5\"   />\n  \
         </actions>\n  \
         <special tag=\"systemd\"/>\n\
         </resource-agent>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_are_completed() {
        assert_eq!(unit_name("sshd", false).as_deref(), Some("sshd.service"));
        assert_eq!(unit_name("a.socket", false).as_deref(), Some("a.socket"));
        assert_eq!(unit_name("a.b", false).as_deref(), Some("a.b.service"));
        assert_eq!(
            unit_name("getty@", false).as_deref(),
            Some("getty@.service")
        );
        assert_eq!(
            unit_name("getty@", true).as_deref(),
            Some("getty@pacemaker.service")
        );
        assert_eq!(
            unit_name("getty@.service", false).as_deref(),
            Some("getty@pacemaker.service")
        );
        assert_eq!(
            unit_name("getty@tty1", false).as_deref(),
            Some("getty@tty1.service")
        );
        assert_eq!(unit_name("", false), None);
    }

    #[test]
    fn override_is_what_pacemaker_writes() {
        assert_eq!(
            override_file("web").display().to_string(),
            "/run/systemd/system/web.service.d/50-pacemaker.conf"
        );
        assert_eq!(
            override_text("web"),
            "[Unit]\nDescription=Cluster Controlled web\nBefore=pacemaker.service pacemaker_remote.service\n\n[Service]\nRestart=no\n\n"
        );
    }

    #[test]
    fn active_states_map_as_in_pacemaker() {
        let code = |s: &str| {
            let r = result_from_active_state(s);
            (r.exit_status, r.exec_status, r.exit_reason)
        };
        assert_eq!(code("active"), (0, 0, None));
        assert_eq!(code("reloading"), (0, 0, None));
        assert_eq!(code("activating"), (193, -1, None));
        assert_eq!(code("deactivating"), (193, -1, None));
        assert_eq!(code("inactive"), (7, 0, Some("inactive".into())));
        assert_eq!(code("failed"), (7, 0, Some("failed".into())));
    }

    #[test]
    fn descriptions_are_escaped_like_crm_xml_escape() {
        assert_eq!(
            escape_description("a<b>&\"'"),
            "a&lt;b&gt;&amp;&quot;&apos;"
        );
        assert_eq!(escape_description("x\ty\nz\u{1}"), "x    y\\nz\\001");
        assert_eq!(escape_description("é<"), "é<");
    }

    #[test]
    fn metadata_is_pacemakers_text() {
        let expected = concat!(
            "<?xml version=\"1.0\"?>\n",
            "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n",
            "<resource-agent name=\"web\" version=\"0.1\">\n",
            "  <version>1.1</version>\n",
            "  <longdesc lang=\"en\">\n",
            "    Web &amp; co\n",
            "  </longdesc>\n",
            "  <shortdesc lang=\"en\">systemd unit file for web</shortdesc>\n",
            "  <parameters/>\n",
            "  <actions>\n",
            "    <action name=\"start\"     timeout=\"100\" />\n",
            "    <action name=\"stop\"      timeout=\"100\" />\n",
            "    <action name=\"status\"    timeout=\"100\" />\n",
            "    <action name=\"monitor\"   timeout=\"100\" interval=\"60\"/>\n",
            "    <action name=\"meta-data\" timeout=\"5\"   />\n",
            "  </actions>\n",
            "  <special tag=\"systemd\"/>\n",
            "</resource-agent>\n",
        );
        assert_eq!(metadata("web", Some("Web & co")), expected);
        assert!(metadata("web", None).contains("\n    (null)\n"));
    }
}
