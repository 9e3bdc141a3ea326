//! S7comm over ISO-on-TCP: TPKT (RFC 1006 §6) carrying COTP class 0
//! (ISO 8073 / RFC 905 §13) carrying S7comm PDUs.
//!
//! S7comm is not publicly specified; layouts follow what STEP 7, WinCC and
//! S7-300/400 CPUs put on the wire, as documented by the Wireshark s7comm
//! dissector and the Snap7 project.

use super::{Dialogue, ProcessImage};
use crate::rng::Rng;

/// ISO-on-TCP port (RFC 1006 §5).
pub const PORT: u16 = 102;

/// Calling TSAP of a PG/PC connection (resource 01, rack/slot 0).
const CLIENT_TSAP: u16 = 0x0100;
/// Called TSAP: CPU in rack 0, slot 2, as on every S7-300.
const CPU_TSAP: u16 = 0x0102;
/// COTP TPDU size code 0x0a = 1024 bytes.
const TPDU_SIZE_1024: u8 = 0x0a;

const ROSCTR_JOB: u8 = 0x01;
const ROSCTR_ACK_DATA: u8 = 0x03;
const ROSCTR_USERDATA: u8 = 0x07;
const FUNC_READ_VAR: u8 = 0x04;
const FUNC_SETUP_COMMUNICATION: u8 = 0xf0;

/// Memory area codes of the S7ANY address.
pub const AREA_MERKER: u8 = 0x83;
pub const AREA_DB: u8 = 0x84;
/// Item syntax 0x10 (S7ANY), transport size BYTE.
const TRANSPORT_SIZE_BYTE: u8 = 0x02;
/// Data transport size "BYTE/WORD/DWORD": length field counts bits.
const DATA_SIZE_BYTE_BITS: u8 = 0x04;
/// Data transport size "octet string": length field counts bytes.
const DATA_SIZE_OCTETS: u8 = 0x09;
const RETURN_SUCCESS: u8 = 0xff;

/// Order code of the simulated CPU 315-2 PN/DP.
pub const CPU_315_ORDER_CODE: &str = "6ES7 315-2EH14-0AB0";
/// PDU size the CPU 315 grants (it negotiates down to 240 bytes).
const CPU_PDU_SIZE: u16 = 240;
/// PDU size STEP 7 and WinCC request.
const CLIENT_PDU_SIZE: u16 = 480;

/// One variable of a Read Var job: `len` bytes at `start` in `area`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarItem {
    pub area: u8,
    pub db: u16,
    pub start: u16,
    pub len: u16,
}

fn push_u16(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_be_bytes());
}

/// COTP connection request (CR, ISO 8073 §13.3) with the TSAP pair and
/// TPDU size parameters S7 clients send.
pub fn cotp_connect_request(buf: &mut Vec<u8>, src_ref: u16) {
    cotp_connection(buf, 0xe0, 0x0000, src_ref);
}

/// COTP connection confirm (CC, ISO 8073 §13.4) echoing the parameters.
pub fn cotp_connect_confirm(buf: &mut Vec<u8>, dst_ref: u16, src_ref: u16) {
    cotp_connection(buf, 0xd0, dst_ref, src_ref);
}

fn cotp_connection(buf: &mut Vec<u8>, code: u8, dst_ref: u16, src_ref: u16) {
    let start = begin_tpkt(buf);
    buf.push(17); // length indicator: octets after this one
    buf.push(code);
    push_u16(buf, dst_ref);
    push_u16(buf, src_ref);
    buf.push(0x00); // class 0, no extended formats
    buf.extend_from_slice(&[0xc0, 0x01, TPDU_SIZE_1024]);
    buf.extend_from_slice(&[0xc1, 0x02]);
    push_u16(buf, CLIENT_TSAP);
    buf.extend_from_slice(&[0xc2, 0x02]);
    push_u16(buf, CPU_TSAP);
    finish_tpkt(buf, start);
}

/// TPKT header (RFC 1006 §6): version 3, reserved, total length.
fn begin_tpkt(buf: &mut Vec<u8>) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&[0x03, 0x00, 0x00, 0x00]);
    start
}

fn finish_tpkt(buf: &mut [u8], start: usize) {
    let length = buf.len().saturating_sub(start) as u16;
    crate::frame::put_u16(buf, start + 2, length);
}

/// TPKT + COTP data TPDU (DT, last data unit) + S7 header. The ack-data
/// header carries an error class and code (both 0 on success).
fn begin_s7(buf: &mut Vec<u8>, rosctr: u8, pdu_ref: u16, param_len: u16, data_len: u16) -> usize {
    let start = begin_tpkt(buf);
    buf.extend_from_slice(&[0x02, 0xf0, 0x80]);
    buf.extend_from_slice(&[0x32, rosctr, 0x00, 0x00]); // protocol id, ROSCTR, redundancy id
    push_u16(buf, pdu_ref);
    push_u16(buf, param_len);
    push_u16(buf, data_len);
    if rosctr == ROSCTR_ACK_DATA {
        buf.extend_from_slice(&[0x00, 0x00]);
    }
    start
}

/// Setup Communication job: negotiates parallel jobs and PDU size; every
/// S7 session starts with it.
pub fn setup_communication_job(buf: &mut Vec<u8>, pdu_ref: u16) {
    setup_communication(buf, ROSCTR_JOB, pdu_ref, CLIENT_PDU_SIZE);
}

pub fn setup_communication_ack(buf: &mut Vec<u8>, pdu_ref: u16) {
    setup_communication(buf, ROSCTR_ACK_DATA, pdu_ref, CPU_PDU_SIZE);
}

fn setup_communication(buf: &mut Vec<u8>, rosctr: u8, pdu_ref: u16, pdu_size: u16) {
    let start = begin_s7(buf, rosctr, pdu_ref, 8, 0);
    // Function, reserved, max AmQ calling = 1, max AmQ called = 1, PDU size.
    buf.extend_from_slice(&[FUNC_SETUP_COMMUNICATION, 0x00, 0x00, 0x01, 0x00, 0x01]);
    push_u16(buf, pdu_size);
    finish_tpkt(buf, start);
}

/// Userdata "read SZL" request (CPU functions group 4, subfunction 1).
pub fn szl_read_request(buf: &mut Vec<u8>, pdu_ref: u16, szl_id: u16, index: u16) {
    let start = begin_s7(buf, ROSCTR_USERDATA, pdu_ref, 8, 8);
    // Parameter head 00 01 12, length 4, method 0x11 (request),
    // type 4 (request) / group 4 (CPU functions), subfunction 1, sequence 0.
    buf.extend_from_slice(&[0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00]);
    buf.extend_from_slice(&[RETURN_SUCCESS, DATA_SIZE_OCTETS, 0x00, 0x04]);
    push_u16(buf, szl_id);
    push_u16(buf, index);
    finish_tpkt(buf, start);
}

/// Userdata response to a read of SZL-ID 0x0011 (module identification):
/// the records for the module (0x0001), its hardware (0x0006) and its
/// firmware (0x0007), the first thing asset inventories look for.
pub fn szl_module_identification_response(buf: &mut Vec<u8>, pdu_ref: u16, order_code: &str) {
    const RECORD_LEN: u16 = 28;
    const RECORDS: u16 = 3;
    let szl_len = 8 + RECORD_LEN * RECORDS; // SZL header + records
    let start = begin_s7(buf, ROSCTR_USERDATA, pdu_ref, 12, 4 + szl_len);
    // Method 0x12 (response), type 8 (response) / group 4, subfunction 1,
    // sequence 1, data unit reference 0, last data unit, error code 0.
    buf.extend_from_slice(&[
        0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    ]);
    buf.extend_from_slice(&[RETURN_SUCCESS, DATA_SIZE_OCTETS]);
    push_u16(buf, szl_len);
    push_u16(buf, 0x0011); // SZL-ID
    push_u16(buf, 0x0000); // index
    push_u16(buf, RECORD_LEN);
    push_u16(buf, RECORDS);
    // (index, MlfB, BGTyp, Ausbg, Ausbe): firmware V3.2.8 is encoded as
    // 'V' 3 in Ausbg and 2 8 in Ausbe.
    let records: [(u16, &str, u16, u16); 3] = [
        (0x0001, order_code, 0x0000, 0x0001),
        (0x0006, order_code, 0x0000, 0x0001),
        (0x0007, "", 0x5603, 0x0208),
    ];
    for (index, mlfb, ausbg, ausbe) in records {
        push_u16(buf, index);
        let text = mlfb.as_bytes();
        for i in 0..20 {
            buf.push(text.get(i).copied().unwrap_or(b' '));
        }
        push_u16(buf, 0x0000); // BGTyp
        push_u16(buf, ausbg);
        push_u16(buf, ausbe);
    }
    finish_tpkt(buf, start);
}

/// Read Var job (function 0x04) with S7ANY item addresses.
pub fn read_var_job(buf: &mut Vec<u8>, pdu_ref: u16, items: &[VarItem]) {
    let param_len = 2 + 12 * items.len();
    let start = begin_s7(buf, ROSCTR_JOB, pdu_ref, param_len as u16, 0);
    buf.push(FUNC_READ_VAR);
    buf.push(items.len() as u8);
    for item in items {
        // Variable specification 0x12, length 10, syntax id S7ANY.
        buf.extend_from_slice(&[0x12, 0x0a, 0x10, TRANSPORT_SIZE_BYTE]);
        push_u16(buf, item.len);
        push_u16(buf, if item.area == AREA_DB { item.db } else { 0 });
        buf.push(item.area);
        // Bit address: byte offset × 8, 24 bits.
        let bit_address = u32::from(item.start) * 8;
        buf.extend_from_slice(bit_address.to_be_bytes().get(1..).unwrap_or_default());
    }
    finish_tpkt(buf, start);
}

/// Ack-data to a Read Var job: per item a return code, transport size, bit
/// length and the bytes, each item but the last padded to an even length.
pub fn read_var_ack(
    buf: &mut Vec<u8>,
    pdu_ref: u16,
    items: &[VarItem],
    image: &ProcessImage,
    now_us: u64,
) {
    // Item lengths are bounded by the negotiated PDU size (240 bytes), so
    // the 16-bit length fields cannot overflow for a valid job.
    let data_len: usize = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let pad = usize::from(i + 1 < items.len() && item.len % 2 == 1);
            4 + usize::from(item.len) + pad
        })
        .sum();
    let start = begin_s7(buf, ROSCTR_ACK_DATA, pdu_ref, 2, data_len as u16);
    buf.push(FUNC_READ_VAR);
    buf.push(items.len() as u8);
    for (i, item) in items.iter().enumerate() {
        buf.extend_from_slice(&[RETURN_SUCCESS, DATA_SIZE_BYTE_BITS]);
        push_u16(buf, item.len.wrapping_mul(8));
        let base = (u32::from(item.area) << 24) | (u32::from(item.db) << 16);
        for offset in (0..item.len).step_by(2) {
            let word = image.word(base + u32::from(item.start) + u32::from(offset), now_us);
            let [hi, lo] = word.to_be_bytes();
            buf.push(hi);
            if offset + 1 < item.len {
                buf.push(lo);
            }
        }
        if i + 1 < items.len() && item.len % 2 == 1 {
            buf.push(0x00);
        }
    }
    finish_tpkt(buf, start);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connect,
    Negotiate,
    Identify,
    Cyclic,
}

/// An HMI's or engineering station's session with an S7-300 CPU: COTP
/// connect, Setup Communication, module identification, then cyclic reads.
#[derive(Debug)]
pub struct S7Dialogue {
    stage: Stage,
    pdu_ref: u16,
    client_ref: u16,
    cpu_ref: u16,
    image: ProcessImage,
    items: Vec<VarItem>,
}

impl S7Dialogue {
    pub fn new(image: ProcessImage, rng: &mut Rng) -> Self {
        // A WinCC tag group: one or two DB blocks plus often a merker range,
        // kept well inside the 240-byte PDU.
        let mut items = Vec::new();
        for _ in 0..rng.range(1, 2) {
            items.push(VarItem {
                area: AREA_DB,
                db: rng.range(1, 20) as u16,
                start: 2 * rng.below(32) as u16,
                len: rng.range(8, 64) as u16,
            });
        }
        if rng.chance(0.6) {
            items.push(VarItem {
                area: AREA_MERKER,
                db: 0,
                start: rng.below(16) as u16,
                len: rng.range(4, 16) as u16,
            });
        }
        Self {
            stage: Stage::Connect,
            pdu_ref: rng.below(0x400) as u16,
            client_ref: 1 + rng.below(0x40) as u16,
            cpu_ref: 0x4400 | rng.below(0x100) as u16,
            image,
            items,
        }
    }
}

impl Dialogue for S7Dialogue {
    fn in_setup(&self) -> bool {
        self.stage != Stage::Cyclic
    }

    fn exchange(
        &mut self,
        now_us: u64,
        _rng: &mut Rng,
        request: &mut Vec<u8>,
        response: &mut Vec<u8>,
    ) {
        request.clear();
        response.clear();
        self.pdu_ref = self.pdu_ref.wrapping_add(1);
        match self.stage {
            Stage::Connect => {
                cotp_connect_request(request, self.client_ref);
                cotp_connect_confirm(response, self.client_ref, self.cpu_ref);
                self.stage = Stage::Negotiate;
            }
            Stage::Negotiate => {
                setup_communication_job(request, self.pdu_ref);
                setup_communication_ack(response, self.pdu_ref);
                self.stage = Stage::Identify;
            }
            Stage::Identify => {
                szl_read_request(request, self.pdu_ref, 0x0011, 0x0000);
                szl_module_identification_response(response, self.pdu_ref, CPU_315_ORDER_CODE);
                self.stage = Stage::Cyclic;
            }
            Stage::Cyclic => {
                read_var_job(request, self.pdu_ref, &self.items);
                read_var_ack(response, self.pdu_ref, &self.items, &self.image, now_us);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::hex;

    #[test]
    fn cotp_connection_request_layout() {
        let mut buf = Vec::new();
        cotp_connect_request(&mut buf, 0x0001);
        assert_eq!(
            buf,
            hex("0300 0016 11 e0 0000 0001 00 c0010a c1020100 c2020102")
        );
        let mut cc = Vec::new();
        cotp_connect_confirm(&mut cc, 0x0001, 0x4401);
        assert_eq!(
            cc,
            hex("0300 0016 11 d0 0001 4401 00 c0010a c1020100 c2020102")
        );
    }

    #[test]
    fn setup_communication_layout() {
        let mut job = Vec::new();
        setup_communication_job(&mut job, 0x0100);
        assert_eq!(
            job,
            hex("0300 0019 02f080 32 01 0000 0100 0008 0000 f0 00 0001 0001 01e0")
        );
        let mut ack = Vec::new();
        setup_communication_ack(&mut ack, 0x0100);
        assert_eq!(
            ack,
            hex("0300 001b 02f080 32 03 0000 0100 0008 0000 0000 f0 00 0001 0001 00f0")
        );
    }

    #[test]
    fn read_var_job_and_ack_layout() {
        let items = [
            VarItem {
                area: AREA_DB,
                db: 1,
                start: 2,
                len: 3,
            },
            VarItem {
                area: AREA_MERKER,
                db: 0,
                start: 0,
                len: 2,
            },
        ];
        let mut job = Vec::new();
        read_var_job(&mut job, 5, &items);
        assert_eq!(
            job,
            hex("0300 002b 02f080 32 01 0000 0005 001a 0000 04 02
                 120a 10 02 0003 0001 84 000010
                 120a 10 02 0002 0000 83 000000")
        );
        let mut ack = Vec::new();
        read_var_ack(&mut ack, 5, &items, &ProcessImage::new(1), 0);
        // Header (12) + params (2) + item 1 (4 + 3 + 1 pad) + item 2 (4 + 2).
        assert_eq!(ack.len(), 4 + 3 + 12 + 2 + 8 + 6);
        assert_eq!(&ack[7..19], &hex("32 03 0000 0005 0002 000e 0000")[..]);
        assert_eq!(&ack[19..25], &hex("04 02 ff 04 0018")[..]);
        assert_eq!(&ack[29..33], &hex("ff 04 0010")[..]);
    }

    #[test]
    fn szl_response_lengths_are_consistent() {
        let mut buf = Vec::new();
        szl_module_identification_response(&mut buf, 9, CPU_315_ORDER_CODE);
        let param_len = usize::from(u16::from_be_bytes([buf[13], buf[14]]));
        let data_len = usize::from(u16::from_be_bytes([buf[15], buf[16]]));
        assert_eq!(param_len, 12);
        assert_eq!(buf.len(), 7 + 10 + param_len + data_len);
        let szl = &buf[17 + param_len..];
        assert_eq!(&szl[..8], &hex("ff 09 005c 0011 0000")[..]);
        assert_eq!(&szl[12..14], &hex("0001")[..]);
        assert_eq!(&szl[14..34], b"6ES7 315-2EH14-0AB0 ");
    }

    #[test]
    fn dialogue_walks_through_setup() {
        let mut rng = Rng::new(3);
        let mut dialogue = S7Dialogue::new(ProcessImage::new(3), &mut rng);
        let (mut req, mut resp) = (Vec::new(), Vec::new());
        let mut first_bytes = Vec::new();
        while dialogue.in_setup() {
            dialogue.exchange(0, &mut rng, &mut req, &mut resp);
            first_bytes.push((req[5], resp[5]));
        }
        assert_eq!(first_bytes, [(0xe0, 0xd0), (0xf0, 0xf0), (0xf0, 0xf0)]);
        dialogue.exchange(0, &mut rng, &mut req, &mut resp);
        assert_eq!((req[8], req[17]), (ROSCTR_JOB, FUNC_READ_VAR));
        assert_eq!((resp[8], resp[19]), (ROSCTR_ACK_DATA, FUNC_READ_VAR));
    }
}
