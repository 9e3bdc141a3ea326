//! Arbitrary bytes, cut into arbitrary chunks in both directions with gaps, through a Telnet flow
//! of the dissector registry: never panics, whatever the framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::feed_flow;
use zonewarden_dissect::protocols::telnet::Telnet;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Telnet), 23, data);
});
