//! Pacemaker's exit codes (`crm_exit_t`) that pacemakerd uses or reports, with the
//! descriptions its log lines print for them.

pub const OK: i32 = 0;
pub const INVALID_PARAM: i32 = 2;
pub const INSUFFICIENT_PRIV: i32 = 4;
pub const USAGE: i32 = 64;
pub const UNAVAILABLE: i32 = 69;
pub const OSERR: i32 = 71;
pub const CANTCREAT: i32 = 73;
pub const PROTOCOL: i32 = 76;
/// A subdaemon exiting with this must not be respawned; the node shuts down.
pub const FATAL: i32 = 100;
/// A subdaemon exiting with this asks for the node to be reset.
pub const PANIC: i32 = 101;
pub const DISCONNECT: i32 = 102;
/// "More to follow": the real reply comes as an event.
pub const INDETERMINATE: i32 = 112;

/// The text Pacemaker prints for an exit code (`crm_exit_str`).
pub fn describe(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "Error occurred",
        2 => "Invalid parameter",
        3 => "Unimplemented",
        4 => "Insufficient privileges",
        5 => "Not installed",
        6 => "Not configured",
        7 => "Not running",
        8 => "Promoted",
        9 => "Failed in promoted role",
        64 => "Incorrect usage",
        65 => "Invalid data given",
        66 => "Input file not available",
        67 => "User does not exist",
        68 => "Host does not exist",
        69 => "Necessary service unavailable",
        70 => "Internal software bug",
        71 => "Operating system error occurred",
        72 => "System file not available",
        73 => "Cannot create output file",
        74 => "I/O error occurred",
        75 => "Temporary failure, try again",
        76 => "Protocol violated",
        77 => "Insufficient privileges",
        78 => "Invalid configuration",
        100 => "Fatal error occurred, will not respawn",
        101 => "System panic required",
        102 => "Not connected",
        103 => "Update was older than existing configuration",
        104 => "Digest mismatch",
        105 => "No such object",
        106 => "Quorum required",
        107 => "Operation not safe",
        108 => "Requested item already exists",
        109 => "Multiple items match request",
        110 => "Requested item has expired",
        111 => "Requested item is not yet in effect",
        112 => "Could not determine status",
        113 => "Not applicable under current conditions",
        124 => "Timeout occurred",
        190 => "Service is active but might fail soon",
        191 => "Service is promoted but might fail soon",
        193 => "No exit status available",
        _ => "Unknown exit status",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_codes_have_pacemakers_text() {
        assert_eq!(super::describe(super::FATAL), "Fatal error occurred, will not respawn");
        assert_eq!(super::describe(1), "Error occurred");
        assert_eq!(super::describe(42), "Unknown exit status");
    }
}
