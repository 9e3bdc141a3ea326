//! EtherNet/IP encapsulation and the CIP messages it carries.
//!
//! References: ODVA, The CIP Networks Library, Vol. 2 "EtherNet/IP Adaptation of CIP"
//! (encapsulation header and commands §2-3, §2-4; Common Packet Format §2-6; implicit I/O over
//! UDP §3-2) and Vol. 1 "Common Industrial Protocol" (Message Router request/response §2-4;
//! Connection Manager services §3-5.5; Identity object §5-2; device profiles §6; common
//! services Appendix A; general status Appendix B; EPATH Appendix C). Logix tag services and
//! the Rockwell classes 0x6B/0x6C/0x8B/0x8E/0xA1 follow Rockwell publication 1756-PM020 and
//! what the Digital Bond Quickdraw captures show.
//!
//! Ports 44818 (explicit messaging, TCP and UDP) and 2222 (implicit I/O, UDP) are hints only;
//! recognition is by content.
//!
//! Operation codes share one `u16` without colliding: CIP service codes (`0x00..=0x7F`, the
//! response bit removed, the same numbers as tshark's `cip.sc`), encapsulation commands as
//! `0x1000 | command` (`ListIdentity` = 0x1063, `SendRRData` = 0x106F…) and implicit I/O
//! datagrams as `0x2000`. A CIP operation's `subcode` is the class id of its request path, so
//! "Stop to class 0x8E" is visible; names of common services on well-known classes include the
//! class ("Get_Attribute_Single (Identity)").
//!
//! Supported: encapsulation framing on TCP with resynchronisation, and per UDP datagram;
//! every command (unknown ones kept by number), encapsulation status as exception;
//! ListIdentity replies as identity facts (vendor id and name, device type, product code,
//! revision, serial number, product name); SendRRData (unconnected, item 0xB2) and
//! SendUnitData (connected, item 0xB1 with sequence count) carrying CIP requests and replies;
//! EPATH decoding (port, logical 8/16/32-bit, electronic key, network, symbolic and ANSI
//! extended symbol segments); Unconnected Send unwrapped (the embedded service is reported as
//! well as the routing service; a routing failure replies for the Unconnected Send itself);
//! Multiple Service Packet expanded (each embedded service is an operation, paired by
//! position); Identity Get_Attributes_All replies as identity facts; general status as
//! exception (0x06 partial transfer excepted); implicit I/O (sequenced address item 0x8002 and
//! connected data) counted per datagram as `read`.
//!
//! Not decoded: the PCCC commands inside Execute_PCCC, tag values, Forward Open connection
//! parameters, ListServices/ListInterfaces item contents, CIP Security (TLS on 2221).

mod parser;
mod pdu;
mod session;
mod types;

#[cfg(test)]
mod tests;

pub use types::{
    cip_operation, class_name, command_name, device_type_name, vendor_name, COMMAND_BASE,
    IMPLICIT_IO,
};

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

/// The EtherNet/IP (and CIP) dissector.
#[derive(Debug, Clone, Copy, Default)]
pub struct Enip;

impl Dissector for Enip {
    fn protocol(&self) -> Protocol {
        Protocol::Enip
    }

    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }

    fn ports(&self) -> &'static [u16] {
        &[44818, 2222]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::EnipSession>::default()
    }
}
