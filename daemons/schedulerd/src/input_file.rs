//! Writing a scheduler input to disk the way Pacemaker's `write_xml_file(xml, name, TRUE)`
//! does: the formatted XML text, bzip2-compressed with 500 kB blocks, synced to disk.
//! If compression fails the plain text is written instead, as Pacemaker does.

use libcrmcommon::xml::{self, Element};
use std::io::Write;
use std::path::Path;

/// bzip2 block size (in 100 kB units) Pacemaker writes files with.
const BZIP2_BLOCK_SIZE: u32 = 5;

pub fn write_compressed(document: &Element, path: &Path) -> std::io::Result<()> {
    let text = xml::to_formatted(document);
    let bytes = match compress(text.as_bytes()) {
        Ok(compressed) => compressed,
        Err(e) => {
            tracing::warn!("Not compressing {}: could not compress data: {}", path.display(), e);
            text.into_bytes()
        }
    };
    // Pacemaker removes an old file of the same name first (the series may have wrapped).
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut file = std::fs::File::create(path)?;
    file.write_all(&bytes)?;
    file.sync_all()
}

fn compress(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(BZIP2_BLOCK_SIZE));
    encoder.write_all(data)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn round_trips_through_bzip2() {
        let dir = std::env::temp_dir().join(format!("schedulerd-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("pe-input-0.bz2");
        let doc = xml::parse(r#"<cib epoch="1"><configuration/><status/></cib>"#).expect("parses");
        write_compressed(&doc, &path).expect("written");
        write_compressed(&doc, &path).expect("overwritten");
        let mut text = String::new();
        bzip2::read::BzDecoder::new(std::fs::File::open(&path).expect("open"))
            .read_to_string(&mut text)
            .expect("decompresses");
        assert_eq!(text, xml::to_formatted(&doc));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Pacemaker compresses with libbz2 at block size 5 (work factor 30, the command's
    /// default too), so `bzip2 -5` must produce the very same bytes.
    #[test]
    fn bytes_match_libbz2() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("<nvpair id=\"n{i}\" name=\"attr-{}\" value=\"{}\"/>\n", i % 97, i * 7919 % 10007));
        }
        let Ok(mut child) = std::process::Command::new("bzip2")
            .args(["-5", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            eprintln!("SKIPPED bytes_match_libbz2: no bzip2 command");
            return;
        };
        let mut stdin = child.stdin.take().expect("stdin");
        let input = text.clone();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().expect("bzip2 runs");
        writer.join().expect("writer").expect("written");
        assert!(out.status.success());
        assert_eq!(compress(text.as_bytes()).expect("compresses"), out.stdout);
    }
}
