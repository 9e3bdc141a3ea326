//! Flow identity.

use std::hash::Hash;
use std::net::IpAddr;
use zonewarden_wire::{conversation_hash, fold_address, Vlans};

/// A conversation's identity, the same whichever way a packet travels.
///
/// The endpoint that sorts lower is stored first, so both directions of a conversation map to
/// one key without knowing yet who is the client. VLAN ids are part of the key: overlapping
/// address plans on two VLANs are two networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    pub lo: (IpAddr, u16),
    pub hi: (IpAddr, u16),
    pub proto: u8,
    pub vlans: Vlans,
}

/// An address as a number, for ordering the two ends of a flow.
#[inline]
fn rank(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Two word-sized writes instead of the derived field-by-field hashing: the flow lookup is the
/// hottest hash in the pipeline.
impl Hash for FlowKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(fold_address(self.lo.0) ^ fold_address(self.hi.0).rotate_left(29));
        state.write_u64(
            u64::from(self.lo.1)
                | (u64::from(self.hi.1) << 16)
                | (u64::from(self.proto) << 32)
                | (u64::from(self.vlans.outer ^ (self.vlans.inner << 4)) << 40),
        );
    }
}

impl FlowKey {
    /// Builds the canonical key; the flag tells whether the source is the `lo` side.
    pub fn new(
        src: IpAddr,
        src_port: u16,
        dst: IpAddr,
        dst_port: u16,
        proto: u8,
        vlans: Vlans,
    ) -> (FlowKey, bool) {
        let a = (src, src_port);
        let b = (dst, dst_port);
        // Numeric comparison of the addresses: both are of one family in a real packet.
        let src_is_lo = (rank(src), src_port) <= (rank(dst), dst_port);
        let (lo, hi) = if src_is_lo { (a, b) } else { (b, a) };
        (
            FlowKey {
                lo,
                hi,
                proto,
                vlans,
            },
            src_is_lo,
        )
    }
}

/// Which worker owns a conversation: symmetric (both directions agree) because
/// [`zonewarden_wire::conversation_hash`] combines the ends without order. Ports take part so
/// that a few busy address pairs still spread over workers; traffic without ports passes 0.
pub fn shard_of(
    src: IpAddr,
    src_port: u16,
    dst: IpAddr,
    dst_port: u16,
    vlans: Vlans,
    shards: usize,
) -> usize {
    let hash = conversation_hash(
        fold_address(src),
        src_port,
        fold_address(dst),
        dst_port,
        vlans,
    );
    shard_of_hash(hash, shards)
}

/// Maps a conversation hash onto `shards` workers by multiply-shift range reduction (a
/// division per packet would cost more than the hash).
#[inline]
pub fn shard_of_hash(hash: u64, shards: usize) -> usize {
    (((hash >> 32) * shards as u64) >> 32) as usize
}

/// A fixed-seed hasher so that runs are reproducible (iteration order never reaches output, but
/// reproducibility makes profiling and debugging honest).
pub(crate) type FixedHasher = foldhash::fast::FixedState;

pub(crate) fn hasher() -> FixedHasher {
    foldhash::fast::FixedState::with_seed(0x7A6F_6E65)
}

/// A hash map keyed by flow-like keys with the crate's fixed hasher.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, FixedHasher>;

pub(crate) fn new_map<K: Hash + Eq, V>() -> Map<K, V> {
    std::collections::HashMap::with_hasher(hasher())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn ip(x: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(x))
    }

    proptest! {
        #[test]
        fn key_is_symmetric(a: u32, b: u32, pa: u16, pb: u16, proto: u8, v: u16) {
            let vlans = Vlans { outer: v & 0xFFF, inner: 0 };
            let (k1, s1) = FlowKey::new(ip(a), pa, ip(b), pb, proto, vlans);
            let (k2, s2) = FlowKey::new(ip(b), pb, ip(a), pa, proto, vlans);
            prop_assert_eq!(k1, k2);
            prop_assert!(s1 != s2 || (a, pa) == (b, pb));
        }

        #[test]
        fn shard_is_symmetric_and_in_range(a: u32, b: u32, pa: u16, pb: u16, n in 1usize..16) {
            let v = Vlans::default();
            let s = shard_of(ip(a), pa, ip(b), pb, v, n);
            prop_assert_eq!(s, shard_of(ip(b), pb, ip(a), pa, v, n));
            prop_assert!(s < n);
        }
    }

    #[test]
    fn vlan_separates_flows() {
        let (k1, _) = FlowKey::new(
            ip(1),
            1,
            ip(2),
            2,
            6,
            Vlans {
                outer: 10,
                inner: 0,
            },
        );
        let (k2, _) = FlowKey::new(
            ip(1),
            1,
            ip(2),
            2,
            6,
            Vlans {
                outer: 20,
                inner: 0,
            },
        );
        assert_ne!(k1, k2);
    }
}
