//! IEC 61850-8-1 GOOSE (Generic Object Oriented Substation Event), EtherType 0x88B8: a
//! publisher multicasts its dataset on every change and then at growing intervals.
//!
//! Frame: APPID (2), Length (2), Reserved1 (2; bit 15 is the simulation flag of edition 2),
//! Reserved2 (2), then the BER-encoded goosePdu ([APPLICATION 1], §8.1.3.4 / annex A): gocbRef
//! [0], timeAllowedtoLive [1], datSet [2], goID [3], t [4], stNum [5], sqNum [6],
//! simulation/test [7], confRev [8], ndsCom [9], numDatSetEntries [10], allData [11].
//!
//! Each frame is one operation of the publisher towards its multicast group, class `write`:
//! subscribers act on GOOSE (trips, interlocks), so a publication changes process state. Test or
//! simulation frames are named apart. gocbRef, datSet and goID are identity facts about the
//! publisher.
//!
//! stNum/sqNum (§18.1.2.5, table 59 of 8-1 Ed.2): a publisher increments stNum by one on each
//! change of its dataset and restarts sqNum (at 0; some Ed.1 devices at 1), and increments sqNum
//! on each retransmission of an unchanged state; both roll over from 4294967295 to 0 (or 1).
//! [`Publishers`] follows them per source MAC and gocbRef and flags what the publisher's own
//! frames cannot produce — stNum back or skipping a state, sqNum back within a state, the same
//! pair twice — as the marks of a replayed or injected frame. A publisher that starts afresh
//! (stNum 1, sqNum 0 or 1: a restart or a re-enabled control block) is not flagged: the
//! reference capture GOOSE.pcap shows one, with the retransmission burst of a new state.

#[cfg(test)]
mod tests;

use crate::{MessageKind, OpClass, Operation, Output, Protocol};
use std::collections::HashMap;
use zonewarden_model::Direction;

pub(crate) const ETHERTYPE: u16 = 0x88B8;

/// The fields of one GOOSE PDU that matter downstream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Goose {
    pub gocb_ref: Option<String>,
    pub dataset: Option<String>,
    pub go_id: Option<String>,
    pub st_num: Option<u64>,
    pub sq_num: Option<u64>,
    pub test: bool,
    pub simulation: bool,
}

/// A BER tag-length-value at the start of `b`: (tag, value, total length).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, header) = if first & 0x80 == 0 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 3 {
            return None;
        }
        let bytes = rest.get(..count)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, 2 + count)
    };
    let value = b.get(header..header.checked_add(len)?)?;
    Some((tag, value, header + len))
}

fn unsigned(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    Some(v.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

/// Decodes a GOOSE payload. A PDU cut short (by the snap length or a broken sender) still
/// yields the fields it holds, with `truncated` set; only a frame without a goosePdu is an error.
pub(crate) fn parse(payload: &[u8]) -> Result<(Goose, bool), &'static str> {
    let (Some(reserved1), Some(pdu)) = (
        payload.get(4..6).map(|r| {
            u16::from_be_bytes([
                r.first().copied().unwrap_or(0),
                r.get(1).copied().unwrap_or(0),
            ])
        }),
        payload.get(8..),
    ) else {
        return Err("shorter than the GOOSE header");
    };
    let (mut fields, truncated) = match tlv(pdu) {
        Some((0x61, fields, _)) => (fields, false),
        // The outer length runs past the frame: read the fields that are there.
        _ if pdu.first() == Some(&0x61) && pdu.len() > 2 => {
            let header = if pdu.get(1).is_some_and(|&l| l & 0x80 != 0) {
                2 + usize::from(pdu.get(1).copied().unwrap_or(0) & 0x7F)
            } else {
                2
            };
            (pdu.get(header..).unwrap_or_default(), true)
        }
        _ => return Err("no goosePdu"),
    };
    let mut goose = Goose {
        simulation: reserved1 & 0x8000 != 0,
        ..Goose::default()
    };
    while let Some((tag, value, used)) = tlv(fields) {
        let text = || Some(String::from_utf8_lossy(value).into_owned());
        match tag {
            0x80 => goose.gocb_ref = text(),
            0x82 => goose.dataset = text(),
            0x83 => goose.go_id = text(),
            0x85 => goose.st_num = unsigned(value),
            0x86 => goose.sq_num = unsigned(value),
            0x87 => goose.test = value.first().is_some_and(|&b| b != 0),
            _ => {}
        }
        fields = fields.get(used..).unwrap_or_default();
    }
    Ok((goose, truncated))
}

/// Publishers followed at most: a flood of forged control block names must not grow memory
/// without bound (a substation has tens to a few hundred publications).
pub(crate) const MAX_PUBLISHERS: usize = 4096;

/// The highest value of the INT32U counters, after which they roll over.
const COUNTER_MAX: u64 = u32::MAX as u64;

/// The last (stNum, sqNum) of each publisher: source MAC, gocbRef, and whether the frames are
/// test/simulation frames (a test set publishing the same control block counts on its own).
#[derive(Debug, Default)]
pub(crate) struct Publishers {
    last: HashMap<([u8; 6], String, bool), (u64, u64)>,
    /// Frames of publishers that found no room in the table.
    pub untracked: u64,
}

/// Whether `now` is the counter after `before`, rolling over.
fn next(before: u64, now: u64) -> bool {
    before.checked_add(1) == Some(now) || (before >= COUNTER_MAX && now <= 1)
}

/// What is wrong with going from `before` to `now` (stNum, sqNum), if anything.
pub(crate) fn sequence_fault(before: (u64, u64), now: (u64, u64)) -> Option<String> {
    let ((st0, sq0), (st, sq)) = (before, now);
    if now == before {
        return Some(format!("stNum {st} sqNum {sq} repeated"));
    }
    if st == 1 && sq <= 1 {
        return None;
    }
    if st == st0 {
        // sqNum may skip forward (frames lost before the capture point), never back.
        return (sq < sq0 && !(sq0 >= COUNTER_MAX && sq <= 1))
            .then(|| format!("sqNum went back from {sq0} to {sq} within stNum {st}"));
    }
    if next(st0, st) {
        return None;
    }
    Some(if st < st0 {
        format!("stNum went back from {st0} to {st}")
    } else {
        format!("stNum jumped from {st0} to {st}")
    })
}

impl Publishers {
    /// Follows one frame's counters; returns what is wrong with them, if anything.
    pub(crate) fn check(&mut self, src: [u8; 6], goose: &Goose) -> Option<String> {
        let (Some(gocb_ref), Some(st), Some(sq)) = (&goose.gocb_ref, goose.st_num, goose.sq_num)
        else {
            return None;
        };
        let test = goose.test || goose.simulation;
        let key = (src, gocb_ref.clone(), test);
        let full = self.last.len() >= MAX_PUBLISHERS;
        match self.last.get_mut(&key) {
            Some(last) => {
                let fault = sequence_fault(*last, (st, sq));
                *last = (st, sq);
                fault
            }
            None if full => {
                self.untracked += 1;
                None
            }
            None => {
                self.last.insert(key, (st, sq));
                None
            }
        }
    }
}

/// Decodes one GOOSE frame (the payload after the EtherType) sent by `src`.
pub(crate) fn frame(
    publishers: &mut Publishers,
    src: [u8; 6],
    payload: &[u8],
    out: &mut Output<'_>,
) {
    match parse(payload) {
        Ok((goose, truncated)) => {
            if truncated {
                out.anomaly(Direction::ToServer, 0, "GOOSE PDU truncated");
            }
            if goose.gocb_ref.is_none() {
                out.malformed(Direction::ToServer, 0, "GOOSE PDU without gocbRef");
            }
            let untracked = publishers.untracked;
            let fault = publishers.check(src, &goose);
            if untracked == 0 && publishers.untracked == 1 {
                out.anomaly(
                    Direction::ToServer,
                    0,
                    format_args!(
                        "more than {MAX_PUBLISHERS} GOOSE publishers; the rest are not followed \
                         for stNum/sqNum"
                    ),
                );
            }
            if let Some(fault) = fault {
                let test = goose.test || goose.simulation;
                let subject = format!(
                    "{}{}",
                    goose.gocb_ref.as_deref().unwrap_or_default(),
                    if test { " (test)" } else { "" }
                );
                out.sequence(
                    subject,
                    format_args!("{fault} (replayed or injected frame?)"),
                );
            }
            let test = goose.test || goose.simulation;
            let op = Operation {
                protocol: Protocol::Goose,
                code: 1,
                subcode: test.then_some(1),
                name: if test {
                    "GOOSE Publish (test/simulation)"
                } else {
                    "GOOSE Publish"
                },
                class: OpClass::Write,
            };
            out.operation(op, MessageKind::Request, false, None);
            for (field, value) in [
                ("goose_gocb_ref", goose.gocb_ref),
                ("goose_dataset", goose.dataset),
                ("goose_id", goose.go_id),
            ] {
                if let Some(value) = value {
                    out.identity(true, field, value);
                }
            }
        }
        Err(reason) => out.malformed(
            Direction::ToServer,
            0,
            format_args!("malformed GOOSE frame: {reason}"),
        ),
    }
}
