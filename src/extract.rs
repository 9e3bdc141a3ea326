//! `detect --extract DIR`: one small pcap per alert with the packets involved, so that an
//! analyst can open exactly what raised it in Wireshark without the whole capture.
//!
//! An alert's packets are those between its client and server (either direction; an alert
//! with one end only: every packet to or from it) from its first to its last time, in
//! every input, up to [`MAX_PACKETS`] per alert. Alerts are aggregated per operation and
//! pair, so the extract also holds the pair's other traffic in that window; the evidence
//! packet is always among them.

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use zonewarden_capture::CaptureReader;
use zonewarden_detect::Alert;
use zonewarden_model::{format_mac, parse_rfc3339, Timestamp};
use zonewarden_wire::{decode_frame, LinkType, Net};

/// Packets written per alert at most: enough for the exchange, small enough to mail.
pub const MAX_PACKETS: u64 = 1_000;

/// The nanosecond pcap magic: alert windows are nanosecond-exact.
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const SNAPLEN: u32 = 262_144;

/// One alert's selection and, once a packet matched, its file.
struct Selection {
    alert: usize,
    ends: (Option<String>, Option<String>),
    from: Timestamp,
    to: Timestamp,
    file: Option<(BufWriter<std::fs::File>, LinkType)>,
    path: PathBuf,
    written: u64,
    other_link: u64,
}

impl Selection {
    fn wants(&self, ts: Timestamp, src: &str, dst: &str) -> bool {
        if ts < self.from || ts > self.to {
            return false;
        }
        match (&self.ends.0, &self.ends.1) {
            (Some(c), Some(s)) => (c == src && s == dst) || (c == dst && s == src),
            (Some(one), None) | (None, Some(one)) => one == src || one == dst,
            (None, None) => false,
        }
    }

    fn write(&mut self, link: LinkType, ts: Timestamp, data: &[u8], orig_len: u32) -> Result<()> {
        if self.written >= MAX_PACKETS {
            return Ok(());
        }
        if self.file.is_none() {
            let mut out = BufWriter::new(
                std::fs::File::create(&self.path)
                    .with_context(|| format!("creating {}", self.path.display()))?,
            );
            let header: Vec<u8> = MAGIC_NANOS
                .to_le_bytes()
                .into_iter()
                .chain(2u16.to_le_bytes())
                .chain(4u16.to_le_bytes())
                .chain(0i32.to_le_bytes())
                .chain(0u32.to_le_bytes())
                .chain(SNAPLEN.to_le_bytes())
                .chain(link.0.to_le_bytes())
                .collect();
            out.write_all(&header)?;
            self.file = Some((out, link));
        }
        let Some((out, file_link)) = self.file.as_mut() else {
            return Ok(());
        };
        // A classic pcap has one link type; packets of another interface's type are counted.
        if *file_link != link {
            self.other_link += 1;
            return Ok(());
        }
        let secs = u32::try_from(ts.0 / 1_000_000_000).unwrap_or(u32::MAX);
        let nanos = (ts.0 % 1_000_000_000) as u32;
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        for field in [secs, nanos, len, orig_len.max(len)] {
            out.write_all(&field.to_le_bytes())?;
        }
        out.write_all(data)?;
        self.written += 1;
        Ok(())
    }
}

/// The endpoints of a frame as alerts name them: IP addresses, else MAC addresses.
fn endpoints(link: LinkType, data: &[u8]) -> Option<(String, String)> {
    let frame = decode_frame(link, data).ok()?;
    match frame.net {
        Net::Ip(ip) => Some((ip.src.to_string(), ip.dst.to_string())),
        _ => Some((format_mac(frame.src_mac?), format_mac(frame.dst_mac?))),
    }
}

/// Writes `DIR/<alert id>.pcap` for each alert with packets in `captures` and records the
/// path in the alert. Returns the number of files written.
pub fn extract(alerts: &mut [Alert], captures: &[String], dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut selections: Vec<Selection> = alerts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let from = parse_rfc3339(&a.time)?;
            let to = a
                .last_time
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(from);
            Some(Selection {
                alert: i,
                ends: (a.client.clone(), a.server.clone()),
                from,
                to,
                file: None,
                path: dir.join(format!("{}.pcap", a.id)),
                written: 0,
                other_link: 0,
            })
        })
        .filter(|s| s.ends.0.is_some() || s.ends.1.is_some())
        .collect();
    // Endpoint → the selections that name it, so that a packet is checked only against the
    // alerts about its own hosts.
    let mut by_end: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, s) in selections.iter().enumerate() {
        for end in [&s.ends.0, &s.ends.1].into_iter().flatten() {
            by_end.entry(end.clone()).or_default().push(i);
        }
    }
    for capture in captures {
        let mut reader = match CaptureReader::open(Path::new(capture)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("zonewarden: {capture}: {e}");
                continue;
            }
        };
        loop {
            let packet = match reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("zonewarden: {capture}: {e}");
                    break;
                }
            };
            let Some((src, dst)) = endpoints(packet.link, packet.data) else {
                continue;
            };
            let mut candidates: Vec<usize> = by_end
                .get(&src)
                .into_iter()
                .chain(by_end.get(&dst))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            for i in candidates {
                if let Some(s) = selections.get_mut(i) {
                    if s.wants(packet.ts, &src, &dst) {
                        s.write(packet.link, packet.ts, packet.data, packet.orig_len)?;
                    }
                }
            }
        }
    }
    let mut files = 0;
    for s in &mut selections {
        let Some((mut out, _)) = s.file.take() else {
            continue;
        };
        out.flush()
            .with_context(|| format!("writing {}", s.path.display()))?;
        files += 1;
        if s.other_link > 0 {
            eprintln!(
                "zonewarden: {}: {} packet(s) of another link type left out",
                s.path.display(),
                s.other_link
            );
        }
        if let Some(a) = alerts.get_mut(s.alert) {
            a.evidence_pcap = Some(s.path.display().to_string());
        }
    }
    Ok(files)
}
