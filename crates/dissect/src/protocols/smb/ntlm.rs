//! The NTLMSSP CHALLENGE message ([MS-NLMP] §2.2.1.2) a server sends during session setup:
//! its TargetInfo AV pairs (§2.2.2.1) name the server (NetBIOS and DNS computer names) and its
//! domain, and its Version (§2.2.2.10) the Windows build. Found by its signature inside the
//! session setup security blob (SPNEGO is not decoded). The client's AUTHENTICATE message,
//! which carries the user name, is never read.

const SIGNATURE: &[u8] = b"NTLMSSP\0";
/// NTLMSSP_NEGOTIATE_VERSION (§2.2.2.5): the Version field is meaningful.
const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// Longest name kept (characters).
const MAX_NAME: usize = 255;

/// What a CHALLENGE says about the server.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub netbios_computer: Option<String>,
    pub netbios_domain: Option<String>,
    pub dns_computer: Option<String>,
    pub dns_domain: Option<String>,
    /// `major.minor.build`.
    pub version: Option<String>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)?
        .first_chunk::<2>()
        .map(|&x| u16::from_le_bytes(x))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)?
        .first_chunk::<4>()
        .map(|&x| u32::from_le_bytes(x))
}

/// UTF-16LE text, control characters dropped, length capped.
fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .filter_map(|c| c.first_chunk::<2>().map(|&x| u16::from_le_bytes(x)))
        .collect();
    String::from_utf16_lossy(&units)
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect()
}

/// The first CHALLENGE message inside `b`, if any.
pub(crate) fn challenge(b: &[u8]) -> Option<Challenge> {
    let start = b.windows(SIGNATURE.len()).position(|w| w == SIGNATURE)?;
    let m = b.get(start..)?;
    if u32_at(m, 8)? != 2 {
        return None;
    }
    let flags = u32_at(m, 20)?;
    let mut c = Challenge::default();
    // TargetInfoFields: length, maximum length, offset from the message start.
    let info_len = usize::from(u16_at(m, 40)?);
    let info_offset = usize::try_from(u32_at(m, 44)?).ok()?;
    if let Some(mut pairs) = m.get(info_offset..info_offset.checked_add(info_len)?) {
        while let (Some(id), Some(len)) = (u16_at(pairs, 0), u16_at(pairs, 2)) {
            let len = usize::from(len);
            let Some(value) = pairs.get(4..4 + len) else {
                break;
            };
            let slot = match id {
                0 => break, // MsvAvEOL
                1 => &mut c.netbios_computer,
                2 => &mut c.netbios_domain,
                3 => &mut c.dns_computer,
                4 => &mut c.dns_domain,
                _ => {
                    pairs = pairs.get(4 + len..).unwrap_or_default();
                    continue;
                }
            };
            *slot = Some(utf16(value)).filter(|s| !s.is_empty());
            pairs = pairs.get(4 + len..).unwrap_or_default();
        }
    }
    if flags & NEGOTIATE_VERSION != 0 {
        if let (Some(&major), Some(&minor), Some(build)) = (m.get(48), m.get(49), u16_at(m, 50)) {
            if major > 0 {
                c.version = Some(format!("{major}.{minor}.{build}"));
            }
        }
    }
    Some(c)
}
