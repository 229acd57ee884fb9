//! The executor's connection to the fencer (`stonith-ng` IPC), for fence device resources:
//! a start registers the device with the fencer and then monitors it, a stop removes it, a
//! monitor asks the fencer to run the device's monitor (its result comes later as an
//! event). Names follow Pacemaker 2.1.5's fencing API.

use libcrmcommon::ipc::client::{ClientError, IpcClient};
use libcrmcommon::xml::Element;
use liblrmd::event::Params;
use liblrmd::protocol::exec_status;
use std::time::Duration;

const IPC_NAME: &str = "stonith-ng";
const MSG_TYPE: &str = "stonith-ng";
const CLIENT_NAME: &str = "pacemaker-execd";
/// `st_opt_sync_call`: the fencer answers with the result.
const SYNC_CALL: u32 = 0x1000;
/// How long a synchronous request may take (Pacemaker allows the timeout plus 60 s).
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

mod attr {
    pub const TYPE: &str = "t";
    pub const XML_TAGNAME: &str = "__name__";
    pub const OPERATION: &str = "st_op";
    pub const CLIENT_NAME: &str = "st_clientname";
    pub const CLIENT_ID: &str = "st_clientid";
    pub const CALLBACK_TOKEN: &str = "st_async_id";
    pub const CALL_ID: &str = "st_callid";
    pub const CALL_OPTIONS: &str = "st_callopt";
    pub const CALLDATA: &str = "st_calldata";
    pub const TIMEOUT: &str = "st_timeout";
    pub const DEVICE: &str = "st_device_id";
    pub const ACTION: &str = "st_device_action";
    pub const ORIGIN: &str = "st_origin";
    pub const LEGACY_RC: &str = "st_rc";
    pub const RC: &str = "rc-code";
    pub const OP_STATUS: &str = "op-status";
    pub const EXIT_REASON: &str = "exit-reason";
}

mod op {
    pub const REGISTER: &str = "register";
    pub const DEVICE_ADD: &str = "st_device_register";
    pub const DEVICE_DEL: &str = "st_device_remove";
    pub const EXEC: &str = "st_execute";
}

/// A fencer result: exit status, execution status, reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceResult {
    pub exit_status: i32,
    pub exec_status: i32,
    pub exit_reason: Option<String>,
}

impl FenceResult {
    pub fn ok(&self) -> bool {
        self.exit_status == 0 && self.exec_status == exec_status::DONE
    }

    fn from_xml(msg: &Element) -> FenceResult {
        let int = |name: &str| msg.attr(name).and_then(|v| v.trim().parse::<i32>().ok());
        let reason = msg.attr(attr::EXIT_REASON).map(str::to_owned);
        match (int(attr::RC), int(attr::OP_STATUS)) {
            (Some(exit_status), Some(exec_status)) => FenceResult { exit_status, exec_status, exit_reason: reason },
            // Fencers before 2.1.3 sent only a legacy return code.
            _ => match int(attr::LEGACY_RC) {
                Some(rc) => FenceResult {
                    exit_status: if rc == 0 || rc == -libc::EINPROGRESS { 0 } else { 1 },
                    exec_status: if rc == 0 { exec_status::DONE } else { exec_status::ERROR },
                    exit_reason: (rc != 0).then(|| crate::agent::strerror(rc.saturating_neg())),
                },
                None => FenceResult {
                    exit_status: 1,
                    exec_status: exec_status::ERROR,
                    exit_reason: Some("Fencer reply contained neither a full result nor a legacy return code (bug?)".into()),
                },
            },
        }
    }
}

/// An asynchronous result that arrived.
#[derive(Debug)]
pub struct FenceEvent {
    pub call_id: i32,
    pub result: FenceResult,
}

pub struct FencerClient {
    ipc: IpcClient,
    token: String,
    call_id: i32,
}

impl FencerClient {
    /// Connects and signs on (one attempt; the caller retries on its next operation).
    pub fn connect() -> Result<FencerClient, String> {
        let mut ipc = IpcClient::connect(IPC_NAME, 0).map_err(|e| e.to_string())?;
        let hello = Element::new("stonith_command")
            .with_attr(attr::TYPE, MSG_TYPE)
            .with_attr(attr::OPERATION, op::REGISTER)
            .with_attr(attr::CLIENT_NAME, CLIENT_NAME);
        let reply = ipc
            .request(&hello, SYNC_TIMEOUT)
            .map_err(|e| e.to_string())?;
        if reply.attr(attr::OPERATION) != Some(op::REGISTER) {
            return Err("invalid fencer registration reply".into());
        }
        let token = reply
            .attr(attr::CLIENT_ID)
            .ok_or("no token in fencer registration reply")?
            .to_owned();
        Ok(FencerClient {
            ipc,
            token,
            call_id: 0,
        })
    }

    fn command(
        &mut self,
        operation: &str,
        data: Element,
        options: u32,
        timeout_s: i32,
    ) -> (i32, Element) {
        self.call_id = self.call_id.wrapping_add(1).max(1);
        let msg = Element::new("stonith_command")
            .with_attr(attr::XML_TAGNAME, "stonith_command")
            .with_attr(attr::TYPE, MSG_TYPE)
            .with_attr(attr::CALLBACK_TOKEN, self.token.clone())
            .with_attr(attr::OPERATION, operation)
            .with_attr(attr::CALL_ID, self.call_id.to_string())
            .with_attr(attr::CALL_OPTIONS, options.to_string())
            .with_attr(attr::TIMEOUT, timeout_s.to_string())
            .with_child(Element::new(attr::CALLDATA).with_child(data));
        (self.call_id, msg)
    }

    fn sync(&mut self, operation: &str, data: Element) -> Result<FenceResult, ClientError> {
        let (call_id, msg) = self.command(operation, data, SYNC_CALL, 0);
        let reply = self.ipc.request(&msg, SYNC_TIMEOUT)?;
        let reply_id = reply
            .attr(attr::CALL_ID)
            .and_then(|v| v.parse::<i32>().ok());
        if reply_id == Some(call_id) {
            return Ok(FenceResult::from_xml(&reply));
        }
        Ok(FenceResult {
            exit_status: 1,
            exec_status: exec_status::ERROR,
            exit_reason: Some("No message of desired type".into()),
        })
    }

    /// Registers a fence device (synchronously, as Pacemaker's executor does).
    pub fn register_device(
        &mut self,
        id: &str,
        agent: &str,
        params: &Params,
    ) -> Result<FenceResult, ClientError> {
        let mut attributes = Element::new("attributes");
        for (name, value) in params {
            if !attributes.has_attr(name) {
                attributes.set_attr(name.clone(), value.clone());
            }
        }
        let data = Element::new(attr::DEVICE)
            .with_attr("id", id)
            .with_attr(attr::ORIGIN, "create_device_registration_xml")
            .with_attr("agent", agent)
            .with_child(attributes);
        self.sync(op::DEVICE_ADD, data)
    }

    /// Removes a fence device (synchronously).
    pub fn remove_device(&mut self, id: &str) -> Result<FenceResult, ClientError> {
        let data = Element::new(attr::DEVICE)
            .with_attr(attr::ORIGIN, "stonith_api_remove_device")
            .with_attr("id", id);
        self.sync(op::DEVICE_DEL, data)
    }

    /// Asks for a device monitor; returns the call id its result event will carry.
    pub fn monitor(&mut self, id: &str, timeout_s: i32) -> Result<i32, ClientError> {
        let data = Element::new(attr::DEVICE)
            .with_attr(attr::ORIGIN, "stonith_api_call")
            .with_attr(attr::DEVICE, id)
            .with_attr(attr::ACTION, "monitor");
        let (call_id, msg) = self.command(op::EXEC, data, 0, timeout_s);
        self.ipc.send_async(&msg)?;
        Ok(call_id)
    }

    /// Results that have arrived (without waiting). An error means the connection is lost.
    pub fn poll_events(&mut self) -> Result<Vec<FenceEvent>, ClientError> {
        let mut events = Vec::new();
        loop {
            match self.ipc.next_event(Duration::ZERO) {
                Ok(msg) => {
                    if msg.attr(attr::TYPE) != Some(MSG_TYPE) {
                        continue; // notifications and timeout updates
                    }
                    let Some(call_id) = msg.attr(attr::CALL_ID).and_then(|v| v.parse().ok()) else {
                        continue;
                    };
                    events.push(FenceEvent {
                        call_id,
                        result: FenceResult::from_xml(&msg),
                    });
                }
                Err(ClientError::Io(e))
                    if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::ETIMEDOUT)) =>
                {
                    if !self.ipc.is_connected() {
                        return Err(ClientError::Io(std::io::ErrorKind::NotConnected.into()));
                    }
                    return Ok(events);
                }
                Err(e) => return Err(e),
            }
        }
    }
}
