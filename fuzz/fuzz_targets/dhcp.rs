//! Arbitrary bytes as datagrams in both directions of a DHCP flow of the dissector registry
//! (short ones cut by `feed_flow`, long ones by `feed_datagrams`), and as the options of a
//! message with a valid fixed part and magic cookie (which random bytes rarely reach): never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_dissect::fuzzing::{feed_datagrams, feed_flow};
use zonewarden_dissect::protocols::dhcp::Dhcp;

fuzz_target!(|data: &[u8]| {
    feed_flow(Box::new(Dhcp), 67, data);
    feed_datagrams(Box::new(Dhcp), 67, data);
    // op from the first byte, Ethernet chaddr, the rest as options (and, through the overload
    // option, as file/sname contents).
    let (op, options) = data
        .split_first()
        .map_or((1, data), |(&b, rest)| (1 + (b & 1), rest));
    let mut message = vec![0u8; 236];
    if let Some(fixed) = message.get_mut(..3) {
        fixed.copy_from_slice(&[op, 1, 6]);
    }
    if let Some(chaddr) = message.get_mut(28..34) {
        chaddr.copy_from_slice(&[0, 1, 2, 3, 4, 5]);
    }
    message.extend_from_slice(&[0x63, 0x82, 0x53, 0x63]);
    message.extend_from_slice(
        options
            .get(..options.len().min(0x7FFF - 240))
            .unwrap_or_default(),
    );
    let mut framed = ((message.len() as u16) | u16::from(op == 2) << 15)
        .to_be_bytes()
        .to_vec();
    framed.extend_from_slice(&message);
    feed_datagrams(Box::new(Dhcp), 67, &framed);
});
