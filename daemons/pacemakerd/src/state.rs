//! The launcher's own state, as reported to `ping` requests (`pacemakerd_state`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LauncherState {
    Init,
    StartingDaemons,
    /// Waiting for sbd to ping before starting the subdaemons (SBD_SYNC_RESOURCE_STARTUP).
    WaitForPing,
    Running,
    ShuttingDown,
    ShutdownComplete,
}

impl LauncherState {
    /// The wire spelling, which clients map back to their enum (unknown text is "invalid").
    pub fn as_str(self) -> &'static str {
        match self {
            LauncherState::Init => "init",
            LauncherState::StartingDaemons => "starting_daemons",
            LauncherState::WaitForPing => "wait_for_ping",
            LauncherState::Running => "running",
            LauncherState::ShuttingDown => "shutting_down",
            LauncherState::ShutdownComplete => "shutdown_complete",
        }
    }
}
