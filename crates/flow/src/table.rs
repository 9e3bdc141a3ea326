//! The flow table: one entry per conversation, timed out on packet time.

use crate::direction::{decide, DirectionSource};
use crate::key::{new_map, FlowKey, Map};
use crate::reassembly::{CapHit, Chunk, HalfStream, ReassemblyLimits, StreamStats};
use std::net::IpAddr;
use zonewarden_model::{AnomalyKind, Direction, Timestamp};
use zonewarden_wire::{ipproto, Tcp, Vlans};

/// Receives what flows carry: reassembled TCP bytes and UDP datagrams.
///
/// Implemented by the protocol dissectors. `State` is kept inside each flow's table entry, so a
/// dissector's per-flow session costs no second lookup; it is created on the first call and
/// handed back in [`StreamConsumer::on_close`].
pub trait StreamConsumer {
    type State: Default;

    /// In-order payload: a chunk of a TCP stream, or one whole UDP datagram.
    fn on_data(
        &mut self,
        state: &mut Self::State,
        flow: &Flow,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
    );

    /// `len` bytes of a TCP stream that will never arrive; parsers resynchronise after it.
    fn on_gap(&mut self, _state: &mut Self::State, _flow: &Flow, _dir: Direction, _len: u64) {}

    /// The flow ended; no more calls follow for it.
    fn on_close(&mut self, _state: Self::State, _flow: &Flow, _reason: CloseReason) {}

    /// Moves out the anomalies found since the last call (malformed messages). The caller
    /// drains after every packet and stamps them with that packet's position.
    fn take_anomalies(&mut self, _out: &mut Vec<String>) {}

    /// A frame without IP (PROFINET, GOOSE, LLDP…): layer-2 protocols have no flows, so each
    /// frame comes on its own.
    fn on_frame(&mut self, _frame: &crate::L2Frame<'_>) {}

    /// The packet about to be processed: its input (index in the input list) and 1-based
    /// number in that file, so that what the consumer records can point back at it.
    fn at_packet(&mut self, _file: usize, _packet: u64) {}
}

/// A consumer that ignores payload: flows and reassembly statistics only.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullConsumer;

impl StreamConsumer for NullConsumer {
    type State = ();
    fn on_data(&mut self, _: &mut (), _: &Flow, _: Direction, _: Timestamp, _: &[u8]) {}
}

/// What the table needs to know about the packet carrying a segment or datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    pub ts: Timestamp,
    /// The capture clock: the highest timestamp seen so far in the whole input (not only in
    /// this table's share of it). Idle timeouts are measured on it, so a sharded run closes
    /// the same flows as a single one.
    pub clock: Timestamp,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub vlans: Vlans,
    /// Source MAC of the frame, when the link layer has one.
    pub src_mac: Option<[u8; 6]>,
    /// Length on the wire of the frame(s): what "bytes" counts, as in Wireshark's statistics.
    pub wire_len: u64,
    /// Frames that carried it: more than one after IP reassembly.
    pub frames: u64,
}

/// Why a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Idle longer than its timeout (packet time).
    Timeout,
    /// A new connection (SYN with another initial sequence number) reused the same ports.
    Reused,
    /// The input ended.
    End,
}

/// Summary of TCP control flags seen, and the state they imply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpSummary {
    pub syn: bool,
    pub syn_ack: bool,
    /// The client's final ACK of the handshake, or any client ACK after SYN+ACK.
    pub established: bool,
    pub fin_client: bool,
    pub fin_server: bool,
    pub rst: bool,
    /// The capture started after the handshake.
    pub midstream: bool,
    /// The client's initial sequence number, to tell a reused port pair from a retransmission.
    pub client_isn: Option<u32>,
    pub client_stream: StreamStats,
    pub server_stream: StreamStats,
}

impl TcpSummary {
    pub fn state(&self) -> &'static str {
        if self.rst {
            "reset"
        } else if self.fin_client && self.fin_server {
            "closed"
        } else if self.fin_client || self.fin_server {
            "closing"
        } else if self.established || self.midstream {
            "established"
        } else if self.syn_ack {
            "syn_received"
        } else {
            "syn_sent"
        }
    }

    fn is_closed(&self) -> bool {
        self.rst || (self.fin_client && self.fin_server)
    }
}

/// What is known about one conversation. This is what outputs report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// Sequence number of the flow in creation order, unique within a run.
    pub id: u64,
    pub key: FlowKey,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub direction_by: DirectionSource,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// Indexed by [`Direction::index`]: client→server, server→client.
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub payload_bytes: [u64; 2],
    /// Source MAC of the first frame in each direction (the sender's, or its router's).
    pub macs: [Option<[u8; 6]>; 2],
    pub tcp: Option<TcpSummary>,
}

impl Flow {
    pub fn proto(&self) -> u8 {
        self.key.proto
    }
    pub fn vlans(&self) -> Vlans {
        self.key.vlans
    }
    pub fn total_packets(&self) -> u64 {
        self.packets[0] + self.packets[1]
    }
    pub fn total_bytes(&self) -> u64 {
        self.bytes[0] + self.bytes[1]
    }
}

/// Idle timeouts in seconds of packet time, and reassembly limits.
#[derive(Debug, Clone, Copy)]
pub struct FlowConfig {
    pub tcp_idle_secs: u64,
    /// After both FINs or a RST: short, but long enough for the last ACKs and retransmissions.
    pub tcp_closed_secs: u64,
    pub udp_idle_secs: u64,
    pub reassembly: ReassemblyLimits,
    /// Flows tracked at once; beyond it the longest-idle flows are closed early.
    pub max_flows: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            tcp_idle_secs: 3600,
            tcp_closed_secs: 120,
            udp_idle_secs: 600,
            reassembly: ReassemblyLimits::default(),
            max_flows: 1_000_000,
        }
    }
}

/// Something the table noticed that belongs in the anomaly list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEvent {
    pub kind: AnomalyKind,
    pub message: String,
}

struct Entry<S> {
    flow: Flow,
    streams: Option<Box<[HalfStream; 2]>>,
    state: S,
}

/// Tracks TCP and UDP flows, reassembles TCP, and hands payload to a [`StreamConsumer`].
pub struct FlowTable<C: StreamConsumer> {
    map: Map<FlowKey, Entry<C::State>>,
    config: FlowConfig,
    next_id: u64,
    /// The latest packet time seen; time never runs backwards for timeouts.
    now: Timestamp,
    next_sweep: Timestamp,
    global_held: usize,
    finished: Vec<Flow>,
    events: Vec<FlowEvent>,
    /// Flows created, by protocol: TCP, UDP.
    pub created: [u64; 2],
}

impl<C: StreamConsumer> std::fmt::Debug for FlowTable<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowTable")
            .field("flows", &self.map.len())
            .field("now", &self.now)
            .finish()
    }
}

/// How often (packet time) idle flows are looked for.
const SWEEP_INTERVAL_NANOS: u64 = 5_000_000_000;

impl<C: StreamConsumer> FlowTable<C> {
    pub fn new(config: FlowConfig) -> Self {
        FlowTable {
            map: new_map(),
            config,
            next_id: 0,
            now: Timestamp(0),
            next_sweep: Timestamp(0),
            global_held: 0,
            finished: Vec::new(),
            events: Vec::new(),
            created: [0; 2],
        }
    }

    /// Flows currently open.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Bytes held for reassembly across all flows.
    pub fn held_bytes(&self) -> usize {
        self.global_held
    }

    /// Flows that ended since the last call, in the order they ended.
    pub fn take_finished(&mut self) -> std::vec::Drain<'_, Flow> {
        self.finished.drain(..)
    }

    pub fn has_finished(&self) -> bool {
        !self.finished.is_empty()
    }

    /// Anomalies noticed since the last call.
    pub fn take_events(&mut self) -> std::vec::Drain<'_, FlowEvent> {
        self.events.drain(..)
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Advances packet time and closes idle flows when a sweep is due.
    pub fn advance(&mut self, consumer: &mut C, ts: Timestamp) {
        if ts > self.now {
            self.now = ts;
        }
        if self.now >= self.next_sweep {
            self.next_sweep = Timestamp(self.now.0.saturating_add(SWEEP_INTERVAL_NANOS));
            self.expire(consumer, false);
        }
    }

    /// One TCP segment.
    pub fn tcp(&mut self, consumer: &mut C, meta: &PacketMeta, seg: &Tcp<'_>) {
        let PacketMeta {
            ts,
            src,
            dst,
            vlans,
            ..
        } = *meta;
        self.advance(consumer, meta.clock);
        let (key, src_is_lo) =
            FlowKey::new(src, seg.src_port, dst, seg.dst_port, ipproto::TCP, vlans);
        let syn_only = seg.flags.syn() && !seg.flags.ack();
        if syn_only {
            // A SYN with a new initial sequence number on a known port pair is a new connection.
            let reused = self.map.get(&key).is_some_and(|e| {
                e.flow.tcp.is_some_and(|t| {
                    t.client_isn.is_some_and(|isn| isn != seg.seq)
                        || (t.client_isn.is_none() && t.is_closed())
                })
            });
            if reused {
                if let Some(entry) = self.map.remove(&key) {
                    self.close_entry(consumer, entry, CloseReason::Reused);
                }
            }
        }
        self.make_room(&key);
        let FlowTable {
            map,
            config,
            next_id,
            global_held,
            events,
            created,
            finished,
            ..
        } = self;
        let entry = open_entry(
            map,
            key,
            meta.clock,
            config,
            consumer,
            global_held,
            finished,
            || {
                let (sender_is_client, by) =
                    decide(seg.src_port, seg.dst_port, seg.flags.syn(), seg.flags.ack());
                let tcp = TcpSummary {
                    midstream: !seg.flags.syn(),
                    ..TcpSummary::default()
                };
                created[0] += 1;
                new_entry(key, src_is_lo, sender_is_client, by, ts, Some(tcp), next_id)
            },
        );
        let Entry {
            flow,
            streams,
            state,
        } = entry;
        let dir = direction_of(flow, src, seg.src_port);
        count(
            flow,
            dir,
            meta,
            seg.payload.len() as u64 + u64::from(seg.missing),
        );
        let Some(tcp) = flow.tcp.as_mut() else {
            return;
        };
        let flags = seg.flags;
        match dir {
            Direction::ToServer => {
                if flags.syn() && !flags.ack() {
                    tcp.syn = true;
                    tcp.client_isn.get_or_insert(seg.seq);
                }
                if flags.ack() && tcp.syn_ack {
                    tcp.established = true;
                }
                tcp.fin_client |= flags.fin();
            }
            Direction::ToClient => {
                if flags.syn() && flags.ack() {
                    tcp.syn_ack = true;
                }
                tcp.fin_server |= flags.fin();
            }
        }
        tcp.rst |= flags.rst();
        let flow_ref: &Flow = flow;
        if flags.ack() {
            // This segment acknowledges the other direction's bytes.
            if let Some(streams) = streams.as_mut() {
                let [to_server, to_client] = &mut **streams;
                let (other, other_dir) = match dir {
                    Direction::ToServer => (to_client, Direction::ToClient),
                    Direction::ToClient => (to_server, Direction::ToServer),
                };
                other.acknowledged(seg.ack, global_held, &mut |chunk| match chunk {
                    Chunk::Data(data, at) => consumer.on_data(state, flow_ref, other_dir, at, data),
                    Chunk::Gap(len) => consumer.on_gap(state, flow_ref, other_dir, len),
                });
            }
        }
        if seg.payload.is_empty() && seg.missing == 0 && !flags.syn() {
            return;
        }
        let streams = streams.get_or_insert_with(Box::default);
        let [to_server, to_client] = &mut **streams;
        let stream = match dir {
            Direction::ToServer => to_server,
            Direction::ToClient => to_client,
        };
        let cap = stream.segment(
            seg.seq,
            flags.syn(),
            seg.payload,
            seg.missing,
            ts,
            &config.reassembly,
            global_held,
            &mut |chunk| match chunk {
                Chunk::Data(data, at) => consumer.on_data(state, flow_ref, dir, at, data),
                Chunk::Gap(len) => consumer.on_gap(state, flow_ref, dir, len),
            },
        );
        if let Some(cap) = cap {
            let which = match cap {
                CapHit::PerFlow => "per-flow",
                CapHit::Global => "global",
            };
            events.push(FlowEvent {
                kind: AnomalyKind::CapReached,
                message: format!(
                    "TCP reassembly {which} buffer cap reached on {} -> {}: held data delivered after a gap",
                    endpoint(flow.client),
                    endpoint(flow.server)
                ),
            });
        }
    }

    /// One UDP datagram.
    pub fn udp(
        &mut self,
        consumer: &mut C,
        meta: &PacketMeta,
        src_port: u16,
        dst_port: u16,
        payload: &[u8],
    ) {
        let PacketMeta {
            ts,
            src,
            dst,
            vlans,
            ..
        } = *meta;
        self.advance(consumer, meta.clock);
        let (key, src_is_lo) = FlowKey::new(src, src_port, dst, dst_port, ipproto::UDP, vlans);
        self.make_room(&key);
        let FlowTable {
            map,
            config,
            next_id,
            created,
            global_held,
            finished,
            ..
        } = self;
        let entry = open_entry(
            map,
            key,
            meta.clock,
            config,
            consumer,
            global_held,
            finished,
            || {
                let (sender_is_client, by) = decide(src_port, dst_port, false, false);
                created[1] += 1;
                new_entry(key, src_is_lo, sender_is_client, by, ts, None, next_id)
            },
        );
        let dir = direction_of(&entry.flow, src, src_port);
        count(&mut entry.flow, dir, meta, payload.len() as u64);
        if !payload.is_empty() {
            consumer.on_data(&mut entry.state, &entry.flow, dir, ts, payload);
        }
    }

    /// Keeps the table within `max_flows` before a new flow is added.
    fn make_room(&mut self, key: &FlowKey) {
        if self.map.len() >= self.config.max_flows && !self.map.contains_key(key) {
            self.events.push(FlowEvent {
                kind: AnomalyKind::CapReached,
                message: format!(
                    "flow table full ({} flows): the least recently active half was closed early",
                    self.config.max_flows
                ),
            });
            self.evict_oldest_half();
        }
    }

    fn evict_oldest_half(&mut self) {
        let mut times: Vec<Timestamp> = self.map.values().map(|e| e.flow.last_ts).collect();
        let mid = times.len() / 2;
        let (_, median, _) = times.select_nth_unstable(mid);
        let cutoff = *median;
        let keys: Vec<FlowKey> = self
            .map
            .iter()
            .filter(|(_, e)| e.flow.last_ts <= cutoff)
            .map(|(k, _)| *k)
            .collect();
        self.finish_keys(keys, None);
    }

    /// Closes flows idle beyond their timeout, or all flows when `all`.
    fn expire(&mut self, consumer: &mut C, all: bool) {
        let now = self.now;
        let config = self.config;
        let mut keys: Vec<FlowKey> = self
            .map
            .iter()
            .filter(|(_, e)| all || is_idle(&e.flow, now, &config))
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable_by_key(|k| self.map.get(k).map(|e| e.flow.id));
        let reason = if all {
            CloseReason::End
        } else {
            CloseReason::Timeout
        };
        self.finish_keys(keys, Some((consumer, reason)));
    }

    fn finish_keys(&mut self, keys: Vec<FlowKey>, consumer: Option<(&mut C, CloseReason)>) {
        match consumer {
            Some((consumer, reason)) => {
                for key in keys {
                    if let Some(entry) = self.map.remove(&key) {
                        self.close_entry(consumer, entry, reason);
                    }
                }
            }
            None => {
                // Eviction under pressure: without a consumer at hand, the state is dropped.
                for key in keys {
                    if let Some(mut entry) = self.map.remove(&key) {
                        if let Some(streams) = entry.streams.take() {
                            for s in streams.iter() {
                                self.global_held = self.global_held.saturating_sub(s.held_bytes());
                            }
                        }
                        self.finished.push(entry.flow);
                    }
                }
            }
        }
    }

    fn close_entry(&mut self, consumer: &mut C, entry: Entry<C::State>, reason: CloseReason) {
        close(
            consumer,
            entry,
            reason,
            &mut self.global_held,
            &mut self.finished,
        );
    }

    /// Closes every open flow (end of input); they appear in [`FlowTable::take_finished`].
    pub fn finish(&mut self, consumer: &mut C) {
        self.expire(consumer, true);
    }
}

/// Finds the flow for `key`, or makes it. A flow idle beyond its timeout on the capture clock
/// is closed first and a new one made: deciding at the packet (not only in periodic sweeps)
/// makes the result independent of when sweeps happen, and so of how flows are sharded.
#[allow(clippy::too_many_arguments)]
fn open_entry<'m, C: StreamConsumer>(
    map: &'m mut Map<FlowKey, Entry<C::State>>,
    key: FlowKey,
    clock: Timestamp,
    config: &FlowConfig,
    consumer: &mut C,
    global_held: &mut usize,
    finished: &mut Vec<Flow>,
    make: impl FnOnce() -> Entry<C::State>,
) -> &'m mut Entry<C::State> {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(occupied) => {
            let entry = occupied.into_mut();
            if is_idle(&entry.flow, clock, config) {
                let old = std::mem::replace(entry, make());
                close(consumer, old, CloseReason::Timeout, global_held, finished);
            }
            entry
        }
        std::collections::hash_map::Entry::Vacant(vacant) => vacant.insert(make()),
    }
}

/// Flushes a flow's streams, tells the consumer, and moves the flow to the finished list.
fn close<C: StreamConsumer>(
    consumer: &mut C,
    entry: Entry<C::State>,
    reason: CloseReason,
    global_held: &mut usize,
    finished: &mut Vec<Flow>,
) {
    let Entry {
        mut flow,
        streams,
        mut state,
    } = entry;
    if let Some(mut streams) = streams {
        for dir in [Direction::ToServer, Direction::ToClient] {
            let Some(stream) = streams.get_mut(dir.index()) else {
                continue;
            };
            let flow_ref: &Flow = &flow;
            stream.flush(global_held, &mut |chunk| match chunk {
                Chunk::Data(data, at) => consumer.on_data(&mut state, flow_ref, dir, at, data),
                Chunk::Gap(len) => consumer.on_gap(&mut state, flow_ref, dir, len),
            });
        }
        if let (Some(tcp), [to_server, to_client]) = (flow.tcp.as_mut(), &*streams) {
            tcp.client_stream = to_server.stats;
            tcp.server_stream = to_client.stats;
        }
    }
    consumer.on_close(state, &flow, reason);
    finished.push(flow);
}

fn new_entry<S: Default>(
    key: FlowKey,
    src_is_lo: bool,
    sender_is_client: bool,
    by: DirectionSource,
    ts: Timestamp,
    tcp: Option<TcpSummary>,
    next_id: &mut u64,
) -> Entry<S> {
    let (sender, receiver) = if src_is_lo {
        (key.lo, key.hi)
    } else {
        (key.hi, key.lo)
    };
    let (client, server) = if sender_is_client {
        (sender, receiver)
    } else {
        (receiver, sender)
    };
    let id = *next_id;
    *next_id += 1;
    Entry {
        flow: Flow {
            id,
            key,
            client,
            server,
            direction_by: by,
            first_ts: ts,
            last_ts: ts,
            packets: [0; 2],
            bytes: [0; 2],
            payload_bytes: [0; 2],
            macs: [None; 2],
            tcp,
        },
        streams: None,
        state: S::default(),
    }
}

fn is_idle(flow: &Flow, now: Timestamp, config: &FlowConfig) -> bool {
    let idle = now.saturating_sub(flow.last_ts) / 1_000_000_000;
    let limit = match &flow.tcp {
        Some(t) if t.is_closed() => config.tcp_closed_secs,
        Some(_) => config.tcp_idle_secs,
        None => config.udp_idle_secs,
    };
    idle >= limit
}

fn direction_of(flow: &Flow, src: IpAddr, src_port: u16) -> Direction {
    if flow.client == (src, src_port) {
        Direction::ToServer
    } else {
        Direction::ToClient
    }
}

fn count(flow: &mut Flow, dir: Direction, meta: &PacketMeta, payload: u64) {
    let i = dir.index() & 1;
    let ts = meta.ts;
    if let (Some(p), Some(b), Some(pl), Some(mac)) = (
        flow.packets.get_mut(i),
        flow.bytes.get_mut(i),
        flow.payload_bytes.get_mut(i),
        flow.macs.get_mut(i),
    ) {
        if *p == 0 {
            *mac = meta.src_mac;
        }
        *p += meta.frames;
        *b += meta.wire_len;
        *pl += payload;
    }
    if ts > flow.last_ts {
        flow.last_ts = ts;
    }
    if ts < flow.first_ts {
        flow.first_ts = ts;
    }
}

/// `ip:port`, with brackets for IPv6, the form outputs use.
pub fn endpoint((ip, port): (IpAddr, u16)) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}
