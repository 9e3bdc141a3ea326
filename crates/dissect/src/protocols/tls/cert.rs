//! Identity facts from an X.509 certificate (RFC 5280 §4.1), parsed with `x509-parser`:
//! distinguished names as RFC 4514 strings, validity as RFC 3339 UTC, the key's type and size,
//! the signature algorithm, and whether the certificate is self-signed.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Facts about the certificate's subject (field, value), or why it does not parse.
pub(crate) fn facts(der: &[u8]) -> Result<Vec<(&'static str, String)>, String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
    let tbs = &cert.tbs_certificate;
    let validity = tbs.validity();
    Ok(vec![
        ("tls_cert_subject", rfc4514(tbs.subject())),
        ("tls_cert_issuer", rfc4514(tbs.issuer())),
        (
            "tls_cert_not_before",
            rfc3339(validity.not_before.timestamp()),
        ),
        (
            "tls_cert_not_after",
            rfc3339(validity.not_after.timestamp()),
        ),
        ("tls_cert_key", key(&cert)),
        ("tls_cert_self_signed", self_signed(&cert).to_string()),
        (
            "tls_cert_signature",
            signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
        ),
    ])
}

/// Self-signed: issuer and subject are the same name (RFC 5280 §3.2, §6.1), and where both key
/// identifiers are present (§4.2.1.1, §4.2.1.2) they agree. The signature is not verified: a
/// passive observer only reports what the certificate claims.
fn self_signed(cert: &X509Certificate<'_>) -> bool {
    let tbs = &cert.tbs_certificate;
    if tbs.subject().as_raw() != tbs.issuer().as_raw() {
        return false;
    }
    let mut authority = None;
    let mut subject = None;
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority = aki.key_identifier.as_ref().map(|k| k.0);
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => subject = Some(ski.0),
            _ => {}
        }
    }
    match (authority, subject) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

/// RFC 4514 §2: RDNs last to first, separated by `,`; multi-valued RDNs joined by `+`.
pub(crate) fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| rdn.iter().map(attribute).collect::<Vec<_>>().join("+"))
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// RFC 4514 §2.3–2.4: the registered short name and the escaped string value; otherwise the
/// dotted OID and `#` with the hex of the value's BER encoding.
fn attribute(atv: &AttributeTypeAndValue<'_>) -> String {
    let oid = atv.attr_type().to_id_string();
    let value = atv.attr_value();
    match (short_name(&oid), string_value(value)) {
        (Some(name), Some(text)) => format!("{name}={}", escape(&text)),
        (Some(name), None) => format!("{name}=#{}", hex(&ber(value))),
        (None, _) => format!("{oid}=#{}", hex(&ber(value))),
    }
}

/// Short names of RFC 4514 §3 and other descriptors registered for LDAP (RFC 4519, PKCS #9).
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.12" => "title",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

/// The text of a directory string (X.520): UTF8String, PrintableString, IA5String,
/// NumericString, VisibleString, TeletexString (read as Latin-1, as in practice),
/// BMPString (UTF-16BE) or UniversalString (UTF-32BE).
fn string_value(any: &x509_parser::der_parser::asn1_rs::Any<'_>) -> Option<String> {
    if any.header.class() as u8 != 0 || any.header.is_constructed() {
        return None;
    }
    let data = any.data;
    match any.tag().0 {
        12 | 18 | 19 | 22 | 26 => std::str::from_utf8(data).ok().map(str::to_string),
        20 => Some(data.iter().map(|&b| char::from(b)).collect()),
        30 => {
            let units: Option<Vec<u16>> = data
                .chunks_exact(2)
                .map(|c| c.first_chunk::<2>().map(|&pair| u16::from_be_bytes(pair)))
                .collect();
            String::from_utf16(&units?).ok()
        }
        28 => data
            .chunks_exact(4)
            .map(|c| {
                c.first_chunk::<4>()
                    .and_then(|&quad| char::from_u32(u32::from_be_bytes(quad)))
            })
            .collect(),
        _ => None,
    }
}

/// RFC 4514 §2.4 escaping; control characters, and a leading or trailing space, as `\XX`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\20"),
            c if c.is_control() => {
                let mut bytes = [0u8; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The BER encoding of a value, rebuilt from its header and contents (definite length).
fn ber(any: &x509_parser::der_parser::asn1_rs::Any<'_>) -> Vec<u8> {
    let class = any.header.class() as u8;
    let constructed = u8::from(any.header.is_constructed());
    let tag = any.tag().0;
    let mut out = Vec::with_capacity(any.data.len() + 8);
    let lead = class << 6 | constructed << 5;
    if tag < 31 {
        out.push(lead | tag as u8);
    } else {
        out.push(lead | 0x1F);
        let mut groups = Vec::new();
        let mut t = tag;
        loop {
            groups.push((t & 0x7F) as u8);
            t >>= 7;
            if t == 0 {
                break;
            }
        }
        let n = groups.len();
        for (i, g) in groups.into_iter().rev().enumerate() {
            out.push(if i + 1 < n { g | 0x80 } else { g });
        }
    }
    let len = any.data.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(any.data);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// RFC 3339 UTC (`2026-11-22T07:47:44Z`) from Unix seconds, by the proleptic Gregorian
/// calendar (days-from-civil inverse, H. Hinnant's algorithm).
pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The subject key as `RSA 2048`, `EC 256`, `Ed25519`…, or its algorithm OID.
fn key(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    let key_bits = &spki.subject_public_key.data;
    match alg.as_str() {
        // rsaEncryption, RSASSA-PSS (RFC 3279 §2.3.1, RFC 4055 §1.2): RSAPublicKey.
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            match x509_parser::public_key::RSAPublicKey::from_der(key_bits) {
                Ok((_, rsa)) => format!("RSA {}", bits(rsa.modulus)),
                Err(_) => "RSA".to_string(),
            }
        }
        // id-ecPublicKey (RFC 5480 §2.1.1): the named curve decides the size.
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref().and_then(curve_bits) {
                Some(n) => format!("EC {n}"),
                // An uncompressed point: 0x04, X, Y.
                None => format!("EC {}", key_bits.len().saturating_sub(1) / 2 * 8),
            }
        }
        "1.3.101.112" => "Ed25519".to_string(),
        "1.3.101.113" => "Ed448".to_string(),
        "1.3.101.110" => "X25519".to_string(),
        "1.2.840.10040.4.1" => "DSA".to_string(),
        other => other.to_string(),
    }
}

/// Significant bits of a big-endian unsigned integer.
fn bits(n: &[u8]) -> usize {
    let skip = n.iter().take_while(|&&b| b == 0).count();
    match n.get(skip..) {
        Some([first, rest @ ..]) => rest.len() * 8 + (8 - first.leading_zeros() as usize),
        _ => 0,
    }
}

/// Sizes of named curves (RFC 5480 §2.1.1.1, SEC 2, RFC 5639).
fn curve_bits(oid: &str) -> Option<u16> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => 256, // secp256r1 (P-256)
        "1.3.132.0.34" => 384,        // secp384r1
        "1.3.132.0.35" => 521,        // secp521r1
        "1.3.132.0.10" => 256,        // secp256k1
        "1.2.840.10045.3.1.1" => 192, // secp192r1
        "1.3.132.0.33" => 224,        // secp224r1
        "1.3.36.3.3.2.8.1.1.7" => 256,
        "1.3.36.3.3.2.8.1.1.11" => 384,
        "1.3.36.3.3.2.8.1.1.13" => 512,
        _ => return None,
    })
}

/// Signature algorithm names (RFC 3279, RFC 4055, RFC 5758, RFC 8410), else the dotted OID.
fn signature_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-sha256",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return other.to_string(),
    };
    name.to_string()
}
