//! Which implementation of each daemon a cluster node runs: Debian's C one or ours.
//!
//! The four daemons pacemaker-rs has written so far can each be swapped in alone, all
//! together, or on some nodes only (a rolling upgrade). Debian's controller, attribute
//! manager and fencer run in every mix. A subdaemon is swapped by bind-mounting our binary
//! over Debian's path inside the node's mount namespace (pacemakerd, C or ours, starts
//! `/usr/lib/pacemaker/<name>`); the launcher is simply started from its own path.

use crate::implementation::{workspace_binary, Impl};
use std::fmt;
use std::path::PathBuf;

/// Where Debian's launcher is installed.
pub const C_LAUNCHER: &str = "/usr/sbin/pacemakerd";
/// The directory both launchers start subdaemons from.
const SUBDAEMON_DIR: &str = "/usr/lib/pacemaker";

/// A daemon that exists in both implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Daemon {
    Pacemakerd,
    Based,
    Schedulerd,
    Execd,
}

impl Daemon {
    pub const ALL: [Daemon; 4] = [Daemon::Pacemakerd, Daemon::Based, Daemon::Schedulerd, Daemon::Execd];

    /// The binary's file name (the same for both implementations).
    pub fn binary(self) -> &'static str {
        match self {
            Daemon::Pacemakerd => "pacemakerd",
            Daemon::Based => "pacemaker-based",
            Daemon::Schedulerd => "pacemaker-schedulerd",
            Daemon::Execd => "pacemaker-execd",
        }
    }

    /// The name `pkill -x` and `pgrep -x` match: the kernel keeps 15 bytes of the file name.
    pub fn process_name(self) -> &'static str {
        let binary = self.binary();
        &binary[..binary.len().min(15)]
    }

    /// Short label for test and directory names.
    pub fn label(self) -> &'static str {
        match self {
            Daemon::Pacemakerd => "pacemakerd",
            Daemon::Based => "based",
            Daemon::Schedulerd => "schedulerd",
            Daemon::Execd => "execd",
        }
    }

    /// Path of Debian's daemon, which is also where a node sees ours.
    pub fn installed_path(self) -> String {
        match self {
            Daemon::Pacemakerd => C_LAUNCHER.to_owned(),
            _ => format!("{SUBDAEMON_DIR}/{}", self.binary()),
        }
    }
}

/// The implementation of every swappable daemon on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDaemons {
    pub pacemakerd: Impl,
    pub based: Impl,
    pub schedulerd: Impl,
    pub execd: Impl,
}

impl NodeDaemons {
    /// Debian's daemons only.
    pub fn all_c() -> NodeDaemons {
        NodeDaemons { pacemakerd: Impl::C, based: Impl::C, schedulerd: Impl::C, execd: Impl::C }
    }

    /// Debian's daemons with the given CIB manager (the harness' older, based-only form).
    pub fn with_based(based: Impl) -> NodeDaemons {
        NodeDaemons { based, ..NodeDaemons::all_c() }
    }

    /// Ours for every daemon in `ours`, Debian's for the rest. Fails with the paths looked
    /// at when one of ours is not built.
    pub fn ours(ours: &[Daemon]) -> Result<NodeDaemons, String> {
        let mut daemons = NodeDaemons::all_c();
        for daemon in ours {
            let path = workspace_binary(daemon.binary()).map_err(|looked_at| {
                format!("our {} is not built (looked at {looked_at})", daemon.binary())
            })?;
            *daemons.slot(*daemon) = Impl::Rust(path);
        }
        Ok(daemons)
    }

    pub fn get(&self, daemon: Daemon) -> &Impl {
        match daemon {
            Daemon::Pacemakerd => &self.pacemakerd,
            Daemon::Based => &self.based,
            Daemon::Schedulerd => &self.schedulerd,
            Daemon::Execd => &self.execd,
        }
    }

    fn slot(&mut self, daemon: Daemon) -> &mut Impl {
        match daemon {
            Daemon::Pacemakerd => &mut self.pacemakerd,
            Daemon::Based => &mut self.based,
            Daemon::Schedulerd => &mut self.schedulerd,
            Daemon::Execd => &mut self.execd,
        }
    }

    /// The daemons that are ours on this node.
    pub fn rust_daemons(&self) -> Vec<Daemon> {
        Daemon::ALL.into_iter().filter(|daemon| matches!(self.get(*daemon), Impl::Rust(_))).collect()
    }

    /// The launcher to start in the node (a host path, which the node sees too).
    pub fn launcher(&self) -> PathBuf {
        match &self.pacemakerd {
            Impl::C => PathBuf::from(C_LAUNCHER),
            Impl::Rust(path) => path.clone(),
        }
    }

    /// (our binary on the host, Debian's path in the node) for every subdaemon of ours.
    pub fn subdaemon_mounts(&self) -> Vec<(PathBuf, String)> {
        [Daemon::Based, Daemon::Schedulerd, Daemon::Execd]
            .into_iter()
            .filter_map(|daemon| match self.get(daemon) {
                Impl::Rust(path) => Some((path.clone(), daemon.installed_path())),
                Impl::C => None,
            })
            .collect()
    }
}

impl fmt::Display for NodeDaemons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ours = self.rust_daemons();
        if ours.is_empty() {
            f.write_str("all C")
        } else {
            let names: Vec<&str> = ours.iter().map(|daemon| daemon.binary()).collect();
            write!(f, "ours: {}", names.join(", "))
        }
    }
}

/// How a cluster's nodes mix the implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Debian's daemons everywhere (the oracle).
    AllC,
    /// One of our daemons on every node, Debian's for the rest.
    Alone(Daemon),
    /// All four of ours on every node.
    AllOurs,
    /// Node 1 runs only Debian's daemons, every other node all four of ours: a cluster
    /// half-way through a rolling upgrade.
    RollingUpgrade,
}

impl Mix {
    pub fn label(self) -> String {
        match self {
            Mix::AllC => "all_c".to_owned(),
            Mix::Alone(daemon) => format!("{}_alone", daemon.label()),
            Mix::AllOurs => "all_ours".to_owned(),
            Mix::RollingUpgrade => "rolling".to_owned(),
        }
    }

    /// The daemons of each of `members` nodes (node `i` is entry `i - 1`).
    pub fn nodes(self, members: usize) -> Result<Vec<NodeDaemons>, String> {
        (1..=members)
            .map(|index| match self {
                Mix::AllC => Ok(NodeDaemons::all_c()),
                Mix::Alone(daemon) => NodeDaemons::ours(&[daemon]),
                Mix::AllOurs => NodeDaemons::ours(&Daemon::ALL),
                Mix::RollingUpgrade if index == 1 => Ok(NodeDaemons::all_c()),
                Mix::RollingUpgrade => NodeDaemons::ours(&Daemon::ALL),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_names_are_what_the_kernel_keeps() {
        assert_eq!(Daemon::Schedulerd.process_name(), "pacemaker-sched");
        assert_eq!(Daemon::Based.process_name(), "pacemaker-based");
        assert_eq!(Daemon::Pacemakerd.process_name(), "pacemakerd");
    }

    #[test]
    fn subdaemons_of_ours_are_mounted_over_debians() {
        let mut daemons = NodeDaemons::all_c();
        assert!(daemons.subdaemon_mounts().is_empty());
        daemons.execd = Impl::Rust(PathBuf::from("/x/pacemaker-execd"));
        daemons.pacemakerd = Impl::Rust(PathBuf::from("/x/pacemakerd"));
        assert_eq!(
            daemons.subdaemon_mounts(),
            vec![(PathBuf::from("/x/pacemaker-execd"), "/usr/lib/pacemaker/pacemaker-execd".to_owned())]
        );
        assert_eq!(daemons.launcher(), PathBuf::from("/x/pacemakerd"));
        assert_eq!(daemons.to_string(), "ours: pacemakerd, pacemaker-execd");
    }
}
