//! The anomaly log: every anomaly is counted, the first few of each kind per file are kept in
//! full, so that a capture of garbage cannot fill memory with messages.

use std::collections::BTreeMap;
use zonewarden_model::{Anomaly, AnomalyKind, Position};

/// Detailed anomalies kept per file and kind; the rest are counted and summarised.
pub const KEPT_PER_FILE_AND_KIND: u32 = 20;

#[derive(Debug, Default)]
pub struct AnomalyLog {
    pub kept: Vec<(usize, Anomaly)>,
    pub by_kind: BTreeMap<AnomalyKind, u64>,
    per_file_kind: BTreeMap<(usize, AnomalyKind), u32>,
    pub total: u64,
}

impl AnomalyLog {
    /// Records one anomaly; `file` is the input index, used for ordering and summaries.
    pub fn push(&mut self, file: usize, kind: AnomalyKind, position: Position, message: String) {
        self.total += 1;
        *self.by_kind.entry(kind).or_default() += 1;
        let seen = self.per_file_kind.entry((file, kind)).or_default();
        *seen += 1;
        if *seen <= KEPT_PER_FILE_AND_KIND {
            self.kept.push((
                file,
                Anomaly {
                    kind,
                    position,
                    message,
                },
            ));
        }
    }

    /// Adds "N more" lines for kinds that went over the per-file limit, then orders everything
    /// by file, packet and offset so that output is stable.
    pub fn finish(&mut self, file_names: &[String]) {
        self.keep_first_overall();
        for (&(file, kind), &count) in &self.per_file_kind {
            if count > KEPT_PER_FILE_AND_KIND {
                let name = file_names.get(file).cloned().unwrap_or_default();
                self.kept.push((
                    file,
                    Anomaly {
                        kind,
                        position: Position {
                            file: name,
                            packet: None,
                            offset: None,
                        },
                        message: format!(
                            "{} more anomalies of this kind in this file are counted but not listed",
                            count - KEPT_PER_FILE_AND_KIND
                        ),
                    },
                ));
            }
        }
        self.per_file_kind.clear();
        self.kept.sort_by(|(fa, a), (fb, b)| {
            (
                fa,
                a.position.packet.is_none(),
                a.position.packet,
                a.position.offset,
                a.kind,
                &a.message,
            )
                .cmp(&(
                    fb,
                    b.position.packet.is_none(),
                    b.position.packet,
                    b.position.offset,
                    b.kind,
                    &b.message,
                ))
        });
    }

    /// After merging the logs of several workers, each of which kept the first few of its own
    /// share, keeps the first few of each kind per file overall — the ones a single worker
    /// would have kept — so that the report does not depend on the number of workers.
    fn keep_first_overall(&mut self) {
        let mut listed: BTreeMap<(usize, AnomalyKind), u32> = BTreeMap::new();
        for (file, anomaly) in &self.kept {
            *listed.entry((*file, anomaly.kind)).or_default() += 1;
        }
        if listed.values().all(|&n| n <= KEPT_PER_FILE_AND_KIND) {
            return;
        }
        // A stable sort: the anomalies of one packet (always found by one worker) keep the
        // order they were found in.
        self.kept.sort_by_key(|(file, a)| {
            (
                *file,
                a.position.packet.is_none(),
                a.position.packet,
                a.position.offset,
            )
        });
        let mut seen: BTreeMap<(usize, AnomalyKind), u32> = BTreeMap::new();
        self.kept.retain(|(file, anomaly)| {
            let n = seen.entry((*file, anomaly.kind)).or_default();
            *n += 1;
            *n <= KEPT_PER_FILE_AND_KIND
        });
    }

    pub fn merge(&mut self, other: AnomalyLog) {
        self.total += other.total;
        for (kind, count) in other.by_kind {
            *self.by_kind.entry(kind).or_default() += count;
        }
        for (key, count) in other.per_file_kind {
            *self.per_file_kind.entry(key).or_default() += count;
        }
        self.kept.extend(other.kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(log: &mut AnomalyLog, packet: u64) {
        log.push(
            0,
            AnomalyKind::MalformedHeader,
            Position {
                file: "a.pcap".into(),
                packet: Some(packet),
                offset: Some(packet * 100),
            },
            format!("bad header in packet {packet}"),
        );
    }

    /// Two workers each kept the first 20 of their own share, and the merged report listed up
    /// to 40 — a different list from one worker's, which the two-worker scan must equal.
    #[test]
    fn merged_worker_logs_list_the_first_anomalies_overall_like_one_log() {
        let mut one = AnomalyLog::default();
        let (mut even, mut odd) = (AnomalyLog::default(), AnomalyLog::default());
        for packet in 1..=50 {
            push(&mut one, packet);
            push(if packet % 2 == 0 { &mut even } else { &mut odd }, packet);
        }
        let names = vec!["a.pcap".to_string()];
        one.finish(&names);
        even.merge(odd);
        even.finish(&names);
        assert_eq!(even.total, 50);
        let listed: Vec<_> = even.kept.iter().map(|(_, a)| a.clone()).collect();
        let expected: Vec<_> = one.kept.iter().map(|(_, a)| a.clone()).collect();
        assert_eq!(listed, expected);
        assert_eq!(listed.len(), 21, "the first 20 and one \"30 more\" line");
        assert_eq!(listed[19].position.packet, Some(20));
        assert!(listed[20].message.starts_with("30 more"));
    }
}
