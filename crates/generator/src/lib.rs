//! Deterministic generator of realistic industrial plant traffic.
//!
//! [`write_pcap`] simulates a small plant laid out along the Purdue model
//! and writes what a SPAN port would see as a classic pcap file
//! (microsecond timestamps, Ethernet link type). The captures feed
//! benchmarks, from megabytes to gigabytes, and `zonewarden demo`.
//!
//! # The plant
//!
//! * Level 1, 10.10.1.0/24: PLCs speaking, round-robin, Modbus/TCP
//!   (Schneider), S7comm (Siemens), EtherNet/IP with CIP (Rockwell, plus a
//!   remote I/O adapter exchanging class 1 I/O on UDP 2222) and DNP3 (Moxa).
//! * Level 2, 10.10.2.0/24: HMIs polling every PLC over one long-lived TCP
//!   connection each and forwarding data to the historian over TLS, and
//!   engineering stations that go online with a PLC every 20–40 s and
//!   browse the network with EtherNet/IP ListIdentity.
//! * Level 3, 10.10.3.0/24: a historian, fed by the HMIs over HTTPS and
//!   serving trend pages to the office.
//! * Level 4, 10.10.4.0/24: workstations doing DNS, HTTP and NTP against
//!   the site's servers.
//! * A router at 10.10.x.1 forwarding between the subnets, sending LLDP;
//!   ARP everywhere.
//!
//! Every frame is well formed: IPv4, TCP and UDP checksums are correct, TCP
//! sequence numbers follow a real exchange, and DNP3 link CRCs check.
//!
//! # Guarantees
//!
//! * The same [`PlantSpec`] (seed included) always yields a byte-identical
//!   file, on every platform.
//! * Output is streamed: memory use does not grow with the capture size.
//!
//! ```
//! use zonewarden_generator::{write_pcap, PlantSpec};
//!
//! let spec = PlantSpec { seed: 7, duration_secs: Some(2.0), ..PlantSpec::default() };
//! let mut capture = Vec::new();
//! let summary = write_pcap(&spec, &mut capture)?;
//! assert_eq!(summary.bytes_written, capture.len() as u64);
//! # Ok::<(), std::io::Error>(())
//! ```

mod frame;
mod pcap_writer;
mod plant;
mod protocols;
mod rng;
mod schedule;
mod spec;
mod tcp;
mod traffic;

pub use spec::{parse_size, GenSummary, PlantSpec};

/// Generates the capture described by `spec` into `out`.
///
/// Generation stops at `spec.duration_secs` of capture time or just before
/// the file would exceed `spec.target_bytes`, whichever comes first; with
/// neither set it stops after 60 s. `out` is buffered internally.
///
/// # Errors
///
/// `InvalidInput` for a spec that cannot be generated (a negative or
/// non-finite duration, a start time beyond pcap's 32-bit seconds, more
/// stations than a level's /24 holds), otherwise any error of `out`.
pub fn write_pcap<W: std::io::Write>(spec: &PlantSpec, out: W) -> std::io::Result<GenSummary> {
    schedule::run(spec, out)
}
