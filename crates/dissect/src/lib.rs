//! Industrial protocol dissectors and the communication map: who does what to whom.
//!
//! The [`Registry`] is the flow crate's [`StreamConsumer`](zonewarden_flow::StreamConsumer):
//! it receives reassembled TCP bytes and UDP datagrams per flow, recognises the protocol by
//! content (a probe answers certain / maybe / not mine; the port is only a hint), then hands the
//! flow to that protocol's session, which frames messages, pairs requests with responses and
//! reports [`Operation`]s, identity facts and anomalies.
//!
//! Invariants:
//! - parsing never panics (indexing, unwrap and expect are denied crate-wide) and never stops
//!   the pipeline: malformed messages become anomalies with their stream offset;
//! - every per-flow buffer and table has a cap; hitting it is reported, not grown past;
//! - one folder per protocol under `protocols/`, each with its spec references, open enums,
//!   borrowed message views, a resumable framer, a session and byte-vector tests.

#[doc(hidden)]
pub mod fuzzing;
mod map;
mod ops;
pub mod protocols;
mod registry;
#[cfg(test)]
mod testing;

pub use map::{
    AnomalyClass, AnomalyKey, AnomalyTally, CommunicationMap, Edge, EdgeKey, Endpoint, FlowRef,
    IdentityFact, OpStats, Provenance, Source,
};
pub use ops::{OpClass, Operation, Protocol};
pub use registry::{
    Confidence, Dissector, FlowState, MessageKind, Output, Registry, Session, TCP, TCP_AND_UDP, UDP,
};
