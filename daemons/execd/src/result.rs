//! The outcome of one execution of an operation.

/// What an operation produced: its OCF exit status, the execution status and the texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionResult {
    pub exit_status: i32,
    /// See `liblrmd::protocol::exec_status`.
    pub exec_status: i32,
    pub exit_reason: Option<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

impl ActionResult {
    pub fn new(exit_status: i32, exec_status: i32, exit_reason: Option<String>) -> ActionResult {
        ActionResult {
            exit_status,
            exec_status,
            exit_reason,
            stdout: None,
            stderr: None,
        }
    }

    /// What the result event carries as output: stderr if the agent wrote any, else stdout.
    pub fn output(&self) -> Option<String> {
        self.stderr.clone().or_else(|| self.stdout.clone())
    }
}
