//! What the executor tests share: which of our executors to run, and how a transcript
//! of ours is judged against Debian's.

use std::path::PathBuf;

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
