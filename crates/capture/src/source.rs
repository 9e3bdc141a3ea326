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
/// Retired buffers that nobody holds any more, kept for the next refills; beyond this they are
/// freed.
///
/// Buffers still held are always kept, however many: their number is bounded by the holders
/// (the engine keeps two 1 MiB chunks per worker in flight, each in about nine buffers), and
/// dropping one would only let its memory go back to the allocator when the last holder lets
/// go, so that a refill then faults in fresh pages. Keeping a fixed eight retired buffers
/// instead cost two workers 15,700 page faults per 256 MiB read (now 2,200).
const IDLE_RETIRED_KEPT: usize = 16;

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
    /// Buffers allocated because no retired one was free: stays small in a steady state.
    buffers_allocated: usize,
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
            buffers_allocated: 0,
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
            None => {
                self.buffers_allocated += 1;
                Arc::new(vec![0; len])
            }
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
        self.retired.push(old);
        // Idle buffers of another size (outgrown while the window grew) are never reused.
        let mut idle = 0;
        self.retired.retain(|b| {
            if Arc::strong_count(b) > 1 {
                return true;
            }
            if b.len() != len {
                return false;
            }
            idle += 1;
            idle <= IDLE_RETIRED_KEPT
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `total` bytes in `step`-byte records, holding each refill's buffer until `holders`
    /// newer ones are held (as the engine's chunks in flight do); returns the buffers allocated.
    fn buffers_allocated_while_holding(total: usize, step: usize, holders: usize) -> usize {
        let bytes: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
        let mut source = Source::new(Box::new(std::io::Cursor::new(bytes)));
        let mut held: std::collections::VecDeque<Arc<Vec<u8>>> = Default::default();
        let mut read = 0;
        while source.fill(step).unwrap() >= step {
            let window = source.window();
            assert_eq!(window.first().copied(), Some((read % 251) as u8));
            if !held
                .back()
                .is_some_and(|last| Arc::ptr_eq(last, source.buffer()))
            {
                held.push_back(Arc::clone(source.buffer()));
                if held.len() > holders {
                    held.pop_front();
                }
            }
            source.consume(step);
            read += step;
        }
        assert_eq!(read, total / step * step);
        source.buffers_allocated
    }

    /// Regression: only eight retired buffers were kept, so with more held at once (two workers
    /// hold about 36) the source dropped buffers that were still held and, for most refills,
    /// allocated a fresh one that the kernel had to fault in.
    #[test]
    fn buffers_are_recycled_however_many_holders_keep_them_a_while() {
        let holders = 36;
        let allocated = buffers_allocated_while_holding(64 << 20, 1000, holders);
        // 512 refills of 128 KiB; the window grows through four smaller sizes first.
        assert!(
            allocated <= holders + IDLE_RETIRED_KEPT + 6,
            "{allocated} buffers allocated for {holders} holders"
        );
    }
}
