//! The datagram parser: one UDP datagram is one BVLL message (Annex J.2), which may carry an
//! NPDU and, unless it is a network layer message, an APDU.

use super::pdu::{Apdu, Bvlc, Npdu, BVLC_LEN};
use super::types::{bvlc_function_name, BVLC_TYPE_IP};
use crate::Confidence;

/// What one datagram holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Datagram<'a> {
    pub bvlc: Bvlc<'a>,
    pub npdu: Option<Npdu<'a>>,
    pub apdu: Option<Apdu<'a>>,
}

/// Decodes one datagram down to the APDU header.
pub(crate) fn parse(data: &[u8]) -> Result<Datagram<'_>, &'static str> {
    let bvlc = Bvlc::parse(data)?;
    let Some(npdu_bytes) = bvlc.npdu else {
        return Ok(Datagram {
            bvlc,
            npdu: None,
            apdu: None,
        });
    };
    let npdu = Npdu::parse(npdu_bytes)?;
    let apdu = if npdu.network_message.is_some() {
        None
    } else {
        Some(Apdu::parse(npdu.rest)?)
    };
    Ok(Datagram {
        bvlc,
        npdu: Some(npdu),
        apdu,
    })
}

/// Recognition from a flow's first datagrams in one direction (the registry may join several
/// datagrams of a direction: each must be a BVLL message whose length ends exactly where the
/// next begins).
pub(crate) fn probe(data: &[u8]) -> Confidence {
    chain(data).unwrap_or_else(|| lone_datagram(data))
}

/// BVLL messages back to back, each length exact; `None` when the walk breaks.
fn chain(data: &[u8]) -> Option<Confidence> {
    let mut rest = data;
    let mut seen = 0u32;
    // A valid BVLL message whose NPDU or APDU does not decode is only consistent.
    let mut weak = false;
    while !rest.is_empty() {
        let (kind, function, length) = Bvlc::header(rest)?;
        if kind != BVLC_TYPE_IP
            || bvlc_function_name(function) == "Unknown BVLC Function"
            || usize::from(length) < BVLC_LEN
        {
            return None;
        }
        let Some(message) = rest.get(..usize::from(length)) else {
            // A length beyond the bytes: a truncated join, consistent so far.
            return (seen > 0).then_some(Confidence::Maybe);
        };
        Bvlc::parse(message).ok()?;
        weak |= parse(message).is_err();
        seen += 1;
        rest = rest.get(usize::from(length)..).unwrap_or_default();
    }
    match (seen, weak) {
        (0, _) => None,
        (_, true) => Some(Confidence::Maybe),
        (_, false) => Some(Confidence::Certain),
    }
}

/// One datagram whose BVLC length disagrees with its size (a stack bug seen in the wild):
/// consistent, not conclusive, when everything after the header decodes.
fn lone_datagram(data: &[u8]) -> Confidence {
    match parse(data) {
        Ok(d) if d.npdu.is_some() => Confidence::Maybe,
        _ => Confidence::NotMine,
    }
}
