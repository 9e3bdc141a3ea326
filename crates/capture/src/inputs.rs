//! Turning command-line arguments into an ordered list of captures.

use crate::{CaptureError, CaptureReader, ErrorKind};
use std::path::{Path, PathBuf};

/// One capture to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// Timestamp of the first packet in nanoseconds, when it could be read in advance.
    pub first_ts: Option<u64>,
}

impl Input {
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }
}

/// The captures to read, in order, and what could not be listed.
#[derive(Debug, Default)]
pub struct InputList {
    pub inputs: Vec<Input>,
    /// Arguments that do not exist or cannot be listed.
    pub errors: Vec<CaptureError>,
    /// Files inside directories that are not captures (logs, notes), passed over.
    pub skipped_non_captures: Vec<PathBuf>,
}

/// Expands files, directories (recursively) and `-` into captures ordered by first timestamp.
///
/// Time order matters because flows and timeouts run on packet time: rotated capture files
/// given in any order (or found in a directory) are read oldest first. Standard input cannot be
/// looked at in advance and is read first. Files named explicitly are always read (a damaged
/// one gets its error later); files found in directories are taken only if their first bytes
/// are a capture's, so a capture folder with notes beside it just works.
pub fn expand_inputs(args: &[PathBuf]) -> InputList {
    let mut list = InputList::default();
    let mut stdin = Vec::new();
    let mut files = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            stdin.push(Input {
                path: arg.clone(),
                first_ts: None,
            });
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                walk(arg, &mut found, &mut list.errors);
                for path in found {
                    match CaptureReader::open(&path) {
                        Ok(mut reader) => {
                            let first_ts = first_timestamp(&mut reader);
                            files.push(Input { path, first_ts });
                        }
                        Err(e) if matches!(e.kind, ErrorKind::NotACapture(_)) => {
                            list.skipped_non_captures.push(path)
                        }
                        Err(_) => files.push(Input {
                            path,
                            first_ts: None,
                        }),
                    }
                }
            }
            Ok(_) => {
                let first_ts = CaptureReader::open(arg)
                    .ok()
                    .and_then(|mut r| first_timestamp(&mut r));
                files.push(Input {
                    path: arg.clone(),
                    first_ts,
                });
            }
            Err(e) => list.errors.push(CaptureError {
                file: arg.display().to_string(),
                offset: 0,
                packet: None,
                kind: ErrorKind::Io(e),
            }),
        }
    }
    // Unreadable files (no timestamp) go last so that their errors do not hide the order.
    files.sort_by(|a, b| {
        (a.first_ts.is_none(), a.first_ts, &a.path).cmp(&(
            b.first_ts.is_none(),
            b.first_ts,
            &b.path,
        ))
    });
    files.dedup_by(|a, b| a.path == b.path);
    list.inputs = stdin.into_iter().chain(files).collect();
    list
}

fn first_timestamp(reader: &mut CaptureReader) -> Option<u64> {
    // Skip over damaged leading records, but do not read far.
    for _ in 0..16 {
        match reader.next_packet() {
            Ok(Some(p)) => return Some(p.ts.as_nanos()),
            Ok(None) => return None,
            Err(e) if e.is_fatal() => return None,
            Err(_) => {}
        }
    }
    None
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<CaptureError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(CaptureError {
                file: dir.display().to_string(),
                offset: 0,
                packet: None,
                kind: ErrorKind::Io(e),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, out, errors),
            Ok(meta) if meta.is_file() => out.push(path),
            _ => {}
        }
    }
}
