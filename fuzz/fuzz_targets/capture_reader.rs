//! Any bytes as a capture file: the reader must end (no endless loop) and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_capture::CaptureReader;

fuzz_target!(|data: &[u8]| {
    let cursor = std::io::Cursor::new(data.to_vec());
    let Ok(mut reader) = CaptureReader::from_reader("fuzz".into(), Box::new(cursor)) else {
        return;
    };
    // Every call either consumes input or ends the file, so this bound is never the limit
    // for a correct reader; hitting it means a loop that makes no progress.
    for _ in 0..=data.len() + 2 {
        match reader.next_packet() {
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => return,
        }
    }
    panic!("reader made no progress");
});
