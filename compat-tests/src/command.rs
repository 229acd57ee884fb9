//! Commands run inside a node, and what they returned.

use crate::cib;
use libcrmcommon::xml::Element;
use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// Bound on one command, so a hung tool fails its test instead of the whole run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A command to run inside a node; build it with [`crate::Node::cmd`].
#[must_use = "a Command does nothing until run() is called"]
pub struct Command<'node> {
    pub(crate) sandbox: &'node crate::sandbox::Sandbox,
    pub(crate) base_env: Vec<(String, String)>,
    pub(crate) log: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) stdin: Option<String>,
    pub(crate) timeout: Duration,
}

impl Command<'_> {
    /// Adds (or overrides) an environment variable; the command otherwise gets only the
    /// node's fixed environment (PATH, HOME, LANG, ...), nothing from the test process.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Text written to the command's standard input (else it reads /dev/null).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the command to completion. Failing to start `nsenter` at all panics: that is a
    /// broken harness, not a result.
    pub fn run(self) -> Output {
        let mut command = self.sandbox.command("timeout");
        command
            // SIGKILL makes a harness timeout exit 137, distinct from the 124 that
            // cibadmin itself returns for "Timer expired".
            .args(["--signal=KILL", &format!("{}", self.timeout.as_secs().max(1))])
            .arg("env")
            .arg("-i");
        for (name, value) in self.base_env.iter().chain(&self.env) {
            command.arg(format!("{name}={value}"));
        }
        command.args(&self.args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => panic!("cannot run nsenter for {:?}: {error}", self.args),
        };
        if let (Some(text), Some(mut pipe)) = (&self.stdin, child.stdin.take()) {
            // A tool that exits without reading its input closes the pipe: not our error.
            pipe.write_all(text.as_bytes()).ok();
        }
        let finished = match child.wait_with_output() {
            Ok(finished) => finished,
            Err(error) => panic!("waiting for {:?}: {error}", self.args),
        };
        let output = Output {
            args: self.args,
            code: finished.status.code(),
            stdout: String::from_utf8_lossy(&finished.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&finished.stderr).into_owned(),
        };
        output.append_to_log(&self.log, self.stdin.as_deref());
        output
    }
}

/// Exit status and output of a command run inside a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub args: Vec<String>,
    /// Exit code; `None` when killed by a signal. 137 means the harness' timeout hit.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics (failing the test, with everything the command said) unless it exited 0.
    #[track_caller]
    pub fn expect_ok(self) -> Self {
        if !self.success() {
            panic!("command failed, expected exit code 0:\n{self}");
        }
        self
    }

    /// Panics unless the command exited with `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        if self.code != Some(code) {
            panic!("expected exit code {code}:\n{self}");
        }
        self
    }

    /// Standard output parsed as one XML document; panics if it is not one.
    #[track_caller]
    pub fn xml(&self) -> Element {
        match cib::parse(&self.stdout) {
            Ok(element) => element,
            Err(error) => panic!("stdout is not an XML document ({error}):\n{self}"),
        }
    }

    /// Standard error without terminal colour sequences (crmsh colours its messages).
    pub fn plain_stderr(&self) -> String {
        strip_ansi(&self.stderr)
    }

    /// Standard output without terminal colour sequences.
    pub fn plain_stdout(&self) -> String {
        strip_ansi(&self.stdout)
    }

    fn append_to_log(&self, log: &PathBuf, stdin: Option<&str>) {
        let Ok(mut file) = OpenOptions::new().create(true).append(true).open(log) else { return };
        let stdin_part = stdin.map(|text| format!("--- stdin\n{text}\n")).unwrap_or_default();
        writeln!(file, "{self}{stdin_part}").ok();
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
        writeln!(f, "$ {}", self.args.join(" "))?;
        writeln!(f, "exit code: {code}")?;
        writeln!(f, "--- stdout\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr\n{}", self.stderr.trim_end())
    }
}

/// Removes ANSI escape sequences of the form ESC [ ... final-byte.
pub fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for inner in chars.by_ref() {
                if ('@'..='~').contains(&inner) {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::strip_ansi;

    #[test]
    fn strips_colour_sequences_only() {
        assert_eq!(strip_ansi("\u{1b}[33mWARNING\u{1b}[0m: x [y]"), "WARNING: x [y]");
    }
}
