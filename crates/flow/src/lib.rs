//! Conversations: flow tracking, TCP reassembly, IP defragmentation, L2 conversations.
//!
//! Everything here runs on packet time: timeouts compare capture timestamps, never the wall
//! clock, so offline results do not depend on speed. Every buffer has a cap, and hitting a cap
//! emits an event instead of growing. Reassembled TCP bytes and UDP datagrams are handed to a
//! [`StreamConsumer`], the interface the protocol dissectors implement.

mod defrag;
mod direction;
mod key;
mod l2;
mod reassembly;
mod table;

pub use defrag::{DefragLimits, Defragmenter, Reassembled};
pub use direction::{decide as decide_direction, DirectionSource};
pub use key::{shard_of, shard_of_hash, FlowKey};
pub use l2::{L2Conversation, L2Frame, L2Key, L2Table};
pub use reassembly::{CapHit, Chunk, HalfStream, ReassemblyLimits, StreamStats};
pub use table::{
    endpoint, CloseReason, Flow, FlowConfig, FlowEvent, FlowTable, NullConsumer, PacketMeta,
    StreamConsumer, TcpSummary,
};
