//! A minimal RESP client: one blocking TCP connection, requests as arrays of bulk strings, replies
//! kept both as the exact bytes the server sent (what conformance compares) and as a parsed tree
//! (what normalisation rules and contracts look at). Understands RESP2 and every RESP3 type, so
//! it works before and after `HELLO 3`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::error::ConformError;

/// Deepest nesting of aggregates a reply may have; deeper is treated as a protocol error.
const REPLY_DEPTH_MAX: usize = 64;
/// How long one reply may take before the server is declared stuck.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes asked of the socket per read.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// One parsed reply value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// `+text`.
    Simple(Vec<u8>),
    /// `-text`.
    Error(Vec<u8>),
    /// `:n`.
    Int(i64),
    /// `$n` bulk string.
    Bulk(Vec<u8>),
    /// `$-1`.
    NullBulk,
    /// `*-1`.
    NullArray,
    /// RESP3 `_`.
    Null,
    /// `*n`.
    Array(Vec<Value>),
    /// RESP3 `%n`.
    Map(Vec<(Value, Value)>),
    /// RESP3 `~n`.
    Set(Vec<Value>),
    /// RESP3 `>n`.
    Push(Vec<Value>),
    /// RESP3 `,` with the text as sent.
    Double(Vec<u8>),
    /// RESP3 `#t` / `#f`.
    Bool(bool),
    /// RESP3 `(` with the digits as sent.
    BigNumber(Vec<u8>),
    /// RESP3 `=`: the whole payload (`txt:...`).
    Verbatim(Vec<u8>),
    /// RESP3 `!` blob error.
    BlobError(Vec<u8>),
}

impl Value {
    /// True for `-` and `!` errors.
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_) | Value::BlobError(_))
    }

    /// True for every null form.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::NullBulk | Value::NullArray)
    }

    /// The elements of an array, set or push.
    pub fn elements(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) | Value::Set(v) | Value::Push(v) => Some(v),
            _ => None,
        }
    }

    /// The bytes of a bulk, simple, verbatim or double reply.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bulk(b) | Value::Simple(b) | Value::Verbatim(b) | Value::Double(b) => Some(b),
            _ => None,
        }
    }

    /// Appends the RESP encoding of this value (the inverse of the parser).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        fn line(out: &mut Vec<u8>, prefix: u8, body: &[u8]) {
            out.push(prefix);
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        fn blob(out: &mut Vec<u8>, prefix: u8, body: &[u8]) {
            line(out, prefix, body.len().to_string().as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        fn aggregate(out: &mut Vec<u8>, prefix: u8, items: &[Value]) {
            line(out, prefix, items.len().to_string().as_bytes());
            for item in items {
                item.encode_into(out);
            }
        }
        match self {
            Value::Simple(s) => line(out, b'+', s),
            Value::Error(s) => line(out, b'-', s),
            Value::Int(n) => line(out, b':', n.to_string().as_bytes()),
            Value::Bulk(b) => blob(out, b'$', b),
            Value::NullBulk => line(out, b'$', b"-1"),
            Value::NullArray => line(out, b'*', b"-1"),
            Value::Null => line(out, b'_', b""),
            Value::Array(v) => aggregate(out, b'*', v),
            Value::Set(v) => aggregate(out, b'~', v),
            Value::Push(v) => aggregate(out, b'>', v),
            Value::Map(pairs) => {
                line(out, b'%', pairs.len().to_string().as_bytes());
                for (k, v) in pairs {
                    k.encode_into(out);
                    v.encode_into(out);
                }
            }
            Value::Double(d) => line(out, b',', d),
            Value::Bool(b) => line(out, b'#', if *b { b"t" } else { b"f" }),
            Value::BigNumber(d) => line(out, b'(', d),
            Value::Verbatim(b) => blob(out, b'=', b),
            Value::BlobError(b) => blob(out, b'!', b),
        }
    }

    /// The RESP encoding of this value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

/// A reply: the exact bytes and their parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The bytes as the server sent them.
    pub raw: Vec<u8>,
    /// The parsed value.
    pub value: Value,
}

impl Reply {
    /// A reply made from a value (used when a reply had to be synthesised, e.g. an I/O failure).
    pub fn from_value(value: Value) -> Reply {
        Reply { raw: value.encode(), value }
    }
}

/// Why bytes are not (yet) a reply.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// More bytes are needed.
    Incomplete,
    /// The bytes can never be a reply.
    Invalid(String),
}

/// Parses one reply from the start of `buf`: the value and the bytes it used.
pub fn parse(buf: &[u8]) -> Result<(Value, usize), ParseError> {
    let mut pos = 0;
    let value = parse_at(buf, &mut pos, 0)?;
    Ok((value, pos))
}

fn read_line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], ParseError> {
    let rest = &buf[*pos..];
    // RESP lines hold no bare LF, so the first LF ends the line (a byte search, not a window).
    let lf = rest.iter().position(|&b| b == b'\n').ok_or(ParseError::Incomplete)?;
    if lf == 0 || rest[lf - 1] != b'\r' {
        return Err(ParseError::Invalid("line not ended by CRLF".into()));
    }
    *pos += lf + 1;
    Ok(&rest[..lf - 1])
}

fn parse_int(text: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ParseError::Invalid(format!("bad length or integer {:?}", String::from_utf8_lossy(text))))
}

fn read_blob(buf: &[u8], pos: &mut usize, len: i64) -> Result<Vec<u8>, ParseError> {
    let len = usize::try_from(len).map_err(|_| ParseError::Invalid(format!("bad blob length {len}")))?;
    if buf.len() < *pos + len + 2 {
        return Err(ParseError::Incomplete);
    }
    let data = buf[*pos..*pos + len].to_vec();
    if &buf[*pos + len..*pos + len + 2] != b"\r\n" {
        return Err(ParseError::Invalid("blob not followed by CRLF".into()));
    }
    *pos += len + 2;
    Ok(data)
}

fn parse_items(buf: &[u8], pos: &mut usize, count: i64, depth: usize) -> Result<Vec<Value>, ParseError> {
    let count = usize::try_from(count).map_err(|_| ParseError::Invalid(format!("bad aggregate length {count}")))?;
    // Every element takes at least 3 bytes, so a count larger than that is not yet readable.
    let mut items = Vec::with_capacity(count.min(buf.len() / 3 + 1));
    for _ in 0..count {
        items.push(parse_at(buf, pos, depth + 1)?);
    }
    Ok(items)
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Value, ParseError> {
    if depth > REPLY_DEPTH_MAX {
        return Err(ParseError::Invalid(format!("reply nested deeper than {REPLY_DEPTH_MAX}")));
    }
    let Some(&kind) = buf.get(*pos) else { return Err(ParseError::Incomplete) };
    *pos += 1;
    let line = read_line(buf, pos)?;
    Ok(match kind {
        b'+' => Value::Simple(line.to_vec()),
        b'-' => Value::Error(line.to_vec()),
        b':' => Value::Int(parse_int(line)?),
        b'$' => match parse_int(line)? {
            -1 => Value::NullBulk,
            n => Value::Bulk(read_blob(buf, pos, n)?),
        },
        b'=' => Value::Verbatim(read_blob(buf, pos, parse_int(line)?)?),
        b'!' => Value::BlobError(read_blob(buf, pos, parse_int(line)?)?),
        b'*' => match parse_int(line)? {
            -1 => Value::NullArray,
            n => Value::Array(parse_items(buf, pos, n, depth)?),
        },
        b'~' => Value::Set(parse_items(buf, pos, parse_int(line)?, depth)?),
        b'>' => Value::Push(parse_items(buf, pos, parse_int(line)?, depth)?),
        b'%' => {
            let flat = parse_items(buf, pos, parse_int(line)?.saturating_mul(2), depth)?;
            let mut pairs = Vec::with_capacity(flat.len() / 2);
            let mut it = flat.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Value::Map(pairs)
        }
        b'_' => Value::Null,
        b',' => Value::Double(line.to_vec()),
        b'#' => match line {
            b"t" => Value::Bool(true),
            b"f" => Value::Bool(false),
            _ => return Err(ParseError::Invalid("bad boolean".into())),
        },
        b'(' => Value::BigNumber(line.to_vec()),
        other => return Err(ParseError::Invalid(format!("unknown reply type byte {other:#04x}"))),
    })
}

/// Moves `pos` past one complete reply without building it; the same errors as `parse_at`.
fn skip_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<(), ParseError> {
    if depth > REPLY_DEPTH_MAX {
        return Err(ParseError::Invalid(format!("reply nested deeper than {REPLY_DEPTH_MAX}")));
    }
    let Some(&kind) = buf.get(*pos) else { return Err(ParseError::Incomplete) };
    *pos += 1;
    let line = read_line(buf, pos)?;
    let (items, blob) = match kind {
        b'$' | b'=' | b'!' => (0, parse_int(line)?),
        b'*' | b'~' | b'>' => (parse_int(line)?, -1),
        b'%' => (parse_int(line)?.saturating_mul(2), -1),
        _ => (0, -1),
    };
    if blob >= 0 {
        let len = usize::try_from(blob).map_err(|_| ParseError::Invalid(format!("bad blob length {blob}")))?;
        if buf.len() < *pos + len + 2 {
            return Err(ParseError::Incomplete);
        }
        *pos += len + 2;
    }
    for _ in 0..items.max(0) {
        skip_at(buf, pos, depth + 1)?;
    }
    Ok(())
}

/// Appends the RESP request encoding of `argv`.
pub fn encode_request(argv: &[Vec<u8>], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for arg in argv {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// One client connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    peer: String,
}

impl Conn {
    /// Connects to `addr` (`host:port`).
    pub fn connect(addr: &str) -> Result<Conn, ConformError> {
        let stream = TcpStream::connect(addr).map_err(|e| ConformError::io(format!("connecting to {addr}"), e))?;
        stream.set_nodelay(true).map_err(|e| ConformError::io("setting TCP_NODELAY", e))?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).map_err(|e| ConformError::io("setting read timeout", e))?;
        Ok(Conn { stream, buf: Vec::new(), peer: addr.to_string() })
    }

    /// Sends one command and waits for its reply.
    pub fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, ConformError> {
        let mut req = Vec::new();
        encode_request(argv, &mut req);
        self.stream.write_all(&req).map_err(|e| ConformError::io(format!("writing to {}", self.peer), e))?;
        self.read_reply()
    }

    /// Sends a command given as text words.
    pub fn call_str(&mut self, words: &[&str]) -> Result<Reply, ConformError> {
        let argv: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        self.call(&argv)
    }

    /// Reads the next reply from the socket.
    pub fn read_reply(&mut self) -> Result<Reply, ConformError> {
        let mut chunk = vec![0u8; READ_CHUNK_BYTES];
        loop {
            // A large reply arrives in many reads: check completeness without building values
            // (cheap), and parse once it is all there.
            let mut end = 0;
            match skip_at(&self.buf, &mut end, 0).and_then(|()| parse(&self.buf[..end])) {
                Ok((value, used)) => {
                    let raw = self.buf[..used].to_vec();
                    self.buf.drain(..used);
                    return Ok(Reply { raw, value });
                }
                Err(ParseError::Invalid(detail)) => {
                    return Err(ConformError::Protocol { peer: self.peer.clone(), detail });
                }
                Err(ParseError::Incomplete) => {}
            }
            let n =
                self.stream.read(&mut chunk).map_err(|e| ConformError::io(format!("reading from {}", self.peer), e))?;
            if n == 0 {
                return Err(ConformError::io(
                    format!("reading from {}", self.peer),
                    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed by server"),
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Writes raw bytes (used by the fault-injecting proxy).
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<(), ConformError> {
        self.stream.write_all(bytes).map_err(|e| ConformError::io(format!("writing to {}", self.peer), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resp3_type_parses_and_encodes_back_to_the_same_bytes() {
        // Proves the parser and encoder are inverse on one sample of every type.
        let samples: &[&[u8]] = &[
            b"+OK\r\n",
            b"-ERR x\r\n",
            b":-12\r\n",
            b"$3\r\na\r\n\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"_\r\n",
            b"*2\r\n$1\r\na\r\n:1\r\n",
            b"%1\r\n+k\r\n,1.5\r\n",
            b"~1\r\n#t\r\n",
            b">1\r\n(123\r\n",
            b"=7\r\ntxt:abc\r\n",
            b"!3\r\nerr\r\n",
        ];
        for s in samples {
            let (v, used) = parse(s).unwrap();
            assert_eq!(used, s.len());
            assert_eq!(&v.encode()[..], *s, "{v:?}");
        }
    }

    #[test]
    fn skipping_finds_the_same_end_as_parsing() {
        // Proves the cheap completeness check agrees with the parser on complete and partial
        // replies.
        let full: &[u8] = b"*3\r\n%1\r\n+k\r\n$2\r\nab\r\n~1\r\n:1\r\n$-1\r\nextra";
        let mut end = 0;
        skip_at(full, &mut end, 0).unwrap();
        assert_eq!(end, parse(full).unwrap().1);
        for cut in 0..end {
            assert_eq!(skip_at(&full[..cut], &mut 0, 0), Err(ParseError::Incomplete), "cut at {cut}");
        }
    }

    #[test]
    fn incomplete_and_invalid_input_are_told_apart() {
        // Proves a partial reply asks for more bytes and garbage is refused.
        assert_eq!(parse(b"$5\r\nab"), Err(ParseError::Incomplete));
        assert_eq!(parse(b"*2\r\n:1\r\n"), Err(ParseError::Incomplete));
        assert!(matches!(parse(b"?x\r\n"), Err(ParseError::Invalid(_))));
        assert!(matches!(parse(b"$3\r\nabcd\r\n"), Err(ParseError::Invalid(_))));
    }
}
