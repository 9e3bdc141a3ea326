//! Arbitrary bytes, cut into arbitrary chunks in both directions, through an MMS flow of the
//! dissector registry: never panics, whatever the framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::feed_flow;
use zonewarden_dissect::protocols::mms::Mms;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Mms), 102, data);
});
