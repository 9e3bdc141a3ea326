//! Zero-copy decoding of captured frames: link layer, VLAN tags, tunnels, IP and transport.
//!
//! The decoder borrows the frame and returns small `Copy` views; it never allocates and never
//! panics (indexing is denied crate-wide, every read goes through the checked helpers in
//! `bytes`). A header that does not fit its bytes becomes a [`DecodeError`] carrying the frame
//! offset, which the caller turns into an anomaly and moves on.
//!
//! What is decoded, and where the facts come from:
//! - link types: Ethernet (1), BSD null/loopback (0, 108), raw IP (12, 14, 101, 228, 229),
//!   Linux cooked SLL (113) and SLL2 (276) — tcpdump.org link-layer header types;
//! - 802.1Q / 802.1ad (QinQ) tags, 802.3 length frames with LLC and SNAP (IEEE 802.2);
//! - GRE (RFC 2784/2890) carrying Ethernet (0x6558), IP, ERSPAN type II (0x88BE) and type III
//!   (0x22EB), and IP-in-IP (protocols 4 and 41), so that SPAN sessions shipped over a
//!   network decode to the mirrored traffic;
//! - IPv4 (RFC 791) with fragment fields, IPv6 (RFC 8200) with its extension-header chain;
//! - TCP, UDP, ICMP, ICMPv6 headers.

mod bytes;
mod error;
mod frame;
mod transport;

pub use error::DecodeError;
pub use frame::{
    conversation_hash, conversation_hash_hint, decode_frame, fold_address, Arp, Fragment, Frame,
    IpPacket, L2Type, LinkType, Net, Vlans,
};
pub use transport::{decode_transport, Tcp, TcpFlags, Transport, Udp};

/// IP protocol numbers this crate interprets.
pub mod ipproto {
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const GRE: u8 = 47;
    pub const ICMPV6: u8 = 58;
}

/// EtherTypes this crate interprets or names.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86DD;
    pub const QINQ: u16 = 0x88A8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const TRANSPARENT_ETHERNET: u16 = 0x6558;
    pub const ERSPAN_II: u16 = 0x88BE;
    pub const ERSPAN_III: u16 = 0x22EB;
    pub const PROFINET: u16 = 0x8892;
    pub const GOOSE: u16 = 0x88B8;
    pub const LLDP: u16 = 0x88CC;
}

#[cfg(test)]
mod tests;
