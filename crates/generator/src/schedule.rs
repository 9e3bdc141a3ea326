//! The event loop: periodic traffic sources on a binary heap ordered by
//! time, and an output queue that releases packets in timestamp order.
//!
//! A source fires at its scheduled time and emits a short burst of packets
//! at that time and shortly after (a request and its response 1–5 ms
//! later, or a whole HTTP exchange). Those packets wait in the [`Outbox`],
//! itself a min-heap on timestamp, and are written only once the simulation
//! clock has passed them, because no source fires in the past and a source
//! never emits before its own firing time. The file is therefore strictly
//! time-ordered while every source stays simple. Memory is bounded by the
//! number of sources and the length of one burst, never by the capture size.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::{self, BufWriter, Write};

use crate::pcap_writer::PcapWriter;
use crate::plant::Plant;
use crate::spec::{GenSummary, PlantSpec, StopAt};
use crate::traffic;

/// Output buffer size: large enough that the writer issues few syscalls.
const WRITE_BUFFER: usize = 1 << 20;
/// Initial capacity of pooled frame buffers (a full-size Ethernet frame).
const FRAME_CAPACITY: usize = 1536;

/// A packet waiting for the clock to reach it.
#[derive(Debug)]
struct Queued {
    ts_us: u64,
    /// Emission order, which breaks timestamp ties deterministically and
    /// keeps same-time packets of one burst in the order they were built.
    seq: u64,
    frame: Vec<u8>,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ts_us, self.seq).cmp(&(other.ts_us, other.seq))
    }
}

/// Packets emitted but not yet written, plus a pool of frame buffers so
/// that steady-state generation does not allocate.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: BinaryHeap<Reverse<Queued>>,
    free: Vec<Vec<u8>>,
    next_seq: u64,
}

impl Outbox {
    /// Builds one frame with `build` (which receives an empty buffer) and
    /// queues it for time `ts_us`.
    pub fn emit(&mut self, ts_us: u64, build: impl FnOnce(&mut Vec<u8>)) {
        let mut frame = self
            .free
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(FRAME_CAPACITY));
        frame.clear();
        build(&mut frame);
        self.queue.push(Reverse(Queued {
            ts_us,
            seq: self.next_seq,
            frame,
        }));
        self.next_seq += 1;
    }

    fn pop_due(&mut self, up_to_us: u64) -> Option<Queued> {
        if self.queue.peek()?.0.ts_us > up_to_us {
            return None;
        }
        self.queue.pop().map(|Reverse(queued)| queued)
    }

    fn recycle(&mut self, frame: Vec<u8>) {
        self.free.push(frame);
    }
}

/// Payload buffers reused by every source.
#[derive(Debug, Default)]
pub struct Scratch {
    pub request: Vec<u8>,
    pub response: Vec<u8>,
    pub body: Vec<u8>,
}

/// What a source sees when it fires.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub plant: &'a Plant,
    pub out: &'a mut Outbox,
    pub scratch: &'a mut Scratch,
}

/// A periodic traffic source.
pub trait Source: std::fmt::Debug {
    /// Emits the packets due at `now_us` (none earlier than `now_us`) and
    /// returns when the source wants to fire next.
    fn fire(&mut self, now_us: u64, ctx: &mut Ctx<'_>) -> io::Result<u64>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Continue,
    Stop,
}

/// Generates the capture described by `spec` into `out`.
pub fn run<W: Write>(spec: &PlantSpec, out: W) -> io::Result<GenSummary> {
    let stop = spec.stop_at()?;
    let plant = Plant::build(spec)?;
    let start_us = spec.start_unix_secs * 1_000_000;
    let mut sources = traffic::sources(&plant, spec.seed, start_us)?;
    let mut agenda: BinaryHeap<Reverse<(u64, usize)>> = sources
        .iter()
        .enumerate()
        .map(|(index, (first_us, _))| Reverse((*first_us, index)))
        .collect();

    let mut writer = PcapWriter::new(BufWriter::with_capacity(WRITE_BUFFER, out))?;
    let mut outbox = Outbox::default();
    let mut scratch = Scratch::default();

    while let Some(Reverse((now_us, index))) = agenda.pop() {
        if drain(&mut outbox, &mut writer, now_us, &stop)? == Progress::Stop
            || now_us >= stop.end_ts_us
        {
            break;
        }
        let Some((_, source)) = sources.get_mut(index) else {
            continue;
        };
        let mut ctx = Ctx {
            plant: &plant,
            out: &mut outbox,
            scratch: &mut scratch,
        };
        let next_us = source.fire(now_us, &mut ctx)?;
        agenda.push(Reverse((next_us.max(now_us + 1), index)));
    }
    drain(&mut outbox, &mut writer, u64::MAX, &stop)?;

    let stats = writer.finish()?;
    Ok(GenSummary {
        packets: stats.packets,
        bytes_written: stats.bytes_written,
        first_ts_us: stats.first_ts_us,
        last_ts_us: stats.last_ts_us,
        hosts: u32::try_from(plant.host_count()).unwrap_or(u32::MAX),
    })
}

/// Writes every queued packet stamped at or before `up_to_us`, stopping
/// for good at the end time or before the record that would exceed the
/// size limit.
fn drain<W: Write>(
    outbox: &mut Outbox,
    writer: &mut PcapWriter<W>,
    up_to_us: u64,
    stop: &StopAt,
) -> io::Result<Progress> {
    while let Some(queued) = outbox.pop_due(up_to_us) {
        let record_len = PcapWriter::<W>::record_len(queued.frame.len());
        if queued.ts_us >= stop.end_ts_us || writer.bytes_written() + record_len > stop.max_bytes {
            return Ok(Progress::Stop);
        }
        writer.write_packet(queued.ts_us, &queued.frame)?;
        outbox.recycle(queued.frame);
    }
    Ok(Progress::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_releases_in_time_then_emission_order() {
        let mut outbox = Outbox::default();
        outbox.emit(30, |f| f.push(3));
        outbox.emit(10, |f| f.push(1));
        outbox.emit(30, |f| f.push(4));
        outbox.emit(20, |f| f.push(2));
        let mut order = Vec::new();
        while let Some(q) = outbox.pop_due(25) {
            order.push(q.frame[0]);
            outbox.recycle(q.frame);
        }
        assert_eq!(order, [1, 2]);
        while let Some(q) = outbox.pop_due(u64::MAX) {
            order.push(q.frame[0]);
        }
        assert_eq!(order, [1, 2, 3, 4]);
    }

    #[test]
    fn buffers_are_recycled() {
        let mut outbox = Outbox::default();
        outbox.emit(1, |f| f.extend_from_slice(&[1, 2, 3]));
        let q = outbox.pop_due(1).unwrap();
        let ptr = q.frame.as_ptr();
        outbox.recycle(q.frame);
        outbox.emit(2, |f| {
            assert!(f.is_empty());
            f.push(9);
        });
        let q = outbox.pop_due(2).unwrap();
        assert_eq!(q.frame.as_ptr(), ptr);
        assert_eq!(q.frame, [9]);
    }
}
