//! Byte-vector tests of the readers, including a set of deliberately broken captures: each
//! must give a positioned message, keep what can be kept, and never panic.

use super::*;
use proptest::prelude::*;
use std::io::Write;

fn pcap_header(magic: u32, big_endian: bool, snaplen: u32, link: u32) -> Vec<u8> {
    let mut v = Vec::new();
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    w32(&mut v, magic);
    w16(&mut v, 2);
    w16(&mut v, 4);
    w32(&mut v, 0);
    w32(&mut v, 0);
    w32(&mut v, snaplen);
    w32(&mut v, link);
    v
}

fn pcap_record(v: &mut Vec<u8>, big_endian: bool, secs: u32, frac: u32, data: &[u8], orig: u32) {
    for x in [secs, frac, data.len() as u32, orig] {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        });
    }
    v.extend_from_slice(data);
}

fn sample_pcap(n: u32) -> Vec<u8> {
    let mut v = pcap_header(pcap::MAGIC_MICRO, false, 65535, 1);
    for i in 0..n {
        pcap_record(&mut v, false, 1_700_000_000 + i, 500, &[i as u8; 60], 60);
    }
    v
}

fn reader(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_reader("test.pcap".into(), Box::new(std::io::Cursor::new(bytes)))
}

/// Reads everything: packet numbers, timestamps and errors in order.
fn read_all(bytes: Vec<u8>) -> (Vec<(u64, u64, usize)>, Vec<String>) {
    let mut packets = Vec::new();
    let mut errors = Vec::new();
    let mut r = match reader(bytes) {
        Ok(r) => r,
        Err(e) => return (packets, vec![e.to_string()]),
    };
    for _ in 0..100_000 {
        match r.next_packet() {
            Ok(Some(p)) => packets.push((p.number, p.ts.as_nanos(), p.data.len())),
            Ok(None) => break,
            Err(e) => errors.push(e.to_string()),
        }
    }
    (packets, errors)
}

#[test]
fn pcap_micro_little_endian() {
    let (packets, errors) = read_all(sample_pcap(3));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 3);
    assert_eq!(packets[0], (1, 1_700_000_000_000_500_000, 60));
}

#[test]
fn pcap_nano_big_endian() {
    let mut v = pcap_header(pcap::MAGIC_NANO, true, 65535, 1);
    pcap_record(&mut v, true, 10, 123_456_789, &[1, 2, 3], 3);
    let (packets, errors) = read_all(v);
    assert!(errors.is_empty());
    assert_eq!(packets, vec![(1, 10_123_456_789, 3)]);
}

#[test]
fn gzip_and_zstd_are_recognised_by_magic() {
    let plain = sample_pcap(5);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let (packets, errors) = read_all(gz.finish().unwrap());
    assert!(errors.is_empty());
    assert_eq!(packets.len(), 5);

    // A zstd frame written by hand: raw blocks need no compressor (RFC 8878 §3.1.1).
    let mut z = vec![0x28, 0xB5, 0x2F, 0xFD];
    // Frame header descriptor: single segment, 4-byte content size.
    z.push(0b1010_0000);
    z.extend_from_slice(&(plain.len() as u32).to_le_bytes());
    // One raw, last block: header = last(1) | type raw(0)<<1 | size<<3.
    let header = 1u32 | ((plain.len() as u32) << 3);
    z.extend_from_slice(&header.to_le_bytes()[..3]);
    z.extend_from_slice(&plain);
    let mut r = reader(z).unwrap();
    assert_eq!(r.compression(), Compression::Zstd);
    let mut n = 0;
    while r.next_packet().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5);
}

fn pcapng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&body);
    v.extend_from_slice(&len.to_le_bytes());
    v
}

fn shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&pcapng::BYTE_ORDER_MAGIC.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    pcapng_block(pcapng::SHB, &body)
}

fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&link.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend_from_slice(&9u16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[r, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]);
    }
    pcapng_block(1, &body)
}

fn epb(interface: u32, units: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&interface.to_le_bytes());
    body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(units as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    pcapng_block(6, &body)
}

#[test]
fn pcapng_interfaces_with_different_link_types_and_resolutions() {
    let mut v = shb();
    v.extend(idb(1, None));
    v.extend(idb(101, Some(9)));
    v.extend(pcapng_block(5, &[0; 8])); // interface statistics: skipped
    v.extend(epb(0, 1_000_000, &[0xAA; 14]));
    v.extend(epb(1, 2_000_000_000, &[0x45; 20]));
    let mut body = Vec::new();
    body.extend_from_slice(&4u32.to_le_bytes());
    body.extend_from_slice(&[9, 9, 9, 9]);
    v.extend(pcapng_block(3, &body)); // simple packet block
    let mut r = reader(v).unwrap();
    let a = r.next_packet().unwrap().unwrap();
    assert_eq!(
        (a.link, a.ts.as_nanos(), a.number),
        (LinkType::ETHERNET, 1_000_000_000, 1)
    );
    let b = r.next_packet().unwrap().unwrap();
    assert_eq!(
        (b.link, b.ts.as_nanos(), b.data.len()),
        (LinkType::RAW, 2_000_000_000, 20)
    );
    let c = r.next_packet().unwrap().unwrap();
    assert_eq!((c.number, c.data), (3, &[9u8, 9, 9, 9][..]));
    assert!(r.next_packet().unwrap().is_none());
    assert_eq!(r.link_types(), vec![LinkType::ETHERNET, LinkType::RAW]);
}

// ---- broken captures: each gives a positioned, specific message ----

#[test]
fn empty_file_is_not_a_capture() {
    let (_, errors) = read_all(Vec::new());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("test.pcap"), "{}", errors[0]);
    assert!(errors[0].contains("the file is empty"), "{}", errors[0]);
}

#[test]
fn wrong_magic_names_the_bytes() {
    let (_, errors) = read_all(b"GIF89a-not-a-capture-at-all".to_vec());
    assert!(
        errors[0].contains("not a pcap or pcapng capture (first bytes 47 49 46 38)"),
        "{}",
        errors[0]
    );
}

#[test]
fn truncated_file_header() {
    let mut v = sample_pcap(0);
    v.truncate(10);
    let (_, errors) = read_all(v);
    assert!(errors[0].contains("pcap file header"), "{}", errors[0]);
}

#[test]
fn truncated_last_packet_keeps_the_others() {
    let mut v = sample_pcap(3);
    v.truncate(v.len() - 10);
    let (packets, errors) = read_all(v);
    assert_eq!(packets.len(), 2);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains(
            "packet 3, byte offset 176: file ends inside a packet record: 76 bytes needed, 66 left"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn truncated_record_header() {
    let mut v = sample_pcap(2);
    v.extend_from_slice(&[1, 2, 3]);
    let (packets, errors) = read_all(v);
    assert_eq!(packets.len(), 2);
    assert!(
        errors[0].contains("packet 3") && errors[0].contains("packet record header"),
        "{}",
        errors[0]
    );
}

#[test]
fn absurd_length_is_skipped_and_reading_resumes() {
    let mut v = sample_pcap(2);
    // A record claiming 0xFFFF_FF00 bytes, then garbage, then two good records.
    pcap_record(&mut v, false, 1_700_000_002, 0, &[], 0);
    let len = v.len();
    v[len - 8..len - 4].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    v.extend_from_slice(&[0xEE; 37]);
    pcap_record(&mut v, false, 1_700_000_003, 0, &[7; 40], 40);
    pcap_record(&mut v, false, 1_700_000_004, 0, &[8; 40], 40);
    let (packets, errors) = read_all(v);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("packet 3, byte offset 176: record length 4294967040 is impossible"),
        "{}",
        errors[0]
    );
    assert_eq!(packets.len(), 4);
    assert_eq!(packets[2].2, 40);
}

#[test]
fn zero_length_records_are_packets() {
    let mut v = sample_pcap(1);
    pcap_record(&mut v, false, 1_700_000_001, 0, &[], 0);
    pcap_record(&mut v, false, 1_700_000_002, 0, &[1; 10], 10);
    let (packets, errors) = read_all(v);
    assert!(errors.is_empty());
    assert_eq!(
        packets.iter().map(|p| p.2).collect::<Vec<_>>(),
        vec![60, 0, 10]
    );
}

#[test]
fn garbage_after_the_last_record_is_reported_once() {
    let mut v = sample_pcap(2);
    v.extend_from_slice(&[0xFF; 200]);
    let (packets, errors) = read_all(v);
    assert_eq!(packets.len(), 2);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("no valid record found after this point"),
        "{}",
        errors[0]
    );
}

#[test]
fn unsupported_pcap_version() {
    let mut v = sample_pcap(1);
    v[4] = 3;
    let (_, errors) = read_all(v);
    assert!(
        errors[0].contains("pcap version 3 is not supported"),
        "{}",
        errors[0]
    );
}

#[test]
fn pcapng_bad_trailing_length_resyncs_to_next_block() {
    let mut v = shb();
    v.extend(idb(1, None));
    v.extend(epb(0, 1, &[1; 16]));
    let mut bad = epb(0, 2, &[2; 16]);
    let n = bad.len();
    bad[n - 4..].copy_from_slice(&999u32.to_le_bytes());
    let bad_offset = v.len();
    v.extend(bad);
    v.extend(epb(0, 3, &[3; 16]));
    let (packets, errors) = read_all(v);
    assert_eq!(packets.len(), 2);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains(&format!(
            "byte offset {bad_offset}: block's trailing length does not match"
        )),
        "{}",
        errors[0]
    );
}

#[test]
fn pcapng_unknown_interface_skips_one_packet() {
    let mut v = shb();
    v.extend(idb(1, None));
    v.extend(epb(3, 1, &[1; 16]));
    v.extend(epb(0, 2, &[2; 16]));
    let (packets, errors) = read_all(v);
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].0, 2);
    assert!(
        errors[0].contains("packet 1") && errors[0].contains("interface 3, but only 1 are defined"),
        "{}",
        errors[0]
    );
}

#[test]
fn pcapng_packet_block_longer_than_itself() {
    let mut v = shb();
    v.extend(idb(1, None));
    let mut b = epb(0, 1, &[1; 16]);
    b[20..24].copy_from_slice(&5000u32.to_le_bytes()); // captured length field
    v.extend(b);
    v.extend(epb(0, 2, &[2; 16]));
    let (packets, errors) = read_all(v);
    assert_eq!(packets.len(), 1);
    assert!(
        errors[0].contains("says 5000 captured bytes but holds only 16"),
        "{}",
        errors[0]
    );
}

#[test]
fn pcapng_truncated_block() {
    let mut v = shb();
    v.extend(idb(1, None));
    v.extend(epb(0, 1, &[1; 16]));
    v.truncate(v.len() - 5);
    let (_, errors) = read_all(v);
    assert!(
        errors[0].contains("file ends inside a block"),
        "{}",
        errors[0]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Any bytes after a valid header: the reader ends, never panics, never loops.
    #[test]
    fn pcap_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut v = sample_pcap(1);
        v.extend(tail);
        let _ = read_all(v);
    }

    #[test]
    fn pcapng_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut v = shb();
        v.extend(idb(1, None));
        v.extend(tail);
        let _ = read_all(v);
    }

    /// Flipping one byte of a valid capture never panics.
    #[test]
    fn bit_flips_never_panic(pos in 0usize..1500, value: u8) {
        let mut v = sample_pcap(20);
        let p = pos % v.len();
        v[p] = value;
        let _ = read_all(v);
    }
}

/// Packets handed out with their buffer stay intact while the buffer is held, however much is
/// read after them: the reader continues in another buffer instead of compacting the held one.
#[test]
fn held_shared_buffers_keep_their_packets_while_reading_goes_on() {
    // Distinct contents per packet, varying lengths, enough to refill the window many times.
    let mut bytes = pcap_header(pcap::MAGIC_MICRO, false, 65535, 1);
    let payload = |i: u32| -> Vec<u8> {
        (0..(40 + i % 900))
            .map(|j| (i.wrapping_mul(31) ^ j) as u8)
            .collect()
    };
    for i in 0..20_000u32 {
        pcap_record(
            &mut bytes,
            false,
            1_700_000_000,
            i % 1_000_000,
            &payload(i),
            40 + i % 900,
        );
    }
    let mut r = reader(bytes).unwrap();
    let mut held: Vec<(std::sync::Arc<Vec<u8>>, usize, usize, u32)> = Vec::new();
    let mut i = 0u32;
    while let Some(shared) = r.next_shared_packet().unwrap() {
        assert_eq!(shared.packet.data, payload(i).as_slice());
        // Keep every 97th packet's buffer, and let the oldest go now and then so that
        // retired buffers are reused too.
        if i.is_multiple_of(97) {
            held.push((
                std::sync::Arc::clone(shared.buffer),
                shared.start,
                shared.packet.data.len(),
                i,
            ));
            if held.len() > 12 {
                held.remove(0);
            }
        }
        for (buffer, start, len, n) in &held {
            if i.is_multiple_of(101) {
                assert_eq!(
                    buffer.get(*start..start + len),
                    Some(payload(*n).as_slice()),
                    "packet {n} changed while held, at packet {i}"
                );
            }
        }
        i += 1;
    }
    assert_eq!(i, 20_000);
}
