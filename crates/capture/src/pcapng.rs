//! pcapng (IETF draft-ietf-opsawg-pcapng): sections, interfaces, packet blocks.
//!
//! Read: Section Header, Interface Description (link type, snap length, `if_tsresol`,
//! `if_tsoffset`), Enhanced Packet, Simple Packet and the obsolete Packet block. Every other
//! block type is skipped by its length, as the format intends.

use crate::error::ErrorKind;
use crate::pcap::{read_u16, read_u32};
use zonewarden_wire::LinkType;

pub(crate) const SHB: u32 = 0x0A0D_0D0A;
pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// Largest block accepted: a packet of the hard record limit plus headers and options.
pub(crate) const MAX_BLOCK: u32 = (16 << 20) + 4096;
/// Interfaces per section; more is treated as corruption (it bounds memory).
const MAX_INTERFACES: usize = 4096;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Interface {
    pub link: LinkType,
    pub snaplen: u32,
    /// `if_tsresol`: high bit set means a power of two, else a power of ten (default 6).
    pub tsresol: u8,
    pub tsoffset_secs: i64,
}

impl Interface {
    /// Converts interface time units to nanoseconds since the epoch.
    pub(crate) fn timestamp_nanos(&self, units: u64) -> u64 {
        let nanos = if self.tsresol & 0x80 == 0 {
            match self.tsresol {
                9 => u128::from(units),
                6 => u128::from(units) * 1000,
                3 => u128::from(units) * 1_000_000,
                exp => {
                    let divisor = 10u128.checked_pow(u32::from(exp)).unwrap_or(u128::MAX);
                    u128::from(units) * 1_000_000_000 / divisor.max(1)
                }
            }
        } else {
            let exp = u32::from(self.tsresol & 0x7F).min(127);
            (u128::from(units) * 1_000_000_000) >> exp
        };
        let offset = i128::from(self.tsoffset_secs) * 1_000_000_000;
        u64::try_from((nanos as i128).saturating_add(offset).max(0)).unwrap_or(u64::MAX)
    }
}

#[derive(Debug, Default)]
pub(crate) struct NgState {
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
    /// Every link type seen in the file, for the summary.
    pub links_seen: Vec<LinkType>,
}

/// What a block turned out to be.
pub(crate) enum Block {
    Packet {
        interface: u32,
        ts_units: u64,
        /// Range of the packet bytes within the block.
        data_start: usize,
        caplen: usize,
        origlen: u32,
    },
    SimplePacket {
        data_start: usize,
        caplen_in_block: usize,
        origlen: u32,
    },
    Skipped,
}

impl NgState {
    /// Reads the byte order from a Section Header Block's first 12 bytes.
    pub(crate) fn section_byte_order(head: &[u8]) -> Option<bool> {
        match read_u32(head, 8, false)? {
            BYTE_ORDER_MAGIC => Some(false),
            m if m.swap_bytes() == BYTE_ORDER_MAGIC => Some(true),
            _ => None,
        }
    }

    /// Interprets one complete block (`block` includes type, both lengths and body).
    pub(crate) fn parse_block(&mut self, block: &[u8]) -> Result<Block, ErrorKind> {
        let be = self.big_endian;
        let kind = read_u32(block, 0, be).unwrap_or(0);
        let body_end = block.len().saturating_sub(4);
        let body = block.get(8..body_end).unwrap_or_default();
        match kind {
            SHB => {
                let major = read_u16(body, 4, be).unwrap_or(0);
                if major != 1 {
                    return Err(ErrorKind::Unsupported(format!(
                        "pcapng section version {major} is not supported (only 1.x)"
                    )));
                }
                // A new section starts a new interface table.
                self.interfaces.clear();
                Ok(Block::Skipped)
            }
            IDB => {
                let (Some(link), Some(snaplen)) = (read_u16(body, 0, be), read_u32(body, 4, be))
                else {
                    return Err(ErrorKind::BadBlock(
                        "interface description block shorter than 8 bytes".into(),
                    ));
                };
                if self.interfaces.len() >= MAX_INTERFACES {
                    return Err(ErrorKind::BadBlock(format!(
                        "more than {MAX_INTERFACES} interfaces in one section"
                    )));
                }
                let mut interface = Interface {
                    link: LinkType(u32::from(link)),
                    snaplen,
                    tsresol: 6,
                    tsoffset_secs: 0,
                };
                for (code, value) in options(body.get(8..).unwrap_or_default(), be) {
                    match code {
                        9 => {
                            if let Some(&r) = value.first() {
                                interface.tsresol = r;
                            }
                        }
                        14 => {
                            if let Ok(bytes) = <[u8; 8]>::try_from(value) {
                                interface.tsoffset_secs = if be {
                                    i64::from_be_bytes(bytes)
                                } else {
                                    i64::from_le_bytes(bytes)
                                };
                            }
                        }
                        _ => {}
                    }
                }
                if !self.links_seen.contains(&interface.link) {
                    self.links_seen.push(interface.link);
                }
                self.interfaces.push(interface);
                Ok(Block::Skipped)
            }
            EPB | OPB => {
                // EPB: interface u32; OPB: interface u16 + drops u16. Then the same layout.
                let interface = if kind == EPB {
                    read_u32(body, 0, be)
                } else {
                    read_u16(body, 0, be).map(u32::from)
                };
                let (Some(interface), Some(hi), Some(lo), Some(caplen), Some(origlen)) = (
                    interface,
                    read_u32(body, 4, be),
                    read_u32(body, 8, be),
                    read_u32(body, 12, be),
                    read_u32(body, 16, be),
                ) else {
                    return Err(ErrorKind::BadBlock(
                        "packet block shorter than 20 bytes".into(),
                    ));
                };
                let caplen = caplen as usize;
                if 20 + caplen > body.len() {
                    return Err(ErrorKind::BadBlock(format!(
                        "packet block says {caplen} captured bytes but holds only {}",
                        body.len().saturating_sub(20)
                    )));
                }
                Ok(Block::Packet {
                    interface,
                    ts_units: (u64::from(hi) << 32) | u64::from(lo),
                    data_start: 8 + 20,
                    caplen,
                    origlen,
                })
            }
            SPB => {
                let Some(origlen) = read_u32(body, 0, be) else {
                    return Err(ErrorKind::BadBlock("simple packet block is empty".into()));
                };
                Ok(Block::SimplePacket {
                    data_start: 8 + 4,
                    caplen_in_block: body.len().saturating_sub(4),
                    origlen,
                })
            }
            _ => Ok(Block::Skipped),
        }
    }

    /// Whether the bytes at `b` could start a block: a known type with a length that fits and
    /// matches its trailing copy. Used to resynchronise after a damaged block.
    pub(crate) fn plausible_block(&self, b: &[u8]) -> bool {
        let be = self.big_endian;
        let (Some(kind), Some(len)) = (read_u32(b, 0, be), read_u32(b, 4, be)) else {
            return false;
        };
        let known = matches!(
            kind,
            SHB | IDB | OPB | SPB | 4 | 5 | EPB | 7 | 9 | 10 | 0xBAD
        );
        if !known || len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK {
            return false;
        }
        let len = len as usize;
        match read_u32(b, len - 4, be) {
            Some(trailing) => trailing as usize == len,
            None => false,
        }
    }
}

/// Iterates `(code, value)` over a pcapng option list, stopping at `opt_endofopt` or at the
/// first option that does not fit.
fn options(mut b: &[u8], be: bool) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let code = read_u16(b, 0, be)?;
        let len = usize::from(read_u16(b, 2, be)?);
        if code == 0 {
            return None;
        }
        let value = b.get(4..4 + len)?;
        let padded = 4 + len.div_ceil(4) * 4;
        b = b.get(padded..).unwrap_or_default();
        Some((code, value))
    })
}
