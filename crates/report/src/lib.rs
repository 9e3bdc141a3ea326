//! Renders scan results and the communication map: text for people, one JSON document, or
//! JSON Lines for streaming.
//!
//! The JSON field names are a public contract (users' scripts read them): fields may be added,
//! never renamed or removed. Output order is stable: two runs over the same input produce the
//! same bytes.

mod csv;
mod diff;
mod json;
mod names;
mod text;

pub use csv::{write_inventory_csv, CSV_COLUMNS};
pub use diff::{diff, write_diff_text, AssetRef, AttributeChange, Conversation, Diff, DiffError};
pub use json::{
    Document, EdgeJson, FlowJson, HostJson, IdentityJson, InputJson, L2Json, OperationJson,
    StatsJson,
};
pub use names::{l2_name, port_name};
pub use text::{human_bytes, thousands, write_text};

use serde::Serialize;
use std::io::{self, Write};
use zonewarden_dissect::CommunicationMap;
use zonewarden_engine::{Observer, ScanReport};
use zonewarden_flow::Flow;
use zonewarden_inventory::Inventory;

/// Writes the whole report as one JSON document.
pub fn write_json(
    report: &ScanReport,
    map: &CommunicationMap,
    inventory: &Inventory,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document::new(report, map, inventory))?;
    writeln!(out)
}

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    value: T,
}

fn line<T: Serialize>(out: &mut dyn Write, kind: &str, value: T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Tagged { kind, value })?;
    out.write_all(b"\n")
}

/// Streams JSON Lines: each flow as it ends (`"type": "flow"`), then at the end the inputs,
/// hosts, L2 conversations, edges, identities, assets, anomalies and, last, the stats line.
pub struct JsonlWriter<W: Write> {
    out: W,
    error: Option<io::Error>,
}

impl<W: Write> std::fmt::Debug for JsonlWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlWriter").finish_non_exhaustive()
    }
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W) -> Self {
        JsonlWriter { out, error: None }
    }

    /// Writes everything but the flows (already streamed) and flushes.
    pub fn finish(
        mut self,
        report: &ScanReport,
        map: &CommunicationMap,
        inventory: &Inventory,
    ) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let doc = Document::new(report, map, inventory);
        let out: &mut dyn Write = &mut self.out;
        for input in &doc.inputs {
            line(out, "input", input)?;
        }
        for host in &doc.hosts {
            line(out, "host", host)?;
        }
        for conv in &doc.l2_conversations {
            line(out, "l2_conversation", conv)?;
        }
        for edge in &doc.edges {
            line(out, "edge", edge)?;
        }
        for identity in &doc.identities {
            line(out, "identity", identity)?;
        }
        for asset in doc.assets {
            line(out, "asset", asset)?;
        }
        for anomaly in doc.anomalies {
            line(out, "anomaly", anomaly)?;
        }
        line(out, "stats", &doc.stats)?;
        out.flush()
    }
}

impl<W: Write> Observer for JsonlWriter<W> {
    fn flow(&mut self, flow: &Flow) {
        if self.error.is_none() {
            if let Err(e) = line(&mut self.out, "flow", FlowJson::from(flow)) {
                self.error = Some(e);
            }
        }
    }
}
