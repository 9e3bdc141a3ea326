//! Cisco IOS: one named extended ACL, `ZONEWARDEN-FORWARD`, meant to be applied inbound
//! (`ip access-group ZONEWARDEN-FORWARD in`) on every interface that faces a zone, so that
//! it sees forwarded traffic in both directions, as the nftables forward chain does. IPv6
//! rules go to `ipv6 access-list ZONEWARDEN-FORWARD-V6` (`ipv6 traffic-filter … in`).
//!
//! IOS ACLs are stateless: each TCP permit has a reverse `established` permit, each UDP
//! permit with ports a reverse permit from the server port, ICMP a reverse `echo-reply`.
//! UDP without ports (and UDP under protocol any) gets no reverse permit: that would open
//! every UDP port towards the clients; a remark says so.

use super::{one_line, wrap, AclRule, Family, RuleSet};
use crate::model::Model;
use crate::protocols::{ICMP, ICMPV6, TCP, UDP};
use ipnet::IpNet;

pub(super) const ACL_V4: &str = "ZONEWARDEN-FORWARD";
pub(super) const ACL_V6: &str = "ZONEWARDEN-FORWARD-V6";
/// IOS cuts a remark at 100 characters.
const REMARK_MAX: usize = 100;

fn remark(out: &mut Vec<String>, text: &str) {
    for line in wrap(text, REMARK_MAX) {
        out.push(format!(" remark {line}"));
    }
}

/// `any`, `host A`, `A W` (IPv4 wildcard mask) or `A/len` (IPv6).
fn endpoint(net: &IpNet) -> String {
    if net.prefix_len() == 0 {
        return "any".to_string();
    }
    if net.prefix_len() == net.max_prefix_len() {
        return format!("host {}", net.addr());
    }
    match net {
        IpNet::V4(n) => format!("{} {}", n.network(), n.hostmask()),
        IpNet::V6(n) => n.to_string(),
    }
}

fn port_spec(&(lo, hi): &(u16, u16)) -> String {
    if lo == hi {
        format!(" eq {lo}")
    } else {
        format!(" range {lo} {hi}")
    }
}

/// Permit entries (forward and return) of one rule in one address family.
fn entries(rule: &AclRule, family: Family, src: &[IpNet], dst: &[IpNet], out: &mut Vec<String>) {
    let ip_word = match family {
        Family::V4 => "ip",
        Family::V6 => "ipv6",
    };
    let ports: Vec<Option<(u16, u16)>> = if rule.ports.is_empty() {
        vec![None]
    } else {
        rule.ports.iter().copied().map(Some).collect()
    };
    let mut no_udp_return = false;
    for s in src {
        for d in dst {
            let (s, d) = (endpoint(s), endpoint(d));
            match rule.transport {
                None => {
                    out.push(format!(" permit {ip_word} {s} {d}"));
                    // Between the same addresses the permit itself covers the replies.
                    if s != d {
                        out.push(format!(" permit tcp {d} {s} established"));
                        out.push(format!(" permit icmp {d} {s} echo-reply"));
                        no_udp_return = true;
                    }
                }
                Some(TCP) => {
                    for p in &ports {
                        let spec = p.as_ref().map(port_spec).unwrap_or_default();
                        out.push(format!(" permit tcp {s} {d}{spec}"));
                        out.push(format!(" permit tcp {d}{spec} {s} established"));
                    }
                }
                Some(UDP) => {
                    for p in &ports {
                        match p {
                            Some(p) => {
                                let spec = port_spec(p);
                                out.push(format!(" permit udp {s} {d}{spec}"));
                                out.push(format!(" permit udp {d}{spec} {s}"));
                            }
                            None => {
                                out.push(format!(" permit udp {s} {d}"));
                                no_udp_return = true;
                            }
                        }
                    }
                }
                Some(ICMP | ICMPV6) => {
                    out.push(format!(" permit icmp {s} {d}"));
                    out.push(format!(" permit icmp {d} {s} echo-reply"));
                }
                Some(n) => out.push(format!(" permit {n} {s} {d}")),
            }
        }
    }
    if no_udp_return {
        remark(
            out,
            "UDP replies are not permitted back (stateless ACL): use reflexive ACLs or the zone-based firewall to allow them",
        );
    }
}

pub(super) fn render(set: &RuleSet, model: &Model) -> String {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for out in [&mut v4, &mut v6] {
        remark(
            out,
            &format!(
                "zonewarden: default-deny forwarding between the zones of {}{}",
                one_line(&model.path),
                model
                    .plant
                    .as_deref()
                    .map(|p| format!(" ({})", one_line(p)))
                    .unwrap_or_default()
            ),
        );
        remark(
            out,
            "generated from the zones model: apply inbound on every zone-facing interface; remove an older version first (no ... access-list)",
        );
    }
    for note in &set.notes {
        remark(&mut v4, &format!("note: {note}"));
    }
    for rule in &set.rules {
        let pairs = rule.pairs();
        let has_v6 = pairs.iter().any(|(f, _, _)| *f == Family::V6);
        let has_v4 = pairs.iter().any(|(f, _, _)| *f == Family::V4);
        let mut sections = vec![&mut v4];
        if has_v6 && !has_v4 {
            sections = vec![&mut v6];
        } else if has_v6 {
            sections.push(&mut v6);
        }
        for out in sections {
            remark(out, &rule.heading());
            if let Some(dpi) = &rule.needs_dpi {
                remark(out, &format!("not enforced here: {dpi}"));
            }
            if let Some(why) = rule.why_inactive() {
                remark(out, &why);
            }
        }
        if rule.transport.is_none() && !rule.ports.is_empty() {
            remark(&mut v4, "no rule: ports without a transport");
            continue;
        }
        for (family, src, dst) in pairs {
            match family {
                Family::V4 => entries(rule, family, &src, &dst, &mut v4),
                Family::V6 => entries(rule, family, &src, &dst, &mut v6),
            }
        }
    }
    let mut text = format!("ip access-list extended {ACL_V4}\n");
    for line in &v4 {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(" deny ip any any log\n");
    if v6.iter().any(|l| l.starts_with(" permit")) {
        text.push_str(&format!("ipv6 access-list {ACL_V6}\n"));
        for line in &v6 {
            text.push_str(line);
            text.push('\n');
        }
        // An explicit deny would also drop neighbour discovery, which IOS otherwise allows
        // implicitly before its own final deny.
        text.push_str(" permit icmp any any nd-na\n");
        text.push_str(" permit icmp any any nd-ns\n");
        text.push_str(" deny ipv6 any any log\n");
    }
    text
}
