//! Selectors: how a zones file names devices and networks (`10.10.1.0/24`, `role:hmi`,
//! `host:plc-*`, `asset:PLC-1`, `mac:00:1b:1b:…`, `tag:safety`, `zone:cell-1`, `any`).

use ipnet::IpNet;
use std::net::IpAddr;
use zonewarden_inventory::Role;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selector {
    Any,
    Zone(String),
    Net(IpNet),
    Mac([u8; 6]),
    /// A name declared in an `[[asset]]` table, or an inventory id (`mac:…`, `ip:…`).
    Asset(String),
    /// A hostname pattern: `*` any run of characters, `?` one; case-insensitive.
    Hostname(String),
    Role(Role),
    Tag(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(pub String);

/// `aa:bb:cc:dd:ee:ff` or `aa-bb-…` → the six bytes.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = text.split([':', '-']);
    for slot in out.iter_mut() {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *slot = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let text = text.trim();
        let err = |m: String| Err(SelectorError(m));
        if text == "any" || text == "*" {
            return Ok(Selector::Any);
        }
        if let Some((kind, value)) = text.split_once(':') {
            let value = value.trim();
            let named = |v: &str| -> Result<String, SelectorError> {
                if v.is_empty() {
                    Err(SelectorError(format!("{kind}: needs a value")))
                } else {
                    Ok(v.to_string())
                }
            };
            match kind {
                "zone" => return named(value).map(Selector::Zone),
                "asset" => return named(value).map(Selector::Asset),
                "host" | "hostname" => {
                    return named(value).map(|v| Selector::Hostname(v.to_ascii_lowercase()))
                }
                "tag" => return named(value).map(|v| Selector::Tag(v.to_ascii_lowercase())),
                "role" => {
                    return match Role::from_name(value) {
                        Some(r) => Ok(Selector::Role(r)),
                        None => err(format!(
                            "unknown role {value:?}: use one of {}",
                            zonewarden_inventory::ALL_ROLES.map(Role::as_str).join(", ")
                        )),
                    }
                }
                "mac" => {
                    return match parse_mac(value) {
                        Some(m) => Ok(Selector::Mac(m)),
                        None => err(format!(
                            "{value:?} is not a MAC address (aa:bb:cc:dd:ee:ff)"
                        )),
                    }
                }
                _ => {}
            }
        }
        if let Ok(net) = text.parse::<IpNet>() {
            if net.trunc() != net {
                return err(format!(
                    "{text} has host bits set: did you mean {}?",
                    net.trunc()
                ));
            }
            return Ok(Selector::Net(net));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Selector::Net(IpNet::from(ip)));
        }
        if let Some(mac) = parse_mac(text) {
            return Ok(Selector::Mac(mac));
        }
        err(format!(
            "{text:?} is not a selector: use an address or CIDR, mac:…, asset:NAME, host:PATTERN, role:ROLE, tag:TAG, zone:ID or any"
        ))
    }

    /// Matches a single address (no inventory needed).
    pub fn matches_ip(&self, ip: IpAddr) -> bool {
        match self {
            Selector::Any => true,
            Selector::Net(net) => net.contains(&ip),
            _ => false,
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Any => f.write_str("any"),
            Selector::Zone(z) => write!(f, "zone:{z}"),
            Selector::Net(net) if net.prefix_len() == net.max_prefix_len() => {
                write!(f, "{}", net.addr())
            }
            Selector::Net(net) => write!(f, "{net}"),
            Selector::Mac(m) => write!(f, "mac:{}", zonewarden_model::format_mac(*m)),
            Selector::Asset(a) => write!(f, "asset:{a}"),
            Selector::Hostname(h) => write!(f, "host:{h}"),
            Selector::Role(r) => write!(f, "role:{}", r.as_str()),
            Selector::Tag(t) => write!(f, "tag:{t}"),
        }
    }
}

/// `*` and `?` wildcards, ASCII case-insensitive; the pattern is already lower case.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t: Vec<u8> = text.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(b'*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(&pc), Some(&tc)) if pc == b'?' || pc == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&b| b == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print_back() {
        for text in [
            "10.10.1.0/24",
            "10.10.1.5",
            "fd00::/64",
            "mac:00:1b:1b:01:02:03",
            "asset:PLC-1",
            "host:plc-*",
            "role:hmi",
            "tag:safety",
            "zone:cell-1",
            "any",
        ] {
            let s = Selector::parse(text).unwrap();
            assert_eq!(s.to_string(), text);
        }
    }

    #[test]
    fn a_cidr_with_host_bits_is_refused_with_the_network_it_probably_meant() {
        let e = Selector::parse("10.10.1.7/24").unwrap_err();
        assert!(e.0.contains("10.10.1.0/24"), "{}", e.0);
        assert!(Selector::parse("role:pilot").is_err());
        assert!(Selector::parse("mac:00:11").is_err());
        assert!(Selector::parse("plc one").is_err());
    }

    #[test]
    fn hostname_globs() {
        assert!(glob_match("plc-*", "PLC-01"));
        assert!(glob_match("*.plant.local", "hmi1.plant.local"));
        assert!(glob_match("hmi?", "hmi2"));
        assert!(!glob_match("hmi?", "hmi22"));
        assert!(!glob_match("plc-*", "ews-1"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }
}
