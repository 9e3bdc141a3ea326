use std::fmt;

/// A header that does not fit the bytes it came in.
///
/// `offset` counts from the start of the frame (or of the reassembled datagram for transport
/// headers behind IP fragments), so that a user can find the byte in Wireshark's hex pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub layer: &'static str,
    pub offset: usize,
    pub reason: &'static str,
}

impl DecodeError {
    pub(crate) const fn new(layer: &'static str, offset: usize, reason: &'static str) -> Self {
        DecodeError {
            layer,
            offset,
            reason,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at frame byte {}: {}",
            self.layer, self.offset, self.reason
        )
    }
}

impl std::error::Error for DecodeError {}
