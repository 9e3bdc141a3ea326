//! Observed traffic as the policy sees it: conversations (client, server, transport, server
//! port) with their protocol and operations, summed over flows.

use std::collections::BTreeMap;
use std::net::IpAddr;
use zonewarden_dissect::{CommunicationMap, Endpoint, OpClass, Protocol};
use zonewarden_flow::{DirectionSource, Flow};
use zonewarden_model::Timestamp;

/// One operation used on a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpUse {
    pub name: &'static str,
    pub code: u16,
    pub class: OpClass,
    pub count: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub client: IpAddr,
    pub server: IpAddr,
    /// IP protocol number.
    pub transport: u8,
    pub port: u16,
    /// The protocol a dissector recognised, if any.
    pub protocol: Option<Protocol>,
    pub operations: Vec<OpUse>,
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// Packets the client sent first in each flow, summed: what a stateful firewall would
    /// see as connection openings from the client side.
    pub client_packets: u64,
    pub server_packets: u64,
    /// No flow of it showed its handshake: client and server were told by ports alone (a
    /// flow picked up mid-stream, as at the start of a capture or after a learning period).
    pub direction_guessed: bool,
}

impl Conversation {
    /// `tcp 10.0.0.1 -> 10.0.0.2:502`
    pub fn describe(&self) -> String {
        format!(
            "{} {} -> {}",
            transport_name(self.transport),
            self.client,
            socket(self.server, self.port)
        )
    }
}

pub fn socket(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

pub fn transport_name(transport: u8) -> &'static str {
    match transport {
        crate::protocols::TCP => "tcp",
        crate::protocols::UDP => "udp",
        crate::protocols::ICMP => "icmp",
        crate::protocols::ICMPV6 => "icmpv6",
        _ => "ip",
    }
}

/// True for addresses that stay on their segment (no router forwards them between zones).
pub fn is_local_only(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_link_local()
                || v4.octets()[3] == 255
        }
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unspecified() || v6.segments()[0] == 0xfe80,
    }
}

type ConvKey = (IpAddr, IpAddr, u8, u16);

/// Sums flows into conversations and attaches the map's protocols and operations.
pub fn conversations(flows: &[Flow], map: &CommunicationMap) -> Vec<Conversation> {
    let mut by_key: BTreeMap<ConvKey, Conversation> = BTreeMap::new();
    for f in flows {
        let key = (f.client.0, f.server.0, f.proto(), f.server.1);
        let c = by_key.entry(key).or_insert_with(|| Conversation {
            client: f.client.0,
            server: f.server.0,
            transport: f.proto(),
            port: f.server.1,
            protocol: None,
            operations: Vec::new(),
            flows: 0,
            packets: 0,
            bytes: 0,
            first_ts: f.first_ts,
            last_ts: f.last_ts,
            client_packets: 0,
            server_packets: 0,
            direction_guessed: true,
        });
        c.direction_guessed &= matches!(
            f.direction_by,
            DirectionSource::Port | DirectionSource::FirstPacket
        );
        c.flows += 1;
        c.packets += f.total_packets();
        c.bytes += f.total_bytes();
        c.client_packets += f.packets[0];
        c.server_packets += f.packets[1];
        c.first_ts = c.first_ts.min(f.first_ts);
        c.last_ts = c.last_ts.max(f.last_ts);
    }
    for edge in map.edges() {
        let (Endpoint::Ip(client), Endpoint::Ip(server)) = (edge.key.client, edge.key.server)
        else {
            continue;
        };
        let transports = crate::protocols::transports_of(edge.key.protocol);
        let mut first = true;
        for port in &edge.server_ports {
            for &transport in transports {
                let Some(c) = by_key.get_mut(&(client, server, transport, *port)) else {
                    continue;
                };
                c.protocol = Some(edge.key.protocol);
                // The map sums operations per edge, not per port: they go to the edge's
                // first conversation so that none is counted twice.
                if first {
                    first = false;
                    c.operations = edge
                        .operations
                        .iter()
                        // Responses to requests already counted carry a count of 0.
                        .filter(|(_, stats)| stats.count > 0)
                        .map(|(op, stats)| OpUse {
                            name: op.name,
                            code: op.code,
                            class: op.class,
                            count: stats.count,
                            first_ts: stats.first_ts,
                            last_ts: stats.last_ts,
                        })
                        .collect();
                }
            }
        }
    }
    by_key.into_values().collect()
}
