//! Several workers sharing the reading: each worker thread, when its own work runs out, reads
//! the next chunk of packets from the captures (one reader at a time, under a lock), sorts the
//! chunk's packets by owner and publishes it; every worker then processes its share of each
//! chunk, in chunk order.
//!
//! The owner is chosen by a symmetric hash of the conversation's endpoints and VLANs
//! (`wire::conversation_hash`), so both directions of a flow reach the same worker, in capture
//! order. IP fragments carry no ports: they go to every worker, each reassembles them (they are
//! rare) and only the owner of the completed datagram's flow keeps it. Frames without IP, and
//! frames that do not decode, go to worker 0. The reader's capture clock travels with each
//! packet so that every worker measures idle time alike.
//!
//! Why no dedicated reader thread: with one, reading and routing every packet ran on one core
//! while the workers shared the other; measured, that made two workers only 1.26 times as fast
//! as one. Reading in whichever worker is idle spreads that cost over all cores, and handing
//! over whole chunks costs less than handing over packets one by one. Packets are not copied:
//! a chunk holds the reader's buffers (`CaptureReader::next_shared_packet`). Chunks are
//! recycled and only two per worker are in flight, so memory stays constant however large
//! the capture.

use crate::anomalies::AnomalyLog;
use crate::worker::{Bookkeeper, Worker};
use crate::{Counters, InputSummary, Observer, ScanOptions};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use zonewarden_capture::{CaptureReader, InputList, Packet, SharedPacket};
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

fn route_data(link: LinkType, data: &[u8], workers: usize) -> Route {
    if let Some(hash) = conversation_hash_hint(link, data) {
        return Route::Shard(shard_of_hash(hash, workers));
    }
    let Ok(frame) = decode_frame(link, data) else {
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

/// Packet data per chunk: large enough that the locks are taken once per thousands of packets.
const CHUNK_BYTES: usize = if cfg!(test) { 2 << 10 } else { 1 << 20 };
/// Packets per chunk.
const CHUNK_PACKETS: usize = if cfg!(test) { 16 } else { 8192 };
/// Chunks read and not yet processed by every worker, per worker: enough that a worker never
/// waits for a reader while another one reads, few enough to keep memory flat.
const CHUNKS_PER_WORKER: usize = 2;

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
    /// The packet's bytes: `buffers[buffer][start..start + len]` of its chunk.
    buffer: u32,
    start: u32,
    len: u32,
}

/// Consecutive packets of one input, with each worker's share.
#[derive(Debug, Default)]
struct Chunk {
    /// Input index; the first chunk of each input starts it (and may be empty: an input that
    /// could not be opened still tells the observer).
    file: usize,
    starts_file: bool,
    /// Read position in the input after this chunk, for progress.
    position: u64,
    /// The reader's buffers that the packets lie in (shared, not copied).
    buffers: Vec<Arc<Vec<u8>>>,
    /// Bytes of packet data in the chunk.
    bytes: usize,
    /// Packets in the chunk.
    packets: usize,
    /// Each worker's packets, in capture order. A worker walks its own records front to back
    /// instead of picking its packets out of one list: fewer cache lines per packet.
    shares: Vec<Vec<Record>>,
}

impl Chunk {
    /// Adds a packet to the share of the worker that owns it. Routed here, while the packet's
    /// headers are in cache: a second pass over the chunk missed the cache on most of them.
    fn push(&mut self, shared: &SharedPacket<'_>, clock: Timestamp, workers: usize) {
        let packet = &shared.packet;
        if !self
            .buffers
            .last()
            .is_some_and(|held| Arc::ptr_eq(held, shared.buffer))
        {
            self.buffers.push(Arc::clone(shared.buffer));
        }
        self.bytes += packet.data.len();
        self.packets += 1;
        let record = Record {
            number: packet.number,
            offset: packet.offset,
            ts: packet.ts,
            clock,
            link: packet.link,
            interface: packet.interface,
            orig_len: packet.orig_len,
            buffer: self.buffers.len().saturating_sub(1) as u32,
            start: shared.start as u32,
            len: packet.data.len() as u32,
        };
        match route_data(packet.link, packet.data, workers) {
            Route::Shard(shard) => {
                if let Some(share) = self.shares.get_mut(shard) {
                    share.push(record);
                }
            }
            Route::Everyone => {
                for share in &mut self.shares {
                    share.push(record);
                }
            }
        }
    }

    fn is_full(&self) -> bool {
        self.bytes >= CHUNK_BYTES || self.packets >= CHUNK_PACKETS
    }

    fn packet(&self, r: &Record) -> Packet<'_> {
        let start = r.start as usize;
        Packet {
            number: r.number,
            offset: r.offset,
            ts: r.ts,
            link: r.link,
            interface: r.interface,
            data: self
                .buffers
                .get(r.buffer as usize)
                .and_then(|b| b.get(start..start + r.len as usize))
                .unwrap_or_default(),
            orig_len: r.orig_len,
        }
    }

    fn reset(&mut self) {
        self.buffers.clear();
        self.bytes = 0;
        self.packets = 0;
        for share in &mut self.shares {
            share.clear();
        }
        self.starts_file = false;
    }
}

/// What the reading threads kept while workers processed.
pub(crate) struct ReaderBooks {
    pub counters: Counters,
    pub anomalies: AnomalyLog,
}

/// The captures being read: held by one worker at a time.
struct Reading<'a> {
    inputs: &'a InputList,
    summaries: &'a mut [InputSummary],
    books: ReaderBooks,
    /// The input open now, with its books.
    current: Option<(usize, CaptureReader, Bookkeeper)>,
    /// Next input to open.
    next_input: usize,
    clock: Timestamp,
    workers: usize,
    window: crate::WindowFilter,
}

impl Reading<'_> {
    /// Fills `chunk` with the next packets of one input; false when every input is read.
    fn read_chunk(&mut self, chunk: &mut Chunk) -> bool {
        chunk.reset();
        chunk.shares.resize_with(self.workers, Vec::new);
        loop {
            let Some((index, reader, book)) = self.current.as_mut() else {
                let index = self.next_input;
                let Some(input) = self.inputs.inputs.get(index) else {
                    return false;
                };
                self.next_input += 1;
                chunk.file = index;
                chunk.starts_file = true;
                chunk.position = 0;
                let Some(summary) = self.summaries.get_mut(index) else {
                    return false;
                };
                match CaptureReader::open(&input.path) {
                    Ok(reader) => {
                        summary.opened = true;
                        self.current = Some((index, reader, Bookkeeper::default()));
                        continue;
                    }
                    Err(e) => {
                        summary.opened = false;
                        Bookkeeper::capture_error(index, summary, &mut self.books.anomalies, &e);
                        // An empty chunk, so that the observer hears of the input.
                        return true;
                    }
                }
            };
            let index = *index;
            chunk.file = index;
            let Some(summary) = self.summaries.get_mut(index) else {
                return false;
            };
            loop {
                match reader.next_shared_packet() {
                    Ok(Some(shared)) => {
                        let packet = shared.packet;
                        book.account(
                            index,
                            summary,
                            &mut self.books.counters,
                            &mut self.books.anomalies,
                            &packet,
                        );
                        self.clock = self.clock.max(packet.ts);
                        if !self.window.admits(packet.ts) {
                            continue;
                        }
                        chunk.push(&shared, self.clock, self.workers);
                        if chunk.is_full() {
                            chunk.position = reader.position();
                            return true;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        Bookkeeper::capture_error(index, summary, &mut self.books.anomalies, &e)
                    }
                }
            }
            // The input is done: close its books; its last packets go out in this chunk.
            if let Some((index, reader, book)) = self.current.take() {
                chunk.position = reader.position();
                book.finish(
                    index,
                    &reader,
                    summary,
                    &mut self.books.counters,
                    &mut self.books.anomalies,
                );
            }
            return true;
        }
    }
}

/// Chunks between reading and processing.
struct Board {
    /// Published chunks by sequence number, from `base`; `None` while one is being read.
    slots: std::collections::VecDeque<Option<Arc<Chunk>>>,
    base: u64,
    /// Sequence number of the next chunk to read.
    next_seq: u64,
    /// Per worker, the next chunk it processes.
    next: Vec<u64>,
    /// Set when every input is read: the number of chunks there are.
    total: Option<u64>,
    /// Emptied chunks for reuse.
    pool: Vec<Chunk>,
    /// A worker is reading: one at a time, so chunks are read in sequence order.
    reading: bool,
    /// Workers waiting on `Shared::changed`: with none, a change wakes nobody and the wake-up
    /// system call is skipped.
    waiting: usize,
}

impl Board {
    /// Drops the chunks every worker has processed.
    fn release(&mut self) {
        let done = self.next.iter().copied().min().unwrap_or(0);
        while self.base < done {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            self.base += 1;
            if let Some(Ok(mut chunk)) = slot.map(Arc::try_unwrap) {
                // Let go of the reader's buffers now, so that it can reuse them.
                chunk.reset();
                self.pool.push(chunk);
            }
        }
    }
}

struct Shared<'a> {
    inputs: &'a InputList,
    reading: Mutex<Reading<'a>>,
    board: Mutex<Board>,
    changed: Condvar,
    workers: usize,
}

enum Task {
    Process(u64, Arc<Chunk>),
    Read(u64, Chunk),
    Done,
}

impl Shared<'_> {
    fn board(&self) -> MutexGuard<'_, Board> {
        self.board
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What worker `shard` does next: its own next chunk when published, else reading a new
    /// one when there is room, else waiting.
    fn next_task(&self, shard: usize) -> Task {
        let mut board = self.board();
        loop {
            let mine = board.next.get(shard).copied().unwrap_or(u64::MAX);
            if board.total.is_some_and(|total| mine >= total) {
                return Task::Done;
            }
            let published = mine
                .checked_sub(board.base)
                .and_then(|i| board.slots.get(i as usize))
                .and_then(|slot| slot.clone());
            let in_flight = board.slots.len();
            let can_read = board.total.is_none()
                && !board.reading
                && in_flight < CHUNKS_PER_WORKER * self.workers;
            // Chunks reserved from this worker's next one on. Reading ahead while few are
            // queued keeps the workers from processing the same chunk in lockstep and then
            // all waiting for the next one.
            let queued = (board.base + in_flight as u64).saturating_sub(mine);
            // Only the worker furthest ahead reads ahead: the one with the lighter share.
            // Conversations are never split evenly (on the plant benchmark the two busiest
            // carry 9% of the packets each), and reading is about a third of the work, so
            // giving the reading to the lighter worker evens out much of an uneven split.
            let furthest_ahead = board.next.iter().all(|&other| mine >= other);
            if can_read
                && (published.is_none() || (furthest_ahead && queued <= self.workers as u64))
            {
                board.reading = true;
                let seq = board.next_seq;
                board.next_seq += 1;
                board.slots.push_back(None);
                let chunk = board.pool.pop().unwrap_or_default();
                return Task::Read(seq, chunk);
            }
            if let Some(chunk) = published {
                return Task::Process(mine, chunk);
            }
            board.waiting += 1;
            board = self
                .changed
                .wait(board)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            board.waiting -= 1;
        }
    }

    /// Reads, sorts and publishes chunk `seq`.
    fn read(&self, seq: u64, mut chunk: Chunk) {
        let more = {
            let mut reading = self
                .reading
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            reading.read_chunk(&mut chunk)
        };
        let mut board = self.board();
        board.reading = false;
        if more {
            if let Some(slot) = seq
                .checked_sub(board.base)
                .and_then(|i| board.slots.get_mut(i as usize))
            {
                *slot = Some(Arc::new(chunk));
            }
        } else {
            // Every input is read: the slot reserved for this chunk stays empty.
            board.total = Some(seq);
            let keep = seq.saturating_sub(board.base) as usize;
            board.slots.truncate(keep);
            chunk.reset();
            board.pool.push(chunk);
        }
        self.wake_waiters(board);
    }

    /// Releases the board after a change and wakes the workers waiting for one.
    fn wake_waiters(&self, board: MutexGuard<'_, Board>) {
        let anyone_waiting = board.waiting > 0;
        drop(board);
        if anyone_waiting {
            self.changed.notify_all();
        }
    }

    /// Marks chunk `seq` processed by worker `shard`.
    fn processed(&self, shard: usize, seq: u64, chunk: Arc<Chunk>) {
        drop(chunk);
        let mut board = self.board();
        if let Some(next) = board.next.get_mut(shard) {
            *next = seq + 1;
        }
        board.release();
        self.wake_waiters(board);
    }
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
    let shared = Shared {
        inputs,
        reading: Mutex::new(Reading {
            inputs,
            summaries,
            books: ReaderBooks {
                counters: Counters::default(),
                anomalies: AnomalyLog::default(),
            },
            current: None,
            next_input: 0,
            clock: Timestamp(0),
            workers: threads,
            window: crate::WindowFilter::new(options.window),
        }),
        board: Mutex::new(Board {
            slots: std::collections::VecDeque::new(),
            base: 0,
            next_seq: 0,
            next: vec![0; threads],
            total: None,
            pool: Vec::new(),
            reading: false,
            waiting: 0,
        }),
        changed: Condvar::new(),
        workers: threads,
    };
    let mut workers: Vec<Worker<C>> = std::thread::scope(|scope| {
        let shared = &shared;
        let handles: Vec<_> = (1..threads)
            .map(|shard| {
                let worker =
                    Worker::new(make_consumer(shard), options, true).sharded(shard, threads);
                scope.spawn(move || work(worker, shard, shared, &mut crate::Silent))
            })
            .collect();
        // Worker 0 runs here: it sees every chunk in order, so it speaks to the observer.
        let first = Worker::new(make_consumer(0), options, true).sharded(0, threads);
        let first = work(first, 0, shared, observer);
        std::iter::once(first)
            .chain(handles.into_iter().filter_map(|h| h.join().ok()))
            .collect()
    });
    workers.truncate(threads);
    let reading = shared
        .reading
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    (workers, reading.books)
}

fn work<C: StreamConsumer>(
    mut worker: Worker<C>,
    shard: usize,
    shared: &Shared<'_>,
    observer: &mut dyn Observer,
) -> Worker<C> {
    let mut silent = crate::Silent;
    let mut file = usize::MAX;
    loop {
        match shared.next_task(shard) {
            Task::Done => break,
            Task::Read(seq, chunk) => shared.read(seq, chunk),
            Task::Process(seq, chunk) => {
                if chunk.file != file || chunk.starts_file {
                    file = chunk.file;
                    let name = shared_name(shared, file);
                    if chunk.starts_file {
                        observer.input(file, &name);
                    }
                    worker.set_file(file, &name);
                }
                for r in chunk
                    .shares
                    .get(shard)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    let packet = chunk.packet(r);
                    worker.process(&packet, r.clock);
                    worker.drain(&mut silent, Some(&packet));
                }
                observer.progress(chunk.position);
                shared.processed(shard, seq, chunk);
            }
        }
    }
    worker.finish(&mut silent);
    worker
}

/// The name anomalies use for input `file`: the path as given.
fn shared_name(shared: &Shared<'_>, file: usize) -> String {
    shared
        .inputs
        .inputs
        .get(file)
        .map(|i| i.path.display().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::{scan, ScanOptions, Silent};
    use zonewarden_capture::expand_inputs;

    /// Chunks are tiny in tests (16 packets), so a small plant capture crosses thousands of
    /// chunk boundaries, workers read and process out of step, and inputs end mid-chunk.
    #[test]
    fn several_workers_give_the_report_of_one_across_many_chunks_and_inputs() {
        let dir = std::env::temp_dir().join(format!("zw-dispatch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut paths = Vec::new();
        for (seed, kib) in [(1u64, 600u64), (2, 37)] {
            let path = dir.join(format!("plant-{seed}.pcap"));
            let spec = zonewarden_generator::PlantSpec {
                seed,
                duration_secs: None,
                target_bytes: Some(kib << 10),
                ..Default::default()
            };
            let file = std::fs::File::create(&path).unwrap();
            zonewarden_generator::write_pcap(&spec, std::io::BufWriter::new(file)).unwrap();
            paths.push(path);
        }
        // An input that is not a capture sits between the two.
        let junk = dir.join("junk.pcap");
        std::fs::write(&junk, b"not a capture at all").unwrap();
        paths.insert(1, junk);
        let inputs = expand_inputs(&paths);
        let report = |threads: usize| {
            let options = ScanOptions {
                threads,
                ..ScanOptions::default()
            };
            let r = scan(&inputs, &options, &mut Silent);
            assert!(r.counters.packets > 5_000, "{}", r.counters.packets);
            // Flow ids count per worker; everything else must match.
            let mut flows = r.flows.clone();
            for flow in &mut flows {
                flow.id = 0;
            }
            format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                r.inputs, r.counters, flows, r.hosts, r.l2_conversations, r.anomalies
            )
        };
        let one = report(1);
        assert!(one.contains("junk.pcap"));
        for threads in [2, 3] {
            let many = report(threads);
            assert!(
                one == many,
                "{threads} workers differ from one:\n{}",
                first_difference(&one, &many)
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    fn first_difference(a: &str, b: &str) -> String {
        let at = a
            .bytes()
            .zip(b.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let from = at.saturating_sub(200);
        format!(
            "{}\n---\n{}",
            a.get(from..(at + 200).min(a.len())).unwrap_or_default(),
            b.get(from..(at + 200).min(b.len())).unwrap_or_default()
        )
    }
}
