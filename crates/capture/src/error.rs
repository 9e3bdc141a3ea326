use std::fmt;

/// What went wrong while reading a capture. Each error says whether reading can go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a pcap or pcapng capture (first bytes {0})")]
    NotACapture(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("file ends inside a {what}: {needed} bytes needed, {available} left")]
    Truncated {
        what: &'static str,
        needed: u64,
        available: u64,
    },
    #[error(
        "record length {length} is impossible (limit {limit}); skipped to the next valid record"
    )]
    AbsurdLength { length: u64, limit: u64 },
    #[error("{0}; skipped to the next valid block")]
    BadBlock(String),
    #[error("no valid record found after this point; the rest of the file ({skipped} bytes) was skipped")]
    Unrecoverable { skipped: u64 },
    #[error("packet refers to interface {id}, but only {defined} are defined; packet skipped")]
    UnknownInterface { id: u32, defined: usize },
}

/// An error positioned in its file, in the words a user needs to find the place.
#[derive(Debug)]
pub struct CaptureError {
    pub file: String,
    /// Byte offset in the (decompressed) capture where the problem starts.
    pub offset: u64,
    /// 1-based number of the packet concerned, when the problem belongs to one.
    pub packet: Option<u64>,
    pub kind: ErrorKind,
}

impl CaptureError {
    /// True when nothing more can be read from this file. Other errors skip a record or block
    /// and reading goes on.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Io(_)
                | ErrorKind::NotACapture(_)
                | ErrorKind::Unsupported(_)
                | ErrorKind::Truncated { .. }
                | ErrorKind::Unrecoverable { .. }
        )
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(packet) = self.packet {
            write!(f, "packet {packet}, ")?;
        }
        write!(f, "byte offset {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
