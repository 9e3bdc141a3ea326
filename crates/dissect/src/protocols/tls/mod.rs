//! TLS 1.0–1.3 handshakes (RFC 5246 "TLS 1.2", RFC 8446 "TLS 1.3", RFC 6066 §3 server_name),
//! decoded for identity and hygiene: which names the clients ask for, which versions and
//! cipher suites the servers choose, and (up to TLS 1.2, where it is sent in the clear) the
//! server's certificate: who it names, who signed it, until when, with what key.
//!
//! Ports (443, 8443, 465, 636, 853, 989–995, 4843 OPC UA, 5061, 8883 MQTT, 19998/19999
//! IEC 104/DNP3 over TLS) are hints only: a handshake record starting a ClientHello or
//! ServerHello is recognised on any port; other records only on these ports.
//!
//! Supported: the record layer (5-byte header, length ≤ 2^14 + 2048, RFC 5246 §6.2.3) with
//! resynchronisation after garbage and gaps; handshake messages reassembled across records
//! (capped at [`session::MAX_HANDSHAKE`]); ClientHello (SNI → `tls_sni` about the server; the
//! offered versions → `tls_offered_versions` about the client); ServerHello (the chosen
//! version, from supported_versions for TLS 1.3 → `tls_version`; the cipher suite →
//! `tls_cipher` as `0xC02F TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); the Certificate message's
//! first (leaf) certificate, parsed with `x509-parser`, as `tls_cert_subject`,
//! `tls_cert_issuer` (RFC 4514), `tls_cert_not_before`, `tls_cert_not_after` (RFC 3339 UTC),
//! `tls_cert_key` (`RSA 2048`, `EC 256`), `tls_cert_self_signed` and `tls_cert_signature` —
//! about the server, or about the client for a client certificate; alerts sent in the clear.
//!
//! Operations: "client hello", "server hello", "certificate" (codes: the handshake types) and
//! "alert" (code 21, the alert description as sub-code; an exception unless close_notify).
//!
//! Not decoded: anything after a ChangeCipherSpec or an application data record in a
//! direction (encrypted; nothing more is parsed or counted there), TLS 1.3 certificates
//! (encrypted), SSL 2.0 hellos, DTLS.

mod cert;
mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::operation_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The TLS dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tls;

impl Dissector for Tls {
    fn protocol(&self) -> Protocol {
        Protocol::Tls
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[
            443, 8443, 465, 636, 853, 989, 990, 992, 993, 994, 995, 4843, 5061, 8883, 19998, 19999,
        ]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::TlsSession>::default()
    }
}
