//! Streaming readers for capture files.
//!
//! A [`CaptureReader`] reads pcap (micro- and nanosecond, either byte order) and pcapng
//! (several sections and interfaces, enhanced/simple/obsolete packet blocks), plain or
//! compressed with gzip or zstd (recognised by magic bytes, not by file name), from a file or
//! standard input.
//!
//! Invariants:
//! - Memory is constant in the size of the capture: packets are borrowed from a refillable
//!   window whose size is bounded by the record-length limits.
//! - Damage is reported as a positioned [`CaptureError`] and reading resumes at the next
//!   plausible record or block when that can be found; only I/O failures, unknown formats and
//!   truncation end a file. Nothing here panics on any input.

mod error;
mod inputs;
mod pcap;
mod pcapng;
mod source;

pub use error::{CaptureError, ErrorKind};
pub use inputs::{expand_inputs, Input, InputList};

use pcap::PcapState;
use pcapng::{Block, NgState};
use source::Source;
use std::io::Read;
use zonewarden_model::Timestamp;
use zonewarden_wire::LinkType;

/// One captured packet, borrowed from the reader until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based position in its file, as Wireshark numbers frames.
    pub number: u64,
    /// Byte offset of the record in the (decompressed) file.
    pub offset: u64,
    pub ts: Timestamp,
    pub link: LinkType,
    pub interface: u32,
    pub data: &'a [u8],
    /// Length on the wire; larger than `data.len()` when the snap length cut the packet.
    pub orig_len: u32,
}

/// A packet and the shared buffer it was read into (see [`CaptureReader::next_shared_packet`]).
#[derive(Debug, Clone, Copy)]
pub struct SharedPacket<'a> {
    pub packet: Packet<'a>,
    pub buffer: &'a std::sync::Arc<Vec<u8>>,
    /// Where `packet.data` starts in `buffer`.
    pub start: usize,
}

/// Container format of an open capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap { nanos: bool, big_endian: bool },
    Pcapng,
}

/// Compression wrapped around the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

enum State {
    Pcap(PcapState),
    Pcapng(NgState),
}

/// Reads packets from one capture, one at a time, in file order.
pub struct CaptureReader {
    name: String,
    src: Source,
    state: State,
    compression: Compression,
    number: u64,
    /// Bytes of the packet handed out last, consumed on the next call (the packet borrows them).
    pending: usize,
    finished: bool,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("format", &self.format())
            .field("compression", &self.compression)
            .field("number", &self.number)
            .finish()
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

impl CaptureReader {
    /// Opens a file, or standard input for `-`.
    pub fn open(path: &std::path::Path) -> Result<CaptureReader, CaptureError> {
        let name = path.display().to_string();
        let reader: Box<dyn Read + Send> = if name == "-" {
            Box::new(std::io::stdin())
        } else {
            let file = std::fs::File::open(path).map_err(|e| CaptureError {
                file: name.clone(),
                offset: 0,
                packet: None,
                kind: ErrorKind::Io(e),
            })?;
            Box::new(file)
        };
        CaptureReader::from_reader(name, reader)
    }

    /// Reads a capture from any byte stream; `name` is used in messages.
    pub fn from_reader(
        name: String,
        reader: Box<dyn Read + Send>,
    ) -> Result<CaptureReader, CaptureError> {
        let error = |offset: u64, kind: ErrorKind| CaptureError {
            file: name.clone(),
            offset,
            packet: None,
            kind,
        };
        let mut src = Source::new(reader);
        src.fill(4).map_err(|e| error(0, ErrorKind::Io(e)))?;
        let head = src.window();
        let compression = if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        };
        if compression != Compression::None {
            let raw: Box<dyn Read + Send> = Box::new(SourceReader(src));
            let inner: Box<dyn Read + Send> = match compression {
                Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
                _ => Box::new(ruzstd::decoding::StreamingDecoder::new(raw).map_err(|e| {
                    error(0, ErrorKind::Unsupported(format!("bad zstd frame: {e}")))
                })?),
            };
            src = Source::new(inner);
        }
        let available = src
            .fill(pcap::HEADER_LEN)
            .map_err(|e| error(0, ErrorKind::Io(e)))?;
        let head = src.window();
        let state = if pcap::read_u32(head, 0, false) == Some(pcapng::SHB) {
            if available < 12 {
                return Err(error(
                    0,
                    ErrorKind::Truncated {
                        what: "section header block",
                        needed: 12,
                        available: available as u64,
                    },
                ));
            }
            let big_endian = NgState::section_byte_order(head).ok_or_else(|| {
                error(
                    8,
                    ErrorKind::NotACapture("pcapng without a valid byte-order magic".into()),
                )
            })?;
            State::Pcapng(NgState {
                big_endian,
                ..NgState::default()
            })
        } else {
            let state = PcapState::from_header(head).map_err(|kind| error(0, kind))?;
            if available < pcap::HEADER_LEN {
                return Err(error(
                    0,
                    ErrorKind::Truncated {
                        what: "pcap file header",
                        needed: pcap::HEADER_LEN as u64,
                        available: available as u64,
                    },
                ));
            }
            src.consume(pcap::HEADER_LEN);
            State::Pcap(state)
        };
        Ok(CaptureReader {
            name,
            src,
            state,
            compression,
            number: 0,
            pending: 0,
            finished: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn format(&self) -> Format {
        match &self.state {
            State::Pcap(s) => Format::Pcap {
                nanos: s.nanos,
                big_endian: s.big_endian,
            },
            State::Pcapng(_) => Format::Pcapng,
        }
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Link types declared so far (pcap: one; pcapng: one per distinct interface type).
    pub fn link_types(&self) -> Vec<LinkType> {
        match &self.state {
            State::Pcap(s) => vec![s.link],
            State::Pcapng(s) => s.links_seen.clone(),
        }
    }

    /// Bytes of the (decompressed) capture consumed so far, for progress reporting.
    pub fn position(&self) -> u64 {
        self.src.offset()
    }

    /// The next packet, `Ok(None)` at the end of the file.
    ///
    /// After an `Err` that is not [fatal](CaptureError::is_fatal), call again: the reader has
    /// skipped the damage. After a fatal error the reader returns `Ok(None)`.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        Ok(self.advance()?.map(|found| self.packet(&found)))
    }

    /// The next packet with the buffer its bytes lie in, `Ok(None)` at the end of the file.
    ///
    /// A caller that keeps a clone of the buffer keeps the packet's bytes at
    /// `start..start + packet.data.len()` without copying them: the reader never writes into
    /// a buffer that someone else holds (it continues in another one).
    #[inline]
    pub fn next_shared_packet(&mut self) -> Result<Option<SharedPacket<'_>>, CaptureError> {
        Ok(self.advance()?.map(|found| SharedPacket {
            packet: self.packet(&found),
            buffer: self.src.buffer(),
            start: self.src.window_start() + found.data_start,
        }))
    }

    /// Finds the next record and leaves it at the start of the window.
    #[inline(always)]
    fn advance(&mut self) -> Result<Option<Found>, CaptureError> {
        self.src.consume(self.pending);
        self.pending = 0;
        if self.finished {
            return Ok(None);
        }
        let result = match self.state {
            State::Pcap(_) => self.locate_pcap(),
            State::Pcapng(_) => self.locate_pcapng(),
        };
        match result {
            Ok(Some(found)) => {
                self.pending = found.consume;
                Ok(Some(found))
            }
            Ok(None) => {
                self.finished = true;
                Ok(None)
            }
            Err(e) => {
                if e.is_fatal() {
                    self.finished = true;
                }
                Err(e)
            }
        }
    }

    #[inline(always)]
    fn packet(&self, found: &Found) -> Packet<'_> {
        let data = self
            .src
            .window()
            .get(found.data_start..found.data_start + found.caplen)
            .unwrap_or_default();
        Packet {
            number: self.number,
            offset: self.src.offset(),
            ts: Timestamp(found.ts),
            link: found.link,
            interface: found.interface,
            data,
            orig_len: found.origlen.max(found.caplen as u32),
        }
    }

    fn error(&self, offset: u64, packet: Option<u64>, kind: ErrorKind) -> CaptureError {
        CaptureError {
            file: self.name.clone(),
            offset,
            packet,
            kind,
        }
    }

    fn io_error(&self, e: std::io::Error) -> CaptureError {
        self.error(self.src.offset(), None, ErrorKind::Io(e))
    }

    fn locate_pcap(&mut self) -> Result<Option<Found>, CaptureError> {
        let State::Pcap(state) = self.state else {
            return Ok(None);
        };
        let available = self
            .src
            .fill(pcap::RECORD_HEADER_LEN)
            .map_err(|e| self.io_error(e))?;
        if available == 0 {
            return Ok(None);
        }
        let offset = self.src.offset();
        self.number += 1;
        let number = Some(self.number);
        if available < pcap::RECORD_HEADER_LEN {
            return Err(self.error(
                offset,
                number,
                ErrorKind::Truncated {
                    what: "packet record header",
                    needed: pcap::RECORD_HEADER_LEN as u64,
                    available: available as u64,
                },
            ));
        }
        let Some(header) = state.parse_record_header(self.src.window()) else {
            return Ok(None);
        };
        if header.caplen > state.max_record {
            let kind = ErrorKind::AbsurdLength {
                length: u64::from(header.caplen),
                limit: u64::from(state.max_record),
            };
            return Err(self.resync_pcap(&state, offset, kind));
        }
        let total = pcap::RECORD_HEADER_LEN + header.caplen as usize;
        let available = self.src.fill(total).map_err(|e| self.io_error(e))?;
        if available < total {
            return Err(self.error(
                offset,
                number,
                ErrorKind::Truncated {
                    what: "packet record",
                    needed: total as u64,
                    available: self.src.available(),
                },
            ));
        }
        if let State::Pcap(s) = &mut self.state {
            s.last_secs = Some(header.secs);
        }
        Ok(Some(Found {
            data_start: pcap::RECORD_HEADER_LEN,
            caplen: header.caplen as usize,
            consume: total,
            ts: state.timestamp_nanos(&header),
            link: state.link,
            interface: 0,
            origlen: header.origlen,
        }))
    }

    /// Reports the damage at `offset` and moves past it to the next plausible record.
    fn resync_pcap(&mut self, state: &PcapState, offset: u64, kind: ErrorKind) -> CaptureError {
        let number = Some(self.number);
        match state.resync(&mut self.src) {
            Ok(Some(skip)) => {
                self.src.consume(skip);
                self.error(offset, number, kind)
            }
            Ok(None) => {
                let skipped = self.src.available();
                self.src.consume(skipped as usize);
                self.finished = true;
                self.error(offset, number, ErrorKind::Unrecoverable { skipped })
            }
            Err(e) => self.io_error(e),
        }
    }

    fn locate_pcapng(&mut self) -> Result<Option<Found>, CaptureError> {
        loop {
            let available = self.src.fill(12).map_err(|e| self.io_error(e))?;
            if available == 0 {
                return Ok(None);
            }
            let offset = self.src.offset();
            if available < 12 {
                return Err(self.error(
                    offset,
                    None,
                    ErrorKind::Truncated {
                        what: "block header",
                        needed: 12,
                        available: available as u64,
                    },
                ));
            }
            let State::Pcapng(state) = &mut self.state else {
                return Ok(None);
            };
            let window = self.src.window();
            if pcap::read_u32(window, 0, false) == Some(pcapng::SHB) {
                // A new section may switch byte order.
                match NgState::section_byte_order(window) {
                    Some(be) => state.big_endian = be,
                    None => {
                        let kind = ErrorKind::BadBlock(
                            "section header with a bad byte-order magic".into(),
                        );
                        return Err(self.resync_pcapng(offset, kind));
                    }
                }
            }
            let be = state.big_endian;
            let length = pcap::read_u32(window, 4, be).unwrap_or(0);
            if length < 12 || !length.is_multiple_of(4) || length > pcapng::MAX_BLOCK {
                let kind = ErrorKind::AbsurdLength {
                    length: u64::from(length),
                    limit: u64::from(pcapng::MAX_BLOCK),
                };
                return Err(self.resync_pcapng(offset, kind));
            }
            let length = length as usize;
            let available = self.src.fill(length).map_err(|e| self.io_error(e))?;
            if available < length {
                return Err(self.error(
                    offset,
                    None,
                    ErrorKind::Truncated {
                        what: "block",
                        needed: length as u64,
                        available: available as u64,
                    },
                ));
            }
            let State::Pcapng(state) = &mut self.state else {
                return Ok(None);
            };
            let block = self.src.window().get(..length).unwrap_or_default();
            if pcap::read_u32(block, length - 4, be) != Some(length as u32) {
                let kind = ErrorKind::BadBlock(
                    "block's trailing length does not match its leading length".into(),
                );
                return Err(self.resync_pcapng(offset, kind));
            }
            let parsed = state.parse_block(block);
            let found = match parsed {
                Ok(Block::Skipped) => None,
                Ok(Block::Packet {
                    interface,
                    ts_units,
                    data_start,
                    caplen,
                    origlen,
                }) => {
                    self.number += 1;
                    let Some(iface) = state.interfaces.get(interface as usize).copied() else {
                        let defined = state.interfaces.len();
                        self.src.consume(length);
                        return Err(self.error(
                            offset,
                            Some(self.number),
                            ErrorKind::UnknownInterface {
                                id: interface,
                                defined,
                            },
                        ));
                    };
                    Some(Found {
                        data_start,
                        caplen,
                        consume: length,
                        ts: iface.timestamp_nanos(ts_units),
                        link: iface.link,
                        interface,
                        origlen,
                    })
                }
                Ok(Block::SimplePacket {
                    data_start,
                    caplen_in_block,
                    origlen,
                }) => {
                    self.number += 1;
                    let Some(iface) = state.interfaces.first().copied() else {
                        self.src.consume(length);
                        return Err(self.error(
                            offset,
                            Some(self.number),
                            ErrorKind::UnknownInterface { id: 0, defined: 0 },
                        ));
                    };
                    // SPB: captured length is the original length cut to the snap length.
                    let mut caplen = (origlen as usize).min(caplen_in_block);
                    if iface.snaplen > 0 {
                        caplen = caplen.min(iface.snaplen as usize);
                    }
                    Some(Found {
                        data_start,
                        caplen,
                        consume: length,
                        // SPBs carry no timestamp.
                        ts: 0,
                        link: iface.link,
                        interface: 0,
                        origlen,
                    })
                }
                Err(kind) => {
                    let fatal = matches!(kind, ErrorKind::Unsupported(_));
                    self.src.consume(length);
                    let number = (!fatal).then_some(self.number);
                    return Err(self.error(offset, number, kind));
                }
            };
            match found {
                Some(found) => return Ok(Some(found)),
                None => self.src.consume(length),
            }
        }
    }

    fn resync_pcapng(&mut self, offset: u64, kind: ErrorKind) -> CaptureError {
        const WINDOW: usize = 4 << 20;
        let found = match self.src.fill(WINDOW) {
            Ok(_) => {
                let State::Pcapng(state) = &self.state else {
                    return self.error(offset, None, kind);
                };
                let window = self.src.window();
                (1..window.len() / 4).map(|i| i * 4).find(|&skip| {
                    window
                        .get(skip..)
                        .is_some_and(|rest| state.plausible_block(rest))
                })
            }
            Err(e) => return self.io_error(e),
        };
        match found {
            Some(skip) => {
                self.src.consume(skip);
                self.error(offset, None, kind)
            }
            None => {
                let skipped = self.src.available();
                self.src.consume(skipped as usize);
                self.finished = true;
                self.error(offset, None, ErrorKind::Unrecoverable { skipped })
            }
        }
    }
}

/// Where the next packet lies in the source window.
struct Found {
    data_start: usize,
    caplen: usize,
    consume: usize,
    ts: u64,
    link: LinkType,
    interface: u32,
    origlen: u32,
}

/// Lets a decompressor read the bytes already pulled into a [`Source`] while sniffing magic.
struct SourceReader(Source);

impl Read for SourceReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.0.fill(1)? == 0 {
            return Ok(0);
        }
        let window = self.0.window();
        let n = window.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), window.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.0.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
