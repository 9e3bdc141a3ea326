//! DNP3 over TCP (IEEE 1815-2012): data link layer frames (§9.2), the
//! transport function (§8) and application layer fragments (§4).

use super::{Dialogue, ProcessImage};
use crate::rng::Rng;

/// IANA-registered DNP3 port (IEEE 1815-2012 Annex C).
pub const PORT: u16 = 20000;

/// Link control: DIR=1 (from master), PRM=1, FC 4 unconfirmed user data.
const LINK_FROM_MASTER: u8 = 0xc4;
/// Link control: DIR=0 (from outstation), PRM=1, FC 4.
const LINK_FROM_OUTSTATION: u8 = 0x44;
/// Most user data octets one link frame carries (LENGTH ≤ 255, §9.2.4.1.3).
const MAX_LINK_USER_DATA: usize = 250;

const FC_READ: u8 = 0x01;
const FC_WRITE: u8 = 0x02;
const FC_RESPONSE: u8 = 0x81;
/// Application control: FIR and FIN set, single-fragment message (§4.2.2.4).
const FIR_FIN: u8 = 0xc0;
/// IIN1.7 DEVICE_RESTART (§5.2.2): set until the master clears it.
const IIN1_DEVICE_RESTART: u8 = 0x80;

/// Qualifier 0x06: all objects, no range field.
const QUALIFIER_ALL: u8 = 0x06;
/// Qualifier 0x00: 8-bit start and stop indexes.
const QUALIFIER_START_STOP_8: u8 = 0x00;
/// Qualifier 0x17: 8-bit count, each object prefixed with an 8-bit index.
const QUALIFIER_COUNT_INDEX_8: u8 = 0x17;
/// Object flag ONLINE.
const FLAG_ONLINE: u8 = 0x01;
/// Event polls between integrity polls, a common master configuration.
const INTEGRITY_EVERY: u32 = 10;

/// DNP3 CRC-16 (§9.2.4.2): polynomial 0x3D65 processed LSB-first (0xA6BC
/// reflected), initial value 0, final complement; transmitted low byte first.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xa6bc
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Appends a link frame: the 8-byte header with its CRC, then the user
/// data in blocks of 16 octets, each followed by its own CRC (§9.2.4.1).
/// User data beyond the 250 octets a frame can carry is not sent.
pub fn link_frame(buf: &mut Vec<u8>, control: u8, destination: u16, source: u16, user_data: &[u8]) {
    let user_data = user_data.get(..MAX_LINK_USER_DATA).unwrap_or(user_data);
    let [dst_lo, dst_hi] = destination.to_le_bytes();
    let [src_lo, src_hi] = source.to_le_bytes();
    // LENGTH counts control, destination, source and user data, not CRCs.
    let length = (5 + user_data.len()) as u8;
    let header = [0x05, 0x64, length, control, dst_lo, dst_hi, src_lo, src_hi];
    buf.extend_from_slice(&header);
    buf.extend_from_slice(&crc16(&header).to_le_bytes());
    for block in user_data.chunks(16) {
        buf.extend_from_slice(block);
        buf.extend_from_slice(&crc16(block).to_le_bytes());
    }
}

/// Transport header (§8.2): FIN and FIR set, 6-bit sequence number.
fn transport_header(sequence: u8) -> u8 {
    0xc0 | (sequence & 0x3f)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// First integrity poll: the outstation still reports DEVICE_RESTART.
    StartupIntegrity,
    /// The master clears IIN1.7 by writing group 80 variation 1 index 7.
    ClearRestart,
    Cyclic,
}

/// A SCADA master polling one outstation: an integrity poll at startup
/// and then periodically, event-class polls in between (IEEE 1815 §13.3).
#[derive(Debug)]
pub struct Dnp3Dialogue {
    stage: Stage,
    master: u16,
    outstation: u16,
    app_sequence: u8,
    master_transport: u8,
    outstation_transport: u8,
    polls_to_integrity: u32,
    binaries: u8,
    analogs: u8,
    image: ProcessImage,
    /// Reused scratch for the transport segment before link framing.
    segment: Vec<u8>,
}

impl Dnp3Dialogue {
    pub fn new(image: ProcessImage, master: u16, outstation: u16, rng: &mut Rng) -> Self {
        Self {
            stage: Stage::StartupIntegrity,
            master,
            outstation,
            app_sequence: rng.below(16) as u8,
            master_transport: rng.below(64) as u8,
            outstation_transport: rng.below(64) as u8,
            polls_to_integrity: INTEGRITY_EVERY,
            binaries: rng.range(4, 16) as u8,
            analogs: rng.range(6, 24) as u8,
            image,
            segment: Vec::with_capacity(256),
        }
    }

    /// Frames `self.segment[1..]` (an APDU) as one transport segment and
    /// link frame in the given direction.
    fn frame(&mut self, buf: &mut Vec<u8>, from_master: bool) {
        let (control, destination, source, sequence) = if from_master {
            self.master_transport = self.master_transport.wrapping_add(1);
            (
                LINK_FROM_MASTER,
                self.outstation,
                self.master,
                self.master_transport,
            )
        } else {
            self.outstation_transport = self.outstation_transport.wrapping_add(1);
            (
                LINK_FROM_OUTSTATION,
                self.master,
                self.outstation,
                self.outstation_transport,
            )
        };
        if let Some(first) = self.segment.first_mut() {
            *first = transport_header(sequence);
        }
        link_frame(buf, control, destination, source, &self.segment);
    }

    fn begin_apdu(&mut self, function: u8, iin: Option<(u8, u8)>) {
        self.segment.clear();
        self.segment.push(0); // transport header, set in frame()
        self.segment.push(FIR_FIN | (self.app_sequence & 0x0f));
        self.segment.push(function);
        if let Some((iin1, iin2)) = iin {
            self.segment.push(iin1);
            self.segment.push(iin2);
        }
    }

    fn read_request(&mut self, integrity: bool) {
        self.begin_apdu(FC_READ, None);
        // Classes 1, 2, 3 (group 60 variations 2–4); an integrity poll adds
        // class 0 (group 60 variation 1), the static data.
        for class in [2u8, 3, 4] {
            self.segment.extend_from_slice(&[60, class, QUALIFIER_ALL]);
        }
        if integrity {
            self.segment.extend_from_slice(&[60, 1, QUALIFIER_ALL]);
        }
    }

    /// Static data: binary inputs with flags (group 1 variation 2) and
    /// 32-bit analog inputs with flag (group 30 variation 1).
    fn static_response(&mut self, iin1: u8, now_us: u64) {
        self.begin_apdu(FC_RESPONSE, Some((iin1, 0)));
        let base = u32::from(self.outstation) << 16;
        self.segment.extend_from_slice(&[
            1,
            2,
            QUALIFIER_START_STOP_8,
            0,
            self.binaries.saturating_sub(1),
        ]);
        for index in 0..u32::from(self.binaries) {
            let state = if self.image.bit(base + index, now_us) {
                0x80
            } else {
                0
            };
            self.segment.push(FLAG_ONLINE | state);
        }
        self.segment.extend_from_slice(&[
            30,
            1,
            QUALIFIER_START_STOP_8,
            0,
            self.analogs.saturating_sub(1),
        ]);
        for index in 0..u32::from(self.analogs) {
            self.segment.push(FLAG_ONLINE);
            let value = i32::from(self.image.word(base + index, now_us));
            self.segment.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// Event data: analog change events without time (group 32 variation 1).
    fn event_response(&mut self, events: u8, now_us: u64) {
        self.begin_apdu(FC_RESPONSE, Some((0, 0)));
        if events == 0 {
            return;
        }
        let base = u32::from(self.outstation) << 16;
        self.segment
            .extend_from_slice(&[32, 1, QUALIFIER_COUNT_INDEX_8, events]);
        // Spread the changed points over the analog range.
        let points = u32::from(self.analogs.max(1));
        let stride = (points / u32::from(events)).max(1);
        for n in 0..u32::from(events) {
            let index = ((n * stride) % points) as u8;
            self.segment.push(index);
            self.segment.push(FLAG_ONLINE);
            let value = i32::from(self.image.word(base + u32::from(index), now_us));
            self.segment.extend_from_slice(&value.to_le_bytes());
        }
    }
}

impl Dialogue for Dnp3Dialogue {
    fn in_setup(&self) -> bool {
        self.stage != Stage::Cyclic
    }

    fn exchange(
        &mut self,
        now_us: u64,
        rng: &mut Rng,
        request: &mut Vec<u8>,
        response: &mut Vec<u8>,
    ) {
        request.clear();
        response.clear();
        self.app_sequence = (self.app_sequence + 1) & 0x0f;
        match self.stage {
            Stage::StartupIntegrity => {
                self.read_request(true);
                self.frame(request, true);
                self.static_response(IIN1_DEVICE_RESTART, now_us);
                self.frame(response, false);
                self.stage = Stage::ClearRestart;
            }
            Stage::ClearRestart => {
                self.begin_apdu(FC_WRITE, None);
                // Group 80 var 1 (IIN bits), start/stop 7..7, packed value 0.
                self.segment
                    .extend_from_slice(&[80, 1, QUALIFIER_START_STOP_8, 7, 7, 0x00]);
                self.frame(request, true);
                self.begin_apdu(FC_RESPONSE, Some((0, 0)));
                self.frame(response, false);
                self.stage = Stage::Cyclic;
            }
            Stage::Cyclic => {
                // Every tenth poll is an integrity poll.
                self.polls_to_integrity = self.polls_to_integrity.saturating_sub(1);
                let integrity = self.polls_to_integrity == 0;
                if integrity {
                    self.polls_to_integrity = INTEGRITY_EVERY;
                }
                self.read_request(integrity);
                self.frame(request, true);
                if integrity {
                    self.static_response(0, now_us);
                } else {
                    let events = if rng.chance(0.3) {
                        rng.range(1, 4) as u8
                    } else {
                        0
                    };
                    self.event_response(events, now_us);
                }
                self.frame(response, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::hex;

    #[test]
    fn crc_of_reset_link_header() {
        // Reset Link States from master 1024 to outstation 1, the classic
        // worked example: header 05 64 05 C0 01 00 00 04, CRC E9 21.
        let header = hex("05 64 05 c0 01 00 00 04");
        assert_eq!(crc16(&header).to_le_bytes(), [0xe9, 0x21]);
    }

    #[test]
    fn link_frame_blocks_carry_crcs() {
        let user: Vec<u8> = (0u8..20).collect();
        let mut buf = Vec::new();
        link_frame(&mut buf, LINK_FROM_MASTER, 10, 1, &user);
        assert_eq!(buf.len(), 10 + 16 + 2 + 4 + 2);
        assert_eq!(&buf[..8], &hex("05 64 19 c4 0a 00 01 00")[..]);
        assert_eq!(&buf[8..10], &crc16(&buf[..8]).to_le_bytes());
        assert_eq!(&buf[10..26], &user[..16]);
        assert_eq!(&buf[26..28], &crc16(&user[..16]).to_le_bytes());
        assert_eq!(&buf[28..32], &user[16..]);
        assert_eq!(&buf[32..34], &crc16(&user[16..]).to_le_bytes());
    }

    #[test]
    fn startup_sequence_clears_device_restart() {
        let mut rng = Rng::new(11);
        let mut dialogue = Dnp3Dialogue::new(ProcessImage::new(1), 1, 10, &mut rng);
        let (mut req, mut resp) = (Vec::new(), Vec::new());

        dialogue.exchange(0, &mut rng, &mut req, &mut resp);
        // Request: link header + CRC, transport, app control, READ, objects.
        assert_eq!(&req[3..8], &hex("c4 0a 00 01 00")[..]);
        assert_eq!(req[12], FC_READ);
        assert_eq!(
            &req[13..25],
            &hex("3c 02 06 3c 03 06 3c 04 06 3c 01 06")[..]
        );
        assert_eq!(
            req[11] & 0x0f,
            resp[11] & 0x0f,
            "response echoes the sequence"
        );
        assert_eq!(&resp[3..8], &hex("44 01 00 0a 00")[..]);
        assert_eq!(
            (resp[12], resp[13], resp[14]),
            (FC_RESPONSE, IIN1_DEVICE_RESTART, 0)
        );

        dialogue.exchange(0, &mut rng, &mut req, &mut resp);
        assert_eq!(req[12], FC_WRITE);
        assert_eq!(&req[13..19], &hex("50 01 00 07 07 00")[..]);
        assert_eq!((resp[12], resp[13]), (FC_RESPONSE, 0));
        assert!(!dialogue.in_setup());
    }

    #[test]
    fn every_block_crc_checks() {
        let mut rng = Rng::new(5);
        let mut dialogue = Dnp3Dialogue::new(ProcessImage::new(2), 1, 10, &mut rng);
        let (mut req, mut resp) = (Vec::new(), Vec::new());
        for _ in 0..30 {
            dialogue.exchange(1_000_000, &mut rng, &mut req, &mut resp);
            for frame in [&req, &resp] {
                let length = usize::from(frame[2]) - 5;
                assert_eq!(crc16(&frame[..8]).to_le_bytes(), [frame[8], frame[9]]);
                let mut rest = &frame[10..];
                let mut remaining = length;
                while remaining > 0 {
                    let n = remaining.min(16);
                    assert_eq!(crc16(&rest[..n]).to_le_bytes(), [rest[n], rest[n + 1]]);
                    rest = &rest[n + 2..];
                    remaining -= n;
                }
                assert!(rest.is_empty());
            }
        }
    }
}
