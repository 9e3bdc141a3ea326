//! End-to-end checks of generated captures, read back with a minimal pcap
//! reader so the tests depend on nothing but the file format.

// The workspace denies these in library code; a test's job is to panic on
// anything unexpected, and clippy only exempts `#[test]` functions, not
// the helpers of an integration test crate.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;

use zonewarden_generator::{write_pcap, GenSummary, PlantSpec};

const START_US: u64 = 1_767_225_600 * 1_000_000;

#[derive(Debug)]
struct Record<'a> {
    ts_us: u64,
    caplen: usize,
    origlen: usize,
    frame: &'a [u8],
}

fn u16_le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u16_be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Parses a classic little-endian microsecond pcap file.
fn read_pcap(data: &[u8]) -> Vec<Record<'_>> {
    assert_eq!(&data[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "magic");
    assert_eq!((u16_le(data, 4), u16_le(data, 6)), (2, 4), "version");
    assert_eq!(u32_le(data, 16), 65_535, "snaplen");
    assert_eq!(u32_le(data, 20), 1, "linktype Ethernet");
    let mut records = Vec::new();
    let mut at = 24;
    while at < data.len() {
        let secs = u64::from(u32_le(data, at));
        let micros = u64::from(u32_le(data, at + 4));
        assert!(micros < 1_000_000);
        let caplen = u32_le(data, at + 8) as usize;
        let origlen = u32_le(data, at + 12) as usize;
        let frame = &data[at + 16..at + 16 + caplen];
        records.push(Record {
            ts_us: secs * 1_000_000 + micros,
            caplen,
            origlen,
            frame,
        });
        at += 16 + caplen;
    }
    assert_eq!(at, data.len(), "no trailing garbage");
    records
}

fn generate(spec: &PlantSpec) -> (GenSummary, Vec<u8>) {
    let mut out = Vec::new();
    let summary = write_pcap(spec, &mut out).unwrap();
    (summary, out)
}

fn seconds(secs: f64) -> PlantSpec {
    PlantSpec {
        duration_secs: Some(secs),
        ..PlantSpec::default()
    }
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in data.chunks(2) {
        let word = if pair.len() == 2 {
            u16_be(pair, 0)
        } else {
            u16::from(pair[0]) << 8
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A decoded TCP segment header.
#[derive(Debug, Clone, Copy)]
struct Tcp {
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    flags: u8,
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;

/// Verifies the IPv4 and transport checksums of an IPv4 frame and returns
/// its TCP header, if any.
fn check_ipv4(frame: &[u8]) -> Option<Tcp> {
    if u16_be(frame, 12) != 0x0800 {
        return None;
    }
    let ip = &frame[14..];
    assert_eq!(ip[0], 0x45);
    let total = usize::from(u16_be(ip, 2));
    assert!(14 + total <= frame.len());
    assert_eq!(checksum(&ip[..20]), 0, "IPv4 header checksum");
    let l4 = &ip[20..total];
    let mut pseudo = Vec::with_capacity(12 + l4.len());
    pseudo.extend_from_slice(&ip[12..20]);
    pseudo.extend_from_slice(&[0, ip[9]]);
    pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(l4);
    assert_eq!(checksum(&pseudo), 0, "TCP/UDP checksum");
    (ip[9] == 6).then(|| Tcp {
        src: ip[12..16].try_into().unwrap(),
        dst: ip[16..20].try_into().unwrap(),
        sport: u16_be(l4, 0),
        dport: u16_be(l4, 2),
        flags: l4[13],
    })
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
    let spec = PlantSpec {
        seed: 42,
        ..seconds(10.0)
    };
    let (summary_a, a) = generate(&spec);
    let (summary_b, b) = generate(&spec);
    assert_eq!(summary_a, summary_b);
    assert!(a == b, "two runs with the same seed must be byte-identical");
    let (_, c) = generate(&PlantSpec { seed: 43, ..spec });
    assert!(a != c, "a different seed must give a different capture");
}

#[test]
fn records_are_complete_ordered_and_checksummed() {
    let (summary, data) = generate(&seconds(20.0));
    let records = read_pcap(&data);
    assert_eq!(summary.bytes_written, data.len() as u64);
    assert_eq!(summary.packets, records.len() as u64);
    assert_eq!(summary.hosts, 23);
    assert_eq!(summary.first_ts_us, records[0].ts_us);
    assert_eq!(summary.last_ts_us, records.last().unwrap().ts_us);
    assert!(summary.first_ts_us >= START_US);
    assert!(summary.last_ts_us < START_US + 20_000_000);
    let mut previous = 0;
    for record in &records {
        assert_eq!(record.caplen, record.origlen);
        assert!(
            record.caplen >= 60,
            "frames are padded to the Ethernet minimum"
        );
        assert!(record.caplen <= 1514);
        assert!(record.ts_us >= previous, "timestamps never go backwards");
        previous = record.ts_us;
        check_ipv4(record.frame);
    }
}

#[test]
fn every_connection_is_opened_and_short_ones_are_closed() {
    let spec = seconds(60.0);
    let (_, data) = generate(&spec);
    let records = read_pcap(&data);
    let segments: Vec<Tcp> = records.iter().filter_map(|r| check_ipv4(r.frame)).collect();

    let syns: Vec<&Tcp> = segments
        .iter()
        .filter(|t| t.flags & (SYN | ACK) == SYN)
        .collect();
    let syn_acks = segments
        .iter()
        .filter(|t| t.flags & (SYN | ACK) == SYN | ACK)
        .count();
    assert_eq!(syns.len(), syn_acks, "every SYN is answered");

    let hmis: HashSet<[u8; 4]> = (0..spec.hmis).map(|i| [10, 10, 2, 11 + i as u8]).collect();
    let ews = [10, 10, 2, 11 + spec.hmis as u8];
    let ot_ports = [502, 102, 44818, 20000];
    let polling: HashSet<([u8; 4], [u8; 4])> = syns
        .iter()
        .filter(|t| hmis.contains(&t.src) && ot_ports.contains(&t.dport))
        .map(|t| (t.src, t.dst))
        .collect();
    assert_eq!(
        polling.len(),
        (spec.hmis * spec.plcs) as usize,
        "one connection per (HMI, PLC)"
    );
    let hmi_syns = syns.iter().filter(|t| hmis.contains(&t.src)).count();
    let uplinks = syns
        .iter()
        .filter(|t| hmis.contains(&t.src) && t.dst == [10, 10, 3, 10] && t.dport == 443)
        .count();
    assert_eq!(uplinks, spec.hmis as usize, "one historian uplink per HMI");
    assert_eq!(
        hmi_syns,
        polling.len() + uplinks,
        "long-lived connections are never reopened"
    );

    let ews_syns: Vec<&&Tcp> = syns.iter().filter(|t| t.src == ews).collect();
    assert!(ews_syns.len() >= 2, "engineering sessions every 20-40 s");
    assert!(ews_syns.iter().all(|t| t.dport == 102 || t.dport == 502));
    let http_syns = syns.iter().filter(|t| t.dport == 80).count();
    assert!(http_syns >= 3, "workstations browse the intranet");
    assert_eq!(syns.len(), hmi_syns + ews_syns.len() + http_syns);

    // Short-lived flows end with a FIN in each direction.
    let mut fins: HashMap<([u8; 4], u16, [u8; 4], u16), u32> = HashMap::new();
    for t in segments.iter().filter(|t| t.flags & FIN != 0) {
        *fins.entry((t.src, t.sport, t.dst, t.dport)).or_default() += 1;
    }
    for syn in syns.iter().filter(|t| t.src == ews || t.dport == 80) {
        let forward = fins.get(&(syn.src, syn.sport, syn.dst, syn.dport));
        let backward = fins.get(&(syn.dst, syn.dport, syn.src, syn.sport));
        // A session still open when the capture ends has no FIN yet.
        if forward.is_some() || backward.is_some() {
            assert_eq!((forward, backward), (Some(&1), Some(&1)));
        }
    }
    assert!(!fins.is_empty());
}

#[test]
fn target_size_stops_within_one_packet() {
    for target in [100_000u64, 1_234_567] {
        let spec = PlantSpec {
            duration_secs: None,
            target_bytes: Some(target),
            ..PlantSpec::default()
        };
        let (summary, data) = generate(&spec);
        let size = data.len() as u64;
        assert_eq!(summary.bytes_written, size);
        assert!(size <= target, "{size} exceeds {target}");
        assert!(
            target - size < 16 + 1514,
            "{size} is more than a packet short of {target}"
        );
        read_pcap(&data);
    }
}

#[test]
fn whichever_limit_comes_first_wins() {
    let by_time = PlantSpec {
        target_bytes: Some(u64::MAX),
        ..seconds(1.0)
    };
    let (summary, _) = generate(&by_time);
    assert!(summary.last_ts_us < START_US + 1_000_000);

    let by_size = PlantSpec {
        target_bytes: Some(10_000),
        ..seconds(3_600.0)
    };
    let (summary, _) = generate(&by_size);
    assert!(summary.bytes_written <= 10_000);
    assert!(summary.last_ts_us < START_US + 10_000_000);
}

#[test]
fn empty_and_tiny_plants_still_work() {
    let empty = PlantSpec {
        plcs: 0,
        hmis: 0,
        engineering_stations: 0,
        it_hosts: 0,
        ..seconds(90.0)
    };
    let (summary, data) = generate(&empty);
    let records = read_pcap(&data);
    assert!(
        !records.is_empty(),
        "infrastructure (LLDP, ARP) still talks"
    );
    assert_eq!(summary.hosts, 4);

    let zero = seconds(0.0);
    let (summary, data) = generate(&zero);
    assert_eq!((summary.packets, data.len()), (0, 24));
    assert_eq!((summary.first_ts_us, summary.last_ts_us), (0, 0));

    let one_plc_per_protocol = PlantSpec {
        plcs: 4,
        hmis: 1,
        ..seconds(5.0)
    };
    let (summary, data) = generate(&one_plc_per_protocol);
    assert_eq!(summary.packets as usize, read_pcap(&data).len());
}

#[test]
fn invalid_specs_are_rejected() {
    for spec in [
        seconds(-1.0),
        seconds(f64::NAN),
        PlantSpec {
            plcs: 100_000,
            ..PlantSpec::default()
        },
        PlantSpec {
            start_unix_secs: 1 << 40,
            ..PlantSpec::default()
        },
    ] {
        let err = write_pcap(&spec, Vec::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{spec:?}");
    }
}
