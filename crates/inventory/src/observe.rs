//! What the inventory is built from: hosts as the pipeline counted them, the services each
//! address offered, and the communication map with its identity facts.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use zonewarden_dissect::CommunicationMap;
use zonewarden_model::Timestamp;

/// One address (or one MAC seen only at layer 2) as the pipeline counted it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostObservation {
    /// `None` for a device seen only in frames without IP.
    pub ip: Option<IpAddr>,
    /// Source MACs of frames from this address: the device's own, or a router's for a host
    /// on another subnet.
    pub macs: Vec<[u8; 6]>,
    /// MACs that announced this address in ARP: the device's own, for certain.
    pub arp_macs: Vec<[u8; 6]>,
    /// Layer-2 protocols this device's MACs sent to a group address (`stp`, `lldp`,
    /// `profinet`…), by the report's names.
    pub l2_protocols: Vec<String>,
    pub packets: u64,
    /// Packets this address sent: an address that only ever received (a directed broadcast,
    /// a dead device still polled) is no evidence of a device.
    pub packets_sent: u64,
    pub bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

/// Ports per server kept at most; a host answering on more is summarised by the count.
const MAX_PORTS_PER_SERVER: usize = 64;
/// Servers tracked at most (memory grows with assets, not packets, and stays bounded).
const MAX_SERVERS: usize = 1_000_000;

/// The services (transport and port) each address answered on, and how many distinct
/// clients used them, fed one finished flow at a time.
#[derive(Debug, Default, Clone)]
pub struct ServiceTally {
    servers: BTreeMap<IpAddr, ServerPorts>,
}

#[derive(Debug, Default, Clone)]
struct ServerPorts {
    ports: BTreeMap<(u8, u16), u64>,
    more_ports: u64,
    /// Clients of any of its services (capped).
    clients: BTreeSet<IpAddr>,
}

/// Clients remembered per server: enough to tell who feeds a database, bounded for servers
/// that the whole network uses (DNS, a domain controller).
const MAX_CLIENTS_PER_SERVER: usize = 32;

impl ServiceTally {
    /// A flow whose server answered (a TCP handshake or any reply): `transport` is the IP
    /// protocol number.
    pub fn add(&mut self, client: IpAddr, server: IpAddr, transport: u8, port: u16) {
        if !self.servers.contains_key(&server) && self.servers.len() >= MAX_SERVERS {
            return;
        }
        let entry = self.servers.entry(server).or_default();
        if entry.clients.len() < MAX_CLIENTS_PER_SERVER {
            entry.clients.insert(client);
        }
        let room = entry.ports.len() < MAX_PORTS_PER_SERVER;
        match entry.ports.get_mut(&(transport, port)) {
            Some(flows) => *flows += 1,
            None if room => {
                entry.ports.insert((transport, port), 1);
            }
            None => entry.more_ports += 1,
        }
    }

    pub fn merge(&mut self, other: ServiceTally) {
        for (ip, theirs) in other.servers {
            if !self.servers.contains_key(&ip) && self.servers.len() >= MAX_SERVERS {
                continue;
            }
            let mine = self.servers.entry(ip).or_default();
            mine.more_ports += theirs.more_ports;
            for client in theirs.clients {
                if mine.clients.len() < MAX_CLIENTS_PER_SERVER {
                    mine.clients.insert(client);
                }
            }
            for (key, flows) in theirs.ports {
                let room = mine.ports.len() < MAX_PORTS_PER_SERVER;
                match mine.ports.get_mut(&key) {
                    Some(count) => *count += flows,
                    None if room => {
                        mine.ports.insert(key, flows);
                    }
                    None => mine.more_ports += flows,
                }
            }
        }
    }

    /// Addresses that used any service of this server (at most 32 kept).
    pub fn clients(&self, ip: IpAddr) -> impl Iterator<Item = IpAddr> + '_ {
        self.servers
            .get(&ip)
            .into_iter()
            .flat_map(|s| s.clients.iter().copied())
    }

    /// (transport, port, flows) served by this address, in port order.
    pub fn ports(&self, ip: IpAddr) -> impl Iterator<Item = (u8, u16, u64)> + '_ {
        self.servers
            .get(&ip)
            .into_iter()
            .flat_map(|s| s.ports.iter().map(|(&(t, p), &n)| (t, p, n)))
    }
}

/// Everything the inventory reads.
#[derive(Debug, Clone, Copy)]
pub struct Observations<'a> {
    pub hosts: &'a [HostObservation],
    pub services: &'a ServiceTally,
    pub map: &'a CommunicationMap,
    /// Input file names, indexed as in fact provenance.
    pub inputs: &'a [String],
}
