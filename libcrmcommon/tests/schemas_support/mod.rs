//! Helpers shared by the schema tests: scratch directories and Debian's C tools as oracles.

#![allow(dead_code)]

use libcrmcommon::xml::{self, Element};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory removed when dropped.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("pcmkrs-schemas-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch directory");
        Scratch { path }
    }

    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, contents).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs a C tool; a missing tool is a test failure, not a skip (the oracle is the point).
pub fn run(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    command.output().unwrap_or_else(|e| panic!("cannot run {shown} (Debian's pacemaker-cli-utils / libxml2-utils needed): {e}"))
}

/// `xmllint --relaxng` verdict.
pub fn xmllint_accepts(rng: &Path, file: &Path) -> bool {
    run(Command::new("xmllint").arg("--noout").arg("--relaxng").arg(rng).arg(file)).status.success()
}

/// `crm_verify -x` verdict.
pub fn crm_verify_accepts(file: &Path) -> bool {
    run(Command::new("crm_verify").arg("-x").arg(file)).status.success()
}

/// Output of `cibadmin --empty` (the C tool's idea of a fresh CIB).
pub fn cibadmin_empty() -> Element {
    let out = run(Command::new("cibadmin").arg("--empty"));
    assert!(out.status.success(), "cibadmin --empty failed");
    xml::parse(&String::from_utf8_lossy(&out.stdout)).expect("parse cibadmin --empty")
}

/// Runs `cibadmin --upgrade --force` on a copy of `cib` held in a file CIB (which the C
/// tool rewrites in place); returns the tool's exit status, stderr and the resulting file.
pub fn cibadmin_upgrade(cib_text: &str, schema_dir: Option<&Path>) -> (i32, String, Element) {
    let scratch = Scratch::new("cibadmin");
    let file = scratch.file("cib.xml", cib_text);
    let mut command = Command::new("cibadmin");
    command.arg("--upgrade").arg("--force").env("CIB_file", &file);
    if let Some(dir) = schema_dir {
        command.env("PCMK_schema_directory", dir);
    }
    let out = run(&mut command);
    let text = std::fs::read_to_string(&file).expect("read upgraded file CIB");
    let upgraded = xml::parse(&text).expect("parse upgraded file CIB");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned(), upgraded)
}

pub const SCHEMA_DIR: &str = "/usr/share/pacemaker";
/// The scheduler corpus (Pacemaker 2.1.5's cts/scheduler inputs) in the shared folder
/// beside the repository.
pub fn corpus_dir() -> PathBuf {
    let beside_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/scheduler-corpus/xml");
    let workplace = PathBuf::from("/work/shared/scheduler-corpus/xml");
    [beside_repo, workplace]
        .into_iter()
        .find(|p| p.is_dir())
        .expect("shared/scheduler-corpus/xml not found beside the repository")
}

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn rng(name: &str) -> PathBuf {
    Path::new(SCHEMA_DIR).join(format!("{name}.rng"))
}
