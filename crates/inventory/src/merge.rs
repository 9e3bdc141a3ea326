//! Which addresses and MACs are one device.
//!
//! Evidence that an IP address belongs to a MAC, strongest first: the MAC announced the
//! address in ARP; a DHCP server leased the address to the MAC; frames from the address came
//! from the MAC. The last is weak: a router forwards the frames of every host behind it with
//! its own MAC. So a MAC is taken for a **gateway** when, within one address family, two or
//! more addresses that it never announced in ARP (nor leased by DHCP) were active at
//! overlapping times (three or more for IPv6, where one host often holds several temporary
//! addresses), or IPv4 addresses from more than one /24 (a DHCP lease changes within its
//! pool; addresses from several networks behind one MAC are routed). A gateway's MAC joins only the addresses it announced itself; the hosts behind
//! it stay separate assets that remember the gateway they were seen through.
//!
//! A MAC with several addresses used one after the other (a DHCP lease changing) is one
//! device. An IPv6 link-local address whose interface identifier is built from a MAC (modified
//! EUI-64) joins that MAC. Devices seen only at layer 2 (PROFINET, GOOSE) are MAC-only groups.

use crate::observe::HostObservation;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use zonewarden_model::Timestamp;

/// One device: its addresses, MACs and the gateways its frames came through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Group {
    pub ips: BTreeSet<IpAddr>,
    pub macs: BTreeSet<[u8; 6]>,
    /// Gateway MACs that carried this device's frames.
    pub behind: BTreeSet<[u8; 6]>,
    /// Indices into the host observations.
    pub hosts: Vec<usize>,
    /// Why addresses or MACs were joined, or where evidence conflicted.
    pub notes: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Grouping {
    pub groups: Vec<Group>,
    pub gateways: BTreeSet<[u8; 6]>,
    pub by_ip: BTreeMap<IpAddr, usize>,
    pub by_mac: BTreeMap<[u8; 6], usize>,
}

/// Disjoint sets over node indices (path halving, union by index).
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while let Some(&parent) = self.0.get(x) {
            if parent == x {
                break;
            }
            let grand = self.0.get(parent).copied().unwrap_or(parent);
            if let Some(slot) = self.0.get_mut(x) {
                *slot = grand;
            }
            x = grand;
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (low, high) = (ra.min(rb), ra.max(rb));
        if let Some(slot) = self.0.get_mut(high) {
            *slot = low;
        }
    }
}

fn overlap(a: &HostObservation, b: &HostObservation) -> bool {
    match (a.first_ts, a.last_ts, b.first_ts, b.last_ts) {
        (Some(af), Some(al), Some(bf), Some(bl)) => af <= bl && bf <= al,
        _ => true,
    }
}

/// The MAC a modified EUI-64 interface identifier was built from (RFC 4291 appendix A).
fn eui64_mac(ip: IpAddr) -> Option<[u8; 6]> {
    let IpAddr::V6(v6) = ip else { return None };
    let o = v6.octets();
    let [.., i0, i1, i2, i3, i4, i5, i6, i7] = o;
    (i3 == 0xff && i4 == 0xfe).then_some([i0 ^ 0x02, i1, i2, i5, i6, i7])
}

/// Groups host observations into devices. `leases` are DHCP (MAC, address) bindings.
pub(crate) fn group(hosts: &[HostObservation], leases: &BTreeSet<([u8; 6], IpAddr)>) -> Grouping {
    // Nodes: one per host observation, then one per MAC.
    let mut mac_node: BTreeMap<[u8; 6], usize> = BTreeMap::new();
    for host in hosts {
        for mac in host.macs.iter().chain(&host.arp_macs) {
            let next = hosts.len() + mac_node.len();
            mac_node.entry(*mac).or_insert(next);
        }
    }
    let bound = |h: &HostObservation, mac: &[u8; 6]| {
        h.arp_macs.contains(mac)
            || h.ip
                .is_some_and(|ip| leases.contains(&(*mac, ip)) || eui64_mac(ip) == Some(*mac))
    };

    // Gateways: MACs carrying overlapping, unannounced addresses.
    let mut by_mac: BTreeMap<[u8; 6], Vec<usize>> = BTreeMap::new();
    for (index, host) in hosts.iter().enumerate() {
        if host.ip.is_some() {
            for mac in &host.macs {
                by_mac.entry(*mac).or_default().push(index);
            }
        }
    }
    let mut gateways = BTreeSet::new();
    for (mac, indices) in &by_mac {
        for v4 in [true, false] {
            let unbound: Vec<&HostObservation> = indices
                .iter()
                .filter_map(|&i| hosts.get(i))
                .filter(|h| h.ip.is_some_and(|ip| ip.is_ipv4() == v4) && !bound(h, mac))
                .collect();
            let needed = if v4 { 2 } else { 3 };
            let concurrent = unbound
                .iter()
                .filter(|h| {
                    unbound
                        .iter()
                        .any(|o| !std::ptr::eq(**h, *o) && overlap(h, o))
                })
                .count();
            // A DHCP host changes address within its pool; addresses from several /24s
            // behind one MAC, even one after the other, are routed.
            let subnets = unbound
                .iter()
                .filter_map(|h| match h.ip {
                    Some(IpAddr::V4(v4)) => {
                        let [a, b, c, _] = v4.octets();
                        Some([a, b, c])
                    }
                    _ => None,
                })
                .collect::<BTreeSet<_>>()
                .len();
            if concurrent >= needed || subnets >= 2 {
                gateways.insert(*mac);
            }
        }
    }

    let mut sets = Sets((0..hosts.len() + mac_node.len()).collect());
    let mut behind: BTreeMap<usize, BTreeSet<[u8; 6]>> = BTreeMap::new();
    let mut notes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (index, host) in hosts.iter().enumerate() {
        let own: Vec<[u8; 6]> = host
            .macs
            .iter()
            .chain(&host.arp_macs)
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|mac| host.ip.is_none() || !gateways.contains(mac) || bound(host, mac))
            .collect();
        for mac in host.macs.iter().filter(|m| !own.contains(m)) {
            behind.entry(index).or_default().insert(*mac);
        }
        // Two MACs claiming one address: keep the one that announced it, if one did.
        let announced: Vec<[u8; 6]> = own.iter().copied().filter(|m| bound(host, m)).collect();
        let joined = if own.len() > 1 && !announced.is_empty() && announced.len() < own.len() {
            notes.entry(index).or_default().push(format!(
                "address also seen from {} (not announced by it in ARP or DHCP)",
                own.iter()
                    .filter(|m| !announced.contains(m))
                    .map(|m| zonewarden_model::format_mac(*m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            announced
        } else {
            own
        };
        for mac in joined {
            if let Some(&node) = mac_node.get(&mac) {
                sets.union(index, node);
            }
        }
    }
    // DHCP leases and EUI-64 link-local addresses join addresses never seen from the MAC.
    for (index, host) in hosts.iter().enumerate() {
        let Some(ip) = host.ip else { continue };
        let leased = leases.iter().filter(|(_, i)| *i == ip).map(|(m, _)| *m);
        for mac in leased.chain(eui64_mac(ip)) {
            if let Some(&node) = mac_node.get(&mac) {
                if !gateways.contains(&mac)
                    || host.arp_macs.contains(&mac)
                    || leases.contains(&(mac, ip))
                {
                    sets.union(index, node);
                }
            }
        }
    }

    let mut root_group: BTreeMap<usize, usize> = BTreeMap::new();
    let mut grouping = Grouping {
        gateways,
        ..Grouping::default()
    };
    for (index, host) in hosts.iter().enumerate() {
        let root = sets.find(index);
        let next = grouping.groups.len();
        let g = *root_group.entry(root).or_insert(next);
        if g == next {
            grouping.groups.push(Group::default());
        }
        let Some(group) = grouping.groups.get_mut(g) else {
            continue;
        };
        group.hosts.push(index);
        if let Some(ip) = host.ip {
            group.ips.insert(ip);
            grouping.by_ip.insert(ip, g);
        }
        if let Some(b) = behind.remove(&index) {
            group.behind.extend(b);
        }
        if let Some(n) = notes.remove(&index) {
            group.notes.extend(n);
        }
    }
    for (mac, node) in &mac_node {
        let root = sets.find(*node);
        let next = grouping.groups.len();
        let g = *root_group.entry(root).or_insert(next);
        if g == next {
            grouping.groups.push(Group::default());
        }
        if let Some(group) = grouping.groups.get_mut(g) {
            group.macs.insert(*mac);
            grouping.by_mac.insert(*mac, g);
        }
    }
    for group in &mut grouping.groups {
        let v4 = group.ips.iter().filter(|ip| ip.is_ipv4()).count();
        if v4 > 1 {
            group.notes.push(format!(
                "{v4} IPv4 addresses joined by MAC (used one after the other, or announced by the device)"
            ));
        }
    }
    grouping
}

/// The latest time a host observation was active, for choosing the current address.
pub(crate) fn last_seen(host: &HostObservation) -> Timestamp {
    host.last_ts.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn host(ip: [u8; 4], macs: &[[u8; 6]], arp: &[[u8; 6]], span: (u64, u64)) -> HostObservation {
        HostObservation {
            ip: Some(IpAddr::V4(Ipv4Addr::from(ip))),
            macs: macs.to_vec(),
            arp_macs: arp.to_vec(),
            l2_protocols: Vec::new(),
            packets: 10,
            packets_sent: 5,
            bytes: 1000,
            first_ts: Some(Timestamp(span.0)),
            last_ts: Some(Timestamp(span.1)),
        }
    }

    const ROUTER: [u8; 6] = [0x00, 0x0c, 0x29, 0, 0, 1];
    const PLC: [u8; 6] = [0x00, 0x1b, 0x1b, 0, 0, 2];

    #[test]
    fn a_router_mac_does_not_swallow_the_hosts_behind_it() {
        let hosts = [
            host([10, 0, 0, 1], &[ROUTER], &[ROUTER], (0, 100)),
            host([192, 168, 5, 10], &[ROUTER], &[], (10, 90)),
            host([192, 168, 5, 11], &[ROUTER], &[], (20, 80)),
            host([10, 0, 0, 20], &[PLC], &[], (0, 100)),
        ];
        let g = group(&hosts, &BTreeSet::new());
        assert!(g.gateways.contains(&ROUTER));
        // Router (with its own announced address), two remote hosts, the PLC.
        assert_eq!(g.groups.len(), 4, "{:?}", g.groups);
        let router = &g.groups[g.by_mac[&ROUTER]];
        assert_eq!(router.ips.len(), 1);
        let remote = &g.groups[g.by_ip[&"192.168.5.10".parse().unwrap()]];
        assert!(remote.macs.is_empty());
        assert!(remote.behind.contains(&ROUTER));
    }

    #[test]
    fn a_dhcp_address_change_keeps_one_asset() {
        // The same MAC used one address, then another: sequential, so not a gateway.
        let hosts = [
            host([10, 0, 0, 50], &[PLC], &[], (0, 100)),
            host([10, 0, 0, 51], &[PLC], &[], (200, 300)),
        ];
        let g = group(&hosts, &BTreeSet::new());
        assert!(g.gateways.is_empty());
        assert_eq!(g.groups.len(), 1);
        assert_eq!(g.groups[0].ips.len(), 2);
        assert_eq!(g.groups[0].macs.len(), 1);
    }

    #[test]
    fn internet_addresses_seen_one_after_another_through_one_mac_are_routed() {
        // Scanners from the internet arrive through the firewall at different times.
        let hosts = [
            host([62, 122, 184, 123], &[ROUTER], &[], (0, 10)),
            host([45, 33, 2, 9], &[ROUTER], &[], (20, 30)),
            host([10, 0, 0, 20], &[PLC], &[], (0, 100)),
        ];
        let g = group(&hosts, &BTreeSet::new());
        assert!(g.gateways.contains(&ROUTER));
        assert_eq!(
            g.groups.len(),
            4,
            "two remote hosts, the PLC, the firewall's MAC"
        );
    }

    #[test]
    fn leased_addresses_stay_with_their_mac_even_when_concurrent() {
        let ips: [IpAddr; 2] = ["10.0.0.50".parse().unwrap(), "10.0.0.51".parse().unwrap()];
        let hosts = [
            host([10, 0, 0, 50], &[PLC], &[], (0, 100)),
            host([10, 0, 0, 51], &[PLC], &[], (50, 150)),
        ];
        let leases: BTreeSet<_> = ips.iter().map(|ip| (PLC, *ip)).collect();
        let g = group(&hosts, &leases);
        assert!(g.gateways.is_empty());
        assert_eq!(g.groups.len(), 1);
        // Without the leases the same traffic looks like a router.
        assert!(group(&hosts, &BTreeSet::new()).gateways.contains(&PLC));
    }

    #[test]
    fn layer2_only_devices_and_eui64_link_local_addresses() {
        let l2_only = HostObservation {
            ip: None,
            macs: vec![[0x08, 0x00, 0x06, 1, 2, 3]],
            ..HostObservation::default()
        };
        let v6 = HostObservation {
            // fe80::21b:1bff:fe00:2 is built from 00:1b:1b:00:00:02.
            ip: Some("fe80::21b:1bff:fe00:2".parse().unwrap()),
            macs: vec![PLC],
            ..HostObservation::default()
        };
        let v4 = host([10, 0, 0, 20], &[PLC], &[], (0, 100));
        let g = group(&[l2_only, v6, v4], &BTreeSet::new());
        assert_eq!(g.groups.len(), 2);
        let plc = &g.groups[g.by_mac[&PLC]];
        assert_eq!(plc.ips.len(), 2, "IPv4 and IPv6 of one host joined");
        assert_eq!(
            eui64_mac("fe80::21b:1bff:fe00:2".parse().unwrap()),
            Some(PLC)
        );
    }

    #[test]
    fn two_macs_on_one_address_keep_the_announced_one() {
        let other: [u8; 6] = [0x00, 0x00, 0xbc, 0, 0, 9];
        let hosts = [
            host([10, 0, 0, 20], &[PLC, other], &[PLC], (0, 100)),
            host([10, 0, 0, 21], &[other], &[other], (0, 100)),
        ];
        let g = group(&hosts, &BTreeSet::new());
        assert_eq!(g.groups.len(), 2);
        let plc = &g.groups[g.by_ip[&"10.0.0.20".parse().unwrap()]];
        assert_eq!(plc.macs.iter().copied().collect::<Vec<_>>(), vec![PLC]);
        assert!(!plc.notes.is_empty());
    }
}
