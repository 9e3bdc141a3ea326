//! Classic libpcap format (tcpdump.org "pcap savefile", draft-ietf-opsawg-pcap).

use crate::error::ErrorKind;
use crate::source::Source;
use zonewarden_wire::LinkType;

pub(crate) const MAGIC_MICRO: u32 = 0xA1B2_C3D4;
pub(crate) const MAGIC_NANO: u32 = 0xA1B2_3C4D;
pub(crate) const HEADER_LEN: usize = 24;
pub(crate) const RECORD_HEADER_LEN: usize = 16;
/// libpcap's own ceiling for one record; used when the file header's snaplen is smaller or
/// nonsense.
pub(crate) const DEFAULT_MAX_RECORD: u32 = 262_144;
/// No capture record is larger than this, whatever its header claims.
pub(crate) const HARD_MAX_RECORD: u32 = 16 << 20;
/// How far ahead resynchronisation looks for the next plausible record before giving up.
const RESYNC_WINDOW: usize = 4 << 20;

#[derive(Debug, Clone, Copy)]
pub(crate) struct PcapState {
    pub big_endian: bool,
    pub nanos: bool,
    pub link: LinkType,
    pub max_record: u32,
    /// Seconds of the last good record, to judge plausibility while resynchronising.
    pub last_secs: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordHeader {
    pub secs: u32,
    pub frac: u32,
    pub caplen: u32,
    pub origlen: u32,
}

impl PcapState {
    pub(crate) fn from_header(header: &[u8]) -> Result<PcapState, ErrorKind> {
        let magic_le = read_u32(header, 0, false);
        let (big_endian, nanos) = match magic_le {
            Some(MAGIC_MICRO) => (false, false),
            Some(MAGIC_NANO) => (false, true),
            Some(m) if m.swap_bytes() == MAGIC_MICRO => (true, false),
            Some(m) if m.swap_bytes() == MAGIC_NANO => (true, true),
            _ => return Err(ErrorKind::NotACapture(hex_prefix(header))),
        };
        let major = read_u16(header, 4, big_endian).unwrap_or(0);
        if major != 2 {
            return Err(ErrorKind::Unsupported(format!(
                "pcap version {major} is not supported (only 2.x)"
            )));
        }
        let snaplen = read_u32(header, 16, big_endian).unwrap_or(0);
        // The upper bits of the link-type field carry FCS information (draft §4, "LinkType").
        let link = read_u32(header, 20, big_endian).unwrap_or(0) & 0x03FF_FFFF;
        let max_record = if snaplen > DEFAULT_MAX_RECORD && snaplen <= HARD_MAX_RECORD {
            snaplen
        } else {
            DEFAULT_MAX_RECORD
        };
        Ok(PcapState {
            big_endian,
            nanos,
            link: LinkType(link),
            max_record,
            last_secs: None,
        })
    }

    pub(crate) fn parse_record_header(&self, b: &[u8]) -> Option<RecordHeader> {
        Some(RecordHeader {
            secs: read_u32(b, 0, self.big_endian)?,
            frac: read_u32(b, 4, self.big_endian)?,
            caplen: read_u32(b, 8, self.big_endian)?,
            origlen: read_u32(b, 12, self.big_endian)?,
        })
    }

    pub(crate) fn timestamp_nanos(&self, h: &RecordHeader) -> u64 {
        let frac = if self.nanos {
            u64::from(h.frac)
        } else {
            u64::from(h.frac) * 1000
        };
        u64::from(h.secs) * 1_000_000_000 + frac
    }

    /// Whether a header could start a real record: lengths within limits, fraction in range,
    /// and a time within a day of the last good record.
    fn plausible(&self, h: &RecordHeader) -> bool {
        let frac_limit = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let time_ok = match self.last_secs {
            Some(last) => h.secs.abs_diff(last) <= 86_400,
            None => true,
        };
        h.caplen <= self.max_record
            && h.caplen > 0
            && h.origlen >= h.caplen
            && h.origlen <= HARD_MAX_RECORD
            && h.frac < frac_limit
            && time_ok
    }

    /// Looks for the next offset where two consecutive plausible records (or one record that
    /// ends exactly at end of file) start. Returns bytes to skip, or `None` if there is none
    /// within the window.
    pub(crate) fn resync(&self, src: &mut Source) -> std::io::Result<Option<usize>> {
        let available = src.fill(RESYNC_WINDOW)?;
        let window = src.window();
        for skip in 1..available {
            let Some(rest) = window.get(skip..) else {
                break;
            };
            let Some(h) = self.parse_record_header(rest) else {
                break;
            };
            if !self.plausible(&h) {
                continue;
            }
            let next = RECORD_HEADER_LEN + h.caplen as usize;
            match rest.get(next..) {
                Some([]) => return Ok(Some(skip)),
                Some(after) => {
                    if let Some(h2) = self.parse_record_header(after) {
                        if self.plausible(&h2) && h2.secs.abs_diff(h.secs) <= 86_400 {
                            return Ok(Some(skip));
                        }
                    }
                }
                None => {}
            }
        }
        Ok(None)
    }
}

pub(crate) fn read_u32(b: &[u8], off: usize, big_endian: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

pub(crate) fn read_u16(b: &[u8], off: usize, big_endian: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

pub(crate) fn hex_prefix(b: &[u8]) -> String {
    let shown: Vec<String> = b.iter().take(4).map(|x| format!("{x:02x}")).collect();
    if shown.is_empty() {
        "none: the file is empty".to_string()
    } else {
        shown.join(" ")
    }
}
