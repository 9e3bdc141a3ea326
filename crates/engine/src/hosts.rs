//! Hosts seen, built from finished flows (not per packet: the flow already summed the packets)
//! plus the few packets that belong to no flow (ICMP, other IP protocols, ARP, non-IP frames).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use zonewarden_flow::{Flow, L2Conversation};
use zonewarden_model::Timestamp;

/// MACs remembered per IP; a host behind a router shows the router's MAC, and more than a few
/// MACs on one IP is itself the finding (duplicate address or spoofing), not a list to keep.
const MAX_MACS_PER_IP: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Host {
    pub ip: Option<IpAddr>,
    pub macs: BTreeSet<[u8; 6]>,
    /// MACs that announced this address themselves in ARP (sender fields): direct evidence of
    /// the binding, unlike the source MAC of routed IP packets, which is the router's.
    pub arp_macs: BTreeSet<[u8; 6]>,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    pub packets_received: u64,
    pub bytes_received: u64,
    pub flows_as_client: u64,
    pub flows_as_server: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

impl Host {
    pub fn total_bytes(&self) -> u64 {
        self.bytes_sent + self.bytes_received
    }

    fn seen(&mut self, first: Timestamp, last: Timestamp) {
        self.first_ts = Some(self.first_ts.map_or(first, |t| t.min(first)));
        self.last_ts = Some(self.last_ts.map_or(last, |t| t.max(last)));
    }

    fn add_mac(&mut self, mac: Option<[u8; 6]>) {
        if let Some(mac) = mac {
            if is_unicast_mac(mac) && self.macs.len() < MAX_MACS_PER_IP {
                self.macs.insert(mac);
            }
        }
    }

    fn merge(&mut self, other: Host) {
        for mac in other.macs {
            self.add_mac(Some(mac));
        }
        for mac in other.arp_macs {
            if self.arp_macs.len() < MAX_MACS_PER_IP {
                self.arp_macs.insert(mac);
            }
        }
        self.packets_sent += other.packets_sent;
        self.bytes_sent += other.bytes_sent;
        self.packets_received += other.packets_received;
        self.bytes_received += other.bytes_received;
        self.flows_as_client += other.flows_as_client;
        self.flows_as_server += other.flows_as_server;
        if let (Some(f), Some(l)) = (other.first_ts, other.last_ts) {
            self.seen(f, l);
        }
    }
}

/// Group (multicast/broadcast) MACs have the low bit of the first octet set.
pub fn is_unicast_mac(mac: [u8; 6]) -> bool {
    mac.first().is_some_and(|b| b & 1 == 0) && mac != [0; 6]
}

/// Addresses that name a group or nobody are not hosts.
pub fn is_host_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified()),
        IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
    }
}

#[derive(Debug, Default)]
pub struct HostTable {
    by_ip: BTreeMap<IpAddr, Host>,
}

impl HostTable {
    fn entry(&mut self, ip: IpAddr) -> Option<&mut Host> {
        if !is_host_ip(ip) {
            return None;
        }
        Some(self.by_ip.entry(ip).or_insert_with(|| Host {
            ip: Some(ip),
            ..Host::default()
        }))
    }

    pub fn add_flow(&mut self, flow: &Flow) {
        let [to_server, to_client] = flow.packets;
        let [bytes_to_server, bytes_to_client] = flow.bytes;
        let [client_mac, server_mac] = flow.macs;
        if let Some(client) = self.entry(flow.client.0) {
            client.packets_sent += to_server;
            client.bytes_sent += bytes_to_server;
            client.packets_received += to_client;
            client.bytes_received += bytes_to_client;
            client.flows_as_client += 1;
            client.add_mac(client_mac);
            client.seen(flow.first_ts, flow.last_ts);
        }
        if let Some(server) = self.entry(flow.server.0) {
            server.packets_sent += to_client;
            server.bytes_sent += bytes_to_client;
            server.packets_received += to_server;
            server.bytes_received += bytes_to_server;
            server.flows_as_server += 1;
            server.add_mac(server_mac);
            server.seen(flow.first_ts, flow.last_ts);
        }
    }

    /// A packet outside any flow (ICMP, other IP protocols, the IP side of ARP).
    pub fn add_packet(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        src_mac: Option<[u8; 6]>,
        dst: Option<IpAddr>,
        wire_len: u64,
    ) {
        if let Some(host) = self.entry(src) {
            host.packets_sent += 1;
            host.bytes_sent += wire_len;
            host.add_mac(src_mac);
            host.seen(ts, ts);
        }
        if let Some(host) = dst.and_then(|d| self.entry(d)) {
            host.packets_received += 1;
            host.bytes_received += wire_len;
            host.seen(ts, ts);
        }
    }

    /// An ARP packet: the sender announces its own address and MAC.
    pub fn add_arp(&mut self, ts: Timestamp, ip: IpAddr, mac: Option<[u8; 6]>, wire_len: u64) {
        self.add_packet(ts, ip, mac, None, wire_len);
        if let (Some(host), Some(mac)) = (self.entry(ip), mac) {
            if is_unicast_mac(mac) && host.arp_macs.len() < MAX_MACS_PER_IP {
                host.arp_macs.insert(mac);
            }
        }
    }

    pub fn merge(&mut self, other: HostTable) {
        for (ip, host) in other.by_ip {
            self.by_ip
                .entry(ip)
                .or_insert_with(|| Host {
                    ip: Some(ip),
                    ..Host::default()
                })
                .merge(host);
        }
    }

    /// IP hosts in address order, then devices seen only at layer 2 (no IP ever), by MAC.
    pub fn into_sorted(self, l2: &[L2Conversation]) -> Vec<Host> {
        let with_ip: BTreeSet<[u8; 6]> = self
            .by_ip
            .values()
            .flat_map(|h| h.macs.iter().copied())
            .collect();
        let mut l2_only: BTreeMap<[u8; 6], Host> = BTreeMap::new();
        for conv in l2 {
            for mac in [conv.key.mac_a, conv.key.mac_b] {
                if !is_unicast_mac(mac) || with_ip.contains(&mac) {
                    continue;
                }
                let host = l2_only.entry(mac).or_default();
                host.macs.insert(mac);
                host.seen(conv.first_ts, conv.last_ts);
            }
        }
        let mut hosts: Vec<Host> = self.by_ip.into_values().collect();
        hosts.extend(l2_only.into_values());
        hosts
    }
}
