//! HTTP/1.x (RFC 9112 "HTTP/1.1" message syntax and framing, RFC 9110 "HTTP Semantics"), decoded
//! for identity and hygiene: which servers and clients talk HTTP in the plant network, what
//! they call themselves, and whether credentials cross it in the clear (Basic authentication).
//!
//! Ports 80, 8080 and 8000 are hints only; recognition is by content: a request line
//! (`METHOD SP request-target SP HTTP/1.x`, RFC 9112 §3) or a status line (`HTTP/1.x SP 3DIGIT`,
//! RFC 9112 §4). Port 443 carries TLS, see [`super::tls`].
//!
//! Supported: the header block up to its empty line (capped at [`parser::MAX_HEAD`] bytes; a
//! longer one is reported and the direction resynchronised on the next message start), message
//! bodies skipped by Content-Length or chunked transfer coding (RFC 9112 §6.3, §7.1) without
//! buffering them, pipelined requests with responses paired first-in first-out (RFC 9112 §9.3.2),
//! interim 1xx responses, HEAD/204/304 responses without bodies, and CONNECT / 101 Switching
//! Protocols, after which the connection no longer carries HTTP and is not parsed further.
//! A response whose length is only known at close (RFC 9112 §6.3 rule 8) stops the parsing of
//! that direction until the next gap.
//!
//! Operations: the request method (code in [`types::method`], name = the method; GET, HEAD and
//! OPTIONS are reads, POST, PUT, PATCH and DELETE writes); a 4xx/5xx response is an exception.
//! Facts: `http_server` (Server header) and `http_host` (Host header without its port) about
//! the server, `http_user_agent` about the client, `http_basic_auth` = `seen` about both ends
//! when a request carries `Authorization: Basic` (or `Proxy-Authorization: Basic`). The
//! credentials themselves are never kept, decoded or reported.
//!
//! Not supported: HTTP/2 (binary framing, usually inside TLS), HTTP/0.9, request targets and
//! bodies (never recorded).

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::method_name;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The HTTP/1.x dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Http;

impl Dissector for Http {
    fn protocol(&self) -> Protocol {
        Protocol::Http
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[80, 8080, 8000]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::HttpSession>::default()
    }
}
