//! The communication map: per (client, server, protocol) edge, the traffic and every operation.

use crate::ops::{Operation, Protocol};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use zonewarden_model::Timestamp;

/// One end of an edge: an IP address, or a MAC address for protocols that live at layer 2
/// (PROFINET DCP, GOOSE), where the "server" may be a multicast group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Ip(IpAddr),
    Mac([u8; 6]),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Ip(ip) => write!(f, "{ip}"),
            Endpoint::Mac(mac) => f.write_str(&zonewarden_model::format_mac(*mac)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeKey {
    pub client: Endpoint,
    pub server: Endpoint,
    pub protocol: Protocol,
}

/// Counters for one operation on one edge (or, while a flow is open, on one flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpStats {
    /// Operations: requests, plus responses whose request was not seen.
    pub count: u64,
    pub requests: u64,
    /// Responses, exceptions included.
    pub responses: u64,
    /// Responses that report an error (Modbus exception, negative acknowledgement…).
    pub exceptions: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Lowest and highest-plus-one data address touched, where the protocol addresses data.
    pub address_min: Option<u32>,
    pub address_end: Option<u32>,
    /// The first message's packet: (input index, packet number), evidence for alerts.
    pub first_at: Option<(u32, u64)>,
    /// The longest run of requests, within one flow, whose start address rose each time: a
    /// register walk climbs for hundreds of requests, a poll loop only for as many blocks as
    /// it polls before it starts over.
    pub longest_climb: u32,
    climb: u32,
    last_start: Option<u32>,
}

impl OpStats {
    pub(crate) fn seen(&mut self, ts: Timestamp) {
        self.first_ts = Some(self.first_ts.map_or(ts, |t| t.min(ts)));
        self.last_ts = Some(self.last_ts.map_or(ts, |t| t.max(ts)));
    }

    /// A request's start address, in the order the flow carried them.
    pub(crate) fn climb(&mut self, start: u32) {
        self.climb = match self.last_start {
            Some(previous) if start > previous => self.climb.saturating_add(1),
            _ => 1,
        };
        self.last_start = Some(start);
        self.longest_climb = self.longest_climb.max(self.climb);
    }

    pub(crate) fn touch(&mut self, start: u32, quantity: u32) {
        let end = start.saturating_add(quantity);
        self.address_min = Some(self.address_min.map_or(start, |m| m.min(start)));
        self.address_end = Some(self.address_end.map_or(end, |m| m.max(end)));
    }

    pub(crate) fn merge(&mut self, other: &OpStats) {
        let earlier = match (self.first_ts, other.first_ts) {
            (None, _) => true,
            (Some(mine), Some(theirs)) => theirs < mine,
            (Some(_), None) => false,
        };
        if earlier && other.first_at.is_some() {
            self.first_at = other.first_at;
        }
        self.count += other.count;
        self.requests += other.requests;
        self.responses += other.responses;
        self.exceptions += other.exceptions;
        // Runs do not continue across flows: each flow's climb is its own.
        self.longest_climb = self.longest_climb.max(other.longest_climb);
        if let (Some(f), Some(l)) = (other.first_ts, other.last_ts) {
            self.seen(f);
            self.seen(l);
        }
        if let (Some(min), Some(end)) = (other.address_min, other.address_end) {
            self.touch(min, end - min);
        }
    }
}

/// What a device said about itself (vendor, model, firmware…), and in which protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityFact {
    pub device: Endpoint,
    pub protocol: Protocol,
    pub field: &'static str,
    pub value: String,
}

/// The flow that carried a message, as its client and server saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowRef {
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    /// IP protocol number (6 TCP, 17 UDP).
    pub transport: u8,
}

/// Where a fact was first seen, so that an inventory attribute can point at the packet that
/// shows it: the input (index in the scan's input list), the 1-based packet number in that
/// file, the packet's time and the flow (none for layer-2 frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub ts: Timestamp,
    pub file: u32,
    pub packet: u64,
    pub flow: Option<FlowRef>,
}

/// How often and where first a fact was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// The earliest observation (by time, then input and packet: the same for any worker count).
    pub first: Source,
    /// Flows (or layer-2 frames) that reported it.
    pub observations: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub key: EdgeKey,
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub server_ports: BTreeSet<u16>,
    pub operations: BTreeMap<Operation, OpStats>,
}

/// Identity facts kept at most, so that a device that varies its answers cannot fill memory.
const MAX_IDENTITY_FACTS: usize = 100_000;
/// Anomaly tallies kept at most: a fuzzer spraying malformed messages from spoofed addresses
/// makes one tally per pair, so the pairs are capped and the rest only counted.
const MAX_ANOMALY_TALLIES: usize = 10_000;

/// The protocol anomalies the detection stage acts on; the rest stay in the scan's anomaly
/// log only, because resynchronisation, mid-stream pickup or a forgotten request are facts
/// about the capture, not about an attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnomalyClass {
    /// A message that breaks its protocol's encoding rules (lengths, qualifiers, BER).
    Malformed,
    /// A publisher's counters that cannot come from the publisher alone (GOOSE stNum/sqNum
    /// going back, jumping or repeating).
    Sequence,
    /// Requests that explore a device rather than use it (a Modbus unit-id sweep).
    Probe,
}

/// Who sent the flagged messages to whom, and about what.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnomalyKey {
    pub class: AnomalyClass,
    pub protocol: Protocol,
    /// The sender of the flagged messages (the protocol's client or server, or a frame's
    /// source MAC).
    pub source: Endpoint,
    pub destination: Endpoint,
    /// What within the protocol: the GOOSE control block reference (with " (test)" for
    /// test/simulation frames, which count on their own); empty for malformed messages.
    pub subject: String,
}

/// How many messages were flagged, when, and the first of them as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyTally {
    pub count: u64,
    /// The earliest occurrence (by time, then input and packet: the same for any worker count).
    pub first: Source,
    pub last_ts: Timestamp,
    /// What the dissector said about the first occurrence.
    pub message: String,
}

#[derive(Debug, Default, Clone)]
pub struct CommunicationMap {
    edges: BTreeMap<EdgeKey, Edge>,
    identities: BTreeMap<IdentityFact, Provenance>,
    anomalies: BTreeMap<AnomalyKey, AnomalyTally>,
    /// Flagged messages whose pair found no room among the tallies.
    anomalies_untallied: u64,
}

impl CommunicationMap {
    /// Adds one closed flow's share to its edge.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_flow(
        &mut self,
        key: EdgeKey,
        server_port: u16,
        packets: u64,
        bytes: u64,
        first_ts: Timestamp,
        last_ts: Timestamp,
        operations: &[(Operation, OpStats)],
    ) {
        let edge = self.edges.entry(key).or_insert_with(|| Edge {
            key,
            flows: 0,
            packets: 0,
            bytes: 0,
            first_ts,
            last_ts,
            server_ports: BTreeSet::new(),
            operations: BTreeMap::new(),
        });
        edge.flows += 1;
        edge.packets += packets;
        edge.bytes += bytes;
        edge.first_ts = edge.first_ts.min(first_ts);
        edge.last_ts = edge.last_ts.max(last_ts);
        edge.server_ports.insert(server_port);
        for (op, stats) in operations {
            edge.operations.entry(*op).or_default().merge(stats);
        }
    }

    /// Adds one layer-2 frame's operations to its edge (no flow: each frame counts alone).
    pub(crate) fn add_frame(
        &mut self,
        key: EdgeKey,
        ts: Timestamp,
        bytes: u64,
        operations: &[(Operation, OpStats)],
    ) {
        let edge = self.edges.entry(key).or_insert_with(|| Edge {
            key,
            flows: 0,
            packets: 0,
            bytes: 0,
            first_ts: ts,
            last_ts: ts,
            server_ports: BTreeSet::new(),
            operations: BTreeMap::new(),
        });
        edge.packets += 1;
        edge.bytes += bytes;
        edge.first_ts = edge.first_ts.min(ts);
        edge.last_ts = edge.last_ts.max(ts);
        for (op, stats) in operations {
            edge.operations.entry(*op).or_default().merge(stats);
        }
    }

    pub(crate) fn add_identity(&mut self, fact: IdentityFact, provenance: Provenance) {
        if let Some(known) = self.identities.get_mut(&fact) {
            known.observations += provenance.observations;
            if provenance.first < known.first {
                known.first = provenance.first;
            }
        } else if self.identities.len() < MAX_IDENTITY_FACTS {
            self.identities.insert(fact, provenance);
        }
    }

    /// Counts one flagged message.
    pub(crate) fn add_anomaly(&mut self, key: AnomalyKey, first: Source, message: String) {
        self.add_anomaly_tally(
            key,
            AnomalyTally {
                count: 1,
                first,
                last_ts: first.ts,
                message,
            },
        );
    }

    fn add_anomaly_tally(&mut self, key: AnomalyKey, tally: AnomalyTally) {
        if let Some(known) = self.anomalies.get_mut(&key) {
            known.count += tally.count;
            known.last_ts = known.last_ts.max(tally.last_ts);
            if tally.first < known.first {
                known.first = tally.first;
                known.message = tally.message;
            }
        } else if self.anomalies.len() < MAX_ANOMALY_TALLIES {
            self.anomalies.insert(key, tally);
        } else {
            self.anomalies_untallied += tally.count;
        }
    }

    pub fn merge(&mut self, other: CommunicationMap) {
        for (key, edge) in other.edges {
            match self.edges.get_mut(&key) {
                None => {
                    self.edges.insert(key, edge);
                }
                Some(mine) => {
                    mine.flows += edge.flows;
                    mine.packets += edge.packets;
                    mine.bytes += edge.bytes;
                    mine.first_ts = mine.first_ts.min(edge.first_ts);
                    mine.last_ts = mine.last_ts.max(edge.last_ts);
                    mine.server_ports.extend(edge.server_ports);
                    for (op, stats) in edge.operations {
                        mine.operations.entry(op).or_default().merge(&stats);
                    }
                }
            }
        }
        for (fact, provenance) in other.identities {
            self.add_identity(fact, provenance);
        }
        for (key, tally) in other.anomalies {
            self.add_anomaly_tally(key, tally);
        }
        self.anomalies_untallied += other.anomalies_untallied;
    }

    /// Flagged protocol messages per class, protocol, sender, receiver and subject.
    pub fn anomalies(&self) -> impl Iterator<Item = (&AnomalyKey, &AnomalyTally)> {
        self.anomalies.iter()
    }

    /// Flagged messages not tallied because the tallies were full.
    pub fn anomalies_untallied(&self) -> u64 {
        self.anomalies_untallied
    }

    /// Edges in a stable order: client, server, protocol.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.edges.values()
    }

    /// Identity facts in a stable order: device, protocol, field, value.
    pub fn identities(&self) -> impl Iterator<Item = &IdentityFact> {
        self.identities.keys()
    }

    /// Identity facts with where each was first seen.
    pub fn identities_with_provenance(&self) -> impl Iterator<Item = (&IdentityFact, &Provenance)> {
        self.identities.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty() && self.identities.is_empty() && self.anomalies.is_empty()
    }
}
