//! Application-protocol encoders.
//!
//! The industrial protocols share one shape: a client (HMI or engineering
//! station) sends a request over a TCP connection and the PLC answers. Each
//! protocol implements [`Dialogue`], which produces matching request and
//! response payloads, so the traffic layer can drive any of them over a
//! simulated TCP connection without knowing their encodings.

pub mod dnp3;
pub mod enip;
pub mod it;
pub mod modbus;
pub mod s7;

use crate::rng::{mix64, Rng};

/// A client/server conversation over one TCP connection.
pub trait Dialogue: std::fmt::Debug {
    /// True while connection-establishment messages (session registration,
    /// protocol negotiation, identification) are still due. The traffic
    /// layer sends those back to back after the TCP handshake and only then
    /// falls into the polling period.
    fn in_setup(&self) -> bool;

    /// Writes the next request into `request` and the server's answer into
    /// `response` (both cleared first). `now_us` is the request time, which
    /// drives the simulated process values.
    fn exchange(
        &mut self,
        now_us: u64,
        rng: &mut Rng,
        request: &mut Vec<u8>,
        response: &mut Vec<u8>,
    );

    /// A last client message that expects no answer, sent before the client
    /// closes the connection (EtherNet/IP UnregisterSession). Returns false
    /// when the protocol has none.
    fn farewell(&mut self, _request: &mut Vec<u8>) -> bool {
        false
    }
}

/// The simulated process behind one PLC's data tables.
///
/// Values are a pure function of (PLC, address, time), not state mutated by
/// reads: several HMIs reading the same register at about the same moment
/// then see the same value, as they would on a real plant, and the
/// simulation needs no shared mutable state between connections.
#[derive(Debug, Clone, Copy)]
pub struct ProcessImage {
    seed: u64,
}

impl ProcessImage {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    fn point(&self, address: u32) -> u64 {
        mix64(self.seed ^ u64::from(address).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// A 16-bit process word. Each address behaves as one of four signal
    /// kinds real registers show: a constant setpoint, a slow ramp (level,
    /// temperature), a noisy measurement (flow, pressure) or a counter.
    pub fn word(&self, address: u32, now_us: u64) -> u16 {
        let h = self.point(address);
        let now_ms = now_us / 1_000;
        match h & 3 {
            0 => ((h >> 8) % 1_000) as u16,
            1 => {
                let half_period_ms = 30_000 + (h >> 16) % 600_000;
                let base = (h >> 36) % 2_000;
                let amplitude = 50 + (h >> 48) % 500;
                let phase = (now_ms + (h >> 8)) % (2 * half_period_ms);
                let tri = if phase < half_period_ms {
                    phase
                } else {
                    2 * half_period_ms - phase
                };
                (base + amplitude * tri / half_period_ms) as u16
            }
            2 => {
                let base = (h >> 8) % 4_000;
                let noise = 1 + (h >> 24) % 20;
                (base + mix64(h ^ (now_ms / 250)) % noise) as u16
            }
            _ => {
                let tick_ms = 1_000 * (1 + (h >> 8) % 10);
                ((now_ms / tick_ms).wrapping_add(h >> 16)) as u16
            }
        }
    }

    /// A discrete process bit: half the addresses hold a fixed state, the
    /// others toggle every 5–120 s like a running/stopped motor.
    pub fn bit(&self, address: u32, now_us: u64) -> bool {
        let h = self.point(address ^ 0x8000_0000);
        if h & 1 == 0 {
            (h >> 1) & 1 == 1
        } else {
            let period_us = 1_000_000 * (5 + (h >> 8) % 116);
            ((now_us / period_us).wrapping_add(h >> 20)) & 1 == 1
        }
    }
}

/// Appends `value` as decimal ASCII (no allocation, unlike `format!`).
pub fn push_decimal(buf: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut n = value;
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    buf.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// Appends `value` as exactly two decimal digits.
pub fn push_two_digits(buf: &mut Vec<u8>, value: u64) {
    buf.push(b'0' + (value / 10 % 10) as u8);
    buf.push(b'0' + (value % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_values_are_pure_functions() {
        let image = ProcessImage::new(99);
        for address in 0..200 {
            assert_eq!(
                image.word(address, 5_000_000),
                image.word(address, 5_000_000)
            );
            assert_eq!(image.bit(address, 5_000_000), image.bit(address, 5_000_000));
        }
        let other = ProcessImage::new(100);
        let differs = (0..50).any(|a| image.word(a, 0) != other.word(a, 0));
        assert!(differs);
    }

    #[test]
    fn process_values_move_over_time() {
        let image = ProcessImage::new(3);
        let moving = (0..100)
            .filter(|&a| image.word(a, 0) != image.word(a, 600_000_000))
            .count();
        assert!(moving > 20, "only {moving} of 100 registers changed");
    }

    #[test]
    fn decimal_formatting() {
        let mut buf = Vec::new();
        push_decimal(&mut buf, 0);
        buf.push(b' ');
        push_decimal(&mut buf, 1_234_567);
        buf.push(b' ');
        push_decimal(&mut buf, u64::MAX);
        buf.push(b' ');
        push_two_digits(&mut buf, 7);
        assert_eq!(buf, b"0 1234567 18446744073709551615 07");
    }
}
