//! One pipeline worker: decode → defragment → flows, for the packets of its shard.

use crate::anomalies::AnomalyLog;
use crate::hosts::HostTable;
use crate::{Counters, InputSummary, Observer, ScanOptions};
use zonewarden_capture::{CaptureError, CaptureReader, Compression, Format, Packet};
use zonewarden_flow::{
    shard_of, Defragmenter, Flow, FlowEvent, FlowTable, L2Table, PacketMeta, StreamConsumer,
};
use zonewarden_model::{AnomalyKind, Position, Timestamp};
use zonewarden_wire::{decode_frame, decode_transport, Frame, IpPacket, Net, Transport};

pub(crate) struct Worker<C: StreamConsumer> {
    shard: usize,
    shards: usize,
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
}

impl<C: StreamConsumer> Worker<C> {
    pub(crate) fn new(consumer: C, shard: usize, shards: usize, options: &ScanOptions, keep_flows: bool) -> Self {
        Worker {
            shard,
            shards,
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
        }
    }

    /// The primary worker counts what belongs to no shard: every packet's size and time,
    /// capture errors, and frames without IP.
    fn is_primary(&self) -> bool {
        self.shard == 0
    }

    /// Reads one capture to its end.
    pub(crate) fn run_file(
        &mut self,
        file: usize,
        mut reader: CaptureReader,
        summary: &mut InputSummary,
        observer: &mut dyn Observer,
    ) {
        self.file = file;
        self.file_name = reader.name().to_string();
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
        let mut previous_ts: Option<Timestamp> = None;
        let mut snaplen_cut = 0u64;
        let mut first_cut: Option<u64> = None;
        let mut since_progress = 0u32;
        loop {
            let packet = match reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                Err(e) => {
                    if self.is_primary() {
                        self.capture_error(summary, &e);
                    }
                    continue;
                }
            };
            if self.is_primary() {
                summary.packets += 1;
                summary.bytes += u64::from(packet.orig_len);
                summary.first_ts = Some(summary.first_ts.map_or(packet.ts, |t| t.min(packet.ts)));
                summary.last_ts = Some(summary.last_ts.map_or(packet.ts, |t| t.max(packet.ts)));
                if let Some(prev) = previous_ts {
                    if packet.ts < prev {
                        self.anomaly(
                            AnomalyKind::TimestampOrder,
                            Some(&packet),
                            format!(
                                "timestamp goes back {:.6} s against the previous packet",
                                prev.saturating_sub(packet.ts) as f64 / 1e9
                            ),
                        );
                    }
                }
                previous_ts = Some(packet.ts);
                if (packet.data.len() as u64) < u64::from(packet.orig_len) {
                    snaplen_cut += 1;
                    first_cut.get_or_insert(packet.number);
                }
            }
            self.packet(&packet);
            self.drain(observer, Some(&packet));
            since_progress += 1;
            if since_progress == 1 << 16 {
                since_progress = 0;
                if self.is_primary() {
                    observer.progress(reader.position());
                }
            }
        }
        if snaplen_cut > 0 {
            self.counters.snaplen_truncated += snaplen_cut;
            self.anomalies.push(
                file,
                AnomalyKind::Snaplen,
                Position {
                    file: self.file_name.clone(),
                    packet: first_cut,
                    offset: None,
                },
                format!(
                    "{snaplen_cut} packets were cut by the capture's snap length (first here); their missing bytes count as reassembly gaps"
                ),
            );
        }
        for link in reader.link_types() {
            let name = link.name();
            let label = if link.is_supported() {
                name.to_string()
            } else {
                format!("unknown({})", link.0)
            };
            if !summary.link_types.contains(&label) {
                summary.link_types.push(label);
            }
        }
        if self.is_primary() {
            observer.progress(reader.position());
        }
    }

    fn capture_error(&mut self, summary: &mut InputSummary, e: &CaptureError) {
        summary.errors += 1;
        self.anomalies.push(
            self.file,
            AnomalyKind::CaptureFormat,
            Position {
                file: e.file.clone(),
                packet: e.packet,
                offset: Some(e.offset),
            },
            e.kind.to_string(),
        );
    }

    /// Moves finished flows and table events out after a packet.
    fn drain(&mut self, observer: &mut dyn Observer, packet: Option<&Packet<'_>>) {
        if self.flows.has_finished() {
            let finished: Vec<Flow> = self.flows.take_finished().collect();
            for flow in finished {
                self.finish_flow(flow, observer);
            }
        }
        if self.flows.has_events() || self.defrag.has_events() {
            let events: Vec<FlowEvent> = self
                .flows
                .take_events()
                .chain(self.defrag.take_events())
                .collect();
            for event in events {
                self.anomaly(event.kind, packet, event.message);
            }
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

    fn anomaly(&mut self, kind: AnomalyKind, packet: Option<&Packet<'_>>, message: String) {
        self.anomalies.push(
            self.file,
            kind,
            Position {
                file: self.file_name.clone(),
                packet: packet.map(|p| p.number),
                offset: packet.map(|p| p.offset),
            },
            message,
        );
    }

    /// The per-packet path.
    fn packet(&mut self, packet: &Packet<'_>) {
        let primary = self.is_primary();
        let wire_len = u64::from(packet.orig_len);
        if primary {
            let c = &mut self.counters;
            c.packets += 1;
            c.bytes += wire_len;
            c.captured_bytes += packet.data.len() as u64;
            c.first_ts = Some(c.first_ts.map_or(packet.ts, |t| t.min(packet.ts)));
            c.last_ts = Some(c.last_ts.map_or(packet.ts, |t| t.max(packet.ts)));
        }
        let frame = match decode_frame(packet.link, packet.data) {
            Ok(frame) => frame,
            Err(e) => {
                if primary {
                    let kind = if packet.link.is_supported() {
                        self.counters.decode_errors += 1;
                        AnomalyKind::MalformedHeader
                    } else {
                        self.counters.unknown_link += 1;
                        AnomalyKind::UnknownLinkType
                    };
                    let message = if packet.link.is_supported() {
                        e.to_string()
                    } else {
                        format!("link type {} is not supported; packet counted but not decoded", packet.link.0)
                    };
                    self.anomaly(kind, Some(packet), message);
                }
                return;
            }
        };
        match frame.net {
            Net::Ip(ip) => {
                if self.shards > 1 && shard_of(ip.src, ip.dst, frame.vlans, self.shards) != self.shard {
                    return;
                }
                self.ip(packet, &frame, &ip, wire_len);
            }
            Net::Arp(arp) => {
                if primary {
                    self.counters.arp += 1;
                    self.record_l2(packet, &frame, wire_len);
                    if let Some(sender) = arp.sender_ip {
                        self.hosts.add_packet(
                            packet.ts,
                            sender.into(),
                            arp.sender_mac,
                            None,
                            wire_len,
                        );
                    }
                }
            }
            Net::Other(_) => {
                if primary {
                    self.counters.other_l2 += 1;
                    self.record_l2(packet, &frame, wire_len);
                }
            }
            Net::Malformed(e) => {
                if primary {
                    self.counters.decode_errors += 1;
                    self.anomaly(AnomalyKind::MalformedHeader, Some(packet), e.to_string());
                }
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
        match ip.src {
            std::net::IpAddr::V4(_) => self.counters.ipv4 += 1,
            std::net::IpAddr::V6(_) => self.counters.ipv6 += 1,
        }
        let mut meta = PacketMeta {
            ts: packet.ts,
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
                self.counters.fragments += 1;
                let done = self.defrag.add(
                    packet.ts,
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
                self.hosts
                    .add_packet(packet.ts, ip.src, frame.src_mac, Some(ip.dst), meta.wire_len);
            }
            Ok(Transport::Other(_)) => {
                self.counters.other_ip_packets += meta.frames;
                self.hosts
                    .add_packet(packet.ts, ip.src, frame.src_mac, Some(ip.dst), meta.wire_len);
            }
            Err(e) => {
                self.counters.decode_errors += 1;
                self.anomaly(AnomalyKind::MalformedHeader, Some(packet), e.to_string());
            }
        }
    }
}
