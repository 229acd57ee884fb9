//! Helpers shared by the tests that compare us with Debian's Pacemaker 2.1.5 tools.
#![allow(dead_code)]

pub mod mutate;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(sub)
}

/// Runs a C tool, or returns `None` (and says so) when it is not installed, so the
/// suite still passes on machines without Pacemaker.
pub fn run_tool(tool: &str, args: &[&str]) -> Option<Output> {
    match Command::new(tool).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipping oracle comparison: {tool} is not installed");
            None
        }
        Err(e) => panic!("could not run {tool}: {e}"),
    }
}

/// Whether `tool` can be run at all.
pub fn tool_installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// Sorted `*.xml` files of a fixture directory.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}
