//! TEMPLATE: copy this folder to `protocols/<yourproto>/` to add a protocol, then follow
//! `docs/adding-a-dissector.md`. It is compiled only for tests, so it stays buildable as the
//! framework changes, and never ships as a protocol.
//!
//! The example protocol is fictional and as small as a real one can be: every message is
//! `[length: u16 big-endian][kind: u8][id: u16][code: u8][data…]`, `length` counting the bytes
//! after it; kind 1 is a request, kind 2 a response. Replace it with your protocol's facts.
//!
//! In your `mod.rs`, say here: the specification and its sections, the ports, what is supported
//! and what is not.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// TEMPLATE: rename, and add a `Protocol` variant for it in `ops.rs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Template;

impl Dissector for Template {
    fn protocol(&self) -> Protocol {
        // TEMPLATE: your own variant.
        Protocol::Modbus
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[65000]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::TemplateSession>::default()
    }
}
