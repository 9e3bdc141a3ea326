//! SSH operation codes: the banner (no message number) and the message numbers of RFC 4250
//! §4.1.2 for what is decoded.

use crate::OpClass;

pub(crate) const BANNER: u16 = 0;
/// SSH_MSG_KEXINIT (RFC 4253 §12).
pub(crate) const KEXINIT: u16 = 20;

/// Name and class of an operation code.
pub fn operation_name(code: u16) -> (&'static str, OpClass) {
    match code {
        BANNER => ("banner", OpClass::Other),
        KEXINIT => ("key exchange", OpClass::Other),
        _ => ("SSH message", OpClass::Other),
    }
}

/// The operating system a banner names (distribution builds of OpenSSH add it to the version
/// or comment: `OpenSSH_8.2p1 Ubuntu-4ubuntu0.5`, `OpenSSH_for_Windows_8.1`).
pub(crate) fn os_of(banner: &str) -> Option<&'static str> {
    let lower = banner.to_ascii_lowercase();
    // Raspbian builds also mention Debian versions (`+deb10u2`): look for it first.
    [
        ("raspbian", "Raspbian"),
        ("ubuntu", "Ubuntu"),
        ("debian", "Debian"),
        ("freebsd", "FreeBSD"),
        ("windows", "Windows"),
    ]
    .into_iter()
    .find(|(needle, _)| lower.contains(needle))
    .map(|(_, os)| os)
}
