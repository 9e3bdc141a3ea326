//! iptables: an `iptables-restore` file for the `filter` table. IPv4 only: IPv6 rules are
//! written as `# needs ip6tables:` comments.

use super::{net_text, one_line, wrap, AclRule, Family, RuleSet};
use crate::model::Model;
use crate::protocols::{ICMP, ICMPV6, TCP, UDP};

/// `--dports` takes at most 15 ports, a range counting as two.
const MULTIPORT_MAX: usize = 15;
/// The kernel keeps 256 bytes of a comment, its terminating NUL included.
const COMMENT_MAX: usize = 240;

fn push(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// A comment that iptables-restore reads as one quoted word, whatever the model holds.
pub(super) fn quoted_comment(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .,:;/()#=+-_@[]<>".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(COMMENT_MAX)
        .collect();
    format!("\"{}\"", clean.trim_end())
}

/// Port groups for `-m multiport --dports`, each within the multiport limit.
fn port_groups(ports: &[(u16, u16)]) -> Vec<Vec<(u16, u16)>> {
    let mut groups: Vec<Vec<(u16, u16)>> = Vec::new();
    let mut weight = 0usize;
    for &(lo, hi) in ports {
        let w = if lo == hi { 1 } else { 2 };
        match groups.last_mut() {
            Some(group) if weight + w <= MULTIPORT_MAX => {
                group.push((lo, hi));
                weight += w;
            }
            _ => {
                groups.push(vec![(lo, hi)]);
                weight = w;
            }
        }
    }
    groups
}

fn port_text(&(lo, hi): &(u16, u16)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}:{hi}")
    }
}

/// The `-p …` and port matches of a rule, one entry per line to write; `None`: the rule
/// cannot be written (ports without a transport).
fn matches(rule: &AclRule) -> Option<Vec<String>> {
    let proto = match rule.transport {
        None if rule.ports.is_empty() => return Some(vec![String::new()]),
        None => return None,
        Some(TCP) => "tcp".to_string(),
        Some(UDP) => "udp".to_string(),
        Some(ICMP | ICMPV6) => "icmp".to_string(),
        Some(n) => n.to_string(),
    };
    if rule.ports.is_empty() {
        return Some(vec![format!(" -p {proto}")]);
    }
    if !matches!(rule.transport, Some(TCP | UDP)) {
        return None;
    }
    Some(
        port_groups(&rule.ports)
            .iter()
            .map(|group| match group.as_slice() {
                [one] => format!(" -p {proto} --dport {}", port_text(one)),
                _ => format!(
                    " -p {proto} -m multiport --dports {}",
                    group.iter().map(port_text).collect::<Vec<_>>().join(",")
                ),
            })
            .collect(),
    )
}

pub(super) fn render(set: &RuleSet, model: &Model) -> String {
    let mut out = String::new();
    push(
        &mut out,
        &format!(
            "# zonewarden: default-deny forwarding between the zones of {}{} (iptables-restore; IPv4)",
            one_line(&model.path),
            model.plant.as_deref().map(|p| format!(" ({})", one_line(p))).unwrap_or_default()
        ),
    );
    push(
        &mut out,
        "# Generated from the zones model: change the model, not this file.",
    );
    for note in &set.notes {
        for (i, line) in wrap(note, 96).iter().enumerate() {
            let lead = if i == 0 { "# note: " } else { "#   " };
            push(&mut out, &format!("{lead}{line}"));
        }
    }
    push(&mut out, "*filter");
    push(&mut out, ":INPUT ACCEPT [0:0]");
    push(&mut out, ":FORWARD DROP [0:0]");
    push(&mut out, ":OUTPUT ACCEPT [0:0]");
    push(
        &mut out,
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    );
    push(
        &mut out,
        "-A FORWARD -m conntrack --ctstate INVALID -j DROP",
    );
    for rule in &set.rules {
        push(&mut out, &format!("# {}", rule.heading()));
        if let Some(dpi) = &rule.needs_dpi {
            push(&mut out, &format!("# not enforced here: {}", one_line(dpi)));
        }
        if let Some(why) = rule.why_inactive() {
            push(&mut out, &format!("# {why}"));
            continue;
        }
        let Some(matches) = matches(rule) else {
            push(&mut out, "# no rule: ports without a transport");
            continue;
        };
        let comment = quoted_comment(&format!(
            "zonewarden {} rule {} model line {}",
            rule.conduit,
            rule.rule_index + 1,
            rule.model_line
        ));
        for (family, src, dst) in rule.pairs() {
            let src: Vec<String> = src.iter().map(net_text).collect();
            let dst: Vec<String> = dst.iter().map(net_text).collect();
            for m in &matches {
                let line = format!(
                    "-A FORWARD -s {} -d {}{m} -m conntrack --ctstate NEW -m comment --comment {comment} -j ACCEPT",
                    src.join(","),
                    dst.join(",")
                );
                match family {
                    Family::V4 => push(&mut out, &line),
                    Family::V6 => push(&mut out, &format!("# needs ip6tables: {line}")),
                }
            }
        }
    }
    push(&mut out, "COMMIT");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiport_groups_stay_within_fifteen_ports() {
        let ports: Vec<(u16, u16)> = (1..=20)
            .map(|p| (p * 10, p * 10))
            .chain([(1000, 1010)])
            .collect();
        let groups = port_groups(&ports);
        assert_eq!(groups.len(), 2);
        for g in &groups {
            let weight: usize = g.iter().map(|(a, b)| if a == b { 1 } else { 2 }).sum();
            assert!(weight <= MULTIPORT_MAX, "{g:?}");
        }
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 21);
    }

    #[test]
    fn comments_are_one_safe_quoted_word() {
        let c = quoted_comment("a \"quoted\" \\ back\nslash; ok → x");
        assert_eq!(c, "\"a _quoted_ _ back_slash; ok _ x\"");
        let long = quoted_comment(&"x".repeat(1000));
        assert!(long.len() <= COMMENT_MAX + 2);
    }
}
