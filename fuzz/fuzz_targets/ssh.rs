//! Arbitrary bytes, cut into arbitrary chunks in both directions with gaps, through an SSH flow
//! of the dissector registry: never panics, whatever the framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::feed_flow;
use zonewarden_dissect::protocols::ssh::Ssh;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Ssh), 22, data);
});
