//! A refillable window over a byte stream.
//!
//! Readers borrow packets straight out of this window (no copy), so the window only grows to
//! the largest record seen, which record-length limits keep bounded: memory does not grow with
//! the size of the capture.
//!
//! The buffer can be shared ([`Source::buffer`]): a caller that keeps a clone holds on to the
//! packets in it without copying them. The source never writes into a buffer someone else
//! holds; when it must refill, it moves the unread tail (less than one record) into a buffer
//! nobody holds — a retired one when there is one — and reads on there.

use std::io::{self, Read};
use std::sync::Arc;

/// First buffer size: small, so that opening many small captures (or fuzzing) is cheap.
const INITIAL_BUFFER: usize = 8 << 10;
/// The buffer doubles while reads keep filling it, up to this size: large enough that a read
/// call costs little per packet, small enough that the bytes it copied are still in the core's
/// cache when the packets are parsed (2 MiB measured slower with two workers).
const STEADY_BUFFER: usize = 128 << 10;
/// Shared buffers kept for reuse once their holders let go; beyond this they are freed.
const RETIRED_KEPT: usize = 8;

pub(crate) struct Source {
    inner: Box<dyn Read + Send>,
    buf: Arc<Vec<u8>>,
    /// Buffers given up while shared, reused when their holders have let go.
    retired: Vec<Arc<Vec<u8>>>,
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
            buf: Arc::new(vec![0; INITIAL_BUFFER]),
            retired: Vec::new(),
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
            if Arc::get_mut(&mut self.buf).is_none() {
                self.unshare();
            }
            let Some(buf) = Arc::get_mut(&mut self.buf) else {
                break;
            };
            if self.start > 0 {
                // Move what is held to the front so that the whole buffer is free for reading.
                buf.copy_within(self.start..self.end, 0);
                self.start = 0;
                self.end = held;
            }
            if self.end == buf.len() {
                // Full and still short of `n`: grow by what is actually arriving, never to `n`
                // up front (a resync asks for megabytes that a short stream does not have).
                let doubled = buf.len() * 2;
                buf.resize(doubled, 0);
            }
            let Some(spare) = buf.get_mut(self.end..) else {
                break;
            };
            let spare_len = spare.len();
            match self.inner.read(spare) {
                Ok(0) => self.eof = true,
                Ok(read) => {
                    self.end += read;
                    if read == spare_len && buf.len() < STEADY_BUFFER {
                        let doubled = buf.len() * 2;
                        buf.resize(doubled, 0);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }

    /// Continues in a buffer nobody else holds, with the unread bytes moved to its front.
    fn unshare(&mut self) {
        let len = self.buf.len();
        let reusable = self
            .retired
            .iter()
            .position(|b| Arc::strong_count(b) == 1 && b.len() == len);
        let mut fresh = match reusable {
            Some(i) => self.retired.swap_remove(i),
            None => Arc::new(vec![0; len]),
        };
        if let (Some(to), Some(from)) =
            (Arc::get_mut(&mut fresh), self.buf.get(self.start..self.end))
        {
            if let Some(front) = to.get_mut(..from.len()) {
                front.copy_from_slice(from);
            }
        }
        self.end -= self.start;
        self.start = 0;
        let old = std::mem::replace(&mut self.buf, fresh);
        if self.retired.len() >= RETIRED_KEPT {
            self.retired.remove(0);
        }
        self.retired.push(old);
    }

    /// The buffer the window lies in. Holding a clone keeps the packets read from it valid:
    /// the source will not write into it again while the clone lives.
    pub(crate) fn buffer(&self) -> &Arc<Vec<u8>> {
        &self.buf
    }

    /// Where the window starts in [`Source::buffer`].
    pub(crate) fn window_start(&self) -> usize {
        self.start
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
