//! Beckhoff ADS (Automation Device Specification) over AMS/TCP, and the UDP discovery service.
//!
//! References (facts only): Beckhoff Information System, "TwinCAT ADS" / "ADS-Protocol":
//! AMS/TCP packet (2 reserved bytes, 4-byte little-endian length), AMS header (target and
//! source AMS NetId and port, command id, state flags, data length, error code, invoke id),
//! ADS commands 1–9 with their request and response layouts, ADS return codes, and the
//! ADSSTATE enumeration. The UDP discovery layout (magic 0x71146603, invoke id, service id,
//! AMS address, tag list; bit 31 of the service id marks the reply) is as publicly documented
//! by Beckhoff's ADS library sources and seen in `beckhoff_addroute.pcapng`.
//!
//! Ports: TCP 48898 (AMS/TCP) and UDP 48899 (discovery / add route) are hints only;
//! recognition is by content.
//!
//! Supported: AMS/TCP framing at any split point (large frames are decoded from their head
//! and the rest skipped, without buffering), every ADS command with name and class,
//! request/response pairing by invoke id and command, error codes and result codes as
//! exceptions, the index offset and length of Read/Write/ReadWrite as the address range,
//! identity: both sides' AMS NetIds, ReadDeviceInfo (device name, version), ReadState (ADS
//! state). UDP discovery: service id as sub-code of code 0x100 "ADS Discovery", the replying
//! device's AMS NetId and host name.
//!
//! Not supported: the meaning of index groups (symbol access, sum commands), notification
//! sample contents, AMS/TCP router commands (port connect, router notifications: framed and
//! skipped, not counted), other discovery tags than the host name.
//!
//! DeviceNotification (8) is sent by the server unasked: it is counted as a request-like
//! message.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{ads_state_name, command_name};

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The Beckhoff ADS dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ads;

impl Dissector for Ads {
    fn protocol(&self) -> Protocol {
        Protocol::Ads
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[48898, 48899]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::AdsSession>::default()
    }
}
