//! IT and infrastructure protocols: DNS, HTTP/1.1, NTP, ARP and LLDP.
//!
//! These give the capture the background a real plant network has, and
//! the IT/OT boundary that zone and conduit analysis has to recognise.

use super::{push_decimal, push_two_digits};
use crate::frame::{
    ethernet_header, pad_to_minimum, Ipv4, Mac, BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4,
    ETHERTYPE_LLDP,
};

pub const DNS_PORT: u16 = 53;
pub const HTTP_PORT: u16 = 80;
pub const NTP_PORT: u16 = 123;
pub const HTTPS_PORT: u16 = 443;

// ---------------------------------------------------------------- DNS

/// RFC 1035 §4.1.1 header flags.
const DNS_QUERY_RD: u16 = 0x0100;
const DNS_RESPONSE: u16 = 0x8000;
const DNS_AUTHORITATIVE: u16 = 0x0400;
const DNS_RECURSION_AVAILABLE: u16 = 0x0080;
const DNS_RCODE_NXDOMAIN: u16 = 0x0003;
const DNS_TYPE_A: u16 = 1;
const DNS_CLASS_IN: u16 = 1;
/// Compression pointer to the question name at offset 12 (RFC 1035 §4.1.4).
const DNS_NAME_POINTER: [u8; 2] = [0xc0, 0x0c];

fn push_u16(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_be_bytes());
}

/// Domain name as length-prefixed labels ending in the root label.
fn push_dns_name(buf: &mut Vec<u8>, name: &str) {
    for label in name.split('.').filter(|label| !label.is_empty()) {
        let bytes = label.as_bytes();
        let bytes = bytes.get(..bytes.len().min(63)).unwrap_or_default();
        buf.push(bytes.len() as u8);
        buf.extend_from_slice(bytes);
    }
    buf.push(0);
}

fn dns_question(buf: &mut Vec<u8>, name: &str) {
    push_dns_name(buf, name);
    push_u16(buf, DNS_TYPE_A);
    push_u16(buf, DNS_CLASS_IN);
}

/// Recursive A query for `name` (RFC 1035 §4.1).
pub fn dns_query(buf: &mut Vec<u8>, id: u16, name: &str) {
    push_u16(buf, id);
    push_u16(buf, DNS_QUERY_RD);
    buf.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1, AN=NS=AR=0
    dns_question(buf, name);
}

/// Answer to [`dns_query`]: one A record, or NXDOMAIN when `address` is
/// `None`. `authoritative` marks names of the plant's own zone.
pub fn dns_response(
    buf: &mut Vec<u8>,
    id: u16,
    name: &str,
    address: Option<Ipv4>,
    authoritative: bool,
    ttl: u32,
) {
    let mut flags = DNS_RESPONSE | DNS_QUERY_RD | DNS_RECURSION_AVAILABLE;
    if authoritative {
        flags |= DNS_AUTHORITATIVE;
    }
    if address.is_none() {
        flags |= DNS_RCODE_NXDOMAIN;
    }
    push_u16(buf, id);
    push_u16(buf, flags);
    push_u16(buf, 1);
    push_u16(buf, u16::from(address.is_some()));
    buf.extend_from_slice(&[0, 0, 0, 0]);
    dns_question(buf, name);
    if let Some(ip) = address {
        buf.extend_from_slice(&DNS_NAME_POINTER);
        push_u16(buf, DNS_TYPE_A);
        push_u16(buf, DNS_CLASS_IN);
        buf.extend_from_slice(&ttl.to_be_bytes());
        push_u16(buf, 4);
        buf.extend_from_slice(&ip);
    }
}

// ---------------------------------------------------------------- HTTP

/// User-Agent of the office workstations (Edge on Windows 10/11).
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

/// HTTP/1.1 GET (RFC 9112 §3) with the headers a browser sends.
pub fn http_get(buf: &mut Vec<u8>, host: &str, path: &str) {
    buf.extend_from_slice(b"GET ");
    buf.extend_from_slice(path.as_bytes());
    buf.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    buf.extend_from_slice(host.as_bytes());
    buf.extend_from_slice(b"\r\nUser-Agent: ");
    buf.extend_from_slice(USER_AGENT.as_bytes());
    buf.extend_from_slice(
        b"\r\nAccept: text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8\
          \r\nAccept-Encoding: identity\r\nAccept-Language: en-US,en;q=0.9\
          \r\nConnection: close\r\n\r\n",
    );
}

/// `200 OK` response head and body; the server closes the connection
/// afterwards, as the request asked.
pub fn http_ok(buf: &mut Vec<u8>, server: &str, content_type: &str, unix_secs: u64, body: &[u8]) {
    buf.extend_from_slice(b"HTTP/1.1 200 OK\r\nServer: ");
    buf.extend_from_slice(server.as_bytes());
    buf.extend_from_slice(b"\r\nDate: ");
    push_http_date(buf, unix_secs);
    buf.extend_from_slice(b"\r\nContent-Type: ");
    buf.extend_from_slice(content_type.as_bytes());
    buf.extend_from_slice(b"\r\nContent-Length: ");
    push_decimal(buf, body.len() as u64);
    buf.extend_from_slice(b"\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
    buf.extend_from_slice(body);
}

/// IMF-fixdate (RFC 9110 §5.6.7), e.g. `Thu, 01 Jan 2026 00:00:00 GMT`.
pub fn push_http_date(buf: &mut Vec<u8>, unix_secs: u64) {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    buf.extend_from_slice(DAYS.get((days % 7) as usize).copied().unwrap_or(b"Thu"));
    buf.extend_from_slice(b", ");
    push_two_digits(buf, day);
    buf.push(b' ');
    let month_name = MONTHS.get((month - 1) as usize).copied().unwrap_or(b"Jan");
    buf.extend_from_slice(month_name);
    buf.push(b' ');
    push_decimal(buf, year);
    buf.push(b' ');
    push_two_digits(buf, secs_of_day / 3_600);
    buf.push(b':');
    push_two_digits(buf, secs_of_day / 60 % 60);
    buf.push(b':');
    push_two_digits(buf, secs_of_day % 60);
    buf.extend_from_slice(b" GMT");
}

/// Proleptic Gregorian (year, month 1–12, day 1–31) of a day count since
/// 1970-01-01, by Howard Hinnant's `civil_from_days` algorithm.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// An intranet page of about `target_len` bytes: a shift report table.
pub fn html_page(buf: &mut Vec<u8>, title: &str, target_len: usize, values: impl Fn(u64) -> u64) {
    buf.extend_from_slice(
        b"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>",
    );
    buf.extend_from_slice(title.as_bytes());
    buf.extend_from_slice(
        b"</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head>\n<body>\n<h1>",
    );
    buf.extend_from_slice(title.as_bytes());
    buf.extend_from_slice(b"</h1>\n<table>\n<tr><th>Unit</th><th>Value</th></tr>\n");
    const FOOTER: &[u8] = b"</table>\n<footer>Plant intranet</footer>\n</body>\n</html>\n";
    let mut row = 0u64;
    while buf.len() + 48 + FOOTER.len() <= target_len {
        buf.extend_from_slice(b"<tr><td>Unit ");
        push_decimal(buf, row + 100);
        buf.extend_from_slice(b"</td><td>");
        push_decimal(buf, values(row));
        buf.extend_from_slice(b"</td></tr>\n");
        row += 1;
    }
    buf.extend_from_slice(FOOTER);
}

/// A historian REST answer of about `target_len` bytes.
pub fn json_points(
    buf: &mut Vec<u8>,
    target_len: usize,
    unix_secs: u64,
    values: impl Fn(u64) -> u64,
) {
    buf.extend_from_slice(b"{\"points\":[");
    let mut point = 0u64;
    while point == 0 || buf.len() + 64 <= target_len {
        if point > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"tag\":\"FIC-");
        push_decimal(buf, 101 + point);
        buf.extend_from_slice(b".PV\",\"value\":");
        push_decimal(buf, values(point));
        buf.extend_from_slice(b",\"quality\":\"good\",\"ts\":");
        push_decimal(buf, unix_secs);
        buf.push(b'}');
        point += 1;
    }
    buf.extend_from_slice(b"]}\n");
}

// ---------------------------------------------------------------- TLS

/// TLS record content types (RFC 8446 §5.1).
const TLS_CHANGE_CIPHER_SPEC: u8 = 20;
const TLS_HANDSHAKE: u8 = 22;
const TLS_APPLICATION_DATA: u8 = 23;
const TLS_CLIENT_HELLO: u8 = 1;
const TLS_SERVER_HELLO: u8 = 2;
/// x25519 (RFC 8446 §4.2.7), the group every modern client offers first.
const GROUP_X25519: u16 = 0x001d;
const GROUP_SECP256R1: u16 = 0x0017;
/// TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256,
/// TLS_CHACHA20_POLY1305_SHA256, then two TLS 1.2 ECDHE-RSA-GCM suites.
const CLIENT_CIPHER_SUITES: [u16; 5] = [0x1302, 0x1301, 0x1303, 0xc030, 0xc02f];
const NEGOTIATED_SUITE: u16 = 0x1302;
/// ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256,
/// ecdsa_secp384r1_sha384, rsa_pss_rsae_sha384, rsa_pkcs1_sha384.
const SIGNATURE_ALGORITHMS: [u16; 6] = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501];

/// Random values of one handshake, drawn by the caller.
#[derive(Debug, Clone, Copy)]
pub struct TlsRandoms {
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    /// Legacy session ID of middlebox compatibility mode (RFC 8446 §D.4).
    pub session_id: [u8; 32],
    pub client_share: [u8; 32],
    pub server_share: [u8; 32],
}

/// Starts a record and a handshake message; returns their offsets.
fn begin_handshake(buf: &mut Vec<u8>, record_version: u16, msg_type: u8) -> (usize, usize) {
    let record = buf.len();
    buf.push(TLS_HANDSHAKE);
    push_u16(buf, record_version);
    push_u16(buf, 0);
    let message = buf.len();
    buf.extend_from_slice(&[msg_type, 0, 0, 0]);
    (record, message)
}

fn finish_handshake(buf: &mut [u8], (record, message): (usize, usize)) {
    let record_len = buf.len().saturating_sub(record + 5) as u16;
    crate::frame::put_u16(buf, record + 3, record_len);
    let message_len = buf.len().saturating_sub(message + 4) as u32;
    if let Some(slot) = buf.get_mut(message + 1..message + 4) {
        slot.copy_from_slice(message_len.to_be_bytes().get(1..).unwrap_or_default());
    }
}

/// Appends an extension whose body `body` writes; patches its length.
fn tls_extension(buf: &mut Vec<u8>, extension: u16, body: impl FnOnce(&mut Vec<u8>)) {
    push_u16(buf, extension);
    let at = buf.len();
    push_u16(buf, 0);
    body(buf);
    let len = buf.len().saturating_sub(at + 2) as u16;
    crate::frame::put_u16(buf, at, len);
}

/// TLS 1.3 ClientHello (RFC 8446 §4.1.2) with the extensions a current
/// client sends: SNI, groups, signature algorithms, supported versions,
/// PSK modes and an x25519 key share.
pub fn tls_client_hello(buf: &mut Vec<u8>, randoms: &TlsRandoms, server_name: &str) {
    // The record layer says TLS 1.0 for compatibility (§5.1).
    let offsets = begin_handshake(buf, 0x0301, TLS_CLIENT_HELLO);
    push_u16(buf, 0x0303);
    buf.extend_from_slice(&randoms.client_random);
    buf.push(32);
    buf.extend_from_slice(&randoms.session_id);
    push_u16(buf, 2 * CLIENT_CIPHER_SUITES.len() as u16);
    for suite in CLIENT_CIPHER_SUITES {
        push_u16(buf, suite);
    }
    buf.extend_from_slice(&[1, 0]); // compression: null only
    let extensions = buf.len();
    push_u16(buf, 0);
    let name = server_name.as_bytes();
    let name = name.get(..name.len().min(253)).unwrap_or_default();
    tls_extension(buf, 0x0000, |b| {
        push_u16(b, name.len() as u16 + 3);
        b.push(0); // host_name
        push_u16(b, name.len() as u16);
        b.extend_from_slice(name);
    });
    tls_extension(buf, 0x000a, |b| {
        push_u16(b, 4);
        push_u16(b, GROUP_X25519);
        push_u16(b, GROUP_SECP256R1);
    });
    tls_extension(buf, 0x000d, |b| {
        push_u16(b, 2 * SIGNATURE_ALGORITHMS.len() as u16);
        for algorithm in SIGNATURE_ALGORITHMS {
            push_u16(b, algorithm);
        }
    });
    tls_extension(buf, 0x002b, |b| {
        b.extend_from_slice(&[4, 0x03, 0x04, 0x03, 0x03])
    });
    tls_extension(buf, 0x002d, |b| b.extend_from_slice(&[1, 1])); // psk_dhe_ke
    tls_extension(buf, 0x0033, |b| {
        push_u16(b, 36);
        push_u16(b, GROUP_X25519);
        push_u16(b, 32);
        b.extend_from_slice(&randoms.client_share);
    });
    let extensions_len = buf.len().saturating_sub(extensions + 2) as u16;
    crate::frame::put_u16(buf, extensions, extensions_len);
    finish_handshake(buf, offsets);
}

/// TLS 1.3 ServerHello (RFC 8446 §4.1.3) followed by the compatibility
/// ChangeCipherSpec; everything after it is encrypted.
pub fn tls_server_hello(buf: &mut Vec<u8>, randoms: &TlsRandoms) {
    let offsets = begin_handshake(buf, 0x0303, TLS_SERVER_HELLO);
    push_u16(buf, 0x0303);
    buf.extend_from_slice(&randoms.server_random);
    buf.push(32);
    buf.extend_from_slice(&randoms.session_id);
    push_u16(buf, NEGOTIATED_SUITE);
    buf.push(0);
    let extensions = buf.len();
    push_u16(buf, 0);
    tls_extension(buf, 0x002b, |b| push_u16(b, 0x0304));
    tls_extension(buf, 0x0033, |b| {
        push_u16(b, GROUP_X25519);
        push_u16(b, 32);
        b.extend_from_slice(&randoms.server_share);
    });
    let extensions_len = buf.len().saturating_sub(extensions + 2) as u16;
    crate::frame::put_u16(buf, extensions, extensions_len);
    finish_handshake(buf, offsets);
    tls_change_cipher_spec(buf);
}

/// The middlebox-compatibility ChangeCipherSpec record (RFC 8446 §D.4).
pub fn tls_change_cipher_spec(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&[TLS_CHANGE_CIPHER_SPEC, 0x03, 0x03, 0x00, 0x01, 0x01]);
}

/// An encrypted record: outer type application_data, `ciphertext` as the
/// (opaque) payload (RFC 8446 §5.2).
pub fn tls_application_data(buf: &mut Vec<u8>, ciphertext: &[u8]) {
    let ciphertext = ciphertext
        .get(..ciphertext.len().min(16_640))
        .unwrap_or_default();
    buf.push(TLS_APPLICATION_DATA);
    push_u16(buf, 0x0303);
    push_u16(buf, ciphertext.len() as u16);
    buf.extend_from_slice(ciphertext);
}

// ---------------------------------------------------------------- NTP

/// Seconds from the NTP era 0 epoch (1900) to the Unix epoch (RFC 5905 §6).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// 64-bit NTP timestamp (RFC 5905 §6): seconds since 1900 (era 0, so
/// modulo 2^32) and a binary fraction.
pub fn ntp_timestamp(unix_us: u64) -> u64 {
    let seconds = (unix_us / 1_000_000 + NTP_UNIX_OFFSET) & 0xffff_ffff;
    let fraction = ((unix_us % 1_000_000) << 32) / 1_000_000;
    (seconds << 32) | fraction
}

/// Client request (mode 3, version 4, RFC 5905 §7.3): only the transmit
/// timestamp is set.
pub fn ntp_request(buf: &mut Vec<u8>, transmit: u64) {
    // LI 0, VN 4, mode 3; stratum 0; poll 2^6 = 64 s; precision 2^-23.
    buf.extend_from_slice(&[0x23, 0x00, 0x06, 0xe9]);
    buf.extend_from_slice(&[0; 36]); // root delay/dispersion, refid, 3 timestamps
    buf.extend_from_slice(&transmit.to_be_bytes());
}

/// Server reply (mode 4): stratum 3 synchronised to `reference_id`, the
/// client's transmit time echoed as originate timestamp.
pub fn ntp_response(
    buf: &mut Vec<u8>,
    originate: u64,
    receive: u64,
    transmit: u64,
    reference_id: Ipv4,
) {
    buf.extend_from_slice(&[0x24, 0x03, 0x06, 0xe9]);
    buf.extend_from_slice(&0x0000_0a3du32.to_be_bytes()); // root delay ≈ 40 ms
    buf.extend_from_slice(&0x0000_0b12u32.to_be_bytes()); // root dispersion ≈ 43 ms
    buf.extend_from_slice(&reference_id);
    // Reference time: last update from upstream, up to a few minutes ago.
    let reference = transmit.saturating_sub(((transmit >> 32) & 0xff) << 32);
    buf.extend_from_slice(&reference.to_be_bytes());
    buf.extend_from_slice(&originate.to_be_bytes());
    buf.extend_from_slice(&receive.to_be_bytes());
    buf.extend_from_slice(&transmit.to_be_bytes());
}

// ---------------------------------------------------------------- ARP

/// A station's hardware and protocol address, as ARP pairs them.
pub type LinkAddress = (Mac, Ipv4);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArpOp {
    Request,
    Reply,
}

/// ARP for IPv4 over Ethernet (RFC 826): requests are broadcast with an
/// unknown target hardware address, replies are unicast to the asker.
pub fn arp_frame(buf: &mut Vec<u8>, op: ArpOp, sender: LinkAddress, target: LinkAddress) {
    buf.clear();
    let (eth_dst, target_mac, code) = match op {
        ArpOp::Request => (BROADCAST_MAC, [0u8; 6], 1u16),
        ArpOp::Reply => (target.0, target.0, 2u16),
    };
    ethernet_header(buf, eth_dst, sender.0, ETHERTYPE_ARP);
    push_u16(buf, 1); // hardware type Ethernet
    push_u16(buf, ETHERTYPE_IPV4);
    buf.extend_from_slice(&[6, 4]);
    push_u16(buf, code);
    buf.extend_from_slice(&sender.0);
    buf.extend_from_slice(&sender.1);
    buf.extend_from_slice(&target_mac);
    buf.extend_from_slice(&target.1);
    pad_to_minimum(buf);
}

// ---------------------------------------------------------------- LLDP

/// Nearest-bridge group address (IEEE 802.1AB §7.1).
const LLDP_MULTICAST: Mac = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];

/// What the router advertises on one of its ports.
#[derive(Debug, Clone, Copy)]
pub struct LldpAdvert<'a> {
    pub chassis: Mac,
    pub port_id: &'a str,
    pub port_description: &'a str,
    pub system_name: &'a str,
    pub system_description: &'a str,
    pub management_ip: Ipv4,
    pub if_index: u32,
}

/// TLV header: 7-bit type, 9-bit length (IEEE 802.1AB §8.4).
fn lldp_tlv(buf: &mut Vec<u8>, tlv_type: u8, value: &[&[u8]]) {
    let len: usize = value.iter().map(|part| part.len()).sum();
    let header = (u16::from(tlv_type) << 9) | (len.min(511) as u16);
    push_u16(buf, header);
    for part in value {
        buf.extend_from_slice(part);
    }
}

/// One LLDPDU with the mandatory TLVs (chassis ID as MAC, port ID as
/// interface name, TTL 120 s) and the optional ones switches send by
/// default: port and system description, name, capabilities, management
/// address.
pub fn lldp_frame(buf: &mut Vec<u8>, advert: &LldpAdvert<'_>) {
    buf.clear();
    ethernet_header(buf, LLDP_MULTICAST, advert.chassis, ETHERTYPE_LLDP);
    lldp_tlv(buf, 1, &[&[4], &advert.chassis]); // subtype 4: MAC address
    lldp_tlv(buf, 2, &[&[5], advert.port_id.as_bytes()]); // subtype 5: interface name
    lldp_tlv(buf, 3, &[&120u16.to_be_bytes()]);
    lldp_tlv(buf, 4, &[advert.port_description.as_bytes()]);
    lldp_tlv(buf, 5, &[advert.system_name.as_bytes()]);
    lldp_tlv(buf, 6, &[advert.system_description.as_bytes()]);
    // Capabilities: bridge (0x0004) and router (0x0010); routing enabled.
    lldp_tlv(
        buf,
        7,
        &[&0x0014u16.to_be_bytes(), &0x0010u16.to_be_bytes()],
    );
    // Management address: length 5, IPv4 (1), address; ifIndex numbering.
    lldp_tlv(
        buf,
        8,
        &[
            &[5, 1],
            &advert.management_ip,
            &[2],
            &advert.if_index.to_be_bytes(),
            &[0],
        ],
    );
    lldp_tlv(buf, 0, &[]);
    pad_to_minimum(buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::hex;

    #[test]
    fn dns_query_layout() {
        let mut buf = Vec::new();
        dns_query(&mut buf, 0xbeef, "historian.plant.local");
        let mut expected = hex("beef 0100 0001 0000 0000 0000");
        expected.extend_from_slice(b"\x09historian\x05plant\x05local\x00\x00\x01\x00\x01");
        assert_eq!(buf, expected);
    }

    #[test]
    fn dns_answer_layout() {
        let mut buf = Vec::new();
        dns_response(&mut buf, 1, "a.example", Some([10, 10, 3, 10]), true, 3600);
        let mut expected = hex("0001 8580 0001 0001 0000 0000");
        expected.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
        expected.extend_from_slice(&hex("c00c 0001 0001 00000e10 0004 0a0a030a"));
        assert_eq!(buf, expected);

        buf.clear();
        dns_response(&mut buf, 2, "wpad.plant.local", None, true, 0);
        assert_eq!(&buf[..12], &hex("0002 8583 0001 0000 0000 0000")[..]);
    }

    #[test]
    fn http_date_formatting() {
        let mut buf = Vec::new();
        push_http_date(&mut buf, 1_767_225_600);
        assert_eq!(buf, b"Thu, 01 Jan 2026 00:00:00 GMT");
        buf.clear();
        push_http_date(&mut buf, 951_827_696); // leap day
        assert_eq!(buf, b"Tue, 29 Feb 2000 12:34:56 GMT");
        buf.clear();
        push_http_date(&mut buf, 0);
        assert_eq!(buf, b"Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn http_response_content_length_matches_body() {
        let mut body = Vec::new();
        html_page(&mut body, "Shift report", 1200, |n| n * 7);
        assert!(body.len() <= 1200 && body.len() > 1100, "{}", body.len());
        let mut buf = Vec::new();
        http_ok(
            &mut buf,
            "nginx/1.24.0",
            "text/html; charset=utf-8",
            0,
            &body,
        );
        let text = String::from_utf8(buf).unwrap();
        let (head, rest) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert_eq!(rest.as_bytes(), &body[..]);

        let mut json = Vec::new();
        json_points(&mut json, 500, 1_767_225_600, |n| n);
        assert!(json.len() <= 500);
        assert!(json.ends_with(b"]}\n"));
    }

    #[test]
    fn tls_hello_lengths_are_consistent() {
        let randoms = TlsRandoms {
            client_random: [1; 32],
            server_random: [2; 32],
            session_id: [3; 32],
            client_share: [4; 32],
            server_share: [5; 32],
        };
        let mut hello = Vec::new();
        tls_client_hello(&mut hello, &randoms, "historian.plant.local");
        assert_eq!(&hello[..3], &hex("16 0301")[..]);
        assert_eq!(
            usize::from(u16::from_be_bytes([hello[3], hello[4]])),
            hello.len() - 5
        );
        assert_eq!(hello[5], TLS_CLIENT_HELLO);
        let body = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
        assert_eq!(body, hello.len() - 9);
        // version, random, session id, 5 suites, compression
        let ext_at = 9 + 2 + 32 + 33 + 12 + 2;
        let ext_len = usize::from(u16::from_be_bytes([hello[ext_at], hello[ext_at + 1]]));
        assert_eq!(ext_len, hello.len() - ext_at - 2);
        assert_eq!(
            &hello[ext_at + 2..ext_at + 11],
            &hex("0000 001a 0018 00 0015")[..]
        );

        let mut flight = Vec::new();
        tls_server_hello(&mut flight, &randoms);
        let record_len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
        assert_eq!(&flight[5 + record_len..], &hex("14 0303 0001 01")[..]);
        let end = 5 + record_len;
        assert_eq!(&flight[end - 46..end - 38], &hex("002b 0002 0304 0033")[..]);

        let mut record = Vec::new();
        tls_application_data(&mut record, &[9; 20]);
        assert_eq!(&record[..5], &hex("17 0303 0014")[..]);
    }

    #[test]
    fn ntp_timestamps() {
        assert_eq!(ntp_timestamp(0), NTP_UNIX_OFFSET << 32);
        assert_eq!(ntp_timestamp(500_000) & 0xffff_ffff, 0x8000_0000);
        let mut buf = Vec::new();
        ntp_request(&mut buf, 0x0102_0304_0506_0708);
        assert_eq!(buf.len(), 48);
        assert_eq!(&buf[40..], &hex("0102030405060708")[..]);
        buf.clear();
        ntp_response(&mut buf, 1, 2, 3 << 32, [192, 0, 2, 1]);
        assert_eq!(buf.len(), 48);
        assert_eq!(buf[0], 0x24);
        assert_eq!(&buf[24..32], &1u64.to_be_bytes());
    }

    #[test]
    fn arp_layout() {
        let mut buf = Vec::new();
        let a = ([0, 0x1b, 0x1b, 1, 2, 3], [10, 10, 1, 11]);
        let b = ([0, 0x1e, 0xbd, 4, 5, 6], [10, 10, 1, 1]);
        arp_frame(&mut buf, ArpOp::Request, a, b);
        assert_eq!(buf.len(), 60);
        assert_eq!(&buf[..6], &BROADCAST_MAC);
        assert_eq!(
            &buf[12..42],
            &hex("0806 0001 0800 06 04 0001 001b1b010203 0a0a010b 000000000000 0a0a0101")[..]
        );
        arp_frame(&mut buf, ArpOp::Reply, b, a);
        assert_eq!(&buf[..6], &a.0);
        assert_eq!(&buf[20..22], &[0, 2]);
        assert_eq!(&buf[32..38], &a.0);
    }

    #[test]
    fn lldp_layout() {
        let mut buf = Vec::new();
        let advert = LldpAdvert {
            chassis: [0x00, 0x1e, 0xbd, 1, 2, 3],
            port_id: "Gi1/1",
            port_description: "L1",
            system_name: "rtr",
            system_description: "d",
            management_ip: [10, 10, 1, 1],
            if_index: 1,
        };
        lldp_frame(&mut buf, &advert);
        assert_eq!(&buf[12..14], &[0x88, 0xcc]);
        assert_eq!(&buf[14..23], &hex("0207 04 001ebd010203")[..]);
        assert_eq!(&buf[23..31], &hex("0406 05 476931 2f31")[..]);
        assert_eq!(&buf[31..35], &hex("0602 0078")[..]);
        assert!(buf.ends_with(&[0x00, 0x00]));
    }
}
