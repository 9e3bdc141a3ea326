//! What changed between two scans (`zonewarden diff old.json new.json`): assets that
//! appeared or vanished, attributes that changed on a known asset, new conversations and new
//! operation classes on known ones.
//!
//! Works on the JSON documents that `scan --format json` writes, so results of earlier
//! versions and of other machines can be compared. Assets are matched by id, then by any
//! shared MAC, then by any shared address; conversations by the assets at their ends, so a
//! device whose DHCP address changed keeps its conversations.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// The attributes compared on assets present in both scans.
const COMPARED: [&str; 9] = [
    "vendor",
    "model",
    "firmware",
    "serial",
    "hostname",
    "os",
    "role",
    "purdue_level",
    "ip",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetRef {
    pub id: String,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub id: String,
    pub ip: Option<String>,
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversation {
    pub client: String,
    pub server: String,
    pub protocol: String,
    pub classes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub assets_new: Vec<AssetRef>,
    pub assets_vanished: Vec<AssetRef>,
    pub assets_changed: Vec<AttributeChange>,
    pub conversations_new: Vec<Conversation>,
    pub conversations_vanished: Vec<Conversation>,
    /// Known conversations with operation classes not seen before (`classes` holds the new
    /// ones only): a first write or program download on a pair is news.
    pub operation_classes_new: Vec<Conversation>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self == &Diff::default()
    }
}

/// Why a document cannot be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    #[error("{which} is not a zonewarden scan document: {reason}")]
    NotAScan { which: String, reason: String },
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

struct Side<'a> {
    assets: Vec<&'a Value>,
    /// Endpoint text (address or MAC) → asset id.
    owner: BTreeMap<String, String>,
    /// (client id, server id, protocol) → classes.
    conversations: BTreeMap<(String, String, String), BTreeSet<String>>,
    /// Asset id → address shown for it.
    shown: BTreeMap<String, String>,
}

fn side<'a>(doc: &'a Value, which: &str) -> Result<Side<'a>, DiffError> {
    let not_scan = |reason: &str| DiffError::NotAScan {
        which: which.to_string(),
        reason: reason.to_string(),
    };
    let assets: Vec<&Value> = doc
        .get("assets")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            not_scan("no \"assets\" array (written by `zonewarden scan --format json`)")
        })?
        .iter()
        .collect();
    let mut owner = BTreeMap::new();
    let mut shown = BTreeMap::new();
    for asset in &assets {
        let Some(id) = text(asset, "id") else {
            return Err(not_scan("an asset without \"id\""));
        };
        for endpoint in strings(asset, "ips")
            .into_iter()
            .chain(strings(asset, "macs"))
        {
            owner.insert(endpoint, id.clone());
        }
        let label = text(asset, "ip")
            .or_else(|| text(asset, "mac"))
            .unwrap_or_else(|| id.clone());
        shown.insert(id, label);
    }
    let mut conversations: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for edge in doc
        .get("edges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(client), Some(server), Some(protocol)) = (
            text(edge, "client"),
            text(edge, "server"),
            text(edge, "protocol"),
        ) else {
            continue;
        };
        let client = owner.get(&client).cloned().unwrap_or(client);
        let server = owner.get(&server).cloned().unwrap_or(server);
        conversations
            .entry((client, server, protocol))
            .or_default()
            .extend(strings(edge, "classes"));
    }
    Ok(Side {
        assets,
        owner,
        conversations,
        shown,
    })
}

fn asset_ref(a: &Value) -> AssetRef {
    AssetRef {
        id: text(a, "id").unwrap_or_default(),
        ip: text(a, "ip"),
        mac: text(a, "mac"),
        vendor: text(a, "vendor"),
        model: text(a, "model"),
        role: text(a, "role"),
    }
}

/// Compares two scan documents.
pub fn diff(old: &Value, new: &Value) -> Result<Diff, DiffError> {
    let before = side(old, "the old document")?;
    let after = side(new, "the new document")?;
    let mut result = Diff::default();

    // Match new assets to old ones: id, then a shared MAC, then a shared address.
    let old_by_id: BTreeMap<String, &Value> = before
        .assets
        .iter()
        .filter_map(|a| text(a, "id").map(|id| (id, *a)))
        .collect();
    let mut matched_old: BTreeSet<String> = BTreeSet::new();
    // New asset id → old asset id, for conversations.
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for asset in &after.assets {
        let id = text(asset, "id").unwrap_or_default();
        let found = old_by_id.get(&id).copied().or_else(|| {
            strings(asset, "macs")
                .into_iter()
                .chain(strings(asset, "ips"))
                .find_map(|e| before.owner.get(&e))
                .and_then(|old_id| old_by_id.get(old_id).copied())
        });
        let Some(old_asset) =
            found.filter(|o| text(o, "id").is_some_and(|old_id| !matched_old.contains(&old_id)))
        else {
            result.assets_new.push(asset_ref(asset));
            continue;
        };
        let old_id = text(old_asset, "id").unwrap_or_default();
        matched_old.insert(old_id.clone());
        renamed.insert(id.clone(), old_id);
        for field in COMPARED {
            let (was, now) = (text(old_asset, field), text(asset, field));
            // An attribute that a later scan did not observe is not a change.
            if was != now && now.is_some() {
                result.assets_changed.push(AttributeChange {
                    id: id.clone(),
                    ip: text(asset, "ip"),
                    field,
                    old: was,
                    new: now,
                });
            }
        }
    }
    for asset in &before.assets {
        if text(asset, "id").is_some_and(|id| !matched_old.contains(&id)) {
            result.assets_vanished.push(asset_ref(asset));
        }
    }

    let label = |side: &Side<'_>, id: &str| {
        side.shown
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let old_id = |id: &String| renamed.get(id).cloned().unwrap_or_else(|| id.clone());
    let mut seen_old: BTreeSet<(String, String, String)> = BTreeSet::new();
    for ((client, server, protocol), classes) in &after.conversations {
        let key = (old_id(client), old_id(server), protocol.clone());
        let conversation = |classes: Vec<String>| Conversation {
            client: label(&after, client),
            server: label(&after, server),
            protocol: protocol.clone(),
            classes,
        };
        match before.conversations.get(&key) {
            None => result
                .conversations_new
                .push(conversation(classes.iter().cloned().collect())),
            Some(known) => {
                seen_old.insert(key);
                let fresh: Vec<String> = classes.difference(known).cloned().collect();
                if !fresh.is_empty() {
                    result.operation_classes_new.push(conversation(fresh));
                }
            }
        }
    }
    for (key, classes) in &before.conversations {
        if !seen_old.contains(key) {
            result.conversations_vanished.push(Conversation {
                client: label(&before, &key.0),
                server: label(&before, &key.1),
                protocol: key.2.clone(),
                classes: classes.iter().cloned().collect(),
            });
        }
    }
    Ok(result)
}

fn describe(a: &AssetRef) -> String {
    let place =
        a.ip.clone()
            .or_else(|| a.mac.clone())
            .unwrap_or_else(|| a.id.clone());
    let what: Vec<&str> = [&a.vendor, &a.model, &a.role]
        .into_iter()
        .filter_map(|v| v.as_deref())
        .collect();
    if what.is_empty() {
        place
    } else {
        format!("{place} ({})", what.join(", "))
    }
}

/// The changes in words, one per line.
pub fn write_diff_text(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    if d.is_empty() {
        return writeln!(
            out,
            "No changes: same assets, attributes and conversations."
        );
    }
    for a in &d.assets_new {
        writeln!(out, "New asset: {}", describe(a))?;
    }
    for a in &d.assets_vanished {
        writeln!(out, "Vanished asset: {}", describe(a))?;
    }
    for c in &d.assets_changed {
        let who = c.ip.clone().unwrap_or_else(|| c.id.clone());
        let old = c.old.as_deref().unwrap_or("(unknown)");
        let new = c.new.as_deref().unwrap_or("(unknown)");
        writeln!(out, "Changed {} on {who}: {old} → {new}", c.field)?;
    }
    for c in &d.conversations_new {
        writeln!(
            out,
            "New conversation: {} → {} over {} ({})",
            c.client,
            c.server,
            c.protocol,
            c.classes.join(", ")
        )?;
    }
    for c in &d.operation_classes_new {
        writeln!(
            out,
            "New operations on {} → {} over {}: {}",
            c.client,
            c.server,
            c.protocol,
            c.classes.join(", ")
        )?;
    }
    for c in &d.conversations_vanished {
        writeln!(
            out,
            "Conversation no longer seen: {} → {} over {}",
            c.client, c.server, c.protocol
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scan(assets: Value, edges: Value) -> Value {
        json!({"assets": assets, "edges": edges})
    }

    fn plc(id: &str, ip: &str, firmware: &str) -> Value {
        json!({"id": id, "ip": ip, "ips": [ip], "mac": id.trim_start_matches("mac:"),
               "macs": [id.trim_start_matches("mac:")], "vendor": "Siemens", "model": "CPU 315",
               "firmware": firmware, "role": "plc", "purdue_level": 1})
    }

    #[test]
    fn firmware_change_new_asset_and_new_write_are_reported() {
        let old = scan(
            json!([
                plc("mac:00:1b:1b:00:00:01", "10.0.0.1", "V3.2"),
                plc("mac:00:1b:1b:00:00:09", "10.0.0.9", "V1")
            ]),
            json!([{"client": "10.0.0.5", "server": "10.0.0.1", "protocol": "s7comm", "classes": ["read"]}]),
        );
        let new = scan(
            json!([
                plc("mac:00:1b:1b:00:00:01", "10.0.0.1", "V3.3"),
                plc("mac:00:1b:1b:00:00:02", "10.0.0.2", "V3.3")
            ]),
            json!([
                {"client": "10.0.0.5", "server": "10.0.0.1", "protocol": "s7comm", "classes": ["program", "read"]},
                {"client": "10.0.0.5", "server": "10.0.0.2", "protocol": "s7comm", "classes": ["read"]}
            ]),
        );
        let d = diff(&old, &new).unwrap();
        assert_eq!(d.assets_new.len(), 1);
        assert_eq!(d.assets_new[0].ip.as_deref(), Some("10.0.0.2"));
        assert_eq!(d.assets_vanished.len(), 1);
        assert_eq!(d.assets_changed.len(), 1);
        assert_eq!(d.assets_changed[0].field, "firmware");
        assert_eq!(d.conversations_new.len(), 1);
        assert_eq!(d.operation_classes_new[0].classes, vec!["program"]);
        let mut text = Vec::new();
        write_diff_text(&d, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("Changed firmware on 10.0.0.1: V3.2 → V3.3"),
            "{text}"
        );
        assert!(
            text.contains("New operations on 10.0.0.5 → 10.0.0.1 over s7comm: program"),
            "{text}"
        );
    }

    #[test]
    fn a_dhcp_address_change_is_one_changed_asset_with_the_same_conversations() {
        let old = scan(
            json!([plc("mac:00:1b:1b:00:00:01", "10.0.0.1", "V3")]),
            json!([{"client": "10.0.0.5", "server": "10.0.0.1", "protocol": "modbus", "classes": ["read"]}]),
        );
        let new = scan(
            json!([plc("mac:00:1b:1b:00:00:01", "10.0.0.7", "V3")]),
            json!([{"client": "10.0.0.5", "server": "10.0.0.7", "protocol": "modbus", "classes": ["read"]}]),
        );
        let d = diff(&old, &new).unwrap();
        assert!(d.assets_new.is_empty() && d.assets_vanished.is_empty());
        assert_eq!(d.assets_changed.len(), 1);
        assert_eq!(d.assets_changed[0].field, "ip");
        assert!(d.conversations_new.is_empty(), "{:?}", d.conversations_new);
        assert!(d.conversations_vanished.is_empty());
    }

    #[test]
    fn identical_scans_have_no_changes_and_other_json_is_refused() {
        let doc = scan(
            json!([plc("mac:00:1b:1b:00:00:01", "10.0.0.1", "V3")]),
            json!([]),
        );
        assert!(diff(&doc, &doc).unwrap().is_empty());
        let err = diff(&json!({"stats": {}}), &doc).unwrap_err().to_string();
        assert!(
            err.contains("old document") && err.contains("assets"),
            "{err}"
        );
    }
}
