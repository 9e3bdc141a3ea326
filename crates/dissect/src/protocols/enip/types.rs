//! EtherNet/IP and CIP codes as open enums: an unknown code is kept with its number, never
//! dropped.
//!
//! Operation codes live in three ranges of one `u16` so that they never collide within the
//! protocol: CIP service codes (`0x00..=0x7F`, the response bit removed, equal to tshark's
//! `cip.sc`), encapsulation commands (`0x1000 | command`) and implicit (class 0/1) I/O
//! (`0x2000`).

use crate::{OpClass, Operation, Protocol};

/// Encapsulation commands are reported as `COMMAND_BASE | command`.
pub const COMMAND_BASE: u16 = 0x1000;
/// Implicit (class 0/1) I/O datagrams on UDP 2222.
pub const IMPLICIT_IO: u16 = 0x2000;

/// Encapsulation commands (CIP Vol. 2, §2-3.2, table 2-3.2).
pub struct Command;

impl Command {
    pub const NOP: u16 = 0x0000;
    pub const LIST_SERVICES: u16 = 0x0004;
    pub const LIST_IDENTITY: u16 = 0x0063;
    pub const LIST_INTERFACES: u16 = 0x0064;
    pub const REGISTER_SESSION: u16 = 0x0065;
    pub const UNREGISTER_SESSION: u16 = 0x0066;
    pub const SEND_RR_DATA: u16 = 0x006F;
    pub const SEND_UNIT_DATA: u16 = 0x0070;
    pub const INDICATE_STATUS: u16 = 0x0072;
    pub const CANCEL: u16 = 0x0073;
}

/// Name and class of an encapsulation command (Vol. 2 §2-4). The discovery commands describe
/// the device, so they are `diagnostic`; session and transport commands are `other` (what they
/// carry is reported as CIP operations of its own).
pub fn command_name(command: u16) -> (&'static str, OpClass) {
    use OpClass::*;
    match command {
        Command::NOP => ("NOP", Other),
        Command::LIST_SERVICES => ("ListServices", Diagnostic),
        Command::LIST_IDENTITY => ("ListIdentity", Diagnostic),
        Command::LIST_INTERFACES => ("ListInterfaces", Diagnostic),
        Command::REGISTER_SESSION => ("RegisterSession", Other),
        Command::UNREGISTER_SESSION => ("UnRegisterSession", Other),
        Command::SEND_RR_DATA => ("SendRRData", Other),
        Command::SEND_UNIT_DATA => ("SendUnitData", Other),
        Command::INDICATE_STATUS => ("IndicateStatus", Other),
        Command::CANCEL => ("Cancel", Other),
        // 0x0001..=0x0003 and 0x0005..=0x0062 are reserved for legacy (pre-ODVA) use.
        0x0001..=0x0062 => ("Legacy Command", Other),
        _ => ("Unknown Command", Other),
    }
}

/// A command the specification defines (used to judge headers when resynchronising).
pub fn is_known_command(command: u16) -> bool {
    matches!(
        command,
        Command::NOP
            | Command::LIST_SERVICES
            | Command::LIST_IDENTITY
            | Command::LIST_INTERFACES
            | Command::REGISTER_SESSION
            | Command::UNREGISTER_SESSION
            | Command::SEND_RR_DATA
            | Command::SEND_UNIT_DATA
            | Command::INDICATE_STATUS
            | Command::CANCEL
    )
}

/// The operation of an encapsulation command.
pub fn command_operation(command: u16) -> Operation {
    let (name, class) = command_name(command);
    Operation {
        protocol: Protocol::Enip,
        // Commands above 0x0FFF are reserved and unseen; folding them keeps the ranges apart.
        code: COMMAND_BASE | (command & 0x0FFF),
        subcode: None,
        name,
        class,
    }
}

/// The operation counting implicit I/O datagrams. Reading process data is what a class 1
/// connection does (the consumer observes the producer's data), hence `read`.
pub fn implicit_io_operation() -> Operation {
    Operation {
        protocol: Protocol::Enip,
        code: IMPLICIT_IO,
        subcode: None,
        name: "Implicit I/O",
        class: OpClass::Read,
    }
}

/// Common Packet Format item type ids (Vol. 2 §2-6, table 2-6.3).
pub struct Item;

impl Item {
    pub const LIST_IDENTITY: u16 = 0x000C;
    pub const CONNECTED_DATA: u16 = 0x00B1;
    pub const UNCONNECTED_DATA: u16 = 0x00B2;
    pub const SOCKADDR_O_T: u16 = 0x8000;
    pub const SOCKADDR_T_O: u16 = 0x8001;
    pub const SEQUENCED_ADDRESS: u16 = 0x8002;
}

/// CIP service codes that need special handling (Vol. 1 Appendix A, table; Connection
/// Manager services Vol. 1 §3-5.5).
pub struct Service;

impl Service {
    pub const GET_ATTRIBUTES_ALL: u8 = 0x01;
    pub const MULTIPLE_SERVICE_PACKET: u8 = 0x0A;
    pub const UNCONNECTED_SEND: u8 = 0x52;
}

/// CIP object class ids that need special handling (Vol. 1 §5, table 5-1.1).
pub struct Class;

impl Class {
    pub const IDENTITY: u32 = 0x01;
    pub const CONNECTION_MANAGER: u32 = 0x06;
    pub const PCCC: u32 = 0x67;
    pub const SYMBOL: u32 = 0x6B;
    pub const TEMPLATE: u32 = 0x6C;
    /// Rockwell class the ControlLogix mode/lock services address (Quickdraw captures: Stop,
    /// Start and the lock/unlock services go to instance 1 of this class).
    pub const CONTROLLER: u32 = 0x8E;
    /// Non-Volatile Storage: firmware images are written through it (Quickdraw firmware change
    /// capture: thousands of service 0x4D requests to this class).
    pub const NON_VOLATILE_STORAGE: u32 = 0xA1;
}

/// Object class names (Vol. 1 table 5-1.1; 0x67/0x6B/0x6C/0x8B/0x8E are Rockwell classes
/// documented in Rockwell publication 1756-PM020 and seen in the Quickdraw captures).
pub fn class_name(class: u32) -> Option<&'static str> {
    Some(match class {
        0x01 => "Identity",
        0x02 => "Message Router",
        0x03 => "DeviceNet",
        0x04 => "Assembly",
        0x05 => "Connection",
        0x06 => "Connection Manager",
        0x07 => "Register",
        0x0F => "Parameter",
        0x10 => "Parameter Group",
        0x29 => "Control Supervisor",
        0x2A => "AC/DC Drive",
        0x37 => "File",
        0x43 => "Time Sync",
        0x47 => "Device Level Ring",
        0x48 => "QoS",
        0x67 => "PCCC",
        0x6B => "Symbol",
        0x6C => "Template",
        0x8B => "Wall Clock Time",
        0x8E => "Controller (0x8E)",
        0xA1 => "Non-Volatile Storage",
        0xF4 => "Port",
        0xF5 => "TCP/IP Interface",
        0xF6 => "Ethernet Link",
        _ => return None,
    })
}

/// Names of the common services (Vol. 1 Appendix A, table ).
pub fn common_service_name(service: u8) -> &'static str {
    match service {
        0x01 => "Get_Attributes_All",
        0x02 => "Set_Attributes_All",
        0x03 => "Get_Attribute_List",
        0x04 => "Set_Attribute_List",
        0x05 => "Reset",
        0x06 => "Start",
        0x07 => "Stop",
        0x08 => "Create",
        0x09 => "Delete",
        0x0A => "Multiple_Service_Packet",
        0x0D => "Apply_Attributes",
        0x0E => "Get_Attribute_Single",
        0x10 => "Set_Attribute_Single",
        0x11 => "Find_Next_Object_Instance",
        0x14 => "Error_Response",
        0x15 => "Restore",
        0x16 => "Save",
        0x17 => "No_Operation",
        0x18 => "Get_Member",
        0x19 => "Set_Member",
        0x1A => "Insert_Member",
        0x1B => "Remove_Member",
        0x1C => "GetConnectionPointMemberList",
        0x00..=0x31 => "Reserved Common Service",
        0x32..=0x4A => "Reserved Service",
        _ => "Object-Specific Service",
    }
}

/// Classes whose attributes describe the device or its network attachment rather than the
/// process: reading them is `diagnostic`, not `read`.
fn describes_device(class: Option<u32>) -> bool {
    matches!(
        class,
        Some(0x01 | 0x02 | 0x06 | 0x43 | 0x47 | 0x48 | 0xF4 | 0xF5 | 0xF6)
    )
}

/// Class of a common service (Vol. 1 Appendix A): reads and writes of attributes, and the
/// state-changing Reset/Start/Stop (A-4.4..A-4.6).
fn common_service_class(service: u8, class: Option<u32>) -> OpClass {
    use OpClass::*;
    match service {
        0x01 | 0x03 | 0x0E | 0x18 => {
            if describes_device(class) {
                Diagnostic
            } else {
                Read
            }
        }
        0x02 | 0x04 | 0x08 | 0x09 | 0x0D | 0x10 | 0x15 | 0x19 | 0x1A | 0x1B => Write,
        0x05..=0x07 => Control,
        0x11 | 0x1C => Diagnostic,
        _ => Other,
    }
}

/// `"<service> (<class>)"` for the common services on well-known classes, as `&'static str`
/// (operation names are static). Built from two lists so no combination is typed by hand.
macro_rules! qualified {
    ($service:expr, $class:expr,
     services: $services:tt,
     classes: [$($c:literal => $cn:literal),* $(,)?]) => {
        match $class {
            $( $c => qualified!(@services $service, $cn, $services), )*
            _ => None,
        }
    };
    (@services $service:expr, $cn:literal, [$($s:literal => $sn:literal),* $(,)?]) => {
        match $service {
            $( $s => Some(concat!($sn, " (", $cn, ")")), )*
            _ => None,
        }
    };
}

fn qualified_name(service: u8, class: u32) -> Option<&'static str> {
    qualified!(service, class,
        services: [
            0x01 => "Get_Attributes_All",
            0x02 => "Set_Attributes_All",
            0x03 => "Get_Attribute_List",
            0x04 => "Set_Attribute_List",
            0x05 => "Reset",
            0x06 => "Start",
            0x07 => "Stop",
            0x08 => "Create",
            0x09 => "Delete",
            0x0D => "Apply_Attributes",
            0x0E => "Get_Attribute_Single",
            0x10 => "Set_Attribute_Single",
            0x11 => "Find_Next_Object_Instance",
            0x15 => "Restore",
            0x16 => "Save",
            0x18 => "Get_Member",
            0x19 => "Set_Member",
        ],
        classes: [
            0x01 => "Identity",
            0x02 => "Message Router",
            0x04 => "Assembly",
            0x06 => "Connection Manager",
            0x0F => "Parameter",
            0x37 => "File",
            0x43 => "Time Sync",
            0x47 => "Device Level Ring",
            0x48 => "QoS",
            0x8B => "Wall Clock Time",
            0x8E => "Controller (0x8E)",
            0xA1 => "Non-Volatile Storage",
            0xF4 => "Port",
            0xF5 => "TCP/IP Interface",
            0xF6 => "Ethernet Link",
        ]
    )
}

/// Name and class of an object-specific service (0x4B..=0x63), whose meaning depends on the
/// class addressed.
fn object_specific(service: u8, class: Option<u32>, symbolic: bool) -> (&'static str, OpClass) {
    use OpClass::*;
    match class {
        // Connection Manager (Vol. 1 §3-5.5.1). Opening or closing a connection sets up
        // messaging or I/O; what then flows is reported on its own, so these are `other`.
        Some(Class::CONNECTION_MANAGER) => match service {
            0x4E => ("Forward_Close", Other),
            0x52 => ("Unconnected_Send", Other),
            0x54 => ("Forward_Open", Other),
            0x56 => ("Get_Connection_Data", Diagnostic),
            0x57 => ("Search_Connection_Data", Diagnostic),
            0x5A => ("Get_Connection_Owner", Diagnostic),
            0x5B => ("Large_Forward_Open", Other),
            _ => ("Connection Manager Object-Specific Service", Other),
        },
        // PCCC (DF1 commands of SLC/PLC-5 tunnelled through CIP); the PCCC command inside
        // could read or write, and is not decoded here.
        Some(Class::PCCC) => match service {
            0x4B => ("Execute_PCCC", Other),
            _ => ("PCCC Object-Specific Service", Other),
        },
        // Firmware images are written through the Non-Volatile Storage object.
        Some(Class::NON_VOLATILE_STORAGE) => ("Non-Volatile Storage Service (firmware)", Program),
        // The ControlLogix controller object: besides Start/Stop (common services) its
        // object-specific services lock and unlock the controller (Quickdraw lock/unlock and
        // cip_unlock_cpu captures), which change what the controller accepts.
        Some(Class::CONTROLLER) => ("Controller Service (lock/mode)", Control),
        // Logix tag services (Rockwell 1756-PM020 "Logix5000 Data Access"): addressed by
        // symbolic segment or to the Symbol/Template objects.
        _ if symbolic || matches!(class, Some(Class::SYMBOL | Class::TEMPLATE)) => match service {
            0x4C => ("Read_Tag", Read),
            0x4D => ("Write_Tag", Write),
            0x4E => ("Read_Modify_Write_Tag", Write),
            0x52 => ("Read_Tag_Fragmented", Read),
            0x53 => ("Write_Tag_Fragmented", Write),
            0x55 => ("Get_Instance_Attribute_List", Read),
            _ => ("Object-Specific Service", Other),
        },
        _ => ("Object-Specific Service", Other),
    }
}

/// The operation of a CIP service on a class (`class` is the first logical class segment of
/// the request path; `symbolic` says the path names a tag).
pub fn cip_operation(service: u8, class: Option<u32>, symbolic: bool) -> Operation {
    let service = service & 0x7F;
    let (name, op_class) = match service {
        0x00..=0x31 => (
            class
                .and_then(|c| qualified_name(service, c))
                .unwrap_or_else(|| common_service_name(service)),
            common_service_class(service, class),
        ),
        0x4B..=0x63 => object_specific(service, class, symbolic),
        _ => (common_service_name(service), OpClass::Other),
    };
    Operation {
        protocol: Protocol::Enip,
        code: u16::from(service),
        subcode: class.and_then(|c| u16::try_from(c).ok()),
        name,
        class: op_class,
    }
}

/// Well-known ODVA vendor ids (ODVA vendor id list, as also tabulated by the Wireshark CIP
/// dissector). Unknown ids are reported as numbers only.
pub fn vendor_name(id: u16) -> Option<&'static str> {
    Some(match id {
        1 => "Rockwell Automation/Allen-Bradley",
        2 => "Namco Controls Corp.",
        3 => "Honeywell Inc.",
        4 => "Parker Hannifin Corp. (Veriflo Division)",
        5 => "Rockwell Automation/Reliance Elec.",
        7 => "SMC Corporation",
        8 => "Molex Incorporated",
        12 => "Banner Engineering Corp.",
        26 => "Festo Corporation",
        40 => "WAGO Corporation",
        43 => "BALLUFF, Inc.",
        44 => "Yaskawa Electric America, Inc.",
        46 => "ABB Industrial Systems",
        47 => "Omron Corporation",
        48 => "TURCK, Inc.",
        50 => "Real Time Automation (C&ID)",
        57 => "Pepperl + Fuchs",
        68 => "Eaton Electrical",
        82 => "Mitsubishi Electric Automation, Inc.",
        83 => "OPTO-22",
        90 => "HMS Industrial Networks AB",
        108 => "Beckhoff Automation GmbH",
        109 => "National Instruments",
        145 => "Siemens Energy & Automation/Drives",
        161 => "Mitsubishi Electric Corporation",
        243 => "Schneider Automation, Inc.",
        283 => "Hilscher GmbH",
        309 => "Prosoft Technology",
        315 => "SEW Eurodrive GmbH",
        322 => "ifm efector, inc.",
        345 => "Endress + Hauser",
        356 => "Fanuc Robotics America",
        367 => "Keyence Corporation",
        _ => return None,
    })
}

/// Device profiles (Vol. 1 §6, table 6-7.1).
pub fn device_type_name(device_type: u16) -> Option<&'static str> {
    Some(match device_type {
        0x00 => "Generic Device (deprecated)",
        0x02 => "AC Drive",
        0x03 => "Motor Overload",
        0x04 => "Limit Switch",
        0x05 => "Inductive Proximity Switch",
        0x06 => "Photoelectric Sensor",
        0x07 => "General Purpose Discrete I/O",
        0x09 => "Resolver",
        0x0C => "Communications Adapter",
        0x0E => "Programmable Logic Controller",
        0x10 => "Position Controller",
        0x13 => "DC Drive",
        0x15 => "Contactor",
        0x16 => "Motor Starter",
        0x17 => "Soft Start",
        0x18 => "Human-Machine Interface",
        0x1A => "Mass Flow Controller",
        0x1B => "Pneumatic Valve",
        0x1C => "Vacuum Pressure Gauge",
        0x1D => "Process Control Value",
        0x1E => "Residual Gas Analyzer",
        0x1F => "DC Power Generator",
        0x20 => "RF Power Generator",
        0x21 => "Turbomolecular Vacuum Pump",
        0x22 => "Encoder",
        0x23 => "Safety Discrete I/O Device",
        0x24 => "Fluid Flow Controller",
        0x25 => "CIP Motion Drive",
        0x26 => "CompoNet Repeater",
        0x27 => "Mass Flow Controller, Enhanced",
        0x28 => "CIP Modbus Device",
        0x29 => "CIP Modbus Translator",
        0x2A => "Safety Analog I/O Device",
        0x2B => "Generic Device (keyable)",
        0x2C => "Managed Switch",
        _ => return None,
    })
}

/// A general status that reports a failure. 0x06 (partial transfer) is how fragmented reads
/// say "more follows" (Vol. 1 Appendix B), not an error.
pub fn is_error_status(status: u8) -> bool {
    status != 0x00 && status != 0x06
}
