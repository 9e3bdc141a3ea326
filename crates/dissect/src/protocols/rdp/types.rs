//! RDP negotiation codes ([MS-RDPBCGR] §2.2.1.1.1 RDP_NEG_REQ requestedProtocols,
//! §2.2.1.2.1 RDP_NEG_RSP selectedProtocol, §2.2.1.2.2 RDP_NEG_FAILURE failureCode) and the
//! X.224 TPDU codes used as operation codes (ISO 8073 §13.3.3 CR, §13.4.3 CC).

use crate::OpClass;

/// X.224 Connection Request and Connection Confirm TPDU codes.
pub(crate) const CONNECTION_REQUEST: u16 = 0xE0;
pub(crate) const CONNECTION_CONFIRM: u16 = 0xD0;

/// Name and class of an operation code.
pub fn operation_name(code: u16) -> (&'static str, OpClass) {
    match code {
        CONNECTION_REQUEST => ("connection request", OpClass::Other),
        CONNECTION_CONFIRM => ("connection confirm", OpClass::Other),
        _ => ("RDP message", OpClass::Other),
    }
}

/// Security protocol flags, lowest first.
const PROTOCOLS: [(u32, &str); 5] = [
    (0x01, "tls"),
    (0x02, "credssp(nla)"),
    (0x04, "rdstls"),
    (0x08, "credssp(nla)-ex"),
    (0x10, "rdsaad"),
];

/// The protocol a server selected: 0 is Standard RDP Security (RC4, no server authentication).
pub(crate) fn selected_name(selected: u32) -> String {
    if selected == 0 {
        return "rdp".to_string();
    }
    match PROTOCOLS.iter().find(|&&(bit, _)| bit == selected) {
        Some((_, name)) => (*name).to_string(),
        None => format!("0x{selected:08X}"),
    }
}

/// The protocols a client offers: Standard RDP Security is always acceptable to it unless it
/// asks for something else only; listed as flags, `rdp` when none is set.
pub(crate) fn requested_names(requested: u32) -> String {
    if requested == 0 {
        return "rdp".to_string();
    }
    let mut names: Vec<String> = PROTOCOLS
        .iter()
        .filter(|&&(bit, _)| requested & bit != 0)
        .map(|(_, name)| (*name).to_string())
        .collect();
    let unknown = requested & !PROTOCOLS.iter().fold(0, |m, (bit, _)| m | bit);
    if unknown != 0 {
        names.push(format!("0x{unknown:08X}"));
    }
    names.join(", ")
}
