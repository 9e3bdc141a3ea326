//! C37.118 framing (FRAMESIZE gives the frame's length; CHK closes it) and the fields the
//! session needs. Nothing here indexes: every field is read with `get`.

use crate::Confidence;

/// SYNC's first byte (§6.2, Table 2).
pub(crate) const SYNC: u8 = 0xAA;
/// SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC.
pub(crate) const HEADER_LEN: usize = 14;
/// The smallest frame: the header and CHK.
pub(crate) const MIN_FRAME: usize = HEADER_LEN + 2;
/// FRAMESIZE is 16 bits, so no frame is longer: this bounds the per-direction buffer.
pub(crate) const MAX_FRAME: usize = 65535;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub sync: [u8; 2],
    pub frame_type: u8,
    pub version: u8,
    pub size: usize,
    pub idcode: u16,
}

impl Header {
    /// `None` when fewer than six bytes are available.
    pub(crate) fn parse(b: &[u8]) -> Option<Header> {
        let &[s0, s1, l0, l1, i0, i1] = b.first_chunk::<6>()?;
        Some(Header {
            sync: [s0, s1],
            frame_type: (s1 >> 4) & 0x07,
            version: s1 & 0x0F,
            size: usize::from(u16::from_be_bytes([l0, l1])),
            idcode: u16::from_be_bytes([i0, i1]),
        })
    }

    /// SYNC, reserved bit 7 clear, a defined frame type, a version in use (1: 2005, 2: 2011,
    /// 3: CFG-3 era), room for the header and CHK.
    pub(crate) fn is_plausible(&self) -> bool {
        self.sync[0] == SYNC
            && self.sync[1] & 0x80 == 0
            && self.frame_type <= 5
            && (1..=3).contains(&self.version)
            && self.size >= MIN_FRAME
    }
}

/// CRC-CCITT as C37.118.2 Annex B defines it: polynomial 0x1021, initial 0xFFFF, MSB first,
/// no final XOR.
pub(crate) fn crc_ccitt(data: &[u8]) -> u16 {
    data.iter().fold(0xFFFFu16, |mut crc, &byte| {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
        crc
    })
}

/// Whether a whole frame's CHK matches.
pub(crate) fn crc_ok(frame: &[u8]) -> bool {
    let Some(body_len) = frame.len().checked_sub(2) else {
        return false;
    };
    match (frame.get(..body_len), frame.get(body_len..)) {
        (Some(body), Some(&[c0, c1])) => crc_ccitt(body) == u16::from_be_bytes([c0, c1]),
        _ => false,
    }
}

/// Recognition: a whole frame with a good CRC is certain; a plausible header is maybe.
pub(crate) fn probe(data: &[u8]) -> Confidence {
    let Some(header) = Header::parse(data) else {
        let start_ok =
            data.first().is_none_or(|&b| b == SYNC) && data.get(1).is_none_or(|&b| b & 0x80 == 0);
        return if start_ok {
            Confidence::NeedMore
        } else {
            Confidence::NotMine
        };
    };
    if !header.is_plausible() {
        return Confidence::NotMine;
    }
    match data.get(..header.size) {
        Some(frame) if crc_ok(frame) => Confidence::Certain,
        Some(_) => Confidence::NotMine,
        None => Confidence::Maybe,
    }
}

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A whole frame, CHK included, whatever its CRC.
    Frame {
        offset: u64,
        header: Header,
        frame: &'a [u8],
    },
    /// Bytes that are not C37.118 frames, skipped.
    Garbage { offset: u64, len: usize },
}

/// Per-direction resumable framer.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Stream offset of the first byte not yet consumed.
    offset: u64,
}

impl Framer {
    pub(crate) fn push(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) {
        self.buf.extend_from_slice(data);
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0usize;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            let Some(header) = Header::parse(rest) else {
                break;
            };
            if !header.is_plausible() {
                let skip = (1..rest.len())
                    .find(|&i| rest.get(i) == Some(&SYNC))
                    .unwrap_or(rest.len());
                on(Event::Garbage {
                    offset: self.offset,
                    len: skip,
                });
                self.offset += skip as u64;
                pos += skip;
                continue;
            }
            let Some(frame) = rest.get(..header.size) else {
                break;
            };
            on(Event::Frame {
                offset: self.offset,
                header,
                frame,
            });
            self.offset += header.size as u64;
            pos += header.size;
        }
        // A plausible header never announces more than MAX_FRAME, so the tail stays below it.
        self.buf
            .extend_from_slice(buf.get(pos..).unwrap_or_default());
        if self.buf.len() > MAX_FRAME {
            on(Event::Garbage {
                offset: self.offset,
                len: self.buf.len(),
            });
            self.offset += self.buf.len() as u64;
            self.buf.clear();
        }
    }

    /// Lost bytes: the partial frame is dropped; the next plausible SYNC resynchronises.
    pub(crate) fn gap(&mut self, len: u64) {
        self.offset += self.buf.len() as u64 + len;
        self.buf.clear();
    }
}

/// Station names of a CFG-1 or CFG-2 frame (§6.4, Table 8): after the header, TIME_BASE (4)
/// and NUM_PMU (2); per PMU STN (16), IDCODE (2), FORMAT (2), PHNMR, ANNMR, DGNMR (2 each),
/// 16-byte channel names (PHNMR + ANNMR + 16 × DGNMR of them), 4-byte units (PHNMR + ANNMR +
/// DGNMR), FNOM (2), CFGCNT (2).
pub(crate) fn cfg12_stations(frame: &[u8], limit: usize) -> Vec<(String, u16)> {
    let mut stations = Vec::new();
    let body = frame.get(HEADER_LEN..).unwrap_or_default();
    let Some(&[_, _, _, _, n0, n1]) = body.first_chunk::<6>() else {
        return stations;
    };
    let mut rest = body.get(6..).unwrap_or_default();
    for _ in 0..u16::from_be_bytes([n0, n1]) {
        if stations.len() >= limit {
            break;
        }
        let Some((stn, after)) = rest.split_first_chunk::<16>() else {
            break;
        };
        let Some((&[i0, i1, _, _, p0, p1, a0, a1, d0, d1], after)) =
            after.split_first_chunk::<10>()
        else {
            break;
        };
        stations.push((text(stn), u16::from_be_bytes([i0, i1])));
        let (ph, an, dg) = (
            usize::from(u16::from_be_bytes([p0, p1])),
            usize::from(u16::from_be_bytes([a0, a1])),
            usize::from(u16::from_be_bytes([d0, d1])),
        );
        let skip = 16 * (ph + an + 16 * dg) + 4 * (ph + an + dg) + 4;
        match after.get(skip..) {
            Some(r) => rest = r,
            None => break,
        }
    }
    stations
}

/// The first PMU's station name of a CFG-3 frame (§6.4.2, Table 10): after the header,
/// CONT_IDX (2), TIME_BASE (4), NUM_PMU (2), then STN as a length byte and that many bytes,
/// then IDCODE (2).
pub(crate) fn cfg3_first_station(frame: &[u8]) -> Option<(String, u16)> {
    let body = frame.get(HEADER_LEN + 8..)?;
    let (&len, rest) = body.split_first()?;
    let name = rest.get(..usize::from(len))?;
    let id = rest.get(usize::from(len)..)?.first_chunk::<2>()?;
    Some((text(name), u16::from_be_bytes(*id)))
}

/// A fixed-size ASCII field, NUL- and space-padded.
fn text(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&c| c != 0)
        .map(|&c| char::from(c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// The CMD of a command frame (§6.6: right after FRACSEC).
pub(crate) fn command(frame: &[u8]) -> Option<u16> {
    let c = frame.get(HEADER_LEN..HEADER_LEN + 2)?;
    Some(u16::from_be_bytes(c.try_into().ok()?))
}
