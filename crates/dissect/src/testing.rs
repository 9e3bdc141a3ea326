//! The session test harness every protocol folder's tests share: feed a session messages and
//! gaps in order, collect what it reported.

use crate::{OpStats, Operation, Output, Session};
use zonewarden_model::{Direction, Timestamp};

/// What a session reported over a run.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Run {
    pub ops: Vec<(Operation, OpStats)>,
    pub facts: Vec<(bool, &'static str, String)>,
    pub anomalies: Vec<String>,
}

impl Run {
    /// `Some(bytes)` is data, `None` a gap of `gap_len` bytes in that direction.
    pub fn of(
        session: &mut dyn Session,
        messages: &[(Direction, Option<&[u8]>)],
        gap_len: u64,
    ) -> Run {
        let mut r = Run::default();
        for (dir, bytes) in messages {
            let mut out = Output::for_tests(&mut r.ops, &mut r.facts, &mut r.anomalies);
            match bytes {
                Some(b) => session.data(*dir, Timestamp(1), b, &mut out),
                None => session.gap(*dir, gap_len, &mut out),
            }
        }
        r
    }

    /// Data only, no gaps.
    pub fn of_data(session: &mut dyn Session, messages: &[(Direction, &[u8])]) -> Run {
        let with_gaps: Vec<(Direction, Option<&[u8]>)> =
            messages.iter().map(|&(d, b)| (d, Some(b))).collect();
        Run::of(session, &with_gaps, 0)
    }
}

/// The first value of `field` said about the client (`about_client`) or the server.
pub(crate) fn fact<'a>(r: &'a Run, about_client: bool, field: &str) -> Option<&'a str> {
    r.facts
        .iter()
        .find(|(c, f, _)| *c == about_client && *f == field)
        .map(|(_, _, v)| v.as_str())
}
