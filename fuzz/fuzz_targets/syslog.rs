//! Arbitrary bytes as datagrams in both directions of a syslog flow of the dissector registry (short
//! ones cut by `feed_flow`, long ones by `feed_datagrams`): never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::{feed_datagrams, feed_flow};
use zonewarden_dissect::protocols::syslog::Syslog;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Syslog), 514, data);
    feed_datagrams(Box::new(Syslog), 514, data);
});
