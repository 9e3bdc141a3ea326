//! Arbitrary segment sequences through one reassembly direction with small caps: never panics,
//! and the global accounting returns to zero after a flush.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_flow::{HalfStream, ReassemblyLimits};
use zonewarden_model::Timestamp;

fuzz_target!(|data: &[u8]| {
    let limits = ReassemblyLimits {
        per_direction_bytes: 256,
        global_bytes: 1024,
    };
    let mut stream = HalfStream::default();
    let mut global = 0usize;
    let mut rest = data;
    while rest.len() >= 6 {
        let seq = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let flags = rest[4];
        let len = usize::from(rest[5]).min(rest.len() - 6);
        let payload = &rest[6..6 + len];
        let _ = stream.segment(
            seq,
            flags & 1 != 0,
            payload,
            u32::from(flags >> 4),
            Timestamp(0),
            &limits,
            &mut global,
            &mut |_| {},
        );
        rest = &rest[6 + len..];
    }
    stream.flush(&mut global, &mut |_| {});
    assert_eq!(global, 0);
});
