//! Arbitrary bytes, cut into arbitrary chunks in both directions, through a Bacnet flow of the
//! dissector registry: never panics, whatever the framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::feed_flow;
use zonewarden_dissect::protocols::bacnet::Bacnet;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Bacnet), 47808, data);
});
