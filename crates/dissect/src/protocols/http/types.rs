//! Request methods as a small open table (RFC 9110 §9 and the IANA HTTP Method Registry):
//! unknown methods are counted under one code, never dropped.

use crate::OpClass;

/// A method this table does not name (kept as "other method"; the token itself is not stored).
pub(crate) const OTHER: u16 = 0;
/// A response whose request was not seen (the capture started late, or one direction is
/// missing): the method is unknown.
pub(crate) const UNSEEN: u16 = 255;

/// Stable operation codes of the methods (this project's numbering; HTTP has no method codes).
pub(crate) fn method(token: &[u8]) -> u16 {
    match token {
        b"GET" => 1,
        b"HEAD" => 2,
        b"POST" => 3,
        b"PUT" => 4,
        b"DELETE" => 5,
        b"OPTIONS" => 6,
        b"PATCH" => 7,
        b"TRACE" => 8,
        b"CONNECT" => 9,
        // WebDAV (RFC 4918 §9).
        b"PROPFIND" => 10,
        b"PROPPATCH" => 11,
        b"MKCOL" => 12,
        b"COPY" => 13,
        b"MOVE" => 14,
        b"LOCK" => 15,
        b"UNLOCK" => 16,
        // UPnP eventing (GENA) over TCP.
        b"SUBSCRIBE" => 17,
        b"UNSUBSCRIBE" => 18,
        b"NOTIFY" => 19,
        _ => OTHER,
    }
}

/// Name and class of a method code. GET, HEAD and OPTIONS (and WebDAV's PROPFIND) only read;
/// POST, PUT, PATCH, DELETE and the WebDAV changes write (RFC 9110 §9.2.1 "safe methods" is the
/// line drawn).
pub fn method_name(code: u16) -> (&'static str, OpClass) {
    match code {
        1 => ("GET", OpClass::Read),
        2 => ("HEAD", OpClass::Read),
        3 => ("POST", OpClass::Write),
        4 => ("PUT", OpClass::Write),
        5 => ("DELETE", OpClass::Write),
        6 => ("OPTIONS", OpClass::Read),
        7 => ("PATCH", OpClass::Write),
        8 => ("TRACE", OpClass::Diagnostic),
        9 => ("CONNECT", OpClass::Other),
        10 => ("PROPFIND", OpClass::Read),
        11 => ("PROPPATCH", OpClass::Write),
        12 => ("MKCOL", OpClass::Write),
        13 => ("COPY", OpClass::Write),
        14 => ("MOVE", OpClass::Write),
        15 => ("LOCK", OpClass::Other),
        16 => ("UNLOCK", OpClass::Other),
        17 => ("SUBSCRIBE", OpClass::Other),
        18 => ("UNSUBSCRIBE", OpClass::Other),
        19 => ("NOTIFY", OpClass::Other),
        UNSEEN => ("HTTP response (request not seen)", OpClass::Other),
        _ => ("HTTP other method", OpClass::Other),
    }
}
