//! nftables: one `inet` table with a forward chain that drops by default, and reading that
//! output back for the simulation.

use super::{net_text, one_line, ports_match, transport_matches, wrap, AclRule, Family, RuleSet};
use crate::model::Model;
use crate::protocols::{ICMP, ICMPV6, TCP, UDP};
use ipnet::IpNet;
use std::net::IpAddr;

pub(super) const TABLE: &str = "table inet zonewarden";
const CHAIN: &str = "chain forward {";
const HOOK: &str = "type filter hook forward priority filter; policy drop;";
const STATE: &str = "ct state established,related accept";
const INVALID: &str = "ct state invalid drop";

fn push(out: &mut String, indent: usize, text: &str) {
    for _ in 0..indent {
        out.push('\t');
    }
    out.push_str(text);
    out.push('\n');
}

fn set_text(items: &[String]) -> String {
    format!("{{ {} }}", items.join(", "))
}

fn transport_clause(family: Family, transport: Option<u8>, ports: &[(u16, u16)]) -> Option<String> {
    let port_set = || {
        set_text(
            &ports
                .iter()
                .map(|&(lo, hi)| {
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}-{hi}")
                    }
                })
                .collect::<Vec<_>>(),
        )
    };
    Some(match (transport, ports.is_empty()) {
        (None, true) => String::new(),
        // Ports without a transport cannot be written; the caller leaves the rule out.
        (None, false) => return None,
        (Some(TCP), false) => format!("tcp dport {} ", port_set()),
        (Some(UDP), false) => format!("udp dport {} ", port_set()),
        (Some(TCP), true) => "meta l4proto tcp ".to_string(),
        (Some(UDP), true) => "meta l4proto udp ".to_string(),
        (Some(ICMP | ICMPV6), _) => match family {
            Family::V4 => "meta l4proto icmp ".to_string(),
            Family::V6 => "meta l4proto ipv6-icmp ".to_string(),
        },
        (Some(n), true) => format!("meta l4proto {n} "),
        (Some(n), false) => format!("meta l4proto {n} th dport {} ", port_set()),
    })
}

/// The accept rules of one [`AclRule`], one line per address family.
pub(super) fn rule_lines(rule: &AclRule) -> Vec<String> {
    let mut lines = Vec::new();
    for (family, src, dst) in rule.pairs() {
        let Some(transport) = transport_clause(family, rule.transport, &rule.ports) else {
            continue;
        };
        let word = match family {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        };
        let src: Vec<String> = src.iter().map(net_text).collect();
        let dst: Vec<String> = dst.iter().map(net_text).collect();
        lines.push(format!(
            "{word} saddr {} {word} daddr {} {transport}ct state new counter accept",
            set_text(&src),
            set_text(&dst)
        ));
    }
    lines
}

pub(super) fn render(set: &RuleSet, model: &Model) -> String {
    let mut out = String::new();
    push(&mut out, 0, "#!/usr/sbin/nft -f");
    push(
        &mut out,
        0,
        &format!(
            "# zonewarden: default-deny forwarding between the zones of {}{}",
            one_line(&model.path),
            model
                .plant
                .as_deref()
                .map(|p| format!(" ({})", one_line(p)))
                .unwrap_or_default()
        ),
    );
    push(
        &mut out,
        0,
        "# Generated from the zones model: change the model, not this file.",
    );
    for note in &set.notes {
        for (i, line) in wrap(note, 96).iter().enumerate() {
            let lead = if i == 0 { "# note: " } else { "#   " };
            push(&mut out, 0, &format!("{lead}{line}"));
        }
    }
    push(&mut out, 0, "");
    // Declaring the table before deleting it makes the file load whether or not an older
    // version is there, and replaces it in one transaction.
    push(&mut out, 0, TABLE);
    push(&mut out, 0, &format!("delete {TABLE}"));
    push(&mut out, 0, "");
    push(&mut out, 0, &format!("{TABLE} {{"));
    push(&mut out, 1, CHAIN);
    push(&mut out, 2, HOOK);
    push(&mut out, 2, STATE);
    push(&mut out, 2, INVALID);
    for rule in &set.rules {
        push(&mut out, 0, "");
        push(&mut out, 2, &format!("# {}", rule.heading()));
        if let Some(dpi) = &rule.needs_dpi {
            push(
                &mut out,
                2,
                &format!("# not enforced here: {}", one_line(dpi)),
            );
        }
        let lines = rule_lines(rule);
        if lines.is_empty() {
            let why = rule
                .why_inactive()
                .unwrap_or_else(|| "no rule: ports without a transport".to_string());
            push(&mut out, 2, &format!("# {why}"));
        }
        for line in lines {
            push(&mut out, 2, &line);
        }
    }
    push(&mut out, 0, "");
    push(
        &mut out,
        2,
        "# everything else is dropped by the chain policy",
    );
    push(&mut out, 2, "counter");
    push(&mut out, 1, "}");
    push(&mut out, 0, "}");
    out
}

/// One accept rule read back from nftables text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRule {
    /// From the heading comment: the conduit id, or `zone:<id>`.
    pub conduit: String,
    pub model_line: usize,
    /// 0-based, as in [`AclRule::rule_index`].
    pub rule_index: usize,
    /// 1-based line in the nftables text.
    pub text_line: usize,
    pub family: Family,
    pub sources: Vec<IpNet>,
    pub destinations: Vec<IpNet>,
    /// IP protocol number (ICMPv6 is 58); `None` any.
    pub transport: Option<u8>,
    pub ports: Vec<(u16, u16)>,
}

/// `conduit ID rule N (model line L): …` or `zone ID rule …` after the `#`.
fn heading(text: &str) -> Option<(String, usize, usize)> {
    let mut words = text.split_whitespace();
    let kind = words.next()?;
    let id = words.next()?;
    let conduit = match kind {
        "conduit" => id.to_string(),
        "zone" => format!("zone:{id}"),
        _ => return None,
    };
    if words.next()? != "rule" {
        return None;
    }
    let index = words.next()?.parse::<usize>().ok()?.checked_sub(1)?;
    if words.next()? != "(model" || words.next()? != "line" {
        return None;
    }
    let line = words.next()?;
    let line = line.strip_suffix("):").or_else(|| line.strip_suffix(')'))?;
    Some((conduit, line.parse().ok()?, index))
}

/// Reads the nftables text [`render`](super::render) writes (and only that subset): the
/// table, the forward chain with policy drop and the state rule, and accept rules made of
/// `ip`/`ip6` `saddr`/`daddr` sets, `meta l4proto`, `tcp`/`udp`/`th dport` sets and ranges,
/// `ct state new`, `counter`, `accept`, each under a heading comment naming its conduit.
pub fn parse_nftables(text: &str) -> Result<Vec<ParsedRule>, String> {
    let mut rules = Vec::new();
    let mut current: Option<(String, usize, usize)> = None;
    let (mut saw_chain, mut saw_policy, mut saw_state) = (false, false, false);
    let mut depth = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let line = raw.trim();
        let fail = |why: &str| format!("line {number}: {why}: {line}");
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(h) = heading(comment) {
                current = Some(h);
            }
            continue;
        }
        match line {
            _ if line == TABLE || line == format!("delete {TABLE}") => {
                if depth != 0 {
                    return Err(fail("table statement inside a block"));
                }
            }
            _ if line == format!("{TABLE} {{") => {
                if depth != 0 {
                    return Err(fail("nested table"));
                }
                depth = 1;
            }
            CHAIN => {
                if depth != 1 || saw_chain {
                    return Err(fail("the forward chain belongs once in the table"));
                }
                saw_chain = true;
                depth = 2;
            }
            HOOK => saw_policy = depth == 2,
            STATE => saw_state = depth == 2,
            INVALID | "counter" if depth == 2 => {}
            "}" => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| fail("unbalanced brace"))?;
            }
            _ => {
                if depth != 2 {
                    return Err(fail("a rule outside the forward chain"));
                }
                let Some((conduit, model_line, rule_index)) = current.clone() else {
                    return Err(fail("a rule without a heading comment naming its conduit"));
                };
                let r = rule(line).map_err(|e| fail(&e))?;
                rules.push(ParsedRule {
                    conduit,
                    model_line,
                    rule_index,
                    text_line: number,
                    family: r.family,
                    sources: r.sources,
                    destinations: r.destinations,
                    transport: r.transport,
                    ports: r.ports,
                });
            }
        }
    }
    if depth != 0 {
        return Err("unbalanced braces: the table is not closed".to_string());
    }
    if !saw_chain || !saw_policy {
        return Err(format!("no forward chain with \"{HOOK}\""));
    }
    if !saw_state {
        return Err(format!("no \"{STATE}\": replies would be dropped"));
    }
    Ok(rules)
}

struct RuleParts {
    family: Family,
    sources: Vec<IpNet>,
    destinations: Vec<IpNet>,
    transport: Option<u8>,
    ports: Vec<(u16, u16)>,
}

/// `{ a, b }` or a single value.
fn values<'a>(
    tokens: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
) -> Result<Vec<&'a str>, String> {
    let first = tokens.next().ok_or("a value is missing")?;
    if first != "{" {
        return Ok(vec![first]);
    }
    let mut out = Vec::new();
    loop {
        let item = tokens.next().ok_or("an unclosed set")?;
        if item == "}" || item == "," {
            return Err(format!("an empty element before {item:?}"));
        }
        out.push(item);
        match tokens.next() {
            Some(",") => continue,
            Some("}") => return Ok(out),
            other => return Err(format!("expected , or }} in a set, found {other:?}")),
        }
    }
}

fn address(text: &str, family: Family) -> Result<IpNet, String> {
    let net = text
        .parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an address"))?;
    if Family::of(&net) != family {
        return Err(format!("{text} is not of the rule's address family"));
    }
    if net.trunc() != net {
        return Err(format!("{text} has host bits set"));
    }
    Ok(net)
}

fn port_range(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{text:?} is not a port or a range");
    let (lo, hi) = match text.split_once('-') {
        Some((lo, hi)) => (
            lo.parse::<u16>().map_err(|_| bad())?,
            hi.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let p = text.parse::<u16>().map_err(|_| bad())?;
            (p, p)
        }
    };
    if lo > hi {
        return Err(format!("empty range {text}"));
    }
    Ok((lo, hi))
}

fn l4proto(name: &str) -> Result<u8, String> {
    match name {
        "tcp" => Ok(TCP),
        "udp" => Ok(UDP),
        "icmp" => Ok(ICMP),
        "ipv6-icmp" | "icmpv6" => Ok(ICMPV6),
        n => n
            .parse::<u8>()
            .map_err(|_| format!("unknown l4proto {n:?}")),
    }
}

fn rule(line: &str) -> Result<RuleParts, String> {
    let spaced = line
        .replace('{', " { ")
        .replace('}', " } ")
        .replace(',', " , ");
    let mut tokens = spaced.split_whitespace().peekable();
    let mut family: Option<Family> = None;
    let mut sources: Option<Vec<IpNet>> = None;
    let mut destinations: Option<Vec<IpNet>> = None;
    let mut transport: Option<u8> = None;
    let mut ports: Option<Vec<(u16, u16)>> = None;
    let mut new_state = false;
    let mut accepted = false;
    while let Some(word) = tokens.next() {
        if accepted {
            return Err(format!("{word:?} after accept"));
        }
        match word {
            "ip" | "ip6" => {
                let f = if word == "ip" { Family::V4 } else { Family::V6 };
                if family.is_some_and(|x| x != f) {
                    return Err("ip and ip6 in one rule".to_string());
                }
                family = Some(f);
                let which = tokens.next().ok_or("saddr or daddr is missing")?;
                let nets = values(&mut tokens)?
                    .into_iter()
                    .map(|t| address(t, f))
                    .collect::<Result<Vec<_>, _>>()?;
                let slot = match which {
                    "saddr" => &mut sources,
                    "daddr" => &mut destinations,
                    other => return Err(format!("{word} {other}: only saddr and daddr")),
                };
                if slot.replace(nets).is_some() {
                    return Err(format!("{word} {which} twice"));
                }
            }
            "meta" => {
                if tokens.next() != Some("l4proto") {
                    return Err("meta: only l4proto".to_string());
                }
                let t = l4proto(tokens.next().ok_or("l4proto needs a protocol")?)?;
                if transport.replace(t).is_some_and(|old| old != t) {
                    return Err("two transports".to_string());
                }
            }
            "tcp" | "udp" | "th" => {
                if tokens.next() != Some("dport") {
                    return Err(format!("{word}: only dport"));
                }
                let t = match word {
                    "tcp" => Some(TCP),
                    "udp" => Some(UDP),
                    _ => None,
                };
                match (t, transport) {
                    (Some(t), Some(old)) if old != t => return Err("two transports".to_string()),
                    (Some(t), _) => transport = Some(t),
                    (None, None) => return Err("th dport needs meta l4proto first".to_string()),
                    (None, Some(_)) => {}
                }
                let list = values(&mut tokens)?
                    .into_iter()
                    .map(port_range)
                    .collect::<Result<Vec<_>, _>>()?;
                if ports.replace(list).is_some() {
                    return Err("dport twice".to_string());
                }
            }
            "ct" => {
                if tokens.next() != Some("state") || tokens.next() != Some("new") {
                    return Err("ct: only state new".to_string());
                }
                new_state = true;
            }
            "counter" => {}
            "accept" => accepted = true,
            other => return Err(format!("{other:?} is not part of what zonewarden writes")),
        }
    }
    let (Some(family), Some(sources), Some(destinations)) = (family, sources, destinations) else {
        return Err("a rule needs saddr and daddr".to_string());
    };
    if !accepted {
        return Err("a rule must end in accept".to_string());
    }
    if !new_state {
        return Err("a rule must match ct state new".to_string());
    }
    if matches!(transport, Some(ICMP)) && family == Family::V6
        || matches!(transport, Some(ICMPV6)) && family == Family::V4
    {
        return Err("ICMP of the other address family".to_string());
    }
    Ok(RuleParts {
        family,
        sources,
        destinations,
        transport,
        ports: ports.unwrap_or_default(),
    })
}

/// Index of the first rule that accepts a new connection from `client` to `server:port`
/// over IP protocol `transport`; `None`: the policy drops it. Replies of an accepted
/// connection are accepted by state and need no rule.
pub fn allows(
    rules: &[ParsedRule],
    client: IpAddr,
    server: IpAddr,
    transport: u8,
    port: u16,
) -> Option<usize> {
    rules.iter().position(|r| {
        Family::of_ip(client) == r.family
            && r.sources.iter().any(|n| n.contains(&client))
            && r.destinations.iter().any(|n| n.contains(&server))
            && match r.transport {
                Some(t) => t == transport,
                None => transport_matches(None, transport),
            }
            && ports_match(&r.ports, port)
    })
}
