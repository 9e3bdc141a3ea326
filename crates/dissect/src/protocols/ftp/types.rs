//! FTP commands as a small open table (RFC 959 §4.1 and the extensions named in `mod.rs`):
//! unknown commands are counted as "other command" and their text is not kept.

use crate::OpClass;

/// A command this table does not name.
pub(crate) const OTHER: u16 = 0;
/// A reply whose command was not seen.
pub(crate) const UNSEEN: u16 = 255;
pub(crate) const USER: u16 = 1;
pub(crate) const PASS: u16 = 2;
pub(crate) const AUTH: u16 = 36;

/// (keyword, code, name, class) of the known commands; the X-prefixed RFC 775 aliases share
/// their modern command's code.
const COMMANDS: &[(&[u8], u16, &str, OpClass)] = &[
    (b"USER", USER, "USER", OpClass::Other),
    (b"PASS", PASS, "PASS", OpClass::Other),
    (b"ACCT", 3, "ACCT", OpClass::Other),
    (b"CWD", 4, "CWD", OpClass::Other),
    (b"XCWD", 4, "CWD", OpClass::Other),
    (b"CDUP", 5, "CDUP", OpClass::Other),
    (b"XCUP", 5, "CDUP", OpClass::Other),
    (b"SMNT", 6, "SMNT", OpClass::Other),
    (b"QUIT", 7, "QUIT", OpClass::Other),
    (b"REIN", 8, "REIN", OpClass::Other),
    (b"PORT", 9, "PORT", OpClass::Other),
    (b"PASV", 10, "PASV", OpClass::Other),
    (b"TYPE", 11, "TYPE", OpClass::Other),
    (b"STRU", 12, "STRU", OpClass::Other),
    (b"MODE", 13, "MODE", OpClass::Other),
    (b"RETR", 14, "RETR", OpClass::Read),
    (b"STOR", 15, "STOR", OpClass::Write),
    (b"STOU", 16, "STOU", OpClass::Write),
    (b"APPE", 17, "APPE", OpClass::Write),
    (b"ALLO", 18, "ALLO", OpClass::Other),
    (b"REST", 19, "REST", OpClass::Other),
    (b"RNFR", 20, "RNFR", OpClass::Write),
    (b"RNTO", 21, "RNTO", OpClass::Write),
    (b"ABOR", 22, "ABOR", OpClass::Other),
    (b"DELE", 23, "DELE", OpClass::Write),
    (b"RMD", 24, "RMD", OpClass::Write),
    (b"XRMD", 24, "RMD", OpClass::Write),
    (b"MKD", 25, "MKD", OpClass::Write),
    (b"XMKD", 25, "MKD", OpClass::Write),
    (b"PWD", 26, "PWD", OpClass::Other),
    (b"XPWD", 26, "PWD", OpClass::Other),
    (b"LIST", 27, "LIST", OpClass::Read),
    (b"NLST", 28, "NLST", OpClass::Read),
    (b"SITE", 29, "SITE", OpClass::Other),
    (b"SYST", 30, "SYST", OpClass::Diagnostic),
    (b"STAT", 31, "STAT", OpClass::Diagnostic),
    (b"HELP", 32, "HELP", OpClass::Other),
    (b"NOOP", 33, "NOOP", OpClass::Other),
    (b"FEAT", 34, "FEAT", OpClass::Diagnostic),
    (b"OPTS", 35, "OPTS", OpClass::Other),
    (b"AUTH", AUTH, "AUTH", OpClass::Other),
    (b"PBSZ", 37, "PBSZ", OpClass::Other),
    (b"PROT", 38, "PROT", OpClass::Other),
    (b"EPRT", 39, "EPRT", OpClass::Other),
    (b"EPSV", 40, "EPSV", OpClass::Other),
    (b"SIZE", 41, "SIZE", OpClass::Read),
    (b"MDTM", 42, "MDTM", OpClass::Read),
    (b"MLSD", 43, "MLSD", OpClass::Read),
    (b"MLST", 44, "MLST", OpClass::Read),
];

/// The operation code of a command keyword (case-insensitive, RFC 959 §5.3).
pub(crate) fn command(keyword: &[u8]) -> u16 {
    COMMANDS
        .iter()
        .find(|(k, ..)| k.eq_ignore_ascii_case(keyword))
        .map_or(OTHER, |&(_, code, ..)| code)
}

/// Name and class of an operation code.
pub fn command_name(code: u16) -> (&'static str, OpClass) {
    match code {
        UNSEEN => ("FTP reply (command not seen)", OpClass::Other),
        _ => COMMANDS.iter().find(|&&(_, c, ..)| c == code).map_or(
            ("FTP other command", OpClass::Other),
            |&(_, _, name, class)| (name, class),
        ),
    }
}
