//! Names people know services by. Only for display: nothing decides on these names (the
//! dissectors recognise protocols by content, not by port).

use zonewarden_wire::{ethertype, L2Type};

/// The usual service on a TCP or UDP server port (IANA registry and vendor documentation).
pub fn port_name(proto: u8, port: u16) -> Option<&'static str> {
    let tcp = proto == zonewarden_wire::ipproto::TCP;
    Some(match port {
        20 | 21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 => "smtp",
        53 => "dns",
        67 | 68 => "dhcp",
        69 => "tftp",
        80 => "http",
        102 => "s7comm/iso-tsap",
        123 => "ntp",
        135 => "msrpc",
        137 => "netbios-ns",
        138 => "netbios-dgm",
        139 => "netbios-ssn",
        161 | 162 => "snmp",
        443 => "https",
        445 => "smb",
        502 => "modbus",
        514 => "syslog",
        1883 => "mqtt",
        1911 => "niagara-fox",
        2222 if !tcp => "enip-io",
        2404 => "iec104",
        3389 => "rdp",
        4840 => "opcua",
        5094 => "hart-ip",
        5007 => "melsec",
        8883 => "mqtt-tls",
        9600 => "omron-fins",
        20000 => "dnp3",
        34962..=34964 => "profinet",
        44818 => "enip",
        47808 => "bacnet",
        48898 => "ads",
        _ => return None,
    })
}

/// Names for the L2 protocols plants carry.
pub fn l2_name(t: L2Type) -> &'static str {
    match t {
        L2Type::EtherType(ethertype::ARP) => "arp",
        L2Type::EtherType(ethertype::PROFINET) => "profinet",
        L2Type::EtherType(ethertype::GOOSE) => "goose",
        L2Type::EtherType(0x88BA) => "sampled-values",
        L2Type::EtherType(0x88B9) => "gse-management",
        L2Type::EtherType(ethertype::LLDP) => "lldp",
        L2Type::EtherType(0x88A4) => "ethercat",
        L2Type::EtherType(0x88E3) => "mrp",
        L2Type::EtherType(0x88F7) => "ptp",
        L2Type::EtherType(0x8899) => "realtek",
        L2Type::EtherType(0x9000) => "loopback",
        L2Type::EtherType(0x88E5) => "macsec",
        L2Type::EtherType(0x888E) => "eapol",
        L2Type::EtherType(ethertype::IPV4) => "ipv4",
        L2Type::EtherType(ethertype::IPV6) => "ipv6",
        L2Type::EtherType(_) => "other",
        L2Type::Llc { dsap: 0x42, .. } => "stp",
        L2Type::Llc { dsap: 0xFE, .. } => "osi",
        L2Type::Llc { dsap: 0xAA, .. } => "snap",
        L2Type::Llc { dsap: 0xF0, .. } => "netbios",
        L2Type::Llc { .. } => "llc",
        L2Type::None => "none",
    }
}
