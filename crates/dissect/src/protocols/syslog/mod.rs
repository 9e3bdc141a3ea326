//! Syslog over UDP, for which devices log where, at what severity, and the names they log
//! under.
//!
//! References: RFC 5424 §6.1–6.2 (`<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME …`; PRI is
//! facility × 8 + severity, 1–3 digits, at most 191; `-` is the nil value), RFC 5426 §3.1 (one
//! message per datagram), RFC 3164 §4.1 (the BSD format: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG…`)
//! and §4.3.3 (a message without a valid PRI is treated as PRI 13, user.notice).
//!
//! Ports: UDP 514, a hint. `<PRI>` alone is `Maybe` (other text protocols could start with
//! `<`); followed by RFC 5424's version `1 ` it is `Certain`.
//!
//! Why: a PLC, switch or HMI that logs to a collector is a flow worth seeing, and its
//! HOSTNAME field names it. Fact about the sender: `hostname`, when the field is present, not
//! the nil value, not an IP literal, and looks like a host name (letters, digits, `-`, `.`,
//! `_`; not a BSD tag such as `sshd[42]:` that senders put there when they omit the host).
//!
//! Supported: each datagram as one operation, code = severity (0–7), sub-code = facility,
//! named by severity (`emerg` … `debug`), class `other`, a request (syslog is never
//! answered); RFC 5424 headers, RFC 3164 headers with the BSD timestamp or an RFC 3339 one
//! (as rsyslog forwards). A datagram without a valid PRI is an anomaly counted as PRI 13.
//!
//! Not supported: syslog over TCP (RFC 6587) or TLS (RFC 5425), structured data and message
//! contents.

#[cfg(test)]
mod tests;

use crate::{
    Confidence, Dissector, MessageKind, OpClass, Operation, Output, Protocol, Session, UDP,
};
use std::net::IpAddr;
use zonewarden_model::{Direction, Timestamp};

/// RFC 3164 §4.3.3: the PRI assumed when a message has none (user.notice).
const DEFAULT_PRI: u8 = 13;
/// The highest PRI: facility 23 (local7), severity 7.
const MAX_PRI: u16 = 191;
/// RFC 5424 §6.2.4: HOSTNAME is at most 255 characters.
const MAX_HOSTNAME: usize = 255;

/// The syslog dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Syslog;

impl Dissector for Syslog {
    fn protocol(&self) -> Protocol {
        Protocol::Syslog
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[514]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<SyslogSession>::default()
    }
}

/// The severity names of RFC 5424 table 2, as syslog.conf spells them.
pub fn severity_name(severity: u8) -> &'static str {
    match severity {
        0 => "emerg",
        1 => "alert",
        2 => "crit",
        3 => "err",
        4 => "warning",
        5 => "notice",
        6 => "info",
        _ => "debug",
    }
}

/// `<PRI>` at the start: its value and the bytes after it.
pub(crate) fn pri(data: &[u8]) -> Option<(u8, &[u8])> {
    let rest = data.strip_prefix(b"<")?;
    let digits = rest
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=3).contains(&digits) || rest.get(digits) != Some(&b'>') {
        return None;
    }
    let value = rest
        .get(..digits)?
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    if value > MAX_PRI {
        return None;
    }
    Some((u8::try_from(value).ok()?, rest.get(digits + 1..)?))
}

pub(crate) fn probe(data: &[u8]) -> Confidence {
    match pri(data) {
        Some((_, rest)) if rest.starts_with(b"1 ") => Confidence::Certain,
        Some(_) => Confidence::Maybe,
        None => Confidence::NotMine,
    }
}

/// The next space-separated token and the rest after its space; `None` when no space follows
/// (a header field must be followed by the next one).
fn token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = b.iter().position(|&c| c == b' ')?;
    Some((b.get(..space)?, b.get(space + 1..)?))
}

/// RFC 3164 §4.1.2 `Mmm dd hh:mm:ss` (day padded with a space), or an RFC 3339 timestamp;
/// returns the bytes after it and its space.
fn skip_3164_timestamp(b: &[u8]) -> Option<&[u8]> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    if let Some(ts) = b.get(..15) {
        let month_ok = MONTHS.iter().any(|m| ts.starts_with(m));
        let day_ok = matches!(ts.get(3..6), Some([b' ', d1, d2]) if (*d1 == b' ' || d1.is_ascii_digit()) && d2.is_ascii_digit());
        let time_ok = matches!(ts.get(6..15), Some([b' ', h1, h2, b':', m1, m2, b':', s1, s2])
            if [h1, h2, m1, m2, s1, s2].iter().all(|c| c.is_ascii_digit()));
        if month_ok && day_ok && time_ok {
            return b.get(15..)?.strip_prefix(b" ");
        }
    }
    // 2024-01-31T12:00:00.123+01:00
    let (ts, rest) = token(b)?;
    let rfc3339 = ts.len() >= 19
        && ts
            .get(..4)
            .is_some_and(|y| y.iter().all(u8::is_ascii_digit))
        && ts.get(4) == Some(&b'-')
        && ts.get(10).is_some_and(|&t| t == b'T' || t == b't');
    rfc3339.then_some(rest)
}

/// The HOSTNAME field's value, if the header has one that names a host.
pub(crate) fn hostname(after_pri: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    let field = if let Some(rest) = after_pri.strip_prefix(b"1 ") {
        // RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP …
        let (_timestamp, rest) = token(rest).ok_or("RFC 5424 header truncated")?;
        let (host, _) = token(rest).ok_or("RFC 5424 header truncated")?;
        host
    } else {
        // RFC 3164: without a timestamp it recognises, a relay would not trust the rest as a
        // header (§4.3.2): no host name then.
        let Some(rest) = skip_3164_timestamp(after_pri) else {
            return Ok(None);
        };
        match token(rest) {
            Some((host, _)) => host,
            None => return Ok(None),
        }
    };
    Ok(names_a_host(field).then_some(field))
}

/// Whether a HOSTNAME field names a host (see the module comment).
fn names_a_host(field: &[u8]) -> bool {
    if field.is_empty() || field == b"-" || field.len() > MAX_HOSTNAME {
        return false;
    }
    let Ok(text) = std::str::from_utf8(field) else {
        return false;
    };
    text.parse::<IpAddr>().is_err()
        && text.bytes().any(|c| c.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
}

/// One syslog flow; datagrams are independent, so only offsets are kept.
#[derive(Debug, Default)]
pub(crate) struct SyslogSession {
    offsets: [u64; 2],
}

impl SyslogSession {
    fn message(&mut self, dir: Direction, offset: u64, data: &[u8], out: &mut Output<'_>) {
        let (value, rest) = match pri(data) {
            Some(found) => found,
            None => {
                out.anomaly(
                    dir,
                    offset,
                    "syslog message without a valid <PRI> (counted as user.notice)",
                );
                (DEFAULT_PRI, &[][..])
            }
        };
        let severity = value & 7;
        let op = Operation {
            protocol: Protocol::Syslog,
            code: u16::from(severity),
            subcode: Some(u16::from(value >> 3)),
            name: severity_name(severity),
            class: OpClass::Other,
        };
        out.operation(op, MessageKind::Request, false, None);
        match hostname(rest) {
            Ok(Some(host)) => out.identity(
                dir == Direction::ToServer,
                "hostname",
                String::from_utf8_lossy(host).into_owned(),
            ),
            Ok(None) => {}
            Err(why) => {
                let header = data.len().saturating_sub(rest.len());
                out.anomaly(dir, offset + header as u64, why);
            }
        }
    }
}

impl Session for SyslogSession {
    fn data(&mut self, dir: Direction, _ts: Timestamp, data: &[u8], out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        let offset = self.offsets.get(slot).copied().unwrap_or(0);
        self.message(dir, offset, data, out);
        if let Some(o) = self.offsets.get_mut(slot) {
            *o += data.len() as u64;
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Output<'_>) {
        let slot = usize::from(dir == Direction::ToClient);
        if let Some(o) = self.offsets.get_mut(slot) {
            *o += len;
        }
    }
}
