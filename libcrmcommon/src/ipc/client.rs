//! A blocking libqb IPC client speaking Pacemaker's framing (used by tools, tests and the
//! benchmarks; the daemons' own clients will build on it).

use super::frame::{self, flags, FrameError, Message};
use crate::xml::{self, Element};
use libqb_sys as qb;
use std::ffi::CString;
use std::os::raw::c_void;
use std::time::Duration;

#[derive(Debug)]
pub enum ClientError {
    Connect(std::io::Error),
    Io(std::io::Error),
    Frame(FrameError),
    Xml(xml::ParseError),
    /// The server answered with an id other than the request's.
    UnexpectedReply { expected: i32, got: i32 },
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Connect(e) => write!(f, "could not connect: {e}"),
            ClientError::Io(e) => write!(f, "IPC error: {e}"),
            ClientError::Frame(e) => write!(f, "{e}"),
            ClientError::Xml(e) => write!(f, "{e}"),
            ClientError::UnexpectedReply { expected, got } => {
                write!(f, "reply id {got} does not answer request {expected}")
            }
        }
    }
}

impl std::error::Error for ClientError {}

pub struct IpcClient {
    conn: *mut qb::qb_ipcc_connection_t,
    buffer: Vec<u8>,
    limit: usize,
    next_id: i32,
}

impl IpcClient {
    /// Connects to server `name`, asking for a `buffer`-byte ring (e.g. 512 KiB as the CIB
    /// library does).
    pub fn connect(name: &str, buffer: usize) -> Result<IpcClient, ClientError> {
        let cname = CString::new(name).map_err(|_| ClientError::Connect(std::io::ErrorKind::InvalidInput.into()))?;
        let requested = frame::buffer_size(buffer);
        // SAFETY: the name is copied by libqb.
        let conn = unsafe { qb::qb_ipcc_connect(cname.as_ptr(), requested) };
        if conn.is_null() {
            return Err(ClientError::Connect(std::io::Error::last_os_error()));
        }
        // SAFETY: conn is a live connection.
        let negotiated = unsafe { qb::qb_ipcc_get_buffer_size(conn) };
        let limit = if negotiated > 0 { negotiated as usize } else { requested };
        Ok(IpcClient { conn, buffer: vec![0; limit.max(frame::MIN_BUFFER_SIZE)], limit, next_id: 0 })
    }

    fn send(&mut self, msg: &Element, extra_flags: u32) -> Result<i32, ClientError> {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let id = self.next_id;
        let (header, payload) = frame::encode(id, extra_flags, &xml::to_compact(msg), self.limit).map_err(ClientError::Frame)?;
        let h = header.encode();
        let iov = [
            qb::iovec { iov_base: h.as_ptr() as *mut c_void, iov_len: h.len() },
            qb::iovec { iov_base: payload.as_ptr() as *mut c_void, iov_len: payload.len() },
        ];
        // SAFETY: live connection; buffers outlive the call.
        let rc = unsafe { qb::qb_ipcc_sendv(self.conn, iov.as_ptr(), 2) };
        if rc < 0 {
            return Err(ClientError::Io(std::io::Error::from_raw_os_error(-(rc as i32))));
        }
        Ok(id)
    }

    /// Sends without waiting for a response (the server answers, if at all, with events).
    pub fn send_async(&mut self, msg: &Element) -> Result<(), ClientError> {
        self.send(msg, 0).map(|_| ())
    }

    /// Sends and waits for the synchronous response.
    pub fn request(&mut self, msg: &Element, timeout: Duration) -> Result<Element, ClientError> {
        let id = self.send(msg, flags::CLIENT_RESPONSE)?;
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        loop {
            // SAFETY: buffer is ours and sized as declared.
            let n = unsafe { qb::qb_ipcc_recv(self.conn, self.buffer.as_mut_ptr() as *mut c_void, self.buffer.len(), ms) };
            let reply = self.decode_received(n)?;
            if reply.header.id == id {
                return xml::parse(&reply.text).map_err(ClientError::Xml);
            }
            if reply.header.id > id {
                return Err(ClientError::UnexpectedReply { expected: id, got: reply.header.id });
            }
        }
    }

    /// Waits up to `timeout` for a response to something sent raw with the synchronous flag:
    /// `None` if none came (the server ignored the message).
    pub fn request_raw_wait(&mut self, timeout: Duration) -> Result<Option<Element>, ClientError> {
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: buffer is ours and sized as declared.
        let n = unsafe { qb::qb_ipcc_recv(self.conn, self.buffer.as_mut_ptr() as *mut c_void, self.buffer.len(), ms) };
        if n == -(libc::ETIMEDOUT as isize) || n == -(libc::EAGAIN as isize) {
            return Ok(None);
        }
        let msg = self.decode_received(n)?;
        xml::parse(&msg.text).map(Some).map_err(ClientError::Xml)
    }

    /// Waits up to `timeout` for the next event.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Element, ClientError> {
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: buffer is ours and sized as declared.
        let n = unsafe { qb::qb_ipcc_event_recv(self.conn, self.buffer.as_mut_ptr() as *mut c_void, self.buffer.len(), ms) };
        let msg = self.decode_received(n)?;
        xml::parse(&msg.text).map_err(ClientError::Xml)
    }

    fn decode_received(&self, n: isize) -> Result<Message, ClientError> {
        if n < 0 {
            return Err(ClientError::Io(std::io::Error::from_raw_os_error(-(n as i32))));
        }
        frame::decode(&self.buffer[..n as usize]).map_err(ClientError::Frame)
    }

    /// Sends raw bytes as a message, for tests of the server's handling of bad frames.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        // SAFETY: live connection; the slice outlives the call.
        let rc = unsafe { qb::qb_ipcc_send(self.conn, bytes.as_ptr() as *const c_void, bytes.len()) };
        if rc < 0 {
            return Err(ClientError::Io(std::io::Error::from_raw_os_error(-(rc as i32))));
        }
        Ok(())
    }

    pub fn is_connected(&self) -> bool {
        // SAFETY: live connection.
        unsafe { qb::qb_ipcc_is_connected(self.conn) != 0 }
    }

    /// The descriptor that becomes readable when a server event (or a disconnection) is
    /// waiting, for the caller's poll loop; then call [`IpcClient::next_event`] with a zero
    /// timeout. The descriptor belongs to the connection: do not close it.
    pub fn event_fd(&self) -> Result<std::os::fd::RawFd, ClientError> {
        let mut fd: i32 = -1;
        // SAFETY: live connection; fd is a valid out-pointer for the call.
        let rc = unsafe { qb::qb_ipcc_fd_get(self.conn, &mut fd) };
        if rc < 0 {
            return Err(ClientError::Io(std::io::Error::from_raw_os_error(-rc)));
        }
        Ok(fd)
    }
}

impl Drop for IpcClient {
    fn drop(&mut self) {
        // SAFETY: disconnect once; conn is not used afterwards.
        unsafe { qb::qb_ipcc_disconnect(self.conn) };
    }
}
