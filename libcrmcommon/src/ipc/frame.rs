//! Pacemaker's IPC message framing (`pcmk__ipc_header_t`, version 1).
//!
//! A message is a 40-byte header followed by NUL-terminated XML text, bzip2-compressed when
//! the whole would not fit the sender's buffer. The first 24 bytes are libqb's own
//! request/response header, whose members are each 8-byte aligned.

use std::fmt;

pub const HEADER_SIZE: usize = 40;
pub const IPC_VERSION: u8 = 1;

/// Default buffer size (`PCMK_ipc_buffer` unset).
pub const DEFAULT_BUFFER_SIZE: usize = 128 * 1024;
/// The size libqb's connection response needs; smaller buffers are raised to it.
pub const MIN_BUFFER_SIZE: usize = 12336;
/// Hard cap on a decompressed payload we accept, so a tiny bzip2 bomb cannot eat memory.
pub const MAX_UNCOMPRESSED: usize = 256 * 1024 * 1024;

const OFF_ID: usize = 0;
const OFF_SIZE: usize = 8;
const OFF_ERROR: usize = 16;
const OFF_UNCOMPRESSED: usize = 24;
const OFF_COMPRESSED: usize = 28;
const OFF_FLAGS: usize = 32;
const OFF_VERSION: usize = 36;

/// `crm_ipc_flags` bits.
pub mod flags {
    pub const COMPRESSED: u32 = 0x0000_0001;
    pub const PROXIED: u32 = 0x0000_0100;
    pub const CLIENT_RESPONSE: u32 = 0x0000_0200;
    pub const SERVER_EVENT: u32 = 0x0001_0000;
    pub const SERVER_FREE: u32 = 0x0002_0000;
    pub const PROXIED_RELAY_RESPONSE: u32 = 0x0004_0000;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    Truncated { have: usize },
    BadVersion(u8),
    SizeMismatch { declared: usize, actual: usize },
    MissingNul,
    NotUtf8,
    Decompress(String),
    TooLarge { size: usize, limit: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated { have } => {
                write!(f, "truncated IPC message ({have} bytes, header needs {HEADER_SIZE})")
            }
            FrameError::BadVersion(v) => write!(f, "unsupported IPC header version {v} (max {IPC_VERSION})"),
            FrameError::SizeMismatch { declared, actual } => {
                write!(f, "IPC payload size mismatch: header says {declared}, got {actual}")
            }
            FrameError::MissingNul => write!(f, "IPC payload is not NUL-terminated"),
            FrameError::NotUtf8 => write!(f, "IPC payload is not valid UTF-8"),
            FrameError::Decompress(e) => write!(f, "could not decompress IPC payload: {e}"),
            FrameError::TooLarge { size, limit } => {
                write!(f, "IPC message of {size} bytes exceeds the limit of {limit} (set PCMK_ipc_buffer to a larger value)")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// A decoded message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub id: i32,
    pub size: i32,
    pub error: i32,
    pub size_uncompressed: u32,
    pub size_compressed: u32,
    pub flags: u32,
    pub version: u8,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[OFF_ID..OFF_ID + 4].copy_from_slice(&self.id.to_ne_bytes());
        b[OFF_SIZE..OFF_SIZE + 4].copy_from_slice(&self.size.to_ne_bytes());
        b[OFF_ERROR..OFF_ERROR + 4].copy_from_slice(&self.error.to_ne_bytes());
        b[OFF_UNCOMPRESSED..OFF_UNCOMPRESSED + 4].copy_from_slice(&self.size_uncompressed.to_ne_bytes());
        b[OFF_COMPRESSED..OFF_COMPRESSED + 4].copy_from_slice(&self.size_compressed.to_ne_bytes());
        b[OFF_FLAGS..OFF_FLAGS + 4].copy_from_slice(&self.flags.to_ne_bytes());
        b[OFF_VERSION] = self.version;
        b
    }

    pub fn decode(bytes: &[u8]) -> Result<Header, FrameError> {
        if bytes.len() < HEADER_SIZE {
            return Err(FrameError::Truncated { have: bytes.len() });
        }
        let u32_at = |o: usize| u32::from_ne_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let h = Header {
            id: u32_at(OFF_ID) as i32,
            size: u32_at(OFF_SIZE) as i32,
            error: u32_at(OFF_ERROR) as i32,
            size_uncompressed: u32_at(OFF_UNCOMPRESSED),
            size_compressed: u32_at(OFF_COMPRESSED),
            flags: u32_at(OFF_FLAGS),
            version: bytes[OFF_VERSION],
        };
        if h.version > IPC_VERSION {
            return Err(FrameError::BadVersion(h.version));
        }
        Ok(h)
    }
}

/// A decoded message: header plus the XML text (without its NUL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub text: String,
}

/// Decodes a complete message as received from libqb (header + payload).
pub fn decode(bytes: &[u8]) -> Result<Message, FrameError> {
    let header = Header::decode(bytes)?;
    let payload = &bytes[HEADER_SIZE..];
    let uncompressed = header.size_uncompressed as usize;
    if uncompressed > MAX_UNCOMPRESSED {
        return Err(FrameError::TooLarge { size: uncompressed, limit: MAX_UNCOMPRESSED });
    }
    let raw: Vec<u8>;
    let body: &[u8] = if header.flags & flags::COMPRESSED != 0 {
        let compressed = header.size_compressed as usize;
        if compressed > payload.len() {
            return Err(FrameError::SizeMismatch { declared: compressed, actual: payload.len() });
        }
        raw = bunzip(&payload[..compressed], uncompressed)?;
        &raw
    } else {
        if uncompressed > payload.len() {
            return Err(FrameError::SizeMismatch { declared: uncompressed, actual: payload.len() });
        }
        &payload[..uncompressed]
    };
    let text = match body.split_last() {
        Some((0, text)) => text,
        _ => return Err(FrameError::MissingNul),
    };
    // An embedded NUL ends the C string early; honour that rather than fail.
    let text = match text.iter().position(|&b| b == 0) {
        Some(n) => &text[..n],
        None => text,
    };
    let text = std::str::from_utf8(text).map_err(|_| FrameError::NotUtf8)?.to_owned();
    Ok(Message { header, text })
}

/// Encodes `text` into header + payload, compressing when 40 + text + NUL reaches `limit`.
pub fn encode(id: i32, flags_in: u32, text: &str, limit: usize) -> Result<(Header, Vec<u8>), FrameError> {
    let mut payload = Vec::with_capacity(text.len() + 1);
    payload.extend_from_slice(text.as_bytes());
    payload.push(0);
    let size_uncompressed = payload.len();
    let mut header = Header {
        id,
        size: 0,
        error: 0,
        size_uncompressed: size_uncompressed as u32,
        size_compressed: 0,
        flags: flags_in,
        version: IPC_VERSION,
    };
    if HEADER_SIZE + size_uncompressed >= limit {
        let compressed = bzip(&payload)?;
        if HEADER_SIZE + compressed.len() >= limit {
            return Err(FrameError::TooLarge { size: HEADER_SIZE + compressed.len(), limit });
        }
        header.flags |= flags::COMPRESSED;
        header.size_compressed = compressed.len() as u32;
        payload = compressed;
    }
    header.size = (HEADER_SIZE + payload.len()) as i32;
    Ok((header, payload))
}

fn bzip(data: &[u8]) -> Result<Vec<u8>, FrameError> {
    super::bzip_blocks::compress(data).map_err(FrameError::Decompress)
}

fn bunzip(data: &[u8], expected: usize) -> Result<Vec<u8>, FrameError> {
    use std::io::Read;
    let mut out = Vec::with_capacity(expected.min(MAX_UNCOMPRESSED));
    let dec = bzip2::read::BzDecoder::new(data);
    // Read one byte past the declared size to detect a lying header.
    dec.take(expected as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| FrameError::Decompress(e.to_string()))?;
    if out.len() != expected {
        return Err(FrameError::SizeMismatch { declared: expected, actual: out.len() });
    }
    Ok(out)
}

/// The buffer size in force: max(`requested`, `PCMK_ipc_buffer`), never below the minimum.
pub fn buffer_size(requested: usize) -> usize {
    let env = crate::options::env_option("ipc_buffer")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_BUFFER_SIZE)
        .max(MIN_BUFFER_SIZE);
    requested.max(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_pacemakers() {
        let (h, payload) = encode(7, flags::CLIENT_RESPONSE, "<a/>", DEFAULT_BUFFER_SIZE).unwrap();
        let b = h.encode();
        assert_eq!(b.len(), 40);
        assert_eq!(&b[0..4], &7i32.to_ne_bytes());
        assert_eq!(&b[8..12], &45i32.to_ne_bytes());
        assert_eq!(&b[24..28], &5u32.to_ne_bytes());
        assert_eq!(&b[32..36], &0x200u32.to_ne_bytes());
        assert_eq!(b[36], 1);
        assert_eq!(payload, b"<a/>\0");
    }

    #[test]
    fn round_trip_with_compression() {
        let big = format!("<a x=\"{}\"/>", "y".repeat(300_000));
        let (h, payload) = encode(1, 0, &big, DEFAULT_BUFFER_SIZE).unwrap();
        assert!(h.flags & flags::COMPRESSED != 0);
        let mut bytes = h.encode().to_vec();
        bytes.extend_from_slice(&payload);
        assert_eq!(decode(&bytes).unwrap().text, big);
    }

    #[test]
    fn rejects_bad_frames() {
        assert!(matches!(decode(&[0u8; 10]), Err(FrameError::Truncated { .. })));
        let (mut h, payload) = encode(1, 0, "<a/>", DEFAULT_BUFFER_SIZE).unwrap();
        let mut no_nul = h.encode().to_vec();
        no_nul.extend_from_slice(b"<a/>x");
        assert_eq!(decode(&no_nul), Err(FrameError::MissingNul));
        h.version = 2;
        let mut v2 = h.encode().to_vec();
        v2.extend_from_slice(&payload);
        assert_eq!(decode(&v2), Err(FrameError::BadVersion(2)));
        h.version = 1;
        h.size_uncompressed = 1000;
        let mut lying = h.encode().to_vec();
        lying.extend_from_slice(&payload);
        assert!(matches!(decode(&lying), Err(FrameError::SizeMismatch { .. })));
        h.flags |= flags::COMPRESSED;
        h.size_compressed = 5;
        let mut junk = h.encode().to_vec();
        junk.extend_from_slice(b"BZh9x");
        assert!(decode(&junk).is_err());
    }

    #[test]
    fn too_large_even_compressed() {
        // Random-ish data does not compress; it must be refused, not sent truncated.
        let mut s = String::new();
        let mut x: u32 = 12345;
        while s.len() < 400_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            s.push(char::from(b'a' + (x >> 16) as u8 % 26));
        }
        assert!(matches!(encode(1, 0, &s, DEFAULT_BUFFER_SIZE), Err(FrameError::TooLarge { .. })));
    }
}
