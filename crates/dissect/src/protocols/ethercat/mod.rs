//! EtherCAT (IEC 61158-4-12 / ETG.1000.4), EtherType 0x88A4: a master's frame passes through
//! every slave, each datagram in it addressing slave memory or the logical process image.
//!
//! Frame header (2 bytes, little endian): length (11 bits), reserved (1), type (4; 1 = EtherCAT
//! datagrams). Each datagram: command (1), index (1), address (4), length/flags (2: length 11
//! bits, circulating bit 14, "more datagrams follow" bit 15), interrupt (2), data, working
//! counter (2).
//!
//! Every datagram is one operation of the frame's sender, named by its command: the read
//! commands (APRD, FPRD, BRD, LRD) are `read`, writes and read-writes (APWR, FPWR, BWR, LWR,
//! APRW, FPRW, BRW, LRW) are `write`, the distributed-clock commands (ARMW, FRMW) and NOP are
//! `other`. A frame seen again on its way back (same datagrams, higher working counter) counts
//! again: the map counts frames on the wire, as a capture shows them.

#[cfg(test)]
mod tests;

use crate::{MessageKind, OpClass, Operation, Output, Protocol};
use zonewarden_model::Direction;

pub(crate) const ETHERTYPE: u16 = 0x88A4;
/// Datagrams walked per frame; a frame holds at most ~100 in 1500 bytes.
const MAX_DATAGRAMS: usize = 128;

fn command(code: u8) -> (&'static str, OpClass) {
    use OpClass::*;
    match code {
        0 => ("NOP", Other),
        1 => ("APRD", Read),
        2 => ("APWR", Write),
        3 => ("APRW", Write),
        4 => ("FPRD", Read),
        5 => ("FPWR", Write),
        6 => ("FPRW", Write),
        7 => ("BRD", Read),
        8 => ("BWR", Write),
        9 => ("BRW", Write),
        10 => ("LRD", Read),
        11 => ("LWR", Write),
        12 => ("LRW", Write),
        13 => ("ARMW", Other),
        14 => ("FRMW", Other),
        _ => ("Unknown Command", Other),
    }
}

fn le16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off + 2)?;
    Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
}

/// Decodes one EtherCAT frame (the payload after the EtherType).
pub(crate) fn frame(payload: &[u8], out: &mut Output<'_>) {
    let Some(header) = le16(payload, 0) else {
        out.anomaly(Direction::ToServer, 0, "EtherCAT frame header truncated");
        return;
    };
    if header >> 12 != 1 {
        // Other frame types (network variables, mailbox gateway) are counted as L2 traffic only.
        return;
    }
    let mut offset = 2usize;
    for _ in 0..MAX_DATAGRAMS {
        let (Some(&code), Some(len_flags)) = (payload.get(offset), le16(payload, offset + 6))
        else {
            out.anomaly(
                Direction::ToServer,
                offset as u64,
                "EtherCAT datagram header truncated",
            );
            return;
        };
        let len = usize::from(len_flags & 0x07FF);
        let more = len_flags & 0x8000 != 0;
        let (name, class) = command(code);
        let op = Operation {
            protocol: Protocol::Ethercat,
            code: u16::from(code),
            subcode: None,
            name,
            class,
        };
        out.operation(op, MessageKind::Request, false, None);
        // Header 10 bytes, data, working counter 2 bytes.
        let end = offset + 10 + len + 2;
        if end > payload.len() {
            out.malformed(
                Direction::ToServer,
                offset as u64,
                "EtherCAT datagram runs past the frame",
            );
            return;
        }
        if !more {
            return;
        }
        offset = end;
    }
}
