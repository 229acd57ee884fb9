//! Every name and number of the executor (`lrmd`) IPC protocol of Pacemaker 2.1.5, in one
//! place: operation names, element and attribute names, call options, execution statuses
//! and agent exit codes.

/// The libqb IPC service name the executor serves.
pub const IPC_NAME: &str = "lrmd";

/// Protocol version this side speaks (sent in the handshake).
pub const PROTOCOL_VERSION: &str = "1.1";
/// Oldest client protocol version the executor accepts.
pub const MIN_PROTOCOL_VERSION: &str = "1.0";

/// Operation names (`lrmd_op`).
pub mod op {
    /// The client handshake (shared with the other daemons' IPC).
    pub const REGISTER: &str = "register";
    pub const RSC_REGISTER: &str = "lrmd_rsc_register";
    pub const RSC_EXEC: &str = "lrmd_rsc_exec";
    pub const RSC_CANCEL: &str = "lrmd_rsc_cancel";
    pub const RSC_UNREGISTER: &str = "lrmd_rsc_unregister";
    pub const RSC_INFO: &str = "lrmd_rsc_info";
    pub const RSC_METADATA: &str = "lrmd_rsc_metadata";
    pub const POKE: &str = "lrmd_rsc_poke";
    pub const NEW_CLIENT: &str = "lrmd_rsc_new_client";
    pub const CHECK: &str = "lrmd_check";
    pub const ALERT_EXEC: &str = "lrmd_alert_exec";
    pub const GET_RECURRING: &str = "lrmd_get_recurring";
    /// Proxied IPC forwarding (Pacemaker Remote only).
    pub const IPC_FWD: &str = "ipc_fwd";
}

/// Element names.
pub mod element {
    /// A request from a client.
    pub const COMMAND: &str = "lrmd_command";
    /// A synchronous reply.
    pub const REPLY: &str = "lrmd_reply";
    /// An event (notification) to clients.
    pub const NOTIFY: &str = "lrmd_notify";
    /// Wrapper of a request's payload.
    pub const CALLDATA: &str = "lrmd_calldata";
    /// A resource in a payload or a recurring-operation listing.
    pub const RSC: &str = "lrmd_rsc";
    /// One recurring operation in a `lrmd_get_recurring` reply.
    pub const RSC_OP: &str = "lrmd_rsc_op";
    /// An alert in an `lrmd_alert_exec` payload.
    pub const ALERT: &str = "lrmd_alert";
    /// Operation parameters, as attributes (names starting with a digit as `param` children).
    pub const ATTRIBUTES: &str = "attributes";
    /// A parameter whose name cannot be an XML attribute name.
    pub const PARAM: &str = "param";
}

/// Attribute names.
pub mod attr {
    /// Message type (`t`), always [`super::MSG_TYPE`] for this protocol.
    pub const TYPE: &str = "t";
    /// Pacemaker's element-name echo on requests.
    pub const XML_TAGNAME: &str = "__name__";
    pub const OPERATION: &str = "lrmd_op";
    pub const CLIENT_NAME: &str = "lrmd_clientname";
    pub const IS_IPC_PROVIDER: &str = "lrmd_is_ipc_provider";
    pub const CLIENT_ID: &str = "lrmd_clientid";
    pub const PROTOCOL_VERSION: &str = "lrmd_protocol_version";
    pub const REMOTE_MSG_TYPE: &str = "lrmd_remote_msg_type";
    pub const REMOTE_MSG_ID: &str = "lrmd_remote_msg_id";
    /// The client's registration token, echoed on every request.
    pub const CALLBACK_TOKEN: &str = "lrmd_async_id";
    pub const CALL_ID: &str = "lrmd_callid";
    pub const CALL_OPTIONS: &str = "lrmd_callopt";
    pub const CALLDATA: &str = "lrmd_calldata";
    /// A legacy Pacemaker return code (0 or -errno; the call id for exec replies).
    pub const RC: &str = "lrmd_rc";
    pub const EXEC_RC: &str = "lrmd_exec_rc";
    pub const OP_STATUS: &str = "lrmd_exec_op_status";
    pub const TIMEOUT: &str = "lrmd_timeout";
    pub const WATCHDOG: &str = "lrmd_watchdog";
    pub const CLASS: &str = "lrmd_class";
    pub const PROVIDER: &str = "lrmd_provider";
    pub const AGENT_TYPE: &str = "lrmd_type";
    pub const ORIGIN: &str = "lrmd_origin";
    pub const RUN_TIME: &str = "lrmd_run_time";
    pub const RC_CHANGE_TIME: &str = "lrmd_rcchange_time";
    pub const EXEC_TIME: &str = "lrmd_exec_time";
    pub const QUEUE_TIME: &str = "lrmd_queue_time";
    pub const RSC_ID: &str = "lrmd_rsc_id";
    pub const RSC_ACTION: &str = "lrmd_rsc_action";
    pub const RSC_USERDATA: &str = "lrmd_rsc_userdata_str";
    pub const RSC_OUTPUT: &str = "lrmd_rsc_output";
    pub const RSC_EXIT_REASON: &str = "lrmd_rsc_exit_reason";
    pub const RSC_START_DELAY: &str = "lrmd_rsc_start_delay";
    pub const RSC_INTERVAL: &str = "lrmd_rsc_interval";
    pub const RSC_DELETED: &str = "lrmd_rsc_deleted";
    pub const ALERT_ID: &str = "lrmd_alert_id";
    pub const ALERT_PATH: &str = "lrmd_alert_path";
    /// `name`/`value` of a [`super::element::PARAM`].
    pub const PARAM_NAME: &str = "name";
    pub const PARAM_VALUE: &str = "value";
}

/// The `t` of every executor message.
pub const MSG_TYPE: &str = "lrmd";

/// Call option bits (`lrmd_callopt`).
pub mod call_opt {
    pub const NONE: u32 = 0;
    /// Send the result event only to the client that asked.
    pub const NOTIFY_ORIG_ONLY: u32 = 1 << 1;
    /// On resource registration: drop the client's recurring operations when it leaves.
    /// (Overlaps [`NOTIFY_ORIG_ONLY`] in Pacemaker; both bits must be set.)
    pub const DROP_RECURRING: u32 = 0x3;
    /// Report a recurring operation's result only when it changes.
    pub const NOTIFY_CHANGES_ONLY: u32 = 1 << 2;
}

/// Execution status (`lrmd_exec_op_status`): how the attempt to run the agent went.
pub mod exec_status {
    pub const UNKNOWN: i32 = -2;
    pub const PENDING: i32 = -1;
    pub const DONE: i32 = 0;
    pub const CANCELLED: i32 = 1;
    pub const TIMEOUT: i32 = 2;
    pub const NOT_SUPPORTED: i32 = 3;
    pub const ERROR: i32 = 4;
    pub const ERROR_HARD: i32 = 5;
    pub const ERROR_FATAL: i32 = 6;
    pub const NOT_INSTALLED: i32 = 7;
    pub const NOT_CONNECTED: i32 = 8;
    pub const INVALID: i32 = 9;
    pub const NO_FENCE_DEVICE: i32 = 10;
    pub const NO_SECRETS: i32 = 11;

    /// Pacemaker's text for a status, as its logs show it.
    pub fn describe(status: i32) -> &'static str {
        match status {
            PENDING => "pending",
            DONE => "complete",
            CANCELLED => "Cancelled",
            TIMEOUT => "Timed Out",
            NOT_SUPPORTED => "NOT SUPPORTED",
            ERROR => "Error",
            ERROR_HARD => "Hard error",
            ERROR_FATAL => "Fatal error",
            NOT_INSTALLED => "Not installed",
            NOT_CONNECTED => "Internal communication failure",
            INVALID => "Cannot execute now",
            NO_FENCE_DEVICE => "No fence device",
            NO_SECRETS => "CIB secrets unavailable",
            _ => "UNKNOWN!",
        }
    }
}

/// OCF exit codes (what every result is mapped to).
pub mod ocf {
    pub const OK: i32 = 0;
    pub const UNKNOWN_ERROR: i32 = 1;
    pub const INVALID_PARAM: i32 = 2;
    pub const UNIMPLEMENT_FEATURE: i32 = 3;
    pub const INSUFFICIENT_PRIV: i32 = 4;
    pub const NOT_INSTALLED: i32 = 5;
    pub const NOT_CONFIGURED: i32 = 6;
    pub const NOT_RUNNING: i32 = 7;
    pub const RUNNING_PROMOTED: i32 = 8;
    pub const FAILED_PROMOTED: i32 = 9;
    pub const DEGRADED: i32 = 190;
    pub const DEGRADED_PROMOTED: i32 = 191;
    /// Result of a pending action, as the controller records it.
    pub const UNKNOWN: i32 = 193;

    /// The OCF API version agents are told (`OCF_RA_VERSION_MAJOR`/`MINOR`).
    pub const API_MAJOR: &str = "1";
    pub const API_MINOR: &str = "1";
    /// Where OCF agents live (`OCF_ROOT`); agents are `<root>/resource.d/<provider>/<type>`.
    pub const ROOT: &str = "/usr/lib/ocf";
    pub const RESOURCE_DIR: &str = "/usr/lib/ocf/resource.d";
    /// Agents print `<prefix><reason>` on stderr to give an exit reason.
    pub const EXIT_REASON_PREFIX: &str = "ocf-exit-reason:";
    /// Longest exit reason kept, in bytes.
    pub const EXIT_REASON_MAX_LEN: usize = 128;
}

/// LSB init script exit codes.
pub mod lsb {
    /// Where LSB scripts live when the agent name is not an absolute path.
    pub const INIT_DIR: &str = "/etc/init.d";

    pub const OK: i32 = 0;
    pub const NOT_RUNNING: i32 = 7;

    pub const STATUS_OK: i32 = 0;
    pub const STATUS_VAR_PID: i32 = 1;
    pub const STATUS_VAR_LOCK: i32 = 2;
    pub const STATUS_NOT_RUNNING: i32 = 3;
    pub const STATUS_UNKNOWN: i32 = 4;
    /// Pacemaker's private codes for a status action that could not run.
    pub const STATUS_NOT_INSTALLED: i32 = 150;
    pub const STATUS_INSUFFICIENT_PRIV: i32 = 151;
}

/// Nagios plugin exit codes.
pub mod nagios {
    /// Where plugins live when the agent name is not an absolute path.
    pub const PLUGIN_DIR: &str = "/usr/lib/nagios/plugins";

    pub const STATE_OK: i32 = 0;
    pub const STATE_WARNING: i32 = 1;
    pub const STATE_CRITICAL: i32 = 2;
    pub const STATE_UNKNOWN: i32 = 3;
    /// Pacemaker's private code for a plugin it was not allowed to run.
    pub const INSUFFICIENT_PRIV: i32 = 100;
}

/// Legacy return codes (`lrmd_rc`) used by the protocol: 0 or a negative errno.
pub mod rc {
    pub const OK: i32 = 0;
    pub const EINVAL: i32 = -22;
    pub const EACCES: i32 = -13;
    pub const ENODEV: i32 = -19;
    pub const EPROTO: i32 = -71;
    pub const EOPNOTSUPP: i32 = -95;
    pub const EPROTONOSUPPORT: i32 = -93;
    pub const EINPROGRESS: i32 = -115;
    pub const ENOTCONN: i32 = -107;
    pub const ENOMSG: i32 = -42;
    pub const ETIME: i32 = -62;
}

/// Resource agent classes (standards).
pub mod class {
    pub const OCF: &str = "ocf";
    pub const LSB: &str = "lsb";
    pub const SERVICE: &str = "service";
    pub const SYSTEMD: &str = "systemd";
    pub const STONITH: &str = "stonith";
    pub const NAGIOS: &str = "nagios";
    pub const ALERT: &str = "alert";

    /// Whether resources of this class need a provider (only OCF does).
    pub fn needs_provider(class: &str) -> bool {
        class.eq_ignore_ascii_case(OCF)
    }

    /// Whether the class calls its monitor action "status" (LSB, service).
    pub fn monitor_is_status(class: &str) -> bool {
        class.eq_ignore_ascii_case(LSB) || class.eq_ignore_ascii_case(SERVICE)
    }
}

/// Action names with special handling.
pub mod action {
    pub const START: &str = "start";
    pub const STOP: &str = "stop";
    pub const MONITOR: &str = "monitor";
    pub const STATUS: &str = "status";
    pub const PROMOTE: &str = "promote";
    pub const DEMOTE: &str = "demote";
    pub const META_DATA: &str = "meta-data";
}

/// The fixed `lrmd_origin` values the C executor puts on its messages (it uses the name of
/// the function that built the message).
pub mod origin {
    pub const MESSAGE: &str = "process_lrmd_message";
    pub const SIGNON: &str = "process_lrmd_signon";
    pub const GET_RSC_INFO: &str = "process_lrmd_get_rsc_info";
    pub const GET_RECURRING: &str = "process_lrmd_get_recurring";
    pub const CMD_COMPLETE: &str = "send_cmd_complete_notify";
    pub const GENERIC_NOTIFY: &str = "send_generic_notify";
    pub const NEW_CLIENT: &str = "notify_of_new_client";
}
