//! The simulated plant: stations, addressing and network-stack personalities.
//!
//! The layout follows the Purdue model that IEC 62443-3-2 zoning starts
//! from, one /24 per level:
//!
//! | subnet       | level | stations                                                  |
//! |--------------|-------|-----------------------------------------------------------|
//! | 10.10.1.0/24 | 1     | PLCs/RTUs from .11, then one I/O adapter per EtherNet/IP PLC |
//! | 10.10.2.0/24 | 2     | HMIs/SCADA servers from .11, then engineering stations     |
//! | 10.10.3.0/24 | 3     | historian (.10)                                           |
//! | 10.10.4.0/24 | 4     | DNS/NTP server (.10), web server (.20), workstations from .101 |
//!
//! One router owns 10.10.x.1 on every subnet with a single MAC address;
//! traffic between subnets uses it as the L2 next hop.
//!
//! Large plants (benchmarks of 10,000 assets) continue a level's stations in
//! 10.11.x.0/24, 10.12.x.0/24… (host numbers past .254 wrap to .1 of the
//! next block), routed through the same router.

use std::collections::HashSet;
use std::io;

use crate::frame::{Ipv4, Mac, Path};
use crate::protocols::ProcessImage;
use crate::rng::{mix64, Rng};
use crate::spec::{invalid, PlantSpec};
use crate::tcp::Peer;

/// Purdue level 1 (basic control).
pub const LEVEL_CONTROL: u8 = 1;
/// Purdue level 2 (supervisory control).
pub const LEVEL_SUPERVISORY: u8 = 2;
/// Purdue level 3 (site operations).
pub const LEVEL_OPERATIONS: u8 = 3;
/// Purdue level 4 (site business / IT).
pub const LEVEL_ENTERPRISE: u8 = 4;
/// Levels with a subnet, in router port order.
pub const LEVELS: [u8; 4] = [
    LEVEL_CONTROL,
    LEVEL_SUPERVISORY,
    LEVEL_OPERATIONS,
    LEVEL_ENTERPRISE,
];

/// First host octet of PLCs, HMIs and workstations.
const FIRST_PLC: u32 = 11;
const FIRST_SUPERVISORY: u32 = 11;
const FIRST_WORKSTATION: u32 = 101;
const LAST_HOST: u32 = 254;
/// /24 blocks a level may spill into (10.10.x … 10.209.x).
const MAX_BLOCKS: u32 = 200;

/// Vendor OUIs (IEEE registry) so that asset inventories can recognise
/// the manufacturer of each station from its MAC address.
mod oui {
    pub const SIEMENS: [u8; 3] = [0x00, 0x1b, 0x1b];
    pub const ROCKWELL: [u8; 3] = [0x00, 0x00, 0xbc];
    pub const SCHNEIDER: [u8; 3] = [0x00, 0x80, 0xf4];
    pub const MOXA: [u8; 3] = [0x00, 0x90, 0xe8];
    pub const DELL: [u8; 3] = [0x00, 0x14, 0x22];
    pub const INTEL: [u8; 3] = [0x00, 0x1b, 0x21];
    pub const CISCO: [u8; 3] = [0x00, 0x1e, 0xbd];
}

/// The industrial protocol a PLC serves, assigned round-robin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtProtocol {
    Modbus,
    S7,
    Enip,
    Dnp3,
}

impl OtProtocol {
    const ROUND_ROBIN: [Self; 4] = [Self::Modbus, Self::S7, Self::Enip, Self::Dnp3];

    /// How many of `plcs` PLCs the round-robin assigns this protocol.
    fn assigned_among(self, plcs: u32) -> u32 {
        let rotation = Self::ROUND_ROBIN.len() as u32;
        let position = Self::ROUND_ROBIN
            .iter()
            .position(|&p| p == self)
            .unwrap_or(0) as u32;
        plcs / rotation + u32::from(plcs % rotation > position)
    }

    pub fn port(self) -> u16 {
        match self {
            Self::Modbus => crate::protocols::modbus::PORT,
            Self::S7 => crate::protocols::s7::PORT,
            Self::Enip => crate::protocols::enip::PORT,
            Self::Dnp3 => crate::protocols::dnp3::PORT,
        }
    }
}

/// What a station is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Router,
    Plc(OtProtocol),
    IoAdapter,
    Hmi,
    EngineeringStation,
    Historian,
    Workstation,
    DnsServer,
    WebServer,
}

/// TCP/IP stack personality: what passive fingerprinting (initial TTL,
/// window, MSS, options) would see from the station's operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stack {
    pub ttl: u8,
    pub window: u16,
    pub mss: u16,
    pub sack: bool,
    /// Ephemeral port range (IANA 49152–65535 for Windows and most
    /// embedded stacks, 32768–60999 for Linux).
    pub ephemeral: (u16, u16),
}

const WINDOWS: Stack = Stack {
    ttl: 128,
    window: 64_240,
    mss: 1460,
    sack: true,
    ephemeral: (49_152, 65_535),
};
const LINUX: Stack = Stack {
    ttl: 64,
    window: 64_240,
    mss: 1460,
    sack: true,
    ephemeral: (32_768, 60_999),
};
/// S7-300/400 CPUs use an initial TTL of 30.
const SIEMENS_CPU: Stack = Stack {
    ttl: 30,
    window: 8192,
    mss: 1460,
    sack: false,
    ephemeral: (49_152, 65_535),
};
const ROCKWELL_CONTROLLER: Stack = Stack {
    ttl: 64,
    window: 4380,
    mss: 1460,
    sack: false,
    ephemeral: (49_152, 65_535),
};
const SCHNEIDER_CPU: Stack = Stack {
    ttl: 64,
    window: 4096,
    mss: 1460,
    sack: false,
    ephemeral: (49_152, 65_535),
};
const MOXA_RTU: Stack = Stack {
    ttl: 64,
    window: 8192,
    mss: 1460,
    sack: false,
    ephemeral: (49_152, 65_535),
};
const NETWORK_GEAR: Stack = Stack {
    ttl: 255,
    window: 4128,
    mss: 1460,
    sack: false,
    ephemeral: (49_152, 65_535),
};

/// Index of a station in the plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostId(usize);

#[derive(Debug, Clone)]
pub struct Host {
    pub role: Role,
    pub mac: Mac,
    pub ip: Ipv4,
    pub stack: Stack,
    /// Per-station seed for values that must be stable over the capture
    /// (serial numbers, process data).
    pub seed: u64,
}

impl Host {
    pub fn subnet(&self) -> u8 {
        self.ip[2]
    }
}

/// A PLC and what the supervisory layer knows about it.
#[derive(Debug, Clone)]
pub struct Plc {
    pub host: HostId,
    pub protocol: OtProtocol,
    /// Zero-based position among the PLCs.
    pub index: u32,
    /// How often each HMI polls it.
    pub poll_period_us: u64,
    pub image: ProcessImage,
    /// The remote I/O adapter it exchanges implicit I/O with (EtherNet/IP).
    pub io_adapter: Option<HostId>,
}

#[derive(Debug)]
pub struct Plant {
    hosts: Vec<Host>,
    pub router: HostId,
    pub plcs: Vec<Plc>,
    pub hmis: Vec<HostId>,
    pub engineering_stations: Vec<HostId>,
    pub workstations: Vec<HostId>,
    pub historian: HostId,
    pub dns_server: HostId,
    pub web_server: HostId,
}

/// Builds hosts with unique MACs.
struct Builder {
    hosts: Vec<Host>,
    macs: HashSet<Mac>,
    rng: Rng,
    seed: u64,
}

impl Builder {
    fn add(&mut self, role: Role, oui: [u8; 3], ip: Ipv4, stack: Stack) -> HostId {
        let mac = loop {
            let [_, _, _, _, _, a, b, c] = self.rng.next_u64().to_be_bytes();
            let mac = [oui[0], oui[1], oui[2], a, b, c];
            if self.macs.insert(mac) {
                break mac;
            }
        };
        let id = HostId(self.hosts.len());
        self.hosts.push(Host {
            role,
            mac,
            ip,
            stack,
            seed: mix64(self.seed ^ mix64(0x4057 + id.0 as u64)),
        });
        id
    }
}

/// Host number `host` of a level: .1–.254 in 10.10.level.0/24, beyond that in the next
/// blocks 10.11.level.0/24, 10.12.level.0/24…
fn address(level: u8, host: u32) -> Ipv4 {
    if host <= LAST_HOST {
        return [10, 10, level, host as u8];
    }
    let spilled = host - 1;
    [
        10,
        10 + (spilled / LAST_HOST) as u8,
        level,
        (spilled % LAST_HOST + 1) as u8,
    ]
}

fn check_fits(what: &str, first: u32, count: u32) -> io::Result<()> {
    let capacity = LAST_HOST * MAX_BLOCKS;
    if first.saturating_add(count) > capacity + 1 {
        return Err(invalid(&format!(
            "{what}: at most {} fit in their level's address blocks",
            capacity + 1 - first
        )));
    }
    Ok(())
}

impl Plant {
    pub fn build(spec: &PlantSpec) -> io::Result<Self> {
        let enip_plcs = OtProtocol::Enip.assigned_among(spec.plcs);
        check_fits(
            "plcs (with one I/O adapter per EtherNet/IP PLC)",
            FIRST_PLC,
            spec.plcs.saturating_add(enip_plcs),
        )?;
        check_fits(
            "hmis + engineering_stations",
            FIRST_SUPERVISORY,
            spec.hmis.saturating_add(spec.engineering_stations),
        )?;
        check_fits("it_hosts", FIRST_WORKSTATION, spec.it_hosts)?;

        let mut b = Builder {
            hosts: Vec::new(),
            macs: HashSet::new(),
            rng: Rng::stream(spec.seed, 0x91A7),
            seed: spec.seed,
        };
        let router = b.add(
            Role::Router,
            oui::CISCO,
            address(LEVEL_CONTROL, 1),
            NETWORK_GEAR,
        );

        let mut plcs = Vec::new();
        let mut next_adapter = FIRST_PLC + spec.plcs;
        for index in 0..spec.plcs {
            let protocol = OtProtocol::ROUND_ROBIN
                .get(index as usize % 4)
                .copied()
                .unwrap_or(OtProtocol::Modbus);
            let (vendor, stack) = match protocol {
                OtProtocol::Modbus => (oui::SCHNEIDER, SCHNEIDER_CPU),
                OtProtocol::S7 => (oui::SIEMENS, SIEMENS_CPU),
                OtProtocol::Enip => (oui::ROCKWELL, ROCKWELL_CONTROLLER),
                OtProtocol::Dnp3 => (oui::MOXA, MOXA_RTU),
            };
            let ip = address(LEVEL_CONTROL, FIRST_PLC + index);
            let host = b.add(Role::Plc(protocol), vendor, ip, stack);
            // HMI scan classes: fast loops for analog control, slower ones
            // for status; DNP3 RTUs are polled at the slow end.
            let periods_ms: &[u64] = match protocol {
                OtProtocol::Dnp3 => &[500, 1000],
                _ => &[100, 200, 250, 500, 1000],
            };
            let poll_period_us = 1_000 * b.rng.pick(periods_ms).copied().unwrap_or(1000);
            let image = ProcessImage::new(b.hosts.last().map_or(0, |h| h.seed));
            plcs.push(Plc {
                host,
                protocol,
                index,
                poll_period_us,
                image,
                io_adapter: None,
            });
        }
        for plc in plcs.iter_mut().filter(|p| p.protocol == OtProtocol::Enip) {
            let ip = address(LEVEL_CONTROL, next_adapter);
            next_adapter += 1;
            plc.io_adapter = Some(b.add(Role::IoAdapter, oui::ROCKWELL, ip, ROCKWELL_CONTROLLER));
        }

        let hmis = (0..spec.hmis)
            .map(|i| {
                let ip = address(LEVEL_SUPERVISORY, FIRST_SUPERVISORY + i);
                b.add(Role::Hmi, oui::DELL, ip, WINDOWS)
            })
            .collect();
        let engineering_stations = (0..spec.engineering_stations)
            .map(|i| {
                let ip = address(LEVEL_SUPERVISORY, FIRST_SUPERVISORY + spec.hmis + i);
                b.add(Role::EngineeringStation, oui::DELL, ip, WINDOWS)
            })
            .collect();
        let historian = b.add(
            Role::Historian,
            oui::DELL,
            address(LEVEL_OPERATIONS, 10),
            WINDOWS,
        );
        let dns_server = b.add(
            Role::DnsServer,
            oui::DELL,
            address(LEVEL_ENTERPRISE, 10),
            LINUX,
        );
        let web_server = b.add(
            Role::WebServer,
            oui::DELL,
            address(LEVEL_ENTERPRISE, 20),
            LINUX,
        );
        let workstations = (0..spec.it_hosts)
            .map(|i| {
                let vendor = if i % 2 == 0 { oui::DELL } else { oui::INTEL };
                let ip = address(LEVEL_ENTERPRISE, FIRST_WORKSTATION + i);
                b.add(Role::Workstation, vendor, ip, WINDOWS)
            })
            .collect();

        Ok(Self {
            hosts: b.hosts,
            router,
            plcs,
            hmis,
            engineering_stations,
            workstations,
            historian,
            dns_server,
            web_server,
        })
    }

    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    pub fn host(&self, id: HostId) -> io::Result<&Host> {
        self.hosts
            .get(id.0)
            .ok_or_else(|| io::Error::other("internal error: unknown host id"))
    }

    pub fn hosts(&self) -> impl Iterator<Item = (HostId, &Host)> {
        self.hosts.iter().enumerate().map(|(i, h)| (HostId(i), h))
    }

    /// The router's MAC and its address on `level`'s subnet.
    pub fn gateway(&self, level: u8) -> io::Result<(Mac, Ipv4)> {
        Ok((self.host(self.router)?.mac, [10, 10, level, 1]))
    }

    /// Addressing from `from` to any IPv4 destination: direct on the same
    /// /24, via the router otherwise. The IP ID starts at a random value as
    /// modern stacks do (RFC 6864 §4.2).
    pub fn path_to(&self, from: HostId, dst_ip: Ipv4, rng: &mut Rng) -> io::Result<Path> {
        let src = self.host(from)?;
        let same_subnet = src.ip.get(..3) == dst_ip.get(..3);
        let dst_mac = match self.hosts.iter().find(|h| h.ip == dst_ip) {
            Some(dst) if same_subnet && dst.role != Role::Router => dst.mac,
            _ => self.host(self.router)?.mac,
        };
        Ok(Path {
            src_mac: src.mac,
            dst_mac,
            src_ip: src.ip,
            dst_ip,
            ttl: src.stack.ttl,
            ip_id: rng.next_u16(),
        })
    }

    pub fn path(&self, from: HostId, to: HostId, rng: &mut Rng) -> io::Result<Path> {
        self.path_to(from, self.host(to)?.ip, rng)
    }

    /// TCP endpoint parameters for `host` talking to `peer` from `port`.
    pub fn tcp_peer(
        &self,
        host: HostId,
        peer: HostId,
        port: u16,
        rng: &mut Rng,
    ) -> io::Result<Peer> {
        let stack = self.host(host)?.stack;
        Ok(Peer {
            path: self.path(host, peer, rng)?,
            port,
            isn: rng.next_u32(),
            window: stack.window,
            mss: stack.mss,
            sack_permitted: stack.sack,
        })
    }
}

/// Hands out ephemeral ports sequentially from a random start, as Windows
/// does, so that short connections from one client never reuse a port
/// within the capture (analysers flag reused 4-tuples).
#[derive(Debug, Clone)]
pub struct PortAllocator {
    next: u16,
    range: (u16, u16),
}

impl PortAllocator {
    pub fn new(stack: &Stack, rng: &mut Rng) -> Self {
        let (lo, hi) = stack.ephemeral;
        Self {
            next: rng.range(u64::from(lo), u64::from(hi)) as u16,
            range: (lo, hi),
        }
    }

    pub fn next_port(&mut self) -> u16 {
        let port = self.next;
        self.next = if port >= self.range.1 {
            self.range.0
        } else {
            port + 1
        };
        port
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_plant_layout() {
        let plant = Plant::build(&PlantSpec::default()).unwrap();
        // Router, 8 PLCs, 2 I/O adapters, 2 HMIs, 1 EWS, historian, DNS,
        // web server, 6 workstations.
        assert_eq!(plant.host_count(), 1 + 8 + 2 + 2 + 1 + 1 + 1 + 1 + 6);
        let protocols: Vec<_> = plant.plcs.iter().map(|p| p.protocol).collect();
        assert_eq!(&protocols[..4], &OtProtocol::ROUND_ROBIN);
        assert_eq!(&protocols[4..], &OtProtocol::ROUND_ROBIN);
        for plc in &plant.plcs {
            let host = plant.host(plc.host).unwrap();
            assert_eq!(host.subnet(), LEVEL_CONTROL);
            let expected_oui = match plc.protocol {
                OtProtocol::Modbus => oui::SCHNEIDER,
                OtProtocol::S7 => oui::SIEMENS,
                OtProtocol::Enip => oui::ROCKWELL,
                OtProtocol::Dnp3 => oui::MOXA,
            };
            assert_eq!(&host.mac[..3], &expected_oui);
            assert_eq!(plc.io_adapter.is_some(), plc.protocol == OtProtocol::Enip);
            assert!((100_000..=1_000_000).contains(&plc.poll_period_us));
        }
        let ips: HashSet<Ipv4> = plant.hosts().map(|(_, h)| h.ip).collect();
        assert_eq!(ips.len(), plant.host_count());
        let macs: HashSet<Mac> = plant.hosts().map(|(_, h)| h.mac).collect();
        assert_eq!(macs.len(), plant.host_count());
    }

    #[test]
    fn large_levels_continue_in_the_next_address_blocks() {
        assert_eq!(address(1, 254), [10, 10, 1, 254]);
        assert_eq!(address(1, 255), [10, 11, 1, 1]);
        assert_eq!(address(4, 254 + 254), [10, 11, 4, 254]);
        assert_eq!(address(4, 254 + 255), [10, 12, 4, 1]);
        let big = PlantSpec {
            plcs: 4000,
            it_hosts: 1000,
            ..PlantSpec::default()
        };
        let plant = Plant::build(&big).unwrap();
        let ips: HashSet<Ipv4> = plant.hosts.iter().map(|h| h.ip).collect();
        assert_eq!(
            ips.len(),
            plant.hosts.len(),
            "every station has its own address"
        );
        assert!(plant.host_count() > 5000);
        let too_big = PlantSpec {
            plcs: 60_000,
            ..PlantSpec::default()
        };
        assert!(Plant::build(&too_big).is_err());
    }

    #[test]
    fn routing_uses_the_router_between_subnets() {
        let plant = Plant::build(&PlantSpec::default()).unwrap();
        let mut rng = Rng::new(0);
        let router_mac = plant.host(plant.router).unwrap().mac;
        let hmi = plant.hmis[0];
        let plc = plant.plcs[0].host;
        let routed = plant.path(hmi, plc, &mut rng).unwrap();
        assert_eq!(routed.dst_mac, router_mac);
        assert_eq!(routed.ttl, 128);
        let adapter = plant.plcs[2].io_adapter.unwrap();
        let local = plant.path(plant.plcs[2].host, adapter, &mut rng).unwrap();
        assert_eq!(local.dst_mac, plant.host(adapter).unwrap().mac);
        let broadcast = plant.path_to(hmi, [10, 10, 1, 255], &mut rng).unwrap();
        assert_eq!(broadcast.dst_mac, router_mac);
    }

    #[test]
    fn round_robin_counts() {
        for plcs in 0..12u32 {
            let counted = |protocol| {
                (0..plcs as usize)
                    .filter(|i| OtProtocol::ROUND_ROBIN[i % 4] == protocol)
                    .count() as u32
            };
            for protocol in OtProtocol::ROUND_ROBIN {
                assert_eq!(protocol.assigned_among(plcs), counted(protocol));
            }
        }
    }

    #[test]
    fn oversized_plants_are_rejected() {
        // 200 blocks of 254 addresses per level.
        for spec in [
            PlantSpec {
                plcs: 45_000,
                ..PlantSpec::default()
            },
            PlantSpec {
                hmis: 40_000,
                engineering_stations: 20_000,
                ..PlantSpec::default()
            },
            PlantSpec {
                it_hosts: 50_701,
                ..PlantSpec::default()
            },
            PlantSpec {
                plcs: u32::MAX,
                ..PlantSpec::default()
            },
            PlantSpec {
                hmis: u32::MAX,
                engineering_stations: u32::MAX,
                ..PlantSpec::default()
            },
        ] {
            assert!(Plant::build(&spec).is_err());
        }
        assert!(Plant::build(&PlantSpec {
            it_hosts: 50_700,
            ..PlantSpec::default()
        })
        .is_ok());
    }

    #[test]
    fn ports_wrap_within_range() {
        let stack = Stack {
            ephemeral: (100, 102),
            ..WINDOWS
        };
        let mut ports = PortAllocator {
            next: 101,
            range: stack.ephemeral,
        };
        let seq: Vec<u16> = (0..4).map(|_| ports.next_port()).collect();
        assert_eq!(seq, [101, 102, 100, 101]);
    }
}
