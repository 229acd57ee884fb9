//! A blocking client of the local executor (`lrmd` IPC), with the semantics of Pacemaker's
//! `lrmd_api` for a local connection: handshake on connect, synchronous requests answered
//! with a legacy return code, and operation results arriving later as events.

use crate::event::{params_to_xml, Event, Params};
use crate::protocol::{self, attr, element, op, rc};
use libcrmcommon::ipc::client::{ClientError, IpcClient};
use libcrmcommon::xml::Element;
use std::time::Duration;

/// The IPC buffer the C client asks for.
const IPC_BUFFER: usize = 0;
/// How long a request waits for its reply unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// `lrmd_check` has no reply from the C executor; this is how long we listen for one anyway.
const CHECK_REPLY_WAIT: Duration = Duration::from_millis(300);

#[derive(Debug)]
pub enum LrmdError {
    /// The IPC layer failed (not connected, server gone, bad frame).
    Ipc(ClientError),
    /// The executor answered with this negative legacy return code (`-errno`).
    Rejected(i32),
    /// The executor's answer did not make sense.
    Protocol(String),
    /// A request argument is missing or invalid (nothing was sent).
    InvalidArgument(&'static str),
}

impl std::fmt::Display for LrmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LrmdError::Ipc(e) => write!(f, "{e}"),
            LrmdError::Rejected(code) => {
                write!(
                    f,
                    "executor returned {code} ({})",
                    std::io::Error::from_raw_os_error(code.saturating_neg())
                )
            }
            LrmdError::Protocol(what) => write!(f, "executor protocol error: {what}"),
            LrmdError::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
        }
    }
}

impl std::error::Error for LrmdError {}

impl From<ClientError> for LrmdError {
    fn from(e: ClientError) -> Self {
        LrmdError::Ipc(e)
    }
}

/// What the executor knows about a registered resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RscInfo {
    pub id: String,
    pub class: String,
    pub provider: Option<String>,
    pub agent: String,
}

/// One recurring operation the executor runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringOp {
    pub rsc_id: String,
    pub action: String,
    pub interval_ms: u32,
    pub timeout_ms: i32,
}

/// An operation to run.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub rsc_id: String,
    pub action: String,
    /// Opaque text given back in the result event.
    pub user_data: Option<String>,
    /// 0 for a one-shot operation.
    pub interval_ms: u32,
    pub timeout_ms: i32,
    pub start_delay_ms: i32,
    /// [`protocol::call_opt`] bits.
    pub options: u32,
    /// Agent parameters, including `CRM_meta_*` ones.
    pub params: Params,
}

pub struct LrmdClient {
    ipc: IpcClient,
    token: String,
    peer_version: String,
    timeout: Duration,
}

impl LrmdClient {
    /// Connects to the local executor and registers as `client_name`.
    pub fn connect(client_name: &str) -> Result<LrmdClient, LrmdError> {
        let mut ipc = IpcClient::connect(protocol::IPC_NAME, IPC_BUFFER)?;
        let hello = Element::new(element::COMMAND)
            .with_attr(attr::TYPE, protocol::MSG_TYPE)
            .with_attr(attr::OPERATION, op::REGISTER)
            .with_attr(attr::CLIENT_NAME, client_name)
            .with_attr(attr::PROTOCOL_VERSION, protocol::PROTOCOL_VERSION);
        let reply = ipc.request(&hello, DEFAULT_TIMEOUT)?;
        let code = reply_rc(&reply).unwrap_or(rc::OK);
        if code == rc::EPROTO {
            return Err(LrmdError::Rejected(code));
        }
        if !reply
            .attr(attr::OPERATION)
            .is_some_and(|o| o.eq_ignore_ascii_case(op::REGISTER))
        {
            return Err(LrmdError::Protocol(
                "registration reply is not a registration".into(),
            ));
        }
        let token = reply
            .attr(attr::CLIENT_ID)
            .ok_or_else(|| LrmdError::Protocol("registration reply carries no client id".into()))?
            .to_owned();
        // Servers older than protocol 1.1 did not say their version.
        let peer_version = reply
            .attr(attr::PROTOCOL_VERSION)
            .unwrap_or("1.0")
            .to_owned();
        Ok(LrmdClient {
            ipc,
            token,
            peer_version,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The id the executor gave this connection.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The executor's protocol version.
    pub fn peer_version(&self) -> &str {
        &self.peer_version
    }

    /// How long requests wait for their reply.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn is_connected(&self) -> bool {
        self.ipc.is_connected()
    }

    /// A descriptor to poll in the caller's event loop: readable when an event is waiting
    /// (take it with `next_event(Duration::ZERO)`) or the executor went away. Owned by
    /// the connection; do not close it.
    pub fn event_fd(&self) -> Result<std::os::fd::RawFd, LrmdError> {
        Ok(self.ipc.event_fd()?)
    }

    fn command(
        &self,
        operation: &str,
        data: Option<Element>,
        timeout_ms: i32,
        options: u32,
    ) -> Element {
        let mut msg = Element::new(element::COMMAND)
            .with_attr(attr::XML_TAGNAME, element::COMMAND)
            .with_attr(attr::TYPE, protocol::MSG_TYPE)
            .with_attr(attr::CALLBACK_TOKEN, self.token.clone())
            .with_attr(attr::OPERATION, operation)
            .with_attr(attr::TIMEOUT, timeout_ms.to_string())
            .with_attr(attr::CALL_OPTIONS, options.to_string());
        if let Some(data) = data {
            msg.push_child(Element::new(element::CALLDATA).with_child(data));
        }
        msg
    }

    /// Sends a request and returns its reply, failing on a negative return code.
    fn send(
        &mut self,
        operation: &str,
        data: Option<Element>,
        timeout_ms: i32,
        options: u32,
    ) -> Result<Element, LrmdError> {
        let msg = self.command(operation, data, timeout_ms, options);
        let reply = self.ipc.request(&msg, self.timeout)?;
        match reply_rc(&reply) {
            None => Err(LrmdError::Protocol(format!(
                "reply to {operation} has no return code"
            ))),
            Some(code) if code < 0 => Err(LrmdError::Rejected(code)),
            Some(_) => Ok(reply),
        }
    }

    /// Sends any request with an optional payload (wrapped in `lrmd_calldata`) and returns
    /// the reply whatever its return code: for tools and tests that need requests the typed
    /// calls cannot build.
    pub fn send_command(
        &mut self,
        operation: &str,
        data: Option<Element>,
        options: u32,
    ) -> Result<Element, LrmdError> {
        let msg = self.command(operation, data, 0, options);
        Ok(self.ipc.request(&msg, self.timeout)?)
    }

    /// Tells the executor about a resource (needed before executing anything on it).
    pub fn register_rsc(
        &mut self,
        rsc_id: &str,
        class: &str,
        provider: Option<&str>,
        agent: &str,
        options: u32,
    ) -> Result<(), LrmdError> {
        if rsc_id.is_empty() || class.is_empty() || agent.is_empty() {
            return Err(LrmdError::InvalidArgument(
                "resource id, class and agent are required",
            ));
        }
        if protocol::class::needs_provider(class) && provider.is_none() {
            return Err(LrmdError::InvalidArgument("this class needs a provider"));
        }
        let mut data = rsc_element("lrmd_api_register_rsc", rsc_id).with_attr(attr::CLASS, class);
        if let Some(provider) = provider {
            data.set_attr(attr::PROVIDER, provider);
        }
        data.set_attr(attr::AGENT_TYPE, agent);
        self.send(op::RSC_REGISTER, Some(data), 0, options)
            .map(|_| ())
    }

    /// Forgets a resource. Returns `true` when an operation on it is still running (its
    /// result will come with `rsc_deleted` set).
    pub fn unregister_rsc(&mut self, rsc_id: &str, options: u32) -> Result<bool, LrmdError> {
        match self.send(
            op::RSC_UNREGISTER,
            Some(rsc_element("lrmd_api_unregister_rsc", rsc_id)),
            0,
            options,
        ) {
            Ok(_) => Ok(false),
            Err(LrmdError::Rejected(rc::EINPROGRESS)) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// The registration of `rsc_id`, or `None` if the executor does not know it.
    pub fn get_rsc_info(&mut self, rsc_id: &str) -> Result<Option<RscInfo>, LrmdError> {
        let reply = match self.send(
            op::RSC_INFO,
            Some(rsc_element("lrmd_api_get_rsc_info", rsc_id)),
            0,
            0,
        ) {
            Ok(reply) => reply,
            Err(LrmdError::Rejected(rc::ENODEV)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let (Some(class), Some(agent)) = (reply.attr(attr::CLASS), reply.attr(attr::AGENT_TYPE))
        else {
            return Ok(None);
        };
        let provider = reply.attr(attr::PROVIDER).map(str::to_owned);
        if protocol::class::needs_provider(class) && provider.is_none() {
            return Ok(None);
        }
        Ok(Some(RscInfo {
            id: rsc_id.to_owned(),
            class: class.to_owned(),
            provider,
            agent: agent.to_owned(),
        }))
    }

    /// Queues an operation; returns its call id (its result comes as an event).
    pub fn exec(&mut self, request: &ExecRequest) -> Result<i32, LrmdError> {
        let mut data = rsc_element("lrmd_api_exec", &request.rsc_id)
            .with_attr(attr::RSC_ACTION, request.action.clone());
        if let Some(user_data) = &request.user_data {
            data.set_attr(attr::RSC_USERDATA, user_data.clone());
        }
        data.set_attr(attr::RSC_INTERVAL, request.interval_ms.to_string());
        data.set_attr(attr::TIMEOUT, request.timeout_ms.to_string());
        data.set_attr(attr::RSC_START_DELAY, request.start_delay_ms.to_string());
        data.push_child(params_to_xml(&request.params));
        let reply = self.send(
            op::RSC_EXEC,
            Some(data),
            request.timeout_ms,
            request.options,
        )?;
        reply_rc(&reply).ok_or_else(|| LrmdError::Protocol("exec reply has no call id".into()))
    }

    /// Cancels a queued or recurring operation (its result event says "cancelled").
    pub fn cancel(
        &mut self,
        rsc_id: &str,
        action: &str,
        interval_ms: u32,
    ) -> Result<(), LrmdError> {
        let data = Element::new(element::RSC)
            .with_attr(attr::ORIGIN, "lrmd_api_cancel")
            .with_attr(attr::RSC_ACTION, action)
            .with_attr(attr::RSC_ID, rsc_id)
            .with_attr(attr::RSC_INTERVAL, interval_ms.to_string());
        self.send(op::RSC_CANCEL, Some(data), 0, 0).map(|_| ())
    }

    /// The recurring operations of one resource, or of all when `rsc_id` is `None`.
    pub fn get_recurring(&mut self, rsc_id: Option<&str>) -> Result<Vec<RecurringOp>, LrmdError> {
        let data = rsc_id.map(|id| rsc_element("lrmd_api_get_recurring_ops", id));
        let reply = self.send(op::GET_RECURRING, data, 0, 0)?;
        let mut ops = Vec::new();
        for rsc in reply.elements().filter(|e| e.name == element::RSC) {
            let Some(id) = rsc.attr(attr::RSC_ID) else {
                continue;
            };
            for op_xml in rsc.elements().filter(|e| e.name == element::RSC_OP) {
                ops.push(RecurringOp {
                    rsc_id: id.to_owned(),
                    action: op_xml.attr(attr::RSC_ACTION).unwrap_or_default().to_owned(),
                    interval_ms: op_xml
                        .attr(attr::RSC_INTERVAL)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                    timeout_ms: op_xml
                        .attr(attr::TIMEOUT)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                });
            }
        }
        Ok(ops)
    }

    /// Checks that the executor answers (every client also gets a poke event).
    pub fn poke(&mut self) -> Result<(), LrmdError> {
        let data = Element::new(element::RSC).with_attr(attr::ORIGIN, "lrmd_api_poke_connection");
        self.send(op::POKE, Some(data), 0, 0).map(|_| ())
    }

    /// Asks the executor to check settings (`stonith-watchdog-timeout`). The C executor
    /// never answers this request, so silence is success.
    pub fn check(&mut self, watchdog_timeout: Option<&str>) -> Result<(), LrmdError> {
        let mut data =
            Element::new(attr::OPERATION).with_attr(attr::ORIGIN, "lrmd__validate_remote_settings");
        if let Some(value) = watchdog_timeout {
            data.set_attr(attr::WATCHDOG, value);
        }
        let msg = self.command(op::CHECK, Some(data), 0, 0);
        match self.ipc.request(&msg, CHECK_REPLY_WAIT) {
            Ok(reply) => match reply_rc(&reply) {
                Some(code) if code < 0 => Err(LrmdError::Rejected(code)),
                _ => Ok(()),
            },
            Err(ClientError::Io(e)) if is_timeout(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs an alert agent; returns the call id (the result comes as an event to this
    /// client only).
    pub fn exec_alert(
        &mut self,
        alert_id: &str,
        path: &str,
        timeout_ms: i32,
        params: &Params,
    ) -> Result<i32, LrmdError> {
        let mut data = Element::new(element::ALERT)
            .with_attr(attr::ORIGIN, "lrmd_api_exec_alert")
            .with_attr(attr::ALERT_ID, alert_id)
            .with_attr(attr::ALERT_PATH, path)
            .with_attr(attr::TIMEOUT, timeout_ms.to_string());
        data.push_child(params_to_xml(params));
        let reply = self.send(
            op::ALERT_EXEC,
            Some(data),
            timeout_ms,
            protocol::call_opt::NOTIFY_ORIG_ONLY,
        )?;
        reply_rc(&reply).ok_or_else(|| LrmdError::Protocol("alert reply has no return code".into()))
    }

    /// Waits up to `timeout` for the next event; `None` if none came.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>, LrmdError> {
        match self.ipc.next_event(timeout) {
            Ok(msg) => Ok(Some(Event::from_xml(msg))),
            Err(ClientError::Io(e)) if is_timeout(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

fn rsc_element(origin: &str, rsc_id: &str) -> Element {
    Element::new(element::RSC)
        .with_attr(attr::ORIGIN, origin)
        .with_attr(attr::RSC_ID, rsc_id)
}

fn reply_rc(reply: &Element) -> Option<i32> {
    reply.attr(attr::RC).and_then(|v| v.trim().parse().ok())
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ETIMEDOUT) | Some(libc::EAGAIN))
}
