use serde::Serialize;
use std::fmt;

/// Where in the input something was found, as precisely as the finder knows.
///
/// `packet` is 1-based within its file, the way Wireshark numbers frames, so that a user can jump
/// to it; `offset` is the byte offset in the (decompressed) capture file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(packet) = self.packet {
            write!(f, ": packet {packet}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " (byte offset {offset})")?;
        }
        Ok(())
    }
}

/// The families of things that can be wrong with input. Stable strings: scripts filter on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnomalyKind {
    /// The capture file itself is damaged (bad record, bad block, truncation).
    CaptureFormat,
    /// Packets shorter on disk than on the wire because of the capture's snap length.
    Snaplen,
    /// Timestamps that go backwards within one file.
    TimestampOrder,
    /// A link type the decoder does not know.
    UnknownLinkType,
    /// A header that does not fit its own length fields.
    MalformedHeader,
    /// IP fragment problems: overlaps, too many, timeouts.
    Fragment,
    /// TCP stream anomalies: gaps in reassembly, caps reached.
    TcpStream,
    /// A memory cap was hit and data was dropped on purpose.
    CapReached,
    /// A malformed or unexpected application-protocol message (Modbus, DNP3…).
    Protocol,
}

impl AnomalyKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::CaptureFormat => "capture_format",
            AnomalyKind::Snaplen => "snaplen",
            AnomalyKind::TimestampOrder => "timestamp_order",
            AnomalyKind::UnknownLinkType => "unknown_link_type",
            AnomalyKind::MalformedHeader => "malformed_header",
            AnomalyKind::Fragment => "fragment",
            AnomalyKind::TcpStream => "tcp_stream",
            AnomalyKind::CapReached => "cap_reached",
            AnomalyKind::Protocol => "protocol",
        }
    }
}

/// Something wrong with the input, reported as data. Processing continues after an anomaly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    #[serde(flatten)]
    pub position: Position,
    pub message: String,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]",
            self.position,
            self.message,
            self.kind.as_str()
        )
    }
}
