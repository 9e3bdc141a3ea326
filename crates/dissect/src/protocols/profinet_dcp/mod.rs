//! PROFINET DCP (Discovery and Configuration Protocol), IEC 61158-6-10 §4.3, on EtherType
//! 0x8892 with frame ids 0xFEFC (Hello), 0xFEFD (Get/Set), 0xFEFE (Identify request) and 0xFEFF
//! (Identify response).
//!
//! Supported: Identify, Get, Set and Hello requests and responses, paired by Xid; the blocks that
//! say who a device is (NameOfStation, type of station, vendor and device id, device role, IP
//! parameters) become identity facts about the responder; Set requests are `control`
//! operations named after what they change (IP, NameOfStation, a control command), because a
//! DCP Set re-addresses or renames a running device. Cyclic real-time frames (frame ids below
//! 0xFC00) are not operations: the L2 conversations count them.

#[cfg(test)]
mod tests;

use crate::{MessageKind, OpClass, Operation, Output, Protocol};
use zonewarden_model::Direction;

pub(crate) const ETHERTYPE: u16 = 0x8892;

/// Service ids (IEC 61158-6-10 table "ServiceID").
fn service(id: u8) -> (&'static str, OpClass) {
    match id {
        3 => ("DCP Get", OpClass::Diagnostic),
        4 => ("DCP Set", OpClass::Control),
        5 => ("DCP Identify", OpClass::Diagnostic),
        6 => ("DCP Hello", OpClass::Diagnostic),
        _ => ("DCP Unknown Service", OpClass::Other),
    }
}

/// What a Set request changes, from its first block's option and suboption.
fn set_name(option: u8, suboption: u8) -> &'static str {
    match (option, suboption) {
        (1, 1) => "DCP Set MAC Address",
        (1, 2) => "DCP Set IP",
        (1, 3) => "DCP Set Full IP Suite",
        (2, 2) => "DCP Set NameOfStation",
        (2, 7) => "DCP Set Alias Name",
        (5, 1) => "DCP Set Control Start",
        (5, 2) => "DCP Set Control Stop",
        (5, 3) => "DCP Set Control Signal",
        (5, 4) => "DCP Set Control Response",
        (5, 5) => "DCP Set Factory Reset",
        (5, 6) => "DCP Set Reset To Factory",
        _ => "DCP Set",
    }
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off + 2)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// Requests seen, by Xid, so responses can be told from unsolicited ones. Identify requests are
/// answered by many devices, so entries are kept (bounded), not removed on the first answer.
#[derive(Debug, Default)]
pub(crate) struct DcpState {
    requests: Vec<(u32, Operation)>,
}

const MAX_REQUESTS: usize = 256;

/// Decodes one DCP frame (the payload after the EtherType).
pub(crate) fn frame(state: &mut DcpState, payload: &[u8], out: &mut Output<'_>) {
    let Some(frame_id) = be16(payload, 0) else {
        return;
    };
    if !(0xFEFC..=0xFEFF).contains(&frame_id) {
        return;
    }
    let (Some(&service_id), Some(&service_type), Some(xid), Some(data_len)) = (
        payload.get(2),
        payload.get(3),
        be32(payload, 4),
        be16(payload, 10),
    ) else {
        out.anomaly(Direction::ToServer, 0, "DCP header truncated");
        return;
    };
    let Some(blocks) = payload.get(12..12 + usize::from(data_len)) else {
        out.malformed(
            Direction::ToServer,
            10,
            "DCP data length runs past the frame",
        );
        return;
    };
    let (mut name, class) = service(service_id);
    let is_response = service_type & 0x01 != 0;
    let first_block = blocks.first().copied().zip(blocks.get(1).copied());
    if service_id == 4 && !is_response {
        if let Some((option, suboption)) = first_block {
            name = set_name(option, suboption);
        }
    }
    let op = Operation {
        protocol: Protocol::ProfinetDcp,
        code: u16::from(service_id),
        subcode: first_block
            .filter(|_| service_id == 4)
            .map(|(o, s)| (u16::from(o) << 8) | u16::from(s)),
        name,
        class,
    };
    if !is_response {
        out.operation(op, MessageKind::Request, false, None);
        if state.requests.len() >= MAX_REQUESTS {
            state.requests.remove(0);
        }
        state.requests.push((xid, op));
        return;
    }
    // Service type 5: "response, request not supported".
    let error = service_type & 0x04 != 0;
    // One Xid may be reused across services (an Identify, then a Set): match both.
    let request = state
        .requests
        .iter()
        .find(|(x, op)| *x == xid && op.code == u16::from(service_id));
    match request {
        Some((_, request)) => out.operation(*request, MessageKind::Response, error, None),
        None => out.operation(op, MessageKind::UnmatchedResponse, error, None),
    }
    if service_id == 5 || service_id == 3 || service_id == 6 {
        identity_blocks(blocks, out);
    }
}

/// Response blocks: option, suboption, length, block info (2), data.
fn identity_blocks(mut blocks: &[u8], out: &mut Output<'_>) {
    while let (Some(&option), Some(&suboption), Some(len)) =
        (blocks.first(), blocks.get(1), be16(blocks, 2))
    {
        let len = usize::from(len);
        let Some(body) = blocks.get(4..4 + len) else {
            out.malformed(Direction::ToClient, 0, "DCP block runs past the frame");
            return;
        };
        let data = body.get(2..).unwrap_or_default();
        let text = || {
            String::from_utf8_lossy(data)
                .trim_end_matches('\0')
                .to_string()
        };
        match (option, suboption) {
            (2, 1) => out.identity(true, "product_name", text()),
            (2, 2) => out.identity(true, "station_name", text()),
            (2, 3) => {
                if let (Some(vendor), Some(device)) = (be16(data, 0), be16(data, 2)) {
                    out.identity(true, "vendor_id", format!("0x{vendor:04x}"));
                    out.identity(true, "product_code", format!("0x{device:04x}"));
                }
            }
            (2, 4) => {
                if let Some(&role) = data.first() {
                    let roles: Vec<&str> = [
                        (1, "IO device"),
                        (2, "IO controller"),
                        (4, "IO multidevice"),
                        (8, "IO supervisor"),
                    ]
                    .iter()
                    .filter(|(bit, _)| role & bit != 0)
                    .map(|(_, n)| *n)
                    .collect();
                    out.identity(true, "device_role", roles.join(", "));
                }
            }
            (1, 2) => {
                if let Some(ip) = data.get(..4) {
                    out.identity(
                        true,
                        "ip_address",
                        format!(
                            "{}.{}.{}.{}",
                            ip.first().copied().unwrap_or(0),
                            ip.get(1).copied().unwrap_or(0),
                            ip.get(2).copied().unwrap_or(0),
                            ip.get(3).copied().unwrap_or(0)
                        ),
                    );
                }
            }
            _ => {}
        }
        // Blocks are padded to an even length.
        let advance = 4 + len + (len & 1);
        blocks = blocks.get(advance..).unwrap_or_default();
    }
}
