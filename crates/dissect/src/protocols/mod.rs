//! One folder per protocol. Each holds: `mod.rs` (spec references, ports, what is supported,
//! the [`Dissector`](crate::Dissector)), `types.rs` (open enums: codes are kept even when
//! unknown), `pdu.rs` (borrowed, length-checked message views), `parser.rs` (the resumable
//! framer), `session.rs` (request/response pairing, caps, resynchronisation) and `tests.rs`
//! (byte vectors). `docs/adding-a-dissector.md` walks through adding one.
//!
//! Layer-2 protocols (`profinet_dcp`, `goose`, `ethercat`, `lldp`, `cdp`) have no flows: the
//! registry hands them each frame through `StreamConsumer::on_frame`; being small, each is one
//! `mod.rs` plus tests.

pub mod ads;
pub mod bacnet;
pub mod bsap;
pub mod c37118;
pub(crate) mod cdp;
pub mod dhcp;
pub mod dnp3;
pub mod dns;
pub mod enip;
pub(crate) mod ethercat;
pub mod fins;
pub mod fox;
pub mod ftp;
pub(crate) mod goose;
pub mod hartip;
pub mod http;
pub mod iec104;
pub(crate) mod lldp;
pub mod melsec;
pub mod mms;
pub mod modbus;
pub mod mqtt;
pub mod netbios;
pub mod opcua;
pub mod pnio_cm;
pub(crate) mod profinet_dcp;
pub mod rdp;
pub mod s7comm;
pub mod smb;
pub mod snmp;
pub mod ssh;
pub mod syslog;
pub mod telnet;
/// The folder to copy for a new protocol (compiled for tests only; see its `mod.rs`).
#[cfg(test)]
mod template;
pub mod tls;

use crate::Dissector;

/// Every dissector, in probing order.
pub fn all() -> Vec<Box<dyn Dissector>> {
    vec![
        Box::new(modbus::Modbus),
        Box::new(dnp3::Dnp3),
        Box::new(s7comm::S7comm),
        Box::new(mms::Mms),
        Box::new(pnio_cm::PnioCm),
        Box::new(enip::Enip),
        Box::new(iec104::Iec104),
        Box::new(mqtt::Mqtt),
        Box::new(fins::Fins),
        Box::new(bacnet::Bacnet),
        Box::new(opcua::Opcua),
        Box::new(hartip::HartIp),
        Box::new(c37118::Synchrophasor),
        Box::new(ads::Ads),
        Box::new(fox::Fox),
        Box::new(bsap::Bsap),
        Box::new(melsec::Melsec),
        // IT protocols, for identity and hygiene, after the industrial ones.
        Box::new(http::Http),
        Box::new(tls::Tls),
        Box::new(ssh::Ssh),
        Box::new(telnet::Telnet),
        Box::new(ftp::Ftp),
        Box::new(smb::Smb),
        Box::new(rdp::Rdp),
        Box::new(dhcp::Dhcp),
        Box::new(netbios::NetbiosNs),
        Box::new(dns::Dns),
        Box::new(dns::DnsTcp),
        Box::new(snmp::Snmp),
        Box::new(syslog::Syslog),
    ]
}
