//! Request parsing: RESP multibulk and inline commands, resumable at any byte.
//!
//! Follows Redis's `processMultibulkBuffer` and `processInlineBuffer`: the same limits, the same
//! protocol error texts, and the same leniencies (the byte after `\r` is not checked; a
//! non-positive multibulk count is an empty command). Parsing keeps its progress in the parser,
//! so a command arriving in many small reads is not rescanned from its start each time.

use std::ops::Range;

use crate::config::syntax::split_args;

/// Longest inline command or multibulk/bulk header line Redis accepts (PROTO_INLINE_MAX_SIZE).
pub const INLINE_LEN_MAX: usize = 64 * 1024;
/// Largest multibulk count Redis accepts (INT_MAX).
const MULTIBULK_COUNT_MAX: i64 = i32::MAX as i64;

/// Most arguments Redis takes in one request from a client that must still authenticate
/// (CVE-2021-32675: such a client cannot make the server allocate much).
const UNAUTHENTICATED_ARGS_MAX: i64 = 10;
/// Longest argument Redis takes from a client that must still authenticate.
const UNAUTHENTICATED_BULK_LEN_MAX: i64 = 16 * 1024;

/// The limits a request is parsed under.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`.
    pub bulk_len_max: u64,
    /// The client must still authenticate: Redis's tighter limits apply too (at most 10
    /// arguments, each at most 16 KiB).
    pub unauthenticated: bool,
}

/// A request the client sent that Redis answers with a protocol error (and then closes).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// An inline command longer than 64 KiB without a newline.
    #[error("Protocol error: too big inline request")]
    InlineTooBig,
    /// Unbalanced quotes in an inline command.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A multibulk count line longer than 64 KiB.
    #[error("Protocol error: too big mbulk count string")]
    MultibulkCountTooBig,
    /// A multibulk count that is not a number or is too large.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A bulk header line longer than 64 KiB.
    #[error("Protocol error: too big bulk count string")]
    BulkCountTooBig,
    /// Something other than `$` where a bulk string must start.
    #[error("Protocol error: expected '$', got '{0}'")]
    ExpectedDollar(char),
    /// A bulk length that is not a number, negative, or above `proto-max-bulk-len`.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// More than 10 arguments from a client that must still authenticate.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// An argument over 16 KiB from a client that must still authenticate.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

/// Where a multibulk request stands between reads.
#[derive(Debug, Default)]
struct Multibulk {
    /// Arguments still expected.
    remaining: usize,
    /// Length of the bulk being read, once its header was parsed.
    bulk_len: Option<usize>,
}

/// A resumable request parser; one per client.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Offset in the buffer up to which the current request has been parsed.
    pos: usize,
    multibulk: Option<Multibulk>,
    args: Vec<Range<usize>>,
    /// Inline arguments are unquoted into owned bytes; multibulk ones are ranges of the buffer.
    inline_args: Vec<Vec<u8>>,
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf[from..].iter().position(|&b| b == b'\r').map(|i| from + i)
}

impl RequestParser {
    /// Parses the next request at the start of `buf` (bytes before are already consumed).
    /// `Ok(None)`: more bytes are needed. `Ok(Some(n))`: a request occupied the first `n` bytes,
    /// and `args` yields its arguments (possibly none: an empty request, which the caller skips).
    pub fn parse(&mut self, buf: &[u8], limits: ParseLimits) -> Result<Option<usize>, ProtocolError> {
        if self.multibulk.is_none() && self.pos == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return self.parse_inline(buf);
            }
        }
        self.parse_multibulk(buf, limits)
    }

    /// The arguments of the request just parsed, borrowing from the buffer it was parsed from.
    pub fn args<'a>(&'a self, buf: &'a [u8]) -> Vec<&'a [u8]> {
        if self.inline_args.is_empty() {
            self.args.iter().map(|r| &buf[r.clone()]).collect()
        } else {
            self.inline_args.iter().map(Vec::as_slice).collect()
        }
    }

    /// Forgets the request just returned, ready for the next one.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.multibulk = None;
        self.args.clear();
        self.inline_args.clear();
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
            if buf.len() > INLINE_LEN_MAX {
                return Err(ProtocolError::InlineTooBig);
            }
            return Ok(None);
        };
        let line_end = if nl > 0 && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
        // Inline commands split like config lines: both are Redis's `sdssplitargs`.
        self.inline_args = split_args(&buf[..line_end]).ok_or(ProtocolError::UnbalancedQuotes)?;
        Ok(Some(nl + 1))
    }

    fn parse_multibulk(&mut self, buf: &[u8], limits: ParseLimits) -> Result<Option<usize>, ProtocolError> {
        if self.multibulk.is_none() {
            let Some(cr) = find_crlf(buf, 0) else {
                if buf.len() > INLINE_LEN_MAX {
                    return Err(ProtocolError::MultibulkCountTooBig);
                }
                return Ok(None);
            };
            if cr + 2 > buf.len() {
                return Ok(None);
            }
            let count = verdis_engine::num::parse_i64(&buf[1..cr])
                .filter(|&n| n <= MULTIBULK_COUNT_MAX)
                .ok_or(ProtocolError::InvalidMultibulkLength)?;
            if limits.unauthenticated && count > UNAUTHENTICATED_ARGS_MAX {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            self.pos = cr + 2;
            if count <= 0 {
                let consumed = self.pos;
                self.pos = 0;
                return Ok(Some(consumed));
            }
            // Reserve modestly: the count is the client's claim, not yet backed by bytes.
            self.args.reserve((count as usize).min(1024));
            self.multibulk = Some(Multibulk { remaining: count as usize, bulk_len: None });
        }
        let mb = self.multibulk.as_mut().expect("set above");
        while mb.remaining > 0 {
            let bulk_len = match mb.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = find_crlf(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_LEN_MAX {
                            return Err(ProtocolError::BulkCountTooBig);
                        }
                        return Ok(None);
                    };
                    if cr + 2 > buf.len() {
                        return Ok(None);
                    }
                    if buf[self.pos] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(buf[self.pos] as char));
                    }
                    let len = verdis_engine::num::parse_i64(&buf[self.pos + 1..cr])
                        .filter(|&n| n >= 0 && n as u64 <= limits.bulk_len_max)
                        .ok_or(ProtocolError::InvalidBulkLength)?;
                    if limits.unauthenticated && len > UNAUTHENTICATED_BULK_LEN_MAX {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    self.pos = cr + 2;
                    mb.bulk_len = Some(len as usize);
                    len as usize
                }
            };
            if buf.len() - self.pos < bulk_len + 2 {
                return Ok(None);
            }
            self.args.push(self.pos..self.pos + bulk_len);
            self.pos += bulk_len + 2;
            mb.bulk_len = None;
            mb.remaining -= 1;
        }
        let consumed = self.pos;
        self.pos = 0;
        self.multibulk = None;
        Ok(Some(consumed))
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;

    const MAX: ParseLimits = ParseLimits { bulk_len_max: 512 * 1024 * 1024, unauthenticated: false };

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = RequestParser::default();
        let mut out = Vec::new();
        let mut buf = input;
        while let Some(consumed) = p.parse(buf, MAX)? {
            out.push(p.args(buf).into_iter().map(<[u8]>::to_vec).collect());
            p.reset();
            buf = &buf[consumed..];
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline_parse() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nSET a \"b c\"\r\nPING\n").unwrap();
        assert_eq!(
            cmds,
            vec![
                vec![b"GET".to_vec(), b"k".to_vec()],
                vec![b"SET".to_vec(), b"a".to_vec(), b"b c".to_vec()],
                vec![b"PING".to_vec()]
            ]
        );
    }

    #[test]
    fn a_command_split_at_every_byte_parses_the_same() {
        let input = b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$11\r\nworld\r\n\0xyz\r\n";
        for split in 1..input.len() {
            let mut p = RequestParser::default();
            assert_eq!(p.parse(&input[..split], MAX).unwrap(), None, "split {split}");
            assert_eq!(p.parse(input, MAX).unwrap(), Some(input.len()));
            assert_eq!(p.args(input)[2], b"world\r\n\0xyz");
        }
    }

    /// `args` as one multibulk request.
    fn multibulk(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[test]
    fn unauthenticated_limits() {
        // Proves the limits for a client that must still authenticate: 10 arguments of 16 KiB
        // pass, an 11th argument or a 16 KiB + 1 argument is Redis's protocol error, and an
        // authenticated client has neither limit.
        let unauth = ParseLimits { unauthenticated: true, ..MAX };
        let arg = vec![b'a'; 16384];
        let ten = multibulk(&[&arg[..]; 10]);
        assert_eq!(RequestParser::default().parse(&ten, unauth), Ok(Some(ten.len())));
        let eleven = multibulk(&[&b"a"[..]; 11]);
        let err = RequestParser::default().parse(&eleven, unauth).unwrap_err();
        assert_eq!(err.to_string(), "Protocol error: unauthenticated multibulk length");
        assert_eq!(RequestParser::default().parse(&eleven, MAX), Ok(Some(eleven.len())));
        let long = b"*1\r\n$16385\r\n";
        let err = RequestParser::default().parse(long, unauth).unwrap_err();
        assert_eq!(err.to_string(), "Protocol error: unauthenticated bulk length");
        assert_eq!(RequestParser::default().parse(long, MAX), Ok(None));
    }

    #[test]
    fn protocol_errors_have_redis_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"*x\r\n", "Protocol error: invalid multibulk length"),
            (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
            (b"*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'"),
            (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
            (b"*1\r\n$600000000\r\n", "Protocol error: invalid bulk length"),
            (b"SET \"a\r\n", "Protocol error: unbalanced quotes in request"),
            (b"SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request"),
        ];
        for (input, text) in cases {
            assert_eq!(parse_all(input).unwrap_err().to_string(), *text, "{:?}", String::from_utf8_lossy(input));
        }
        let big = vec![b'a'; INLINE_LEN_MAX + 1];
        assert_eq!(parse_all(&big).unwrap_err(), ProtocolError::InlineTooBig);
    }

    #[test]
    fn empty_requests_are_skipped() {
        assert_eq!(parse_all(b"*0\r\n*-1\r\n\r\n").unwrap(), vec![Vec::<Vec<u8>>::new(); 3]);
    }

    /// One request as the client writes it, and the arguments it must parse to.
    #[derive(Clone, Debug)]
    enum Request {
        /// `*<n>\r\n$<len>\r\n<bytes>\r\n...`: any bytes.
        Multibulk(Vec<Vec<u8>>),
        /// A line of plain words (no quotes or blanks, so the expected split is unambiguous).
        Inline(Vec<Vec<u8>>),
    }

    impl Request {
        fn write(&self, out: &mut Vec<u8>) {
            match self {
                Request::Multibulk(args) => {
                    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
                    for a in args {
                        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                        out.extend_from_slice(a);
                        out.extend_from_slice(b"\r\n");
                    }
                }
                Request::Inline(words) => {
                    out.extend_from_slice(&words.join(&b' '));
                    out.extend_from_slice(b"\r\n");
                }
            }
        }

        fn args(&self) -> &[Vec<u8>] {
            match self {
                Request::Multibulk(args) | Request::Inline(args) => args,
            }
        }
    }

    fn request() -> impl Strategy<Value = Request> {
        let word = vec(b'a'..=b'z', 1..12);
        prop_oneof![
            3 => vec(vec(any::<u8>(), 0..40), 1..6).prop_map(Request::Multibulk),
            1 => vec(word, 1..6).prop_map(Request::Inline),
        ]
    }

    /// A pipeline's bytes, the requests it holds, and up to five read boundaries in it.
    fn pipeline() -> impl Strategy<Value = (Vec<u8>, Vec<Vec<Vec<u8>>>, Vec<usize>)> {
        (vec(request(), 1..8), vec(any::<Index>(), 0..6)).prop_map(|(requests, cuts)| {
            let mut bytes = Vec::new();
            requests.iter().for_each(|r| r.write(&mut bytes));
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();
            (bytes, requests.iter().map(|r| r.args().to_vec()).collect(), cuts)
        })
    }

    /// Feeds `input` to a parser in the chunks `cuts` makes, as a client's reads arrive, the way
    /// the node does: the buffer grows, parsed requests are dropped from its front.
    fn parse_in_chunks(input: &[u8], cuts: &[usize]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = RequestParser::default();
        let (mut buf, mut out, mut fed) = (Vec::new(), Vec::new(), 0);
        for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
            buf.extend_from_slice(&input[fed..cut]);
            fed = cut;
            while let Some(used) = p.parse(&buf, MAX)? {
                out.push(p.args(&buf).into_iter().map(<[u8]>::to_vec).collect());
                p.reset();
                buf.drain(..used);
            }
        }
        Ok(out)
    }

    proptest! {
        // Few cases: `ci/test` runs this in a debug build. Failures shrink, and proptest saves
        // them under server/proptest-regressions/ to replay first: commit that file.
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_pipelines_parse_the_same_however_they_are_split((input, want, cuts) in pipeline()) {
            // Proves resumable parsing: a pipeline of binary multibulk and inline requests, cut
            // into random reads, gives the same requests as parsing it whole.
            prop_assert_eq!(parse_all(&input).unwrap(), want.clone());
            prop_assert_eq!(parse_in_chunks(&input, &cuts).unwrap(), want);
        }

        #[test]
        fn mutated_input_never_panics_and_splitting_never_changes_the_outcome(
            (mut input, _, cuts) in pipeline(),
            edits in vec((any::<Index>(), prop_oneof![
                Just(b'*'), Just(b'$'), Just(b'-'), Just(b'\r'), Just(b'\n'), Just(b'9'), Just(b'"'), any::<u8>()
            ]), 1..5),
        ) {
            // Proves the parser is total on garbage: a pipeline with bytes overwritten (biased to
            // the protocol's own characters) parses or fails with a protocol error, identically
            // whole and in random reads.
            for (at, byte) in edits {
                let i = at.index(input.len());
                input[i] = byte;
            }
            prop_assert_eq!(parse_in_chunks(&input, &cuts), parse_in_chunks(&input, &[]));
        }

        #[test]
        fn random_bytes_never_panic(input in vec(any::<u8>(), 0..300), cuts in vec(any::<Index>(), 0..6)) {
            // Proves arbitrary bytes (not only mutated requests) never panic the parser and parse
            // the same whole and in random reads.
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
            cuts.sort_unstable();
            prop_assert_eq!(parse_in_chunks(&input, &cuts), parse_in_chunks(&input, &[]));
        }
    }
}
