//! Arbitrary bytes as PROFINET IO-CM datagrams in both directions: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::feed_flow;
use zonewarden_dissect::protocols::pnio_cm::PnioCm;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(PnioCm), 34964, data);
});
