//! Names for TLS codes: operations, protocol versions, cipher suites (IANA "TLS Cipher
//! Suites" registry, a small table of the common and the weak ones), alert descriptions.

use crate::OpClass;

/// Operation codes: the handshake message types (RFC 8446 §4, RFC 5246 §7.4), and the alert
/// record's content type (RFC 8446 §5.1; no reported handshake message has type 21).
pub(crate) const CLIENT_HELLO: u16 = 1;
pub(crate) const SERVER_HELLO: u16 = 2;
pub(crate) const CERTIFICATE: u16 = 11;
pub(crate) const ALERT: u16 = 21;

/// Name and class of an operation code.
pub fn operation_name(code: u16) -> (&'static str, OpClass) {
    match code {
        CLIENT_HELLO => ("client hello", OpClass::Other),
        SERVER_HELLO => ("server hello", OpClass::Other),
        CERTIFICATE => ("certificate", OpClass::Other),
        ALERT => ("alert", OpClass::Other),
        _ => ("TLS message", OpClass::Other),
    }
}

/// GREASE values (RFC 8701 §2): `0x?A?A`, sent to keep peers tolerant, never meant.
pub(crate) fn is_grease(v: u16) -> bool {
    v & 0x0F0F == 0x0A0A && (v >> 8) == (v & 0xFF)
}

/// A protocol version as people write it (RFC 8446 §4.2.1; drafts of 1.3 used 0x7F00 | n).
pub(crate) fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".to_string(),
        0x0301 => "TLS 1.0".to_string(),
        0x0302 => "TLS 1.1".to_string(),
        0x0303 => "TLS 1.2".to_string(),
        0x0304 => "TLS 1.3".to_string(),
        0x7F00..=0x7FFF => format!("TLS 1.3 (draft {})", v & 0xFF),
        _ => format!("0x{v:04X}"),
    }
}

/// A cipher suite as `0xC02F TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, or just the number.
pub(crate) fn cipher_text(suite: u16) -> String {
    match cipher_name(suite) {
        Some(name) => format!("0x{suite:04X} {name}"),
        None => format!("0x{suite:04X}"),
    }
}

/// IANA names of common suites, the weak ones included (NULL, EXPORT, RC4, DES, 3DES and
/// CBC with SHA-1 are what a hygiene review looks for).
pub(crate) fn cipher_name(suite: u16) -> Option<&'static str> {
    Some(match suite {
        0x0000 => "TLS_NULL_WITH_NULL_NULL",
        0x0001 => "TLS_RSA_WITH_NULL_MD5",
        0x0002 => "TLS_RSA_WITH_NULL_SHA",
        0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x0006 => "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        0x000A => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x002F => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x003B => "TLS_RSA_WITH_NULL_SHA256",
        0x003C => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003D => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x009C => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009D => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009F => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0xC007 => "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        0xC009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xC00A => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xC012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xC013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xC014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xC024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xC027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xC028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xC02B => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xC02C => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xC030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCA9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        _ => return None,
    })
}
