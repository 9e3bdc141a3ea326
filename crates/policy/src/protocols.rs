//! What the policy needs to know about each protocol: its transport and ports (for firewall
//! rules), whether it lives at layer 2, and whether it protects what it carries.

use std::sync::OnceLock;
use zonewarden_dissect::{OpClass, Protocol};

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const ICMP: u8 = 1;
pub const ICMPV6: u8 = 58;

struct Known {
    protocol: Protocol,
    transports: &'static [u8],
    ports: &'static [u16],
}

/// Transports and ports come from the dissectors themselves, so a new dissector needs no
/// edit here.
fn known() -> &'static [Known] {
    static KNOWN: OnceLock<Vec<Known>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        zonewarden_dissect::protocols::all()
            .iter()
            .map(|d| Known {
                protocol: d.protocol(),
                transports: d.transports(),
                ports: d.ports(),
            })
            .collect()
    })
}

/// The transport a protocol runs over (the first one, for those with two).
pub fn transport_of(protocol: Protocol) -> Option<u8> {
    known()
        .iter()
        .find(|k| k.protocol == protocol)
        .and_then(|k| k.transports.first().copied())
}

pub fn transports_of(protocol: Protocol) -> &'static [u8] {
    known()
        .iter()
        .find(|k| k.protocol == protocol)
        .map_or(&[], |k| k.transports)
}

/// The protocol's usual server ports.
pub fn ports_of(protocol: Protocol) -> &'static [u16] {
    known()
        .iter()
        .find(|k| k.protocol == protocol)
        .map_or(&[], |k| k.ports)
}

pub fn is_layer2(protocol: Protocol) -> bool {
    matches!(
        protocol,
        Protocol::ProfinetDcp
            | Protocol::Goose
            | Protocol::Ethercat
            | Protocol::Lldp
            | Protocol::Cdp
    )
}

/// Protocols whose dissector reports operations (requests with a class).
pub fn has_operations(protocol: Protocol) -> bool {
    protocol.is_industrial()
        || matches!(
            protocol,
            Protocol::Http
                | Protocol::Ftp
                | Protocol::Smb
                | Protocol::Snmp
                | Protocol::Telnet
                | Protocol::Dns
                | Protocol::Dhcp
        )
}

pub fn op_class(name: &str) -> Option<OpClass> {
    [
        OpClass::Read,
        OpClass::Write,
        OpClass::Program,
        OpClass::Control,
        OpClass::Diagnostic,
        OpClass::Other,
    ]
    .into_iter()
    .find(|c| c.as_str() == name)
}

/// What a protocol does for the integrity and confidentiality of what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// No authentication, no integrity, no encryption: Modbus, S7comm, Telnet, FTP, HTTP…
    Cleartext,
    /// Encrypted and integrity-protected session: TLS, SSH, RDP (TLS/CredSSP).
    Encrypted,
    /// Depends on a mode the flow negotiates (OPC UA security mode, SNMPv3, MQTT over TLS):
    /// the check does not claim either way.
    Depends,
}

pub fn protection(protocol: Protocol) -> Protection {
    match protocol {
        Protocol::Tls | Protocol::Ssh | Protocol::Rdp => Protection::Encrypted,
        Protocol::Opcua | Protocol::Snmp | Protocol::Smb => Protection::Depends,
        _ => Protection::Cleartext,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_transports_come_from_the_dissectors() {
        assert_eq!(transport_of(Protocol::Modbus), Some(TCP));
        assert!(ports_of(Protocol::Modbus).contains(&502));
        assert!(ports_of(Protocol::S7comm).contains(&102));
        assert_eq!(transport_of(Protocol::Bacnet), Some(UDP));
        assert!(ports_of(Protocol::Dnp3).contains(&20000));
    }

    #[test]
    fn protection_classes() {
        assert_eq!(protection(Protocol::Modbus), Protection::Cleartext);
        assert_eq!(protection(Protocol::Telnet), Protection::Cleartext);
        assert_eq!(protection(Protocol::Tls), Protection::Encrypted);
        assert_eq!(protection(Protocol::Opcua), Protection::Depends);
    }
}
