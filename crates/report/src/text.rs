//! The report for people: what a plant engineer reads first after a scan.

use crate::names::{l2_name, port_name};
use std::collections::BTreeMap;
use std::io::{self, Write};
use zonewarden_dissect::{CommunicationMap, Edge, OpClass};
use zonewarden_engine::ScanReport;
use zonewarden_flow::endpoint;
use zonewarden_inventory::Inventory;
use zonewarden_model::format_mac;
use zonewarden_wire::ipproto;

/// Groups thousands so that packet counts are readable at a glance.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in binary units.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match (unit, UNITS.get(unit)) {
        (0, _) => format!("{n} B"),
        (_, Some(u)) => format!("{value:.1} {u}"),
        _ => format!("{n} B"),
    }
}

pub fn write_text(
    report: &ScanReport,
    map: &CommunicationMap,
    inventory: &Inventory,
    out: &mut dyn Write,
    top: usize,
) -> io::Result<()> {
    let c = &report.counters;
    let span = match (c.first_ts, c.last_ts) {
        (Some(f), Some(l)) => format!(
            "{} → {} ({:.3} s)",
            f.to_string()
                .get(..19)
                .unwrap_or_default()
                .replace('T', " "),
            l.to_string()
                .get(..19)
                .unwrap_or_default()
                .replace('T', " "),
            l.saturating_sub(f) as f64 / 1e9
        ),
        _ => "no packets".to_string(),
    };
    writeln!(
        out,
        "{} packets, {} on the wire, {}",
        thousands(c.packets),
        human_bytes(c.bytes),
        span
    )?;
    writeln!(out)?;
    write_assets(inventory, out)?;

    writeln!(out, "Inputs")?;
    for input in &report.inputs {
        let format = if input.opened {
            input.format
        } else {
            "unreadable"
        };
        let compression = input
            .compression
            .map(|c| format!("+{c}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {format}{compression}  [{}]  {} packets  {}{}",
            input.path,
            input.link_types.join(","),
            thousands(input.packets),
            human_bytes(input.bytes),
            if input.errors > 0 {
                format!("  {} errors", input.errors)
            } else {
                String::new()
            }
        )?;
    }
    if !report.skipped_non_captures.is_empty() {
        writeln!(
            out,
            "  ({} non-capture files in the directories were passed over)",
            report.skipped_non_captures.len()
        )?;
    }
    writeln!(out)?;

    writeln!(out, "Traffic")?;
    writeln!(
        out,
        "  IPv4 {}  IPv6 {}  ARP {}  other L2 {}",
        thousands(c.ipv4),
        thousands(c.ipv6),
        thousands(c.arp),
        thousands(c.other_l2)
    )?;
    writeln!(
        out,
        "  TCP {} packets in {} flows  UDP {} packets in {} flows  ICMP {}  other IP {}",
        thousands(c.tcp_packets),
        thousands(c.flows_tcp),
        thousands(c.udp_packets),
        thousands(c.flows_udp),
        thousands(c.icmp_packets),
        thousands(c.other_ip_packets)
    )?;
    writeln!(
        out,
        "  TCP reassembled {}  gaps {} ({})  IP fragments {} → {} datagrams",
        human_bytes(c.reassembled_bytes),
        thousands(c.tcp_gaps),
        human_bytes(c.tcp_gap_bytes),
        thousands(c.fragments),
        thousands(c.datagrams_reassembled)
    )?;
    writeln!(out)?;

    // Flows by transport and server port.
    let mut by_service: BTreeMap<(u8, u16), (u64, u64, u64)> = BTreeMap::new();
    for flow in &report.flows {
        let entry = by_service.entry((flow.proto(), flow.server.1)).or_default();
        entry.0 += 1;
        entry.1 += flow.total_packets();
        entry.2 += flow.total_bytes();
    }
    let mut services: Vec<_> = by_service.into_iter().collect();
    services.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then(a.0.cmp(&b.0)));
    writeln!(
        out,
        "Flows by transport and server port (top {top} by bytes)"
    )?;
    writeln!(
        out,
        "  {:<28} {:>8} {:>12} {:>12}",
        "service", "flows", "packets", "bytes"
    )?;
    for ((proto, port), (flows, packets, bytes)) in services.iter().take(top) {
        let transport = if *proto == ipproto::TCP { "tcp" } else { "udp" };
        let name = port_name(*proto, *port)
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<28} {:>8} {:>12} {:>12}",
            format!("{transport}/{port}{name}"),
            thousands(*flows),
            thousands(*packets),
            human_bytes(*bytes)
        )?;
    }
    writeln!(out)?;

    let mut talkers: Vec<_> = report.hosts.iter().filter(|h| h.ip.is_some()).collect();
    talkers.sort_by(|a, b| b.total_bytes().cmp(&a.total_bytes()).then(a.ip.cmp(&b.ip)));
    writeln!(out, "Top talkers (top {top} by bytes)")?;
    writeln!(
        out,
        "  {:<40} {:<18} {:>12} {:>12}",
        "address", "mac", "sent", "received"
    )?;
    for host in talkers.iter().take(top) {
        let mac = match host.macs.len() {
            0 => "-".to_string(),
            1 => host
                .macs
                .iter()
                .next()
                .map(|m| format_mac(*m))
                .unwrap_or_default(),
            n => format!("{n} MACs"),
        };
        writeln!(
            out,
            "  {:<40} {:<18} {:>12} {:>12}",
            host.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            mac,
            human_bytes(host.bytes_sent),
            human_bytes(host.bytes_received)
        )?;
    }
    writeln!(out)?;

    write_map(map, out, top)?;

    let with_ip = report.hosts.iter().filter(|h| h.ip.is_some()).count();
    writeln!(
        out,
        "Hosts seen: {} ({} with an IP address, {} only at layer 2)",
        report.hosts.len(),
        with_ip,
        report.hosts.len() - with_ip
    )?;
    for host in report.hosts.iter().filter(|h| h.ip.is_none()).take(top) {
        let macs: Vec<String> = host.macs.iter().map(|m| format_mac(*m)).collect();
        writeln!(out, "  {}  (layer 2 only)", macs.join(", "))?;
    }
    writeln!(out)?;

    let mut l2: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    for conv in &report.l2_conversations {
        let e = l2.entry(l2_name(conv.key.l2_type)).or_default();
        e.0 += 1;
        e.1 += conv.packets;
    }
    writeln!(
        out,
        "L2 conversations (frames without IP): {}",
        report.l2_conversations.len()
    )?;
    for (name, (convs, packets)) in &l2 {
        writeln!(
            out,
            "  {name:<16} {} conversations, {} packets",
            thousands(*convs),
            thousands(*packets)
        )?;
    }
    writeln!(out)?;

    writeln!(
        out,
        "Decode anomalies: {}",
        thousands(report.anomalies_total)
    )?;
    for (kind, count) in &report.anomalies_by_kind {
        writeln!(out, "  {:<18} {}", kind.as_str(), thousands(*count))?;
    }
    for anomaly in report.anomalies.iter().take(top) {
        writeln!(out, "  {anomaly}")?;
    }
    if report.anomalies.len() > top {
        writeln!(
            out,
            "  … {} more listed in --format json",
            report.anomalies.len() - top
        )?;
    }
    let longest = report
        .flows
        .iter()
        .max_by_key(|f| (f.total_bytes(), std::cmp::Reverse(f.first_ts)));
    if let Some(flow) = longest {
        writeln!(out)?;
        writeln!(
            out,
            "Largest flow: {} {} → {}, {} packets, {}",
            if flow.proto() == ipproto::TCP {
                "tcp"
            } else {
                "udp"
            },
            endpoint(flow.client),
            endpoint(flow.server),
            thousands(flow.total_packets()),
            human_bytes(flow.total_bytes())
        )?;
    }
    Ok(())
}

/// The communication map: the busiest edges, each with its operation classes and operations.
fn write_map(map: &CommunicationMap, out: &mut dyn Write, top: usize) -> io::Result<()> {
    let mut edges: Vec<&Edge> = map.edges().collect();
    let ops_of = |e: &Edge| e.operations.values().map(|s| s.count).sum::<u64>();
    // Edges that change things first (program, control, write), then by operations.
    let weight = |e: &Edge| {
        e.operations
            .iter()
            .filter(|(_, s)| s.count > 0)
            .map(|(o, _)| match o.class {
                OpClass::Program => 3,
                OpClass::Control => 2,
                OpClass::Write => 1,
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    };
    edges.sort_by(|a, b| {
        weight(b)
            .cmp(&weight(a))
            .then(ops_of(b).cmp(&ops_of(a)))
            .then(a.key.cmp(&b.key))
    });
    writeln!(
        out,
        "Communication map: {} edges (who does what to whom; top {top}, changes first)",
        edges.len()
    )?;
    for edge in edges.iter().take(top) {
        let mut by_class: BTreeMap<OpClass, u64> = BTreeMap::new();
        for (op, stats) in &edge.operations {
            *by_class.entry(op.class).or_default() += stats.count;
        }
        let classes: Vec<String> = by_class
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| format!("{} {}", c.as_str(), thousands(*n)))
            .collect();
        writeln!(
            out,
            "  {} → {}  {}  {} packets  {}",
            edge.key.client,
            edge.key.server,
            edge.key.protocol.as_str(),
            thousands(edge.packets),
            classes.join(", ")
        )?;
        let mut ops: Vec<_> = edge
            .operations
            .iter()
            .filter(|(_, s)| s.count > 0)
            .collect();
        ops.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let names: Vec<String> = ops
            .iter()
            .take(4)
            .map(|(o, s)| format!("{} ×{}", o.name, thousands(s.count)))
            .collect();
        if !names.is_empty() {
            writeln!(out, "      {}", names.join(", "))?;
        }
    }
    let identities: Vec<_> = map.identities().collect();
    if !identities.is_empty() {
        writeln!(out, "  Devices that identified themselves:")?;
        let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for fact in identities {
            by_ip
                .entry(format!("{} ({})", fact.device, fact.protocol.as_str()))
                .or_default()
                .push(format!("{}={}", fact.field, fact.value));
        }
        for (who, facts) in by_ip.iter().take(top) {
            writeln!(out, "    {who}: {}", facts.join(", "))?;
        }
    }
    writeln!(out)
}

/// Asset rows shown in the text report; the CSV and JSON outputs carry all of them.
const ASSET_ROWS: usize = 200;

/// The inventory table: what an OT engineer checks first.
fn write_assets(inventory: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    let roles = inventory.roles();
    let summary: Vec<String> = roles
        .iter()
        .map(|(role, n)| format!("{n} {}", role.as_str()))
        .collect();
    writeln!(
        out,
        "Assets ({}: {})",
        inventory.assets.len(),
        summary.join(", ")
    )?;
    if inventory.assets.is_empty() {
        return writeln!(out);
    }
    let cut = |s: Option<&str>, n: usize| -> String {
        let s = s.unwrap_or("-");
        if s.chars().count() > n {
            let kept: String = s.chars().take(n.saturating_sub(1)).collect();
            format!("{kept}…")
        } else {
            s.to_string()
        }
    };
    writeln!(
        out,
        "  {:<39} {:<17} {:<24} {:<24} {:<12} {:<23} level",
        "address", "mac", "vendor", "model", "firmware", "role"
    )?;
    for asset in inventory.assets.iter().take(ASSET_ROWS) {
        let address = match (asset.ip, asset.ips.len()) {
            (Some(ip), n) if n > 1 => format!("{ip} (+{})", n - 1),
            (Some(ip), _) => ip.to_string(),
            (None, _) => "(layer 2 only)".to_string(),
        };
        writeln!(
            out,
            "  {:<39} {:<17} {:<24} {:<24} {:<12} {:<23} {}",
            address,
            asset.mac.as_deref().unwrap_or("-"),
            cut(asset.vendor.as_deref(), 24),
            cut(asset.model.as_deref(), 24),
            cut(asset.firmware.as_deref(), 12),
            asset.role.as_str(),
            asset
                .purdue_level
                .map_or_else(|| "-".to_string(), |l| l.to_string()),
        )?;
    }
    if inventory.assets.len() > ASSET_ROWS {
        writeln!(
            out,
            "  … {} more (--format csv or json lists every asset)",
            inventory.assets.len() - ASSET_ROWS
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
