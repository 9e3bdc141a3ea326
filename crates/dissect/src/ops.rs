//! What a message does, in words an OT engineer uses.

/// Protocols zonewarden dissects. Stable names (`as_str`) are a public contract in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protocol {
    Modbus,
    Dnp3,
    S7comm,
    S7commPlus,
    /// EtherNet/IP encapsulation and the CIP messages it carries.
    Enip,
    Iec104,
    Mqtt,
    Fins,
    Bacnet,
    Opcua,
    /// PROFINET Discovery and Configuration Protocol (layer 2).
    ProfinetDcp,
    /// IEC 61850 GOOSE (layer 2).
    Goose,
    HartIp,
    Synchrophasor,
    Ads,
    Fox,
    Bsap,
    Melsec,
    /// EtherCAT (layer 2).
    Ethercat,
    /// ISO 9506 MMS (IEC 61850 client/server).
    Mms,
    /// PROFINET IO context management (DCE/RPC on UDP 34964).
    PnioCm,
    // IT and network protocols, decoded for identity (who is this device) and hygiene
    // (credentials in clear, logs to a collector).
    Dhcp,
    Dns,
    /// NetBIOS name service (UDP 137).
    NetbiosNs,
    /// IEEE 802.1AB Link Layer Discovery Protocol (layer 2).
    Lldp,
    /// Cisco Discovery Protocol (layer 2, SNAP).
    Cdp,
    Snmp,
    Syslog,
    Http,
    Tls,
    Ssh,
    Telnet,
    Ftp,
    Smb,
    Rdp,
}

impl Protocol {
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Modbus => "modbus",
            Protocol::Dnp3 => "dnp3",
            Protocol::S7comm => "s7comm",
            Protocol::S7commPlus => "s7comm-plus",
            Protocol::Enip => "enip",
            Protocol::Iec104 => "iec104",
            Protocol::Mqtt => "mqtt",
            Protocol::Fins => "fins",
            Protocol::Bacnet => "bacnet",
            Protocol::Opcua => "opcua",
            Protocol::ProfinetDcp => "profinet-dcp",
            Protocol::Goose => "goose",
            Protocol::HartIp => "hart-ip",
            Protocol::Synchrophasor => "c37.118",
            Protocol::Ads => "ads",
            Protocol::Fox => "fox",
            Protocol::Bsap => "bsap",
            Protocol::Melsec => "melsec",
            Protocol::Ethercat => "ethercat",
            Protocol::Mms => "mms",
            Protocol::PnioCm => "profinet-io-cm",
            Protocol::Dhcp => "dhcp",
            Protocol::Dns => "dns",
            Protocol::NetbiosNs => "netbios-ns",
            Protocol::Lldp => "lldp",
            Protocol::Cdp => "cdp",
            Protocol::Snmp => "snmp",
            Protocol::Syslog => "syslog",
            Protocol::Http => "http",
            Protocol::Tls => "tls",
            Protocol::Ssh => "ssh",
            Protocol::Telnet => "telnet",
            Protocol::Ftp => "ftp",
            Protocol::Smb => "smb",
            Protocol::Rdp => "rdp",
        }
    }

    /// Every protocol, in declaration order (for name lookups and documentation).
    pub const ALL: [Protocol; 35] = [
        Protocol::Modbus,
        Protocol::Dnp3,
        Protocol::S7comm,
        Protocol::S7commPlus,
        Protocol::Enip,
        Protocol::Iec104,
        Protocol::Mqtt,
        Protocol::Fins,
        Protocol::Bacnet,
        Protocol::Opcua,
        Protocol::ProfinetDcp,
        Protocol::Goose,
        Protocol::HartIp,
        Protocol::Synchrophasor,
        Protocol::Ads,
        Protocol::Fox,
        Protocol::Bsap,
        Protocol::Melsec,
        Protocol::Ethercat,
        Protocol::Mms,
        Protocol::PnioCm,
        Protocol::Dhcp,
        Protocol::Dns,
        Protocol::NetbiosNs,
        Protocol::Lldp,
        Protocol::Cdp,
        Protocol::Snmp,
        Protocol::Syslog,
        Protocol::Http,
        Protocol::Tls,
        Protocol::Ssh,
        Protocol::Telnet,
        Protocol::Ftp,
        Protocol::Smb,
        Protocol::Rdp,
    ];

    /// The protocol with this stable name.
    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Industrial (OT) protocols, as opposed to the IT and network protocols decoded for
    /// identity. MQTT counts as industrial: in plants it carries process data (IIoT).
    pub const fn is_industrial(self) -> bool {
        !matches!(
            self,
            Protocol::Dhcp
                | Protocol::Dns
                | Protocol::NetbiosNs
                | Protocol::Lldp
                | Protocol::Cdp
                | Protocol::Snmp
                | Protocol::Syslog
                | Protocol::Http
                | Protocol::Tls
                | Protocol::Ssh
                | Protocol::Telnet
                | Protocol::Ftp
                | Protocol::Smb
                | Protocol::Rdp
        )
    }
}

/// The class of an operation: what it means for the process, not how it is encoded.
///
/// - `read`: observes process data;
/// - `write`: changes process data (setpoints, outputs, registers);
/// - `program`: moves logic or firmware (download, upload, delete, online edit);
/// - `control`: changes the device's state (start, stop, restart, mode, listen-only);
/// - `diagnostic`: asks about the device itself (identity, counters, status);
/// - `other`: everything else, including codes this version does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpClass {
    Read,
    Write,
    Program,
    Control,
    Diagnostic,
    Other,
}

impl OpClass {
    pub const fn as_str(self) -> &'static str {
        match self {
            OpClass::Read => "read",
            OpClass::Write => "write",
            OpClass::Program => "program",
            OpClass::Control => "control",
            OpClass::Diagnostic => "diagnostic",
            OpClass::Other => "other",
        }
    }
}

/// One operation a client asked of a server (or, when the request was not seen, one that a
/// response shows was asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Operation {
    pub protocol: Protocol,
    /// The protocol's own code (a Modbus function code, a DNP3 function code…).
    pub code: u16,
    /// A sub-code where the protocol has one (Modbus diagnostics sub-function, UMAS function).
    pub subcode: Option<u16>,
    pub name: &'static str,
    pub class: OpClass,
}
