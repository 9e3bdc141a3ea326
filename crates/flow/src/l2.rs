//! Conversations of frames that carry no IP: PROFINET, GOOSE, LLDP, STP, ARP.

use crate::key::{new_map, Map};
use zonewarden_model::Timestamp;
use zonewarden_wire::{L2Type, Vlans};

/// A frame without IP, as layer-2 dissectors (PROFINET DCP, GOOSE) receive it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Frame<'a> {
    pub ts: Timestamp,
    pub src: [u8; 6],
    pub dst: [u8; 6],
    pub l2_type: L2Type,
    pub vlans: Vlans,
    /// The bytes after the EtherType (or LLC header).
    pub payload: &'a [u8],
    pub wire_len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct L2Key {
    /// The MAC that sorts lower; a conversation is the same in both directions.
    pub mac_a: [u8; 6],
    pub mac_b: [u8; 6],
    pub l2_type: L2Type,
    pub vlans: Vlans,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Conversation {
    pub key: L2Key,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub packets: u64,
    pub bytes: u64,
}

/// Conversations are kept until the end: they are few (one per MAC pair and type). Past
/// `max_conversations` new ones are only counted, so a MAC flood cannot exhaust memory.
#[derive(Debug)]
pub struct L2Table {
    map: Map<L2Key, L2Conversation>,
    max_conversations: usize,
    pub overflow_packets: u64,
}

impl Default for L2Table {
    fn default() -> Self {
        L2Table {
            map: new_map(),
            max_conversations: 100_000,
            overflow_packets: 0,
        }
    }
}

impl L2Table {
    pub fn record(
        &mut self,
        ts: Timestamp,
        src: [u8; 6],
        dst: [u8; 6],
        l2_type: L2Type,
        vlans: Vlans,
        wire_len: u64,
    ) {
        let (mac_a, mac_b) = if src <= dst { (src, dst) } else { (dst, src) };
        let key = L2Key {
            mac_a,
            mac_b,
            l2_type,
            vlans,
        };
        if self.map.len() >= self.max_conversations && !self.map.contains_key(&key) {
            self.overflow_packets += 1;
            return;
        }
        let conv = self.map.entry(key).or_insert(L2Conversation {
            key,
            first_ts: ts,
            last_ts: ts,
            packets: 0,
            bytes: 0,
        });
        conv.packets += 1;
        conv.bytes += wire_len;
        conv.first_ts = conv.first_ts.min(ts);
        conv.last_ts = conv.last_ts.max(ts);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Adds another table's conversations into this one (merging worker shards).
    pub fn merge(&mut self, other: L2Table) {
        self.overflow_packets += other.overflow_packets;
        for (key, conv) in other.map {
            match self.map.get_mut(&key) {
                Some(mine) => {
                    mine.packets += conv.packets;
                    mine.bytes += conv.bytes;
                    mine.first_ts = mine.first_ts.min(conv.first_ts);
                    mine.last_ts = mine.last_ts.max(conv.last_ts);
                }
                None => {
                    self.map.insert(key, conv);
                }
            }
        }
    }

    /// All conversations in a stable order: first seen, then key.
    pub fn into_sorted(self) -> Vec<L2Conversation> {
        let mut all: Vec<L2Conversation> = self.map.into_values().collect();
        all.sort_by_key(|c| (c.first_ts, c.key));
        all
    }
}
