//! bzip2 compression of large IPC payloads that reuses the compressed form of parts sent
//! before.
//!
//! Replies to whole-CIB queries are the same text every time except for the reply's own
//! start tag (call id and the like), and compressing ~200 KB of repetitive XML costs tens
//! of milliseconds. A bzip2 stream is a header, a sequence of independently compressed
//! blocks (each with its own CRC), an end marker and a CRC combined from the block CRCs;
//! blocks are bit-aligned but otherwise self-contained. So the payload is compressed as
//! one block for the root start tag and one block per chunk of the rest, the chunk blocks
//! are remembered by content, and the stream is assembled from them. Any bzip2 decoder
//! (Pacemaker's `BZ2_bzBuffToBuffDecompress` included) reads it as the same payload.

use std::sync::Mutex;

/// bzip2 block size in units of 100 kB Pacemaker compresses with (`CRM_BZ2_BLOCKS`).
pub(crate) const BLOCK_SIZE_100K: u32 = 4;
/// Largest chunk compressed as one block: bzip2's first run-length stage can grow data by
/// a quarter, and a block holds `BLOCK_SIZE_100K * 100000 - 19` bytes after it.
const CHUNK: usize = 300_000;
/// Payloads below this are compressed in one go (there is little to gain).
const SPLIT_MIN: usize = 32 * 1024;
/// How much chunk text the cache keeps (with each chunk's much smaller compressed block):
/// enough for every chunk of a CIB of several megabytes.
const CACHE_BYTES: usize = 8 * 1024 * 1024;

const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
const END_MAGIC: u64 = 0x1772_4538_5090;

/// One compressed block: its bits (from the block magic on) and its CRC.
#[derive(Clone)]
struct Block {
    bytes: Vec<u8>,
    bit_len: usize,
    crc: u32,
}

struct CachedChunk {
    text: Vec<u8>,
    block: Block,
}

static CACHE: Mutex<Vec<CachedChunk>> = Mutex::new(Vec::new());

/// Compresses `data` into one bzip2 stream (block size [`BLOCK_SIZE_100K`]).
pub(crate) fn compress(data: &[u8]) -> Result<Vec<u8>, String> {
    if data.len() < SPLIT_MIN {
        return compress_stream(data);
    }
    // The root start tag carries what differs between otherwise equal messages.
    let head_len = data.iter().position(|&b| b == b'>').map_or(0, |i| i + 1);
    let (head, body) = data.split_at(head_len);
    let mut blocks = Vec::with_capacity(2 + body.len() / CHUNK);
    for piece in std::iter::once(head).filter(|h| !h.is_empty()) {
        match block_of(piece)? {
            Some(block) => blocks.push(block),
            None => return compress_stream(data),
        }
    }
    for chunk in body.chunks(CHUNK) {
        match cached_block_of(chunk)? {
            Some(block) => blocks.push(block),
            None => return compress_stream(data),
        }
    }
    Ok(assemble(&blocks))
}

fn compress_stream(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut compressor = bzip2::Compress::new(bzip2::Compression::new(BLOCK_SIZE_100K), 0);
    // Incompressible input grows by about 1%, plus headers.
    let mut out = Vec::with_capacity(data.len() + data.len() / 64 + 1024);
    loop {
        let consumed = compressor.total_in() as usize;
        let status =
            compressor.compress_vec(&data[consumed..], &mut out, bzip2::Action::Finish).map_err(|e| e.to_string())?;
        if status == bzip2::Status::StreamEnd {
            return Ok(out);
        }
        out.reserve(out.capacity().max(4096));
    }
}

fn cached_block_of(chunk: &[u8]) -> Result<Option<Block>, String> {
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(i) = cache.iter().position(|c| c.text == chunk) {
        let entry = cache.remove(i);
        let block = entry.block.clone();
        cache.insert(0, entry);
        return Ok(Some(block));
    }
    drop(cache);
    let Some(block) = block_of(chunk)? else { return Ok(None) };
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    cache.insert(0, CachedChunk { text: chunk.to_vec(), block: block.clone() });
    // Keep the most recently used chunks within the budget (at least the newest one).
    let mut kept_bytes = 0;
    let keep = cache
        .iter()
        .position(|c| {
            kept_bytes += c.text.len();
            kept_bytes > CACHE_BYTES
        })
        .unwrap_or(cache.len())
        .max(1);
    cache.truncate(keep);
    Ok(Some(block))
}

/// The single block of the stream compressing `piece` (at most [`CHUNK`] bytes, not
/// empty), or `None` if the stream is not laid out as expected.
fn block_of(piece: &[u8]) -> Result<Option<Block>, String> {
    let stream = compress_stream(piece)?;
    Ok(single_block(&stream))
}

/// Splits a one-block stream: "BZh" and the level digit, the block, the end marker, the
/// stream CRC (for one block, the block's own CRC) and zero padding to a byte.
fn single_block(stream: &[u8]) -> Option<Block> {
    if stream.len() < 4 + 10 + 10 || &stream[..3] != b"BZh" {
        return None;
    }
    let total = stream.len() * 8;
    let end = (0..8).map(|pad| total - pad - 80).find(|&at| {
        read_bits(stream, at, 48) == END_MAGIC && read_bits(stream, at + 80, total - at - 80) == 0
    })?;
    let stream_crc = read_bits(stream, end + 48, 32) as u32;
    let block_start = 32;
    if read_bits(stream, block_start, 48) != BLOCK_MAGIC || read_bits(stream, block_start + 48, 32) as u32 != stream_crc {
        return None;
    }
    let mut writer = BitWriter::default();
    copy_bits(stream, block_start, end - block_start, &mut writer);
    let bit_len = end - block_start;
    Some(Block { bytes: writer.finish(), bit_len, crc: stream_crc })
}

fn assemble(blocks: &[Block]) -> Vec<u8> {
    let mut writer = BitWriter::default();
    for b in *b"BZh" {
        writer.put(u64::from(b), 8);
    }
    writer.put(u64::from(b'0') + u64::from(BLOCK_SIZE_100K), 8);
    let mut combined: u32 = 0;
    for block in blocks {
        copy_bits(&block.bytes, 0, block.bit_len, &mut writer);
        combined = combined.rotate_left(1) ^ block.crc;
    }
    writer.put(END_MAGIC, 48);
    writer.put(u64::from(combined), 32);
    writer.finish()
}

/// `count` (at most 64) bits of `data` from bit `start`, most significant first.
fn read_bits(data: &[u8], start: usize, count: usize) -> u64 {
    let mut value = 0u64;
    for bit in start..start + count {
        let byte = data.get(bit / 8).copied().unwrap_or(0);
        value = (value << 1) | u64::from((byte >> (7 - bit % 8)) & 1);
    }
    value
}

fn copy_bits(data: &[u8], start: usize, count: usize, writer: &mut BitWriter) {
    let mut at = start;
    let stop = start + count;
    // Whole source bytes when the source is byte-aligned (fast path), bits otherwise.
    while at < stop {
        let take = (stop - at).min(32);
        let value = if at.is_multiple_of(8) && take == 32 {
            u64::from(u32::from_be_bytes([data[at / 8], data[at / 8 + 1], data[at / 8 + 2], data[at / 8 + 3]]))
        } else {
            read_bits(data, at, take)
        };
        writer.put(value, take as u32);
        at += take;
    }
}

/// Appends bits most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    pending: u64,
    pending_bits: u32,
}

impl BitWriter {
    /// Appends the low `count` bits of `value`.
    fn put(&mut self, value: u64, count: u32) {
        let mut remaining = count;
        while remaining > 0 {
            let take = remaining.min(32);
            remaining -= take;
            let part = (value >> remaining) & ((1u64 << take) - 1);
            self.pending = (self.pending << take) | part;
            self.pending_bits += take;
            while self.pending_bits >= 8 {
                self.pending_bits -= 8;
                self.out.push((self.pending >> self.pending_bits) as u8);
            }
            self.pending &= (1u64 << self.pending_bits) - 1;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.pending_bits > 0 {
            self.out.push((self.pending << (8 - self.pending_bits)) as u8);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decompress(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        bzip2::read::BzDecoder::new(data).read_to_end(&mut out).expect("valid bzip2");
        out
    }

    fn reply(call_id: usize, body: &str) -> Vec<u8> {
        let mut text = format!("<cib-reply t=\"cib\" cib_callid=\"{call_id}\"><cib_calldata>{body}</cib_calldata></cib-reply>")
            .into_bytes();
        text.push(0);
        text
    }

    fn big_body(lines: usize) -> String {
        (0..lines).map(|i| format!("<primitive id=\"r{i}\" class=\"ocf\" type=\"Dummy\"/>")).collect()
    }

    #[test]
    fn spliced_streams_decompress_to_the_payload() {
        // One chunk, several chunks, and a chunk boundary landing anywhere.
        for lines in [900, 12_000, 20_000] {
            let body = big_body(lines);
            for call_id in [1, 22, 333] {
                let payload = reply(call_id, &body);
                let compressed = compress(&payload).expect("compresses");
                assert_eq!(decompress(&compressed), payload, "{lines} lines, call {call_id}");
            }
        }
    }

    #[test]
    fn repeated_bodies_are_served_from_the_cache() {
        let body = big_body(9_000) + "<unique-to-the-cache-test/>";
        let first = reply(1, &body);
        compress(&first).expect("compresses");
        let head_len = first.iter().position(|&b| b == b'>').map_or(0, |i| i + 1);
        let chunk = first[head_len..].chunks(CHUNK).next().expect("a body").to_vec();
        let cached = CACHE.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|c| c.text == chunk);
        assert!(cached, "the body chunk is remembered");
        let second = reply(2, &body);
        assert_eq!(decompress(&compress(&second).expect("compresses")), second);
    }

    #[test]
    fn small_payloads_are_plain_streams() {
        let payload = reply(1, "<cib/>");
        assert_eq!(compress(&payload).expect("compresses"), compress_stream(&payload).expect("compresses"));
    }

    #[test]
    fn the_bzip2_tool_reads_spliced_streams() {
        let payload = reply(7, &big_body(15_000));
        let compressed = compress(&payload).expect("compresses");
        let dir = std::env::temp_dir().join(format!("pcmk-rs-bzip-blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("payload.bz2");
        std::fs::write(&file, &compressed).expect("write");
        let output = std::process::Command::new("bzip2").arg("-dc").arg(&file).output();
        std::fs::remove_dir_all(&dir).ok();
        let Ok(output) = output else { return }; // bzip2 not installed
        assert!(output.status.success(), "bzip2 -d failed: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(output.stdout, payload);
    }

    #[test]
    fn bit_writer_round_trips() {
        let mut w = BitWriter::default();
        w.put(0b101, 3);
        w.put(0xABCD_EF01_2345, 48);
        w.put(1, 1);
        let bytes = w.finish();
        assert_eq!(read_bits(&bytes, 0, 3), 0b101);
        assert_eq!(read_bits(&bytes, 3, 48), 0xABCD_EF01_2345);
        assert_eq!(read_bits(&bytes, 51, 1), 1);
        assert_eq!(read_bits(&bytes, 52, 4), 0);
    }
}
