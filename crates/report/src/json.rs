//! The JSON shapes. Field names are a public contract: scripts read them. Add, never rename.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use zonewarden_dissect::{CommunicationMap, Edge, Endpoint, IdentityFact, OpClass};
use zonewarden_engine::{Counters, Host, InputSummary, ScanReport};
use zonewarden_flow::{endpoint, Flow, L2Conversation, StreamStats};
use zonewarden_inventory::{Asset, Inventory};
use zonewarden_model::{format_mac, Anomaly, Timestamp};
use zonewarden_wire::{ipproto, L2Type};

#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub tool: Tool,
    pub inputs: Vec<InputJson<'a>>,
    pub stats: StatsJson,
    pub hosts: Vec<HostJson>,
    pub flows: Vec<FlowJson>,
    pub l2_conversations: Vec<L2Json>,
    /// The communication map: per (client, server, protocol), the operations seen.
    pub edges: Vec<EdgeJson>,
    /// What devices said about themselves (vendor, model, firmware…), per protocol.
    pub identities: Vec<IdentityJson>,
    /// The asset inventory: one entry per device, attributes with their provenance.
    pub assets: &'a [Asset],
    pub anomalies: &'a [Anomaly],
    pub anomalies_by_kind: BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub skipped_non_captures: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "zonewarden",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct InputJson<'a> {
    pub path: &'a str,
    pub format: &'static str,
    pub compression: Option<&'static str>,
    pub link_types: &'a [String],
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub errors: u64,
    pub opened: bool,
}

impl<'a> From<&'a InputSummary> for InputJson<'a> {
    fn from(i: &'a InputSummary) -> Self {
        InputJson {
            path: &i.path,
            format: if i.opened { i.format } else { "unreadable" },
            compression: i.compression,
            link_types: &i.link_types,
            packets: i.packets,
            bytes: i.bytes,
            first_ts: i.first_ts,
            last_ts: i.last_ts,
            errors: i.errors,
            opened: i.opened,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct StatsJson {
    pub packets: u64,
    pub bytes: u64,
    pub captured_bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub duration_s: f64,
    pub flows_tcp: u64,
    pub flows_udp: u64,
    pub l2_conversations: u64,
    pub hosts: u64,
    pub anomalies: u64,
    pub ipv4_packets: u64,
    pub ipv6_packets: u64,
    pub arp_packets: u64,
    pub other_l2_packets: u64,
    pub tcp_packets: u64,
    pub udp_packets: u64,
    pub icmp_packets: u64,
    pub other_ip_packets: u64,
    pub ip_fragments: u64,
    pub datagrams_reassembled: u64,
    pub decode_errors: u64,
    pub unknown_link_packets: u64,
    pub snaplen_truncated: u64,
    pub tcp_reassembled_bytes: u64,
    pub tcp_gaps: u64,
    pub tcp_gap_bytes: u64,
}

impl StatsJson {
    pub fn new(c: &Counters, report: &ScanReport) -> Self {
        let duration_ns = match (c.first_ts, c.last_ts) {
            (Some(f), Some(l)) => l.saturating_sub(f),
            _ => 0,
        };
        StatsJson {
            packets: c.packets,
            bytes: c.bytes,
            captured_bytes: c.captured_bytes,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
            // Microsecond precision keeps the number readable and the bytes stable.
            duration_s: (duration_ns / 1000) as f64 / 1e6,
            flows_tcp: c.flows_tcp,
            flows_udp: c.flows_udp,
            l2_conversations: report.l2_conversations.len() as u64,
            hosts: report.hosts.len() as u64,
            anomalies: report.anomalies_total,
            ipv4_packets: c.ipv4,
            ipv6_packets: c.ipv6,
            arp_packets: c.arp,
            other_l2_packets: c.other_l2,
            tcp_packets: c.tcp_packets,
            udp_packets: c.udp_packets,
            icmp_packets: c.icmp_packets,
            other_ip_packets: c.other_ip_packets,
            ip_fragments: c.fragments,
            datagrams_reassembled: c.datagrams_reassembled,
            decode_errors: c.decode_errors,
            unknown_link_packets: c.unknown_link,
            snaplen_truncated: c.snaplen_truncated,
            tcp_reassembled_bytes: c.reassembled_bytes,
            tcp_gaps: c.tcp_gaps,
            tcp_gap_bytes: c.tcp_gap_bytes,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct HostJson {
    pub ip: Option<String>,
    pub macs: Vec<String>,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    pub packets_received: u64,
    pub bytes_received: u64,
    pub flows_as_client: u64,
    pub flows_as_server: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

impl From<&Host> for HostJson {
    fn from(h: &Host) -> Self {
        HostJson {
            ip: h.ip.map(|ip| ip.to_string()),
            macs: h.macs.iter().map(|m| format_mac(*m)).collect(),
            packets_sent: h.packets_sent,
            bytes_sent: h.bytes_sent,
            packets_received: h.packets_received,
            bytes_received: h.bytes_received,
            flows_as_client: h.flows_as_client,
            flows_as_server: h.flows_as_server,
            first_ts: h.first_ts,
            last_ts: h.last_ts,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct StreamJson {
    pub bytes: u64,
    pub gaps: u32,
    pub gap_bytes: u64,
    pub overlap_bytes: u64,
    pub out_of_order_segments: u32,
    pub cap_hits: u32,
}

impl From<StreamStats> for StreamJson {
    fn from(s: StreamStats) -> Self {
        StreamJson {
            bytes: s.bytes,
            gaps: s.gaps,
            gap_bytes: s.gap_bytes,
            overlap_bytes: s.overlap_bytes,
            out_of_order_segments: s.out_of_order,
            cap_hits: s.cap_hits,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TcpJson {
    pub state: &'static str,
    pub handshake: bool,
    pub midstream: bool,
    pub fin_client: bool,
    pub fin_server: bool,
    pub rst: bool,
    pub client_stream: StreamJson,
    pub server_stream: StreamJson,
}

#[derive(Debug, Serialize)]
pub struct FlowJson {
    pub proto: &'static str,
    pub client: String,
    pub server: String,
    pub vlan: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_inner: Option<u16>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub client_packets: u64,
    pub client_bytes: u64,
    pub server_packets: u64,
    pub server_bytes: u64,
    pub client_payload_bytes: u64,
    pub server_payload_bytes: u64,
    pub client_mac: Option<String>,
    pub server_mac: Option<String>,
    pub direction_by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpJson>,
}

impl From<&Flow> for FlowJson {
    fn from(f: &Flow) -> Self {
        let vlans = f.vlans();
        FlowJson {
            proto: proto_name(f.proto()),
            client: endpoint(f.client),
            server: endpoint(f.server),
            vlan: (vlans.outer != 0).then_some(vlans.outer),
            vlan_inner: (vlans.inner != 0).then_some(vlans.inner),
            packets: f.total_packets(),
            bytes: f.total_bytes(),
            first_ts: f.first_ts,
            last_ts: f.last_ts,
            client_packets: f.packets[0],
            client_bytes: f.bytes[0],
            server_packets: f.packets[1],
            server_bytes: f.bytes[1],
            client_payload_bytes: f.payload_bytes[0],
            server_payload_bytes: f.payload_bytes[1],
            client_mac: f.macs[0].map(format_mac),
            server_mac: f.macs[1].map(format_mac),
            direction_by: f.direction_by.as_str(),
            tcp: f.tcp.as_ref().map(|t| TcpJson {
                state: t.state(),
                handshake: t.syn && t.syn_ack,
                midstream: t.midstream,
                fin_client: t.fin_client,
                fin_server: t.fin_server,
                rst: t.rst,
                client_stream: t.client_stream.into(),
                server_stream: t.server_stream.into(),
            }),
        }
    }
}

pub fn proto_name(proto: u8) -> &'static str {
    match proto {
        ipproto::TCP => "tcp",
        ipproto::UDP => "udp",
        _ => "other",
    }
}

#[derive(Debug, Serialize)]
pub struct L2Json {
    pub mac_a: String,
    pub mac_b: String,
    /// `0x88cc`-style EtherType, or null for 802.3/LLC frames.
    pub ethertype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llc_dsap: Option<u8>,
    pub protocol: &'static str,
    pub vlan: Option<u16>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
}

impl From<&L2Conversation> for L2Json {
    fn from(c: &L2Conversation) -> Self {
        let (ethertype, llc_dsap) = match c.key.l2_type {
            L2Type::EtherType(t) => (Some(format!("0x{t:04x}")), None),
            L2Type::Llc { dsap, .. } => (None, Some(dsap)),
            L2Type::None => (None, None),
        };
        L2Json {
            mac_a: format_mac(c.key.mac_a),
            mac_b: format_mac(c.key.mac_b),
            ethertype,
            llc_dsap,
            protocol: crate::names::l2_name(c.key.l2_type),
            vlan: (c.key.vlans.outer != 0).then_some(c.key.vlans.outer),
            packets: c.packets,
            bytes: c.bytes,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OperationJson {
    pub protocol: &'static str,
    pub code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcode: Option<u16>,
    pub name: &'static str,
    pub class: &'static str,
    pub count: u64,
    pub requests: u64,
    pub responses: u64,
    pub exceptions: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_end: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct EdgeJson {
    pub client: String,
    pub server: String,
    pub protocol: &'static str,
    pub server_ports: Vec<u16>,
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// The operation classes seen on this edge, in a fixed order.
    pub classes: Vec<&'static str>,
    pub operations: Vec<OperationJson>,
}

impl From<&Edge> for EdgeJson {
    fn from(e: &Edge) -> Self {
        let classes: BTreeSet<OpClass> = e
            .operations
            .iter()
            .filter(|(_, s)| s.count > 0)
            .map(|(o, _)| o.class)
            .collect();
        EdgeJson {
            client: e.key.client.to_string(),
            server: e.key.server.to_string(),
            protocol: e.key.protocol.as_str(),
            server_ports: e.server_ports.iter().copied().collect(),
            flows: e.flows,
            packets: e.packets,
            bytes: e.bytes,
            first_ts: e.first_ts,
            last_ts: e.last_ts,
            classes: classes.into_iter().map(OpClass::as_str).collect(),
            operations: e
                .operations
                .iter()
                .map(|(o, s)| OperationJson {
                    protocol: o.protocol.as_str(),
                    code: o.code,
                    subcode: o.subcode,
                    name: o.name,
                    class: o.class.as_str(),
                    count: s.count,
                    requests: s.requests,
                    responses: s.responses,
                    exceptions: s.exceptions,
                    first_ts: s.first_ts,
                    last_ts: s.last_ts,
                    address_min: s.address_min,
                    address_end: s.address_end,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct IdentityJson {
    /// The device's IP address, or null when it spoke only at layer 2.
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    pub protocol: &'static str,
    pub field: &'static str,
    pub value: String,
}

impl From<&IdentityFact> for IdentityJson {
    fn from(f: &IdentityFact) -> Self {
        let (ip, mac) = match f.device {
            Endpoint::Ip(ip) => (Some(ip.to_string()), None),
            Endpoint::Mac(mac) => (None, Some(format_mac(mac))),
        };
        IdentityJson {
            ip,
            mac,
            protocol: f.protocol.as_str(),
            field: f.field,
            value: f.value.clone(),
        }
    }
}

impl<'a> Document<'a> {
    pub fn new(report: &'a ScanReport, map: &CommunicationMap, inventory: &'a Inventory) -> Self {
        Document {
            tool: Tool::default(),
            inputs: report.inputs.iter().map(InputJson::from).collect(),
            stats: StatsJson::new(&report.counters, report),
            hosts: report.hosts.iter().map(HostJson::from).collect(),
            flows: report.flows.iter().map(FlowJson::from).collect(),
            l2_conversations: report.l2_conversations.iter().map(L2Json::from).collect(),
            edges: map.edges().map(EdgeJson::from).collect(),
            identities: map.identities().map(IdentityJson::from).collect(),
            assets: &inventory.assets,
            anomalies: &report.anomalies,
            anomalies_by_kind: report
                .anomalies_by_kind
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect(),
            skipped_non_captures: &report.skipped_non_captures,
        }
    }
}
