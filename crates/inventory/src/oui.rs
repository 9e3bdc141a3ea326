//! MAC address prefix → the organisation the IEEE assigned it to, offline.
//!
//! The table is the IEEE Registration Authority's MA-L (24-bit), MA-M (28-bit) and MA-S
//! (36-bit) public listings, compressed with zstd and compiled into the binary (see
//! `data/README.md` for the source and how to regenerate it). It is decompressed once, on the
//! first lookup, into three sorted arrays: a lookup is three binary searches, longest prefix
//! first, because the IEEE subdivides some 24-bit blocks ("IEEE Registration Authority") into
//! 28- and 36-bit assignments.

use std::io::Read;
use std::sync::OnceLock;

static COMPRESSED: &[u8] = include_bytes!("../data/oui.tsv.zst");

/// Assignments by prefix length: (prefix value, index into `names`).
#[derive(Debug, Default)]
struct Table {
    names: Vec<String>,
    /// Sorted by prefix, for 36, 28 and 24 bits.
    by_bits: [Vec<(u64, u32)>; 3],
}

const BITS: [u32; 3] = [36, 28, 24];

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| load(COMPRESSED).unwrap_or_default())
}

/// Parses the compressed TSV (`PREFIX<TAB>BITS<TAB>NAME`, `#` comments). A damaged table gives
/// an empty one: vendors are then unknown, which the inventory shows, rather than a crash.
fn load(compressed: &[u8]) -> Option<Table> {
    let mut text = String::new();
    let mut source = compressed;
    ruzstd::decoding::StreamingDecoder::new(&mut source)
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    let mut table = Table::default();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(prefix), Some(bits), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(prefix), Ok(bits)) = (u64::from_str_radix(prefix, 16), bits.parse::<u32>()) else {
            continue;
        };
        let Some(slot) = BITS.iter().position(|b| *b == bits) else {
            continue;
        };
        let Ok(index) = u32::try_from(table.names.len()) else {
            break;
        };
        table.names.push(name.to_string());
        if let Some(list) = table.by_bits.get_mut(slot) {
            list.push((prefix, index));
        }
    }
    for list in &mut table.by_bits {
        list.sort_unstable();
    }
    Some(table)
}

/// The organisation registered for this MAC's prefix, longest assignment first. Locally
/// administered addresses (bit 1 of the first octet) were never assigned: `None`.
pub fn vendor(mac: [u8; 6]) -> Option<&'static str> {
    if is_locally_administered(mac) {
        return None;
    }
    let value = mac.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let table = table();
    for (list, bits) in table.by_bits.iter().zip(BITS) {
        let prefix = value >> (48 - bits);
        if let Ok(found) = list.binary_search_by_key(&prefix, |(p, _)| *p) {
            let index = list.get(found).map(|(_, i)| *i as usize)?;
            return table.names.get(index).map(String::as_str);
        }
    }
    None
}

/// True when the address is locally administered (randomised phones, virtual machines): it
/// names no manufacturer.
pub fn is_locally_administered(mac: [u8; 6]) -> bool {
    let [first, ..] = mac;
    first & 0x02 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industrial_vendors_resolve_from_the_bundled_registry() {
        assert_eq!(vendor([0x00, 0x1b, 0x1b, 1, 2, 3]), Some("Siemens AG,"));
        assert_eq!(vendor([0x08, 0x00, 0x06, 1, 2, 3]), Some("SIEMENS AG"));
        assert_eq!(
            vendor([0x00, 0x00, 0xbc, 0x11, 0x22, 0x33]),
            Some("Rockwell Automation")
        );
        assert_eq!(vendor([0x00, 0x50, 0x56, 0, 0, 1]), Some("VMware, Inc."));
    }

    #[test]
    fn longer_assignments_win_over_the_registration_authority_block() {
        // 70:B3:D5 is an MA-L block the IEEE split into 36-bit MA-S assignments.
        let parent = vendor([0x70, 0xb3, 0xd5, 0xff, 0xff, 0xff]);
        let child = vendor([0x70, 0xb3, 0xd5, 0xf2, 0xf0, 0x00]);
        assert!(child.is_some());
        assert_ne!(child, Some("IEEE Registration Authority"));
        assert_ne!(parent, child);
    }

    #[test]
    fn locally_administered_and_unassigned_addresses_have_no_vendor() {
        assert_eq!(vendor([0x02, 0x00, 0x00, 0, 0, 1]), None);
        assert!(is_locally_administered([0x0a, 0, 0, 0, 0, 1]));
        assert_eq!(vendor([0xfc, 0xff, 0xfe, 0, 0, 1]), None);
    }

    #[test]
    fn the_table_holds_every_registry_class() {
        let t = table();
        assert!(
            t.by_bits.iter().all(|l| l.len() > 1000),
            "{:?}",
            t.by_bits.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert!(load(b"not zstd").is_none());
    }
}
