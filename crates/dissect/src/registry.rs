//! Recognising a flow's protocol by content and handing its bytes to that protocol's session.

use crate::map::{
    AnomalyClass, AnomalyKey, CommunicationMap, EdgeKey, Endpoint, FlowRef, IdentityFact, OpStats,
    Provenance, Source,
};
use crate::ops::{Operation, Protocol};
use zonewarden_flow::{CloseReason, Flow, L2Frame, StreamConsumer};
use zonewarden_model::{Direction, Timestamp};
use zonewarden_wire::{ipproto, L2Type};

/// A probe's answer about the first bytes of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// The bytes cannot be this protocol.
    NotMine,
    /// Too few bytes to tell yet.
    NeedMore,
    /// Consistent with this protocol, but other protocols could look the same.
    Maybe,
    /// Only this protocol looks like this.
    Certain,
}

/// A protocol: how to recognise it and how to start a session for a flow.
pub trait Dissector: Send + Sync {
    fn protocol(&self) -> Protocol;
    /// IP protocol numbers of the transports it runs over ([`TCP`], [`UDP`], [`TCP_AND_UDP`]).
    fn transports(&self) -> &'static [u8];
    /// Usual server ports: a hint that turns `Maybe` into a decision, never a requirement.
    fn ports(&self) -> &'static [u16];
    /// Looks at the first bytes seen in one direction of a flow.
    fn probe(&self, dir: Direction, data: &[u8]) -> Confidence;
    fn session(&self) -> Box<dyn Session>;
}

/// One flow's protocol state: framing, request/response pairing, caps.
pub trait Session: Send {
    /// In-order bytes (one TCP chunk or one UDP datagram).
    fn data(&mut self, dir: Direction, ts: Timestamp, data: &[u8], out: &mut Output<'_>);
    /// `len` bytes of this direction were lost: drop partial messages and resynchronise.
    fn gap(&mut self, dir: Direction, len: u64, out: &mut Output<'_>);
}

/// Where a session reports what it found.
#[derive(Debug)]
pub struct Output<'a> {
    protocol: Protocol,
    ops: &'a mut Vec<(Operation, OpStats)>,
    facts: &'a mut Vec<(bool, &'static str, String)>,
    /// Where each of `facts` was first seen (same order); absent in unit tests.
    fact_sources: Option<&'a mut Vec<Source>>,
    /// Facts about a third device named in a message (a DNS answer's address, a DHCP client's
    /// MAC), with where they were seen.
    device_facts: Option<&'a mut Vec<(Endpoint, &'static str, String, Source)>>,
    anomalies: &'a mut Vec<String>,
    /// Anomalies the detection stage acts on, with their direction; absent in most unit tests.
    flags: Option<&'a mut Vec<Flag>>,
    ts: Timestamp,
    /// The packet being processed (input index, packet number), for provenance.
    at: (u32, u64),
    /// Layer-2 frames have no stream: offsets count from the frame's payload.
    frame_level: bool,
}

/// An anomaly for the detection stage, before the registry puts the flow's endpoints on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    /// Who sent the message, as the session saw the flow.
    pub dir: Direction,
    pub class: AnomalyClass,
    pub subject: String,
    pub message: String,
}

/// Facts about third devices kept per flow (DNS answers can name many addresses).
const MAX_DEVICE_FACTS_PER_FLOW: usize = 256;

/// How a message relates to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Request,
    /// A response to a request that was seen.
    Response,
    /// A response whose request was not seen (capture started late, or one direction missing).
    UnmatchedResponse,
}

/// Distinct operations kept per flow; a flow that uses more is counted under the last slot's
/// neighbours only (the cap bounds per-flow memory against code-sweeping scanners).
const MAX_OPS_PER_FLOW: usize = 256;
/// Identity facts kept per flow.
const MAX_FACTS_PER_FLOW: usize = 64;
/// Anomalies kept per flow before they are only counted.
const MAX_ANOMALIES_PER_FLOW: u32 = 32;

impl<'a> Output<'a> {
    /// An output writing into plain vectors, for session unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(
        ops: &'a mut Vec<(Operation, OpStats)>,
        facts: &'a mut Vec<(bool, &'static str, String)>,
        anomalies: &'a mut Vec<String>,
    ) -> Self {
        Output {
            protocol: Protocol::Modbus,
            ops,
            facts,
            fact_sources: None,
            device_facts: None,
            anomalies,
            flags: None,
            ts: Timestamp(1),
            at: (0, 0),
            frame_level: false,
        }
    }

    /// Like [`Output::for_tests`], also collecting facts about third devices.
    #[cfg(test)]
    pub(crate) fn for_tests_with_devices(
        ops: &'a mut Vec<(Operation, OpStats)>,
        facts: &'a mut Vec<(bool, &'static str, String)>,
        device_facts: &'a mut Vec<(Endpoint, &'static str, String, Source)>,
        anomalies: &'a mut Vec<String>,
    ) -> Self {
        let mut out = Output::for_tests(ops, facts, anomalies);
        out.device_facts = Some(device_facts);
        out
    }

    /// Like [`Output::for_tests`], also collecting the anomalies flagged for detection.
    #[cfg(test)]
    pub(crate) fn for_tests_with_flags(
        ops: &'a mut Vec<(Operation, OpStats)>,
        facts: &'a mut Vec<(bool, &'static str, String)>,
        anomalies: &'a mut Vec<String>,
        flags: &'a mut Vec<Flag>,
    ) -> Self {
        let mut out = Output::for_tests(ops, facts, anomalies);
        out.flags = Some(flags);
        out
    }
}

impl Output<'_> {
    /// Records a message of an operation; `exception` marks an error response; `range` is the
    /// data address range (start, quantity) where the protocol addresses data.
    pub fn operation(
        &mut self,
        op: Operation,
        kind: MessageKind,
        exception: bool,
        range: Option<(u32, u32)>,
    ) {
        let stats = match self.ops.iter_mut().find(|(o, _)| *o == op) {
            Some((_, stats)) => stats,
            None => {
                if self.ops.len() >= MAX_OPS_PER_FLOW {
                    return;
                }
                self.ops.push((op, OpStats::default()));
                match self.ops.last_mut() {
                    Some((_, stats)) => stats,
                    None => return,
                }
            }
        };
        stats.seen(self.ts);
        if stats.first_at.is_none() {
            stats.first_at = Some(self.at);
        }
        match kind {
            MessageKind::Request => {
                stats.count += 1;
                stats.requests += 1;
            }
            MessageKind::Response => stats.responses += 1,
            MessageKind::UnmatchedResponse => {
                stats.count += 1;
                stats.responses += 1;
            }
        }
        if exception {
            stats.exceptions += 1;
        }
        if let Some((start, quantity)) = range {
            stats.touch(start, quantity);
            if kind == MessageKind::Request {
                stats.climb(start);
            }
        }
    }

    /// Records something the server (or, with `about_client`, the client) said about itself.
    pub fn identity(&mut self, about_client: bool, field: &'static str, value: String) {
        let value = value.trim().to_string();
        if value.is_empty() || self.facts.len() >= MAX_FACTS_PER_FLOW {
            return;
        }
        if !self
            .facts
            .iter()
            .any(|(c, f, v)| *c == about_client && *f == field && *v == value)
        {
            self.facts.push((about_client, field, value));
            let source = self.source(None);
            if let Some(sources) = self.fact_sources.as_deref_mut() {
                sources.push(source);
            }
        }
    }

    /// Records something a message says about a device other than the flow's two ends: the
    /// address a DNS answer gives a name, the MAC a DHCP server leases an address to.
    pub fn identity_of(&mut self, device: Endpoint, field: &'static str, value: String) {
        let value = value.trim().to_string();
        let source = self.source(None);
        let Some(sink) = self.device_facts.as_deref_mut() else {
            return;
        };
        if value.is_empty() || sink.len() >= MAX_DEVICE_FACTS_PER_FLOW {
            return;
        }
        if !sink
            .iter()
            .any(|(d, f, v, _)| *d == device && *f == field && *v == value)
        {
            sink.push((device, field, value, source));
        }
    }

    fn source(&self, flow: Option<FlowRef>) -> Source {
        Source {
            ts: self.ts,
            file: self.at.0,
            packet: self.at.1,
            flow,
        }
    }

    /// A malformed or unexpected message; `offset` counts bytes of this direction's stream.
    /// Only the scan's anomaly log sees it: use [`Output::malformed`] for a message that breaks
    /// the protocol's encoding rules.
    pub fn anomaly(&mut self, dir: Direction, offset: u64, message: impl std::fmt::Display) {
        let text = self.anomaly_text(dir, offset, message);
        self.anomalies.push(text);
    }

    /// A message that breaks its protocol's encoding rules (a length, count, qualifier or
    /// encoding no conforming sender produces). Unlike [`Output::anomaly`], which also covers
    /// what a capture does to a stream (mid-stream pickup, lost segments, forgotten requests),
    /// this is evidence about the sender, so detection sees it with the sender's address.
    pub fn malformed(&mut self, dir: Direction, offset: u64, message: impl std::fmt::Display) {
        let text = self.anomaly_text(dir, offset, message);
        self.flag(dir, AnomalyClass::Malformed, String::new(), &text);
        self.anomalies.push(text);
    }

    /// Counters of a publisher that its own messages cannot explain (GOOSE replay or
    /// injection); `subject` names the publication.
    pub(crate) fn sequence(&mut self, subject: String, message: impl std::fmt::Display) {
        let text = format!("{}: {message}", self.protocol.as_str());
        self.flag(Direction::ToServer, AnomalyClass::Sequence, subject, &text);
        self.anomalies.push(text);
    }

    /// Requests that explore the server (unit-id sweeps); `subject` names what was swept.
    pub(crate) fn probe(&mut self, subject: String, message: impl std::fmt::Display) {
        let text = format!("{}: {message}", self.protocol.as_str());
        // Not a decoding anomaly: only detection hears of it.
        self.flag(Direction::ToServer, AnomalyClass::Probe, subject, &text);
    }

    fn flag(&mut self, dir: Direction, class: AnomalyClass, subject: String, text: &str) {
        if let Some(flags) = self.flags.as_deref_mut() {
            flags.push(Flag {
                dir,
                class,
                subject,
                message: text.to_string(),
            });
        }
    }

    fn anomaly_text(&self, dir: Direction, offset: u64, message: impl std::fmt::Display) -> String {
        let place = if self.frame_level {
            format!("payload offset {offset}")
        } else {
            let side = match dir {
                Direction::ToServer => "client→server",
                Direction::ToClient => "server→client",
            };
            format!("{side} stream offset {offset}")
        };
        format!("{}: {message} ({place})", self.protocol.as_str())
    }
}

#[derive(Default)]
enum Phase {
    #[default]
    Probing,
    /// The dissector, its session, and whether the protocol's server is the flow's client
    /// (the flow's direction came from a misleading handshake or port guess).
    Decided(usize, Box<dyn Session>, bool),
    /// No dissector claimed the flow.
    Unknown,
}

/// Bytes held while the protocol is not yet known.
const PROBE_LIMIT: usize = 1024;
/// Chunks looked at before giving up on recognising a flow.
const PROBE_CHUNKS: u32 = 8;

/// Per-flow state kept inside the flow table entry.
#[derive(Default)]
pub struct FlowState {
    phase: Phase,
    /// Chunks seen while probing, in arrival order, to replay into the chosen session.
    held: Vec<(Direction, Timestamp, Vec<u8>)>,
    /// Bytes of each held chunk beyond the probe budget, not kept.
    dropped: Vec<u64>,
    held_bytes: usize,
    probe_chunks: u32,
    ops: Vec<(Operation, OpStats)>,
    facts: Vec<(bool, &'static str, String)>,
    fact_sources: Vec<Source>,
    device_facts: Vec<(Endpoint, &'static str, String, Source)>,
    anomalies: u32,
}

/// All dissectors, the map they build, and the anomalies they raise.
pub struct Registry {
    dissectors: Vec<Box<dyn Dissector>>,
    map: CommunicationMap,
    anomalies: Vec<String>,
    scratch: Vec<String>,
    /// Anomalies flagged for detection by the message at hand.
    flags: Vec<Flag>,
    /// Layer-2 protocols: per-frame scratch, the DCP request table and the GOOSE publishers'
    /// counters.
    frame_ops: Vec<(Operation, OpStats)>,
    frame_facts: Vec<(bool, &'static str, String)>,
    frame_device_facts: Vec<(Endpoint, &'static str, String, Source)>,
    dcp: crate::protocols::profinet_dcp::DcpState,
    goose: crate::protocols::goose::Publishers,
    /// The packet being processed: (input index, packet number).
    at: (u32, u64),
}

impl std::fmt::Debug for FlowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let phase = match self.phase {
            Phase::Probing => "probing",
            Phase::Decided(..) => "decided",
            Phase::Unknown => "unknown",
        };
        f.debug_struct("FlowState")
            .field("phase", &phase)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("dissectors", &self.dissectors.len())
            .finish_non_exhaustive()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new(crate::protocols::all())
    }
}

impl Registry {
    pub fn new(dissectors: Vec<Box<dyn Dissector>>) -> Self {
        Registry {
            dissectors,
            map: CommunicationMap::default(),
            anomalies: Vec::new(),
            scratch: Vec::new(),
            flags: Vec::new(),
            frame_ops: Vec::new(),
            frame_facts: Vec::new(),
            frame_device_facts: Vec::new(),
            dcp: Default::default(),
            goose: Default::default(),
            at: (0, 0),
        }
    }

    pub fn into_map(self) -> CommunicationMap {
        self.map
    }

    /// Chooses a dissector for the flow from the bytes held so far, if the evidence suffices.
    /// `closing`: the flow ends, so no more bytes will come; decide with what there is.
    fn decide(
        &self,
        flow: &Flow,
        state: &FlowState,
        closing: bool,
    ) -> Option<Option<(usize, bool)>> {
        let transport = flow.proto();
        let server_port = flow.server.1;
        let client_port = flow.client.1;
        let mut best: Option<(Confidence, bool, usize)> = None;
        let mut waiting = false;
        for (index, dissector) in self.dissectors.iter().enumerate() {
            if !dissector.transports().contains(&transport) {
                continue;
            }
            let ports = dissector.ports();
            let hinted = ports.contains(&server_port) || ports.contains(&client_port);
            // The most telling evidence decides: each direction's stream from its start, and
            // each segment on its own (segments usually begin at a message, so one damaged or
            // mid-message first segment does not hide the protocol).
            let mut verdict = Confidence::NotMine;
            for dir in [Direction::ToServer, Direction::ToClient] {
                let first = state.held.iter().find(|(d, _, _)| *d == dir);
                if let Some((_, _, bytes)) = first {
                    let bytes = joined(&state.held, dir, bytes);
                    verdict = verdict.max(dissector.probe(dir, &bytes));
                }
            }
            for (dir, _, bytes) in state.held.iter().skip(1) {
                if verdict == Confidence::Certain {
                    break;
                }
                // A segment alone can only suggest: it may sit in the middle of a message.
                let alone = dissector.probe(*dir, bytes).min(Confidence::Maybe);
                verdict = verdict.max(alone);
            }
            match verdict {
                Confidence::Certain => {
                    if best.is_none_or(|(c, h, _)| c < Confidence::Certain || (!h && hinted)) {
                        best = Some((verdict, hinted, index));
                    }
                }
                // Consistent bytes on the protocol's own port decide; elsewhere they only make
                // it worth looking at more bytes.
                Confidence::Maybe if hinted => {
                    if best.is_none() {
                        best = Some((verdict, hinted, index));
                    }
                }
                // A datagram is whole: a probe that wants more of it cannot claim it.
                Confidence::NeedMore if transport == ipproto::UDP => {}
                Confidence::Maybe | Confidence::NeedMore => waiting = true,
                Confidence::NotMine => {}
            }
        }
        let exhausted =
            closing || state.held_bytes >= PROBE_LIMIT || state.probe_chunks >= PROBE_CHUNKS;
        match best {
            // A port-hinted guess waits while another protocol on the same transport still
            // needs bytes to tell (S7comm and MMS share TPKT/COTP on port 102).
            Some((Confidence::Maybe, _, _)) if waiting && !exhausted => None,
            Some((_, _, index)) => {
                let ports = self.dissectors.get(index).map_or(&[][..], |d| d.ports());
                let swapped = !ports.contains(&server_port) && ports.contains(&client_port);
                Some(Some((index, swapped)))
            }
            None if exhausted || !waiting => Some(None),
            None => None,
        }
    }
}

/// The bytes held for one direction, joined (probes may need more than one small chunk).
fn joined<'a>(
    held: &'a [(Direction, Timestamp, Vec<u8>)],
    dir: Direction,
    first: &'a [u8],
) -> std::borrow::Cow<'a, [u8]> {
    let mut chunks = held.iter().filter(|(d, _, _)| *d == dir);
    let _ = chunks.next();
    match chunks.next() {
        None => std::borrow::Cow::Borrowed(first),
        Some(_) => std::borrow::Cow::Owned(
            held.iter()
                .filter(|(d, _, _)| *d == dir)
                .flat_map(|(_, _, b)| b.iter().copied())
                .collect(),
        ),
    }
}

impl Registry {
    /// Starts the chosen dissector's session and replays the chunks held while probing.
    /// `deciding` is the chunk at hand when the decision was made (kept whole, whereas its held
    /// copy may be cut at the probe budget); bytes cut from earlier chunks become gaps.
    fn start(
        &mut self,
        state: &mut FlowState,
        flow: &Flow,
        index: usize,
        swapped: bool,
        deciding: Option<&[u8]>,
    ) {
        let Some(dissector) = self.dissectors.get(index) else {
            state.phase = Phase::Unknown;
            return;
        };
        state.phase = Phase::Decided(index, dissector.session(), swapped);
        let held = std::mem::take(&mut state.held);
        let dropped = std::mem::take(&mut state.dropped);
        let last = held.len().saturating_sub(1);
        for (i, ((dir, ts, bytes), lost)) in held.into_iter().zip(dropped).enumerate() {
            match deciding {
                Some(whole) if i == last => self.run(state, flow, index, dir, ts, whole, None),
                _ => {
                    self.run(state, flow, index, dir, ts, &bytes, None);
                    if lost > 0 {
                        self.run(state, flow, index, dir, ts, &[], Some(lost));
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        state: &mut FlowState,
        flow: &Flow,
        index: usize,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
        gap: Option<u64>,
    ) {
        let Phase::Decided(_, session, swapped) = &mut state.phase else {
            return;
        };
        let dir = if *swapped { dir.reverse() } else { dir };
        let protocol = self
            .dissectors
            .get(index)
            .map_or(Protocol::Modbus, |d| d.protocol());
        self.scratch.clear();
        self.flags.clear();
        let mut out = Output {
            protocol,
            ops: &mut state.ops,
            facts: &mut state.facts,
            fact_sources: Some(&mut state.fact_sources),
            device_facts: Some(&mut state.device_facts),
            anomalies: &mut self.scratch,
            flags: Some(&mut self.flags),
            ts,
            at: self.at,
            frame_level: false,
        };
        match gap {
            Some(len) => session.gap(dir, len, &mut out),
            None => session.data(dir, ts, data, &mut out),
        }
        if !self.flags.is_empty() {
            // The protocol's client and server, as the session saw them.
            let (client, server) = if *swapped {
                (flow.server.0, flow.client.0)
            } else {
                (flow.client.0, flow.server.0)
            };
            // Gaps carry no time of their own: the flow's latest packet stands in.
            let ts = if gap.is_some() { flow.last_ts } else { ts };
            for flag in self.flags.drain(..) {
                let (source, destination) = match flag.dir {
                    Direction::ToServer => (client, server),
                    Direction::ToClient => (server, client),
                };
                self.map.add_anomaly(
                    AnomalyKey {
                        class: flag.class,
                        protocol,
                        source: Endpoint::Ip(source),
                        destination: Endpoint::Ip(destination),
                        subject: flag.subject,
                    },
                    Source {
                        ts,
                        file: self.at.0,
                        packet: self.at.1,
                        flow: None,
                    },
                    flag.message,
                );
            }
        }
        for message in self.scratch.drain(..) {
            state.anomalies += 1;
            if state.anomalies <= MAX_ANOMALIES_PER_FLOW {
                self.anomalies.push(message);
            } else if state.anomalies == MAX_ANOMALIES_PER_FLOW + 1 {
                self.anomalies.push(format!(
                    "{}: more than {MAX_ANOMALIES_PER_FLOW} anomalies in this flow; the rest are not listed",
                    protocol.as_str()
                ));
            }
        }
    }
}

impl StreamConsumer for Registry {
    type State = FlowState;

    fn on_data(
        &mut self,
        state: &mut FlowState,
        flow: &Flow,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
    ) {
        match state.phase {
            Phase::Decided(index, ..) => {
                self.run(state, flow, index, dir, ts, data, None);
                return;
            }
            Phase::Unknown => return,
            Phase::Probing => {}
        }
        state.probe_chunks += 1;
        let room = PROBE_LIMIT.saturating_sub(state.held_bytes);
        let kept = data.get(..data.len().min(room)).unwrap_or_default();
        state.held_bytes += kept.len();
        state.held.push((dir, ts, kept.to_vec()));
        state.dropped.push((data.len() - kept.len()) as u64);
        match self.decide(flow, state, false) {
            None => {}
            Some(None) => {
                state.phase = Phase::Unknown;
                state.held = Vec::new();
                state.dropped = Vec::new();
            }
            Some(Some((index, swapped))) => self.start(state, flow, index, swapped, Some(data)),
        }
    }

    fn on_gap(&mut self, state: &mut FlowState, flow: &Flow, dir: Direction, len: u64) {
        match state.phase {
            Phase::Decided(index, ..) => {
                self.run(state, flow, index, dir, Timestamp(0), &[], Some(len))
            }
            // Bytes held for probing are no longer contiguous: start probing afresh.
            Phase::Probing => {
                state.held.clear();
                state.dropped.clear();
                state.held_bytes = 0;
            }
            Phase::Unknown => {}
        }
    }

    fn on_close(&mut self, mut state: FlowState, flow: &Flow, _reason: CloseReason) {
        if matches!(state.phase, Phase::Probing) && !state.held.is_empty() {
            // A short flow that ended while a guess was waiting for more bytes: no more will
            // come, so decide now and replay what was held.
            if let Some(Some((index, swapped))) = self.decide(flow, &state, true) {
                self.start(&mut state, flow, index, swapped, None);
            }
        }
        let Phase::Decided(index, _, swapped) = state.phase else {
            return;
        };
        let Some(mut protocol) = self.dissectors.get(index).map(|d| d.protocol()) else {
            return;
        };
        // One dissector may serve two protocol generations (S7comm and S7comm-plus share
        // TPKT/COTP): the edge takes the protocol the operations were reported under.
        if let Some((op, _)) = state.ops.first() {
            protocol = op.protocol;
        }
        // The protocol's client and server, which the session saw as such.
        let (client, server) = if swapped {
            (flow.server, flow.client)
        } else {
            (flow.client, flow.server)
        };
        let key = EdgeKey {
            client: Endpoint::Ip(client.0),
            server: Endpoint::Ip(server.0),
            protocol,
        };
        self.map.add_flow(
            key,
            server.1,
            flow.total_packets(),
            flow.total_bytes(),
            flow.first_ts,
            flow.last_ts,
            &state.ops,
        );
        let flow_ref = FlowRef {
            client,
            server,
            transport: flow.proto(),
        };
        let sources = state
            .fact_sources
            .into_iter()
            .map(Some)
            .chain(std::iter::repeat(None));
        for ((about_client, field, value), source) in state.facts.into_iter().zip(sources) {
            let ip = if about_client { client.0 } else { server.0 };
            let first = source.unwrap_or(Source {
                ts: flow.first_ts,
                file: 0,
                packet: 0,
                flow: None,
            });
            self.map.add_identity(
                IdentityFact {
                    device: Endpoint::Ip(ip),
                    protocol,
                    field,
                    value,
                },
                Provenance {
                    first: Source {
                        flow: Some(flow_ref),
                        ..first
                    },
                    observations: 1,
                },
            );
        }
        for (device, field, value, source) in state.device_facts {
            self.map.add_identity(
                IdentityFact {
                    device,
                    protocol,
                    field,
                    value,
                },
                Provenance {
                    first: Source {
                        flow: Some(flow_ref),
                        ..source
                    },
                    observations: 1,
                },
            );
        }
    }

    fn at_packet(&mut self, file: usize, packet: u64) {
        self.at = (u32::try_from(file).unwrap_or(u32::MAX), packet);
    }

    fn take_anomalies(&mut self, out: &mut Vec<String>) {
        out.append(&mut self.anomalies);
    }

    /// PROFINET DCP, GOOSE, EtherCAT, LLDP and CDP frames. Facts are about the frame's sender;
    /// the edge runs from the sender to the destination MAC (often a multicast group).
    fn on_frame(&mut self, frame: &L2Frame<'_>) {
        use crate::protocols::{cdp, ethercat, goose, lldp, profinet_dcp};
        let protocol = match frame.l2_type {
            L2Type::EtherType(profinet_dcp::ETHERTYPE) => Protocol::ProfinetDcp,
            L2Type::EtherType(goose::ETHERTYPE) => Protocol::Goose,
            L2Type::EtherType(ethercat::ETHERTYPE) => Protocol::Ethercat,
            L2Type::EtherType(lldp::ETHERTYPE) => Protocol::Lldp,
            // SNAP under Cisco's OUI stays LLC, its payload starting at the OUI.
            L2Type::Llc {
                dsap: 0xAA,
                ssap: 0xAA,
            } if cdp::is_cdp(frame.payload) => Protocol::Cdp,
            _ => return,
        };
        self.scratch.clear();
        self.flags.clear();
        let mut out = Output {
            protocol,
            ops: &mut self.frame_ops,
            facts: &mut self.frame_facts,
            // A frame's facts all come from this one frame: no per-fact sources needed.
            fact_sources: None,
            device_facts: Some(&mut self.frame_device_facts),
            anomalies: &mut self.scratch,
            flags: Some(&mut self.flags),
            ts: frame.ts,
            at: self.at,
            frame_level: true,
        };
        match protocol {
            Protocol::Goose => goose::frame(&mut self.goose, frame.src, frame.payload, &mut out),
            Protocol::Ethercat => ethercat::frame(frame.payload, &mut out),
            Protocol::Lldp => lldp::frame(frame.payload, &mut out),
            Protocol::Cdp => cdp::frame(frame.payload, &mut out),
            _ => profinet_dcp::frame(&mut self.dcp, frame.payload, &mut out),
        }
        if !self.frame_ops.is_empty() {
            let key = EdgeKey {
                client: Endpoint::Mac(frame.src),
                server: Endpoint::Mac(frame.dst),
                protocol,
            };
            self.map
                .add_frame(key, frame.ts, frame.wire_len, &self.frame_ops);
            self.frame_ops.clear();
        }
        let at = Source {
            ts: frame.ts,
            file: self.at.0,
            packet: self.at.1,
            flow: None,
        };
        for (_, field, value) in self.frame_facts.drain(..) {
            self.map.add_identity(
                IdentityFact {
                    device: Endpoint::Mac(frame.src),
                    protocol,
                    field,
                    value,
                },
                Provenance {
                    first: at,
                    observations: 1,
                },
            );
        }
        for (device, field, value, _) in self.frame_device_facts.drain(..) {
            self.map.add_identity(
                IdentityFact {
                    device,
                    protocol,
                    field,
                    value,
                },
                Provenance {
                    first: at,
                    observations: 1,
                },
            );
        }
        for flag in self.flags.drain(..) {
            self.map.add_anomaly(
                AnomalyKey {
                    class: flag.class,
                    protocol,
                    source: Endpoint::Mac(frame.src),
                    destination: Endpoint::Mac(frame.dst),
                    subject: flag.subject,
                },
                at,
                flag.message,
            );
        }
        self.anomalies.append(&mut self.scratch);
    }
}

/// Transport numbers for [`Dissector::transports`].
pub const TCP: &[u8] = &[ipproto::TCP];
pub const UDP: &[u8] = &[ipproto::UDP];
pub const TCP_AND_UDP: &[u8] = &[ipproto::TCP, ipproto::UDP];
