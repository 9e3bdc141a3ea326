//! One folder per protocol. Each holds: `mod.rs` (spec references, ports, what is supported,
//! the [`Dissector`](crate::Dissector)), `types.rs` (open enums: codes are kept even when
//! unknown), `pdu.rs` (borrowed, length-checked message views), `parser.rs` (the resumable
//! framer), `session.rs` (request/response pairing, caps, resynchronisation) and `tests.rs`
//! (byte vectors). `docs/adding-a-dissector.md` walks through adding one.
//!
//! Layer-2 protocols (`profinet_dcp`, `goose`, `ethercat`) have no flows: the registry hands them each
//! frame through `StreamConsumer::on_frame`; being small, each is one `mod.rs` plus tests.

pub mod ads;
pub mod bacnet;
pub mod bsap;
pub mod c37118;
pub mod dnp3;
pub mod enip;
pub(crate) mod ethercat;
pub mod fins;
pub mod fox;
pub(crate) mod goose;
pub mod hartip;
pub mod iec104;
pub mod melsec;
pub mod mms;
pub mod modbus;
pub mod mqtt;
pub mod opcua;
pub mod pnio_cm;
pub(crate) mod profinet_dcp;
pub mod s7comm;
/// The folder to copy for a new protocol (compiled for tests only; see its `mod.rs`).
#[cfg(test)]
mod template;

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
    ]
}
