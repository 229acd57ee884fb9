//! Which pacemaker-based runs in a node, and which ones the current run tests.
//!
//! `PCMK_RS_BASED` chooses:
//! * unset or `auto`: C always; Rust too when its binary exists (else those tests skip);
//! * `c`: C only;
//! * `rust`: Rust only, and a missing Rust binary fails the Rust tests;
//! * `both`: C and Rust, and a missing Rust binary fails the Rust tests.
//!
//! The Rust binary is `PCMK_RS_BASED_BIN` when set, else `pacemaker-based` in the cargo
//! profile directory the test binary was built into (`target/release` for
//! `cargo test --release`), else `target/release/pacemaker-based` of this workspace.
//!
//! The Rust daemon runs stand-alone (no corosync, `--stand-alone`) unless
//! `PCMK_RS_BASED_COROSYNC=1`; the C daemon always gets corosync because it refuses
//! writes without it.

use std::env;
use std::path::{Path, PathBuf};

/// Where Debian installs the C daemon (also where every node sees the daemon under test).
pub const C_BASED: &str = "/usr/lib/pacemaker/pacemaker-based";

/// The implementation families a test can be run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImplKind {
    C,
    Rust,
}

impl ImplKind {
    pub fn label(self) -> &'static str {
        match self {
            ImplKind::C => "c",
            ImplKind::Rust => "rust",
        }
    }
}

/// The pacemaker-based a node runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Impl {
    /// Debian's `/usr/lib/pacemaker/pacemaker-based`.
    C,
    /// Our daemon at this path (bind-mounted over the C one inside the node).
    Rust(PathBuf),
}

impl Impl {
    pub fn kind(&self) -> ImplKind {
        match self {
            Impl::C => ImplKind::C,
            Impl::Rust(_) => ImplKind::Rust,
        }
    }

    /// Whether a node of this implementation gets corosync unless told otherwise.
    pub fn wants_corosync_by_default(&self) -> bool {
        match self {
            Impl::C => true,
            Impl::Rust(_) => env::var("PCMK_RS_BASED_COROSYNC").is_ok_and(|v| v == "1"),
        }
    }
}

/// Outcome of asking whether a test is to run against an implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Run(Impl),
    Skip(String),
}

/// Decides from the environment whether tests run against `kind`.
///
/// Panics when the environment asks for the Rust daemon explicitly and it is missing, so
/// that such a run cannot pass by skipping everything.
pub fn select(kind: ImplKind) -> Selection {
    let wanted = env::var("PCMK_RS_BASED").unwrap_or_default();
    let (run_c, run_rust, rust_required) = match wanted.as_str() {
        "" | "auto" => (true, true, false),
        "c" => (true, false, false),
        "rust" => (false, true, true),
        "both" => (true, true, true),
        other => panic!("PCMK_RS_BASED={other:?}: expected c, rust, both or auto"),
    };
    match kind {
        ImplKind::C if run_c => Selection::Run(Impl::C),
        ImplKind::C => Selection::Skip(format!("PCMK_RS_BASED={wanted} excludes the C daemon")),
        ImplKind::Rust if !run_rust => {
            Selection::Skip(format!("PCMK_RS_BASED={wanted} excludes the Rust daemon"))
        }
        ImplKind::Rust => match rust_binary() {
            Ok(path) => Selection::Run(Impl::Rust(path)),
            Err(looked_at) if rust_required => {
                panic!("PCMK_RS_BASED={wanted} but no Rust pacemaker-based at {looked_at}")
            }
            Err(looked_at) => Selection::Skip(format!(
                "no Rust pacemaker-based at {looked_at} (build it with cargo build --release)"
            )),
        },
    }
}

/// The Rust daemon's path, or the places looked at.
fn rust_binary() -> Result<PathBuf, String> {
    match env::var_os("PCMK_RS_BASED_BIN") {
        Some(path) if Path::new(&path).is_file() => Ok(PathBuf::from(path)),
        Some(path) => Err(PathBuf::from(path).display().to_string()),
        None => workspace_binary("pacemaker-based"),
    }
}

/// A binary of this workspace: in the cargo profile directory this test was built into,
/// else in `target/release`. On failure, the places looked at.
pub fn workspace_binary(name: &str) -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Some(dir) = profile_dir_of_this_test() {
        candidates.push(dir.join(name));
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().unwrap_or(manifest_dir);
    let release = workspace.join("target/release").join(name);
    if !candidates.contains(&release) {
        candidates.push(release);
    }
    candidates.iter().find(|path| path.is_file()).cloned().ok_or_else(|| {
        candidates.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(" or ")
    })
}

/// `target/<profile>` for a test binary at `target/<profile>/deps/<name>-<hash>`.
fn profile_dir_of_this_test() -> Option<PathBuf> {
    let exe = env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    deps.parent().map(Path::to_path_buf)
}
