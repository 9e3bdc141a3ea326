//! EtherNet/IP encapsulation and CIP (ODVA, The CIP Networks Library
//! Vol. 2 "EtherNet/IP Adaptation of CIP" §2 encapsulation, Vol. 1 §2–§3
//! for CIP messages). All multi-byte fields are little-endian except the
//! socket address inside ListIdentity replies, which is big-endian (§2-6.3.3).

use super::{Dialogue, ProcessImage};
use crate::frame::Ipv4;
use crate::rng::Rng;

/// Explicit messaging port, TCP and UDP (Vol. 2 §2-2).
pub const PORT: u16 = 44818;
/// Class 0/1 implicit I/O port (Vol. 2 §2-2).
pub const IO_PORT: u16 = 2222;

const CMD_LIST_IDENTITY: u16 = 0x0063;
const CMD_REGISTER_SESSION: u16 = 0x0065;
const CMD_UNREGISTER_SESSION: u16 = 0x0066;
const CMD_SEND_RR_DATA: u16 = 0x006f;

/// Common Packet Format item types (Vol. 2 §2-6).
const ITEM_NULL_ADDRESS: u16 = 0x0000;
const ITEM_CIP_IDENTITY: u16 = 0x000c;
const ITEM_CONNECTED_DATA: u16 = 0x00b1;
const ITEM_UNCONNECTED_DATA: u16 = 0x00b2;
const ITEM_SEQUENCED_ADDRESS: u16 = 0x8002;

/// Logix "Read Tag" service and its reply (service | 0x80).
const SERVICE_READ_TAG: u8 = 0x4c;
const SERVICE_UNCONNECTED_SEND: u8 = 0x52;
const REPLY: u8 = 0x80;
/// ANSI extended symbolic segment (Vol. 1 §C-1.4.5).
const SEGMENT_SYMBOLIC: u8 = 0x91;

/// CIP elementary data type codes (Vol. 1 §C-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagType {
    Bool,
    Dint,
    Real,
}

impl TagType {
    fn code(self) -> u16 {
        match self {
            Self::Bool => 0x00c1,
            Self::Dint => 0x00c4,
            Self::Real => 0x00ca,
        }
    }
}

/// A controller tag an HMI reads.
#[derive(Debug, Clone, Copy)]
pub struct Tag {
    pub name: &'static str,
    pub kind: TagType,
}

/// Tags of the simulated ControlLogix program.
pub const TAGS: [Tag; 8] = [
    Tag {
        name: "Tank1_Level",
        kind: TagType::Real,
    },
    Tag {
        name: "Pump1_Speed",
        kind: TagType::Real,
    },
    Tag {
        name: "Line1_Count",
        kind: TagType::Dint,
    },
    Tag {
        name: "Valve3_Open",
        kind: TagType::Bool,
    },
    Tag {
        name: "Mixer_Temp",
        kind: TagType::Real,
    },
    Tag {
        name: "Batch_ID",
        kind: TagType::Dint,
    },
    Tag {
        name: "Conveyor_Run",
        kind: TagType::Bool,
    },
    Tag {
        name: "Header_Press",
        kind: TagType::Real,
    },
];

/// Identity object attributes (Vol. 1 §5-2) as reported by ListIdentity.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub vendor_id: u16,
    pub device_type: u16,
    pub product_code: u16,
    pub revision: (u8, u8),
    pub status: u16,
    pub serial: u32,
    pub product_name: &'static str,
}

/// A ControlLogix 5571 controller (vendor 1 = Rockwell Automation/Allen-Bradley,
/// device type 14 = programmable logic controller).
pub fn logix_5571(serial: u32) -> Identity {
    Identity {
        vendor_id: 1,
        device_type: 14,
        product_code: 54,
        revision: (20, 11),
        status: 0x0060,
        serial,
        product_name: "1756-L71/B LOGIX5571",
    }
}

/// A POINT I/O adapter (device type 12 = communications adapter).
pub fn point_io_adapter(serial: u32) -> Identity {
    Identity {
        vendor_id: 1,
        device_type: 12,
        product_code: 108,
        revision: (5, 12),
        status: 0x0030,
        serial,
        product_name: "1734-AENTR/B Ethernet Adapter",
    }
}

fn push_u16(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_le_bytes());
}

fn push_u32(buf: &mut Vec<u8>, value: u32) {
    buf.extend_from_slice(&value.to_le_bytes());
}

/// Encapsulation header (Vol. 2 §2-3): command, length of the data that
/// follows, session handle, status, sender context, options. The length is
/// patched by [`finish_encapsulation`].
fn begin_encapsulation(buf: &mut Vec<u8>, command: u16, session: u32, context: u64) -> usize {
    let start = buf.len();
    push_u16(buf, command);
    push_u16(buf, 0);
    push_u32(buf, session);
    push_u32(buf, 0); // status: success
    buf.extend_from_slice(&context.to_le_bytes());
    push_u32(buf, 0); // options
    start
}

fn finish_encapsulation(buf: &mut [u8], start: usize) {
    let length = buf.len().saturating_sub(start + 24) as u16;
    if let Some(slot) = buf.get_mut(start + 2..start + 4) {
        slot.copy_from_slice(&length.to_le_bytes());
    }
}

/// RegisterSession request and reply (Vol. 2 §2-4.4): protocol version 1,
/// no options. The target assigns the session handle in its reply.
pub fn register_session(buf: &mut Vec<u8>, session: u32, context: u64) {
    let start = begin_encapsulation(buf, CMD_REGISTER_SESSION, session, context);
    push_u16(buf, 1);
    push_u16(buf, 0);
    finish_encapsulation(buf, start);
}

/// UnregisterSession (Vol. 2 §2-4.5): no data and no reply.
pub fn unregister_session(buf: &mut Vec<u8>, session: u32, context: u64) {
    let start = begin_encapsulation(buf, CMD_UNREGISTER_SESSION, session, context);
    finish_encapsulation(buf, start);
}

/// SendRRData prefix (Vol. 2 §2-4.7): interface handle 0 (CIP), timeout,
/// two CPF items: a null address and unconnected data whose length is
/// patched by [`finish_unconnected_item`].
fn begin_send_rr_data(buf: &mut Vec<u8>, session: u32, context: u64) -> (usize, usize) {
    let start = begin_encapsulation(buf, CMD_SEND_RR_DATA, session, context);
    push_u32(buf, 0);
    push_u16(buf, 0);
    push_u16(buf, 2);
    push_u16(buf, ITEM_NULL_ADDRESS);
    push_u16(buf, 0);
    push_u16(buf, ITEM_UNCONNECTED_DATA);
    push_u16(buf, 0);
    (start, buf.len())
}

fn finish_unconnected_item(buf: &mut [u8], start: usize, item_data: usize) {
    let length = buf.len().saturating_sub(item_data) as u16;
    if let Some(slot) = buf.get_mut(item_data - 2..item_data) {
        slot.copy_from_slice(&length.to_le_bytes());
    }
    finish_encapsulation(buf, start);
}

/// Read Tag request routed through the Connection Manager's Unconnected
/// Send (Vol. 1 §3-5.5.2) to the controller in backplane slot 0, as RSLinx
/// and FactoryTalk send it.
pub fn read_tag_request(buf: &mut Vec<u8>, session: u32, context: u64, tag: &str) {
    let (start, item) = begin_send_rr_data(buf, session, context);
    buf.extend_from_slice(&[SERVICE_UNCONNECTED_SEND, 0x02, 0x20, 0x06, 0x24, 0x01]);
    // Priority/tick time 2^7 ms and 233 ticks: a 30 s timeout, as RSLinx sets.
    buf.extend_from_slice(&[0x07, 0xe9]);
    let name = tag.as_bytes();
    let name_len = name.len().min(255);
    let name_pad = name_len % 2;
    let path_words = (2 + name_len + name_pad) / 2;
    let message_len = 2 + 2 * path_words + 2;
    push_u16(buf, message_len as u16);
    buf.push(SERVICE_READ_TAG);
    buf.push(path_words as u8);
    buf.push(SEGMENT_SYMBOLIC);
    buf.push(name_len as u8);
    buf.extend_from_slice(name.get(..name_len).unwrap_or_default());
    if name_pad == 1 {
        buf.push(0);
    }
    push_u16(buf, 1); // element count
    if message_len % 2 == 1 {
        buf.push(0);
    }
    // Route path: one word, reserved byte, port 1 (backplane) link 0.
    buf.extend_from_slice(&[0x01, 0x00, 0x01, 0x00]);
    finish_unconnected_item(buf, start, item);
}

/// Successful Read Tag reply: service 0xCC, status 0, data type, value.
pub fn read_tag_reply(buf: &mut Vec<u8>, session: u32, context: u64, kind: TagType, raw: u16) {
    let (start, item) = begin_send_rr_data(buf, session, context);
    buf.extend_from_slice(&[SERVICE_READ_TAG | REPLY, 0x00, 0x00, 0x00]);
    push_u16(buf, kind.code());
    match kind {
        TagType::Bool => buf.push(u8::from(raw & 1 == 1)),
        TagType::Dint => push_u32(buf, u32::from(raw)),
        TagType::Real => buf.extend_from_slice(&(f32::from(raw) / 10.0).to_le_bytes()),
    }
    finish_unconnected_item(buf, start, item);
}

/// ListIdentity request (Vol. 2 §2-4.2): header only, sent by RSLinx to
/// discover devices.
pub fn list_identity_request(buf: &mut Vec<u8>, context: u64) {
    let start = begin_encapsulation(buf, CMD_LIST_IDENTITY, 0, context);
    finish_encapsulation(buf, start);
}

/// ListIdentity reply carrying one CIP Identity item (Vol. 2 §2-4.2.3).
pub fn list_identity_reply(buf: &mut Vec<u8>, context: u64, identity: &Identity, ip: Ipv4) {
    let start = begin_encapsulation(buf, CMD_LIST_IDENTITY, 0, context);
    push_u16(buf, 1); // item count
    push_u16(buf, ITEM_CIP_IDENTITY);
    let item_len_at = buf.len();
    push_u16(buf, 0);
    push_u16(buf, 1); // encapsulation protocol version
    buf.extend_from_slice(&2u16.to_be_bytes()); // sin_family AF_INET
    buf.extend_from_slice(&PORT.to_be_bytes());
    buf.extend_from_slice(&ip);
    buf.extend_from_slice(&[0; 8]);
    push_u16(buf, identity.vendor_id);
    push_u16(buf, identity.device_type);
    push_u16(buf, identity.product_code);
    buf.push(identity.revision.0);
    buf.push(identity.revision.1);
    push_u16(buf, identity.status);
    push_u32(buf, identity.serial);
    let name = identity.product_name.as_bytes();
    let name = name.get(..name.len().min(255)).unwrap_or_default();
    buf.push(name.len() as u8);
    buf.extend_from_slice(name);
    buf.push(0x03); // state: operational
    let item_len = buf.len().saturating_sub(item_len_at + 2) as u16;
    if let Some(slot) = buf.get_mut(item_len_at..item_len_at + 2) {
        slot.copy_from_slice(&item_len.to_le_bytes());
    }
    finish_encapsulation(buf, start);
}

/// One class 1 implicit I/O datagram (Vol. 2 §2-6.3.2 and §3-2): a
/// sequenced address item (connection ID, encapsulation sequence number)
/// and a connected data item (CIP sequence count, optional 32-bit run/idle
/// header for originator-to-target data, I/O bytes).
pub fn io_datagram(
    buf: &mut Vec<u8>,
    connection_id: u32,
    sequence: u32,
    cip_sequence: u16,
    run_idle: Option<u32>,
    data: &[u8],
) {
    push_u16(buf, 2);
    push_u16(buf, ITEM_SEQUENCED_ADDRESS);
    push_u16(buf, 8);
    push_u32(buf, connection_id);
    push_u32(buf, sequence);
    push_u16(buf, ITEM_CONNECTED_DATA);
    let header_len = if run_idle.is_some() { 4 } else { 0 };
    push_u16(buf, (2 + header_len + data.len()) as u16);
    push_u16(buf, cip_sequence);
    if let Some(header) = run_idle {
        push_u32(buf, header);
    }
    buf.extend_from_slice(data);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Register,
    Cyclic,
}

/// An HMI's explicit-messaging session with a ControlLogix controller.
#[derive(Debug)]
pub struct EnipDialogue {
    stage: Stage,
    session: u32,
    context: u64,
    image: ProcessImage,
    tags: Vec<usize>,
    cursor: usize,
}

impl EnipDialogue {
    pub fn new(image: ProcessImage, rng: &mut Rng) -> Self {
        let count = rng.range(3, 5) as usize;
        let first = rng.below(TAGS.len() as u64) as usize;
        let tags = (0..count).map(|i| (first + i) % TAGS.len()).collect();
        Self {
            stage: Stage::Register,
            session: 0,
            // RSLinx seeds the sender context with an arbitrary value and
            // increments it per request.
            context: rng.next_u64() & 0x0000_ffff_ffff_ffff,
            image,
            tags,
            cursor: 0,
        }
    }
}

impl Dialogue for EnipDialogue {
    fn in_setup(&self) -> bool {
        self.stage == Stage::Register
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
        self.context = self.context.wrapping_add(1);
        match self.stage {
            Stage::Register => {
                self.session = rng.next_u32() | 1;
                register_session(request, 0, self.context);
                register_session(response, self.session, self.context);
                self.stage = Stage::Cyclic;
            }
            Stage::Cyclic => {
                let index = self.tags.get(self.cursor).copied().unwrap_or(0);
                self.cursor = (self.cursor + 1) % self.tags.len().max(1);
                let tag = TAGS.get(index).copied().unwrap_or(TAGS[0]);
                read_tag_request(request, self.session, self.context, tag.name);
                let raw = self.image.word(0x00c0_0000 + index as u32, now_us);
                read_tag_reply(response, self.session, self.context, tag.kind, raw);
            }
        }
    }

    fn farewell(&mut self, request: &mut Vec<u8>) -> bool {
        if self.stage == Stage::Register {
            return false;
        }
        request.clear();
        self.context = self.context.wrapping_add(1);
        unregister_session(request, self.session, self.context);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::hex;

    #[test]
    fn register_session_layout() {
        let mut buf = Vec::new();
        register_session(&mut buf, 0x1234_5678, 0x0102);
        assert_eq!(
            buf,
            hex("6500 0400 78563412 00000000 0201000000000000 00000000 0100 0000")
        );
    }

    #[test]
    fn read_tag_request_layout() {
        let mut buf = Vec::new();
        read_tag_request(&mut buf, 7, 1, "Tank1_Level");
        let expected = hex("6f00 3000 07000000 00000000 0100000000000000 00000000
             00000000 0000 0200 0000 0000 b200 2000
             52 02 20 06 24 01 07 e9 1200
             4c 07 91 0b 54616e6b315f4c6576656c 00 0100
             01 00 01 00");
        assert_eq!(buf, expected);
    }

    #[test]
    fn read_tag_reply_layout() {
        let mut buf = Vec::new();
        read_tag_reply(&mut buf, 7, 1, TagType::Real, 125);
        let mut expected = hex("6f00 1a00 07000000 00000000 0100000000000000 00000000
             00000000 0000 0200 0000 0000 b200 0a00 cc 00 00 00 ca00");
        expected.extend_from_slice(&12.5f32.to_le_bytes());
        assert_eq!(buf, expected);
    }

    #[test]
    fn list_identity_reply_layout() {
        let mut buf = Vec::new();
        list_identity_reply(&mut buf, 5, &logix_5571(0x00c0_ffee), [10, 10, 1, 13]);
        let mut expected = hex("6300 0000 00000000 00000000 0500000000000000 00000000
             0100 0c00 0000 0100 0002 af12 0a0a010d 0000000000000000
             0100 0e00 3600 14 0b 6000 eeffc000 14");
        expected.extend_from_slice(b"1756-L71/B LOGIX5571");
        expected.push(0x03);
        let encapsulated = (expected.len() - 24) as u16;
        expected[2..4].copy_from_slice(&encapsulated.to_le_bytes());
        let item = (expected.len() - 30) as u16;
        expected[28..30].copy_from_slice(&item.to_le_bytes());
        assert_eq!(buf, expected);
    }

    #[test]
    fn io_datagram_layout() {
        let mut buf = Vec::new();
        io_datagram(&mut buf, 0x1122_3344, 9, 3, Some(1), &[0xaa, 0xbb]);
        assert_eq!(
            buf,
            hex("0200 0280 0800 44332211 09000000 b100 0800 0300 01000000 aabb")
        );
    }
}
