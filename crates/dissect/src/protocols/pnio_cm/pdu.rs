//! The connectionless DCE/RPC header and the PNIO records read from it.

/// Connectionless RPC header length (DCE 1.1 RPC §12.5.1).
pub(crate) const HEADER_LEN: usize = 80;

/// PNIO interface UUIDs (IEC 61158-6-10): DEA0000x-6C97-11D1-8271-00A02442DF7D.
const PNIO_UUID_TAIL: [u8; 8] = [0x82, 0x71, 0x00, 0xA0, 0x24, 0x42, 0xDF, 0x7D];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub packet_type: u8,
    pub little_endian: bool,
    /// Interface UUID in canonical (big-endian field) order.
    pub interface: [u8; 16],
    pub activity: [u8; 16],
    pub sequence: u32,
    pub opnum: u16,
    /// Position of this PDU in a fragmented body (0 for the first or only one).
    pub fragment_number: u16,
}

fn uuid(b: &[u8], little_endian: bool) -> Option<[u8; 16]> {
    let mut u: [u8; 16] = b.get(..16)?.try_into().ok()?;
    if little_endian {
        // The first three fields are integers in the sender's byte order.
        u.get_mut(0..4)?.reverse();
        u.get_mut(4..6)?.reverse();
        u.get_mut(6..8)?.reverse();
    }
    Some(u)
}

fn u32_at(b: &[u8], off: usize, le: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    })
}

fn u16_at(b: &[u8], off: usize, le: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(bytes)
    } else {
        u16::from_be_bytes(bytes)
    })
}

impl Header {
    pub(crate) fn parse(b: &[u8]) -> Option<Header> {
        let (&version, &packet_type, &flags1, &drep) =
            (b.first()?, b.get(1)?, b.get(2)?, b.get(4)?);
        if version != 4 || packet_type > 10 || b.len() < HEADER_LEN {
            return None;
        }
        let little_endian = drep & 0x10 != 0;
        Some(Header {
            packet_type,
            little_endian,
            interface: uuid(b.get(24..)?, little_endian)?,
            activity: uuid(b.get(40..)?, little_endian)?,
            sequence: u32_at(b, 64, little_endian)?,
            opnum: u16_at(b, 68, little_endian)?,
            fragment_number: if flags1 & 0x04 != 0 {
                u16_at(b, 76, little_endian)?
            } else {
                0
            },
        })
    }

    /// Which PNIO interface this is (1 device, 2 controller, 3 supervisor, 4 parameter server).
    pub(crate) fn pnio_interface(&self) -> Option<u8> {
        let [a, b, c, kind, e, f, g, h, tail @ ..] = self.interface;
        ([a, b, c] == [0xDE, 0xA0, 0x00]
            && [e, f, g, h] == [0x6C, 0x97, 0x11, 0xD1]
            && tail == PNIO_UUID_TAIL)
            .then_some(kind)
    }
}

/// The I&M0 record (block type 0x0020) anywhere in a read response body, as
/// (vendor id, order id, serial number, hardware revision, software revision).
pub(crate) fn im0(body: &[u8]) -> Option<(u16, String, String, u16, String)> {
    let start = body
        .windows(4)
        .position(|w| w == [0x00, 0x20, 0x00, 0x38])?;
    let block = body.get(start + 6..)?;
    let vendor = u16::from_be_bytes(block.get(..2)?.try_into().ok()?);
    let text = |range: std::ops::Range<usize>| -> Option<String> {
        Some(
            String::from_utf8_lossy(block.get(range)?)
                .trim()
                .to_string(),
        )
    };
    let order = text(2..22)?;
    let serial = text(22..38)?;
    let hardware = u16::from_be_bytes(block.get(38..40)?.try_into().ok()?);
    let [prefix, x, y, z]: [u8; 4] = block.get(40..44)?.try_into().ok()?;
    let software = format!("{}{x}.{y}.{z}", char::from(prefix));
    Some((vendor, order, serial, hardware, software))
}
