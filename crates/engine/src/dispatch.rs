//! Several workers: the calling thread reads the captures, keeps the per-file books, and sends
//! each packet to the worker that owns its address pair, in batches.
//!
//! The shard is a symmetric hash of the IP address pair and VLANs (`flow::shard_of`), so both
//! directions of a flow and every fragment of a datagram reach the same worker, in capture
//! order. Frames without IP, and frames that do not decode, go to worker 0. Batches are copied
//! into recycled buffers and the channels are bounded, so memory stays constant however large
//! the capture.

use crate::anomalies::AnomalyLog;
use crate::worker::{Bookkeeper, Worker};
use crate::{Counters, InputSummary, Observer, ScanOptions};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use zonewarden_capture::{CaptureReader, InputList, Packet};
use zonewarden_flow::{shard_of, StreamConsumer};
use zonewarden_model::Timestamp;
use zonewarden_wire::{decode_frame, ip_endpoints_hint, LinkType, Net};

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

/// Picks the worker for a packet.
fn route(packet: &Packet<'_>, workers: usize) -> usize {
    if let Some((src, dst, vlans)) = ip_endpoints_hint(packet.link, packet.data) {
        return shard_of(src, dst, vlans, workers);
    }
    match decode_frame(packet.link, packet.data) {
        Ok(frame) => match frame.net {
            Net::Ip(ip) => shard_of(ip.src, ip.dst, frame.vlans, workers),
            _ => 0,
        },
        Err(_) => 0,
    }
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
            handles
                .push(scope.spawn(move || work(Worker::new(consumer, options, true), rx, recycle)));
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
            let shard = route(&packet, workers);
            if let Some(batch) = batches.get_mut(shard) {
                batch.push(&packet, clock);
                if batch.is_full() {
                    send(shard, batch);
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
