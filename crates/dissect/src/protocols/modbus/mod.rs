//! Modbus/TCP.
//!
//! References: Modbus Application Protocol Specification V1.1b3 (function codes §5–6,
//! exception codes §7, Read Device Identification §6.21); Modbus Messaging on TCP/IP
//! Implementation Guide V1.0b (MBAP header §3.1.3). UMAS (function code 90) is Schneider
//! Electric's engineering protocol; its sub-function codes are as published in public analyses
//! of Unity/EcoStruxure traffic.
//!
//! Port 502 (and 5020 often used by simulators) is a hint only; recognition is by content.
//!
//! Supported: every public function code (names, classes; unknown codes kept as numbers),
//! exception responses, start address and quantity of reads and writes, Diagnostics (8)
//! sub-functions, Read Device Identification (43/14) objects, UMAS (90) sub-functions, unit id,
//! request/response pairing by transaction id.

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{function_name, FunctionCode};

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

/// The Modbus/TCP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Modbus;

impl Dissector for Modbus {
    fn protocol(&self) -> Protocol {
        Protocol::Modbus
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[502, 5020]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::ModbusSession>::default()
    }
}
