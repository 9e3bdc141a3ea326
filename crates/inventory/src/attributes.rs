//! Identity facts → asset attributes (vendor, model, firmware, serial, hostname, OS), each
//! with a confidence that says how directly the protocol states it.
//!
//! Confidence (0–100, shown as high ≥ 80, medium ≥ 50, low below):
//! - a device's own answer to an identity request (CIP ListIdentity, S7 SZL, Modbus 43/14,
//!   BACnet Device object, MMS identify): 90;
//! - names a device announces or is given (LLDP, DHCP, NetBIOS, PROFINET name of station,
//!   SNMP sysName): 80–85; a DNS answer about it: 70;
//! - what the protocol implies (S7comm is spoken by Siemens and compatible controllers): 60;
//! - the NIC's IEEE OUI (the interface maker, often not the device maker): 40.
//!
//! Conflicting observations are all kept; the asset shows the most confident one, then the
//! most often seen, then the earliest.

use serde::Serialize;
use zonewarden_dissect::Protocol;

/// The attributes the inventory table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    Vendor,
    Model,
    Firmware,
    Serial,
    Hostname,
    Os,
}

impl Attribute {
    pub const ALL: [Attribute; 6] = [
        Attribute::Vendor,
        Attribute::Model,
        Attribute::Firmware,
        Attribute::Serial,
        Attribute::Hostname,
        Attribute::Os,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Attribute::Vendor => "vendor",
            Attribute::Model => "model",
            Attribute::Firmware => "firmware",
            Attribute::Serial => "serial",
            Attribute::Hostname => "hostname",
            Attribute::Os => "os",
        }
    }
}

/// Confidence of an observation, 0–100.
pub type Confidence = u8;

pub fn confidence_label(c: Confidence) -> &'static str {
    match c {
        80.. => "high",
        50.. => "medium",
        _ => "low",
    }
}

/// Which attribute a fact sets, with what confidence, and the value to show (some facts need
/// rewording: an SNMP sysDescr is an OS hint, not the OS).
pub fn attribute_of(
    protocol: Protocol,
    field: &str,
    value: &str,
) -> Option<(Attribute, Confidence, String)> {
    use Attribute::*;
    let keep = |a: Attribute, c: Confidence| Some((a, c, value.to_string()));
    match (protocol, field) {
        (_, "vendor") => keep(Vendor, 90),
        (Protocol::Opcua | Protocol::Fox, "product_name") => None,
        (Protocol::ProfinetDcp, "product_name") => keep(Model, 75),
        (Protocol::Ads, "product_name") => keep(Model, 70),
        (_, "product_name" | "model_name" | "order_code") => keep(Model, 90),
        (Protocol::S7comm, "module_type") => keep(Model, 85),
        (Protocol::Modbus, "product_code") => keep(Model, 80),
        (Protocol::Bacnet, "revision") => None,
        (_, "firmware") => keep(Firmware, 90),
        (Protocol::Enip | Protocol::Modbus | Protocol::Mms, "revision") => keep(Firmware, 85),
        (_, "serial_number") => keep(Serial, 90),
        (Protocol::Snmp, "hostname") => keep(Hostname, 85),
        (Protocol::ProfinetDcp, "station_name") => keep(Hostname, 85),
        (_, "hostname" | "lldp_system_name" | "cdp_device_id" | "netbios_name") => {
            keep(Hostname, 80)
        }
        (Protocol::Bacnet, "object_name") => keep(Hostname, 70),
        (_, "dns_name") => keep(Hostname, 70),
        (Protocol::S7comm, "station_name") => keep(Hostname, 70),
        (_, "station_name") => keep(Hostname, 60),
        (_, "os") => keep(Os, 80),
        (Protocol::Snmp, "snmp_sys_descr") => os_hint(value).map(|os| (Os, 60, os)),
        (Protocol::Dhcp, "dhcp_vendor_class") => os_hint(value).map(|os| (Os, 60, os)),
        (Protocol::Http, "http_user_agent") => os_hint(value).map(|os| (Os, 50, os)),
        _ => None,
    }
}

/// Model and firmware inside a free-text self-description (LLDP system description, SNMP
/// sysDescr). Industrial switches write comma-separated fields such as
/// "Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02": an order
/// number (Siemens `6xx…` article numbers) is the model, `FW:` the firmware.
pub fn from_description(
    protocol: Protocol,
    field: &str,
    text: &str,
) -> Vec<(Attribute, Confidence, String)> {
    if !matches!(
        (protocol, field),
        (Protocol::Lldp, "lldp_system_description") | (Protocol::Snmp, "snmp_sys_descr")
    ) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for part in text.split([',', ';']).map(str::trim) {
        let lower = part.to_ascii_lowercase();
        if let Some(version) = lower
            .strip_prefix("fw:")
            .or_else(|| lower.strip_prefix("firmware:"))
            .and_then(|_| part.split_once(':'))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
        {
            found.push((Attribute::Firmware, 70, version.to_string()));
        }
        let is_order_number = part.len() >= 10
            && part.starts_with('6')
            && part.chars().nth(1).is_some_and(|c| c.is_ascii_uppercase())
            && part.chars().filter(char::is_ascii_digit).count() >= 6;
        if is_order_number {
            found.push((Attribute::Model, 75, part.to_string()));
        }
    }
    found
}

/// A vendor implied by the protocol itself (only one maker's devices serve it).
pub fn implied_vendor(protocol: Protocol) -> Option<&'static str> {
    match protocol {
        Protocol::S7comm | Protocol::S7commPlus => Some("Siemens"),
        Protocol::Fins => Some("Omron"),
        Protocol::Melsec => Some("Mitsubishi Electric"),
        Protocol::Ads => Some("Beckhoff"),
        Protocol::Fox => Some("Tridium"),
        _ => None,
    }
}

/// An operating system named in free text (SNMP sysDescr, DHCP vendor class, User-Agent).
pub fn os_hint(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let known: [(&str, &str); 10] = [
        ("msft 5.0", "Windows"),
        ("windows", "Windows"),
        ("cisco ios", "Cisco IOS"),
        ("junos", "Junos"),
        ("vxworks", "VxWorks"),
        ("freebsd", "FreeBSD"),
        ("android", "Android"),
        ("mac os x", "macOS"),
        ("linux", "Linux"),
        ("qnx", "QNX"),
    ];
    known
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, os)| (*os).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_answers_outrank_implications_and_ouis() {
        let (a, c, v) = attribute_of(Protocol::Enip, "product_name", "1756-ENBT/A").unwrap();
        assert_eq!((a, v.as_str()), (Attribute::Model, "1756-ENBT/A"));
        assert!(c > 60);
        assert_eq!(
            attribute_of(Protocol::Enip, "revision", "4.3").map(|x| x.0),
            Some(Attribute::Firmware)
        );
        // OPC UA's product name is server software, not the device model.
        assert!(attribute_of(Protocol::Opcua, "product_name", "UaServer").is_none());
        assert_eq!(implied_vendor(Protocol::S7comm), Some("Siemens"));
        assert_eq!(implied_vendor(Protocol::Modbus), None);
    }

    #[test]
    fn switch_descriptions_give_model_and_firmware() {
        let found = from_description(
            Protocol::Lldp,
            "lldp_system_description",
            "Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02",
        );
        assert!(found.contains(&(Attribute::Model, 75, "6GK5 212-2BB00-2AA3".into())));
        assert!(found.contains(&(Attribute::Firmware, 70, "V4.02".into())));
        assert!(from_description(Protocol::Lldp, "lldp_system_name", "FW: 1").is_empty());
        assert!(from_description(Protocol::Snmp, "snmp_sys_descr", "Linux host 5.10").is_empty());
    }

    #[test]
    fn os_hints_from_free_text() {
        assert_eq!(os_hint("MSFT 5.0").as_deref(), Some("Windows"));
        assert_eq!(
            os_hint("Cisco IOS Software, C2960 Software").as_deref(),
            Some("Cisco IOS")
        );
        assert_eq!(os_hint("Linux plc 4.9.0").as_deref(), Some("Linux"));
        assert_eq!(os_hint("S7-300"), None);
        assert_eq!(confidence_label(90), "high");
        assert_eq!(confidence_label(60), "medium");
        assert_eq!(confidence_label(40), "low");
    }
}
