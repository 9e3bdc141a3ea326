//! Borrowed, length-checked views of OPC UA binary messages (OPC 10000-6 §5.2 built-in type
//! encoding, §6.7 secure conversation headers, §7.1 connection protocol).

use super::types::MessageType;

/// Message header: type (3), chunk type (1), size (4, little-endian, header included).
pub(crate) const HEADER_LEN: usize = 8;
/// Nesting allowed in recursive types (DiagnosticInfo) before the message is called malformed.
const MAX_DEPTH: u32 = 8;
/// Array elements walked before the message is called malformed.
const MAX_ARRAY: i32 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: MessageType,
    /// 'F' final, 'C' intermediate, 'A' abort.
    pub chunk: u8,
    pub size: u32,
}

impl Header {
    /// `None`: too short; `Some(Err)`: not an OPC UA header.
    pub(crate) fn parse(b: &[u8]) -> Option<Result<Header, &'static str>> {
        let h: [u8; HEADER_LEN] = b.get(..HEADER_LEN)?.try_into().ok()?;
        let [t0, t1, t2, chunk, s0, s1, s2, s3] = h;
        let Some(kind) = MessageType::from_bytes([t0, t1, t2]) else {
            return Some(Err("unknown message type"));
        };
        let size = u32::from_le_bytes([s0, s1, s2, s3]);
        if !matches!(chunk, b'F' | b'C' | b'A') {
            return Some(Err("unknown chunk type"));
        }
        if kind.is_connection() && chunk != b'F' {
            return Some(Err("connection protocol message is not a final chunk"));
        }
        if (size as usize) < HEADER_LEN + 4 {
            return Some(Err("message size smaller than its header"));
        }
        Some(Ok(Header { kind, chunk, size }))
    }
}

/// A type id (Part 6 §5.2.2.9): numeric ids are what services are named by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeId {
    Numeric {
        namespace: u16,
        id: u32,
    },
    /// String, GUID or opaque identifiers.
    Other {
        namespace: u16,
    },
}

/// A cursor over encoded built-in types; every read is length-checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Reader { rest: b }
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let taken = self.rest.get(..n).ok_or("message ends inside a field")?;
        self.rest = self.rest.get(n..).unwrap_or_default();
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        self.take(N)?
            .try_into()
            .map_err(|_| "message ends inside a field")
    }

    pub(crate) fn u8(&mut self) -> Result<u8, &'static str> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, &'static str> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, &'static str> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, &'static str> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A String or ByteString (§5.2.2.4): i32 length, -1 for null.
    pub(crate) fn string(&mut self) -> Result<Option<&'a [u8]>, &'static str> {
        let len = self.i32()?;
        if len < 0 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| "string length out of range")?;
        self.take(len).map(Some)
    }

    /// A NodeId (§5.2.2.9); `expanded` also accepts the ExpandedNodeId flags (§5.2.2.10).
    pub(crate) fn node_id(&mut self, expanded: bool) -> Result<NodeId, &'static str> {
        let encoding = self.u8()?;
        let flags = encoding & 0xC0;
        if flags != 0 && !expanded {
            return Err("NodeId with ExpandedNodeId flags");
        }
        let id = match encoding & 0x3F {
            0x00 => NodeId::Numeric {
                namespace: 0,
                id: u32::from(self.u8()?),
            },
            0x01 => {
                let namespace = u16::from(self.u8()?);
                NodeId::Numeric {
                    namespace,
                    id: u32::from(self.u16()?),
                }
            }
            0x02 => {
                let namespace = self.u16()?;
                NodeId::Numeric {
                    namespace,
                    id: self.u32()?,
                }
            }
            0x03 | 0x05 => {
                let namespace = self.u16()?;
                self.string()?;
                NodeId::Other { namespace }
            }
            0x04 => {
                let namespace = self.u16()?;
                self.take(16)?;
                NodeId::Other { namespace }
            }
            _ => return Err("unknown NodeId encoding"),
        };
        if flags & 0x80 != 0 {
            self.string()?;
        }
        if flags & 0x40 != 0 {
            self.u32()?;
        }
        Ok(id)
    }

    /// LocalizedText (§5.2.2.14): its text, if present.
    pub(crate) fn localized_text(&mut self) -> Result<Option<&'a [u8]>, &'static str> {
        let mask = self.u8()?;
        if mask & 0x01 != 0 {
            self.string()?;
        }
        if mask & 0x02 != 0 {
            return self.string();
        }
        Ok(None)
    }

    /// DiagnosticInfo (§5.2.2.12), skipped.
    fn diagnostic_info(&mut self, depth: u32) -> Result<(), &'static str> {
        if depth > MAX_DEPTH {
            return Err("DiagnosticInfo nested too deeply");
        }
        let mask = self.u8()?;
        for bit in [0x01u8, 0x02, 0x04, 0x08] {
            if mask & bit != 0 {
                self.i32()?;
            }
        }
        if mask & 0x10 != 0 {
            self.string()?;
        }
        if mask & 0x20 != 0 {
            self.u32()?;
        }
        if mask & 0x40 != 0 {
            self.diagnostic_info(depth + 1)?;
        }
        Ok(())
    }

    /// ExtensionObject (§5.2.2.15), skipped.
    fn extension_object(&mut self) -> Result<(), &'static str> {
        self.node_id(false)?;
        match self.u8()? {
            0x00 => Ok(()),
            0x01 | 0x02 => self.string().map(|_| ()),
            _ => Err("unknown ExtensionObject encoding"),
        }
    }

    /// An array length (§5.2.5): -1 is a null array.
    fn array_len(&mut self) -> Result<usize, &'static str> {
        let len = self.i32()?;
        if len > MAX_ARRAY {
            return Err("array longer than the decoder allows");
        }
        Ok(usize::try_from(len.max(0)).unwrap_or(0))
    }

    fn string_array(&mut self) -> Result<(), &'static str> {
        for _ in 0..self.array_len()? {
            self.string()?;
        }
        Ok(())
    }

    /// RequestHeader (Part 4 §7.28), skipped.
    pub(crate) fn request_header(&mut self) -> Result<(), &'static str> {
        self.node_id(false)?; // authentication token
        self.take(8)?; // timestamp
        self.u32()?; // request handle
        self.u32()?; // return diagnostics
        self.string()?; // audit entry id
        self.u32()?; // timeout hint
        self.extension_object()
    }

    /// ResponseHeader (Part 4 §7.29): its ServiceResult.
    pub(crate) fn response_header(&mut self) -> Result<u32, &'static str> {
        self.take(8)?; // timestamp
        self.u32()?; // request handle
        let result = self.u32()?;
        self.diagnostic_info(0)?;
        self.string_array()?;
        self.extension_object()?;
        Ok(result)
    }

    /// ApplicationDescription (Part 4 §7.2).
    pub(crate) fn application_description(
        &mut self,
    ) -> Result<ApplicationDescription<'a>, &'static str> {
        let application_uri = self.string()?;
        let product_uri = self.string()?;
        let application_name = self.localized_text()?;
        let _application_type = self.u32()?;
        self.string()?; // gateway server uri
        self.string()?; // discovery profile uri
        self.string_array()?; // discovery urls
        Ok(ApplicationDescription {
            application_uri,
            product_uri,
            application_name,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ApplicationDescription<'a> {
    pub application_uri: Option<&'a [u8]>,
    pub product_uri: Option<&'a [u8]>,
    pub application_name: Option<&'a [u8]>,
}

/// Hello (Part 6 §7.1.2.3): the endpoint URL the client connects to.
pub(crate) fn hello(body: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    let mut r = Reader::new(body);
    for _ in 0..5 {
        r.u32()?; // version, buffer sizes, max message size, max chunk count
    }
    let url = r.string()?;
    if url.is_some_and(|u| u.len() > 4096) {
        return Err("endpoint URL longer than 4096 bytes");
    }
    Ok(url)
}

/// Error (Part 6 §7.1.2.5): status code and reason.
pub(crate) fn error(body: &[u8]) -> Result<(u32, Option<&[u8]>), &'static str> {
    let mut r = Reader::new(body);
    Ok((r.u32()?, r.string()?))
}

/// The security header of an OPN (asymmetric, Part 6 §6.7.2.3): the security policy URI; and
/// the reader left at the sequence header.
pub(crate) fn open_security_header(
    body: &[u8],
) -> Result<(Option<&[u8]>, Reader<'_>), &'static str> {
    let mut r = Reader::new(body);
    r.u32()?; // secure channel id
    let policy = r.string()?;
    r.string()?; // sender certificate
    r.string()?; // receiver certificate thumbprint
    Ok((policy, r))
}

/// The security header of a MSG or CLO (symmetric, §6.7.2.4): the reader at the sequence header.
pub(crate) fn symmetric_security_header(body: &[u8]) -> Result<Reader<'_>, &'static str> {
    let mut r = Reader::new(body);
    r.u32()?; // secure channel id
    r.u32()?; // token id
    Ok(r)
}

/// Sequence header (§6.7.2.4): sequence number and request id.
pub(crate) fn sequence_header(r: &mut Reader<'_>) -> Result<(u32, u32), &'static str> {
    Ok((r.u32()?, r.u32()?))
}

/// The body's type id: a numeric id in namespace 0 names a service encoding.
pub(crate) fn type_id(r: &mut Reader<'_>) -> Result<Option<u32>, &'static str> {
    Ok(match r.node_id(true)? {
        NodeId::Numeric { namespace: 0, id } => Some(id),
        _ => None,
    })
}

/// OpenSecureChannelRequest after its RequestHeader (Part 4 §5.5.2): the security mode.
pub(crate) fn open_request_mode(r: &mut Reader<'_>) -> Result<u32, &'static str> {
    r.request_header()?;
    r.u32()?; // client protocol version
    r.u32()?; // request type
    r.u32()
}

/// CreateSessionRequest (Part 4 §5.6.2): the client's application description.
pub(crate) fn create_session_request<'a>(
    r: &mut Reader<'a>,
) -> Result<ApplicationDescription<'a>, &'static str> {
    r.request_header()?;
    r.application_description()
}

/// CreateSessionResponse (Part 4 §5.6.2): the server's description from its first endpoint.
pub(crate) fn create_session_response<'a>(
    r: &mut Reader<'a>,
) -> Result<Option<ApplicationDescription<'a>>, &'static str> {
    r.response_header()?;
    r.node_id(false)?; // session id
    r.node_id(false)?; // authentication token
    r.take(8)?; // revised session timeout
    r.string()?; // server nonce
    r.string()?; // server certificate
    if r.array_len()? == 0 {
        return Ok(None);
    }
    r.string()?; // endpoint url
    r.application_description().map(Some)
}
