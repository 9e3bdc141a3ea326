//! Placeholder being replaced by the real dissector in this session.

use crate::{Confidence, Dissector, Protocol, Session, TCP_AND_UDP};
use zonewarden_model::Direction;

#[derive(Debug, Clone, Copy, Default)]
pub struct HartIp;

impl Dissector for HartIp {
    fn protocol(&self) -> Protocol {
        Protocol::HartIp
    }
    fn transports(&self) -> &'static [u8] {
        TCP_AND_UDP
    }
    fn ports(&self) -> &'static [u16] {
        &[5094]
    }
    fn probe(&self, _dir: Direction, _data: &[u8]) -> Confidence {
        Confidence::NotMine
    }
    fn session(&self) -> Box<dyn Session> {
        Box::new(Placeholder)
    }
}

struct Placeholder;

impl Session for Placeholder {
    fn data(&mut self, _: Direction, _: zonewarden_model::Timestamp, _: &[u8], _: &mut crate::Output<'_>) {}
    fn gap(&mut self, _: Direction, _: u64, _: &mut crate::Output<'_>) {}
}
