//! Several workers, each reading every input and keeping the packets of its shard.
//!
//! The shard is a symmetric hash of the conversation's endpoints and VLANs (`flow::shard_of`),
//! so both directions of a flow reach the same worker, in capture order. IP fragments carry no
//! ports: every worker reassembles them (they are rare) and only the owner of the completed
//! datagram's flow keeps it. Frames without IP, and frames that do not decode, belong to worker
//! 0, which also keeps the per-file books (sizes, times, capture errors). Each worker computes
//! the same capture clock because it sees every timestamp.
//!
//! Why every worker reads: handing packets from one reader thread to the workers costs a copy
//! and a cross-core transfer per packet, more than reading the (page-cached) file again and
//! skipping foreign packets after a fixed-offset look at their addresses
//! (`wire::ip_endpoints_hint`). Standard input cannot be read twice and always uses one worker.

use crate::worker::{Bookkeeper, Worker};
use crate::{InputSummary, Observer, ScanOptions};
use zonewarden_capture::{CaptureReader, InputList, Packet};
use zonewarden_flow::{shard_of, Flow, StreamConsumer};
use zonewarden_model::Timestamp;
use zonewarden_wire::{decode_frame, decode_transport, ip_endpoints_hint, Net, Transport};

/// Who handles a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Shard(usize),
    /// An IP fragment: its ports are not known until reassembly, so every worker reassembles
    /// it and only the owner of the completed datagram's flow keeps it.
    Everyone,
}

fn route(packet: &Packet<'_>, workers: usize) -> Route {
    if let Some(e) = ip_endpoints_hint(packet.link, packet.data) {
        return Route::Shard(shard_of(
            e.src, e.src_port, e.dst, e.dst_port, e.vlans, workers,
        ));
    }
    let Ok(frame) = decode_frame(packet.link, packet.data) else {
        return Route::Shard(0);
    };
    let Net::Ip(ip) = frame.net else {
        return Route::Shard(0);
    };
    if ip.fragment.is_some() {
        return Route::Everyone;
    }
    let (src_port, dst_port) = ports(ip.proto, ip.payload, ip.payload_len_on_wire);
    Route::Shard(shard_of(
        ip.src,
        src_port,
        ip.dst,
        dst_port,
        frame.vlans,
        workers,
    ))
}

/// Transport ports for sharding (0 when there are none or the header does not decode).
pub(crate) fn ports(proto: u8, payload: &[u8], wire_len: usize) -> (u16, u16) {
    match decode_transport(proto, payload, wire_len, 0) {
        Ok(Transport::Tcp(t)) => (t.src_port, t.dst_port),
        Ok(Transport::Udp(u)) => (u.src_port, u.dst_port),
        _ => (0, 0),
    }
}

/// Passes progress on but not flows: flows of all shards are reported together at the end.
struct ProgressOnly<'a>(&'a mut dyn Observer);

impl Observer for ProgressOnly<'_> {
    fn flow(&mut self, _flow: &Flow) {}
    fn progress(&mut self, position: u64) {
        self.0.progress(position);
    }
    fn input(&mut self, index: usize, path: &str) {
        self.0.input(index, path);
    }
}

pub(crate) fn run<C, F>(
    inputs: &InputList,
    options: &ScanOptions,
    threads: usize,
    summaries: &mut [InputSummary],
    observer: &mut dyn Observer,
    make_consumer: &F,
) -> Vec<Worker<C>>
where
    C: StreamConsumer + Send,
    C::State: Send,
    F: Fn(usize) -> C + Sync,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads)
            .map(|shard| {
                scope.spawn(move || {
                    let mut worker =
                        Worker::new(make_consumer(shard), options, true).sharded(shard, threads);
                    let mut ignored = vec![InputSummary::default(); inputs.inputs.len()];
                    run_shard(
                        &mut worker,
                        inputs,
                        shard,
                        threads,
                        &mut ignored,
                        &mut crate::Silent,
                    );
                    worker.finish(&mut crate::Silent);
                    worker
                })
            })
            .collect();
        let mut first = Worker::new(make_consumer(0), options, true).sharded(0, threads);
        let mut progress = ProgressOnly(observer);
        run_shard(&mut first, inputs, 0, threads, summaries, &mut progress);
        first.finish(&mut progress);
        let mut workers = vec![first];
        workers.extend(handles.into_iter().filter_map(|h| h.join().ok()));
        workers
    })
}

fn run_shard<C: StreamConsumer>(
    worker: &mut Worker<C>,
    inputs: &InputList,
    shard: usize,
    shards: usize,
    summaries: &mut [InputSummary],
    observer: &mut dyn Observer,
) {
    let keeps_books = shard == 0;
    let mut clock = Timestamp(0);
    for (index, (input, summary)) in inputs.inputs.iter().zip(summaries.iter_mut()).enumerate() {
        observer.input(index, &input.path.display().to_string());
        let mut reader = match CaptureReader::open(&input.path) {
            Ok(reader) => reader,
            Err(e) => {
                summary.opened = false;
                if keeps_books {
                    Bookkeeper::capture_error(index, summary, &mut worker.anomalies, &e);
                }
                continue;
            }
        };
        summary.opened = true;
        worker.set_file(index, reader.name());
        let mut book = Bookkeeper::default();
        let mut since_progress = 0u32;
        loop {
            let packet = match reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                Err(e) => {
                    if keeps_books {
                        Bookkeeper::capture_error(index, summary, &mut worker.anomalies, &e);
                    }
                    continue;
                }
            };
            clock = clock.max(packet.ts);
            if keeps_books {
                book.account(
                    index,
                    summary,
                    &mut worker.counters,
                    &mut worker.anomalies,
                    &packet,
                );
            }
            let mine = match route(&packet, shards) {
                Route::Shard(owner) => owner == shard,
                Route::Everyone => true,
            };
            if mine {
                worker.process(&packet, clock);
                worker.drain(observer, Some(&packet));
            }
            since_progress += 1;
            if keeps_books && since_progress >= 1 << 16 {
                since_progress = 0;
                observer.progress(reader.position());
            }
        }
        if keeps_books {
            book.finish(
                index,
                &reader,
                summary,
                &mut worker.counters,
                &mut worker.anomalies,
            );
            observer.progress(reader.position());
        }
    }
}
