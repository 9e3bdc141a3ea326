//! IEC 61850 / ISO 9506 MMS over the ISO stack on TCP 102: RFC 1006 TPKT, ISO 8073 COTP, and
//! (usually) ISO 8327 session and ISO 8823 presentation layers around the MMS PDU (ISO 9506-2
//! §7 MMSpdu). Some devices and test tools carry the MMS PDU directly in COTP data; both are
//! accepted.
//!
//! Supported: initiate, conclude, confirmed request / response / error (paired by invokeID),
//! unconfirmed (information reports), reject, cancel; every confirmed service by number and
//! name (ISO 9506-2 ConfirmedServiceRequest), with the classes that matter to a plant: read and
//! the model browsing services, write, program (domain download/upload/delete, program
//! invocation create/delete, file delete/rename/obtain), control (start, stop, resume, reset,
//! kill). The identify response gives vendor, model and revision as identity facts.
//! Variable names of read/write are not recorded.
//!
//! Shares port 102 with S7comm: the probe claims a flow only when the first COTP data carries a
//! session SPDU or an MMS PDU, never on a COTP connection request alone.

mod parser;
mod session;
mod types;

#[cfg(test)]
mod tests;

use crate::{Confidence, Dissector, Protocol, Session, TCP};
use zonewarden_model::Direction;

#[derive(Debug, Clone, Copy, Default)]
pub struct Mms;

impl Dissector for Mms {
    fn protocol(&self) -> Protocol {
        Protocol::Mms
    }

    fn transports(&self) -> &'static [u8] {
        TCP
    }

    fn ports(&self) -> &'static [u16] {
        &[102]
    }

    fn probe(&self, _dir: Direction, data: &[u8]) -> Confidence {
        parser::probe(data)
    }

    fn session(&self) -> Box<dyn Session> {
        Box::<session::MmsSession>::default()
    }
}
