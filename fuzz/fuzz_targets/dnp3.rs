//! Arbitrary bytes, cut into arbitrary chunks in both directions, through a Dnp3 flow of the
//! dissector registry: never panics, whatever the framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::feed_flow;
use zonewarden_dissect::protocols::dnp3::Dnp3;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Dnp3), 20000, data);
});
