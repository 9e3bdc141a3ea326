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
        }
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
