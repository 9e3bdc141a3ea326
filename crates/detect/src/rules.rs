//! The detections. Each has a stable id, an ATT&CK for ICS technique and a base severity
//! (1-10); docs/detection.md describes each.

use crate::baseline::{class_key, pair_key, Baseline};
use crate::{Alert, Block, PacketRef, Severity};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use zonewarden_dissect::{AnomalyClass, CommunicationMap, Endpoint, OpClass, Operation, Protocol};
use zonewarden_inventory::{Asset, Inventory};
use zonewarden_model::Timestamp;
use zonewarden_policy::check::{CheckReport, Kind};
use zonewarden_policy::observe::{is_local_only, socket, transport_name};
use zonewarden_policy::{Conversation, Model, Resolution};

/// A detection rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub attack: &'static str,
    /// 1 (noteworthy) to 10 (process at stake).
    pub base: u32,
}

const fn rule(id: &'static str, name: &'static str, attack: &'static str, base: u32) -> Rule {
    Rule {
        id,
        name,
        attack,
        base,
    }
}

pub const PLC_STOP: Rule = rule("ZWD-101", "Controller stopped", "T0858", 9);
pub const PLC_START: Rule = rule("ZWD-102", "Controller started or mode changed", "T0858", 7);
pub const RESTART: Rule = rule("ZWD-103", "Device restart", "T0816", 8);
pub const LISTEN_ONLY: Rule = rule(
    "ZWD-104",
    "Device silenced (listen-only, communication control)",
    "T0814",
    8,
);
pub const UNSOLICITED: Rule = rule(
    "ZWD-105",
    "Reporting disabled (unsolicited responses off)",
    "T0804",
    7,
);
pub const NETWORK_SET: Rule = rule(
    "ZWD-106",
    "Network identity changed (PROFINET DCP Set)",
    "T0836",
    7,
);
pub const CONTROL: Rule = rule("ZWD-107", "Control command", "T0855", 5);
pub const CLOCK_SET: Rule = rule("ZWD-108", "Controller clock set", "T0836", 6);
pub const DOWNLOAD: Rule = rule("ZWD-111", "Program download", "T0843", 9);
pub const UPLOAD: Rule = rule("ZWD-112", "Program upload", "T0845", 5);
pub const FIRMWARE: Rule = rule("ZWD-113", "Firmware update", "T0857", 10);
/// Deleting what a controller runs or keeps (MMS deleteDomain/deleteProgramInvocation, DNP3
/// DELETE_FILE, FINS File Delete, BACnet deleteObject) destroys logic or data: not a download.
pub const PROGRAM_DELETE: Rule = rule("ZWD-114", "Program, file or object deleted", "T0809", 8);
pub const NEW_WRITER: Rule = rule(
    "ZWD-121",
    "Write from a host that never wrote to this device",
    "T0855",
    6,
);
pub const POLICY: Rule = rule("ZWD-201", "Traffic the zones model forbids", "T0886", 5);
pub const POLICY_OPERATION: Rule = rule("ZWD-202", "Operation the zones model forbids", "T0855", 7);
pub const PORT_SCAN: Rule = rule("ZWD-301", "Port scan", "T0846", 4);
pub const ICS_DISCOVERY: Rule = rule("ZWD-302", "ICS discovery sweep", "T0888", 4);
pub const NEW_DEVICE: Rule = rule("ZWD-401", "New device", "T0848", 3);
pub const BINDING_CHANGE: Rule = rule(
    "ZWD-402",
    "MAC/IP binding changed (ARP spoofing?)",
    "T0830",
    7,
);
pub const IDENTITY_CHANGE: Rule = rule(
    "ZWD-403",
    "Firmware or model changed on a known device",
    "T0839",
    6,
);
pub const NEW_CONVERSATION: Rule = rule("ZWD-404", "New conversation", "T0886", 2);
pub const NEW_PROTOCOL: Rule = rule("ZWD-405", "New protocol between two devices", "T0869", 3);
pub const NEW_OP_CLASS: Rule = rule(
    "ZWD-406",
    "New kind of operation between two devices",
    "T0855",
    5,
);
pub const CLEARTEXT_CREDENTIALS: Rule = rule("ZWD-501", "Credentials in clear", "T0859", 5);
/// Malformed messages are how most published ICS denial-of-service flaws are triggered (a
/// crafted length or qualifier faults the device's parser), hence Denial of Service rather
/// than Exploitation of Remote Services, which would claim more than the bytes show.
pub const MALFORMED: Rule = rule("ZWD-601", "Malformed industrial message", "T0814", 5);
pub const REQUEST_FLOOD: Rule = rule("ZWD-602", "Flood of unanswered requests", "T0814", 6);
/// A GOOSE frame whose counters its publisher cannot have produced is a frame someone else
/// sent in the publisher's name: a spoofed status report that subscribers (interlocks, trips)
/// act on. Any host on the station bus can multicast it, so no adversary-in-the-middle
/// position is implied.
pub const GOOSE_SEQUENCE: Rule = rule(
    "ZWD-603",
    "GOOSE sequence anomaly (replay or injection)",
    "T0856",
    8,
);

pub const RULES: [Rule; 27] = [
    PLC_STOP,
    PLC_START,
    RESTART,
    LISTEN_ONLY,
    UNSOLICITED,
    NETWORK_SET,
    CONTROL,
    CLOCK_SET,
    DOWNLOAD,
    UPLOAD,
    FIRMWARE,
    PROGRAM_DELETE,
    NEW_WRITER,
    POLICY,
    POLICY_OPERATION,
    PORT_SCAN,
    ICS_DISCOVERY,
    NEW_DEVICE,
    BINDING_CHANGE,
    IDENTITY_CHANGE,
    NEW_CONVERSATION,
    NEW_PROTOCOL,
    NEW_OP_CLASS,
    CLEARTEXT_CREDENTIALS,
    MALFORMED,
    REQUEST_FLOOD,
    GOOSE_SEQUENCE,
];

/// What the detections read.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub map: &'a CommunicationMap,
    pub inventory: &'a Inventory,
    pub conversations: &'a [Conversation],
    /// Capture paths by input index (for evidence).
    pub inputs: &'a [String],
    pub model: Option<&'a Model>,
    pub resolution: Option<&'a Resolution>,
    pub check: Option<&'a CheckReport>,
    pub baseline: Option<&'a Baseline>,
}

/// Which rule an operation raises, by its class and name.
pub fn operation_rule(protocol: Protocol, name: &str, class: OpClass) -> Option<Rule> {
    // Names come as "Force Listen Only Mode", "DISABLE_UNSOLICITED",
    // "deviceCommunicationControl": compared without case, spaces or separators.
    let n: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let has = |w: &str| n.contains(&w.replace(' ', ""));
    // Setting a controller's clock corrupts its time stamps and schedules, whatever class
    // the protocol files it under (S7 Set Clock, CIP wall clock, IEC 104 clock sync).
    let clock = has("clock") || has("time synchroni") || has("set time") || has("ccsna1");
    if clock
        && (has("set") || has("write") || has("synchroni") || has("ccsna1"))
        && matches!(class, OpClass::Write | OpClass::Control)
    {
        return Some(CLOCK_SET);
    }
    match class {
        OpClass::Program => Some(if has("firmware") {
            FIRMWARE
        } else if has("delete") {
            PROGRAM_DELETE
        } else if has("upload") {
            UPLOAD
        } else {
            DOWNLOAD
        }),
        OpClass::Control => Some(
            if protocol == Protocol::ProfinetDcp && has("set") && !has("control") {
                NETWORK_SET
            } else if has("listen only")
                || has("communication control")
                || has("restart communications")
            {
                LISTEN_ONLY
            } else if has("unsolicited") && has("disable") {
                UNSOLICITED
            } else if has("unsolicited") {
                CONTROL
            } else if has("restart") || has("reset") || has("reinitiali") || has("reboot") {
                RESTART
            } else if has("stop") || n == "kill" {
                // MMS Kill ends a program invocation at once: a stop without an orderly halt.
                PLC_STOP
            } else if has("start")
                || has("run")
                || has("mode")
                || (has("lock") && !has("clock") && !has("block"))
            {
                PLC_START
            } else {
                CONTROL
            },
        ),
        _ => None,
    }
}

/// Whether the baseline has the conversation the other way round, on any port of the client
/// here: a flow picked up mid-stream between two unregistered ports may have its ends told
/// apart wrongly, and must not look new for that.
fn knows_reversed(baseline: &Baseline, c: &Conversation) -> bool {
    let socket_prefix = socket(c.client, 0);
    let Some(address) = socket_prefix.strip_suffix('0') else {
        return false;
    };
    let prefix = format!("{} {} -> {address}", transport_name(c.transport), c.server);
    baseline
        .conversations
        .range(prefix.clone()..)
        .next()
        .is_some_and(|known| {
            known
                .strip_prefix(&prefix)
                .is_some_and(|port| port.bytes().all(|b| b.is_ascii_digit()))
        })
}

fn crit_weight(c: &str) -> u32 {
    match c {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        _ => 1,
    }
}

struct Lookup<'a> {
    by_ip: HashMap<IpAddr, &'a Asset>,
    by_mac: HashMap<String, &'a Asset>,
}

impl<'a> Lookup<'a> {
    fn new(inventory: &'a Inventory) -> Lookup<'a> {
        let mut by_ip = HashMap::new();
        let mut by_mac = HashMap::new();
        for a in &inventory.assets {
            for ip in &a.ips {
                by_ip.entry(*ip).or_insert(a);
            }
            for m in &a.macs {
                by_mac.entry(m.clone()).or_insert(a);
            }
        }
        Lookup { by_ip, by_mac }
    }
    fn asset(&self, e: &Endpoint) -> Option<&'a Asset> {
        match e {
            Endpoint::Ip(ip) => self.by_ip.get(ip).copied(),
            Endpoint::Mac(m) => self.by_mac.get(&zonewarden_model::format_mac(*m)).copied(),
        }
    }
    fn id(&self, e: &Endpoint) -> String {
        self.asset(e).map_or_else(
            || match e {
                Endpoint::Ip(ip) => format!("ip:{ip}"),
                Endpoint::Mac(m) => format!("mac:{}", zonewarden_model::format_mac(*m)),
            },
            |a| a.id.clone(),
        )
    }
}

struct Ctx<'a> {
    inputs: &'a Inputs<'a>,
    lookup: Lookup<'a>,
    alerts: Vec<Alert>,
}

impl Ctx<'_> {
    fn zone_of(&self, e: &Endpoint) -> Option<(String, u8)> {
        let (Endpoint::Ip(ip), Some(model), Some(res)) =
            (e, self.inputs.model, self.inputs.resolution)
        else {
            return None;
        };
        let z = res.zone_of_ip(model, *ip).zone()?;
        let zone = model.zone(z)?;
        Some((
            zone.id.clone(),
            zone.sl_t.0.iter().copied().max().unwrap_or(0),
        ))
    }

    fn evidence(&self, at: Option<(u32, u64)>) -> Option<PacketRef> {
        let (file, packet) = at?;
        Some(PacketRef {
            file: self
                .inputs
                .inputs
                .get(file as usize)
                .cloned()
                .unwrap_or_else(|| format!("input {file}")),
            packet,
        })
    }

    /// Adds an alert against `target` (whose criticality and zone set the severity).
    #[allow(clippy::too_many_arguments)]
    fn raise(
        &mut self,
        rule: Rule,
        target: Option<&Endpoint>,
        source: Option<&Endpoint>,
        protocol: Option<&str>,
        operation: Option<&str>,
        count: u64,
        when: (Option<Timestamp>, Option<Timestamp>),
        at: Option<(u32, u64)>,
        summary: String,
        block: Option<Block>,
    ) {
        let criticality = target
            .and_then(|t| self.lookup.asset(t))
            .map_or("medium", |a| a.criticality.as_str());
        let zone = target.and_then(|t| self.zone_of(t));
        let sl_t = zone.as_ref().map_or(0, |z| u32::from(z.1));
        let score = rule.base * crit_weight(criticality) * (4 + sl_t) / 4;
        let mut assets = Vec::new();
        if let Some(t) = target {
            assets.push(self.lookup.id(t));
        }
        if let Some(s) = source {
            let id = self.lookup.id(s);
            if !assets.contains(&id) {
                assets.push(id);
            }
        }
        let key = format!(
            "{}|{}|{}|{}|{}",
            rule.id,
            target.map(ToString::to_string).unwrap_or_default(),
            source.map(ToString::to_string).unwrap_or_default(),
            protocol.unwrap_or(""),
            operation.unwrap_or("")
        );
        let digest = Sha256::digest(key.as_bytes());
        let id: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.alerts.push(Alert {
            id,
            rule: rule.id.to_string(),
            name: rule.name.to_string(),
            severity: Severity::of_score(score),
            score,
            attack: rule.attack.to_string(),
            time: when.0.map(Alert::time_of).unwrap_or_default(),
            last_time: when.1.filter(|l| Some(*l) != when.0).map(Alert::time_of),
            assets,
            zone: zone.map(|z| z.0),
            client: source.map(ToString::to_string),
            server: target.map(ToString::to_string),
            protocol: protocol.map(str::to_string),
            operation: operation.map(str::to_string),
            count,
            // Device-reported text (firmware, model) must not forge log lines.
            summary: summary
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
            evidence: self.evidence(at),
            block: block.as_ref().map(Block::nftables),
            block_rules: block.as_ref().map(Block::rules),
            evidence_pcap: None,
        });
    }
}

fn block_rule(
    client: &Endpoint,
    server: &Endpoint,
    transport: Option<&str>,
    port: Option<u16>,
) -> Option<Block> {
    let (Endpoint::Ip(c), Endpoint::Ip(s)) = (client, server) else {
        return None;
    };
    Some(Block {
        source: *c,
        destination: Some(*s),
        transport: transport.map(str::to_string),
        port,
    })
}

/// Runs every detection; alerts ordered by time, then rule.
pub fn detect(inputs: &Inputs<'_>) -> Vec<Alert> {
    let mut ctx = Ctx {
        inputs,
        lookup: Lookup::new(inputs.inventory),
        alerts: Vec::new(),
    };
    operations(&mut ctx);
    policy(&mut ctx);
    reconnaissance(&mut ctx);
    changes(&mut ctx);
    credentials(&mut ctx);
    protocol_anomalies(&mut ctx);
    floods(&mut ctx);
    // One alert per id: the same operation under several codes, or on several edges of the
    // same pair, is one finding.
    let mut merged: BTreeMap<String, Alert> = BTreeMap::new();
    for a in ctx.alerts {
        match merged.get_mut(&a.id) {
            None => {
                merged.insert(a.id.clone(), a);
            }
            Some(m) => {
                m.count += a.count;
                let last = [
                    m.last_time.clone(),
                    a.last_time.clone(),
                    Some(a.time.clone()),
                ]
                .into_iter()
                .flatten()
                .max();
                if a.time < m.time {
                    m.time = a.time.clone();
                    m.evidence = a.evidence.clone().or(m.evidence.take());
                }
                m.last_time = last.filter(|l| *l != m.time);
                if a.score > m.score {
                    m.score = a.score;
                    m.severity = a.severity;
                }
            }
        }
    }
    let mut alerts: Vec<Alert> = merged.into_values().collect();
    alerts.sort_by(|a, b| (&a.time, &a.rule, &a.id).cmp(&(&b.time, &b.rule, &b.id)));
    alerts
}

fn operations(ctx: &mut Ctx<'_>) {
    let map = ctx.inputs.map;
    for e in map.edges() {
        let p = e.key.protocol;
        let port = e.server_ports.iter().next().copied();
        let transport = zonewarden_policy::protocols::transport_of(p).map(transport_name);
        for (op, stats) in &e.operations {
            if stats.count == 0 {
                continue;
            }
            let rule = operation_rule(p, op.name, op.class).or_else(|| {
                // A write where the baseline never saw this client write to this server.
                let baseline = ctx.inputs.baseline?;
                (op.class == OpClass::Write
                    && !baseline.operation_classes.contains(&class_key(
                        &e.key.client,
                        &e.key.server,
                        p.as_str(),
                        OpClass::Write,
                    )))
                .then_some(NEW_WRITER)
            });
            let Some(rule) = rule else { continue };
            let summary = format!(
                "{} {} from {} to {}",
                p.as_str(),
                op.name,
                e.key.client,
                e.key.server
            );
            ctx.raise(
                rule,
                Some(&e.key.server),
                Some(&e.key.client),
                Some(p.as_str()),
                Some(op.name),
                stats.count,
                (stats.first_ts, stats.last_ts),
                stats.first_at,
                summary,
                block_rule(&e.key.client, &e.key.server, transport, port),
            );
        }
    }
}

fn policy(ctx: &mut Ctx<'_>) {
    let Some(check) = ctx.inputs.check else {
        return;
    };
    for v in &check.violations {
        let rule = match v.kind {
            Kind::OperationNotAllowed => POLICY_OPERATION,
            Kind::NoConduit
            | Kind::NotAllowed
            | Kind::WrongDirection
            | Kind::IntraZoneNotAllowed => POLICY,
            _ => continue,
        };
        let (Some(c), Some(s)) = (
            v.client.as_deref().and_then(|c| c.parse::<IpAddr>().ok()),
            v.server.as_deref().and_then(|s| s.parse::<IpAddr>().ok()),
        ) else {
            continue;
        };
        let (client, server) = (Endpoint::Ip(c), Endpoint::Ip(s));
        ctx.raise(
            rule,
            Some(&server),
            Some(&client),
            v.protocol,
            v.operation,
            v.count.max(v.flows),
            (v.first_ts, v.last_ts),
            None,
            format!("{} [{}]", v.message, v.rule_id),
            block_rule(&client, &server, v.transport, v.port),
        );
    }
}

/// A client whose connection attempts go unanswered this many times…
const SCAN_PROBES: usize = 10;
/// …on at least this many ports, or this many hosts.
const SCAN_PORTS: usize = 5;
const SCAN_HOSTS: usize = 10;
/// Identification requests to many devices (CIP ListIdentity, S7 SZL reads, BACnet Who-Is…).
const DISCOVERY_TARGETS: usize = 5;
const DISCOVERY_REQUESTS: u64 = 20;
/// Requests in one flow whose start address rose each time: a register walk. A poll loop
/// climbs once per block it polls, and HMIs poll tens of blocks, not a hundred.
const WALK_CLIMB: u32 = 100;
/// Distinct function codes on one edge, of which at least [`SWEEP_REFUSED`] were refused
/// with exceptions only: a function-code sweep. Masters use a handful of codes, all of
/// which the device supports.
const SWEEP_CODES: usize = 8;
const SWEEP_REFUSED: usize = 4;

/// Operations summed over edges: count, first and last time, the first packet.
#[derive(Debug, Default, Clone, Copy)]
struct OpTally {
    count: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    at: Option<(u32, u64)>,
}

impl OpTally {
    fn add(&mut self, stats: &zonewarden_dissect::OpStats) {
        self.count += stats.count;
        let earlier = match (self.first, stats.first_ts) {
            (None, _) => true,
            (Some(a), Some(b)) => b < a,
            (Some(_), None) => false,
        };
        if earlier {
            self.first = stats.first_ts;
            self.at = stats.first_at.or(self.at);
        }
        self.last = match (self.last, stats.last_ts) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

fn reconnaissance(ctx: &mut Ctx<'_>) {
    // Per client: the (host, port) pairs it probed without an answer (a SYN with no reply, a
    // reset, a datagram nobody answered).
    type Probes = (BTreeSet<(IpAddr, u16)>, Timestamp, Timestamp);
    let mut probes: BTreeMap<IpAddr, Probes> = BTreeMap::new();
    for c in ctx.inputs.conversations {
        // A SYN answered by a reset is two packets; a completed handshake is three.
        // Only what the client sent counts: replies to a broadcast are not probes.
        // A UDP request with its answer is two packets too: only silence counts there.
        let unanswered = c.server_packets == 0
            || (c.transport == zonewarden_policy::protocols::TCP && c.packets <= 2 * c.flows);
        if is_local_only(c.server) || c.client_packets == 0 || !unanswered {
            continue;
        }
        let e = probes
            .entry(c.client)
            .or_insert((BTreeSet::new(), c.first_ts, c.last_ts));
        e.0.insert((c.server, c.port));
        e.1 = e.1.min(c.first_ts);
        e.2 = e.2.max(c.last_ts);
    }
    for (client, (set, first, last)) in probes {
        let hosts: BTreeSet<IpAddr> = set.iter().map(|(h, _)| *h).collect();
        let ports: BTreeSet<u16> = set.iter().map(|(_, p)| *p).collect();
        // Many ports (a port scan) or many hosts (a sweep); a client retrying a few
        // unreachable controllers is neither.
        if set.len() < SCAN_PROBES || (ports.len() < SCAN_PORTS && hosts.len() < SCAN_HOSTS) {
            continue;
        }
        let source = Endpoint::Ip(client);
        let target = (hosts.len() == 1)
            .then(|| hosts.iter().next().map(|t| Endpoint::Ip(*t)))
            .flatten();
        ctx.raise(
            PORT_SCAN,
            target.as_ref(),
            Some(&source),
            None,
            None,
            set.len() as u64,
            (Some(first), Some(last)),
            None,
            format!(
                "{client} probed {} port(s) on {} host(s) without answer ({} probe(s))",
                ports.len(),
                hosts.len(),
                set.len()
            ),
            Some(Block {
                source: client,
                destination: None,
                transport: None,
                port: None,
            }),
        );
    }
    walks_and_sweeps(ctx);
    // ICS discovery: identification operations to many devices or many times.
    let mut discovery: BTreeMap<(String, &'static str), (BTreeSet<String>, OpTally, Endpoint)> =
        BTreeMap::new();
    for e in ctx.inputs.map.edges() {
        for (op, stats) in &e.operations {
            let n = op.name.to_ascii_lowercase();
            let identifying = n.contains("listidentity")
                || n.contains("szl")
                || n.contains("who is")
                || n.contains("who-is")
                || n.contains("device identification")
                || n.contains("dcp identify")
                || n.contains("read cpu model");
            if !identifying || stats.count == 0 {
                continue;
            }
            // A discovery the baseline already knows from this client to this target is
            // routine (an engineering tool browsing its network).
            if ctx.inputs.baseline.is_some_and(|b| {
                b.protocols.contains(&pair_key(
                    &e.key.client,
                    &e.key.server,
                    e.key.protocol.as_str(),
                ))
            }) {
                continue;
            }
            let d = discovery
                .entry((e.key.client.to_string(), op.name))
                .or_insert((BTreeSet::new(), OpTally::default(), e.key.client));
            d.0.insert(e.key.server.to_string());
            d.1.add(stats);
        }
    }
    for ((client, op), (targets, tally, source)) in discovery {
        let OpTally {
            count,
            first,
            last,
            at,
        } = tally;
        // A broadcast ListIdentity or Who-Is asks every device at once; PROFINET DCP
        // Identify broadcasts are routine for controllers and count by volume only.
        let broadcast = !op.to_ascii_lowercase().contains("dcp")
            && targets
                .iter()
                .any(|t| t.parse::<IpAddr>().is_ok_and(is_local_only));
        if targets.len() < DISCOVERY_TARGETS && count < DISCOVERY_REQUESTS && !broadcast {
            continue;
        }
        ctx.raise(
            ICS_DISCOVERY,
            None,
            Some(&source),
            None,
            Some(op),
            count,
            (first, last),
            at,
            format!(
                "{client} sent {count} {op} request(s) to {} target(s){}",
                targets.len(),
                if broadcast {
                    ", including broadcasts"
                } else {
                    ""
                }
            ),
            None,
        );
    }
}

fn changes(ctx: &mut Ctx<'_>) {
    let Some(baseline) = ctx.inputs.baseline else {
        return;
    };
    let inventory = ctx.inputs.inventory;
    for a in &inventory.assets {
        let target = a.ips.first().map(|ip| Endpoint::Ip(*ip)).or_else(|| {
            a.macs
                .first()
                .and_then(|m| zonewarden_policy::selector::parse_mac(m))
                .map(Endpoint::Mac)
        });
        let when = (a.first_ts, a.last_ts);
        match baseline.devices.get(&a.id) {
            None => {
                let known_ip = a
                    .ips
                    .iter()
                    .any(|ip| baseline.bindings.contains_key(&ip.to_string()));
                if !known_ip {
                    ctx.raise(
                        NEW_DEVICE,
                        target.as_ref(),
                        None,
                        None,
                        None,
                        1,
                        when,
                        None,
                        format!(
                            "{} [{}{}] was not in the baseline",
                            a.ip.map_or_else(|| a.id.clone(), |ip| ip.to_string()),
                            a.role.as_str(),
                            a.vendor
                                .as_deref()
                                .map(|v| format!(", {v}"))
                                .unwrap_or_default()
                        ),
                        None,
                    );
                }
            }
            Some(known) => {
                for (what, before, now) in [
                    ("firmware", &known.firmware, &a.firmware),
                    ("model", &known.model, &a.model),
                ] {
                    if let (Some(b), Some(n)) = (before, now) {
                        if b != n {
                            ctx.raise(
                                IDENTITY_CHANGE,
                                target.as_ref(),
                                None,
                                None,
                                None,
                                1,
                                when,
                                None,
                                format!("{} {what} changed: {b} → {n}", a.id),
                                None,
                            );
                        }
                    }
                }
            }
        }
        for ip in &a.ips {
            if let Some(macs) = baseline.bindings.get(&ip.to_string()) {
                let new: Vec<&String> = a.macs.iter().filter(|m| !macs.contains(*m)).collect();
                if !new.is_empty() && !macs.is_empty() {
                    ctx.raise(
                        BINDING_CHANGE,
                        Some(&Endpoint::Ip(*ip)),
                        None,
                        None,
                        None,
                        1,
                        when,
                        None,
                        format!(
                            "{ip} now answers from {} (baseline: {})",
                            new.iter()
                                .map(|m| m.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            macs.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        None,
                    );
                }
            }
        }
    }
    for c in ctx.inputs.conversations {
        if is_local_only(c.server)
            || baseline.conversations.contains(&c.describe())
            || (c.direction_guessed && knows_reversed(baseline, c))
        {
            continue;
        }
        let (client, server) = (Endpoint::Ip(c.client), Endpoint::Ip(c.server));
        ctx.raise(
            NEW_CONVERSATION,
            Some(&server),
            Some(&client),
            c.protocol.map(Protocol::as_str),
            None,
            c.flows,
            (Some(c.first_ts), Some(c.last_ts)),
            None,
            format!("{} was never seen in the baseline", socket_text(c)),
            block_rule(
                &client,
                &server,
                Some(transport_name(c.transport)),
                Some(c.port),
            ),
        );
    }
    for e in ctx.inputs.map.edges() {
        let p = e.key.protocol.as_str();
        if !baseline
            .protocols
            .contains(&pair_key(&e.key.client, &e.key.server, p))
        {
            ctx.raise(
                NEW_PROTOCOL,
                Some(&e.key.server),
                Some(&e.key.client),
                Some(p),
                None,
                e.flows,
                (Some(e.first_ts), Some(e.last_ts)),
                None,
                format!(
                    "{} → {} speaks {p} for the first time",
                    e.key.client, e.key.server
                ),
                None,
            );
            continue;
        }
        let mut classes: BTreeMap<OpClass, OpTally> = BTreeMap::new();
        for (op, stats) in &e.operations {
            if stats.count == 0
                || baseline.operation_classes.contains(&class_key(
                    &e.key.client,
                    &e.key.server,
                    p,
                    op.class,
                ))
                || operation_rule(e.key.protocol, op.name, op.class).is_some()
                || op.class == OpClass::Write
            {
                continue;
            }
            classes.entry(op.class).or_default().add(stats);
        }
        for (class, tally) in classes {
            let OpTally {
                count,
                first,
                last,
                at,
            } = tally;
            ctx.raise(
                NEW_OP_CLASS,
                Some(&e.key.server),
                Some(&e.key.client),
                Some(p),
                Some(class.as_str()),
                count,
                (first, last),
                at,
                format!(
                    "{} → {}: first {} operations over {p}",
                    e.key.client,
                    e.key.server,
                    class.as_str()
                ),
                None,
            );
        }
    }
}

fn socket_text(c: &Conversation) -> String {
    format!(
        "{} {} -> {}",
        transport_name(c.transport),
        c.client,
        socket(c.server, c.port)
    )
}

fn credentials(ctx: &mut Ctx<'_>) {
    let inventory = ctx.inputs.inventory;
    for a in &inventory.assets {
        let mut kinds: Vec<String> = Vec::new();
        for v in a.facts.get("cleartext_login").into_iter().flatten() {
            kinds.push(format!("{v} login"));
        }
        if a.facts.contains_key("http_basic_auth") {
            kinds.push("HTTP basic authentication".into());
        }
        if a.facts.contains_key("snmp_community_in_clear") {
            // The community itself is a secret: never repeated in an alert.
            kinds.push("SNMP community".into());
        }
        if kinds.is_empty() {
            continue;
        }
        let target = a.ips.first().map(|ip| Endpoint::Ip(*ip));
        ctx.raise(
            CLEARTEXT_CREDENTIALS,
            target.as_ref(),
            None,
            None,
            None,
            kinds.len() as u64,
            (a.first_ts, a.last_ts),
            None,
            format!(
                "{} sends or receives credentials in clear: {}",
                a.id,
                kinds.join(", ")
            ),
            None,
        );
    }
}

/// ICS discovery by data access: register walks (one read climbing the address space) and
/// function-code sweeps (many codes, most refused), per edge.
fn walks_and_sweeps(ctx: &mut Ctx<'_>) {
    for e in ctx.inputs.map.edges() {
        let p = e.key.protocol;
        for (op, stats) in &e.operations {
            if stats.longest_climb < WALK_CLIMB {
                continue;
            }
            let span = match (stats.address_min, stats.address_end) {
                (Some(a), Some(b)) => format!(" over addresses {a}..{}", b.saturating_sub(1)),
                _ => String::new(),
            };
            ctx.raise(
                ICS_DISCOVERY,
                Some(&e.key.server),
                Some(&e.key.client),
                Some(p.as_str()),
                Some(op.name),
                stats.requests,
                (stats.first_ts, stats.last_ts),
                stats.first_at,
                format!(
                    "register walk: {} {} request(s) from {} to {}{span}, {} climbing in a row",
                    stats.requests, op.name, e.key.client, e.key.server, stats.longest_climb
                ),
                None,
            );
        }
        let codes: BTreeSet<u16> = e.operations.keys().map(|op| op.code).collect();
        let refused: BTreeSet<u16> = e
            .operations
            .iter()
            .filter(|(_, s)| s.responses > 0 && s.exceptions == s.responses)
            .map(|(op, _)| op.code)
            .collect();
        if codes.len() < SWEEP_CODES || refused.len() < SWEEP_REFUSED {
            continue;
        }
        let mut tally = OpTally::default();
        for stats in e.operations.values() {
            tally.add(stats);
        }
        ctx.raise(
            ICS_DISCOVERY,
            Some(&e.key.server),
            Some(&e.key.client),
            Some(p.as_str()),
            Some("function-code sweep"),
            tally.count,
            (tally.first, tally.last),
            tally.at,
            format!(
                "function-code sweep: {} tried {} {} function code(s) on {}, {} refused",
                e.key.client,
                codes.len(),
                p.as_str(),
                e.key.server,
                refused.len()
            ),
            None,
        );
    }
}

/// Malformed industrial messages (ZWD-601) and GOOSE sequence anomalies (ZWD-603), as the
/// dissectors tallied them per protocol, sender and receiver.
fn protocol_anomalies(ctx: &mut Ctx<'_>) {
    for (key, tally) in ctx.inputs.map.anomalies() {
        let p = key.protocol.as_str();
        let when = (Some(tally.first.ts), Some(tally.last_ts));
        let at = Some((tally.first.file, tally.first.packet));
        let count = tally.count;
        match key.class {
            // IT protocols are decoded for identity only: their oddities are not process risk.
            AnomalyClass::Malformed if key.protocol.is_industrial() => ctx.raise(
                MALFORMED,
                Some(&key.destination),
                Some(&key.source),
                Some(p),
                None,
                count,
                when,
                at,
                format!(
                    "{count} malformed {p} message(s) from {} to {}; first: {}",
                    key.source, key.destination, tally.message
                ),
                block_rule(&key.source, &key.destination, None, None),
            ),
            // The publisher is the target: its criticality is what subscribers trust, and
            // the true sender of a forged frame is unknown (it borrows the publisher's MAC).
            AnomalyClass::Probe => ctx.raise(
                ICS_DISCOVERY,
                Some(&key.destination),
                Some(&key.source),
                Some(p),
                Some(&key.subject),
                count,
                when,
                at,
                format!(
                    "{} to {}: {} ({count} connection(s))",
                    key.source, key.destination, tally.message
                ),
                None,
            ),
            AnomalyClass::Sequence if key.protocol == Protocol::Goose => ctx.raise(
                GOOSE_SEQUENCE,
                Some(&key.source),
                None,
                Some(p),
                Some(&key.subject),
                count,
                when,
                at,
                format!(
                    "{count} GOOSE frame(s) of {} from {} to {} with stNum/sqNum its publisher \
                     cannot produce; first: {}",
                    key.subject, key.source, key.destination, tally.message
                ),
                None,
            ),
            _ => {}
        }
    }
}

/// Unanswered-request flood: at least this many requests on one edge…
const FLOOD_REQUESTS: u64 = 100;
/// …of which fewer than this share (percent) were answered…
const FLOOD_ANSWERED_PERCENT: u64 = 10;
/// …at this many requests per second or more over the requests' active time (counted as at
/// least one second, so that a burst of 100 in a millisecond is 100/s, not 100,000/s).
const FLOOD_RATE: u64 = 10;

/// Whether a request of this operation expects an answer: publish/subscribe and cyclic
/// one-way traffic (GOOSE, C37.118 data streams, CIP implicit I/O, EtherCAT frames that
/// return through the ring, BACnet unconfirmed services, MQTT publications) never does, so
/// its silence is normal.
fn expects_answer(protocol: Protocol, op: &Operation) -> bool {
    use zonewarden_dissect::protocols::bacnet::UNCONFIRMED_BASE;
    let one_way = matches!(
        protocol,
        Protocol::Goose
            | Protocol::Synchrophasor
            | Protocol::Ethercat
            | Protocol::ProfinetDcp
            | Protocol::Mqtt
    ) || (protocol == Protocol::Bacnet && op.code & UNCONFIRMED_BASE != 0)
        || (protocol == Protocol::Enip && op.name == "Implicit I/O");
    protocol.is_industrial() && !one_way
}

fn is_unicast(e: &Endpoint) -> bool {
    match e {
        Endpoint::Ip(ip) => !is_local_only(*ip),
        Endpoint::Mac(m) => m.first().is_some_and(|b| b & 1 == 0),
    }
}

/// ZWD-602: many requests over one edge that the server (almost) never answered, fast.
fn floods(ctx: &mut Ctx<'_>) {
    for e in ctx.inputs.map.edges() {
        let p = e.key.protocol;
        // Requests to a broadcast or multicast address are answered (if at all) from other
        // addresses, on other edges.
        if !is_unicast(&e.key.server) {
            continue;
        }
        let (mut requests, mut responses) = (0u64, 0u64);
        let mut tally = OpTally::default();
        for (op, stats) in &e.operations {
            if !expects_answer(p, op) || stats.requests == 0 {
                continue;
            }
            requests += stats.requests;
            responses += stats.responses;
            tally.add(stats);
        }
        if requests < FLOOD_REQUESTS
            || u128::from(responses) * 100
                >= u128::from(requests) * u128::from(FLOOD_ANSWERED_PERCENT)
        {
            continue;
        }
        let (Some(first), Some(last)) = (tally.first, tally.last) else {
            continue;
        };
        let span_ns = last.0.saturating_sub(first.0).max(1_000_000_000);
        if u128::from(requests) * 1_000_000_000 < u128::from(FLOOD_RATE) * u128::from(span_ns) {
            continue;
        }
        let rate = requests as f64 / (span_ns as f64 / 1e9);
        let port = e.server_ports.iter().next().copied();
        let transport = zonewarden_policy::protocols::transport_of(p).map(transport_name);
        ctx.raise(
            REQUEST_FLOOD,
            Some(&e.key.server),
            Some(&e.key.client),
            Some(p.as_str()),
            None,
            requests,
            (Some(first), Some(last)),
            tally.at,
            format!(
                "{} sent {requests} {} request(s) to {} at {rate:.0}/s; {responses} answered",
                e.key.client,
                p.as_str(),
                e.key.server
            ),
            block_rule(&e.key.client, &e.key.server, transport, port),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flow picked up mid-stream between ports 5413 and 1078 whose ends the port heuristic
    /// swapped must match the conversation the baseline learned from its handshake.
    #[test]
    fn mid_stream_conversation_with_swapped_ends_is_known_reversed() {
        let mut baseline = Baseline::default();
        baseline
            .conversations
            .insert("tcp 141.81.0.184 -> 141.81.0.10:5413".to_string());
        baseline
            .conversations
            .insert("tcp 141.81.0.18 -> 141.81.0.11:80".to_string());
        let c = |client: &str, server: &str, port: u16| Conversation {
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            transport: 6,
            port,
            protocol: None,
            operations: Vec::new(),
            flows: 1,
            packets: 2,
            bytes: 120,
            first_ts: Timestamp(0),
            last_ts: Timestamp(1),
            client_packets: 1,
            server_packets: 1,
            direction_guessed: true,
        };
        assert!(knows_reversed(
            &baseline,
            &c("141.81.0.10", "141.81.0.184", 1078)
        ));
        // Another client address that merely shares a prefix is not the same conversation.
        assert!(!knows_reversed(
            &baseline,
            &c("141.81.0.1", "141.81.0.18", 1078)
        ));
        assert!(!knows_reversed(
            &baseline,
            &c("141.81.0.11", "141.81.0.184", 1078)
        ));
    }

    fn rule_of(p: Protocol, name: &str, class: OpClass) -> Option<&'static str> {
        operation_rule(p, name, class).map(|r| r.id)
    }

    #[test]
    fn operations_map_to_their_rules() {
        use OpClass::*;
        assert_eq!(
            rule_of(Protocol::S7comm, "PLC Stop", Control),
            Some("ZWD-101")
        );
        assert_eq!(
            rule_of(Protocol::Enip, "Stop (Controller (0x8E))", Control),
            Some("ZWD-101")
        );
        assert_eq!(
            rule_of(Protocol::Dnp3, "COLD_RESTART", Control),
            Some("ZWD-103")
        );
        assert_eq!(
            rule_of(Protocol::Dnp3, "WARM_RESTART", Control),
            Some("ZWD-103")
        );
        assert_eq!(
            rule_of(Protocol::Dnp3, "DISABLE_UNSOLICITED", Control),
            Some("ZWD-105")
        );
        assert_eq!(
            rule_of(Protocol::Dnp3, "ENABLE_UNSOLICITED", Control),
            Some("ZWD-107")
        );
        assert_eq!(
            rule_of(Protocol::Modbus, "Force Listen Only Mode", Control),
            Some("ZWD-104")
        );
        assert_eq!(
            rule_of(Protocol::Modbus, "Restart Communications Option", Control),
            Some("ZWD-104")
        );
        assert_eq!(
            rule_of(Protocol::ProfinetDcp, "DCP Set IP", Control),
            Some("ZWD-106")
        );
        assert_eq!(
            rule_of(Protocol::ProfinetDcp, "DCP Set Control Signal", Control),
            Some("ZWD-107")
        );
        assert_eq!(
            rule_of(
                Protocol::Enip,
                "Non-Volatile Storage Service (firmware)",
                Program
            ),
            Some("ZWD-113")
        );
        assert_eq!(
            rule_of(Protocol::S7comm, "Start Upload", Program),
            Some("ZWD-112")
        );
        assert_eq!(
            rule_of(Protocol::S7comm, "Request Download", Program),
            Some("ZWD-111")
        );
        assert_eq!(
            rule_of(Protocol::Mms, "deleteProgramInvocation", Program),
            Some("ZWD-114")
        );
        assert_eq!(
            rule_of(Protocol::Dnp3, "DELETE_FILE", Program),
            Some("ZWD-114")
        );
        assert_eq!(rule_of(Protocol::Mms, "kill", Control), Some("ZWD-101"));
        assert_eq!(rule_of(Protocol::Mms, "stop", Control), Some("ZWD-101"));
        assert_eq!(
            rule_of(
                Protocol::Enip,
                "Set_Attribute_List (Wall Clock Time)",
                Write
            ),
            Some("ZWD-108")
        );
        assert_eq!(
            rule_of(Protocol::Modbus, "Write Single Register", Write),
            None
        );
        assert_eq!(rule_of(Protocol::Modbus, "Read Coils", Read), None);
    }

    #[test]
    fn only_request_response_operations_can_flood() {
        let op = |protocol, code, name| Operation {
            protocol,
            code,
            subcode: None,
            name,
            class: OpClass::Read,
        };
        assert!(expects_answer(
            Protocol::Modbus,
            &op(Protocol::Modbus, 3, "Read Holding Registers")
        ));
        assert!(expects_answer(
            Protocol::Bacnet,
            &op(Protocol::Bacnet, 12, "readProperty")
        ));
        assert!(!expects_answer(
            Protocol::Bacnet,
            &op(Protocol::Bacnet, 0x108, "who-Is")
        ));
        assert!(!expects_answer(
            Protocol::Enip,
            &op(Protocol::Enip, 8192, "Implicit I/O")
        ));
        assert!(!expects_answer(
            Protocol::Goose,
            &op(Protocol::Goose, 1, "GOOSE Publish")
        ));
        assert!(!expects_answer(
            Protocol::Synchrophasor,
            &op(Protocol::Synchrophasor, 0, "Data Frame")
        ));
        assert!(!expects_answer(
            Protocol::Syslog,
            &op(Protocol::Syslog, 0, "log")
        ));
        assert!(is_unicast(&Endpoint::Mac([0, 0xa0, 0xf4, 8, 0x2f, 0x77])));
        assert!(!is_unicast(&Endpoint::Mac([1, 0x0c, 0xcd, 1, 0, 0])));
        assert!(!is_unicast(&Endpoint::Ip("192.168.0.255".parse().unwrap())));
    }

    #[test]
    fn severity_levels() {
        assert_eq!(Severity::of_score(4), Severity::Info);
        assert_eq!(Severity::of_score(5), Severity::Low);
        assert_eq!(Severity::of_score(12), Severity::Medium);
        assert_eq!(Severity::of_score(27), Severity::High);
        assert_eq!(Severity::of_score(40), Severity::Critical);
        // PLC stop (9) on a high-criticality PLC (3) in an SL-T 2 zone: 9 × 3 × 6/4 = 40.
        assert_eq!(PLC_STOP.base * 3 * (4 + 2) / 4, 40);
        // Every rule id is unique and every technique an ATT&CK for ICS id.
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len());
        assert!(RULES
            .iter()
            .all(|r| r.attack.starts_with("T08") && r.attack.len() == 5));
    }
}
