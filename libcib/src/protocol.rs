//! Every element, attribute, operation and flag name of the CIB IPC protocol, in one place.

/// Operation names (`cib_op`).
pub mod op {
    pub const REGISTER: &str = "register";
    pub const NOTIFY: &str = "cib_notify";
    pub const QUERY: &str = "cib_query";
    pub const MODIFY: &str = "cib_modify";
    pub const CREATE: &str = "cib_create";
    pub const DELETE: &str = "cib_delete";
    pub const REPLACE: &str = "cib_replace";
    pub const ERASE: &str = "cib_erase";
    pub const BUMP: &str = "cib_bump";
    pub const UPGRADE: &str = "cib_upgrade";
    pub const APPLY_PATCH: &str = "cib_apply_diff";
    pub const ABS_DELETE: &str = "cib_delete_alt";
    pub const SYNC_TO_ALL: &str = "cib_sync";
    pub const SYNC_TO_ONE: &str = "cib_sync_one";
    pub const PRIMARY: &str = "cib_master";
    pub const SECONDARY: &str = "cib_slave";
    pub const ALL_SECONDARY: &str = "cib_slave_all";
    pub const IS_PRIMARY: &str = "cib_ismaster";
    pub const SHUTDOWN: &str = "cib_shutdown_req";
    pub const NOOP: &str = "noop";
    pub const PING: &str = "ping";
}

/// Request/reply attribute names.
pub mod attr {
    pub const TYPE: &str = "t";
    pub const SUBTYPE: &str = "subt";
    pub const ORIGIN: &str = "src";
    pub const CLIENT_ID: &str = "cib_clientid";
    pub const CALL_OPTIONS: &str = "cib_callopt";
    pub const CALL_ID: &str = "cib_callid";
    pub const OPERATION: &str = "cib_op";
    pub const IS_REPLY_TO: &str = "cib_isreplyto";
    pub const SECTION: &str = "cib_section";
    pub const HOST: &str = "cib_host";
    pub const RC: &str = "cib_rc";
    pub const UPGRADE_RC: &str = "cib_upgrade_rc";
    pub const DELEGATED_FROM: &str = "cib_delegated_from";
    pub const OBJECT_ID: &str = "cib_object";
    pub const OBJECT_TYPE: &str = "cib_object_type";
    pub const GLOBAL_UPDATE: &str = "cib_update";
    pub const ASYNC_ID: &str = "cib_async_id";
    pub const CLIENT_NAME: &str = "cib_clientname";
    pub const NOTIFY_TYPE: &str = "cib_notify_type";
    pub const NOTIFY_ACTIVATE: &str = "cib_notify_activate";
    pub const UPDATE_DIFF: &str = "cib_update_diff";
    pub const USER: &str = "cib_user";
    pub const ACL_TARGET: &str = "acl_target";
    pub const PING_ID: &str = "cib_ping_id";
    pub const SCHEMA_MAX: &str = "cib_schema_max";
    pub const CHANGE_SECTION: &str = "cib_change_section";
    pub const DIGEST: &str = "digest";
    pub const FEATURE_SET: &str = "crm_feature_set";
}

/// Element names of messages.
pub mod element {
    /// A client request, and a request forwarded to peers.
    pub const COMMAND: &str = "cib_command";
    pub const CALLDATA: &str = "cib_calldata";
    pub const REPLY: &str = "cib-reply";
    pub const REGISTER_REPLY: &str = "cib_common_callback_worker";
    /// Broadcast by a CIB manager leaving the cluster (carries `cib_shutdown_req`).
    pub const EXIT_NOTIFICATION: &str = "exit-notification";
    pub const NOTIFY: &str = "notify";
    pub const REPLACE_NOTIFY: &str = "notify-replace";
    pub const GENERATION: &str = "cib_generation";
    pub const REPLACE_GENERATION: &str = "cib-replace-generation";
    pub const GENERATION_TUPLE: &str = "generation_tuple";
    pub const UPDATE: &str = "cib_update";
    pub const UPDATE_RESULT: &str = "cib_update_result";
    pub const PING_RESPONSE: &str = "ping_response";
    pub const XPATH_QUERY: &str = "xpath-query";
    pub const XPATH_QUERY_PATH: &str = "xpath-query-path";
    pub const FAILED: &str = "failed";
    pub const FAILED_UPDATE: &str = "failed_update";
    /// Wrappers a client may put around the input inside `cib_calldata`.
    pub const INPUT_WRAPPERS: [&str; 3] = ["cib_fragment", "crm_xml", "cib_calldata"];
}

/// Message type values (`t`) and notification subtypes.
pub mod msg_type {
    pub const CIB: &str = "cib";
    pub const NOTIFY: &str = "cib_notify";
    pub const DIFF_NOTIFY: &str = "cib_diff_notify";
    pub const REPLACE_NOTIFY: &str = "cib_refresh_notify";
    pub const PRE_NOTIFY: &str = "cib_pre_notify";
    pub const POST_NOTIFY: &str = "cib_post_notify";
    pub const UPDATE_CONFIRM: &str = "cib_update_confirmation";
}

/// `enum cib_call_options` bits.
pub mod call_opt {
    pub const VERBOSE: u32 = 0x0000_0001;
    pub const XPATH: u32 = 0x0000_0002;
    pub const MULTIPLE: u32 = 0x0000_0004;
    pub const CAN_CREATE: u32 = 0x0000_0008;
    pub const DISCARD_REPLY: u32 = 0x0000_0010;
    pub const NO_CHILDREN: u32 = 0x0000_0020;
    pub const XPATH_ADDRESS: u32 = 0x0000_0040;
    pub const MIXED_UPDATE: u32 = 0x0000_0080;
    pub const SCOPE_LOCAL: u32 = 0x0000_0100;
    pub const DRYRUN: u32 = 0x0000_0200;
    pub const SYNC_CALL: u32 = 0x0000_1000;
    pub const NO_MTIME: u32 = 0x0000_2000;
    pub const ZERO_COPY: u32 = 0x0000_4000;
    pub const INHIBIT_NOTIFY: u32 = 0x0001_0000;
    pub const QUORUM_OVERRIDE: u32 = 0x0010_0000;
    pub const INHIBIT_BCAST: u32 = 0x0100_0000;
    pub const FORCE_DIFF: u32 = 0x1000_0000;
}

/// Legacy result codes as the CIB sends them in `cib_rc` (already negated).
pub mod rc {
    pub const OK: i32 = 0;
    pub const EPERM: i32 = -1;
    pub const ENXIO: i32 = -6;
    pub const EACCES: i32 = -13;
    pub const EEXIST: i32 = -17;
    pub const EINVAL: i32 = -22;
    pub const ENOMSG: i32 = -42;
    pub const EPROTO: i32 = -71;
    pub const EMSGSIZE: i32 = -90;
    pub const EPROTONOSUPPORT: i32 = -93;
    pub const EOPNOTSUPP: i32 = -95;
    pub const OLD_DATA: i32 = -205;
    pub const DIFF_FAILED: i32 = -206;
    pub const DIFF_RESYNC: i32 = -207;
    pub const SCHEMA_VALIDATION: i32 = -203;
    pub const TRANSFORM_FAILED: i32 = -204;
    pub const SCHEMA_UNCHANGED: i32 = -211;
    pub const CIB_CORRUPT: i32 = -212;
}

/// Section names a request may target (`cib_section`), and where each lives.
pub mod section {
    pub const ALL: &str = "all";
    pub const CIB: &str = "cib";
    pub const STATUS: &str = "status";
    pub const CONFIGURATION: &str = "configuration";
    pub const NODES: &str = "nodes";
    pub const ALERTS: &str = "alerts";

    /// (section, parent section) for every known section.
    pub const PARENTS: [(&str, &str); 13] = [
        ("cib", ""),
        ("status", "cib"),
        ("configuration", "cib"),
        ("crm_config", "configuration"),
        ("nodes", "configuration"),
        ("resources", "configuration"),
        ("constraints", "configuration"),
        ("op_defaults", "configuration"),
        ("rsc_defaults", "configuration"),
        ("acls", "configuration"),
        ("fencing-topology", "configuration"),
        ("tags", "configuration"),
        ("alerts", "configuration"),
    ];

    pub fn parent_of(name: &str) -> Option<&'static str> {
        PARENTS.iter().find(|(s, _)| *s == name).map(|(_, p)| *p)
    }
}

/// Attributes of the `<cib>` element.
pub mod cib_attr {
    pub const ADMIN_EPOCH: &str = "admin_epoch";
    pub const EPOCH: &str = "epoch";
    pub const NUM_UPDATES: &str = "num_updates";
    pub const VALIDATE_WITH: &str = "validate-with";
    pub const FEATURE_SET: &str = "crm_feature_set";
    pub const LAST_WRITTEN: &str = "cib-last-written";
    pub const UPDATE_ORIGIN: &str = "update-origin";
    pub const UPDATE_CLIENT: &str = "update-client";
    pub const UPDATE_USER: &str = "update-user";
    pub const HAVE_QUORUM: &str = "have-quorum";
    pub const DC_UUID: &str = "dc-uuid";
}

/// Pacemaker's feature set (CRM_FEATURE_SET) of 2.1.5.
pub const FEATURE_SET: &str = "3.16.1";

/// Daemon names whose clients get the larger `cluster-ipc-limit` event queue.
pub const DAEMON_CLIENT_NAMES: [&str; 16] = [
    "attrd", "cib", "crmd", "lrmd", "pacemakerd", "stonithd", "stonith-ng", "pengine", "dc", "tengine",
    "pacemaker-attrd", "pacemaker-based", "pacemaker-controld", "pacemaker-execd", "pacemaker-fenced",
    "pacemaker-schedulerd",
];

/// Text of a legacy rc, as pcmk_strerror gives it.
pub fn rc_text(rc: i32) -> String {
    match rc {
        0 => "OK".into(),
        -201 => "Error".into(),
        -202 => "No quorum".into(),
        -203 => "Update does not conform to the configured schema".into(),
        -204 => "Schema transform failed".into(),
        -205 => "Update was older than existing configuration".into(),
        -206 => "Application of update diff failed".into(),
        -207 => "Application of update diff failed, requesting full refresh".into(),
        -208 => "On-disk configuration was manually modified".into(),
        -209 => "Could not archive previous configuration".into(),
        -210 => "Could not save new configuration to disk".into(),
        -211 => "Schema is already the latest available".into(),
        -212 => "Configuration is corrupt".into(),
        r if r < 0 => std::io::Error::from_raw_os_error(-r).to_string().split(" (os error").next().unwrap_or("").to_owned(),
        r => format!("Unknown result {r}"),
    }
}
