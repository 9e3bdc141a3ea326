//! Any bytes, under any supported link type, through the whole header decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonewarden_wire::{conversation_hash_hint, decode_frame, decode_transport, LinkType, Net};

const LINKS: [u32; 10] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let link = LinkType(LINKS[usize::from(selector) % LINKS.len()]);
    let _ = conversation_hash_hint(link, frame);
    if let Ok(decoded) = decode_frame(link, frame) {
        if let Net::Ip(ip) = decoded.net {
            let _ = decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, ip.payload_offset);
        }
    }
});
