//! Arbitrary bytes as datagrams in both directions of a NetBIOS name service flow of the
//! dissector registry (short ones cut by `feed_flow`, long ones by `feed_datagrams`): never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::{feed_datagrams, feed_flow};
use zonewarden_dissect::protocols::netbios::NetbiosNs;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(NetbiosNs), 137, data);
    feed_datagrams(Box::new(NetbiosNs), 137, data);
});
