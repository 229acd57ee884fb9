//! Encoding and decoding of Pacemaker's CPG message (`pcmk__cpg_msg_t`).
//!
//! Layout (packed, native byte order; sizes in bytes):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 24 | libqb response header: id (i32) @0, size (i32) @8, error (i32) @16 |
//! | 24 | 4 | message counter of the sending process |
//! | 28 | 4 | is_compressed (gboolean) |
//! | 32 | 276 | destination host |
//! | 308 | 276 | sender host |
//! | 584 | 4 | payload size, uncompressed, including the terminating NUL |
//! | 588 | 4 | compressed payload size, 0 when not compressed |
//! | 592 | ... | payload |
//!
//! A host block (`pcmk__cpg_host_t`, 276 bytes) is: node id @0, pid @4,
//! "local" gboolean @8 (never used by receivers), message type @12, name
//! length @16, name (NUL padded, 256 bytes) @20.

use std::io::{Read, Write};

use super::types::{ClusterError, MessageType};

pub const HEADER_SIZE: usize = 592;
const HOST_SIZE: usize = 276;
const HOST_NAME_CAPACITY: usize = 256;
const DESTINATION_OFFSET: usize = 32;
const SENDER_OFFSET: usize = DESTINATION_OFFSET + HOST_SIZE;

/// `crm_class_cluster`: the only message class Pacemaker sends or accepts.
pub const CLASS_CLUSTER: i32 = 0;
/// corosync's `CS_OK`, which senders put in the header's error field.
const CS_OK: i32 = 1;

/// Payloads (XML plus NUL) of at least this many bytes are sent bzip2
/// compressed (`CRM_BZ2_THRESHOLD`).
pub const COMPRESSION_THRESHOLD: usize = 128 * 1024;
/// bzip2 block size (in 100k units) Pacemaker uses (`CRM_BZ2_BLOCKS`).
const COMPRESSION_BLOCKS: u32 = 4;

/// Upper bound for a decompressed payload. A hostile header could claim any
/// size; real CIBs are far below this.
pub const MAX_UNCOMPRESSED_PAYLOAD: usize = 256 * 1024 * 1024;

/// One end of a message: `pcmk__cpg_host_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostBlock {
    pub node_id: u32,
    pub pid: u32,
    pub local: bool,
    pub message_type: u32,
    /// The node name, empty when the name length field is 0.
    pub name: String,
}

/// A decoded message before any filtering by the receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireMessage {
    pub class: i32,
    pub message_id: u32,
    pub was_compressed: bool,
    pub destination: HostBlock,
    pub sender: HostBlock,
    /// The XML text, without the terminating NUL.
    pub text: String,
}

/// Why a received message was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    TooShort(usize),
    SizeMismatch { header_size: i64, received: usize },
    SenderError(i32),
    PayloadSizeMismatch { claimed: u64, actual: usize },
    NotTerminated,
    TooLarge(u64),
    Decompression(String),
    NotUtf8,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooShort(n) => write!(f, "message of {n} bytes is shorter than the header"),
            DecodeError::SizeMismatch { header_size, received } => {
                write!(f, "header claims {header_size} bytes but {received} arrived")
            }
            DecodeError::SenderError(e) => write!(f, "sender set error {e}"),
            DecodeError::PayloadSizeMismatch { claimed, actual } => {
                write!(f, "payload size {claimed} inconsistent with {actual} bytes present")
            }
            DecodeError::NotTerminated => write!(f, "payload is not a single NUL-terminated string"),
            DecodeError::TooLarge(n) => write!(f, "uncompressed payload of {n} bytes is too large"),
            DecodeError::Decompression(why) => write!(f, "bzip2 decompression failed: {why}"),
            DecodeError::NotUtf8 => write!(f, "payload is not UTF-8"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// What the sender puts in the header besides the payload.
#[derive(Debug, Clone)]
pub struct OutgoingHeader<'a> {
    pub message_id: u32,
    pub sender_pid: u32,
    pub sender_type: MessageType,
    pub sender_name: &'a str,
    pub destination_type: MessageType,
    pub destination_node_id: u32,
    pub destination_name: Option<&'a str>,
}

fn put_u32(buf: &mut [u8], offset: usize, value: u32) {
    buf[offset..offset + 4].copy_from_slice(&value.to_ne_bytes());
}

fn get_u32(buf: &[u8], offset: usize) -> u32 {
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(&buf[offset..offset + 4]);
    u32::from_ne_bytes(bytes)
}

fn check_name(name: &str) -> Result<(), ClusterError> {
    // C copies strlen(name) bytes into a 256-byte array and receivers read it
    // with str functions, so it must leave room for a NUL and contain none.
    if name.len() >= HOST_NAME_CAPACITY || name.as_bytes().contains(&0) {
        return Err(ClusterError::InvalidNodeName(name.to_string()));
    }
    Ok(())
}

fn put_host(buf: &mut [u8], offset: usize, host: &HostBlock) {
    put_u32(buf, offset, host.node_id);
    put_u32(buf, offset + 4, host.pid);
    put_u32(buf, offset + 8, u32::from(host.local));
    put_u32(buf, offset + 12, host.message_type);
    put_u32(buf, offset + 16, host.name.len() as u32);
    buf[offset + 20..offset + 20 + host.name.len()].copy_from_slice(host.name.as_bytes());
}

fn get_host(buf: &[u8], offset: usize) -> HostBlock {
    let claimed_len = get_u32(buf, offset + 16) as usize;
    let name_field = &buf[offset + 20..offset + 20 + HOST_NAME_CAPACITY];
    // Receivers in C use the field as a C string; a length of 0 means "no
    // name" even if bytes are present.
    let name = if claimed_len == 0 {
        String::new()
    } else {
        let end = name_field.iter().position(|&b| b == 0).unwrap_or(name_field.len());
        String::from_utf8_lossy(&name_field[..end]).into_owned()
    };
    HostBlock {
        node_id: get_u32(buf, offset),
        pid: get_u32(buf, offset + 4),
        local: get_u32(buf, offset + 8) != 0,
        message_type: get_u32(buf, offset + 12),
        name,
    }
}

/// Compress `data` the way Pacemaker does (bzip2, block size 4).
///
/// Pacemaker also passes work factor 20 (`CRM_BZ2_WORK`); the work factor
/// only decides when bzip2 falls back to its slower sort, and both sorts give
/// the same output, so the library default is used.
pub fn compress(data: &[u8]) -> Result<Vec<u8>, ClusterError> {
    let compression = bzip2::Compression::new(COMPRESSION_BLOCKS);
    let mut encoder = bzip2::write::BzEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        compression,
    );
    encoder.write_all(data).map_err(|e| ClusterError::Compression(e.to_string()))?;
    encoder.finish().map_err(|e| ClusterError::Compression(e.to_string()))
}

fn decompress(data: &[u8], expected_len: usize) -> Result<Vec<u8>, DecodeError> {
    // The header's size is the sender's claim: let the buffer grow as the
    // data really decompresses instead of trusting it for the allocation.
    let mut out = Vec::with_capacity(expected_len.min(1 << 20));
    let decoder = bzip2::read::BzDecoder::new(data);
    // Read one byte more than expected so an over-long stream is detected
    // without unbounded allocation.
    decoder
        .take(expected_len as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Decompression(e.to_string()))?;
    if out.len() != expected_len {
        return Err(DecodeError::Decompression(format!(
            "produced {} bytes, header says {}",
            out.len(),
            expected_len
        )));
    }
    Ok(out)
}

/// Build the bytes of one CPG message carrying `text` (the XML, without NUL).
pub fn encode(header: &OutgoingHeader<'_>, text: &str) -> Result<Vec<u8>, ClusterError> {
    check_name(header.sender_name)?;
    if let Some(name) = header.destination_name {
        check_name(name)?;
    }
    let mut payload = Vec::with_capacity(text.len() + 1);
    payload.extend_from_slice(text.as_bytes());
    payload.push(0);
    let uncompressed_len = payload.len();

    let (body, compressed_len) = if uncompressed_len < COMPRESSION_THRESHOLD {
        (payload, 0usize)
    } else {
        let compressed = compress(&payload)?;
        let len = compressed.len();
        (compressed, len)
    };

    let total = HEADER_SIZE + body.len();
    let total_u32 = u32::try_from(total)
        .ok()
        .filter(|&t| t <= i32::MAX as u32)
        .ok_or(ClusterError::MessageTooLarge { size: total, limit: i32::MAX as usize })?;
    let mut buf = vec![0u8; HEADER_SIZE];
    put_u32(&mut buf, 0, CLASS_CLUSTER as u32);
    put_u32(&mut buf, 8, total_u32);
    put_u32(&mut buf, 16, CS_OK as u32);
    put_u32(&mut buf, 24, header.message_id);
    put_u32(&mut buf, 28, u32::from(compressed_len != 0));
    let destination = HostBlock {
        node_id: header.destination_node_id,
        pid: 0,
        local: false,
        message_type: header.destination_type.0,
        name: header.destination_name.unwrap_or("").to_string(),
    };
    put_host(&mut buf, DESTINATION_OFFSET, &destination);
    let sender = HostBlock {
        // Senders leave their id 0; the receiver takes it from CPG.
        node_id: 0,
        pid: header.sender_pid,
        local: false,
        message_type: header.sender_type.0,
        name: header.sender_name.to_string(),
    };
    put_host(&mut buf, SENDER_OFFSET, &sender);
    put_u32(&mut buf, 584, uncompressed_len as u32);
    put_u32(&mut buf, 588, compressed_len as u32);
    buf.extend_from_slice(&body);
    Ok(buf)
}

/// Parse and check one delivered CPG message, with the checks of C's
/// `check_message_sanity()` plus bounds checks C leaves out.
pub fn decode(bytes: &[u8]) -> Result<WireMessage, DecodeError> {
    if bytes.len() < HEADER_SIZE {
        return Err(DecodeError::TooShort(bytes.len()));
    }
    let class = get_u32(bytes, 0) as i32;
    let header_size = get_u32(bytes, 8) as i32;
    let error = get_u32(bytes, 16) as i32;
    if header_size < 0 || header_size as usize != bytes.len() {
        return Err(DecodeError::SizeMismatch {
            header_size: i64::from(header_size),
            received: bytes.len(),
        });
    }
    let payload = &bytes[HEADER_SIZE..];
    if payload.is_empty() {
        return Err(DecodeError::TooShort(bytes.len()));
    }
    if error != CS_OK {
        return Err(DecodeError::SenderError(error));
    }
    let message_id = get_u32(bytes, 24);
    let is_compressed = get_u32(bytes, 28) != 0;
    let size = get_u32(bytes, 584) as usize;
    let compressed_size = get_u32(bytes, 588) as usize;
    let claimed = if is_compressed { compressed_size } else { size };
    if claimed != payload.len() {
        return Err(DecodeError::PayloadSizeMismatch { claimed: claimed as u64, actual: payload.len() });
    }

    let plain: Vec<u8> = if is_compressed {
        if size > MAX_UNCOMPRESSED_PAYLOAD {
            return Err(DecodeError::TooLarge(size as u64));
        }
        if size == 0 {
            return Err(DecodeError::NotTerminated);
        }
        decompress(payload, size)?
    } else {
        payload.to_vec()
    };
    // The text must end at exactly the last byte (C checks the last two bytes).
    let terminated = plain.last() == Some(&0) && !(plain.len() > 1 && plain[plain.len() - 2] == 0);
    if !terminated {
        return Err(DecodeError::NotTerminated);
    }
    // C treats the payload as a C string, so an embedded NUL ends it.
    let end = plain.iter().position(|&b| b == 0).unwrap_or(plain.len());
    let text = String::from_utf8(plain[..end].to_vec()).map_err(|_| DecodeError::NotUtf8)?;

    Ok(WireMessage {
        class,
        message_id,
        was_compressed: is_compressed,
        destination: get_host(bytes, DESTINATION_OFFSET),
        sender: get_host(bytes, SENDER_OFFSET),
        text,
    })
}

/// Whether a message with this destination is meant for the local node
/// (the receiver-side filter of C's `pcmk_message_common_cs()`).
pub fn is_for_node(destination: &HostBlock, local_id: u32, local_name: &str) -> bool {
    if destination.node_id != 0 && destination.node_id != local_id {
        return false;
    }
    if !destination.name.is_empty() && !destination.name.eq_ignore_ascii_case(local_name) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(to: Option<&'a str>, to_id: u32) -> OutgoingHeader<'a> {
        OutgoingHeader {
            message_id: 7,
            sender_pid: 4242,
            sender_type: MessageType::CIB,
            sender_name: "node1",
            destination_type: MessageType::CIB,
            destination_node_id: to_id,
            destination_name: to,
        }
    }

    #[test]
    fn small_message_layout_matches_pacemaker() {
        let bytes = encode(&header(Some("node2"), 2), "<x/>").expect("encode");
        assert_eq!(bytes.len(), HEADER_SIZE + 5);
        assert_eq!(get_u32(&bytes, 0), 0);
        assert_eq!(get_u32(&bytes, 8) as usize, bytes.len());
        assert_eq!(get_u32(&bytes, 16), 1);
        assert_eq!(get_u32(&bytes, 24), 7);
        assert_eq!(get_u32(&bytes, 28), 0);
        // destination
        assert_eq!(get_u32(&bytes, 32), 2);
        assert_eq!(get_u32(&bytes, 32 + 12), 3);
        assert_eq!(get_u32(&bytes, 32 + 16), 5);
        assert_eq!(&bytes[52..57], b"node2");
        assert_eq!(bytes[57], 0);
        // sender
        assert_eq!(get_u32(&bytes, 308), 0);
        assert_eq!(get_u32(&bytes, 312), 4242);
        assert_eq!(get_u32(&bytes, 320), 3);
        assert_eq!(get_u32(&bytes, 324), 5);
        assert_eq!(&bytes[328..333], b"node1");
        assert_eq!(get_u32(&bytes, 584), 5);
        assert_eq!(get_u32(&bytes, 588), 0);
        assert_eq!(&bytes[592..], b"<x/>\0");

        let decoded = decode(&bytes).expect("decode");
        assert_eq!(decoded.text, "<x/>");
        assert_eq!(decoded.destination.name, "node2");
        assert_eq!(decoded.sender.pid, 4242);
        assert!(!decoded.was_compressed);
    }

    #[test]
    fn large_payload_is_compressed_and_round_trips() {
        let text = format!("<big>{}</big>", "<a b=\"c\"/>".repeat(20_000));
        let bytes = encode(&header(None, 0), &text).expect("encode");
        assert_eq!(get_u32(&bytes, 28), 1);
        assert_eq!(get_u32(&bytes, 584) as usize, text.len() + 1);
        assert_eq!(get_u32(&bytes, 588) as usize, bytes.len() - HEADER_SIZE);
        assert!(bytes.len() < text.len() / 10);
        let decoded = decode(&bytes).expect("decode");
        assert!(decoded.was_compressed);
        assert_eq!(decoded.text, text);
    }

    #[test]
    fn payload_just_below_threshold_is_not_compressed() {
        let text = "x".repeat(COMPRESSION_THRESHOLD - 2);
        let bytes = encode(&header(None, 0), &text).expect("encode");
        assert_eq!(get_u32(&bytes, 28), 0);
        let text = "x".repeat(COMPRESSION_THRESHOLD - 1);
        let bytes = encode(&header(None, 0), &text).expect("encode");
        assert_eq!(get_u32(&bytes, 28), 1);
    }

    #[test]
    fn malformed_messages_are_rejected() {
        let good = encode(&header(None, 0), "<x/>").expect("encode");
        assert!(matches!(decode(&good[..100]), Err(DecodeError::TooShort(_))));

        let mut truncated = good.clone();
        truncated.pop();
        assert!(matches!(decode(&truncated), Err(DecodeError::SizeMismatch { .. })));

        let mut bad_error = good.clone();
        put_u32(&mut bad_error, 16, 2);
        assert_eq!(decode(&bad_error), Err(DecodeError::SenderError(2)));

        let mut bad_size = good.clone();
        put_u32(&mut bad_size, 584, 4);
        assert!(matches!(decode(&bad_size), Err(DecodeError::PayloadSizeMismatch { .. })));

        let mut unterminated = good.clone();
        let last = unterminated.len() - 1;
        unterminated[last] = b'!';
        assert_eq!(decode(&unterminated), Err(DecodeError::NotTerminated));

        let mut bogus_compressed = good.clone();
        put_u32(&mut bogus_compressed, 28, 1);
        put_u32(&mut bogus_compressed, 588, 5);
        assert!(matches!(decode(&bogus_compressed), Err(DecodeError::Decompression(_))));

        let mut huge_claim = bogus_compressed.clone();
        put_u32(&mut huge_claim, 584, u32::MAX);
        assert!(matches!(decode(&huge_claim), Err(DecodeError::TooLarge(_))));
    }

    #[test]
    fn names_that_do_not_fit_are_refused() {
        let long = "n".repeat(256);
        let mut h = header(None, 0);
        h.sender_name = &long;
        assert!(matches!(encode(&h, "<x/>"), Err(ClusterError::InvalidNodeName(_))));
    }

    #[test]
    fn destination_filter_follows_pacemaker() {
        let any = HostBlock::default();
        assert!(is_for_node(&any, 1, "node1"));
        let by_id = HostBlock { node_id: 2, ..HostBlock::default() };
        assert!(!is_for_node(&by_id, 1, "node1"));
        assert!(is_for_node(&by_id, 2, "node1"));
        let by_name = HostBlock { name: "NODE1".into(), ..HostBlock::default() };
        assert!(is_for_node(&by_name, 5, "node1"));
        assert!(!is_for_node(&by_name, 5, "node2"));
    }
}
