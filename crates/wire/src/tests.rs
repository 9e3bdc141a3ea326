//! Byte-vector tests for every layer, and a property test that no input panics.

use super::*;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

const MAC_A: [u8; 6] = [0x00, 0x1b, 0x1b, 0x01, 0x02, 0x03];
const MAC_B: [u8; 6] = [0x00, 0x00, 0xbc, 0x0a, 0x0b, 0x0c];

fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
    let total = 20 + 20 + payload.len();
    let mut v = vec![
        0x45,
        0x00,
        (total >> 8) as u8,
        total as u8,
        0x12,
        0x34,
        0x40,
        0x00,
        64,
        6,
        0,
        0,
        10,
        0,
        0,
        1,
        10,
        0,
        0,
        2,
    ];
    // TCP: 50000 -> 502, seq 1000, ack 2000, data offset 5, PSH|ACK.
    v.extend_from_slice(&[
        0xC3, 0x50, 0x01, 0xF6, 0, 0, 0x03, 0xE8, 0, 0, 0x07, 0xD0, 0x50, 0x18, 0xFF, 0xFF, 0, 0,
        0, 0,
    ]);
    v.extend_from_slice(payload);
    v
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&MAC_B);
    v.extend_from_slice(&MAC_A);
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn ip_of(frame: &Frame<'_>) -> IpPacket<'static> {
    match frame.net {
        Net::Ip(ip) => IpPacket {
            payload: Box::leak(ip.payload.to_vec().into_boxed_slice()),
            ..ip
        },
        other => panic!("expected IP, got {other:?}"),
    }
}

#[test]
fn ethernet_ipv4_tcp() {
    let bytes = ethernet(0x0800, &ipv4_tcp(b"hello"));
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    assert_eq!(frame.src_mac, Some(MAC_A));
    assert_eq!(frame.dst_mac, Some(MAC_B));
    let ip = ip_of(&frame);
    assert_eq!(ip.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(ip.proto, ipproto::TCP);
    assert_eq!(ip.payload_offset, 34);
    match decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 34).unwrap() {
        Transport::Tcp(t) => {
            assert_eq!(
                (t.src_port, t.dst_port, t.seq, t.ack),
                (50000, 502, 1000, 2000)
            );
            assert!(t.flags.ack() && !t.flags.syn());
            assert_eq!(t.payload, b"hello");
            assert_eq!(t.missing, 0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut ip = ipv4_tcp(b"");
    ip.extend_from_slice(&[0; 6]); // frame padded to 60 bytes
    let bytes = ethernet(0x0800, &ip);
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    let ip = ip_of(&frame);
    match decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 0).unwrap() {
        Transport::Tcp(t) => assert!(t.payload.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn snaplen_cut_reports_missing_bytes() {
    let full = ethernet(0x0800, &ipv4_tcp(&[0xAB; 100]));
    let cut = &full[..full.len() - 60];
    let frame = decode_frame(LinkType::ETHERNET, cut).unwrap();
    let ip = ip_of(&frame);
    match decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 0).unwrap() {
        Transport::Tcp(t) => {
            assert_eq!(t.payload.len(), 40);
            assert_eq!(t.missing, 60);
            assert_eq!(t.seq_len(), 100);
        }
        other => panic!("{other:?}"),
    }
}

/// Captures taken on a host with TCP segmentation offload carry IPv4 total length 0.
#[test]
fn ipv4_total_length_zero_from_segmentation_offload_uses_the_frame() {
    let mut ip = ipv4_tcp(&[7; 3000]);
    ip[2] = 0;
    ip[3] = 0;
    let frame = decode_frame(LinkType::IPV4, &ip).unwrap();
    let ip = ip_of(&frame);
    assert_eq!(ip.payload.len(), 3020);
    match decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 0).unwrap() {
        Transport::Tcp(t) => assert_eq!((t.payload.len(), t.missing), (3000, 0)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn qinq_tags_are_both_kept() {
    let mut tagged = vec![0x00, 0x0A, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00];
    tagged.extend(ipv4_tcp(b""));
    let bytes = ethernet(0x88A8, &tagged);
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    assert_eq!(
        frame.vlans,
        Vlans {
            outer: 10,
            inner: 20
        }
    );
    assert!(matches!(frame.net, Net::Ip(_)));
}

#[test]
fn llc_frame_is_l2() {
    // 802.3 length 38, STP BPDU (DSAP 0x42).
    let mut payload = vec![0x42, 0x42, 0x03];
    payload.extend_from_slice(&[0; 35]);
    let bytes = ethernet(38, &payload);
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    assert_eq!(
        frame.l2_type,
        L2Type::Llc {
            dsap: 0x42,
            ssap: 0x42
        }
    );
    assert!(matches!(frame.net, Net::Other(b) if b.len() == 35));
}

#[test]
fn snap_with_rfc1042_oui_is_an_ethertype() {
    // 802.3 length, LLC AA AA 03, OUI 00-00-00, protocol id 0x0800 (IPv4).
    let mut payload = vec![0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00];
    payload.extend(ipv4_tcp(b""));
    let bytes = ethernet(payload.len() as u16, &payload);
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    assert_eq!(frame.l2_type, L2Type::EtherType(0x0800));
    assert!(matches!(frame.net, Net::Ip(_)));
}

#[test]
fn snap_with_vendor_oui_stays_llc_with_the_oui_in_the_payload() {
    // 802.3 length, LLC AA AA 03, Cisco OUI 00-00-0C, protocol id 0x2000 (CDP), 4 CDP bytes.
    let payload = vec![
        0xAA, 0xAA, 0x03, 0x00, 0x00, 0x0C, 0x20, 0x00, 0x02, 0xB4, 0x12, 0x34,
    ];
    let bytes = ethernet(payload.len() as u16, &payload);
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    assert_eq!(
        frame.l2_type,
        L2Type::Llc {
            dsap: 0xAA,
            ssap: 0xAA
        }
    );
    assert!(
        matches!(frame.net, Net::Other(b) if b == [0x00, 0x00, 0x0C, 0x20, 0x00, 0x02, 0xB4, 0x12, 0x34])
    );
}

#[test]
fn arp_request() {
    let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1];
    arp.extend_from_slice(&MAC_A);
    arp.extend_from_slice(&[10, 0, 0, 1]);
    arp.extend_from_slice(&[0; 6]);
    arp.extend_from_slice(&[10, 0, 0, 2]);
    let bytes = ethernet(0x0806, &arp);
    match decode_frame(LinkType::ETHERNET, &bytes).unwrap().net {
        Net::Arp(a) => {
            assert_eq!(a.operation, 1);
            assert_eq!(a.sender_ip, Some(Ipv4Addr::new(10, 0, 0, 1)));
            assert_eq!(a.target_ip, Some(Ipv4Addr::new(10, 0, 0, 2)));
            assert_eq!(a.sender_mac, Some(MAC_A));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ipv4_fragment_fields() {
    let mut ip = ipv4_tcp(b"abcdefgh");
    ip[6] = 0x20; // MF set, offset high bits 0
    ip[7] = 0x02; // offset 2 * 8 = 16
    let frame = decode_frame(LinkType::IPV4, &ip).unwrap();
    let ip = ip_of(&frame);
    assert_eq!(
        ip.fragment,
        Some(Fragment {
            id: 0x1234,
            offset: 16,
            more: true
        })
    );
}

#[test]
fn ipv6_with_extension_headers_and_udp() {
    let mut v = vec![0x60, 0, 0, 0, 0, 24, 0 /* hop-by-hop */, 64];
    v.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    // Hop-by-hop: next = UDP (17), length 0 (8 bytes).
    v.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
    // UDP 546 -> 547, length 16.
    v.extend_from_slice(&[0x02, 0x22, 0x02, 0x23, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let bytes = ethernet(0x86DD, &v);
    let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
    let ip = ip_of(&frame);
    assert_eq!(ip.proto, ipproto::UDP);
    match decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 0).unwrap() {
        Transport::Udp(u) => {
            assert_eq!((u.src_port, u.dst_port), (546, 547));
            assert_eq!(u.payload, &[1, 2, 3, 4, 5, 6, 7, 8]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = ipv4_tcp(b"x");
    let mut sll = vec![0, 0, 0, 1, 0, 6];
    sll.extend_from_slice(&MAC_A);
    sll.extend_from_slice(&[0, 0, 0x08, 0x00]);
    sll.extend_from_slice(&ip);
    let frame = decode_frame(LinkType::LINUX_SLL, &sll).unwrap();
    assert_eq!(frame.src_mac, Some(MAC_A));
    assert!(matches!(frame.net, Net::Ip(_)));

    let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6];
    sll2.extend_from_slice(&MAC_A);
    sll2.extend_from_slice(&[0, 0]);
    sll2.extend_from_slice(&ip);
    let frame = decode_frame(LinkType::LINUX_SLL2, &sll2).unwrap();
    assert_eq!(frame.src_mac, Some(MAC_A));
    assert!(matches!(frame.net, Net::Ip(_)));
}

#[test]
fn bsd_null_in_either_byte_order() {
    for family in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
        let mut v = family.to_vec();
        v.extend(ipv4_tcp(b""));
        let frame = decode_frame(LinkType::NULL, &v).unwrap();
        assert!(matches!(frame.net, Net::Ip(_)), "{family:?}");
    }
    let mut v = vec![0, 0, 0, 30];
    v.extend([0x60, 0, 0, 0, 0, 0, 59, 1]);
    v.extend([0u8; 32]);
    assert!(matches!(
        decode_frame(LinkType::LOOP, &v).unwrap().net,
        Net::Ip(_)
    ));
}

#[test]
fn erspan_type_ii_carries_the_mirrored_frame() {
    let inner = ethernet(0x0800, &ipv4_tcp(b"mirrored"));
    // GRE with sequence bit, protocol 0x88BE, then an 8-byte ERSPAN II header.
    let mut gre = vec![0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 1];
    gre.extend_from_slice(&[0x10, 0x00, 0x00, 0x01, 0, 0, 0, 0]);
    gre.extend_from_slice(&inner);
    let total = 20 + gre.len();
    let mut outer_ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0,
        0,
        64,
        47,
        0,
        0,
        192,
        168,
        0,
        1,
        192,
        168,
        0,
        2,
    ];
    outer_ip.extend(gre);
    let mut outer = Vec::new();
    outer.extend_from_slice(&[0xee; 6]);
    outer.extend_from_slice(&[0xdd; 6]);
    outer.extend_from_slice(&[0x08, 0x00]);
    outer.extend(outer_ip);
    let frame = decode_frame(LinkType::ETHERNET, &outer).unwrap();
    assert_eq!(frame.encapsulations, 1);
    assert_eq!(
        frame.src_mac,
        Some(MAC_A),
        "inner MACs describe the mirrored hosts"
    );
    let ip = ip_of(&frame);
    assert_eq!(ip.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
}

#[test]
fn erspan_type_iii_with_platform_subheader() {
    let inner = ethernet(0x0800, &ipv4_tcp(b""));
    let mut gre = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1];
    let mut erspan = [0u8; 12];
    erspan[11] = 1; // O flag: 8-byte platform sub-header follows
    gre.extend_from_slice(&erspan);
    gre.extend_from_slice(&[0; 8]);
    gre.extend_from_slice(&inner);
    let total = 20 + gre.len();
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0,
        0,
        64,
        47,
        0,
        0,
        1,
        1,
        1,
        1,
        2,
        2,
        2,
        2,
    ];
    ip.extend(gre);
    let frame = decode_frame(LinkType::IPV4, &ip).unwrap();
    assert_eq!(frame.encapsulations, 1);
    assert_eq!(ip_of(&frame).src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
}

#[test]
fn malformed_layers_carry_their_offset() {
    // IPv4 total length shorter than the header.
    let mut ip = ipv4_tcp(b"");
    ip[2] = 0;
    ip[3] = 10;
    let bytes = ethernet(0x0800, &ip);
    match decode_frame(LinkType::ETHERNET, &bytes).unwrap().net {
        Net::Malformed(e) => {
            assert_eq!(e.layer, "ipv4");
            assert_eq!(e.offset, 16);
        }
        other => panic!("{other:?}"),
    }
    // TCP data offset below 5.
    let mut ip = ipv4_tcp(b"");
    ip[32] = 0x20;
    let frame = decode_frame(LinkType::IPV4, &ip).unwrap();
    let ip = ip_of(&frame);
    let e = decode_transport(
        ip.proto,
        ip.payload,
        ip.payload_len_on_wire,
        ip.payload_offset,
    )
    .unwrap_err();
    assert_eq!((e.layer, e.offset), ("tcp", 32));
    assert_eq!(e.to_string(), "tcp at frame byte 32: data offset below 20");
}

#[test]
fn conversation_hash_is_symmetric() {
    let v = Vlans { outer: 7, inner: 0 };
    assert_eq!(
        conversation_hash(1, 80, 2, 5000, v),
        conversation_hash(2, 5000, 1, 80, v)
    );
    assert_ne!(
        conversation_hash(1, 80, 2, 5000, v),
        conversation_hash(1, 80, 2, 5001, v)
    );
}

#[test]
fn unknown_link_type_is_an_error() {
    let e = decode_frame(LinkType(147), &[1, 2, 3]).unwrap_err();
    assert_eq!(e.reason, "unsupported link type");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn no_input_panics(
        link in prop::sample::select(vec![0u32, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147]),
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Ok(frame) = decode_frame(LinkType(link), &bytes) {
            if let Net::Ip(ip) = frame.net {
                let _ = decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, ip.payload_offset);
            }
        }
    }

    /// Structured fuzzing: valid Ethernet/IPv4 headers with random bytes after them reach the
    /// deeper layers far more often than uniform noise does.
    #[test]
    fn no_structured_input_panics(
        ethertype in prop::sample::select(vec![0x0800u16, 0x86DD, 0x8100, 0x88A8, 0x0806, 0x0010]),
        proto in prop::sample::select(vec![6u8, 17, 1, 47, 4, 41, 58, 0, 44]),
        tail in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let total = (20 + tail.len()) as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend(tail);
        let bytes = ethernet(ethertype, &ip);
        if let Ok(frame) = decode_frame(LinkType::ETHERNET, &bytes) {
            if let Net::Ip(ip) = frame.net {
                let _ = decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 0);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// Whenever the fast hint answers, it agrees with the full decode: the dispatcher relies on
    /// this to send both directions of a flow to one worker.
    #[test]
    fn endpoints_hint_agrees_with_full_decode(
        tags in 0usize..4,
        ethertype in prop::sample::select(vec![0x0800u16, 0x86DD]),
        proto in prop::sample::select(vec![6u8, 17, 1, 58, 47, 4, 0, 44]),
        fragment_bits in prop::sample::select(vec![0u16, 0x2000, 0x0001, 0x4000]),
        tail in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut body = Vec::new();
        for i in 0..tags {
            body.extend_from_slice(&[0x00, 10 + i as u8]);
            let next: u16 = if i + 1 < tags { 0x8100 } else { ethertype };
            body.extend_from_slice(&next.to_be_bytes());
        }
        if ethertype == 0x0800 {
            let total = (20 + tail.len()) as u16;
            body.extend_from_slice(&[0x45, 0]);
            body.extend_from_slice(&total.to_be_bytes());
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&fragment_bits.to_be_bytes());
            body.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        } else {
            body.extend_from_slice(&[0x60, 0, 0, 0]);
            body.extend_from_slice(&(tail.len() as u16).to_be_bytes());
            body.extend_from_slice(&[proto, 64]);
            body.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
            body.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        }
        body.extend(tail);
        let first = if tags > 0 { 0x8100 } else { ethertype };
        let bytes = ethernet(first, &body);
        if let Some(hint) = conversation_hash_hint(LinkType::ETHERNET, &bytes) {
            let frame = decode_frame(LinkType::ETHERNET, &bytes).unwrap();
            if let Net::Ip(ip) = frame.net {
                prop_assert!(ip.fragment.is_none());
                let (sp, dp) = match decode_transport(ip.proto, ip.payload, ip.payload_len_on_wire, 0) {
                    Ok(Transport::Tcp(t)) => (t.src_port, t.dst_port),
                    Ok(Transport::Udp(u)) => (u.src_port, u.dst_port),
                    Ok(Transport::Icmp { .. }) => (0, 0),
                    // A malformed transport header: whichever worker gets it reports it.
                    Err(_) => return Ok(()),
                    Ok(other) => return Err(TestCaseError::fail(format!("hint on {other:?}"))),
                };
                let full = conversation_hash(fold_address(ip.src), sp, fold_address(ip.dst), dp, frame.vlans);
                prop_assert_eq!(hint, full);
            }
        }
    }
}
