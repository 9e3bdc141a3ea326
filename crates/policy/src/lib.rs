//! IEC 62443-3-2 zones and conduits as code.
//!
//! A plant's segmentation lives in a `zones.toml` kept in git ([`model`]). The policy crate
//! reads it with line-accurate validation, puts the scan's devices into zones
//! ([`resolve`]), checks observed conversations against the conduits down to the operation
//! class ([`check`]), drafts a model from traffic ([`suggest`]), turns conduits into
//! default-deny firewall rule sets ([`acl`]) and evaluates the generated rules against the
//! traffic ([`simulate`]), and draws the result ([`diagram`]).
//!
//! It never looks at packets: its inputs are the inventory, finished flows and the
//! communication map, so checking costs nothing per packet and grows with conversations.

pub mod acl;
pub mod check;
pub mod diagram;
pub mod model;
pub mod observe;
pub mod protocols;
pub mod resolve;
pub mod sarif;
pub mod selector;
pub mod simulate;
pub mod suggest;

pub use check::{check, CheckReport, Kind, Severity, Violation};
pub use model::{parse, Model, ModelError, ModelErrors};
pub use observe::{conversations, Conversation, OpUse};
pub use resolve::{AssetView, Membership, Resolution};
pub use selector::Selector;

/// The commented example that `zonewarden init` writes: the demo plant's zones and conduits.
pub const EXAMPLE_ZONES: &str = include_str!("../data/example-zones.toml");
