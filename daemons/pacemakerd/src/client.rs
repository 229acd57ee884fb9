//! pacemakerd as a client of a running pacemakerd: the start-up check for another instance
//! and `pacemakerd --shutdown`.

use crate::exit_codes;
use crate::messages::{self, OP_QUIT, SYSTEM_NAME};
use libcrmcommon::ipc::client::{ClientError, IpcClient};
use std::time::Duration;

/// How long the running instance has to answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to a running pacemakerd, or says why not.
pub fn connect() -> Result<IpcClient, ClientError> {
    IpcClient::connect(SYSTEM_NAME, 0)
}

/// The error text Pacemaker prints for a failed connection (its `pcmk_rc_str`).
pub fn describe(error: &ClientError) -> String {
    match error {
        ClientError::Connect(e) | ClientError::Io(e) => match e.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code).to_string().split(" (os error").next().unwrap_or("").to_owned(),
            None => e.to_string(),
        },
        other => other.to_string(),
    }
}

/// Asks the running instance to shut down (it does not wait for the shutdown). Returns the
/// exit code.
pub fn request_shutdown(mut client: IpcClient) -> i32 {
    let request = messages::request(OP_QUIT, SYSTEM_NAME, &std::process::id().to_string(), "do_pacemakerd_api_call");
    let ack = match client.request(&request, REPLY_TIMEOUT) {
        Ok(ack) => ack,
        Err(e) => {
            tracing::debug!("Couldn't send request to pacemakerd: {}", e);
            eprintln!("Bad reply from pacemakerd: {}", describe(&e));
            return exit_codes::DISCONNECT;
        }
    };
    let more_to_follow = ack.name == "ack" && ack.attr_i64("status") == Some(exit_codes::INDETERMINATE as i64);
    if ack.name == "ack" && !more_to_follow {
        return exit_codes::OK;
    }
    let reply = if more_to_follow {
        match client.next_event(REPLY_TIMEOUT) {
            Ok(reply) => reply,
            // The request went out; whether the reply arrives does not change the result.
            Err(_) => return exit_codes::OK,
        }
    } else {
        ack
    };
    if reply.attr("subt") != Some("response") || reply.attr("reference").is_none_or(str::is_empty) {
        eprintln!("Bad reply from pacemakerd: {}", exit_codes::describe(exit_codes::PROTOCOL));
    } else if reply.attr("crm_task") != Some(OP_QUIT) {
        eprintln!("Unknown reply type from pacemakerd");
    }
    exit_codes::OK
}
