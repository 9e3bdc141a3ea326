//! Modbus/TCP: MBAP header (Modbus Messaging on TCP/IP Implementation Guide
//! v1.0b §3.1.3) carrying Modbus Application Protocol v1.1b3 PDUs.

use super::{Dialogue, ProcessImage};
use crate::rng::Rng;

/// Registered Modbus/TCP port (Implementation Guide §4.1.2).
pub const PORT: u16 = 502;

/// Address offset separating input registers / discrete inputs from holding
/// registers / coils in the process image (they are distinct tables, §4.3).
const INPUT_TABLE: u32 = 0x1_0000;

/// One Modbus request (Application Protocol §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// FC 1 (§6.1).
    ReadCoils { start: u16, quantity: u16 },
    /// FC 2 (§6.2).
    ReadDiscreteInputs { start: u16, quantity: u16 },
    /// FC 3 (§6.3).
    ReadHoldingRegisters { start: u16, quantity: u16 },
    /// FC 4 (§6.4).
    ReadInputRegisters { start: u16, quantity: u16 },
    /// FC 6 (§6.6).
    WriteSingleRegister { address: u16, value: u16 },
    /// FC 16 (§6.12); register `start + i` is written with `first_value + i`.
    WriteMultipleRegisters {
        start: u16,
        quantity: u16,
        first_value: u16,
    },
    /// FC 43 / MEI 14, basic device identification (§6.21).
    ReadDeviceIdentification,
}

/// Objects 0x00–0x02 of the basic identification category (§6.21, table 1).
#[derive(Debug, Clone, Copy)]
pub struct DeviceIdentity {
    pub vendor: &'static str,
    pub product_code: &'static str,
    pub revision: &'static str,
}

/// A Modicon M340 CPU, the typical Schneider Modbus/TCP server.
pub const SCHNEIDER_M340: DeviceIdentity = DeviceIdentity {
    vendor: "Schneider Electric",
    product_code: "BMX P34 2020",
    revision: "v3.2",
};

/// Starts an ADU with a zero length field; returns its offset for
/// [`finish_adu`].
fn begin_adu(buf: &mut Vec<u8>, transaction: u16, unit: u8) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&transaction.to_be_bytes());
    buf.extend_from_slice(&[0, 0]); // protocol identifier: 0 = Modbus
    buf.extend_from_slice(&[0, 0]); // length, patched by finish_adu
    buf.push(unit);
    start
}

/// MBAP length counts the unit identifier and the PDU (§3.1.3).
fn finish_adu(buf: &mut [u8], start: usize) {
    let length = buf.len().saturating_sub(start + 6) as u16;
    crate::frame::put_u16(buf, start + 4, length);
}

/// Byte count field for `quantity` registers; the protocol limits reads
/// to 125 and writes to 123 registers, so it always fits a byte.
fn register_bytes(quantity: u16) -> u8 {
    (usize::from(quantity) * 2) as u8
}

fn push_u16(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_be_bytes());
}

/// Appends a request ADU.
pub fn write_request(buf: &mut Vec<u8>, transaction: u16, unit: u8, request: &Request) {
    let start = begin_adu(buf, transaction, unit);
    match *request {
        Request::ReadCoils { start, quantity } => read_pdu(buf, 0x01, start, quantity),
        Request::ReadDiscreteInputs { start, quantity } => read_pdu(buf, 0x02, start, quantity),
        Request::ReadHoldingRegisters { start, quantity } => read_pdu(buf, 0x03, start, quantity),
        Request::ReadInputRegisters { start, quantity } => read_pdu(buf, 0x04, start, quantity),
        Request::WriteSingleRegister { address, value } => {
            buf.push(0x06);
            push_u16(buf, address);
            push_u16(buf, value);
        }
        Request::WriteMultipleRegisters {
            start,
            quantity,
            first_value,
        } => {
            buf.push(0x10);
            push_u16(buf, start);
            push_u16(buf, quantity);
            buf.push(register_bytes(quantity));
            for i in 0..quantity {
                push_u16(buf, first_value.wrapping_add(i));
            }
        }
        Request::ReadDeviceIdentification => {
            // MEI type 0x0E, read device ID code 01 (basic), object 0.
            buf.extend_from_slice(&[0x2b, 0x0e, 0x01, 0x00]);
        }
    }
    finish_adu(buf, start);
}

fn read_pdu(buf: &mut Vec<u8>, function: u8, start: u16, quantity: u16) {
    buf.push(function);
    push_u16(buf, start);
    push_u16(buf, quantity);
}

/// Appends the server's normal response to `request`.
pub fn write_response(
    buf: &mut Vec<u8>,
    transaction: u16,
    unit: u8,
    request: &Request,
    image: &ProcessImage,
    identity: &DeviceIdentity,
    now_us: u64,
) {
    let adu = begin_adu(buf, transaction, unit);
    match *request {
        Request::ReadCoils { start, quantity } => {
            bits_response(buf, 0x01, image, u32::from(start), quantity, now_us);
        }
        Request::ReadDiscreteInputs { start, quantity } => {
            bits_response(
                buf,
                0x02,
                image,
                INPUT_TABLE + u32::from(start),
                quantity,
                now_us,
            );
        }
        Request::ReadHoldingRegisters { start, quantity } => {
            registers_response(buf, 0x03, image, u32::from(start), quantity, now_us);
        }
        Request::ReadInputRegisters { start, quantity } => {
            registers_response(
                buf,
                0x04,
                image,
                INPUT_TABLE + u32::from(start),
                quantity,
                now_us,
            );
        }
        Request::WriteSingleRegister { address, value } => {
            // §6.6: the normal response echoes the request.
            buf.push(0x06);
            push_u16(buf, address);
            push_u16(buf, value);
        }
        Request::WriteMultipleRegisters {
            start, quantity, ..
        } => {
            buf.push(0x10);
            push_u16(buf, start);
            push_u16(buf, quantity);
        }
        Request::ReadDeviceIdentification => {
            // MEI 0x0E, code 01, conformity level 0x01 (basic, stream access
            // only), no more follows, next object 0, three objects.
            buf.extend_from_slice(&[0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03]);
            let objects = [identity.vendor, identity.product_code, identity.revision];
            for (id, value) in (0u8..).zip(objects) {
                buf.push(id);
                buf.push(value.len() as u8);
                buf.extend_from_slice(value.as_bytes());
            }
        }
    }
    finish_adu(buf, adu);
}

/// FC 1/2 response: byte count, then bits packed LSB-first (§6.1).
fn bits_response(
    buf: &mut Vec<u8>,
    function: u8,
    image: &ProcessImage,
    first: u32,
    quantity: u16,
    now_us: u64,
) {
    buf.push(function);
    let byte_count = quantity.div_ceil(8);
    buf.push(byte_count as u8);
    for byte_index in 0..byte_count {
        let mut byte = 0u8;
        for bit in 0..8u16 {
            let n = byte_index * 8 + bit;
            if n < quantity && image.bit(first + u32::from(n), now_us) {
                byte |= 1 << bit;
            }
        }
        buf.push(byte);
    }
}

/// FC 3/4 response: byte count = 2 × quantity, then big-endian registers.
fn registers_response(
    buf: &mut Vec<u8>,
    function: u8,
    image: &ProcessImage,
    first: u32,
    quantity: u16,
    now_us: u64,
) {
    buf.push(function);
    buf.push(register_bytes(quantity));
    for i in 0..quantity {
        push_u16(buf, image.word(first + u32::from(i), now_us));
    }
}

/// A SCADA client's conversation with one Modbus server.
///
/// HMIs poll a fixed list of blocks configured at commissioning, so the
/// list is drawn once per connection and cycled; writes (operator setpoint
/// changes) are rare and random.
#[derive(Debug)]
pub struct ModbusDialogue {
    unit: u8,
    transaction: u16,
    image: ProcessImage,
    identity: DeviceIdentity,
    poll_list: Vec<Request>,
    cursor: usize,
    identified: bool,
    write_chance: f64,
}

impl ModbusDialogue {
    /// `write_chance` is the probability that an exchange is a write instead
    /// of the next poll.
    pub fn new(image: ProcessImage, write_chance: f64, rng: &mut Rng) -> Self {
        let blocks = rng.range(2, 4);
        let mut poll_list = Vec::with_capacity(blocks as usize);
        for i in 0..blocks {
            let start =
                [0u16, 100, 400, 1000].get(i as usize).copied().unwrap_or(0) + rng.below(20) as u16;
            let quantity = rng.range(10, 60) as u16;
            let kind = if i == 0 { 0 } else { rng.below(10) };
            poll_list.push(match kind {
                0..=6 => Request::ReadHoldingRegisters { start, quantity },
                7 => Request::ReadCoils {
                    start,
                    quantity: quantity * 2,
                },
                8 => Request::ReadDiscreteInputs {
                    start,
                    quantity: quantity * 2,
                },
                _ => Request::ReadInputRegisters { start, quantity },
            });
        }
        Self {
            unit: 1,
            transaction: 0,
            image,
            identity: SCHNEIDER_M340,
            poll_list,
            cursor: 0,
            identified: false,
            write_chance,
        }
    }

    fn next_request(&mut self, now_us: u64, rng: &mut Rng) -> Request {
        if !self.identified {
            self.identified = true;
            return Request::ReadDeviceIdentification;
        }
        if rng.chance(self.write_chance) {
            let address = 200 + rng.below(20) as u16;
            let value = self
                .image
                .word(u32::from(address), now_us)
                .wrapping_add(rng.range(1, 50) as u16);
            return if rng.chance(0.5) {
                Request::WriteSingleRegister { address, value }
            } else {
                Request::WriteMultipleRegisters {
                    start: address,
                    quantity: rng.range(2, 8) as u16,
                    first_value: value,
                }
            };
        }
        let request =
            self.poll_list
                .get(self.cursor)
                .copied()
                .unwrap_or(Request::ReadHoldingRegisters {
                    start: 0,
                    quantity: 10,
                });
        self.cursor = (self.cursor + 1) % self.poll_list.len().max(1);
        request
    }
}

impl Dialogue for ModbusDialogue {
    fn in_setup(&self) -> bool {
        !self.identified
    }

    fn exchange(
        &mut self,
        now_us: u64,
        rng: &mut Rng,
        request: &mut Vec<u8>,
        response: &mut Vec<u8>,
    ) {
        let message = self.next_request(now_us, rng);
        self.transaction = self.transaction.wrapping_add(1);
        request.clear();
        response.clear();
        write_request(request, self.transaction, self.unit, &message);
        write_response(
            response,
            self.transaction,
            self.unit,
            &message,
            &self.image,
            &self.identity,
            now_us,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::hex;

    #[test]
    fn read_holding_registers_layout() {
        let mut req = Vec::new();
        write_request(
            &mut req,
            0x0001,
            0x11,
            &Request::ReadHoldingRegisters {
                start: 0x006b,
                quantity: 3,
            },
        );
        // Application Protocol §6.3 example, wrapped in an MBAP header.
        assert_eq!(req, hex("0001 0000 0006 11 03 006b 0003"));

        let image = ProcessImage::new(1);
        let mut resp = Vec::new();
        let request = Request::ReadHoldingRegisters {
            start: 0x006b,
            quantity: 3,
        };
        write_response(&mut resp, 1, 0x11, &request, &image, &SCHNEIDER_M340, 0);
        assert_eq!(&resp[..9], &hex("0001 0000 0009 11 03 06")[..]);
        assert_eq!(resp.len(), 9 + 6);
        assert_eq!(u16::from_be_bytes([resp[9], resp[10]]), image.word(0x6b, 0));
    }

    #[test]
    fn coil_response_packs_bits_lsb_first() {
        let image = ProcessImage::new(5);
        let mut resp = Vec::new();
        let request = Request::ReadCoils {
            start: 0,
            quantity: 10,
        };
        write_response(&mut resp, 7, 1, &request, &image, &SCHNEIDER_M340, 0);
        assert_eq!(&resp[..9], &hex("0007 0000 0005 01 01 02")[..]);
        for n in 0..10u32 {
            let byte = resp[9 + (n / 8) as usize];
            assert_eq!(byte >> (n % 8) & 1 == 1, image.bit(n, 0));
        }
        assert_eq!(resp[10] & 0xfc, 0, "unused bits must be zero");
    }

    #[test]
    fn write_multiple_registers_layout() {
        let mut req = Vec::new();
        let request = Request::WriteMultipleRegisters {
            start: 1,
            quantity: 2,
            first_value: 0x000a,
        };
        write_request(&mut req, 2, 1, &request);
        assert_eq!(req, hex("0002 0000 000b 01 10 0001 0002 04 000a 000b"));
        let mut resp = Vec::new();
        write_response(
            &mut resp,
            2,
            1,
            &request,
            &ProcessImage::new(0),
            &SCHNEIDER_M340,
            0,
        );
        assert_eq!(resp, hex("0002 0000 0006 01 10 0001 0002"));
    }

    #[test]
    fn device_identification_layout() {
        let mut req = Vec::new();
        write_request(&mut req, 3, 1, &Request::ReadDeviceIdentification);
        assert_eq!(req, hex("0003 0000 0005 01 2b 0e 01 00"));
        let mut resp = Vec::new();
        write_response(
            &mut resp,
            3,
            1,
            &Request::ReadDeviceIdentification,
            &ProcessImage::new(0),
            &SCHNEIDER_M340,
            0,
        );
        let mut expected = hex("0003 0000 0000 01 2b 0e 01 01 00 00 03");
        expected.extend_from_slice(b"\x00\x12Schneider Electric\x01\x0cBMX P34 2020\x02\x04v3.2");
        let length = (expected.len() - 6) as u16;
        expected[4..6].copy_from_slice(&length.to_be_bytes());
        assert_eq!(resp, expected);
    }

    #[test]
    fn dialogue_identifies_first_then_polls() {
        let mut rng = Rng::new(1);
        let mut dialogue = ModbusDialogue::new(ProcessImage::new(1), 0.0, &mut rng);
        let (mut req, mut resp) = (Vec::new(), Vec::new());
        assert!(dialogue.in_setup());
        dialogue.exchange(0, &mut rng, &mut req, &mut resp);
        assert_eq!(req[7], 0x2b);
        assert!(!dialogue.in_setup());
        dialogue.exchange(0, &mut rng, &mut req, &mut resp);
        assert_eq!(&req[..2], &[0, 2], "transaction id increments");
        assert_eq!(req[7], 0x03, "the poll list starts with FC 3");
        assert_eq!(resp[7], 0x03);
        assert_eq!(usize::from(resp[8]), resp.len() - 9);
    }
}
