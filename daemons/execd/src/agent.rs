//! How each agent class is run: where the agent is, its arguments and environment, and how
//! its exit status maps to an OCF result.

use crate::result::ActionResult;
use liblrmd::protocol::{class, exec_status, lsb, nagios, ocf};
use std::path::{Path, PathBuf};

/// A resource's agent, as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpec {
    pub class: String,
    pub provider: Option<String>,
    pub agent: String,
}

/// What carries an action out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The agent is a program run as a child process.
    Process,
    /// The agent is a systemd unit, acted on over D-Bus. With `service_fallback` (class
    /// `service` without an LSB script) systemd must know the unit, else the action runs
    /// the LSB script at `path` after all.
    Systemd { service_fallback: bool },
}

/// Everything needed to run an action of an agent.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub runner: Runner,
    pub path: PathBuf,
    pub args: Vec<String>,
    /// Added to the executor's own environment.
    pub env: Vec<(String, String)>,
    /// The class the agent runs as (`service` resolved to `lsb`).
    pub class: String,
    /// The action name given to the agent (e.g. `status` for an LSB monitor).
    pub agent_action: String,
    /// Run as this uid/gid (alert agents run as the cluster user), when the executor is root.
    pub user: Option<(u32, u32)>,
}

/// The exit reason when CIB secrets cannot be loaded.
const SECRETS_REASON: &str = "Unable to load CIB secrets";

/// The action name the agent is given: LSB-style classes (and systemd, which Pacemaker
/// gives the same capabilities) call their monitor `status`.
pub fn agent_action_name(agent_class: &str, action: &str) -> String {
    let status_class =
        class::monitor_is_status(agent_class) || agent_class.eq_ignore_ascii_case(class::SYSTEMD);
    if action.eq_ignore_ascii_case("monitor") && status_class {
        "status".to_owned()
    } else {
        action.to_owned()
    }
}

/// The class `service` means an LSB script when one exists, else a systemd unit if systemd
/// knows it (asked over D-Bus when the action runs), else LSB again.
fn resolve_service_class(agent: &str) -> &'static str {
    if std::fs::metadata(lsb_path(agent)).is_ok() {
        class::LSB
    } else {
        class::SYSTEMD
    }
}

/// `agent` itself when absolute, else inside `dir` (Pacemaker's `pcmk__full_path`).
fn full_path(agent: &str, dir: &str) -> PathBuf {
    if agent.starts_with('/') {
        PathBuf::from(agent)
    } else {
        Path::new(dir).join(agent)
    }
}

fn lsb_path(agent: &str) -> PathBuf {
    full_path(agent, lsb::INIT_DIR)
}

/// A nagios plugin's arguments: `--version` for a probe, else every parameter as
/// `--name value` except Pacemaker's own (`crm_feature_set`, `CRM_meta_*`).
fn nagios_args(action: &str, interval_ms: u32, params: &[(String, String)]) -> Vec<String> {
    if action.eq_ignore_ascii_case("monitor") && interval_ms == 0 {
        return vec!["--version".to_owned()];
    }
    params
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("crm_feature_set") && !k.contains("CRM_meta_"))
        .flat_map(|(k, v)| [format!("--{k}"), v.clone()])
        .collect()
}

/// Works out how to run `action` of `spec` for resource `rsc_id`, or the result to report
/// at once when it cannot be run (missing agent, unsupported class). `params` includes the
/// `CRM_meta_*` ones.
pub fn prepare(
    rsc_id: &str,
    spec: &AgentSpec,
    action: &str,
    interval_ms: u32,
    params: &[(String, String)],
) -> Result<Invocation, ActionResult> {
    let mut agent_class = spec.class.to_ascii_lowercase();
    let is_service = agent_class == class::SERVICE;
    if is_service {
        agent_class = resolve_service_class(&spec.agent).to_owned();
    }
    let agent_action = agent_action_name(&agent_class, action);
    let missing_provider =
        agent_class == class::OCF && spec.provider.as_deref().unwrap_or_default().is_empty();
    if spec.agent.is_empty() || action.is_empty() || missing_provider {
        return Err(ActionResult::new(
            generic_error(&agent_class, &agent_action),
            exec_status::ERROR_FATAL,
            Some("Required agent or action information missing".into()),
        ));
    }
    match agent_class.as_str() {
        class::OCF => {
            let provider = spec.provider.as_deref().unwrap_or_default();
            let path = Path::new(ocf::RESOURCE_DIR)
                .join(provider)
                .join(&spec.agent);
            // Pacemaker only checks existence here; a path component that escapes the
            // resource directory is refused outright.
            if provider.contains('/')
                || spec.agent.contains('/')
                || std::fs::metadata(&path).is_err()
            {
                return Err(not_installed(
                    &agent_class,
                    &agent_action,
                    &spec.agent,
                    libc::ENOENT,
                ));
            }
            let mut params = params.to_vec();
            if let Err(why) = crate::secrets::substitute(rsc_id, &mut params) {
                if action.eq_ignore_ascii_case("stop") {
                    tracing::info!("Proceeding with stop operation for {} despite being unable to load CIB secrets ({})", rsc_id, why);
                } else {
                    tracing::error!(
                        "Considering {} unconfigured because unable to load CIB secrets: {}",
                        rsc_id,
                        why
                    );
                    // Pacemaker's agent child exits with "invalid parameter" and this reason.
                    let mut result = ActionResult::new(
                        ocf::INVALID_PARAM,
                        exec_status::DONE,
                        Some(SECRETS_REASON.into()),
                    );
                    result.stderr = Some(format!("{}{SECRETS_REASON}\n", ocf::EXIT_REASON_PREFIX));
                    return Err(result);
                }
            }
            let params = params.as_slice();
            Ok(Invocation {
                runner: Runner::Process,
                path,
                args: vec![agent_action.clone()],
                env: ocf_environment(rsc_id, spec, params),
                class: agent_class,
                agent_action,
                user: None,
            })
        }
        class::LSB => Ok(Invocation {
            runner: Runner::Process,
            path: lsb_path(&spec.agent),
            args: vec![agent_action.clone()],
            env: Vec::new(),
            class: agent_class,
            agent_action,
            user: None,
        }),
        class::NAGIOS => Ok(Invocation {
            runner: Runner::Process,
            path: full_path(&spec.agent, nagios::PLUGIN_DIR),
            args: nagios_args(action, interval_ms, params),
            env: Vec::new(),
            class: agent_class,
            agent_action,
            user: None,
        }),
        // For class `service`, the LSB form is kept in case systemd does not know the unit.
        class::SYSTEMD => Ok(Invocation {
            runner: Runner::Systemd {
                service_fallback: is_service,
            },
            path: lsb_path(&spec.agent),
            args: vec![agent_action_name(class::LSB, action)],
            env: Vec::new(),
            class: agent_class,
            agent_action,
            user: None,
        }),
        _ => {
            tracing::info!("Unknown resource standard: {}", spec.class);
            Err(not_installed(
                &agent_class,
                &agent_action,
                &spec.agent,
                libc::ENOENT,
            ))
        }
    }
}

/// The variables Pacemaker gives an OCF agent: every parameter as `OCF_RESKEY_<name>`
/// (except `OCF_CHECK_LEVEL`, given as is), then the fixed OCF ones.
fn ocf_environment(
    rsc_id: &str,
    spec: &AgentSpec,
    params: &[(String, String)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| !name.is_empty() && !name.contains('=') && !name.contains('\0'))
        .filter(|(_, value)| !value.contains('\0'))
        .map(|(name, value)| {
            let key = if name == "OCF_CHECK_LEVEL" {
                name.clone()
            } else {
                format!("OCF_RESKEY_{name}")
            };
            (key, value.clone())
        })
        .collect();
    env.push(("OCF_RA_VERSION_MAJOR".into(), ocf::API_MAJOR.into()));
    env.push(("OCF_RA_VERSION_MINOR".into(), ocf::API_MINOR.into()));
    env.push(("OCF_ROOT".into(), ocf::ROOT.into()));
    env.push((
        "OCF_EXIT_REASON_PREFIX".into(),
        ocf::EXIT_REASON_PREFIX.into(),
    ));
    env.push(("OCF_RESOURCE_INSTANCE".into(), rsc_id.to_owned()));
    env.push(("OCF_RESOURCE_TYPE".into(), spec.agent.clone()));
    if let Some(provider) = &spec.provider {
        env.push(("OCF_RESOURCE_PROVIDER".into(), provider.clone()));
    }
    env
}

/// The class's exit status for "generic error" (LSB status has its own).
pub fn generic_error(agent_class: &str, agent_action: &str) -> i32 {
    if agent_class == class::NAGIOS {
        return nagios::STATE_UNKNOWN;
    }
    if agent_class == class::LSB && agent_action.eq_ignore_ascii_case("status") {
        lsb::STATUS_UNKNOWN
    } else {
        ocf::UNKNOWN_ERROR
    }
}

fn not_installed_code(agent_class: &str, agent_action: &str) -> i32 {
    if agent_class == class::NAGIOS {
        return nagios::STATE_UNKNOWN;
    }
    if agent_class == class::LSB && agent_action.eq_ignore_ascii_case("status") {
        lsb::STATUS_NOT_INSTALLED
    } else {
        ocf::NOT_INSTALLED
    }
}

fn authorization_code(agent_class: &str, agent_action: &str) -> i32 {
    if agent_class == class::NAGIOS {
        return nagios::INSUFFICIENT_PRIV;
    }
    if agent_class == class::LSB && agent_action.eq_ignore_ascii_case("status") {
        lsb::STATUS_INSUFFICIENT_PRIV
    } else {
        ocf::INSUFFICIENT_PRIV
    }
}

fn not_installed(agent_class: &str, agent_action: &str, name: &str, errno: i32) -> ActionResult {
    ActionResult::new(
        not_installed_code(agent_class, agent_action),
        exec_status::NOT_INSTALLED,
        Some(format!("{name}: {}", strerror(errno))),
    )
}

/// The result for an agent that could not be started (`errno` from stat, fork or exec),
/// in the class's own exit codes, as Pacemaker reports it.
pub fn exec_error(agent_class: &str, agent_action: &str, name: &str, errno: i32) -> ActionResult {
    match errno {
        libc::ENOENT | libc::EISDIR | libc::ENOTDIR | libc::EINVAL | libc::ENOEXEC => {
            not_installed(agent_class, agent_action, name, errno)
        }
        libc::EACCES | libc::EPERM => ActionResult::new(
            authorization_code(agent_class, agent_action),
            exec_status::ERROR,
            Some(format!("{name}: {}", strerror(errno))),
        ),
        _ => ActionResult::new(
            generic_error(agent_class, agent_action),
            exec_status::ERROR,
            Some(strerror(errno)),
        ),
    }
}

/// The C library's message for `errno` (what Pacemaker puts in exit reasons).
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    // Rust appends " (os error N)"; Pacemaker shows strerror alone.
    match text.rfind(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// Maps an agent's exit status to OCF, for the action the client asked for (`monitor`,
/// not `status`).
pub fn to_ocf(agent_class: &str, action: &str, exit_status: i32) -> i32 {
    if agent_class == class::LSB {
        return lsb_to_ocf(action, exit_status);
    }
    // Pacemaker's systemd actions produce OCF codes (including "pending") directly.
    if agent_class == class::SYSTEMD {
        return exit_status;
    }
    if agent_class == class::NAGIOS {
        return match exit_status {
            nagios::STATE_OK => ocf::OK,
            nagios::INSUFFICIENT_PRIV => ocf::INSUFFICIENT_PRIV,
            nagios::STATE_WARNING => ocf::DEGRADED,
            _ => ocf::UNKNOWN_ERROR,
        };
    }
    match exit_status {
        ocf::DEGRADED | ocf::DEGRADED_PROMOTED => exit_status,
        s if !(0..=ocf::FAILED_PROMOTED).contains(&s) => ocf::UNKNOWN_ERROR,
        s => s,
    }
}

fn lsb_to_ocf(action: &str, exit_status: i32) -> i32 {
    if action != "status" && action != "monitor" {
        // Outside status, LSB and OCF share the codes up to "not running".
        return if (0..=lsb::NOT_RUNNING).contains(&exit_status) {
            exit_status
        } else {
            ocf::UNKNOWN_ERROR
        };
    }
    match exit_status {
        lsb::STATUS_OK => ocf::OK,
        lsb::STATUS_NOT_INSTALLED => ocf::NOT_INSTALLED,
        lsb::STATUS_INSUFFICIENT_PRIV => ocf::INSUFFICIENT_PRIV,
        lsb::STATUS_VAR_PID | lsb::STATUS_VAR_LOCK | lsb::STATUS_NOT_RUNNING => ocf::NOT_RUNNING,
        _ => ocf::UNKNOWN_ERROR,
    }
}

/// The last `ocf-exit-reason:` line of an OCF agent's stderr, at most 128 bytes.
pub fn exit_reason_from_stderr(stderr: &str) -> Option<String> {
    let start = stderr.rfind(ocf::EXIT_REASON_PREFIX)? + ocf::EXIT_REASON_PREFIX.len();
    let rest = &stderr[start..];
    let line = rest.split('\n').next().unwrap_or_default();
    if line.is_empty() {
        return None;
    }
    let mut end = line.len().min(ocf::EXIT_REASON_MAX_LEN);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    Some(line[..end].to_owned())
}

/// Pacemaker's human-readable duration (`pcmk__readable_interval`), e.g. `20s`, `1m30s`,
/// `1.500s`, `500ms`.
pub fn readable_interval(mut ms: u64) -> String {
    const S: u64 = 1000;
    const M: u64 = 60 * S;
    const H: u64 = 60 * M;
    const D: u64 = 24 * H;
    let mut out = String::new();
    // Pacemaker compares with ">" (so exactly one minute is "60s"); kept for identical text.
    for (unit, suffix) in [(D, "d"), (H, "h"), (M, "m")] {
        if ms > unit {
            out.push_str(&format!("{}{suffix}", ms / unit));
            ms %= unit;
        }
    }
    if ms > S {
        out.push_str(&(ms / S).to_string());
        let millis = ms % S;
        if millis > 0 {
            out.push_str(&format!(".{millis:03}"));
        }
        out.push('s');
    } else if ms > 0 {
        out.push_str(&format!("{ms}ms"));
    } else if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_intervals_match_pacemaker() {
        assert_eq!(readable_interval(0), "0s");
        assert_eq!(readable_interval(500), "500ms");
        assert_eq!(readable_interval(1000), "1000ms");
        assert_eq!(readable_interval(1500), "1.500s");
        assert_eq!(readable_interval(20000), "20s");
        assert_eq!(readable_interval(60000), "60s");
        assert_eq!(readable_interval(90000), "1m30s");
    }

    #[test]
    fn exit_reason_is_last_and_bounded() {
        assert_eq!(
            exit_reason_from_stderr("ocf-exit-reason:a\nx\nocf-exit-reason:b c\n"),
            Some("b c".into())
        );
        assert_eq!(exit_reason_from_stderr("ocf-exit-reason:\n"), None);
        assert_eq!(exit_reason_from_stderr("nothing"), None);
        let long = format!("ocf-exit-reason:{}", "é".repeat(100));
        assert!(exit_reason_from_stderr(&long).is_some_and(|r| r.len() <= 128));
    }

    #[test]
    fn lsb_status_codes_map() {
        assert_eq!(to_ocf("lsb", "monitor", 3), 7);
        assert_eq!(to_ocf("lsb", "monitor", 150), 5);
        assert_eq!(to_ocf("lsb", "monitor", 4), 1);
        assert_eq!(to_ocf("lsb", "start", 3), 3);
        assert_eq!(to_ocf("lsb", "start", 8), 1);
        assert_eq!(to_ocf("ocf", "start", 191), 191);
        assert_eq!(to_ocf("ocf", "start", 120), 1);
        assert_eq!(to_ocf("ocf", "start", -1), 1);
    }

    #[test]
    fn missing_ocf_agent_is_not_installed() {
        let spec = AgentSpec {
            class: "ocf".into(),
            provider: Some("nonexistent".into()),
            agent: "Nope".into(),
        };
        let result = prepare("r", &spec, "start", 0, &[]).expect_err("not runnable");
        assert_eq!(
            (result.exit_status, result.exec_status),
            (5, exec_status::NOT_INSTALLED)
        );
        assert_eq!(
            result.exit_reason.as_deref(),
            Some("Nope: No such file or directory")
        );
    }

    #[test]
    fn ocf_environment_prefixes_params() {
        let spec = AgentSpec {
            class: "ocf".into(),
            provider: Some("heartbeat".into()),
            agent: "Dummy".into(),
        };
        let env = ocf_environment(
            "d1",
            &spec,
            &[
                ("state".into(), "/x".into()),
                ("OCF_CHECK_LEVEL".into(), "10".into()),
            ],
        );
        assert!(env.contains(&("OCF_RESKEY_state".into(), "/x".into())));
        assert!(env.contains(&("OCF_CHECK_LEVEL".into(), "10".into())));
        assert!(env.contains(&("OCF_RESOURCE_INSTANCE".into(), "d1".into())));
        assert!(env.contains(&("OCF_RESOURCE_PROVIDER".into(), "heartbeat".into())));
    }
}
