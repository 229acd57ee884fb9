//! What the harness gives every process it starts inside a node, whichever kind of node
//! (a lone [`crate::Node`], a [`crate::LauncherNode`] or a cluster [`crate::Member`]):
//! the fixed environment of commands and daemons, how daemons are spawned, and where a
//! test's files go on the host.

use crate::accounts::{ClusterIds, CLUSTER_GROUP, CLUSTER_USER};
use crate::command::{Command, DEFAULT_TIMEOUT};
use crate::sandbox::Sandbox;
use std::fs;
use std::io;
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// PATH inside a node: the test process's own PATH may point at build trees.
pub(crate) const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Debugging switches of the test process that reach the daemons, so that a failing test
/// can be rerun with more logging without editing it.
const PASSED_TO_DAEMONS: &[&str] = &["PCMK_debug", "PCMK_trace_functions", "RUST_LOG", "RUST_BACKTRACE"];

/// Which user a daemon runs as inside the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunAs {
    Root,
    /// hacluster:haclient with its supplementary groups, as pacemakerd starts based,
    /// attrd, schedulerd and controld.
    ClusterUser,
}

/// Where a daemon's log lines go besides the node's log file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StderrLog {
    /// Also to stderr (`PCMK_stderr=1`), which the harness keeps in the daemon's file.
    Copied,
    /// Only the log file: a launcher's children would otherwise all write into its file.
    LogFileOnly,
}

/// Starts `argv` inside the node with the daemons' environment, standard output and error
/// into `stderr_file`. Returns the `nsenter` child, whose own child is the daemon (env and
/// setpriv exec).
pub(crate) fn spawn_daemon(
    sandbox: &Sandbox,
    argv: &[&str],
    run_as: RunAs,
    stderr_log: StderrLog,
    stderr_file: &Path,
) -> Result<Child, String> {
    let out = fs::File::create(stderr_file).map_err(|e| format!("creating {}: {e}", stderr_file.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut command = sandbox.command("env");
    command.args(["-i", &format!("PATH={PATH}"), "LANG=C.UTF-8", "HOME=/var/lib/pacemaker"]);
    command.args(["PCMK_logfile=/var/log/pacemaker/pacemaker.log", "PCMK_logfacility=none"]);
    if stderr_log == StderrLog::Copied {
        command.arg("PCMK_stderr=1");
    }
    for variable in PASSED_TO_DAEMONS {
        if let Ok(value) = std::env::var(variable) {
            command.arg(format!("{variable}={value}"));
        }
    }
    if run_as == RunAs::ClusterUser {
        command.args(["setpriv", &format!("--reuid={CLUSTER_USER}"), &format!("--regid={CLUSTER_GROUP}")]);
        command.arg("--init-groups");
    }
    command.args(argv).stdin(Stdio::null()).stdout(out).stderr(err);
    let name = argv.last().copied().unwrap_or_default();
    command.spawn().map_err(|e| format!("starting {name}: {e}"))
}

/// A command run inside the node as root with a clean environment: PATH, LANG=C.UTF-8,
/// HOME and TMPDIR under the node's host directory `dir`, TERM=dumb; logged to
/// `<dir>/commands.log`.
pub(crate) fn root_command<'node>(sandbox: &'node Sandbox, dir: &Path, args: &[&str]) -> Command<'node> {
    Command {
        sandbox,
        base_env: vec![
            ("PATH".to_owned(), PATH.to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
            ("HOME".to_owned(), dir.join("home").display().to_string()),
            ("TMPDIR".to_owned(), dir.join("tmp").display().to_string()),
            ("TERM".to_owned(), "dumb".to_owned()),
        ],
        log: dir.join("commands.log"),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        env: Vec::new(),
        stdin: None,
        timeout: DEFAULT_TIMEOUT,
    }
}

/// Creates a node's host-side directories (bind-mounted over their counterparts inside
/// the node by [`crate::sandbox::node_setup_script`]) with the owners and modes Debian's
/// packages give those counterparts, its corosync.conf, and `cib_files` (name, content) in
/// its CIB directory.
pub(crate) fn create_node_dirs(dir: &Path, ids: ClusterIds, corosync_conf: &str, cib_files: &[(&str, &[u8])]) -> io::Result<()> {
    for sub in ["etc-corosync", "var-lib-corosync", "log-corosync", "home", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    fs::set_permissions(dir.join("tmp"), fs::Permissions::from_mode(0o1777))?;
    let cluster_owned = |path: &Path, mode: u32| -> io::Result<()> {
        fs::create_dir_all(path)?;
        chown(path, Some(ids.uid), Some(ids.gid))?;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    };
    cluster_owned(&dir.join("var-lib-pacemaker"), 0o750)?;
    for sub in ["cib", "pengine", "blackbox", "cores"] {
        cluster_owned(&dir.join("var-lib-pacemaker").join(sub), 0o750)?;
    }
    cluster_owned(&dir.join("log-pacemaker"), 0o770)?;
    fs::write(dir.join("etc-corosync/corosync.conf"), corosync_conf)?;
    for (name, content) in cib_files {
        let path = dir.join("var-lib-pacemaker/cib").join(name);
        fs::write(&path, content)?;
        chown(&path, Some(ids.uid), Some(ids.gid))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The host directory holding every test's node directories: `$PCMK_COMPAT_OUT`, else
/// `out/` beside this crate.
pub(crate) fn output_dir() -> PathBuf {
    match std::env::var_os("PCMK_COMPAT_OUT") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("out"),
    }
}

/// A directory name from a test path: `cibadmin::query::c` → `cibadmin.query.c`. Names
/// that would be empty or hidden get `prefix` in front.
pub(crate) fn directory_name(test_path: &str, prefix: &str) -> String {
    let dotted = test_path.replace("::", ".");
    let clean: String = dotted
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("{prefix}{clean}")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::directory_name;

    #[test]
    fn directory_names_are_plain_and_visible() {
        assert_eq!(directory_name("cibadmin::query::c", "node"), "cibadmin.query.c");
        assert_eq!(directory_name("a b/../c", "node"), "a_b_.._c");
        assert_eq!(directory_name("", "cluster"), "cluster");
        assert_eq!(directory_name("..x", "node"), "node..x");
    }
}

/// The last lines of each daemon's stderr file, for a failure message: why a daemon died
/// is usually there, and the whole file would bury the assertion.
pub(crate) fn stderr_tails<'a>(stderr_files: impl IntoIterator<Item = &'a Path>) -> String {
    const TAIL_LINES: usize = 15;
    let mut text = String::new();
    for file in stderr_files {
        let content = fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<&str> = content.lines().collect();
        let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
        text.push_str(&format!("\n--- last lines of {}:\n{tail}", file.display()));
    }
    text
}
