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
