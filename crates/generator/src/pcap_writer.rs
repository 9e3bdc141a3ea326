//! Classic libpcap file writer.
//!
//! Format per the libpcap file format (draft-ietf-opsawg-pcap §4 and §5):
//! a 24-byte global header followed by records of a 16-byte header and the
//! frame. Everything is little-endian, so readers see the magic as bytes
//! `d4 c3 b2 a1` and know the file uses microsecond timestamps.

use std::io::{self, Write};

/// Magic number for microsecond-resolution pcap files.
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const VERSION_MAJOR: u16 = 2;
const VERSION_MINOR: u16 = 4;
/// Largest frame a reader must accept; every record is written in full.
const SNAPLEN: u32 = 65_535;
/// LINKTYPE_ETHERNET (IEEE 802.3 frames without FCS).
const LINKTYPE_ETHERNET: u32 = 1;

pub const GLOBAL_HEADER_LEN: u64 = 24;
pub const RECORD_HEADER_LEN: u64 = 16;

/// What a finished file contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapStats {
    pub packets: u64,
    pub bytes_written: u64,
    /// 0 when no packet was written.
    pub first_ts_us: u64,
    /// 0 when no packet was written.
    pub last_ts_us: u64,
}

/// Streams packet records to `out`, tracking the counts reported in
/// [`crate::GenSummary`].
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    bytes_written: u64,
    packets: u64,
    first_ts_us: Option<u64>,
    last_ts_us: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut header = [0u8; GLOBAL_HEADER_LEN as usize];
        let fields = MAGIC_MICROS
            .to_le_bytes()
            .into_iter()
            .chain(VERSION_MAJOR.to_le_bytes())
            .chain(VERSION_MINOR.to_le_bytes())
            .chain(0i32.to_le_bytes()) // thiszone: timestamps are UTC
            .chain(0u32.to_le_bytes()) // sigfigs: always 0 in practice
            .chain(SNAPLEN.to_le_bytes())
            .chain(LINKTYPE_ETHERNET.to_le_bytes());
        for (slot, byte) in header.iter_mut().zip(fields) {
            *slot = byte;
        }
        out.write_all(&header)?;
        Ok(Self {
            out,
            bytes_written: GLOBAL_HEADER_LEN,
            packets: 0,
            first_ts_us: None,
            last_ts_us: 0,
        })
    }

    /// Size of the file so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Size a record for `frame_len` bytes adds to the file.
    pub fn record_len(frame_len: usize) -> u64 {
        RECORD_HEADER_LEN + frame_len as u64
    }

    /// Appends one record; captured length always equals the original length.
    pub fn write_packet(&mut self, ts_us: u64, frame: &[u8]) -> io::Result<()> {
        let secs = u32::try_from(ts_us / 1_000_000).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "timestamp beyond the range of pcap's 32-bit seconds",
            )
        })?;
        let micros = (ts_us % 1_000_000) as u32;
        let len = u32::try_from(frame.len())
            .ok()
            .filter(|&len| len <= SNAPLEN)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "frame exceeds snaplen"))?;
        let mut header = [0u8; RECORD_HEADER_LEN as usize];
        let fields = secs
            .to_le_bytes()
            .into_iter()
            .chain(micros.to_le_bytes())
            .chain(len.to_le_bytes())
            .chain(len.to_le_bytes());
        for (slot, byte) in header.iter_mut().zip(fields) {
            *slot = byte;
        }
        self.out.write_all(&header)?;
        self.out.write_all(frame)?;
        self.bytes_written += Self::record_len(frame.len());
        self.packets += 1;
        self.first_ts_us.get_or_insert(ts_us);
        self.last_ts_us = ts_us;
        Ok(())
    }

    /// Flushes the output.
    pub fn finish(mut self) -> io::Result<PcapStats> {
        self.out.flush()?;
        Ok(PcapStats {
            packets: self.packets,
            bytes_written: self.bytes_written,
            first_ts_us: self.first_ts_us.unwrap_or(0),
            last_ts_us: self.last_ts_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_header_layout() {
        let mut out = Vec::new();
        let writer = PcapWriter::new(&mut out).unwrap();
        let stats = writer.finish().unwrap();
        assert_eq!(
            stats,
            PcapStats {
                packets: 0,
                bytes_written: 24,
                first_ts_us: 0,
                last_ts_us: 0
            }
        );
        assert_eq!(
            out,
            [
                0xd4, 0xc3, 0xb2, 0xa1, // magic, little-endian
                0x02, 0x00, 0x04, 0x00, // version 2.4
                0, 0, 0, 0, // thiszone
                0, 0, 0, 0, // sigfigs
                0xff, 0xff, 0x00, 0x00, // snaplen 65535
                0x01, 0x00, 0x00, 0x00, // LINKTYPE_ETHERNET
            ]
        );
    }

    #[test]
    fn record_layout() {
        let mut out = Vec::new();
        let mut writer = PcapWriter::new(&mut out).unwrap();
        writer
            .write_packet(1_767_225_600_000_123, &[0xaa, 0xbb, 0xcc])
            .unwrap();
        assert_eq!(writer.bytes_written(), 24 + 16 + 3);
        let stats = writer.finish().unwrap();
        assert_eq!(
            stats,
            PcapStats {
                packets: 1,
                bytes_written: 43,
                first_ts_us: 1_767_225_600_000_123,
                last_ts_us: 1_767_225_600_000_123
            }
        );
        assert_eq!(
            &out[24..],
            [
                0x00, 0xb9, 0x55, 0x69, // 1767225600 s
                0x7b, 0x00, 0x00, 0x00, // 123 µs
                0x03, 0x00, 0x00, 0x00, // caplen
                0x03, 0x00, 0x00, 0x00, // origlen
                0xaa, 0xbb, 0xcc,
            ]
        );
    }

    #[test]
    fn rejects_unrepresentable_timestamps() {
        let mut writer = PcapWriter::new(Vec::new()).unwrap();
        let too_late = (u64::from(u32::MAX) + 1) * 1_000_000;
        assert!(writer.write_packet(too_late, &[0]).is_err());
    }
}
