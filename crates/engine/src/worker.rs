//! One pipeline worker: decode → defragment → flows, for the packets it is given.

use crate::anomalies::AnomalyLog;
use crate::hosts::HostTable;
use crate::{max_opt, min_opt, Counters, InputSummary, Observer, ScanOptions};
use zonewarden_capture::{CaptureError, CaptureReader, Compression, Format, Packet};
use zonewarden_flow::{
    shard_of, Defragmenter, Flow, FlowEvent, FlowTable, L2Frame, L2Table, PacketMeta,
    StreamConsumer,
};
use zonewarden_model::{AnomalyKind, Position, Timestamp};
use zonewarden_wire::{decode_frame, decode_transport, Frame, IpPacket, Net, Transport};

pub(crate) struct Worker<C: StreamConsumer> {
    pub consumer: C,
    pub flows: FlowTable<C>,
    defrag: Defragmenter,
    pub l2: L2Table,
    pub hosts: HostTable,
    pub anomalies: AnomalyLog,
    pub counters: Counters,
    pub kept_flows: Vec<Flow>,
    keep_flows: bool,
    file: usize,
    file_name: String,
    /// The capture clock: highest timestamp seen in the whole input so far.
    clock: Timestamp,
    /// This worker's shard and the number of shards (see `dispatch.rs`); (0, 1) when alone.
    shard: usize,
    shards: usize,
    /// Reused for the consumer's anomalies after each packet.
    consumer_anomalies: Vec<String>,
    /// Which packets to process when this worker reads for itself (`run_file`).
    window: crate::WindowFilter,
}

/// What is counted per input file while reading it, independent of any worker: sizes, times,
/// timestamp order, snap-length cuts and capture errors. Kept by whichever thread reads.
#[derive(Debug, Default)]
pub(crate) struct Bookkeeper {
    previous_ts: Option<Timestamp>,
    snaplen_cut: u64,
    first_cut: Option<u64>,
}

impl Bookkeeper {
    pub(crate) fn account(
        &mut self,
        file: usize,
        summary: &mut InputSummary,
        counters: &mut Counters,
        anomalies: &mut AnomalyLog,
        packet: &Packet<'_>,
    ) {
        summary.packets += 1;
        summary.bytes += u64::from(packet.orig_len);
        counters.packets += 1;
        counters.bytes += u64::from(packet.orig_len);
        counters.captured_bytes += packet.data.len() as u64;
        match self.previous_ts {
            None => {
                summary.first_ts = Some(summary.first_ts.map_or(packet.ts, |t| t.min(packet.ts)));
            }
            Some(prev) if packet.ts < prev => {
                summary.first_ts = Some(summary.first_ts.map_or(packet.ts, |t| t.min(packet.ts)));
                anomalies.push(
                    file,
                    AnomalyKind::TimestampOrder,
                    position(&summary.path, Some(packet)),
                    format!(
                        "timestamp goes back {:.6} s against the previous packet",
                        prev.saturating_sub(packet.ts) as f64 / 1e9
                    ),
                );
            }
            Some(_) => {}
        }
        if self.previous_ts.is_none_or(|prev| packet.ts > prev) {
            summary.last_ts = Some(packet.ts);
        }
        self.previous_ts = Some(packet.ts);
        if (packet.data.len() as u64) < u64::from(packet.orig_len) {
            self.snaplen_cut += 1;
            self.first_cut.get_or_insert(packet.number);
        }
    }

    pub(crate) fn capture_error(
        file: usize,
        summary: &mut InputSummary,
        anomalies: &mut AnomalyLog,
        e: &CaptureError,
    ) {
        summary.errors += 1;
        anomalies.push(
            file,
            AnomalyKind::CaptureFormat,
            Position {
                file: e.file.clone(),
                packet: e.packet,
                offset: Some(e.offset),
            },
            e.kind.to_string(),
        );
    }

    /// Closes a file: its format, link types and the snap-length summary.
    pub(crate) fn finish(
        self,
        file: usize,
        reader: &CaptureReader,
        summary: &mut InputSummary,
        counters: &mut Counters,
        anomalies: &mut AnomalyLog,
    ) {
        summary.format = match reader.format() {
            Format::Pcap { nanos: false, .. } => "pcap",
            Format::Pcap { nanos: true, .. } => "pcap-ns",
            Format::Pcapng => "pcapng",
        };
        summary.compression = match reader.compression() {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
        };
        for link in reader.link_types() {
            let label = if link.is_supported() {
                link.name().to_string()
            } else {
                format!("unknown({})", link.0)
            };
            if !summary.link_types.contains(&label) {
                summary.link_types.push(label);
            }
        }
        counters.first_ts = min_opt(counters.first_ts, summary.first_ts);
        counters.last_ts = max_opt(counters.last_ts, summary.last_ts);
        if self.snaplen_cut > 0 {
            counters.snaplen_truncated += self.snaplen_cut;
            anomalies.push(
                file,
                AnomalyKind::Snaplen,
                Position {
                    file: summary.path.clone(),
                    packet: self.first_cut,
                    offset: None,
                },
                format!(
                    "{} packets were cut by the capture's snap length (first here); their missing bytes count as reassembly gaps",
                    self.snaplen_cut
                ),
            );
        }
    }
}

fn position(file: &str, packet: Option<&Packet<'_>>) -> Position {
    Position {
        file: file.to_string(),
        packet: packet.map(|p| p.number),
        offset: packet.map(|p| p.offset),
    }
}

impl<C: StreamConsumer> Worker<C> {
    pub(crate) fn new(consumer: C, options: &ScanOptions, keep_flows: bool) -> Self {
        Worker {
            consumer,
            flows: FlowTable::new(options.flow),
            defrag: Defragmenter::new(options.defrag),
            l2: L2Table::default(),
            hosts: HostTable::default(),
            anomalies: AnomalyLog::default(),
            counters: Counters::default(),
            kept_flows: Vec::new(),
            keep_flows,
            file: 0,
            file_name: String::new(),
            clock: Timestamp(0),
            shard: 0,
            shards: 1,
            consumer_anomalies: Vec::new(),
            window: crate::WindowFilter::new(options.window),
        }
    }

    /// Makes this worker one of `shards`: every worker sees every IP fragment, so only worker 0
    /// counts fragments and reports their anomalies, and a reassembled datagram is kept only by
    /// the worker that owns its flow.
    pub(crate) fn sharded(mut self, shard: usize, shards: usize) -> Self {
        self.shard = shard;
        self.shards = shards.max(1);
        self
    }

    /// The input that the following packets come from (for anomaly positions).
    pub(crate) fn set_file(&mut self, file: usize, name: &str) {
        self.file = file;
        self.file_name.clear();
        self.file_name.push_str(name);
    }

    /// Reads one capture to its end in this thread: bookkeeping and processing together.
    pub(crate) fn run_file(
        &mut self,
        file: usize,
        mut reader: CaptureReader,
        summary: &mut InputSummary,
        observer: &mut dyn Observer,
    ) {
        self.set_file(file, reader.name());
        let mut book = Bookkeeper::default();
        let mut since_progress = 0u32;
        loop {
            let packet = match reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                Err(e) => {
                    Bookkeeper::capture_error(file, summary, &mut self.anomalies, &e);
                    continue;
                }
            };
            book.account(
                file,
                summary,
                &mut self.counters,
                &mut self.anomalies,
                &packet,
            );
            let clock = self.clock.max(packet.ts);
            // Packets outside the window still move the capture clock, as in `dispatch`.
            self.clock = clock;
            if self.window.admits(packet.ts) {
                self.process(&packet, clock);
                self.drain(observer, Some(&packet));
            }
            since_progress += 1;
            if since_progress == 1 << 16 {
                since_progress = 0;
                observer.progress(reader.position());
            }
        }
        book.finish(
            file,
            &reader,
            summary,
            &mut self.counters,
            &mut self.anomalies,
        );
        observer.progress(reader.position());
    }

    /// Moves finished flows and table events out after a packet.
    pub(crate) fn drain(&mut self, observer: &mut dyn Observer, packet: Option<&Packet<'_>>) {
        if self.flows.has_finished() {
            let finished: Vec<Flow> = self.flows.take_finished().collect();
            for flow in finished {
                self.finish_flow(flow, observer);
            }
        }
        if self.flows.has_events() || self.defrag.has_events() {
            // Every worker reassembles every fragment; worker 0 speaks for all of them.
            let defrag_events = self.defrag.take_events().filter(|_| self.shard == 0);
            let events: Vec<FlowEvent> = self.flows.take_events().chain(defrag_events).collect();
            for event in events {
                self.anomaly(event.kind, packet, event.message);
            }
        }
        self.consumer.take_anomalies(&mut self.consumer_anomalies);
        if !self.consumer_anomalies.is_empty() {
            // Taken out and put back so the buffer's capacity is reused packet after packet.
            let mut messages = std::mem::take(&mut self.consumer_anomalies);
            for message in messages.drain(..) {
                self.anomaly(AnomalyKind::Protocol, packet, message);
            }
            self.consumer_anomalies = messages;
        }
    }

    fn finish_flow(&mut self, flow: Flow, observer: &mut dyn Observer) {
        self.hosts.add_flow(&flow);
        if let Some(tcp) = &flow.tcp {
            for s in [tcp.client_stream, tcp.server_stream] {
                self.counters.tcp_gaps += u64::from(s.gaps);
                self.counters.tcp_gap_bytes += s.gap_bytes;
                self.counters.reassembled_bytes += s.bytes;
            }
        }
        observer.flow(&flow);
        if self.keep_flows {
            self.kept_flows.push(flow);
        }
    }

    /// Closes all flows at the end of input.
    pub(crate) fn finish(&mut self, observer: &mut dyn Observer) {
        self.flows.finish(&mut self.consumer);
        self.drain(observer, None);
        self.counters.flows_tcp = self.flows.created[0];
        self.counters.flows_udp = self.flows.created[1];
    }

    /// Cold and out of line: anomalies are rare, and keeping the log's code out of
    /// [`Worker::process`] keeps the packet path's code the same whatever the log does.
    #[cold]
    #[inline(never)]
    fn anomaly(&mut self, kind: AnomalyKind, packet: Option<&Packet<'_>>, message: String) {
        self.anomalies
            .push(self.file, kind, position(&self.file_name, packet), message);
    }

    /// The per-packet path: decode, then flows, defragmentation or L2 conversations.
    ///
    /// `clock` is the capture clock (see [`PacketMeta::clock`]); the dispatcher passes the
    /// reader's, so every worker measures idle time alike.
    pub(crate) fn process(&mut self, packet: &Packet<'_>, clock: Timestamp) {
        self.clock = clock;
        self.consumer.at_packet(self.file, packet.number);
        let wire_len = u64::from(packet.orig_len);
        // Matched by reference, not moved: moving the decoded frame copied it through the
        // stack in pieces that straddle the decoder's stores (IP addresses sit at odd
        // offsets), and the reloads stalled on store forwarding in the hottest function.
        let decoded = decode_frame(packet.link, packet.data);
        let frame = match &decoded {
            Ok(frame) => frame,
            Err(e) => {
                let (kind, message) = if packet.link.is_supported() {
                    self.counters.decode_errors += 1;
                    (AnomalyKind::MalformedHeader, e.to_string())
                } else {
                    self.counters.unknown_link += 1;
                    (
                        AnomalyKind::UnknownLinkType,
                        format!(
                            "link type {} is not supported; packet counted but not decoded",
                            packet.link.0
                        ),
                    )
                };
                self.anomaly(kind, Some(packet), message);
                return;
            }
        };
        match &frame.net {
            Net::Ip(ip) => self.ip(packet, frame, ip, wire_len),
            Net::Arp(arp) => {
                self.counters.arp += 1;
                self.record_l2(packet, frame, wire_len);
                if let Some(sender) = arp.sender_ip {
                    self.hosts
                        .add_arp(packet.ts, sender.into(), arp.sender_mac, wire_len);
                }
            }
            Net::Other(payload) => {
                self.counters.other_l2 += 1;
                self.record_l2(packet, frame, wire_len);
                if let (Some(src), Some(dst)) = (frame.src_mac, frame.dst_mac) {
                    self.consumer.on_frame(&L2Frame {
                        ts: packet.ts,
                        src,
                        dst,
                        l2_type: frame.l2_type,
                        vlans: frame.vlans,
                        payload,
                        wire_len,
                    });
                }
            }
            Net::Malformed(e) => {
                self.counters.decode_errors += 1;
                self.anomaly(AnomalyKind::MalformedHeader, Some(packet), e.to_string());
            }
        }
    }

    fn record_l2(&mut self, packet: &Packet<'_>, frame: &Frame<'_>, wire_len: u64) {
        if let (Some(src), Some(dst)) = (frame.src_mac, frame.dst_mac) {
            self.l2
                .record(packet.ts, src, dst, frame.l2_type, frame.vlans, wire_len);
        }
    }

    fn ip(&mut self, packet: &Packet<'_>, frame: &Frame<'_>, ip: &IpPacket<'_>, wire_len: u64) {
        // Fragments reach every worker: only worker 0 counts them.
        if ip.fragment.is_none() || self.shard == 0 {
            match ip.src {
                std::net::IpAddr::V4(_) => self.counters.ipv4 += 1,
                std::net::IpAddr::V6(_) => self.counters.ipv6 += 1,
            }
        }
        let mut meta = PacketMeta {
            ts: packet.ts,
            clock: self.clock,
            src: ip.src,
            dst: ip.dst,
            vlans: frame.vlans,
            src_mac: frame.src_mac,
            wire_len,
            frames: 1,
        };
        let reassembled;
        let (payload, payload_wire_len, base) = match ip.fragment {
            None => (ip.payload, ip.payload_len_on_wire, ip.payload_offset),
            Some(fragment) => {
                if self.shard == 0 {
                    self.counters.fragments += 1;
                }
                let done = self.defrag.add(
                    packet.ts,
                    self.clock,
                    ip.src,
                    ip.dst,
                    ip.proto,
                    frame.vlans,
                    fragment,
                    ip.payload,
                    wire_len,
                );
                let Some(done) = done else {
                    return;
                };
                if self.shards > 1 {
                    let (sp, dp) =
                        crate::dispatch::ports(ip.proto, &done.payload, done.payload.len());
                    let owner = shard_of(ip.src, sp, ip.dst, dp, frame.vlans, self.shards);
                    if owner != self.shard {
                        return;
                    }
                }
                self.counters.datagrams_reassembled += 1;
                meta.frames = done.frames;
                meta.wire_len = done.wire_bytes;
                reassembled = done.payload;
                (reassembled.as_slice(), reassembled.len(), 0)
            }
        };
        match decode_transport(ip.proto, payload, payload_wire_len, base) {
            Ok(Transport::Tcp(seg)) => {
                self.counters.tcp_packets += meta.frames;
                self.flows.tcp(&mut self.consumer, &meta, &seg);
            }
            Ok(Transport::Udp(dgram)) => {
                self.counters.udp_packets += meta.frames;
                self.flows.udp(
                    &mut self.consumer,
                    &meta,
                    dgram.src_port,
                    dgram.dst_port,
                    dgram.payload,
                );
            }
            Ok(Transport::Icmp { .. }) => {
                self.counters.icmp_packets += meta.frames;
                self.hosts.add_packet(
                    packet.ts,
                    ip.src,
                    frame.src_mac,
                    Some(ip.dst),
                    meta.wire_len,
                );
            }
            Ok(Transport::Other(_)) => {
                self.counters.other_ip_packets += meta.frames;
                self.hosts.add_packet(
                    packet.ts,
                    ip.src,
                    frame.src_mac,
                    Some(ip.dst),
                    meta.wire_len,
                );
            }
            Err(e) => {
                // A header the snap length cut is not malformed: the per-file snap-length
                // anomaly already says so.
                if packet.data.len() >= packet.orig_len as usize {
                    self.counters.decode_errors += 1;
                    self.anomaly(AnomalyKind::MalformedHeader, Some(packet), e.to_string());
                }
            }
        }
    }
}
