//! IPv4 and IPv6 fragment reassembly, bounded.
//!
//! Limits: a datagram may not exceed 65,535 bytes, at most `max_datagrams` are pending at once
//! and `max_bytes` are held in total, and pending datagrams time out after `timeout_secs` of
//! packet time (RFC 791 suggests 15 s upward; Linux uses 30 s). Every limit that drops data
//! emits an event. Overlapping fragments keep the first copy and are reported when the copies
//! differ, because that is how fragment-overlap evasion looks.

use crate::key::{new_map, Map};
use crate::table::FlowEvent;
use std::net::IpAddr;
use zonewarden_model::{AnomalyKind, Timestamp};
use zonewarden_wire::{Fragment, Vlans};

#[derive(Debug, Clone, Copy)]
pub struct DefragLimits {
    pub max_datagrams: usize,
    pub max_bytes: usize,
    pub timeout_secs: u64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_datagrams: 4096,
            max_bytes: 32 << 20,
            timeout_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
    vlans: Vlans,
}

#[derive(Debug)]
struct Pending {
    /// Pieces in arrival order: offset and bytes.
    pieces: Vec<(u32, Vec<u8>)>,
    total: Option<u32>,
    last_ts: Timestamp,
    frames: u64,
    wire_bytes: u64,
    held: usize,
}

/// A datagram put back together from its fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    pub payload: Vec<u8>,
    /// Frames that carried it, and their total length on the wire.
    pub frames: u64,
    pub wire_bytes: u64,
}

const MAX_DATAGRAM: u32 = 65_535;

#[derive(Debug)]
pub struct Defragmenter {
    pending: Map<FragKey, Pending>,
    limits: DefragLimits,
    held: usize,
    events: Vec<FlowEvent>,
    next_sweep: Timestamp,
    pub completed: u64,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Defragmenter::new(DefragLimits::default())
    }
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Self {
        Defragmenter {
            pending: new_map(),
            limits,
            held: 0,
            events: Vec::new(),
            next_sweep: Timestamp(0),
            completed: 0,
        }
    }

    pub fn take_events(&mut self) -> std::vec::Drain<'_, FlowEvent> {
        self.events.drain(..)
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Adds a fragment; returns the datagram's payload once every piece is there.
    #[allow(clippy::too_many_arguments)]
    /// `clock` is the capture clock (highest timestamp so far in the input) on which timeouts
    /// are measured.
    pub fn add(
        &mut self,
        ts: Timestamp,
        clock: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        vlans: Vlans,
        fragment: Fragment,
        data: &[u8],
        wire_len: u64,
    ) -> Option<Reassembled> {
        self.expire(clock);
        let end = fragment.offset.saturating_add(data.len() as u32);
        if end > MAX_DATAGRAM {
            self.event(format!(
                "fragment of {src} -> {dst} id {} ends at byte {end}, beyond the 65535-byte limit; dropped",
                fragment.id
            ));
            return None;
        }
        let key = FragKey {
            src,
            dst,
            id: fragment.id,
            proto,
            vlans,
        };
        // A datagram whose last fragment is older than the timeout is dead, whether or not a
        // sweep has run yet: deciding here keeps results independent of sweep timing.
        let timeout = self.limits.timeout_secs.saturating_mul(1_000_000_000);
        if let Some(stale) = self.pending.get(&key) {
            if clock.saturating_sub(stale.last_ts) > timeout {
                self.drop_pending(key);
            }
        }
        if !self.pending.contains_key(&key) && self.pending.len() >= self.limits.max_datagrams {
            self.event(format!(
                "{} fragmented datagrams pending at once: fragment of {src} -> {dst} dropped",
                self.limits.max_datagrams
            ));
            return None;
        }
        if self.held + data.len() > self.limits.max_bytes {
            self.event(format!(
                "fragment buffer cap of {} bytes reached: fragment of {src} -> {dst} dropped",
                self.limits.max_bytes
            ));
            return None;
        }
        let pending = self.pending.entry(key).or_insert_with(|| Pending {
            pieces: Vec::new(),
            total: None,
            last_ts: ts,
            frames: 0,
            wire_bytes: 0,
            held: 0,
        });
        pending.pieces.push((fragment.offset, data.to_vec()));
        pending.frames += 1;
        pending.wire_bytes += wire_len;
        pending.held += data.len();
        pending.last_ts = pending.last_ts.max(ts);
        if !fragment.more {
            pending.total = Some(end);
        }
        self.held += data.len();
        let total = pending.total?;
        let (complete, overlap_differs) = coverage(&pending.pieces, total);
        if !complete {
            return None;
        }
        let pending = self.pending.remove(&key)?;
        self.held = self.held.saturating_sub(pending.held);
        if overlap_differs {
            self.event(format!(
                "overlapping fragments with different content in {src} -> {dst} id {}: first copy kept",
                fragment.id
            ));
        }
        let mut payload = vec![0u8; total as usize];
        // Latest first, so that earlier copies overwrite later ones: first copy wins.
        for (offset, bytes) in pending.pieces.iter().rev() {
            let start = *offset as usize;
            if let Some(dst) = payload.get_mut(start..start + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
        self.completed += 1;
        Some(Reassembled {
            payload,
            frames: pending.frames,
            wire_bytes: pending.wire_bytes,
        })
    }

    fn expire(&mut self, now: Timestamp) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = Timestamp(now.0.saturating_add(1_000_000_000));
        let timeout = self.limits.timeout_secs.saturating_mul(1_000_000_000);
        let expired: Vec<FragKey> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.last_ts) > timeout)
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            self.drop_pending(key);
        }
    }

    fn drop_pending(&mut self, key: FragKey) {
        if let Some(p) = self.pending.remove(&key) {
            self.held = self.held.saturating_sub(p.held);
            self.event(format!(
                "fragments of {} -> {} id {} never completed ({} fragments, timed out)",
                key.src, key.dst, key.id, p.frames
            ));
        }
    }

    fn event(&mut self, message: String) {
        self.events.push(FlowEvent {
            kind: AnomalyKind::Fragment,
            message,
        });
    }
}

/// Whether pieces cover `0..total` without a hole, and whether any overlap disagrees.
fn coverage(pieces: &[(u32, Vec<u8>)], total: u32) -> (bool, bool) {
    let mut sorted: Vec<&(u32, Vec<u8>)> = pieces.iter().collect();
    sorted.sort_by_key(|(offset, _)| *offset);
    let mut covered = 0u32;
    let mut differs = false;
    for (i, (offset, bytes)) in sorted.iter().enumerate() {
        if *offset > covered {
            return (false, differs);
        }
        // Compare the overlap with earlier pieces that reach into this one.
        for (prev_offset, prev) in sorted.iter().take(i) {
            let prev_end = prev_offset + prev.len() as u32;
            let end = offset + bytes.len() as u32;
            let (lo, hi) = ((*offset).max(*prev_offset), end.min(prev_end));
            if lo < hi {
                let a = prev.get((lo - prev_offset) as usize..(hi - prev_offset) as usize);
                let b = bytes.get((lo - offset) as usize..(hi - offset) as usize);
                differs |= a != b;
            }
        }
        covered = covered.max(offset + bytes.len() as u32);
    }
    (covered >= total, differs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn add(d: &mut Defragmenter, offset: u32, more: bool, data: &[u8]) -> Option<Reassembled> {
        d.add(
            Timestamp(1),
            Timestamp(1),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            17,
            Vlans::default(),
            Fragment {
                id: 7,
                offset,
                more,
            },
            data,
            data.len() as u64 + 34,
        )
    }

    #[test]
    fn fragments_in_any_order_reassemble() {
        let mut d = Defragmenter::default();
        assert!(add(&mut d, 16, false, b"cccc").is_none());
        assert!(add(&mut d, 0, true, b"aaaaaaaa").is_none());
        let r = add(&mut d, 8, true, b"bbbbbbbb").unwrap();
        assert_eq!(r.payload, b"aaaaaaaabbbbbbbbcccc");
        assert_eq!(r.frames, 3);
        assert_eq!(d.held, 0);
    }

    #[test]
    fn overlapping_fragments_with_different_content_are_reported_first_copy_wins() {
        let mut d = Defragmenter::default();
        add(&mut d, 0, true, b"aaaaaaaa");
        add(&mut d, 0, true, b"XXXXXXXX");
        let r = add(&mut d, 8, false, b"bb").unwrap();
        assert_eq!(r.payload, b"aaaaaaaabb");
        let events: Vec<_> = d.take_events().collect();
        assert_eq!(events.len(), 1);
        assert!(events[0].message.contains("overlapping"));
    }

    #[test]
    fn incomplete_datagrams_time_out_with_an_event() {
        let mut d = Defragmenter::default();
        add(&mut d, 0, true, b"aaaaaaaa");
        d.expire(Timestamp(100 * 1_000_000_000));
        assert_eq!(d.pending.len(), 0);
        assert_eq!(d.held, 0);
        assert!(d
            .take_events()
            .next()
            .unwrap()
            .message
            .contains("never completed"));
    }

    #[test]
    fn oversized_datagram_is_dropped() {
        let mut d = Defragmenter::default();
        assert!(add(&mut d, 65_528, false, b"0123456789").is_none());
        assert_eq!(d.take_events().count(), 1);
    }
}
