//! Several workers fed by one reader: the calling thread reads the captures, keeps the per-file
//! books, and sends each packet to the worker that owns its flow, in batches.
//!
//! The owner is chosen by a symmetric hash of the conversation's endpoints and VLANs
//! (`wire::conversation_hash`), so both directions of a flow reach the same worker, in capture
//! order. IP fragments carry no ports: they go to every worker, each reassembles them (they are
//! rare) and only the owner of the completed datagram's flow keeps it. Frames without IP, and
//! frames that do not decode, go to worker 0. The reader's capture clock travels with each
//! packet so that every worker measures idle time alike.
//!
//! Packets are copied into recycled batch buffers and the channels are bounded, so memory stays
//! constant however large the capture. Why a reader thread rather than every worker reading the
//! file and skipping foreign packets: measured, reading and routing is about half of the
//! per-packet cost of the flow stage, and repeating it in every worker cancelled the gain.

use crate::anomalies::AnomalyLog;
use crate::worker::{Bookkeeper, Worker};
use crate::{Counters, InputSummary, Observer, ScanOptions};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use zonewarden_capture::{CaptureReader, InputList, Packet};
use zonewarden_flow::{shard_of, shard_of_hash, StreamConsumer};
use zonewarden_model::Timestamp;
use zonewarden_wire::{
    conversation_hash_hint, decode_frame, decode_transport, LinkType, Net, Transport,
};

/// Who handles a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Shard(usize),
    /// An IP fragment: its ports are not known until reassembly, so every worker reassembles
    /// it and only the owner of the completed datagram's flow keeps it.
    Everyone,
}

pub(crate) fn route(packet: &Packet<'_>, workers: usize) -> Route {
    if let Some(hash) = conversation_hash_hint(packet.link, packet.data) {
        return Route::Shard(shard_of_hash(hash, workers));
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

/// Bytes of packet data per batch before it is sent.
const BATCH_BYTES: usize = 256 << 10;
/// Packets per batch before it is sent.
const BATCH_PACKETS: usize = 2048;
/// Batches in flight per worker.
const QUEUE_DEPTH: usize = 4;

#[derive(Debug, Clone, Copy)]
struct Record {
    number: u64,
    offset: u64,
    ts: Timestamp,
    /// The reader's capture clock when this packet was read.
    clock: Timestamp,
    link: LinkType,
    interface: u32,
    orig_len: u32,
    start: u32,
    len: u32,
}

#[derive(Debug, Default)]
struct Batch {
    data: Vec<u8>,
    records: Vec<Record>,
}

impl Batch {
    fn push(&mut self, packet: &Packet<'_>, clock: Timestamp) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(packet.data);
        self.records.push(Record {
            number: packet.number,
            offset: packet.offset,
            ts: packet.ts,
            clock,
            link: packet.link,
            interface: packet.interface,
            orig_len: packet.orig_len,
            start,
            len: packet.data.len() as u32,
        });
    }

    fn is_full(&self) -> bool {
        self.data.len() >= BATCH_BYTES || self.records.len() >= BATCH_PACKETS
    }

    fn clear(&mut self) {
        self.data.clear();
        self.records.clear();
    }
}

enum Message {
    /// The following packets come from this input.
    File(usize, String),
    Packets(Batch),
}

/// What the reading thread kept while workers processed.
pub(crate) struct ReaderBooks {
    pub counters: Counters,
    pub anomalies: AnomalyLog,
}

pub(crate) fn run<C, F>(
    inputs: &InputList,
    options: &ScanOptions,
    threads: usize,
    summaries: &mut [InputSummary],
    observer: &mut dyn Observer,
    make_consumer: &F,
) -> (Vec<Worker<C>>, ReaderBooks)
where
    C: StreamConsumer + Send,
    C::State: Send,
    F: Fn(usize) -> C + Sync,
{
    let (recycle_tx, recycle_rx) = channel::<Batch>();
    std::thread::scope(|scope| {
        let mut senders: Vec<SyncSender<Message>> = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        for shard in 0..threads {
            let (tx, rx) = sync_channel::<Message>(QUEUE_DEPTH);
            senders.push(tx);
            let recycle = recycle_tx.clone();
            let consumer = make_consumer(shard);
            let worker = Worker::new(consumer, options, true).sharded(shard, threads);
            handles.push(scope.spawn(move || work(worker, rx, recycle)));
        }
        drop(recycle_tx);
        let books = read_all(inputs, summaries, observer, &senders, &recycle_rx);
        drop(senders);
        let workers: Vec<Worker<C>> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        (workers, books)
    })
}

fn work<C: StreamConsumer>(
    mut worker: Worker<C>,
    rx: Receiver<Message>,
    recycle: Sender<Batch>,
) -> Worker<C> {
    let mut silent = crate::Silent;
    for message in rx {
        match message {
            Message::File(index, name) => worker.set_file(index, &name),
            Message::Packets(mut batch) => {
                for r in &batch.records {
                    let start = r.start as usize;
                    let data = batch
                        .data
                        .get(start..start + r.len as usize)
                        .unwrap_or_default();
                    let packet = Packet {
                        number: r.number,
                        offset: r.offset,
                        ts: r.ts,
                        link: r.link,
                        interface: r.interface,
                        data,
                        orig_len: r.orig_len,
                    };
                    worker.process(&packet, r.clock);
                    worker.drain(&mut silent, Some(&packet));
                }
                batch.clear();
                // The reader may have finished; then the buffer is simply dropped.
                let _ = recycle.send(batch);
            }
        }
    }
    worker.finish(&mut silent);
    worker
}

fn read_all(
    inputs: &InputList,
    summaries: &mut [InputSummary],
    observer: &mut dyn Observer,
    senders: &[SyncSender<Message>],
    recycle: &Receiver<Batch>,
) -> ReaderBooks {
    let workers = senders.len();
    let mut books = ReaderBooks {
        counters: Counters::default(),
        anomalies: AnomalyLog::default(),
    };
    let mut batches: Vec<Batch> = (0..workers).map(|_| Batch::default()).collect();
    let mut clock = Timestamp(0);
    let send = |shard: usize, batch: &mut Batch| {
        let fresh = recycle.try_recv().unwrap_or_default();
        let full = std::mem::replace(batch, fresh);
        if let Some(tx) = senders.get(shard) {
            let _ = tx.send(Message::Packets(full));
        }
    };
    for (index, (input, summary)) in inputs.inputs.iter().zip(summaries.iter_mut()).enumerate() {
        observer.input(index, &input.path.display().to_string());
        let mut reader = match CaptureReader::open(&input.path) {
            Ok(reader) => reader,
            Err(e) => {
                summary.opened = false;
                Bookkeeper::capture_error(index, summary, &mut books.anomalies, &e);
                continue;
            }
        };
        summary.opened = true;
        for tx in senders {
            let _ = tx.send(Message::File(index, reader.name().to_string()));
        }
        let mut book = Bookkeeper::default();
        let mut since_progress = 0u32;
        loop {
            let packet = match reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                Err(e) => {
                    Bookkeeper::capture_error(index, summary, &mut books.anomalies, &e);
                    continue;
                }
            };
            book.account(
                index,
                summary,
                &mut books.counters,
                &mut books.anomalies,
                &packet,
            );
            clock = clock.max(packet.ts);
            let targets = match route(&packet, workers) {
                Route::Shard(shard) => shard..shard + 1,
                Route::Everyone => 0..workers,
            };
            for shard in targets {
                if let Some(batch) = batches.get_mut(shard) {
                    batch.push(&packet, clock);
                    if batch.is_full() {
                        send(shard, batch);
                    }
                }
            }
            since_progress += 1;
            if since_progress == 1 << 16 {
                since_progress = 0;
                observer.progress(reader.position());
            }
        }
        // Flush before the next file's marker so that packets keep their file.
        for (shard, batch) in batches.iter_mut().enumerate() {
            if !batch.records.is_empty() {
                send(shard, batch);
            }
        }
        book.finish(
            index,
            &reader,
            summary,
            &mut books.counters,
            &mut books.anomalies,
        );
        observer.progress(reader.position());
    }
    books
}
