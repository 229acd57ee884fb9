//! A whole node started by the README's first command, `run-node`, for the tests that need a
//! complete cluster: each in its own state directory and network namespace, stopped (and its
//! files removed unless the test failed) when dropped.

use crate::{report_skip, running_as_root, select, workspace_binary, Impl, ImplKind, Selection};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct RunNode {
    script: PathBuf,
    /// The node's state directory (CIB, logs, pe-inputs).
    pub state: PathBuf,
    ns: String,
    /// run-node's PCMK_RS_*_BIN settings: a binary path, or "c" for Debian's.
    daemons: Vec<(String, String)>,
}

impl RunNode {
    /// Starts a node in `compat-tests/out/<name>` with the given daemon settings, or panics
    /// with run-node's output.
    pub fn start(name: &str, ns: &str, daemons: Vec<(String, String)>) -> RunNode {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let state = root.join("compat-tests/out").join(name);
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).expect("state dir");
        let node = RunNode { script: root.join("run-node"), state, ns: format!("{ns}-{}", std::process::id()), daemons };
        let out = node.command().output().expect("run run-node");
        assert!(
            out.status.success(),
            "run-node failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        node
    }

    /// Starts the whole stack `run-node` starts by default for `kind`: for `Rust`, our
    /// pacemakerd, pacemaker-based, pacemaker-schedulerd and pacemaker-execd beside Debian's
    /// controld, fenced and attrd; for `C`, all of Debian's daemons (the oracle). The node lives in
    /// `compat-tests/out/<test_name>-<kind>`.
    ///
    /// `None` (said on stderr) when the test is to be skipped: not root, or `PCMK_RS_BASED`
    /// excludes `kind`. Panics when a Rust daemon the stack needs is not built.
    pub fn start_stack(test_name: &str, kind: ImplKind) -> Option<RunNode> {
        let label = kind.label();
        let test = format!("{test_name}::{label}");
        if !running_as_root() {
            report_skip(&test, kind, "needs root (namespaces, mounts)");
            return None;
        }
        let based = match select(kind) {
            Selection::Run(Impl::C) => "c".to_owned(),
            Selection::Run(Impl::Rust(path)) => path.display().to_string(),
            Selection::Skip(reason) => {
                report_skip(&test, kind, &reason);
                return None;
            }
        };
        let mut daemons = vec![("PCMK_RS_BASED_BIN".to_owned(), based)];
        for (variable, binary) in [
            ("PCMK_RS_PACEMAKERD_BIN", "pacemakerd"),
            ("PCMK_RS_SCHEDULERD_BIN", "pacemaker-schedulerd"),
            ("PCMK_RS_EXECD_BIN", "pacemaker-execd"),
        ] {
            let value = match kind {
                ImplKind::C => "c".to_owned(),
                ImplKind::Rust => match workspace_binary(binary) {
                    Ok(path) => path.display().to_string(),
                    Err(looked_at) => panic!("our {binary} is not built (looked at {looked_at})"),
                },
            };
            daemons.push((variable.to_owned(), value));
        }
        Some(RunNode::start(&format!("{test_name}-{label}"), &format!("pcrs-{test_name}-{label}"), daemons))
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.script);
        c.env("PCMK_RS_NODE_STATE", &self.state).env("PCMK_RS_NODE_NS", &self.ns).env("PCMK_RS_NO_BUILD", "1");
        for (variable, value) in &self.daemons {
            c.env(variable, value);
        }
        c
    }

    /// Runs a command inside the node.
    pub fn exec(&self, args: &[&str]) -> Output {
        self.command().arg("exec").args(args).output().expect("run-node exec")
    }

    /// Runs `args` until `accept` holds for its output (stdout, then stderr), and returns it.
    pub fn wait_for(&self, args: &[&str], accept: impl Fn(&str) -> bool, describe: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let out = self.exec(args);
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            if accept(&text) {
                return text;
            }
            if start.elapsed() > timeout {
                panic!("{args:?} never showed {describe} within {timeout:?}; last output:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for RunNode {
    fn drop(&mut self) {
        let _ = self.command().arg("stop").output();
        if std::thread::panicking() {
            eprintln!("run-node: node files kept in {}", self.state.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}
