//! What normal looks like, learned from captures: devices with their addresses, MACs and
//! identity; conversations; protocols and operation classes per pair; who writes to whom.
//! A JSON file with sorted keys, so that it can be kept in git, updated (`--learn` merges)
//! and diffed.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use zonewarden_dissect::{CommunicationMap, Endpoint, OpClass};
use zonewarden_inventory::Inventory;
use zonewarden_policy::Conversation;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceState {
    pub ips: BTreeSet<String>,
    pub macs: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    /// Captures learned from (file names).
    pub learned_from: BTreeSet<String>,
    /// Devices by inventory id.
    pub devices: BTreeMap<String, DeviceState>,
    /// MACs seen for each address.
    pub bindings: BTreeMap<String, BTreeSet<String>>,
    /// `tcp 10.0.0.1 -> 10.0.0.2:502`.
    pub conversations: BTreeSet<String>,
    /// `client server protocol`.
    pub protocols: BTreeSet<String>,
    /// `client server protocol class`.
    pub operation_classes: BTreeSet<String>,
}

pub fn pair_key(client: &Endpoint, server: &Endpoint, protocol: &str) -> String {
    format!("{client} {server} {protocol}")
}

pub fn class_key(client: &Endpoint, server: &Endpoint, protocol: &str, class: OpClass) -> String {
    format!("{client} {server} {protocol} {}", class.as_str())
}

impl Baseline {
    pub fn learn(
        inventory: &Inventory,
        conversations: &[Conversation],
        map: &CommunicationMap,
        sources: &[String],
    ) -> Baseline {
        let mut b = Baseline {
            version: 1,
            learned_from: sources.iter().cloned().collect(),
            ..Baseline::default()
        };
        for a in &inventory.assets {
            b.devices.insert(
                a.id.clone(),
                DeviceState {
                    ips: a.ips.iter().map(ToString::to_string).collect(),
                    macs: a.macs.iter().cloned().collect(),
                    vendor: a.vendor.clone(),
                    model: a.model.clone(),
                    firmware: a.firmware.clone(),
                },
            );
            for ip in &a.ips {
                b.bindings
                    .entry(ip.to_string())
                    .or_default()
                    .extend(a.macs.iter().cloned());
            }
        }
        for c in conversations {
            b.conversations.insert(c.describe());
        }
        for e in map.edges() {
            let p = e.key.protocol.as_str();
            b.protocols
                .insert(pair_key(&e.key.client, &e.key.server, p));
            for (op, stats) in &e.operations {
                if stats.count > 0 {
                    b.operation_classes.insert(class_key(
                        &e.key.client,
                        &e.key.server,
                        p,
                        op.class,
                    ));
                }
            }
        }
        b
    }

    /// Adds what `other` learned (an update keeps everything already known).
    pub fn merge(&mut self, other: Baseline) {
        self.learned_from.extend(other.learned_from);
        for (id, state) in other.devices {
            let mine = self.devices.entry(id).or_default();
            mine.ips.extend(state.ips);
            mine.macs.extend(state.macs);
            // The newest identity wins: an accepted firmware update becomes normal.
            if state.vendor.is_some() {
                mine.vendor = state.vendor;
            }
            if state.model.is_some() {
                mine.model = state.model;
            }
            if state.firmware.is_some() {
                mine.firmware = state.firmware;
            }
        }
        for (ip, macs) in other.bindings {
            self.bindings.entry(ip).or_default().extend(macs);
        }
        self.conversations.extend(other.conversations);
        self.protocols.extend(other.protocols);
        self.operation_classes.extend(other.operation_classes);
    }
}
