//! The shared vocabulary of zonewarden.
//!
//! Every other crate depends on this one and on nothing above it, so the types here are
//! deliberately small, `Copy` where possible, and free of parsing logic. Invariants:
//! - [`Timestamp`] is nanoseconds since the Unix epoch, taken from the capture, never the wall
//!   clock, so that offline results do not depend on how fast they were computed.
//! - [`Anomaly`] is how malformed input is reported: as data with a position, never as a panic.

mod anomaly;
mod time;

pub use anomaly::{Anomaly, AnomalyKind, Position};
pub use time::{parse_rfc3339, parse_rfc3339_secs, Timestamp};

/// Which way a packet travels inside a conversation.
///
/// Client and server are decided once per flow (see the flow crate for how), so that counters,
/// reassembly and the dissectors agree on the meaning of "request" and "response".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    ToServer,
    ToClient,
}

impl Direction {
    /// Index into two-element per-direction arrays: 0 for client→server, 1 for server→client.
    pub const fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    pub const fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// Formats a MAC address the way network engineers write it (`00:1b:1b:aa:bb:cc`).
pub fn format_mac(mac: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}
