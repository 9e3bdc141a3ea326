//! One SNMP flow: operations per PDU, responses paired with requests, identity from the
//! system group in responses, and the hygiene facts.

use super::ber::{oid, Ber};
use super::{parse, pdu_name, Message, Pdu, Version, ENCRYPTED};
use crate::{MessageKind, Operation, Output, Protocol, Session};
use zonewarden_model::{Direction, Timestamp};

/// Requests waiting for a response.
const MAX_PENDING: usize = 64;
/// Variable bindings looked at per response.
const MAX_VARBINDS: usize = 256;
/// Identity text longer than this is cut.
const MAX_TEXT: usize = 255;
/// 1.3.6.1.2.1.1 (the system group), BER-encoded, followed by the object and instance 0.
const SYSTEM: [u8; 6] = [0x2B, 0x06, 0x01, 0x02, 0x01, 0x01];

/// What a pending entry waits for: a PDU's request-id, or an encrypted v3 message's msgID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Request(i64),
    Message(i64),
}

#[derive(Debug, Default)]
pub(crate) struct SnmpSession {
    pending: Vec<(Key, u8)>,
    offsets: [u64; 2],
}

fn operation(code: u8, subcode: Option<u16>) -> Operation {
    let (name, class) = pdu_name(code);
    Operation {
        protocol: Protocol::Snmp,
        code: u16::from(code),
        subcode,
        name,
        class,
    }
}

impl SnmpSession {
    fn remember(&mut self, key: Key, code: u8) {
        self.pending.retain(|(k, _)| *k != key);
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push((key, code));
    }

    fn answer(&mut self, key: Key) -> Option<u8> {
        let i = self.pending.iter().position(|(k, _)| *k == key)?;
        Some(self.pending.remove(i).1)
    }

    fn message(&mut self, dir: Direction, offset: u64, data: &[u8], out: &mut Output<'_>) {
        let m = parse(data);
        let sender_is_client = dir == Direction::ToServer;
        hygiene(&m, out);
        match (&m.pdu, m.v3) {
            (Some(pdu), _) => {
                self.pdu(dir, pdu, out);
                if pdu.code == 2 && pdu.error_status == 0 {
                    if let Some(list) = pdu.varbinds {
                        system_group(list, sender_is_client, out);
                    }
                }
            }
            (None, Some(v3)) if v3.encrypted => {
                let key = Key::Message(v3.msg_id);
                if v3.flags & 0x04 != 0 {
                    out.operation(
                        operation(ENCRYPTED, None),
                        MessageKind::Request,
                        false,
                        None,
                    );
                    self.remember(key, ENCRYPTED);
                } else if self.answer(key).is_some() {
                    out.operation(
                        operation(ENCRYPTED, None),
                        MessageKind::Response,
                        false,
                        None,
                    );
                } else {
                    // Not reportable and not an answer we saw: a response from the agent's
                    // side whose request was missed, or a notification.
                    let kind = match dir {
                        Direction::ToClient => MessageKind::UnmatchedResponse,
                        Direction::ToServer => MessageKind::Request,
                    };
                    out.operation(operation(ENCRYPTED, None), kind, false, None);
                }
            }
            _ => {}
        }
        if let Some(e) = m.error {
            // `why` is a fixed text: no message bytes (and so no community) reach anomalies.
            out.anomaly(
                dir,
                offset + e.at as u64,
                format_args!("malformed SNMP message: {}", e.why),
            );
        }
    }

    fn pdu(&mut self, dir: Direction, pdu: &Pdu<'_>, out: &mut Output<'_>) {
        let key = Key::Request(pdu.request_id);
        match pdu.code {
            // Answers: counted under the request they answer.
            2 | 8 => match self.answer(key) {
                Some(request) => out.operation(
                    operation(request, None),
                    MessageKind::Response,
                    pdu.error_status != 0,
                    None,
                ),
                None => {
                    let kind = match (pdu.code, dir) {
                        // A report may be sent unasked towards the manager.
                        (8, Direction::ToServer) => MessageKind::Request,
                        _ => MessageKind::UnmatchedResponse,
                    };
                    out.operation(operation(pdu.code, None), kind, pdu.error_status != 0, None)
                }
            },
            4 => {
                let generic = pdu.generic_trap.and_then(|g| u16::try_from(g).ok());
                out.operation(operation(4, generic), MessageKind::Request, false, None);
            }
            code => {
                out.operation(operation(code, None), MessageKind::Request, false, None);
                // Traps are never answered; informs and requests are.
                if code != 7 {
                    self.remember(key, code);
                }
            }
        }
    }
}

/// Version facts, the cleartext community finding and v3 without authentication.
fn hygiene(m: &Message<'_>, out: &mut Output<'_>) {
    let Some(version) = m.version else {
        return;
    };
    for about_client in [true, false] {
        out.identity(about_client, "snmp_version", version.as_str().to_string());
        if m.community && version != Version::V3 {
            let value = match version {
                Version::V1 => "v1",
                _ => "v2c",
            };
            out.identity(about_client, "snmp_community_in_clear", value.to_string());
        }
        if let Some(v3) = m.v3 {
            let report = m.pdu.is_some_and(|p| p.code == 8);
            if v3.flags & 0x03 == 0 && v3.named_user && !report {
                out.identity(about_client, "snmp_v3_noauth", "noAuthNoPriv".to_string());
            }
        }
    }
}

/// Text as an identity value: control characters (multi-line sysDescr) become spaces, runs of
/// spaces one, cut at [`MAX_TEXT`] characters.
fn text(bytes: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for c in lossy.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
        if out.chars().count() >= MAX_TEXT {
            break;
        }
    }
    out.trim_end().to_string()
}

/// sysDescr, sysObjectID, sysName and sysLocation in a response's bindings: facts about the
/// responder.
fn system_group(mut list: Ber<'_>, about_client: bool, out: &mut Output<'_>) {
    for _ in 0..MAX_VARBINDS {
        let Ok(Some(binding)) = list.next() else {
            return;
        };
        let Ok(mut b) = list.enter(&binding) else {
            return;
        };
        let (Ok(Some(name)), Ok(Some(value))) = (b.next(), b.next()) else {
            continue;
        };
        if name.tag != 0x06 {
            continue;
        }
        let Some((object, instance)) = name
            .value
            .strip_prefix(&SYSTEM[..])
            .and_then(|rest| rest.split_first())
        else {
            continue;
        };
        if instance != [0] {
            continue;
        }
        match (object, value.tag) {
            (1, 0x04) => out.identity(about_client, "snmp_sys_descr", text(value.value)),
            (2, 0x06) => {
                if let Some(dotted) = oid(value.value) {
                    out.identity(about_client, "snmp_sys_object_id", dotted);
                }
            }
            (5, 0x04) => out.identity(about_client, "hostname", text(value.value)),
            (6, 0x04) => out.identity(about_client, "snmp_sys_location", text(value.value)),
            _ => {}
        }
    }
}

impl Session for SnmpSession {
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
