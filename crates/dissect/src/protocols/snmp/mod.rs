//! SNMP v1, v2c and v3, for device identity (system group) and hygiene (cleartext
//! communities, v3 without authentication).
//!
//! References: RFC 1157 §4 (v1 message: version 0, community, PDU; Trap-PDU layout), RFC 1901
//! and RFC 3416 §3 (v2c: version 1; PDU tags [0] get, [1] get-next, [2] response, [3] set,
//! [5] get-bulk, [6] inform, [7] v2 trap, [8] report; request-id, error-status, error-index,
//! variable bindings), RFC 3412 §6 (v3 message: msgGlobalData with msgID, msgMaxSize,
//! msgFlags (0x01 auth, 0x02 priv, 0x04 reportable) and msgSecurityModel, then security
//! parameters, then a plaintext ScopedPDU or an encrypted OCTET STRING), RFC 3414 §2.4
//! (USM security parameters; §4 discovery uses an empty user name, noAuthNoPriv by design),
//! RFC 1213 / RFC 3418 (system group: sysDescr 1.3.6.1.2.1.1.1, sysObjectID .2, sysName .5,
//! sysLocation .6). Encoding: X.690 BER, definite lengths only (see `ber.rs`).
//!
//! Ports: UDP 161 (agent) and 162 (trap receiver), hints; a message whose SEQUENCE fills the
//! datagram, with version 0, 1 or 3 and a community + PDU (or v3 header) after it, is `Certain`.
//!
//! Why: an SNMP agent describes itself (sysDescr names vendor, model and firmware; sysName is
//! its host name), and v1/v2c send the community — the password — in clear. Facts: about both
//! ends, `snmp_community_in_clear` = `v1` / `v2c` and `snmp_version` (`1`, `2c`, `3`); about
//! the sender of a response, `snmp_sys_descr`, `snmp_sys_object_id` (dotted), `hostname`
//! (sysName) and `snmp_sys_location`; for v3, `snmp_v3_noauth` = `noAuthNoPriv` about both
//! ends when a named user sends a non-report PDU with neither auth nor priv (discovery, with
//! no user name, is exempt). The community itself is never stored, logged or put in an
//! anomaly: the parser does not keep it.
//!
//! Supported: every PDU type as an operation (code = PDU tag number; get, get-next, get-bulk
//! `diagnostic`, set `write`, traps, inform, report `other`); responses and reports are
//! counted under the request they answer (paired by request-id, 64 outstanding), with a
//! non-zero error-status as an error response; unmatched responses under their own code.
//! Encrypted v3 PDUs are operation 9 "encrypted", paired by msgID from the cleartext header.
//! Generic trap number as the sub-code of a v1 trap.
//!
//! Not supported: decryption and authentication checks, SNMP over TCP, values other than the
//! four system-group objects.

mod ber;
mod session;

#[cfg(test)]
mod tests;

use crate::{Confidence, Dissector, OpClass, Protocol, Session, UDP};
use ber::{integer, Ber, BerError};
use zonewarden_model::Direction;

/// The SNMP dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snmp;

impl Dissector for Snmp {
    fn protocol(&self) -> Protocol {
        Protocol::Snmp
    }

    fn transports(&self) -> &'static [u8] {
        UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[161, 162]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::SnmpSession>::default()
    }
}

/// Operation code of an encrypted v3 PDU (above the PDU tag numbers 0–8).
pub const ENCRYPTED: u8 = 9;

/// Name and class of a PDU tag number; unknown ones keep their number.
pub fn pdu_name(code: u8) -> (&'static str, OpClass) {
    match code {
        0 => ("get", OpClass::Diagnostic),
        1 => ("getnext", OpClass::Diagnostic),
        2 => ("response", OpClass::Diagnostic),
        3 => ("set", OpClass::Write),
        4 => ("trap", OpClass::Other),
        5 => ("getbulk", OpClass::Diagnostic),
        6 => ("inform", OpClass::Other),
        7 => ("trap-v2", OpClass::Other),
        8 => ("report", OpClass::Other),
        ENCRYPTED => ("encrypted", OpClass::Other),
        _ => ("unknown pdu", OpClass::Other),
    }
}

/// The protocol version field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2c,
    V3,
}

impl Version {
    fn from_field(v: i64) -> Option<Version> {
        match v {
            0 => Some(Version::V1),
            1 => Some(Version::V2c),
            3 => Some(Version::V3),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "1",
            Version::V2c => "2c",
            Version::V3 => "3",
        }
    }
}

/// The cleartext v3 header fields that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct V3 {
    pub msg_id: i64,
    pub flags: u8,
    /// USM with a non-empty user name (not a discovery message).
    pub named_user: bool,
    pub encrypted: bool,
}

/// A PDU's header and its variable bindings (not yet read).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pdu<'a> {
    /// The context tag number, 0–8.
    pub code: u8,
    pub request_id: i64,
    pub error_status: i64,
    /// v1 traps: the generic-trap number.
    pub generic_trap: Option<i64>,
    pub varbinds: Option<Ber<'a>>,
}

/// What was read of a message, as far as it could be read. Holds no community.
#[derive(Debug, Default)]
pub(crate) struct Message<'a> {
    pub version: Option<Version>,
    /// A v1/v2c community string was present (its value is not kept).
    pub community: bool,
    pub v3: Option<V3>,
    pub pdu: Option<Pdu<'a>>,
    pub error: Option<BerError>,
}

/// Reads a message; what fails is in `error`, what came before it is kept.
pub(crate) fn parse(data: &[u8]) -> Message<'_> {
    let mut m = Message::default();
    if let Err(e) = read(data, &mut m) {
        m.error = Some(e);
    }
    m
}

fn read<'a>(data: &'a [u8], m: &mut Message<'a>) -> Result<(), BerError> {
    let top = Ber::new(data);
    let mut outer = top;
    let message = outer.expect(0x30, "message is not a BER SEQUENCE")?;
    let mut body = top.enter(&message)?;
    let version_tlv = body.expect(0x02, "version INTEGER expected")?;
    let version = Version::from_field(integer(&version_tlv)?).ok_or(BerError {
        at: version_tlv.at,
        why: "unknown SNMP version",
    })?;
    m.version = Some(version);
    let pdu = match version {
        Version::V1 | Version::V2c => {
            // The community: its presence is the finding; its bytes are dropped here.
            let _ = body.expect(0x04, "community OCTET STRING expected")?;
            m.community = true;
            body.next()?.ok_or(BerError {
                at: body.at(),
                why: "PDU missing",
            })?
        }
        Version::V3 => {
            let global = body.expect(0x30, "msgGlobalData SEQUENCE expected")?;
            let mut g = body.enter(&global)?;
            let msg_id = integer(&g.expect(0x02, "msgID expected")?)?;
            let _max_size = g.expect(0x02, "msgMaxSize expected")?;
            let flags_tlv = g.expect(0x04, "msgFlags expected")?;
            let flags = flags_tlv.value.first().copied().unwrap_or(0);
            let model = integer(&g.expect(0x02, "msgSecurityModel expected")?)?;
            let params = body.expect(0x04, "msgSecurityParameters expected")?;
            let named_user = model == 3 && usm_user_named(&params);
            let data_tlv = body.next()?.ok_or(BerError {
                at: body.at(),
                why: "msgData missing",
            })?;
            let encrypted = data_tlv.tag == 0x04;
            m.v3 = Some(V3 {
                msg_id,
                flags,
                named_user,
                encrypted,
            });
            if encrypted {
                return Ok(());
            }
            if data_tlv.tag != 0x30 {
                return Err(BerError {
                    at: data_tlv.at,
                    why: "msgData is neither a ScopedPDU nor encrypted",
                });
            }
            let mut scoped = body.enter(&data_tlv)?;
            let _engine = scoped.expect(0x04, "contextEngineID expected")?;
            let _context = scoped.expect(0x04, "contextName expected")?;
            scoped.next()?.ok_or(BerError {
                at: scoped.at(),
                why: "PDU missing",
            })?
        }
    };
    m.pdu = Some(read_pdu(&body, &pdu)?);
    Ok(())
}

/// Whether USM security parameters (RFC 3414 §2.4: a SEQUENCE of engine id, boots, time, user
/// name, auth and priv parameters) carry a user name. The name itself is not kept.
fn usm_user_named(params: &ber::Tlv<'_>) -> bool {
    let mut inner = Ber::new(params.value);
    let Ok(Some(seq)) = inner.next() else {
        return false;
    };
    let Ok(mut usm) = inner.enter(&seq) else {
        return false;
    };
    for _ in 0..3 {
        if !matches!(usm.next(), Ok(Some(_))) {
            return false;
        }
    }
    matches!(usm.next(), Ok(Some(user)) if user.tag == 0x04 && !user.value.is_empty())
}

fn read_pdu<'a>(parent: &Ber<'a>, pdu: &ber::Tlv<'a>) -> Result<Pdu<'a>, BerError> {
    if !(0xA0..=0xA8).contains(&pdu.tag) {
        return Err(BerError {
            at: pdu.at,
            why: "unknown PDU type",
        });
    }
    let code = pdu.tag & 0x1F;
    let mut p = parent.enter(pdu)?;
    if code == 4 {
        // RFC 1157 §4.1.6 Trap-PDU: enterprise, agent-addr, generic-trap, specific-trap,
        // time-stamp, variable-bindings.
        let _enterprise = p.expect(0x06, "trap enterprise OID expected")?;
        let _agent = p.expect(0x40, "trap agent-addr expected")?;
        let generic = integer(&p.expect(0x02, "generic-trap expected")?)?;
        let _specific = p.expect(0x02, "specific-trap expected")?;
        let _time = p.expect(0x43, "trap time-stamp expected")?;
        let list = p.expect(0x30, "variable-bindings expected")?;
        return Ok(Pdu {
            code,
            request_id: 0,
            error_status: 0,
            generic_trap: Some(generic),
            varbinds: Some(p.enter(&list)?),
        });
    }
    let request_id = integer(&p.expect(0x02, "request-id expected")?)?;
    let error_status = integer(&p.expect(0x02, "error-status expected")?)?;
    let _error_index = p.expect(0x02, "error-index expected")?;
    let list = p.expect(0x30, "variable-bindings expected")?;
    Ok(Pdu {
        code,
        request_id,
        error_status,
        generic_trap: None,
        varbinds: Some(p.enter(&list)?),
    })
}

/// A whole datagram: one SEQUENCE, version 0/1/3, then a community and a PDU tag, or a v3
/// header SEQUENCE.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let top = Ber::new(data);
    let mut outer = top;
    let Ok(message) = outer.expect(0x30, "") else {
        return Confidence::NotMine;
    };
    let Ok(mut body) = top.enter(&message) else {
        return Confidence::NotMine;
    };
    let version = body
        .expect(0x02, "")
        .ok()
        .and_then(|v| integer(&v).ok())
        .and_then(Version::from_field);
    let consistent = match version {
        Some(Version::V1 | Version::V2c) => {
            body.expect(0x04, "").is_ok()
                && matches!(body.next(), Ok(Some(p)) if (0xA0..=0xA8).contains(&p.tag))
        }
        Some(Version::V3) => body.expect(0x30, "").is_ok(),
        None => false,
    };
    match (consistent, outer.is_empty()) {
        (true, true) => Confidence::Certain,
        (true, false) => Confidence::Maybe,
        (false, _) => Confidence::NotMine,
    }
}
