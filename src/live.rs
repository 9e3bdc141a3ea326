//! Live capture with libpcap (the `live` feature): packets from an interface into rotating
//! pcap files that `monitor` analyses one by one.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub type Capture = pcap::Capture<pcap::Active>;

/// Opens the interface (promiscuous, whole packets) with the filter.
pub fn open(interface: &str, filter: Option<&str>) -> Result<Capture, pcap::Error> {
    let mut capture = pcap::Capture::from_device(interface)?
        .promisc(true)
        .snaplen(65_535)
        .immediate_mode(true)
        // A burst must fit while the thread sleeps or rotates a file.
        .buffer_size(64 << 20)
        .open()?
        // Non-blocking: on a quiet wire a blocking read never returns (immediate mode
        // ignores the read timeout), and the thread must see a stop.
        .setnonblock()?;
    if let Some(f) = filter {
        capture.filter(f, true)?;
    }
    Ok(capture)
}

/// Captures until `stop`, starting a new file every `rotate`; returns the kernel's counters.
pub fn run(
    mut capture: Capture,
    dir: &Path,
    rotate: Duration,
    stop: &AtomicBool,
) -> Result<String, String> {
    let mut sequence = 0u64;
    let name = |n: u64| dir.join(format!("live-{n:09}.pcap"));
    let mut file = capture
        .savefile(name(sequence))
        .map_err(|e| e.to_string())?;
    let mut started = Instant::now();
    let mut packets = 0u64;
    while !stop.load(Ordering::SeqCst) {
        match capture.next_packet() {
            Ok(packet) => {
                file.write(&packet);
                packets += 1;
            }
            Err(pcap::Error::TimeoutExpired) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(e.to_string()),
        }
        if started.elapsed() >= rotate {
            file.flush().map_err(|e| e.to_string())?;
            sequence += 1;
            // The next file exists before the old one is released: the follower sees a newer
            // file only once the older one is complete.
            let next = capture
                .savefile(name(sequence))
                .map_err(|e| e.to_string())?;
            drop(std::mem::replace(&mut file, next));
            started = Instant::now();
        }
    }
    file.flush().map_err(|e| e.to_string())?;
    drop(file);
    let stats = capture.stats().map_err(|e| e.to_string())?;
    Ok(format!(
        "{packets} packet(s) written; kernel: {} received, {} dropped (buffer), {} dropped by the interface",
        stats.received, stats.dropped, stats.if_dropped
    ))
}
