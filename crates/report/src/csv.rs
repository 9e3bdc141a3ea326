//! The inventory as CSV (RFC 4180) for spreadsheets: one row per asset, lists joined by `;`.

use std::io::{self, Write};
use zonewarden_inventory::Inventory;

/// Column names: a public contract like the JSON fields (add at the end, never rename).
pub const CSV_COLUMNS: [&str; 22] = [
    "id",
    "ip",
    "ips",
    "mac",
    "vendor",
    "model",
    "firmware",
    "serial",
    "hostname",
    "os",
    "role",
    "purdue_level",
    "criticality",
    "protocols_served",
    "protocols_used",
    "services",
    "first_seen",
    "last_seen",
    "packets",
    "bytes",
    "role_reason",
    "purdue_reason",
];

/// Quotes a field when it holds a separator, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so that a spreadsheet does not run a device-supplied
/// string as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub fn write_inventory_csv(inventory: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for a in &inventory.assets {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let row = [
            a.id.clone(),
            a.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            a.ips
                .iter()
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(";"),
            text(&a.mac),
            text(&a.vendor),
            text(&a.model),
            text(&a.firmware),
            text(&a.serial),
            text(&a.hostname),
            text(&a.os),
            a.role.as_str().to_string(),
            a.purdue_level.map(|l| l.to_string()).unwrap_or_default(),
            a.criticality.as_str().to_string(),
            a.protocols_served.join(";"),
            a.protocols_used.join(";"),
            a.services.join(";"),
            a.first_ts.map(|t| t.to_string()).unwrap_or_default(),
            a.last_ts.map(|t| t.to_string()).unwrap_or_default(),
            a.packets.to_string(),
            a.bytes.to_string(),
            a.role_reason.clone(),
            a.purdue_reason.clone(),
        ];
        let line: Vec<String> = row.iter().map(|v| field(v)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("Siemens AG, Munich"), "\"Siemens AG, Munich\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(field("-1"), "'-1");
    }
}
