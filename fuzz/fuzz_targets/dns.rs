//! Arbitrary bytes, cut into arbitrary chunks in both directions, through a DNS flow over UDP
//! and one over TCP (length-prefixed framing) of the dissector registry: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::{feed_datagrams, feed_flow};
use zonewarden_dissect::protocols::dns::{Dns, DnsTcp};

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Dns), 53, data);
    feed_datagrams(Box::new(Dns), 53, data);
    feed_flow(Box::new(DnsTcp), 53, data);
});
