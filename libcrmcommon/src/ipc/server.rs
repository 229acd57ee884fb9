//! libqb IPC servers speaking Pacemaker's framing.
//!
//! libqb calls us back from inside [`Reactor::poll`](crate::mainloop::Reactor::poll). Those
//! callbacks only record what happened ([`ServerEvent`]); the daemon drains the events
//! afterwards with [`take_events`] and answers with [`send_response`] / [`send_event`].

use super::frame::{self, flags, FrameError, Message};
use crate::mainloop;
use crate::users::ClusterIds;
use crate::xml::{self, Element};
use libqb_sys as qb;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::CString;
use std::os::raw::c_void;
use std::time::{Duration, Instant};

/// Index of a server created by this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(pub usize);

/// A connected client, stable for the connection's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// Everything the daemon learns about a client.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub server: ServerId,
    /// The UUID Pacemaker hands out as the client's token.
    pub uuid: String,
    pub uid: u32,
    pub gid: u32,
    pub pid: i32,
    pub user: String,
    pub privileged: bool,
    /// Seen a request flagged as proxied: every reply must go as an event.
    pub proxied: bool,
}

#[derive(Debug)]
pub enum ServerEvent {
    Connected { client: ClientId },
    Request { client: ClientId, request: Message },
    /// A frame that could not be decoded; `id`/`flags` are those of the header if readable.
    BadRequest { client: ClientId, id: i32, flags: u32, error: FrameError },
    Disconnected { client: ClientId, info: ClientInfo },
}

/// How many queued events a client may accumulate before it is evicted for not reading.
pub const DEFAULT_QUEUE_MAX: usize = 500;
/// Events sent per client per flush, as Pacemaker does.
const FLUSH_BATCH: usize = 100;

struct Client {
    conn: *mut qb::qb_ipcs_connection_t,
    info: ClientInfo,
    queue: VecDeque<(frame::Header, Vec<u8>)>,
    queue_max: usize,
    last_backlog: usize,
}

struct Server {
    name: String,
    service: *mut qb::qb_ipcs_service_t,
}

#[derive(Default)]
struct Registry {
    servers: Vec<Server>,
    clients: HashMap<ClientId, Client>,
    by_conn: HashMap<usize, ClientId>,
    events: VecDeque<ServerEvent>,
    next_client: u64,
    next_event_id: i32,
    retry_at: Option<Instant>,
    ids: Option<ClusterIds>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

static mut SERVICE_HANDLERS: qb::qb_ipcs_service_handlers = qb::qb_ipcs_service_handlers {
    connection_accept: Some(on_accept),
    connection_created: Some(on_created),
    msg_process: Some(on_message),
    connection_closed: Some(on_closed),
    connection_destroyed: Some(on_destroyed),
};

static mut POLL_HANDLERS: qb::qb_ipcs_poll_handlers = qb::qb_ipcs_poll_handlers {
    job_add: Some(on_job_add),
    dispatch_add: Some(on_dispatch_add),
    dispatch_mod: Some(on_dispatch_add),
    dispatch_del: Some(on_dispatch_del),
};

#[derive(Debug)]
pub struct ServerError(pub String);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// The transport, from `PCMK_ipc_type` as Pacemaker reads it; shared memory by default.
fn ipc_type(requested: qb::qb_ipc_type) -> qb::qb_ipc_type {
    match crate::options::env_option("ipc_type").as_deref() {
        Some("socket") => qb::qb_ipc_type::QB_IPC_SOCKET,
        Some("posix") => qb::qb_ipc_type::QB_IPC_POSIX_MQ,
        Some("sysv") => qb::qb_ipc_type::QB_IPC_SYSV_MQ,
        Some("shared-mem") => qb::qb_ipc_type::QB_IPC_SHM,
        _ if requested == qb::qb_ipc_type::QB_IPC_NATIVE => qb::qb_ipc_type::QB_IPC_SHM,
        _ => requested,
    }
}

/// Creates and starts a server named `name` (e.g. `cib_rw`).
pub fn serve(name: &str) -> Result<ServerId, ServerError> {
    serve_typed(name, qb::qb_ipc_type::QB_IPC_NATIVE)
}

pub fn serve_typed(name: &str, requested: qb::qb_ipc_type) -> Result<ServerId, ServerError> {
    let cname = CString::new(name).map_err(|_| ServerError(format!("bad server name {name:?}")))?;
    let id = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        if r.ids.is_none() {
            r.ids = Some(ClusterIds::lookup());
        }
        r.servers.len()
    });
    // SAFETY: the handler tables are 'static and only read by libqb; the name is copied.
    let service = unsafe {
        let s = qb::qb_ipcs_create(
            cname.as_ptr(),
            0,
            ipc_type(requested),
            std::ptr::addr_of_mut!(SERVICE_HANDLERS),
        );
        if s.is_null() {
            return Err(ServerError(format!("could not create IPC server {name}")));
        }
        qb::qb_ipcs_enforce_buffer_size(s, frame::buffer_size(0) as u32);
        qb::qb_ipcs_poll_handlers_set(s, std::ptr::addr_of_mut!(POLL_HANDLERS));
        qb::qb_ipcs_service_context_set(s, id as *mut c_void);
        let rc = qb::qb_ipcs_run(s);
        if rc != 0 {
            qb::qb_ipcs_destroy(s);
            return Err(ServerError(format!(
                "could not start IPC server {name}: {}",
                std::io::Error::from_raw_os_error(-rc)
            )));
        }
        s
    };
    REGISTRY.with(|r| r.borrow_mut().servers.push(Server { name: name.to_owned(), service }));
    Ok(ServerId(id))
}

/// Stops every server of this process (disconnecting its clients).
pub fn shutdown_all() {
    let services: Vec<_> = REGISTRY.with(|r| r.borrow_mut().servers.drain(..).map(|s| s.service).collect());
    for s in services {
        // SAFETY: each service was created by serve() and is destroyed once.
        unsafe { qb::qb_ipcs_destroy(s) };
    }
}

pub fn server_name(id: ServerId) -> Option<String> {
    REGISTRY.with(|r| r.borrow().servers.get(id.0).map(|s| s.name.clone()))
}

/// Takes every event recorded since the last call.
pub fn take_events() -> Vec<ServerEvent> {
    REGISTRY.with(|r| r.borrow_mut().events.drain(..).collect())
}

pub fn client_info(client: ClientId) -> Option<ClientInfo> {
    REGISTRY.with(|r| r.borrow().clients.get(&client).map(|c| c.info.clone()))
}

pub fn clients() -> Vec<ClientId> {
    REGISTRY.with(|r| r.borrow().clients.keys().copied().collect())
}

/// Lets a trusted daemon client queue more events before eviction (`cluster-ipc-limit`).
pub fn set_queue_max(client: ClientId, max: usize) {
    REGISTRY.with(|r| {
        if let Some(c) = r.borrow_mut().clients.get_mut(&client) {
            c.queue_max = max.max(DEFAULT_QUEUE_MAX);
        }
    });
}

#[derive(Debug)]
pub enum SendError {
    NoSuchClient,
    Frame(FrameError),
    Os(i32),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::NoSuchClient => f.write_str("client is gone"),
            SendError::Frame(e) => write!(f, "{e}"),
            SendError::Os(rc) => write!(f, "{}", std::io::Error::from_raw_os_error(-rc)),
        }
    }
}

fn send_limit() -> usize {
    frame::buffer_size(0)
}

/// Sends the synchronous response to request `request_id` (the client is blocked on it).
/// Proxied clients get it as an event, as Pacemaker does.
pub fn send_response(client: ClientId, request_id: i32, reply: &Element) -> Result<(), SendError> {
    let text = xml::to_compact(reply);
    let proxied = client_info(client).ok_or(SendError::NoSuchClient)?.proxied;
    if proxied {
        return queue_event(client, &text, flags::PROXIED_RELAY_RESPONSE);
    }
    let (header, payload) = frame::encode(request_id, flags::SERVER_FREE, &text, send_limit()).map_err(SendError::Frame)?;
    let conn = REGISTRY
        .with(|r| r.borrow().clients.get(&client).map(|c| c.conn))
        .ok_or(SendError::NoSuchClient)?;
    let hbytes = header.encode();
    let iov = [
        qb::iovec { iov_base: hbytes.as_ptr() as *mut c_void, iov_len: hbytes.len() },
        qb::iovec { iov_base: payload.as_ptr() as *mut c_void, iov_len: payload.len() },
    ];
    // SAFETY: conn is live (it is in the registry); iov points at buffers alive for the call.
    let rc = unsafe { qb::qb_ipcs_response_sendv(conn, iov.as_ptr(), 2) };
    if rc < 0 {
        return Err(SendError::Os(rc as i32));
    }
    Ok(())
}

/// Queues an event for the client and tries to deliver it at once.
pub fn send_event(client: ClientId, event: &Element) -> Result<(), SendError> {
    queue_event(client, &xml::to_compact(event), 0)
}

fn queue_event(client: ClientId, text: &str, extra_flags: u32) -> Result<(), SendError> {
    let id = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.next_event_id = r.next_event_id.wrapping_add(1);
        r.next_event_id
    });
    let (header, payload) = frame::encode(id, flags::SERVER_EVENT | flags::SERVER_FREE | extra_flags, text, send_limit())
        .map_err(SendError::Frame)?;
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let c = r.clients.get_mut(&client).ok_or(SendError::NoSuchClient)?;
        c.queue.push_back((header, payload));
        Ok::<(), SendError>(())
    })?;
    flush_client(client);
    Ok(())
}

/// Retries queued events of every client; call after each loop iteration.
pub fn flush_pending() {
    let due = REGISTRY.with(|r| r.borrow().retry_at.is_some_and(|t| t <= Instant::now()));
    if !due {
        return;
    }
    REGISTRY.with(|r| r.borrow_mut().retry_at = None);
    let backlogged: Vec<ClientId> =
        REGISTRY.with(|r| r.borrow().clients.iter().filter(|(_, c)| !c.queue.is_empty()).map(|(id, _)| *id).collect());
    for c in backlogged {
        flush_client(c);
    }
}

/// How long the loop may sleep before queued events need another try.
pub fn retry_timeout() -> Option<Duration> {
    REGISTRY.with(|r| r.borrow().retry_at.map(|t| t.saturating_duration_since(Instant::now())))
}

fn flush_client(client: ClientId) {
    let mut sent = 0;
    loop {
        let next = REGISTRY.with(|r| {
            let r = r.borrow();
            let c = r.clients.get(&client)?;
            c.queue.front().map(|(h, p)| (c.conn, h.encode(), p.clone()))
        });
        let Some((conn, hbytes, payload)) = next else { break };
        if sent >= FLUSH_BATCH {
            schedule_retry(0);
            break;
        }
        let iov = [
            qb::iovec { iov_base: hbytes.as_ptr() as *mut c_void, iov_len: hbytes.len() },
            qb::iovec { iov_base: payload.as_ptr() as *mut c_void, iov_len: payload.len() },
        ];
        // SAFETY: conn is live while registered; buffers outlive the call.
        let rc = unsafe { qb::qb_ipcs_event_sendv(conn, iov.as_ptr(), 2) };
        if rc == -(libc::EAGAIN as isize) || rc == -(libc::ENOBUFS as isize) {
            let backlog = REGISTRY.with(|r| r.borrow().clients.get(&client).map_or(0, |c| c.queue.len()));
            schedule_retry(backlog);
            break;
        }
        REGISTRY.with(|r| {
            if let Some(c) = r.borrow_mut().clients.get_mut(&client) {
                c.queue.pop_front();
            }
        });
        if rc < 0 {
            tracing::warn!("Could not send IPC event to client: {}", std::io::Error::from_raw_os_error(-(rc as i32)));
        }
        sent += 1;
    }
    evict_if_stuck(client);
}

fn schedule_retry(backlog: usize) {
    let delay = Duration::from_millis((1000 + 100 * backlog as u64).min(1500));
    let delay = if backlog == 0 { Duration::ZERO } else { delay };
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let at = Instant::now() + delay;
        r.retry_at = Some(r.retry_at.map_or(at, |t| t.min(at)));
    });
}

fn evict_if_stuck(client: ClientId) {
    let conn = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let c = r.clients.get_mut(&client)?;
        let len = c.queue.len();
        let stuck = len > c.queue_max && len >= c.last_backlog;
        c.last_backlog = len;
        if stuck {
            tracing::error!(
                "Evicting client {} (pid {}) due to backlog of {} events",
                c.info.uuid, c.info.pid, len
            );
            c.queue.clear();
            Some(c.conn)
        } else {
            None
        }
    });
    if let Some(conn) = conn {
        // SAFETY: conn is live; libqb will call closed/destroyed later through the loop.
        unsafe { qb::qb_ipcs_disconnect(conn) };
    }
}

/// Disconnects a client from our side.
pub fn disconnect(client: ClientId) {
    let conn = REGISTRY.with(|r| r.borrow().clients.get(&client).map(|c| c.conn));
    if let Some(conn) = conn {
        // SAFETY: live connection from the registry.
        unsafe { qb::qb_ipcs_disconnect(conn) };
    }
}

unsafe extern "C" fn on_accept(c: *mut qb::qb_ipcs_connection_t, uid: u32, gid: u32) -> i32 {
    let ids = REGISTRY.with(|r| r.borrow().ids).unwrap_or_else(ClusterIds::lookup);
    if !ids.may_connect(uid, gid) {
        tracing::warn!("Rejecting IPC connection from uid {uid} gid {gid}: not root, hacluster or a member of haclient");
        return -libc::EACCES;
    }
    if uid != 0 {
        if let Some(haclient) = ids.haclient_gid {
            // Ring buffers readable by haclient members, as Pacemaker sets them up.
            qb::qb_ipcs_connection_auth_set(c, u32::MAX, haclient, 0o660);
        }
    }
    let server = ServerId(qb::qb_ipcs_connection_service_context_get(c) as usize);
    let user = crate::users::user_name(uid).unwrap_or_else(|| "#unprivileged".to_owned());
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.next_client += 1;
        let id = ClientId(r.next_client);
        let info = ClientInfo {
            server,
            uuid: uuid::Uuid::new_v4().to_string(),
            uid,
            gid,
            pid: 0,
            user,
            privileged: ids.is_privileged(uid),
            proxied: false,
        };
        r.clients.insert(id, Client { conn: c, info, queue: VecDeque::new(), queue_max: DEFAULT_QUEUE_MAX, last_backlog: 0 });
        r.by_conn.insert(c as usize, id);
    });
    0
}

unsafe extern "C" fn on_created(c: *mut qb::qb_ipcs_connection_t) {
    let mut stats: qb::qb_ipcs_connection_stats = std::mem::zeroed();
    let pid = if qb::qb_ipcs_connection_stats_get(c, &mut stats, 0) == 0 { stats.client_pid } else { 0 };
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let Some(&id) = r.by_conn.get(&(c as usize)) else { return };
        if let Some(client) = r.clients.get_mut(&id) {
            client.info.pid = pid;
        }
        r.events.push_back(ServerEvent::Connected { client: id });
    });
}

unsafe extern "C" fn on_message(c: *mut qb::qb_ipcs_connection_t, data: *mut c_void, size: usize) -> i32 {
    let bytes: &[u8] = if data.is_null() { &[] } else { std::slice::from_raw_parts(data as *const u8, size) };
    let decoded = frame::decode(bytes);
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let Some(&id) = r.by_conn.get(&(c as usize)) else { return };
        let event = match decoded {
            Ok(request) => {
                if request.header.flags & flags::PROXIED != 0 {
                    if let Some(client) = r.clients.get_mut(&id) {
                        client.info.proxied = true;
                    }
                }
                ServerEvent::Request { client: id, request }
            }
            Err(error) => {
                let (hid, hflags) = frame::Header::decode(bytes).map(|h| (h.id, h.flags)).unwrap_or((0, 0));
                ServerEvent::BadRequest { client: id, id: hid, flags: hflags, error }
            }
        };
        r.events.push_back(event);
    });
    0
}

unsafe extern "C" fn on_closed(_c: *mut qb::qb_ipcs_connection_t) -> i32 {
    0
}

unsafe extern "C" fn on_destroyed(c: *mut qb::qb_ipcs_connection_t) {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        let Some(id) = r.by_conn.remove(&(c as usize)) else { return };
        if let Some(client) = r.clients.remove(&id) {
            r.events.push_back(ServerEvent::Disconnected { client: id, info: client.info });
        }
    });
}

unsafe extern "C" fn on_dispatch_add(
    _p: qb::qb_loop_priority,
    fd: i32,
    events: i32,
    data: *mut c_void,
    func: qb::qb_ipcs_dispatch_fn_t,
) -> i32 {
    match func {
        Some(f) => mainloop::raw_watch(fd, events as i16, f, data),
        None => -libc::EINVAL,
    }
}

unsafe extern "C" fn on_dispatch_del(fd: i32) -> i32 {
    mainloop::unwatch(fd);
    0
}

unsafe extern "C" fn on_job_add(_p: qb::qb_loop_priority, data: *mut c_void, func: qb::qb_loop_job_dispatch_fn) -> i32 {
    match func {
        Some(f) => {
            mainloop::raw_job(f, data);
            0
        }
        None => -libc::EINVAL,
    }
}
