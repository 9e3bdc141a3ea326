//! Ethernet II, IPv4, TCP and UDP framing with checksums.
//!
//! Frames are assembled in a caller-owned `Vec<u8>` that is cleared and
//! reused for every packet, so once the buffers have grown to the largest
//! frame the hot path allocates nothing. Checksums are always computed: a
//! capture with bad checksums would look like offload artefacts to analysts
//! and would defeat dissectors that validate them.

/// IEEE 802 MAC address.
pub type Mac = [u8; 6];
/// IPv4 address in network byte order.
pub type Ipv4 = [u8; 4];

pub const BROADCAST_MAC: Mac = [0xff; 6];
pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// IEEE 802.1AB §9.3: LLDP's registered EtherType.
pub const ETHERTYPE_LLDP: u16 = 0x88cc;
/// IEEE 802.3 minimum frame length without the FCS. Senders pad shorter
/// frames and a SPAN port shows that padding, so the generator pads too.
pub const MIN_FRAME_LEN: usize = 60;

const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPV4_HEADER_LEN: usize = 20;
const TCP_HEADER_LEN: usize = 20;
const UDP_HEADER_LEN: usize = 8;
/// RFC 791 §3.1: the "Don't Fragment" bit of the flags/fragment-offset word.
const IPV4_DONT_FRAGMENT: u16 = 0x4000;

/// TCP header flag bits (RFC 9293 §3.1).
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// Addressing of one direction of one flow, as seen on the capture segment.
///
/// The capture point is the sender's segment: for traffic between subnets
/// the destination MAC is the router's (the L2 next hop), for traffic within
/// a subnet it is the peer's. The IP identification counter lives here so
/// that consecutive packets of a flow carry consecutive IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    pub src_mac: Mac,
    pub dst_mac: Mac,
    pub src_ip: Ipv4,
    pub dst_ip: Ipv4,
    pub ttl: u8,
    pub ip_id: u16,
}

/// The fields of a TCP header that vary between segments.
#[derive(Debug, Clone, Copy)]
pub struct TcpHeader<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Already padded to a multiple of four bytes (RFC 9293 §3.1).
    pub options: &'a [u8],
}

/// Appends an Ethernet II header.
pub fn ethernet_header(buf: &mut Vec<u8>, dst: Mac, src: Mac, ethertype: u16) {
    buf.extend_from_slice(&dst);
    buf.extend_from_slice(&src);
    buf.extend_from_slice(&ethertype.to_be_bytes());
}

/// Pads a frame with zeros to the Ethernet minimum.
pub fn pad_to_minimum(buf: &mut Vec<u8>) {
    if buf.len() < MIN_FRAME_LEN {
        buf.resize(MIN_FRAME_LEN, 0);
    }
}

/// Overwrites two bytes at `at` with `value` in network byte order.
pub fn put_u16(buf: &mut [u8], at: usize, value: u16) {
    if let Some(slot) = buf.get_mut(at..at + 2) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

/// Writes a complete Ethernet/IPv4/TCP frame into `buf` (replacing its
/// contents) and advances the path's IP identification.
pub fn tcp_frame(buf: &mut Vec<u8>, path: &mut Path, tcp: &TcpHeader<'_>, payload: &[u8]) {
    buf.clear();
    ethernet_header(buf, path.dst_mac, path.src_mac, ETHERTYPE_IPV4);
    let segment_len = TCP_HEADER_LEN + tcp.options.len() + payload.len();
    // Every TCP stack the plant models sets DF (path MTU discovery, RFC 1191).
    ipv4_header(buf, path, IPPROTO_TCP, segment_len, true);
    let l4 = buf.len();
    buf.extend_from_slice(&tcp.src_port.to_be_bytes());
    buf.extend_from_slice(&tcp.dst_port.to_be_bytes());
    buf.extend_from_slice(&tcp.seq.to_be_bytes());
    buf.extend_from_slice(&tcp.ack.to_be_bytes());
    let data_offset_words = ((TCP_HEADER_LEN + tcp.options.len()) / 4) as u8;
    buf.push(data_offset_words << 4);
    buf.push(tcp.flags);
    buf.extend_from_slice(&tcp.window.to_be_bytes());
    buf.extend_from_slice(&[0, 0, 0, 0]); // checksum (patched below), urgent pointer
    buf.extend_from_slice(tcp.options);
    buf.extend_from_slice(payload);
    let checksum = transport_checksum(buf, l4, path, IPPROTO_TCP);
    put_u16(buf, l4 + 16, checksum);
    pad_to_minimum(buf);
}

/// Writes a complete Ethernet/IPv4/UDP frame into `buf` (replacing its
/// contents) and advances the path's IP identification.
pub fn udp_frame(buf: &mut Vec<u8>, path: &mut Path, src_port: u16, dst_port: u16, payload: &[u8]) {
    buf.clear();
    ethernet_header(buf, path.dst_mac, path.src_mac, ETHERTYPE_IPV4);
    let datagram_len = UDP_HEADER_LEN + payload.len();
    ipv4_header(buf, path, IPPROTO_UDP, datagram_len, false);
    let l4 = buf.len();
    buf.extend_from_slice(&src_port.to_be_bytes());
    buf.extend_from_slice(&dst_port.to_be_bytes());
    buf.extend_from_slice(&(datagram_len as u16).to_be_bytes());
    buf.extend_from_slice(&[0, 0]); // checksum, patched below
    buf.extend_from_slice(payload);
    let checksum = match transport_checksum(buf, l4, path, IPPROTO_UDP) {
        // RFC 768: a computed zero is sent as all ones (zero means "none").
        0 => 0xffff,
        sum => sum,
    };
    put_u16(buf, l4 + 6, checksum);
    pad_to_minimum(buf);
}

/// RFC 791 §3.1 header without options; the checksum covers the header only.
fn ipv4_header(buf: &mut Vec<u8>, path: &mut Path, protocol: u8, payload_len: usize, df: bool) {
    let start = buf.len();
    let total_len = (IPV4_HEADER_LEN + payload_len) as u16;
    let flags = if df { IPV4_DONT_FRAGMENT } else { 0 };
    buf.extend_from_slice(&[0x45, 0x00]); // version 4, IHL 5; DSCP/ECN 0
    buf.extend_from_slice(&total_len.to_be_bytes());
    buf.extend_from_slice(&path.ip_id.to_be_bytes());
    buf.extend_from_slice(&flags.to_be_bytes());
    buf.extend_from_slice(&[path.ttl, protocol, 0, 0]);
    buf.extend_from_slice(&path.src_ip);
    buf.extend_from_slice(&path.dst_ip);
    path.ip_id = path.ip_id.wrapping_add(1);
    let checksum = internet_checksum(buf.get(start..).unwrap_or_default());
    put_u16(buf, start + 10, checksum);
}

/// TCP/UDP checksum over the RFC 9293 §3.1 / RFC 768 pseudo-header and the
/// transport segment starting at `l4`.
fn transport_checksum(buf: &[u8], l4: usize, path: &Path, protocol: u8) -> u16 {
    let segment = buf.get(l4..).unwrap_or_default();
    let mut acc = ones_complement_sum(&path.src_ip, 0);
    acc = ones_complement_sum(&path.dst_ip, acc);
    acc += u64::from(protocol) + segment.len() as u64;
    !fold(ones_complement_sum(segment, acc))
}

/// RFC 1071 Internet checksum of `data`.
pub fn internet_checksum(data: &[u8]) -> u16 {
    !fold(ones_complement_sum(data, 0))
}

/// Adds `data` to a one's-complement accumulator.
///
/// Summing 32-bit big-endian words is equivalent to summing 16-bit ones
/// because 2^16 ≡ 1 (mod 2^16 − 1) (RFC 1071 §2(B)), and halves the loop
/// count. `data` must start at an even offset of the checksummed region.
fn ones_complement_sum(data: &[u8], mut acc: u64) -> u64 {
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        if let &[a, b, c, d] = word {
            acc += u64::from(u32::from_be_bytes([a, b, c, d]));
        }
    }
    match *words.remainder() {
        [a] => acc += u64::from(a) << 8,
        [a, b] => acc += u64::from(u16::from_be_bytes([a, b])),
        [a, b, c] => acc += u64::from(u16::from_be_bytes([a, b])) + (u64::from(c) << 8),
        _ => {}
    }
    acc
}

fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const ETH_HEADER_LEN: usize = 14;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    fn path() -> Path {
        Path {
            src_mac: [0x00, 0x14, 0x22, 0x01, 0x02, 0x03],
            dst_mac: [0x00, 0x1e, 0xbd, 0x0a, 0x0b, 0x0c],
            src_ip: [192, 168, 0, 1],
            dst_ip: [192, 168, 0, 199],
            ttl: 64,
            ip_id: 0x1234,
        }
    }

    #[test]
    fn classic_ipv4_header_checksum() {
        // The worked example used by RFC 1071 tutorials: checksum 0xb861.
        let header = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
        assert_eq!(internet_checksum(&header), 0xb861);
        let mut with_sum = header.clone();
        put_u16(&mut with_sum, 10, 0xb861);
        assert_eq!(internet_checksum(&with_sum), 0);
    }

    #[test]
    fn odd_lengths_pad_with_zero() {
        assert_eq!(internet_checksum(&[0x01]), !0x0100);
        assert_eq!(internet_checksum(&[0x01, 0x02, 0x03]), !(0x0102 + 0x0300));
        assert_eq!(
            internet_checksum(&[0x01, 0x02, 0x03, 0x04, 0x05]),
            !(0x0102 + 0x0304 + 0x0500)
        );
    }

    /// Re-verifies a frame's IPv4 and transport checksums the way a
    /// receiver does: summing including the checksum field must give zero.
    pub(crate) fn verify_checksums(frame: &[u8]) {
        let ip = &frame[ETH_HEADER_LEN..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        assert_eq!(internet_checksum(&ip[..ihl]), 0, "IPv4 header checksum");
        let l4 = &ip[ihl..total];
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&ip[12..20]);
        pseudo.extend_from_slice(&[0, ip[9]]);
        pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(l4);
        assert_eq!(internet_checksum(&pseudo), 0, "transport checksum");
    }

    #[test]
    fn tcp_frame_layout_and_checksums() {
        let mut p = path();
        let mut buf = Vec::new();
        let options = [0x02, 0x04, 0x05, 0xb4];
        let header = TcpHeader {
            src_port: 50_000,
            dst_port: 502,
            seq: 1,
            ack: 0,
            flags: tcp_flags::SYN,
            window: 64_240,
            options: &options,
        };
        tcp_frame(&mut buf, &mut p, &header, &[]);
        assert_eq!(buf.len(), MIN_FRAME_LEN, "58 bytes, padded");
        assert_eq!(&buf[0..6], &p.dst_mac);
        assert_eq!(&buf[6..12], &p.src_mac);
        assert_eq!(&buf[12..14], &[0x08, 0x00]);
        assert_eq!(&buf[14..16], &[0x45, 0x00]);
        assert_eq!(&buf[16..18], &44u16.to_be_bytes());
        assert_eq!(&buf[18..20], &0x1234u16.to_be_bytes());
        assert_eq!(&buf[20..22], &[0x40, 0x00]);
        assert_eq!(buf[22], 64);
        assert_eq!(buf[23], 6);
        assert_eq!(buf[46], 0x60); // data offset 6 words
        assert_eq!(buf[47], tcp_flags::SYN);
        assert_eq!(p.ip_id, 0x1235);
        verify_checksums(&buf);

        tcp_frame(
            &mut buf,
            &mut p,
            &TcpHeader {
                options: &[],
                ..header
            },
            b"hello world",
        );
        assert_eq!(buf.len(), 14 + 20 + 20 + 11);
        verify_checksums(&buf);
    }

    #[test]
    fn short_frames_are_padded() {
        let mut p = path();
        let mut buf = Vec::new();
        let header = TcpHeader {
            src_port: 1,
            dst_port: 2,
            seq: 3,
            ack: 4,
            flags: tcp_flags::ACK,
            window: 5,
            options: &[],
        };
        tcp_frame(&mut buf, &mut p, &header, &[]);
        assert_eq!(buf.len(), MIN_FRAME_LEN);
        assert!(buf[54..].iter().all(|&b| b == 0));
        verify_checksums(&buf);
    }

    #[test]
    fn udp_frame_layout_and_checksums() {
        let mut p = path();
        let mut buf = Vec::new();
        udp_frame(
            &mut buf,
            &mut p,
            53_000,
            53,
            &[
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
            ],
        );
        assert_eq!(buf.len(), 14 + 20 + 8 + 19);
        assert_eq!(&buf[20..22], &[0x00, 0x00]); // no DF on UDP
        assert_eq!(buf[23], 17);
        assert_eq!(&buf[38..40], &27u16.to_be_bytes());
        verify_checksums(&buf);
    }
}
