//! Decoding arbitrary bytes as a Pacemaker IPC message (header, optional bzip2 payload) must
//! never panic or allocate without bound; what decodes must re-encode and decode the same.

#![no_main]

use libcrmcommon::ipc::frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = frame::decode(data) else { return };
    if let Ok((header, payload)) = frame::encode(msg.header.id, 0, &msg.text, frame::DEFAULT_BUFFER_SIZE) {
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(&payload);
        let again = frame::decode(&bytes).expect("re-encoded frame decodes");
        assert_eq!(again.text, msg.text);
    }
});
