//! Fox commands as a small open table: unknown commands are counted as "Fox message".

use crate::OpClass;

pub(crate) const TLS_RECORD: u16 = 0;

/// The operation code of a command word.
pub(crate) fn command_code(word: &[u8]) -> u16 {
    match word {
        b"hello" => 1,
        b"challenge" => 2,
        b"authenticate" | b"authentication" | b"authenticated" => 3,
        _ => 4,
    }
}

/// Name and class of an operation code. The hello exchange and the challenge tell about the
/// station and its login method (`diagnostic`).
pub fn command_name(code: u16) -> (&'static str, OpClass) {
    match code {
        TLS_RECORD => ("Fox/TLS Record", OpClass::Other),
        1 => ("Fox hello", OpClass::Diagnostic),
        2 => ("Fox challenge", OpClass::Diagnostic),
        3 => ("Fox authenticate", OpClass::Other),
        _ => ("Fox message", OpClass::Other),
    }
}

/// Hello fields that are identity facts, and the shared field names they map to.
pub(crate) fn hello_field(key: &[u8]) -> Option<&'static str> {
    Some(match key {
        b"station.name" => "station_name",
        b"app.name" => "product_name",
        b"app.version" => "firmware",
        b"os.name" => "os",
        b"hostName" => "hostname",
        b"brandId" => "vendor",
        _ => return None,
    })
}
