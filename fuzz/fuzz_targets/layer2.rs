//! Arbitrary bytes as PROFINET DCP, GOOSE, EtherCAT, LLDP and CDP frames: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    zonewarden_dissect::fuzzing::feed_frames(data);
});
