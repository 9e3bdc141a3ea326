//! Arbitrary bytes as PROFINET DCP, GOOSE and EtherCAT frames: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    zonewarden_dissect::fuzzing::feed_frames(data);
});
