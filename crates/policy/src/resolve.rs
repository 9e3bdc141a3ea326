//! Which zone each device is in: the model's member selectors applied to the inventory.

use crate::model::Model;
use crate::selector::{glob_match, Selector};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use zonewarden_inventory::{Asset, Inventory, Role};

/// What selectors look at on a device.
#[derive(Debug, Clone)]
pub struct AssetView {
    pub id: String,
    pub ips: Vec<IpAddr>,
    pub macs: Vec<[u8; 6]>,
    pub hostname: Option<String>,
    pub role: Role,
    pub purdue_level: Option<u8>,
    pub criticality: &'static str,
    /// Role, `level-N`, vendor, served protocols, and the tags of matching `[[asset]]` tables.
    pub tags: BTreeSet<String>,
    /// Names of `[[asset]]` tables that match the device.
    pub names: Vec<String>,
}

impl AssetView {
    pub fn from_asset(asset: &Asset) -> AssetView {
        let mut tags = BTreeSet::new();
        tags.insert(asset.role.as_str().to_string());
        if let Some(level) = asset.purdue_level {
            tags.insert(format!("level-{level}"));
        }
        if let Some(vendor) = &asset.vendor {
            tags.insert(vendor.to_ascii_lowercase());
        }
        for p in &asset.protocols_served {
            tags.insert((*p).to_string());
        }
        AssetView {
            id: asset.id.clone(),
            ips: asset.ips.clone(),
            macs: asset
                .macs
                .iter()
                .filter_map(|m| crate::selector::parse_mac(m))
                .collect(),
            hostname: asset.hostname.clone(),
            role: asset.role,
            purdue_level: asset.purdue_level,
            criticality: asset.criticality.as_str(),
            tags,
            names: Vec::new(),
        }
    }

    /// A bare address the inventory does not hold as a device.
    pub fn from_ip(ip: IpAddr) -> AssetView {
        AssetView {
            id: format!("ip:{ip}"),
            ips: vec![ip],
            macs: Vec::new(),
            hostname: None,
            role: Role::Unknown,
            purdue_level: None,
            criticality: "medium",
            tags: BTreeSet::new(),
            names: Vec::new(),
        }
    }

    /// The address to show for it.
    pub fn label(&self) -> String {
        match (self.ips.first(), &self.hostname) {
            (Some(ip), Some(h)) => format!("{ip} ({h})"),
            (Some(ip), None) => ip.to_string(),
            (None, Some(h)) => h.clone(),
            (None, None) => self.id.clone(),
        }
    }
}

/// A device's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    Zone(usize),
    Unassigned,
    /// Matched by members of several zones: a model error about this device.
    Ambiguous(Vec<usize>),
    /// A device with addresses in several zones (a router, a dual-homed server): each
    /// address is in exactly one.
    MultiHomed(Vec<usize>),
}

impl Membership {
    pub fn zone(&self) -> Option<usize> {
        match self {
            Membership::Zone(z) => Some(*z),
            _ => None,
        }
    }
    /// Every zone the device is in (one, or one per address for a multi-homed device).
    pub fn zones(&self) -> &[usize] {
        match self {
            Membership::Zone(z) => std::slice::from_ref(z),
            Membership::MultiHomed(z) => z,
            _ => &[],
        }
    }
}

/// Selector matching that needs the device and, for `zone:`, its membership.
pub fn selector_matches(
    selector: &Selector,
    asset: &AssetView,
    membership: &Membership,
    model: &Model,
) -> bool {
    match selector {
        Selector::Any => true,
        Selector::Zone(z) => membership
            .zone()
            .is_some_and(|i| model.zones.get(i).is_some_and(|zone| &zone.id == z)),
        Selector::Net(net) => asset.ips.iter().any(|ip| net.contains(ip)),
        Selector::Mac(m) => asset.macs.contains(m),
        Selector::Asset(name) => asset.id == *name || asset.names.iter().any(|n| n == name),
        Selector::Hostname(pattern) => asset
            .hostname
            .as_deref()
            .is_some_and(|h| glob_match(pattern, h)),
        Selector::Role(r) => asset.role == *r,
        Selector::Tag(t) => asset.tags.contains(t),
    }
}

/// The devices of a scan with their zones.
///
/// Zones are decided per address: a router with one address in each level's subnet is in
/// each of those zones through that address, and traffic from an address is in the
/// address's zone.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub assets: Vec<AssetView>,
    /// Per device (same order as `assets`).
    pub membership: Vec<Membership>,
    by_ip: HashMap<IpAddr, (usize, Membership), foldhash::fast::RandomState>,
}

impl Resolution {
    pub fn new(model: &Model, inventory: &Inventory) -> Resolution {
        let views = inventory.assets.iter().map(AssetView::from_asset).collect();
        Resolution::from_views(model, views)
    }

    pub fn from_views(model: &Model, mut assets: Vec<AssetView>) -> Resolution {
        for view in &mut assets {
            for named in &model.assets {
                if selector_matches(&named.matches, view, &Membership::Unassigned, model) {
                    view.names.push(named.name.clone());
                    view.tags
                        .extend(named.tags.iter().map(|t| t.to_ascii_lowercase()));
                }
            }
        }
        let mut by_ip = HashMap::with_capacity_and_hasher(assets.len(), Default::default());
        let mut membership = Vec::with_capacity(assets.len());
        for (i, a) in assets.iter().enumerate() {
            if a.ips.len() <= 1 {
                let m = membership_of(model, a);
                if let Some(ip) = a.ips.first() {
                    by_ip.entry(*ip).or_insert((i, m.clone()));
                }
                membership.push(m);
                continue;
            }
            let mut per_ip = Vec::with_capacity(a.ips.len());
            for ip in &a.ips {
                let one = AssetView {
                    ips: vec![*ip],
                    ..a.clone()
                };
                let m = membership_of(model, &one);
                by_ip.entry(*ip).or_insert((i, m.clone()));
                per_ip.push(m);
            }
            membership.push(combine(per_ip));
        }
        Resolution {
            assets,
            membership,
            by_ip,
        }
    }

    pub fn asset_of(&self, ip: IpAddr) -> Option<usize> {
        self.by_ip.get(&ip).map(|(i, _)| *i)
    }

    /// The device holding an address and the address's zone.
    pub fn lookup(&self, ip: IpAddr) -> Option<(&AssetView, &Membership)> {
        let (i, m) = self.by_ip.get(&ip)?;
        Some((self.assets.get(*i)?, m))
    }

    /// Zone of an address: its own membership, or by network members for an address that
    /// is not a device in the inventory.
    pub fn zone_of_ip(&self, model: &Model, ip: IpAddr) -> Membership {
        match self.by_ip.get(&ip) {
            Some((_, m)) => m.clone(),
            None => membership_of(model, &AssetView::from_ip(ip)),
        }
    }

    /// Devices with (an address) in a zone, in inventory order.
    pub fn members_of(&self, zone: usize) -> impl Iterator<Item = &AssetView> {
        self.assets
            .iter()
            .zip(&self.membership)
            .filter(move |(_, m)| m.zones().contains(&zone))
            .map(|(a, _)| a)
    }
}

/// A device's membership from its addresses' memberships.
fn combine(per_ip: Vec<Membership>) -> Membership {
    let mut zones: Vec<usize> = Vec::new();
    let mut ambiguous: Vec<usize> = Vec::new();
    let mut unassigned = false;
    for m in per_ip {
        match m {
            Membership::Zone(z) => zones.push(z),
            Membership::Unassigned => unassigned = true,
            Membership::Ambiguous(z) | Membership::MultiHomed(z) => ambiguous.extend(z),
        }
    }
    if !ambiguous.is_empty() {
        ambiguous.sort_unstable();
        ambiguous.dedup();
        return Membership::Ambiguous(ambiguous);
    }
    if unassigned {
        return Membership::Unassigned;
    }
    zones.sort_unstable();
    zones.dedup();
    match zones.as_slice() {
        [one] => Membership::Zone(*one),
        [] => Membership::Unassigned,
        _ => Membership::MultiHomed(zones),
    }
}

pub fn membership_of(model: &Model, asset: &AssetView) -> Membership {
    let mut zones = Vec::new();
    for (i, zone) in model.zones.iter().enumerate() {
        if zone
            .members
            .iter()
            .any(|(s, _)| selector_matches(s, asset, &Membership::Unassigned, model))
        {
            zones.push(i);
        }
    }
    match zones.as_slice() {
        [] => Membership::Unassigned,
        [one] => Membership::Zone(*one),
        _ => Membership::Ambiguous(zones),
    }
}
