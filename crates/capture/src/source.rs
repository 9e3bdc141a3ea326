//! A refillable window over a byte stream.
//!
//! Readers borrow packets straight out of this window (no copy), so the window only grows to
//! the largest record seen, which record-length limits keep bounded: memory does not grow with
//! the size of the capture.

use std::io::{self, Read};

/// First buffer size: small, so that opening many small captures (or fuzzing) is cheap.
const INITIAL_BUFFER: usize = 8 << 10;
/// The buffer doubles while reads keep filling it, up to this size: large reads keep the
/// per-packet cost of reading low on big captures.
const STEADY_BUFFER: usize = 2 << 20;

pub(crate) struct Source {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Stream offset of `buf[start]`.
    offset: u64,
}

impl Source {
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> Self {
        Source {
            inner,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// Makes at least `n` bytes available unless the stream ends first; returns how many are.
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.start < n && !self.eof {
            let held = self.end - self.start;
            if self.start > 0 {
                // Move what is held to the front so that the whole buffer is free for reading.
                self.buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = held;
            }
            if self.end == self.buf.len() {
                // Full and still short of `n`: grow by what is actually arriving, never to `n`
                // up front (a resync asks for megabytes that a short stream does not have).
                let doubled = self.buf.len() * 2;
                self.buf.resize(doubled, 0);
            }
            let Some(spare) = self.buf.get_mut(self.end..) else {
                break;
            };
            let spare_len = spare.len();
            match self.inner.read(spare) {
                Ok(0) => self.eof = true,
                Ok(read) => {
                    self.end += read;
                    if read == spare_len && self.buf.len() < STEADY_BUFFER {
                        let doubled = self.buf.len() * 2;
                        self.buf.resize(doubled, 0);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }

    /// The bytes available now, starting at [`Source::offset`].
    pub(crate) fn window(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes left in the stream, reading it to the end; used only to report truncation sizes.
    pub(crate) fn available(&self) -> u64 {
        (self.end - self.start) as u64
    }
}
