//! One direction of a TCP byte stream, put back in order.
//!
//! Policy, chosen for a passive monitor that must stay bounded:
//! - in-order data is handed on straight from the packet (no copy);
//! - data ahead of the expected sequence number is copied and held, up to a per-direction cap
//!   and a global cap shared by all flows; when either is reached, the hole is declared a gap
//!   and what is held is delivered, so memory stays bounded whatever the traffic;
//! - data already delivered wins over a retransmission or overlap (first copy wins), and the
//!   overlapping bytes are counted;
//! - sequence numbers are compared modulo 2^32 (RFC 9293 §3.4), so wrap-around is transparent;
//! - bytes the capture cut off (snap length) and holes left at the end become gaps, with size.

use zonewarden_model::Timestamp;

/// What the reassembler hands to its consumer, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    Data(&'a [u8], Timestamp),
    /// `len` bytes of the stream that will never be seen.
    Gap(u64),
}

/// Counters for one direction, reported per flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes delivered in order.
    pub bytes: u64,
    pub gaps: u32,
    pub gap_bytes: u64,
    /// Bytes seen again (retransmission or overlap) and dropped.
    pub overlap_bytes: u64,
    /// Segments that arrived ahead of a hole and had to be held.
    pub out_of_order: u32,
    /// How often a cap forced a gap.
    pub cap_hits: u32,
}

/// Which limit forced a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapHit {
    PerFlow,
    Global,
}

/// Limits on held data.
#[derive(Debug, Clone, Copy)]
pub struct ReassemblyLimits {
    pub per_direction_bytes: usize,
    pub global_bytes: usize,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        ReassemblyLimits {
            per_direction_bytes: 1 << 20,
            global_bytes: 256 << 20,
        }
    }
}

/// A segment beyond a hole: sequence number of its first byte, the bytes, and bytes the capture
/// cut off after them.
#[derive(Debug)]
struct Held {
    seq: u32,
    data: Vec<u8>,
    missing: u32,
    ts: Timestamp,
}

impl Held {
    fn seq_len(&self) -> u32 {
        (self.data.len() as u32).wrapping_add(self.missing)
    }
}

/// Sequence distances beyond this are treated as a jump (a new stream or garbage), not as data
/// to wait for: half the sequence space is the limit RFC 9293 comparisons can tell apart.
const MAX_AHEAD: u32 = 1 << 30;

#[derive(Debug, Default)]
pub struct HalfStream {
    started: bool,
    next_seq: u32,
    held: Vec<Held>,
    held_bytes: usize,
    pub stats: StreamStats,
}

impl HalfStream {
    /// Bytes held now (for the global accounting).
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Feeds one segment. `global_held` is the byte count held by all streams together.
    ///
    /// Returns which cap, if any, forced a gap.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        payload: &[u8],
        missing: u32,
        ts: Timestamp,
        limits: &ReassemblyLimits,
        global_held: &mut usize,
        out: &mut dyn FnMut(Chunk<'_>),
    ) -> Option<CapHit> {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        if !self.started {
            self.started = true;
            self.next_seq = data_seq;
        } else if syn && self.stats.bytes == 0 && self.held.is_empty() {
            // A SYN seen after data-less packets (e.g. a retransmitted SYN with a new ISN).
            self.next_seq = data_seq;
        }
        let len = (payload.len() as u32).wrapping_add(missing);
        if len == 0 {
            return None;
        }
        let ahead = data_seq.wrapping_sub(self.next_seq);
        if ahead == 0 || ahead > u32::MAX - MAX_AHEAD {
            // In order, or (some of it) behind: deliver the new part, then anything now in order.
            let behind = if ahead == 0 { 0 } else { ahead.wrapping_neg() };
            if behind >= len {
                self.stats.overlap_bytes += u64::from(len);
                return None;
            }
            self.stats.overlap_bytes += u64::from(behind);
            self.deliver(payload, missing, behind, ts, out);
            self.drain(global_held, out);
            return None;
        }
        if ahead >= MAX_AHEAD {
            // A jump no window allows: give up on what lies between.
            self.gap(u64::from(ahead), out);
            self.deliver(payload, missing, 0, ts, out);
            self.drain(global_held, out);
            return None;
        }
        // Ahead of a hole: hold a copy, within the caps.
        let cost = payload.len();
        let cap = if self.held_bytes + cost > limits.per_direction_bytes {
            Some(CapHit::PerFlow)
        } else if *global_held + cost > limits.global_bytes {
            Some(CapHit::Global)
        } else {
            None
        };
        self.stats.out_of_order += 1;
        let at = self
            .held
            .partition_point(|h| h.seq.wrapping_sub(self.next_seq) <= ahead);
        self.held.insert(
            at,
            Held {
                seq: data_seq,
                data: payload.to_vec(),
                missing,
                ts,
            },
        );
        self.held_bytes += cost;
        *global_held += cost;
        if cap.is_some() {
            self.stats.cap_hits += 1;
            self.flush(global_held, out);
        }
        cap
    }

    /// The peer acknowledged up to `ack`: a hole before held data that the receiver already
    /// has will never be filled in this capture (the segment was not captured), so it becomes
    /// a gap now and what is held flows on, instead of waiting for a cap or the end of the flow.
    pub fn acknowledged(
        &mut self,
        ack: u32,
        global_held: &mut usize,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        let Some(first) = self.held.first() else {
            return;
        };
        let acked = ack.wrapping_sub(self.next_seq);
        if acked == 0 || acked >= MAX_AHEAD {
            return;
        }
        let hole = first.seq.wrapping_sub(self.next_seq);
        if hole == 0 || hole >= MAX_AHEAD {
            return;
        }
        self.gap(u64::from(hole.min(acked)), out);
        self.drain(global_held, out);
    }

    /// Declares every hole a gap and delivers everything held (end of flow, or a cap).
    pub fn flush(&mut self, global_held: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        while let Some(first) = self.held.first() {
            let ahead = first.seq.wrapping_sub(self.next_seq);
            if ahead > 0 && ahead < MAX_AHEAD {
                self.gap(u64::from(ahead), out);
            }
            self.drain(global_held, out);
        }
    }

    fn gap(&mut self, len: u64, out: &mut dyn FnMut(Chunk<'_>)) {
        self.stats.gaps += 1;
        self.stats.gap_bytes += len;
        self.next_seq = self.next_seq.wrapping_add(len as u32);
        out(Chunk::Gap(len));
    }

    /// Delivers `payload` (followed by `missing` uncaptured bytes), skipping `skip` sequence
    /// numbers already delivered.
    fn deliver(
        &mut self,
        payload: &[u8],
        missing: u32,
        skip: u32,
        ts: Timestamp,
        out: &mut dyn FnMut(Chunk<'_>),
    ) {
        let skip = skip as usize;
        if let Some(fresh) = payload.get(skip..) {
            if !fresh.is_empty() {
                self.stats.bytes += fresh.len() as u64;
                self.next_seq = self.next_seq.wrapping_add(fresh.len() as u32);
                out(Chunk::Data(fresh, ts));
            }
        }
        let missing_left = if skip > payload.len() {
            u64::from(missing).saturating_sub((skip - payload.len()) as u64)
        } else {
            u64::from(missing)
        };
        if missing_left > 0 {
            self.gap(missing_left, out);
        }
    }

    /// Delivers held segments that are now in order (trimming what overlaps).
    fn drain(&mut self, global_held: &mut usize, out: &mut dyn FnMut(Chunk<'_>)) {
        while let Some(first) = self.held.first() {
            let ahead = first.seq.wrapping_sub(self.next_seq);
            if ahead != 0 && ahead < MAX_AHEAD {
                break;
            }
            let held = self.held.remove(0);
            self.held_bytes -= held.data.len();
            *global_held = global_held.saturating_sub(held.data.len());
            let behind = if ahead == 0 { 0 } else { ahead.wrapping_neg() };
            if behind >= held.seq_len() {
                self.stats.overlap_bytes += u64::from(held.seq_len());
                continue;
            }
            self.stats.overlap_bytes += u64::from(behind);
            self.deliver(&held.data, held.missing, behind, held.ts, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(
        stream: &mut HalfStream,
        segs: &[(u32, &[u8])],
        limits: ReassemblyLimits,
    ) -> (Vec<u8>, u64) {
        let mut out = Vec::new();
        let mut gaps = 0u64;
        let mut global = 0usize;
        for (seq, data) in segs {
            stream.segment(
                *seq,
                false,
                data,
                0,
                Timestamp(0),
                &limits,
                &mut global,
                &mut |c| match c {
                    Chunk::Data(d, _) => out.extend_from_slice(d),
                    Chunk::Gap(n) => gaps += n,
                },
            );
        }
        stream.flush(&mut global, &mut |c| match c {
            Chunk::Data(d, _) => out.extend_from_slice(d),
            Chunk::Gap(n) => gaps += n,
        });
        assert_eq!(global, 0, "global accounting must return to zero");
        (out, gaps)
    }

    #[test]
    fn in_order_segments_pass_through() {
        let mut s = HalfStream::default();
        let (out, gaps) = collect(
            &mut s,
            &[(100, b"abc"), (103, b"def")],
            ReassemblyLimits::default(),
        );
        assert_eq!(out, b"abcdef");
        assert_eq!(gaps, 0);
    }

    #[test]
    fn out_of_order_is_reordered() {
        let mut s = HalfStream::default();
        let (out, _) = collect(
            &mut s,
            &[(100, b"abc"), (106, b"ghi"), (103, b"def")],
            ReassemblyLimits::default(),
        );
        assert_eq!(out, b"abcdefghi");
        assert_eq!(s.stats.out_of_order, 1);
    }

    #[test]
    fn retransmission_and_overlap_first_copy_wins() {
        let mut s = HalfStream::default();
        let (out, _) = collect(
            &mut s,
            &[(100, b"abcd"), (100, b"abcd"), (102, b"XXef")],
            ReassemblyLimits::default(),
        );
        assert_eq!(out, b"abcdef");
        assert_eq!(s.stats.overlap_bytes, 6);
    }

    #[test]
    fn sequence_wrap_is_transparent() {
        let mut s = HalfStream::default();
        let start = u32::MAX - 1;
        let (out, gaps) = collect(
            &mut s,
            &[
                (start, b"ab"),
                (start.wrapping_add(4), b"ef"),
                (start.wrapping_add(2), b"cd"),
            ],
            ReassemblyLimits::default(),
        );
        assert_eq!(out, b"abcdef");
        assert_eq!(gaps, 0);
    }

    #[test]
    fn hole_at_end_becomes_a_gap_with_its_size() {
        let mut s = HalfStream::default();
        let (out, gaps) = collect(
            &mut s,
            &[(0, b"ab"), (10, b"kl")],
            ReassemblyLimits::default(),
        );
        assert_eq!(out, b"abkl");
        assert_eq!(gaps, 8);
        assert_eq!(s.stats.gaps, 1);
    }

    #[test]
    fn per_flow_cap_forces_a_gap_and_releases_memory() {
        let limits = ReassemblyLimits {
            per_direction_bytes: 4,
            global_bytes: 1 << 20,
        };
        let mut s = HalfStream::default();
        let mut global = 0;
        let mut delivered = Vec::new();
        s.segment(
            0,
            false,
            b"a",
            0,
            Timestamp(0),
            &limits,
            &mut global,
            &mut |_| {},
        );
        s.segment(
            10,
            false,
            b"xyz",
            0,
            Timestamp(0),
            &limits,
            &mut global,
            &mut |_| {},
        );
        let hit = s.segment(
            13,
            false,
            b"uvw",
            0,
            Timestamp(0),
            &limits,
            &mut global,
            &mut |c| {
                if let Chunk::Data(d, _) = c {
                    delivered.extend_from_slice(d)
                }
            },
        );
        assert_eq!(hit, Some(CapHit::PerFlow));
        assert_eq!(delivered, b"xyzuvw");
        assert_eq!(s.held_bytes(), 0);
        assert_eq!(global, 0);
    }

    #[test]
    fn snaplen_cut_bytes_are_a_gap_and_sequence_advances() {
        let mut s = HalfStream::default();
        let mut global = 0;
        let limits = ReassemblyLimits::default();
        let mut gaps = 0;
        s.segment(
            0,
            false,
            b"ab",
            3,
            Timestamp(0),
            &limits,
            &mut global,
            &mut |c| {
                if let Chunk::Gap(n) = c {
                    gaps += n
                }
            },
        );
        let mut out = Vec::new();
        s.segment(
            5,
            false,
            b"f",
            0,
            Timestamp(0),
            &limits,
            &mut global,
            &mut |c| {
                if let Chunk::Data(d, _) = c {
                    out.extend_from_slice(d)
                }
            },
        );
        assert_eq!(gaps, 3);
        assert_eq!(out, b"f");
    }

    #[test]
    fn acknowledged_hole_becomes_a_gap_at_once() {
        let mut s = HalfStream::default();
        let limits = ReassemblyLimits::default();
        let mut global = 0;
        let mut out = Vec::new();
        let mut gaps = 0;
        let mut sink = |c: Chunk<'_>| match c {
            Chunk::Data(d, _) => out.extend_from_slice(d),
            Chunk::Gap(n) => gaps += n,
        };
        s.segment(
            100,
            false,
            b"ab",
            0,
            Timestamp(0),
            &limits,
            &mut global,
            &mut sink,
        );
        s.segment(
            110,
            false,
            b"kl",
            0,
            Timestamp(0),
            &limits,
            &mut global,
            &mut sink,
        );
        // An ACK that does not pass the hole changes nothing.
        s.acknowledged(102, &mut global, &mut sink);
        s.acknowledged(112, &mut global, &mut sink);
        assert_eq!(out, b"abkl");
        assert_eq!(gaps, 8);
        assert_eq!(global, 0);
    }

    proptest! {
        /// Reassembly does not depend on how the stream was cut into segments or in which
        /// order they arrived, as long as every byte arrives at least once.
        #[test]
        fn result_is_independent_of_segmentation_and_order(
            data in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec(1usize..400, 0..20),
            order in proptest::collection::vec(any::<u16>(), 0..40),
            isn: u32,
        ) {
            let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c < data.len()).collect();
            bounds.push(0);
            bounds.push(data.len());
            bounds.sort_unstable();
            bounds.dedup();
            let mut segs: Vec<(u32, &[u8])> = bounds
                .windows(2)
                .map(|w| (isn.wrapping_add(w[0] as u32), &data[w[0]..w[1]]))
                .collect();
            // Keep the first segment first (it fixes the stream start), shuffle the rest, and
            // send one duplicate.
            if segs.len() > 2 {
                for (i, r) in order.iter().enumerate() {
                    let n = segs.len() - 1;
                    segs.swap(1 + i % n, 1 + usize::from(*r) % n);
                }
                let dup = segs[segs.len() / 2];
                segs.push(dup);
            }
            let mut s = HalfStream::default();
            let (out, gaps) = collect(&mut s, &segs, ReassemblyLimits::default());
            prop_assert_eq!(gaps, 0);
            prop_assert_eq!(out, data);
        }
    }
}
