//! The replies commands produce, independent of the wire protocol.
//!
//! A command answers with a `Reply`; the server's RESP encoder turns it into RESP2 or RESP3 bytes
//! for the client's protocol version (a `Map` is a flat array in RESP2, a `Double` a bulk string,
//! `Null` is `$-1` or `_`). Commands never format protocol bytes themselves.

use crate::error::CmdError;

/// One reply value.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+OK`.
    Ok,
    /// A status reply (`+text`).
    Simple(std::borrow::Cow<'static, str>),
    /// An error reply (`-text`).
    Error(CmdError),
    /// An integer (`:n`).
    Int(i64),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    Null,
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NullArray,
    /// An array.
    Array(Vec<Reply>),
    /// A map (RESP3 `%`; a flat array of pairs in RESP2).
    Map(Vec<(Reply, Reply)>),
    /// A set (RESP3 `~`; an array in RESP2).
    Set(Vec<Reply>),
    /// A double (RESP3 `,`; a bulk string in RESP2), printed as Redis's `%.17g`.
    Double(f64),
    /// A double the command printed itself (RESP3 `,text`; a bulk string in RESP2), for replies
    /// Redis prints in another format than `%.17g` (GEOPOS's coordinates, `%.17Lf` trimmed).
    DoubleText(Vec<u8>),
    /// A boolean (RESP3 `#`; the integer 1 or 0 in RESP2).
    Bool(bool),
    /// Verbatim text (RESP3 `=` with a three-byte format such as `txt`; a bulk string in RESP2).
    Verbatim([u8; 3], Vec<u8>),
    /// A big number's decimal text (RESP3 `(`; a bulk string in RESP2). Only scripts return one
    /// (`{big_number=...}`).
    BigNumber(Vec<u8>),
    /// An out-of-band push (RESP3 `>`; an array in RESP2).
    Push(Vec<Reply>),
    /// Attributes, then the reply they describe (RESP3 `|` and its pairs before the reply; RESP2
    /// has no attributes and gets the reply alone).
    Attribute(Vec<(Reply, Reply)>, Box<Reply>),
    /// An array of bulk strings, packed (see `BulkArray`).
    Bulks(BulkArray),
}

/// An array of bulk strings kept as their RESP bytes (`$len\r\n...\r\n` each), which RESP2 and
/// RESP3 write identically. Why: a reply like LRANGE 0 99 then costs one allocation instead of one
/// `Vec` and one `Reply` per element, which measured as half the server's time on LRANGE_100.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BulkArray {
    count: usize,
    encoded: Vec<u8>,
}

impl BulkArray {
    /// An empty array with room for about `count` elements of `bytes_hint` bytes each.
    pub fn with_capacity(count: usize, bytes_hint: usize) -> BulkArray {
        BulkArray { count: 0, encoded: Vec::with_capacity(count * (bytes_hint + 8)) }
    }

    /// Appends one bulk string.
    pub fn push(&mut self, bytes: &[u8]) {
        let mut len = [0u8; 20];
        self.encoded.push(b'$');
        self.encoded.extend_from_slice(crate::num::format_i64(bytes.len() as i64, &mut len));
        self.encoded.extend_from_slice(b"\r\n");
        self.encoded.extend_from_slice(bytes);
        self.encoded.extend_from_slice(b"\r\n");
        self.count += 1;
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The elements' RESP bytes, without the array header.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// The elements, decoded back (for tests and inspection).
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = &self.encoded[..];
        std::iter::from_fn(move || {
            let crlf = rest.iter().position(|&b| b == b'\r')?;
            let len: usize = std::str::from_utf8(&rest[1..crlf]).ok()?.parse().ok()?;
            let item = &rest[crlf + 2..crlf + 2 + len];
            rest = &rest[crlf + 4 + len..];
            Some(item)
        })
    }
}

impl<'a> FromIterator<&'a [u8]> for BulkArray {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(items: I) -> BulkArray {
        let mut out = BulkArray::default();
        items.into_iter().for_each(|b| out.push(b));
        out
    }
}

impl Reply {
    /// A status reply from static text.
    pub fn simple(text: &'static str) -> Reply {
        Reply::Simple(std::borrow::Cow::Borrowed(text))
    }

    /// A bulk string copied from `bytes`.
    pub fn bulk(bytes: &[u8]) -> Reply {
        Reply::Bulk(bytes.to_vec())
    }

    /// A bulk string holding `n` in decimal.
    pub fn bulk_i64(n: i64) -> Reply {
        let mut buf = [0u8; 20];
        Reply::Bulk(crate::num::format_i64(n, &mut buf).to_vec())
    }

    /// The reply to `<CONTAINER> HELP`, as Redis's `addReplyHelp` builds it: an intro line naming
    /// the container as the client typed it (upper-cased), the given lines, then the HELP entry.
    pub fn help(container: &[u8], lines: &[&'static str]) -> Reply {
        let name = String::from_utf8_lossy(container).to_uppercase();
        let mut out = Vec::with_capacity(lines.len() + 3);
        out.push(Reply::Simple(format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").into()));
        out.extend(lines.iter().map(|l| Reply::simple(l)));
        out.push(Reply::simple("HELP"));
        out.push(Reply::simple("    Prints this help."));
        Reply::Array(out)
    }

    /// A bulk string, or `Null` for `None`.
    pub fn bulk_or_null(bytes: Option<Vec<u8>>) -> Reply {
        bytes.map_or(Reply::Null, Reply::Bulk)
    }
}

impl From<CmdError> for Reply {
    fn from(e: CmdError) -> Reply {
        Reply::Error(e)
    }
}
