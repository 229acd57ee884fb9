//! What the executor tests share: which of our executors to run, and how a transcript
//! of ours is judged against Debian's.

use crate::{report_skip, ImplKind};
use std::path::{Path, PathBuf};

/// Debian's executor, the oracle every transcript is compared with.
pub const C_EXECD: &str = "/usr/lib/pacemaker/pacemaker-execd";

/// Our pacemaker-execd: `$PCMK_RS_EXECD_BIN`, else the one built beside this test binary
/// (None when it is not built, and the Rust half of a comparison is skipped).
pub fn rust_execd() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PCMK_RS_EXECD_BIN") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let profile = exe.parent()?.parent()?;
    let path = profile.join("pacemaker-execd");
    path.is_file().then_some(path)
}

/// Panics, showing each differing line and both transcripts, unless our executor's
/// transcript is the C one.
#[track_caller]
pub fn assert_same_transcript(test: &str, c: &str, ours: &str) {
    if ours == c {
        return;
    }
    let diff: Vec<String> = c
        .lines()
        .zip(ours.lines().chain(std::iter::repeat("<missing>")))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  C:    {a}\n  ours: {b}"))
        .collect();
    panic!("{test}: our executor differs from C:\n{}\n--- C transcript:\n{c}\n--- ours:\n{ours}", diff.join("\n"));
}

/// Runs a test's script against Debian's executor and (when built) ours through `run`
/// (given a node label and the executor to start); returns the C transcript after asserting
/// ours is the same, so that each test asserts its expectations once, on the oracle's output.
pub fn compare_executors(test: &str, run: impl Fn(&str, &Path) -> String) -> String {
    let c = run("c", Path::new(C_EXECD));
    match rust_execd() {
        Some(ours) => {
            let rust = run("rust", &ours);
            assert_same_transcript(test, &c, &rust);
        }
        None => report_skip(test, ImplKind::Rust, "no pacemaker-execd built (cargo build -p pacemaker-execd)"),
    }
    c
}

/// Panics unless the transcript has a line that is `line` once both pass through `key`
/// (which drops what a test does not pin). An empty transcript is a skipped comparison
/// (not root) and passes.
#[track_caller]
pub fn assert_transcript_has(transcript: &str, line: &str, key: impl Fn(&str) -> String) {
    if transcript.is_empty() {
        return;
    }
    let wanted = key(line);
    assert!(transcript.lines().any(|l| key(l) == wanted), "missing line {line:?} in:\n{transcript}");
}
