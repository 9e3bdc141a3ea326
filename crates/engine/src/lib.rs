//! The pipeline: captures → decoded frames → defragmented IP → flows and reassembled streams.
//!
//! [`scan`] reads every input in order with one or several workers and returns a
//! [`ScanReport`]. With one worker everything runs in the calling thread. With several (the
//! calling thread is the first), an idle worker reads the next chunk of packets and sorts it
//! by the worker that owns each packet's flow (a symmetric hash of the endpoints, so both
//! directions meet on one worker; see `dispatch.rs`). Results are merged and sorted, so the
//! report is identical for any number of workers.
//!
//! Invariants: nothing here panics on input; capture damage and malformed packets become
//! anomalies with a file and packet position and the scan goes on; memory is bounded by the
//! flow state, not by the size of the captures.

mod anomalies;
mod dispatch;
mod hosts;
mod worker;

pub use anomalies::{AnomalyLog, KEPT_PER_FILE_AND_KIND};
pub use hosts::{is_host_ip, is_unicast_mac, Host, HostTable};

use std::collections::BTreeMap;
use zonewarden_capture::{CaptureReader, InputList};
use zonewarden_flow::{
    DefragLimits, Flow, FlowConfig, L2Conversation, L2Table, NullConsumer, StreamConsumer,
};
use zonewarden_model::{Anomaly, AnomalyKind, Position, Timestamp};

use worker::Worker;

/// How to scan.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    pub flow: FlowConfig,
    pub defrag: DefragLimits,
    /// Workers; 1 reads in the calling thread. Standard input always uses one.
    pub threads: usize,
    /// Keep every finished flow in the report (off for streaming output of huge captures).
    pub keep_flows: bool,
    /// Which packets are processed (all are counted in the input summaries).
    pub window: PacketWindow,
}

/// Where a learning period ends: capture time after the first packet, or a packet count,
/// over all inputs in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    Nanos(u64),
    Packets(u64),
}

/// Which packets of the inputs a scan processes: detection learns from the first part of a
/// capture and watches the rest, two scans over the same files with packet numbers intact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PacketWindow {
    #[default]
    All,
    /// The packets before the boundary.
    Before(Boundary),
    /// The packets from the boundary on.
    From(Boundary),
}

/// Decides packet by packet, in reading order, whether a packet is in the window.
#[derive(Debug, Default)]
pub(crate) struct WindowFilter {
    window: PacketWindow,
    first_ts: Option<Timestamp>,
    seen: u64,
}

impl WindowFilter {
    pub(crate) fn new(window: PacketWindow) -> Self {
        WindowFilter {
            window,
            first_ts: None,
            seen: 0,
        }
    }

    pub(crate) fn admits(&mut self, ts: Timestamp) -> bool {
        let boundary = match self.window {
            PacketWindow::All => return true,
            PacketWindow::Before(b) | PacketWindow::From(b) => b,
        };
        let first = *self.first_ts.get_or_insert(ts);
        self.seen += 1;
        let before = match boundary {
            Boundary::Nanos(n) => ts.0 < first.0.saturating_add(n),
            Boundary::Packets(n) => self.seen <= n,
        };
        matches!(self.window, PacketWindow::Before(_)) == before
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            flow: FlowConfig::default(),
            defrag: DefragLimits::default(),
            threads: 1,
            keep_flows: true,
            window: PacketWindow::All,
        }
    }
}

/// Totals over all inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub packets: u64,
    /// Bytes on the wire (original frame lengths), as Wireshark's statistics count them.
    pub bytes: u64,
    /// Bytes actually in the capture.
    pub captured_bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub flows_tcp: u64,
    pub flows_udp: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub arp: u64,
    pub other_l2: u64,
    pub tcp_packets: u64,
    pub udp_packets: u64,
    pub icmp_packets: u64,
    pub other_ip_packets: u64,
    pub fragments: u64,
    pub datagrams_reassembled: u64,
    pub decode_errors: u64,
    pub unknown_link: u64,
    pub snaplen_truncated: u64,
    pub tcp_gaps: u64,
    pub tcp_gap_bytes: u64,
    pub reassembled_bytes: u64,
}

impl Counters {
    fn merge(&mut self, o: &Counters) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.captured_bytes += o.captured_bytes;
        self.first_ts = min_opt(self.first_ts, o.first_ts);
        self.last_ts = max_opt(self.last_ts, o.last_ts);
        self.flows_tcp += o.flows_tcp;
        self.flows_udp += o.flows_udp;
        self.ipv4 += o.ipv4;
        self.ipv6 += o.ipv6;
        self.arp += o.arp;
        self.other_l2 += o.other_l2;
        self.tcp_packets += o.tcp_packets;
        self.udp_packets += o.udp_packets;
        self.icmp_packets += o.icmp_packets;
        self.other_ip_packets += o.other_ip_packets;
        self.fragments += o.fragments;
        self.datagrams_reassembled += o.datagrams_reassembled;
        self.decode_errors += o.decode_errors;
        self.unknown_link += o.unknown_link;
        self.snaplen_truncated += o.snaplen_truncated;
        self.tcp_gaps += o.tcp_gaps;
        self.tcp_gap_bytes += o.tcp_gap_bytes;
        self.reassembled_bytes += o.reassembled_bytes;
    }
}

pub(crate) fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What one input file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputSummary {
    pub path: String,
    pub format: &'static str,
    pub compression: Option<&'static str>,
    pub link_types: Vec<String>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Capture-level errors (damaged records, truncation, unreadable file).
    pub errors: u64,
    /// False when the file could not be opened or read at all.
    pub opened: bool,
}

/// The result of a scan, in stable order.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub inputs: Vec<InputSummary>,
    pub counters: Counters,
    pub hosts: Vec<Host>,
    /// Ordered by first packet time, then key.
    pub flows: Vec<Flow>,
    pub l2_conversations: Vec<L2Conversation>,
    pub l2_overflow_packets: u64,
    /// Anomalies kept in full, ordered by input, packet and offset.
    pub anomalies: Vec<Anomaly>,
    pub anomalies_total: u64,
    pub anomalies_by_kind: BTreeMap<AnomalyKind, u64>,
    /// Files passed over in directories because they are not captures.
    pub skipped_non_captures: Vec<String>,
}

impl ScanReport {
    /// True when some input could not be read completely: exit code 1.
    pub fn had_unreadable_input(&self) -> bool {
        self.inputs.iter().any(|i| i.errors > 0 || !i.opened)
    }
}

/// Hears about the scan while it runs.
pub trait Observer {
    /// A flow ended (single worker: as it happens; several: at the end).
    fn flow(&mut self, _flow: &Flow) {}
    /// Bytes read so far in the current input.
    fn progress(&mut self, _position: u64) {}
    /// A new input starts.
    fn input(&mut self, _index: usize, _path: &str) {}
}

/// An observer that hears nothing.
#[derive(Debug, Default)]
pub struct Silent;
impl Observer for Silent {}

/// Scans the inputs with flow tracking and reassembly only (no dissectors attached).
pub fn scan(inputs: &InputList, options: &ScanOptions, observer: &mut dyn Observer) -> ScanReport {
    scan_with(inputs, options, observer, |_| NullConsumer).0
}

/// Scans the inputs, with one stream consumer per worker made by `make_consumer(shard)`;
/// returns the report and the consumers (whose results the caller merges).
pub fn scan_with<C, F>(
    inputs: &InputList,
    options: &ScanOptions,
    observer: &mut dyn Observer,
    make_consumer: F,
) -> (ScanReport, Vec<C>)
where
    C: StreamConsumer + Send,
    C::State: Send,
    F: Fn(usize) -> C + Sync,
{
    let names: Vec<String> = inputs
        .inputs
        .iter()
        .map(|i| i.path.display().to_string())
        .collect();
    let any_stdin = inputs.inputs.iter().any(|i| i.is_stdin());
    let threads = if any_stdin { 1 } else { options.threads.max(1) };

    let mut summaries: Vec<InputSummary> = names
        .iter()
        .map(|n| InputSummary {
            path: n.clone(),
            ..InputSummary::default()
        })
        .collect();

    let mut counters = Counters::default();
    let mut log = AnomalyLog::default();
    let mut workers = if threads == 1 {
        let mut worker = Worker::new(make_consumer(0), options, options.keep_flows);
        run_inputs(&mut worker, inputs, &mut summaries, observer);
        worker.finish(observer);
        vec![worker]
    } else {
        let (mut workers, books) = dispatch::run(
            inputs,
            options,
            threads,
            &mut summaries,
            observer,
            &make_consumer,
        );
        counters.merge(&books.counters);
        log.merge(books.anomalies);
        for worker in &mut workers {
            for flow in &worker.kept_flows {
                observer.flow(flow);
            }
            if !options.keep_flows {
                worker.kept_flows.clear();
            }
        }
        workers
    };

    let mut hosts = HostTable::default();
    let mut l2 = L2Table::default();
    let mut flows = Vec::new();
    let mut consumers = Vec::with_capacity(workers.len());
    for worker in workers.drain(..) {
        counters.merge(&worker.counters);
        hosts.merge(worker.hosts);
        l2.merge(worker.l2);
        log.merge(worker.anomalies);
        flows.extend(worker.kept_flows);
        consumers.push(worker.consumer);
    }
    flows.sort_by_key(|f| (f.first_ts, f.key));
    for error in &inputs.errors {
        log.push(
            usize::MAX,
            AnomalyKind::CaptureFormat,
            Position {
                file: error.file.clone(),
                packet: None,
                offset: None,
            },
            error.kind.to_string(),
        );
        summaries.push(InputSummary {
            path: error.file.clone(),
            errors: 1,
            opened: false,
            ..InputSummary::default()
        });
    }
    log.finish(&names);
    let l2_overflow_packets = l2.overflow_packets;
    let l2_conversations = l2.into_sorted();
    let report = ScanReport {
        inputs: summaries,
        hosts: hosts.into_sorted(&l2_conversations),
        counters,
        flows,
        l2_conversations,
        l2_overflow_packets,
        anomalies_total: log.total,
        anomalies_by_kind: log.by_kind,
        anomalies: log.kept.into_iter().map(|(_, a)| a).collect(),
        skipped_non_captures: inputs
            .skipped_non_captures
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    };
    (report, consumers)
}

fn run_inputs<C: StreamConsumer>(
    worker: &mut Worker<C>,
    inputs: &InputList,
    summaries: &mut [InputSummary],
    observer: &mut dyn Observer,
) {
    for (index, (input, summary)) in inputs.inputs.iter().zip(summaries.iter_mut()).enumerate() {
        observer.input(index, &input.path.display().to_string());
        match CaptureReader::open(&input.path) {
            Ok(reader) => {
                summary.opened = true;
                worker.run_file(index, reader, summary, observer);
            }
            Err(e) => {
                summary.opened = false;
                worker::Bookkeeper::capture_error(index, summary, &mut worker.anomalies, &e);
            }
        }
    }
}
