//! A refillable window over a byte stream.
//!
//! Readers borrow packets straight out of this window (no copy), so the window only grows to
//! the largest record seen, which record-length limits keep bounded: memory does not grow with
//! the size of the capture.

use std::io::{self, Read};

const READ_CHUNK: usize = 1 << 20;

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
            buf: vec![0; READ_CHUNK * 2],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// Makes at least `n` bytes available unless the stream ends first; returns how many are.
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.start < n && !self.eof {
            if self.start > 0 && (self.buf.len() - self.end < READ_CHUNK || self.start == self.end)
            {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let want = n.max(READ_CHUNK);
            if self.buf.len() - self.start < want {
                self.buf.resize(self.start + want + READ_CHUNK, 0);
            }
            let Some(spare) = self.buf.get_mut(self.end..) else {
                break;
            };
            match self.inner.read(spare) {
                Ok(0) => self.eof = true,
                Ok(read) => self.end += read,
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
