//! OPC UA binary (UA TCP).
//!
//! References: OPC 10000-6 (Mappings) §7.1 UA Connection Protocol (message header, Hello,
//! Acknowledge, Error, ReverseHello), §6.7 UA Secure Conversation (OPN/MSG/CLO, asymmetric and
//! symmetric security headers, sequence header, chunks F/C/A), §5.2 binary encoding of built-in
//! types (NodeId, String, LocalizedText, DiagnosticInfo, ExtensionObject); OPC 10000-4
//! (Services) §5 for the services and §7 for RequestHeader, ResponseHeader,
//! ApplicationDescription; service type ids are the DefaultBinary encoding node ids of
//! NodeIds.csv.
//!
//! TCP 4840 is a hint only: servers run on many ports. Recognition is by content: a message
//! type ("HEL", "ACK", "ERR", "RHE", "OPN", "MSG", "CLO"), a chunk type and a size that frames
//! the bytes.
//!
//! Supported: framing at any split point, oversized messages cut to a 64 KiB prefix, chunked
//! messages reassembled up to 64 KiB (abort chunks drop them), Hello endpoint URL (identity
//! `endpoint_url` of the server), Error status (operation code 1 "Error Message", exception,
//! sub-code = status code's top 16 bits), OPN security policy URI (identity `security_policy`)
//! and, with policy None, the requested message security mode (identity `security_mode`).
//! With policy None every MSG's service type id is decoded and paired by request id; the
//! operation code is the REQUEST's encoding id for both request and response (a response id,
//! or a ServiceFault (397) answering a request, counts under its request), a bad
//! ServiceResult or a ServiceFault is an exception. CreateSession request and response give the
//! client's and server's application name (`product_name`), product URI (`product_code`) and
//! application URI (`application_uri`). On a secured channel (policy not None) MSG bodies are
//! counted as operation code 0 "Encrypted Message" (requests and answers paired by order);
//! OPN and CLO still count as OpenSecureChannel (446) and CloseSecureChannel (452), since the
//! message type says so. Without an OPN in the capture a body is decoded when its type id is a
//! known service, else counted as encrypted.
//!
//! Classes: reads, browsing, history reads and subscriptions (which exist to read data) are
//! `read`; Write and HistoryUpdate `write`; node management (AddNodes, DeleteNodes,
//! Add/DeleteReferences) changes the server's address space, its configuration: `program`;
//! Call runs methods, which act on the process or device: `control`; discovery `diagnostic`;
//! channel and session management `other`.
//!
//! Not supported: decryption, signed-only (Sign mode) channels are counted as encrypted,
//! service parameters other than the identity ones, UA over HTTPS or WebSockets.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{service, Service};

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The OPC UA binary dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opcua;

impl Dissector for Opcua {
    fn protocol(&self) -> Protocol {
        Protocol::Opcua
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[4840]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::OpcuaSession>::default()
    }
}
