//! TLS record headers (RFC 8446 §5.1, RFC 5246 §6.2.1), handshake message headers (RFC 8446
//! §4), ClientHello/ServerHello (RFC 8446 §4.1.2–4.1.3, RFC 5246 §7.4.1.2–7.4.1.3) with the
//! server_name (RFC 6066 §3) and supported_versions (RFC 8446 §4.2.1) extensions, and the
//! TLS 1.2 Certificate message (RFC 5246 §7.4.2). Borrowed, length-checked, no indexing.

use super::types::is_grease;
use crate::Confidence;

/// Record header: content type, legacy version, length.
pub(crate) const RECORD_HEADER: usize = 5;
/// Largest record: a TLSCiphertext fragment may be 2^14 + 2048 bytes (RFC 5246 §6.2.3).
pub(crate) const MAX_RECORD: usize = (1 << 14) + 2048;

pub(crate) mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub content_type: u8,
    pub version: u16,
    pub length: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let &[h, l] = b.get(at..at.checked_add(2)?)?.first_chunk::<2>()?;
    Some(u16::from_be_bytes([h, l]))
}

fn u24_at(b: &[u8], at: usize) -> Option<usize> {
    let &[a, h, l] = b.get(at..at.checked_add(3)?)?.first_chunk::<3>()?;
    Some(usize::from(a) << 16 | usize::from(h) << 8 | usize::from(l))
}

impl Record {
    /// A plausible record header at the start of `b`: a known content type, version 3.x with
    /// x ≤ 4 (SSL 3.0 to TLS 1.3; 1.3 keeps 0x0303 on the wire) and a length within limits.
    pub(crate) fn parse(b: &[u8]) -> Option<Record> {
        let (&content_type, _) = b.split_first()?;
        let version = u16_at(b, 1)?;
        let length = usize::from(u16_at(b, 3)?);
        let plausible = (content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(&content_type)
            && (0x0300..=0x0304).contains(&version)
            && length > 0
            && length <= MAX_RECORD;
        plausible.then_some(Record {
            content_type,
            version,
            length,
        })
    }
}

/// A handshake message header: type and body length (RFC 8446 §4).
pub(crate) fn handshake_header(b: &[u8]) -> Option<(u8, usize)> {
    Some((*b.first()?, u24_at(b, 1)?))
}

/// A length-prefixed vector: `n`-byte big-endian length, then that many bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        u16_at(self.take(2)?, 0)
    }

    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }

    fn vec24(&mut self) -> Option<&'a [u8]> {
        let n = u24_at(self.take(3)?, 0)?;
        self.take(n)
    }
}

/// Extensions (type, data) of a hello: absent in old hellos (RFC 5246 §7.4.1.2).
fn extensions<'a>(r: &mut Reader<'a>) -> Option<Vec<(u16, &'a [u8])>> {
    if r.rest.is_empty() {
        return Some(Vec::new());
    }
    let mut list = Reader { rest: r.vec16()? };
    let mut out = Vec::new();
    while !list.rest.is_empty() {
        let kind = list.u16()?;
        out.push((kind, list.vec16()?));
    }
    Some(out)
}

const EXT_SERVER_NAME: u16 = 0;
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// What a ClientHello offers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClientHello<'a> {
    pub legacy_version: u16,
    /// The host_name of the server_name extension.
    pub sni: Option<&'a [u8]>,
    /// The supported_versions extension, GREASE left out; empty when absent.
    pub versions: Vec<u16>,
}

/// A ClientHello body (after the 4-byte handshake header).
pub(crate) fn client_hello(body: &[u8]) -> Option<ClientHello<'_>> {
    let mut r = Reader { rest: body };
    let legacy_version = r.u16()?;
    r.take(32)?; // random
    r.vec8()?; // legacy_session_id
    r.vec16()?; // cipher_suites
    r.vec8()?; // legacy_compression_methods
    let mut hello = ClientHello {
        legacy_version,
        sni: None,
        versions: Vec::new(),
    };
    for (kind, data) in extensions(&mut r)? {
        let mut d = Reader { rest: data };
        match kind {
            EXT_SERVER_NAME => {
                let mut names = Reader { rest: d.vec16()? };
                while !names.rest.is_empty() {
                    let name_type = names.u8()?;
                    let name = names.vec16()?;
                    // host_name(0) is the only type defined.
                    if name_type == 0 && hello.sni.is_none() {
                        hello.sni = Some(name);
                    }
                }
            }
            EXT_SUPPORTED_VERSIONS => {
                let mut list = Reader { rest: d.vec8()? };
                while let Some(v) = list.u16() {
                    if !is_grease(v) {
                        hello.versions.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    Some(hello)
}

/// What a ServerHello chose.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ServerHello {
    /// supported_versions' selected version when present, else the legacy version.
    pub version: u16,
    pub cipher_suite: u16,
}

/// A ServerHello body (after the 4-byte handshake header).
pub(crate) fn server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader { rest: body };
    let mut version = r.u16()?;
    r.take(32)?; // random
    r.vec8()?; // legacy_session_id_echo
    let cipher_suite = r.u16()?;
    r.u8()?; // legacy_compression_method
    for (kind, data) in extensions(&mut r)? {
        if kind == EXT_SUPPORTED_VERSIONS {
            version = Reader { rest: data }.u16()?;
        }
    }
    Some(ServerHello {
        version,
        cipher_suite,
    })
}

/// The first (sender's own) certificate of a TLS 1.2 Certificate body, as DER.
pub(crate) fn leaf_certificate(body: &[u8]) -> Option<Option<&[u8]>> {
    let mut r = Reader { rest: body };
    let mut list = Reader { rest: r.vec24()? };
    if list.rest.is_empty() {
        // An empty list: a client without a certificate.
        return Some(None);
    }
    Some(Some(list.vec24()?))
}

/// Recognition by the first record: a handshake record starting a ClientHello or ServerHello
/// with a plausible version is certain on any port; any other plausible record is maybe (a
/// connection seen from its middle).
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let Some(&content_type) = data.first() else {
        return Confidence::NeedMore;
    };
    if !(content::CHANGE_CIPHER_SPEC..=content::APPLICATION_DATA).contains(&content_type) {
        return Confidence::NotMine;
    }
    // Record versions in use: TLS 1.0 to 1.2 (1.3 sends 0x0301 or 0x0303).
    match (data.get(1), data.get(2)) {
        (Some(&3), Some(&(1..=4))) => {}
        (Some(&3), None) | (None, _) => return Confidence::NeedMore,
        _ => return Confidence::NotMine,
    }
    let Some(length) = u16_at(data, 3) else {
        return Confidence::NeedMore;
    };
    if length == 0 || usize::from(length) > MAX_RECORD {
        return Confidence::NotMine;
    }
    if content_type != content::HANDSHAKE {
        return Confidence::Maybe;
    }
    let fragment = data.get(RECORD_HEADER..).unwrap_or_default();
    match (fragment.first(), u24_at(fragment, 1), fragment.get(4..6)) {
        (Some(&(1 | 2)), Some(len), Some(&[3, minor])) if minor <= 4 && len >= 38 => {
            Confidence::Certain
        }
        (Some(&(1 | 2)), _, _) if fragment.len() < 6 => Confidence::NeedMore,
        (Some(&(1 | 2)), _, _) => Confidence::NotMine,
        // Other handshake messages (or an encrypted Finished) seen mid-connection.
        (Some(_), _, _) => Confidence::Maybe,
        (None, _, _) => Confidence::NeedMore,
    }
}
