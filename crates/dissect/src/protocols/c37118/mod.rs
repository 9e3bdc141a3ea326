//! IEEE C37.118.2 synchrophasor data transfer (PMU ↔ PDC).
//!
//! References (facts only): IEEE Std C37.118.2-2011 "Standard for Synchrophasor Data Transfer
//! for Power Systems": common frame header §6.2 (SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC; CHK is
//! CRC-CCITT over every byte before it, Annex B), data frame §6.3, configuration frames
//! CFG-1/CFG-2 §6.4 and CFG-3 §6.4.2, header frame §6.5, command frame §6.6 (CMD codes
//! Table 15). The 2005 edition (IEEE C37.118-2005) uses the same framing (version 1).
//!
//! Ports: 4712 (TCP) and 4713 (UDP) are hints only; recognition is by content (a whole frame
//! whose CRC checks is certain).
//!
//! Supported: framing and CRC verification (a frame with a bad CRC is an anomaly and is not
//! counted), frame type as the operation code, command frames with their CMD as sub-code,
//! identity from configuration frames: each PMU's station name (CFG-1/CFG-2, and the first
//! PMU of a CFG-3) and the stream's IDCODE.
//!
//! Not supported: phasor, frequency and analog values of data frames (not interpreted), the
//! text of header frames, CFG-3 beyond the first PMU's name.
//!
//! Roles: the PDC (client) sends command frames; the PMU (server) sends data, configuration
//! and header frames. C37.118 has no transactions: commands are counted as requests, and the
//! frames the PMU sends (streamed data, configuration sent on request or on change) are counted
//! as request-like messages of their own operation, initiated by the PMU. Roles are taken from
//! the frame type, not from the flow's direction (over UDP the PDC may send from 4712 to 4713).

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{command_name, frame_type_name};

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The IEEE C37.118 synchrophasor dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Synchrophasor;

impl Dissector for Synchrophasor {
    fn protocol(&self) -> Protocol {
        Protocol::Synchrophasor
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[4712, 4713]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::SynchrophasorSession>::default()
    }
}
