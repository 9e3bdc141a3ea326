//! Role, Purdue level and default criticality, each with the reason shown to the user.
//!
//! Roles come from behaviour first (what a device serves, what it asks of others), then from
//! what it says it is (product names, PROFINET and CIP device types, LLDP capabilities).
//! The rules, in order:
//! 1. a MAC that carries other hosts' traffic (gateway), or LLDP/CDP capabilities of a router
//!    or bridge with no industrial service → network device;
//! 2. serves an industrial protocol: GOOSE, MMS or C37.118 → IED; DNP3 or IEC 104 → RTU;
//!    PROFINET IO-Device, CIP adapter, HART-IP → I/O device; a product name of a safety
//!    controller → safety controller; controller protocols (Modbus, S7, CIP, FINS, MELSEC,
//!    ADS, BACnet…) → PLC; OPC UA, Fox or an MQTT broker only → OPC/SCADA server;
//! 3. asks industrial operations of others: program or control (download, stop) →
//!    engineering workstation; a DNP3/IEC 104 master → OPC/SCADA server; writes → HMI;
//!    only reads, from several devices, while serving clients itself → historian; other
//!    reads → HMI; MQTT client only → IoT device;
//! 4. only IT protocols or IT services → IT host; else unknown.
//!
//! Purdue level: 0 I/O devices; 1 controllers (PLC, RTU, IED, safety); 2 supervisory (HMI,
//! engineering workstation, OPC/SCADA server, IoT gateways); 3 historian (site operations);
//! 4 IT hosts on private addresses, 5 public addresses (enterprise and beyond); a network
//! device takes the lowest level among the devices behind it; an unknown device that speaks
//! industrial protocols to level-1 devices is placed at 2.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use zonewarden_dissect::{OpClass, Protocol};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Plc,
    Rtu,
    Ied,
    SafetyController,
    Hmi,
    EngineeringWorkstation,
    Historian,
    OpcScadaServer,
    IoDevice,
    NetworkDevice,
    ItHost,
    IotDevice,
    Unknown,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Plc => "plc",
            Role::Rtu => "rtu",
            Role::Ied => "ied",
            Role::SafetyController => "safety_controller",
            Role::Hmi => "hmi",
            Role::EngineeringWorkstation => "engineering_workstation",
            Role::Historian => "historian",
            Role::OpcScadaServer => "opc_scada_server",
            Role::IoDevice => "io_device",
            Role::NetworkDevice => "network_device",
            Role::ItHost => "it_host",
            Role::IotDevice => "iot_device",
            Role::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        ALL_ROLES.into_iter().find(|r| r.as_str() == name)
    }

    /// Default criticality: what losing or subverting the device does to the process.
    pub const fn criticality(self) -> Criticality {
        match self {
            Role::SafetyController => Criticality::Critical,
            Role::Plc
            | Role::Rtu
            | Role::Ied
            | Role::IoDevice
            | Role::EngineeringWorkstation
            | Role::Hmi
            | Role::OpcScadaServer => Criticality::High,
            Role::Historian | Role::NetworkDevice | Role::Unknown => Criticality::Medium,
            Role::ItHost | Role::IotDevice => Criticality::Low,
        }
    }
}

pub const ALL_ROLES: [Role; 13] = [
    Role::Plc,
    Role::Rtu,
    Role::Ied,
    Role::SafetyController,
    Role::Hmi,
    Role::EngineeringWorkstation,
    Role::Historian,
    Role::OpcScadaServer,
    Role::IoDevice,
    Role::NetworkDevice,
    Role::ItHost,
    Role::IotDevice,
    Role::Unknown,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    Medium,
    High,
    Critical,
}

impl Criticality {
    pub const fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }
}

/// Operation classes asked and the servers (asset indices) asked, for one protocol.
pub(crate) type Usage = (BTreeSet<OpClass>, BTreeSet<usize>);

/// What a device was seen doing, gathered from the communication map and its services.
#[derive(Debug, Clone, Default)]
pub(crate) struct Behaviour {
    /// Protocols served, with the operation classes asked of it.
    pub served: BTreeMap<Protocol, BTreeSet<OpClass>>,
    /// Protocols used as a client, with the classes it asked and the servers (asset index).
    pub used: BTreeMap<Protocol, Usage>,
    /// Operation names it issued per class (for reasons: "S7 block download").
    pub issued_names: BTreeMap<OpClass, BTreeSet<&'static str>>,
    /// Distinct clients of any service it answered on.
    pub clients: BTreeSet<usize>,
    /// Transport ports answered on.
    pub service_ports: BTreeSet<(u8, u16)>,
    /// Facts by field name (values), for device types, capabilities and product names.
    pub facts: BTreeMap<&'static str, BTreeSet<String>>,
    pub is_gateway: bool,
    /// IPv4 /24 networks in which it announced an address of its own (ARP).
    pub subnets_announced: usize,
    /// Sends spanning-tree BPDUs: a switch or bridge.
    pub sends_stp: bool,
    pub public_address: bool,
    /// Its frames came through a router: it is not on the capture's own segment.
    pub behind_gateway: bool,
}

/// A role and the sentence that explains it.
pub(crate) fn infer_role(b: &Behaviour, model: Option<&str>) -> (Role, String) {
    let list = |set: &BTreeSet<&'static str>| set.iter().copied().collect::<Vec<_>>().join(", ");
    let fact_has = |field: &str, needles: &[&str]| {
        b.facts.get(field).is_some_and(|values| {
            values.iter().any(|v| {
                let v = v.to_ascii_lowercase();
                needles.iter().any(|n| v.contains(n))
            })
        })
    };
    let industrial_served: Vec<Protocol> = b
        .served
        .keys()
        .copied()
        .filter(|p| p.is_industrial())
        .collect();
    let names = |ps: &[Protocol]| ps.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");

    if b.is_gateway {
        return (
            Role::NetworkDevice,
            "its MAC carries traffic of several other addresses at once (a router or firewall)"
                .into(),
        );
    }
    let lldp_network = fact_has("lldp_capabilities", &["router", "bridge"])
        || fact_has("cdp_capabilities", &["router", "switch", "bridge"]);
    if b.subnets_announced >= 2 && industrial_served.is_empty() {
        return (
            Role::NetworkDevice,
            format!(
                "one MAC announces addresses in {} subnets (a router or layer-3 switch)",
                b.subnets_announced
            ),
        );
    }
    if b.sends_stp && industrial_served.is_empty() {
        return (
            Role::NetworkDevice,
            "sends spanning-tree BPDUs (a switch or bridge)".into(),
        );
    }
    let switch_described = fact_has(
        "lldp_system_description",
        &[
            "switch",
            "scalance x",
            "scalance xb",
            "scalance xc",
            "hirschmann",
            "ruggedcom",
            "stratix",
            "catalyst",
        ],
    ) || fact_has("snmp_sys_descr", &["switch", "catalyst", "scalance x"]);
    if (lldp_network || switch_described) && industrial_served.is_empty() {
        return (
            Role::NetworkDevice,
            if lldp_network {
                "announces router or bridge capabilities in LLDP/CDP".into()
            } else {
                "describes itself as a switch (LLDP/SNMP system description)".into()
            },
        );
    }

    if !industrial_served.is_empty() {
        let serves = names(&industrial_served);
        let serves_any = |ps: &[Protocol]| industrial_served.iter().any(|p| ps.contains(p));
        let safety = model.is_some_and(is_safety_product)
            || fact_has("product_name", &["guardlogix", "safety"])
            || fact_has("module_type", &["f-cpu", "safety"]);
        if safety {
            return (
                Role::SafetyController,
                format!(
                    "serves {serves} and identifies as a safety controller ({})",
                    model.unwrap_or("product name")
                ),
            );
        }
        if serves_any(&[Protocol::Goose, Protocol::Mms, Protocol::Synchrophasor]) {
            return (
                Role::Ied,
                format!("serves {serves} (IEC 61850 / synchrophasor device)"),
            );
        }
        if serves_any(&[Protocol::Dnp3, Protocol::Iec104]) {
            return (
                Role::Rtu,
                format!("answers {serves} as an outstation (telecontrol)"),
            );
        }
        let controller = [
            Protocol::Modbus,
            Protocol::S7comm,
            Protocol::S7commPlus,
            Protocol::Enip,
            Protocol::Fins,
            Protocol::Melsec,
            Protocol::Ads,
            Protocol::Bacnet,
            Protocol::PnioCm,
            Protocol::ProfinetDcp,
            Protocol::Ethercat,
            Protocol::Bsap,
            Protocol::HartIp,
        ];
        let io_device = fact_has("device_role", &["io-device", "io device"])
            && !fact_has("device_role", &["controller"])
            || fact_has(
                "device_type",
                &["adapter", "discrete i/o", "analog i/o", "drive"],
            )
            || serves_any(&[Protocol::HartIp, Protocol::Ethercat])
                && !serves_any(&[Protocol::Modbus, Protocol::S7comm, Protocol::Enip]);
        // A ControlLogix/CompactLogix chassis module (1756-ENBT…) calls itself an adapter, but
        // what answers through it is the controller in the chassis.
        let logix_chassis = b.facts.get("product_name").is_some_and(|names| {
            names.iter().any(|n| {
                ["1756-", "1769-", "1768-", "5069-"]
                    .iter()
                    .any(|prefix| n.starts_with(prefix))
            })
        });
        if logix_chassis {
            return (
                Role::Plc,
                format!(
                    "serves {serves} as the communication module of a Logix controller chassis ({})",
                    model.unwrap_or("1756/1769 module")
                ),
            );
        }
        if io_device {
            return (
                Role::IoDevice,
                format!("serves {serves} and identifies as field I/O (adapter, IO-Device or HART/EtherCAT slave)"),
            );
        }
        if serves_any(&controller) {
            let detail = b
                .served
                .iter()
                .filter(|(p, _)| p.is_industrial())
                .flat_map(|(_, classes)| classes.iter().map(|c| c.as_str()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join("/");
            return (
                Role::Plc,
                format!("serves {serves} to other hosts (asked: {detail})"),
            );
        }
        // OPC UA, Fox, MQTT broker: middleware.
        return (
            Role::OpcScadaServer,
            format!("serves {serves} (supervisory middleware)"),
        );
    }

    let industrial_used: Vec<(&Protocol, &Usage)> =
        b.used.iter().filter(|(p, _)| p.is_industrial()).collect();
    if !industrial_used.is_empty() {
        let classes: BTreeSet<OpClass> = industrial_used
            .iter()
            .flat_map(|(_, (c, _))| c.iter().copied())
            .collect();
        let servers: BTreeSet<usize> = industrial_used
            .iter()
            .flat_map(|(_, (_, s))| s.iter().copied())
            .collect();
        let protos: Vec<Protocol> = industrial_used.iter().map(|(p, _)| **p).collect();
        let uses = names(&protos);
        let issued = |class: OpClass| b.issued_names.get(&class).map(list).unwrap_or_default();
        if classes.iter().all(|c| *c == OpClass::Diagnostic) {
            // Discovery (DCP Identify, ListIdentity) is sent by engineering tools and by
            // PROFINET IO-controllers alike: not enough to name a role.
            return (
                Role::Unknown,
                format!(
                    "only sent discovery/diagnostic requests over {uses} ({})",
                    issued(OpClass::Diagnostic)
                ),
            );
        }
        if classes.contains(&OpClass::Program) || classes.contains(&OpClass::Control) {
            let what = [issued(OpClass::Program), issued(OpClass::Control)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            return (
                Role::EngineeringWorkstation,
                format!("issued program/control operations over {uses}: {what}"),
            );
        }
        if protos.iter().all(|p| matches!(p, Protocol::Mqtt)) {
            return (Role::IotDevice, "an MQTT client only (IIoT device)".into());
        }
        if protos
            .iter()
            .any(|p| matches!(p, Protocol::Dnp3 | Protocol::Iec104))
        {
            return (
                Role::OpcScadaServer,
                format!(
                    "master of {uses} polling {} outstation(s) (SCADA front end)",
                    servers.len()
                ),
            );
        }
        if classes.contains(&OpClass::Write) {
            return (
                Role::Hmi,
                format!(
                    "reads and writes process data over {uses} on {} device(s): {}",
                    servers.len(),
                    issued(OpClass::Write)
                ),
            );
        }
        if servers.len() >= 2 && !b.clients.is_empty() {
            return (
                Role::Historian,
                format!(
                    "only reads, over {uses}, from {} devices and serves {} client(s) itself",
                    servers.len(),
                    b.clients.len()
                ),
            );
        }
        return (
            Role::Hmi,
            format!(
                "reads process data over {uses} from {} device(s)",
                servers.len()
            ),
        );
    }

    // Discovery, addressing and management protocols are spoken by every kind of device
    // (PLCs send LLDP and DHCP, switches answer SNMP): they name no IT role on their own.
    let it_served: Vec<Protocol> = b
        .served
        .keys()
        .copied()
        .filter(|p| !is_neutral(*p))
        .collect();
    if !it_served.is_empty() {
        return (
            Role::ItHost,
            format!("serves IT protocols only ({})", names(&it_served)),
        );
    }
    let it_ports = [
        22u16, 53, 80, 88, 135, 139, 389, 443, 445, 1433, 3306, 3389, 5432, 5985,
    ];
    if let Some((_, port)) = b.service_ports.iter().find(|(_, p)| it_ports.contains(p)) {
        return (Role::ItHost, format!("answers on IT service port {port}"));
    }
    let it_used: Vec<Protocol> = b.used.keys().copied().filter(|p| !is_neutral(*p)).collect();
    if !it_used.is_empty() {
        let used = it_used;
        return (
            Role::ItHost,
            format!("uses IT protocols only ({})", names(&used)),
        );
    }
    (
        Role::Unknown,
        "no industrial or IT protocol recognised in its traffic".into(),
    )
}

/// Protocols every kind of device speaks: they tell nothing about its role.
fn is_neutral(p: Protocol) -> bool {
    matches!(
        p,
        Protocol::Lldp
            | Protocol::Cdp
            | Protocol::Dhcp
            | Protocol::Dns
            | Protocol::NetbiosNs
            | Protocol::Snmp
            | Protocol::Syslog
    )
}

/// Database ports: named in the reason when a historian is recognised by them.
const DATABASE_PORTS: [u16; 5] = [1433, 1521, 3306, 5432, 27017];

/// Second pass for IT hosts: a server whose clients include HMIs, SCADA servers or
/// engineering workstations sits above level 2 and is fed by it: the historian (site
/// operations), not an office server.
pub(crate) fn historian_by_clients(b: &Behaviour, client_roles: &[Role]) -> Option<(Role, String)> {
    let supervisory = |r: &&Role| {
        matches!(
            r,
            Role::Hmi | Role::OpcScadaServer | Role::EngineeringWorkstation
        )
    };
    let feeders: BTreeSet<&str> = client_roles
        .iter()
        .filter(supervisory)
        .map(|r| r.as_str())
        .collect();
    if feeders.is_empty() {
        return None;
    }
    let feeders = feeders.into_iter().collect::<Vec<_>>().join("/");
    if let Some((_, port)) = b
        .service_ports
        .iter()
        .find(|(t, p)| *t == 6 && DATABASE_PORTS.contains(p))
    {
        return Some((
            Role::Historian,
            format!("database server (tcp/{port}) used by {feeders} host(s): the plant historian"),
        ));
    }
    // Supervisory hosts push data to it over the web protocols historians accept (HTTPS
    // REST, web services): a level-3 site operations server, the historian (its office
    // clients read trends from it). Windows file sharing and RPC between a SCADA server and
    // its panels are not data collection.
    let web = b.served.contains_key(&Protocol::Http)
        || b.served.contains_key(&Protocol::Tls)
        || b.service_ports
            .iter()
            .any(|(t, p)| *t == 6 && [80, 443, 8080, 8443].contains(p));
    if !web {
        return None;
    }
    let office = client_roles.iter().filter(|r| !supervisory(r)).count();
    Some((
        Role::Historian,
        if office == 0 {
            format!("its services are used only by {feeders} host(s): collects plant data")
        } else {
            format!(
                "fed by {feeders} host(s) and read by {office} other host(s): the historian between plant and office"
            )
        },
    ))
}

/// Product names of safety controllers: well-known families, and Siemens fail-safe CPUs,
/// whose type carries an `F` right after the CPU number ("CPU 315F-2 PN/DP", "CPU 1516F-3").
fn is_safety_product(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    let family = [
        "guardlogix",
        "safety",
        "triconex",
        "hima",
        "f-cpu",
        "pnoz",
        "pss 4000",
    ]
    .iter()
    .any(|n| m.contains(n));
    let f_cpu = m.split("cpu ").skip(1).any(|rest| {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits >= 3 && rest.chars().nth(digits) == Some('f')
    });
    family || f_cpu
}

/// The Purdue level for a role (before the network-device pass), with the reason.
pub(crate) fn purdue_level(role: Role, b: &Behaviour, peer_levels: &[u8]) -> (Option<u8>, String) {
    match role {
        Role::IoDevice => (Some(0), "field I/O: Purdue level 0 (process)".into()),
        Role::Plc | Role::Rtu | Role::Ied | Role::SafetyController => {
            (Some(1), "controller: Purdue level 1 (basic control)".into())
        }
        Role::Hmi | Role::EngineeringWorkstation | Role::OpcScadaServer => (
            Some(2),
            "supervises controllers: Purdue level 2 (supervisory control)".into(),
        ),
        Role::IotDevice => (
            Some(2),
            "IIoT device publishing process data: level 2".into(),
        ),
        Role::Historian => (
            Some(3),
            "collects plant data: Purdue level 3 (site operations)".into(),
        ),
        Role::ItHost if b.public_address && b.behind_gateway => (
            Some(5),
            "public address reached through a gateway: enterprise network or beyond (level 5)"
                .into(),
        ),
        // An IT host (a panel PC, a file server) whose every peer is at level 2 or below
        // lives inside the control network.
        Role::ItHost if !peer_levels.is_empty() && peer_levels.iter().all(|l| *l <= 2) => (
            Some(2),
            "IT host that talks only with level 0–2 devices: inside the control network (level 2)"
                .into(),
        ),
        Role::ItHost => (
            Some(4),
            "IT host on a private address: level 4 (business network)".into(),
        ),
        // Level 0 is the process itself; a router or switch there serves level 1.
        Role::NetworkDevice => match peer_levels.iter().min().map(|l| (*l).max(1)) {
            Some(level) => (
                Some(level),
                format!("network device: placed at the lowest level it connects ({level})"),
            ),
            None => (
                None,
                "network device with no placed device behind it".into(),
            ),
        },
        Role::Unknown => match peer_levels.iter().min() {
            Some(0 | 1) => (
                Some(2),
                "talks industrial protocols with level-1 controllers: level 2".into(),
            ),
            _ => (None, "not enough evidence to place it".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serving(p: Protocol, classes: &[OpClass]) -> Behaviour {
        let mut b = Behaviour::default();
        b.served.insert(p, classes.iter().copied().collect());
        b
    }

    fn using(p: Protocol, classes: &[OpClass], servers: usize) -> Behaviour {
        let mut b = Behaviour::default();
        b.used.insert(
            p,
            (classes.iter().copied().collect(), (0..servers).collect()),
        );
        b
    }

    #[test]
    fn servers_of_controller_protocols_are_plcs_and_telecontrol_outstations_rtus() {
        let (role, reason) = infer_role(&serving(Protocol::Modbus, &[OpClass::Read]), None);
        assert_eq!(role, Role::Plc);
        assert!(reason.contains("modbus"), "{reason}");
        assert_eq!(infer_role(&serving(Protocol::Dnp3, &[]), None).0, Role::Rtu);
        assert_eq!(
            infer_role(&serving(Protocol::Goose, &[]), None).0,
            Role::Ied
        );
        assert_eq!(
            infer_role(&serving(Protocol::Enip, &[]), Some("1756-L73S GuardLogix")).0,
            Role::SafetyController
        );
        assert_eq!(
            infer_role(&serving(Protocol::Opcua, &[]), None).0,
            Role::OpcScadaServer
        );
        assert!(is_safety_product("CPU 315F-2 PN/DP"));
        assert!(is_safety_product("CPU 1516F-3 PN/DP"));
        assert!(!is_safety_product("CPU 315-2 PN/DP"));
        assert!(!is_safety_product("Data analysis server"));
    }

    #[test]
    fn a_logix_chassis_adapter_is_the_plc_and_a_point_io_adapter_is_io() {
        let mut enbt = serving(Protocol::Enip, &[OpClass::Diagnostic]);
        enbt.facts
            .insert("device_type", ["Communications Adapter".to_string()].into());
        let mut point_io = enbt.clone();
        enbt.facts
            .insert("product_name", ["1756-ENBT/A".to_string()].into());
        point_io
            .facts
            .insert("product_name", ["1734-AENT/A".to_string()].into());
        assert_eq!(infer_role(&enbt, Some("1756-ENBT/A")).0, Role::Plc);
        assert_eq!(infer_role(&point_io, Some("1734-AENT/A")).0, Role::IoDevice);
    }

    #[test]
    fn clients_are_told_apart_by_what_they_ask() {
        let mut ews = using(Protocol::S7comm, &[OpClass::Read, OpClass::Program], 1);
        ews.issued_names
            .insert(OpClass::Program, ["Download block"].into_iter().collect());
        let (role, reason) = infer_role(&ews, None);
        assert_eq!(role, Role::EngineeringWorkstation);
        assert!(reason.contains("Download block"), "{reason}");
        assert_eq!(
            infer_role(
                &using(Protocol::Modbus, &[OpClass::Read, OpClass::Write], 13),
                None
            )
            .0,
            Role::Hmi
        );
        let mut historian = using(Protocol::Modbus, &[OpClass::Read], 5);
        historian.clients.insert(99);
        assert_eq!(infer_role(&historian, None).0, Role::Historian);
        assert_eq!(
            infer_role(&using(Protocol::Modbus, &[OpClass::Read], 5), None).0,
            Role::Hmi
        );
        assert_eq!(
            infer_role(&using(Protocol::Mqtt, &[OpClass::Write], 1), None).0,
            Role::IotDevice
        );
        let (role, reason) = infer_role(
            &using(Protocol::ProfinetDcp, &[OpClass::Diagnostic], 0),
            None,
        );
        assert_eq!(role, Role::Unknown, "discovery alone names no role");
        assert!(reason.contains("discovery"), "{reason}");
        assert_eq!(
            infer_role(&using(Protocol::Dnp3, &[OpClass::Read], 2), None).0,
            Role::OpcScadaServer
        );
    }

    #[test]
    fn a_database_fed_by_an_hmi_is_the_historian() {
        let mut db = Behaviour::default();
        db.service_ports.insert((6, 1433));
        assert_eq!(infer_role(&db, None).0, Role::ItHost);
        let (role, reason) = historian_by_clients(&db, &[Role::ItHost, Role::Hmi]).unwrap();
        assert_eq!(role, Role::Historian);
        assert!(
            reason.contains("1433") && reason.contains("hmi"),
            "{reason}"
        );
        assert!(historian_by_clients(&db, &[Role::ItHost]).is_none());
        let mut web = Behaviour::default();
        web.service_ports.insert((6, 443));
        assert_eq!(
            historian_by_clients(&web, &[Role::Hmi, Role::Hmi]).map(|r| r.0),
            Some(Role::Historian)
        );
        let (_, reason) = historian_by_clients(&web, &[Role::Hmi, Role::ItHost]).unwrap();
        assert!(reason.contains("read by 1 other"), "{reason}");
        assert!(historian_by_clients(&web, &[Role::ItHost]).is_none());
        let mut rpc = Behaviour::default();
        rpc.service_ports.insert((6, 1059));
        assert!(
            historian_by_clients(&rpc, &[Role::Hmi]).is_none(),
            "a panel PC answering RPC to its SCADA server is no historian"
        );
    }

    #[test]
    fn switches_that_only_advertise_are_network_devices_not_it_hosts() {
        let mut switch = using(Protocol::Lldp, &[OpClass::Other], 0);
        switch.facts.insert(
            "lldp_system_description",
            ["Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3".to_string()].into(),
        );
        assert_eq!(infer_role(&switch, None).0, Role::NetworkDevice);
        let plc_sending_lldp = using(Protocol::Lldp, &[OpClass::Other], 0);
        assert_eq!(infer_role(&plc_sending_lldp, None).0, Role::Unknown);
    }

    #[test]
    fn gateways_and_it_hosts() {
        let gw = Behaviour {
            is_gateway: true,
            ..Behaviour::default()
        };
        assert_eq!(infer_role(&gw, None).0, Role::NetworkDevice);
        let mut web = Behaviour::default();
        web.service_ports.insert((6, 443));
        assert_eq!(infer_role(&web, None).0, Role::ItHost);
        assert_eq!(infer_role(&Behaviour::default(), None).0, Role::Unknown);
    }

    #[test]
    fn purdue_levels_follow_roles_and_neighbours() {
        let b = Behaviour::default();
        assert_eq!(purdue_level(Role::IoDevice, &b, &[]).0, Some(0));
        assert_eq!(purdue_level(Role::Plc, &b, &[]).0, Some(1));
        assert_eq!(purdue_level(Role::Hmi, &b, &[]).0, Some(2));
        assert_eq!(purdue_level(Role::Historian, &b, &[]).0, Some(3));
        assert_eq!(purdue_level(Role::ItHost, &b, &[]).0, Some(4));
        assert_eq!(purdue_level(Role::ItHost, &b, &[2, 2]).0, Some(2));
        assert_eq!(purdue_level(Role::ItHost, &b, &[2, 4]).0, Some(4));
        let public = Behaviour {
            public_address: true,
            ..Behaviour::default()
        };
        assert_eq!(purdue_level(Role::ItHost, &public, &[]).0, Some(4));
        let remote = Behaviour {
            public_address: true,
            behind_gateway: true,
            ..Behaviour::default()
        };
        assert_eq!(purdue_level(Role::ItHost, &remote, &[]).0, Some(5));
        assert_eq!(purdue_level(Role::NetworkDevice, &b, &[2, 1]).0, Some(1));
        assert_eq!(purdue_level(Role::NetworkDevice, &b, &[0, 3]).0, Some(1));
        assert_eq!(purdue_level(Role::Unknown, &b, &[1]).0, Some(2));
        assert_eq!(purdue_level(Role::Unknown, &b, &[]).0, None);
        assert_eq!(Role::SafetyController.criticality(), Criticality::Critical);
        assert_eq!(Role::from_name("plc"), Some(Role::Plc));
    }
}
