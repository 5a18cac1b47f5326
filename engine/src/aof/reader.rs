//! Reading an AOF command stream (`*<n>\r\n$<len>\r\n<bytes>\r\n...`) as Redis 7.0's
//! `loadSingleAppendOnlyFile` does: command by command, skipping `#` annotation lines
//! (`aof-timestamp-enabled` writes `#TS:<unix time>\r\n`), and telling a stream that merely ends
//! inside its last command (a crash mid-write; `aof-load-truncated yes` cuts it off there) from
//! bytes that are not commands at all (refused).
//!
//! Deliberate differences from Redis, which parses numbers with `atoi`/`strtol` and never
//! looks at the two bytes after an argument: here a count or length line must be digits and
//! `\r\n`, and an argument must be followed by `\r\n` (as `redis-check-aof` requires), so a
//! corrupt file is refused rather than read as something else. Lengths are only compared with the
//! bytes that are there, never allocated up front, so a huge length cannot exhaust memory.

/// Redis's log text for bytes that are not a command.
const BAD_FORMAT: &str = "Bad file format reading the append only file";
/// Redis's log text for a stream that ends inside a command.
const UNEXPECTED_EOF: &str = "Unexpected end of file reading the append only file";
/// Largest argument count accepted (Redis keeps it in a C `int`).
const ARGC_MAX: u64 = i32::MAX as u64;
/// Smallest encoding of one argument (`$0\r\n\r\n`): bounds the up-front capacity of a command.
const ARG_BYTES_MIN: usize = 6;

/// A command stream that cannot be read: where, and whether it merely ends early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at offset {offset}")]
pub struct AofError {
    /// Where the readable prefix ends: just past the last command read (annotations after it
    /// included in the unreadable part). A truncated stream is cut here.
    pub offset: u64,
    /// True when the stream ends inside a command (a truncated tail `aof-load-truncated`
    /// forgives); false for bytes that are not a command at all.
    pub truncated: bool,
    /// What was wrong.
    pub what: String,
}

/// Reads an AOF command stream (`*<n>\r\n$<len>\r\n...`) command by command.
pub struct CommandReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

/// Why one command could not be read, before it is placed at an offset.
enum Fault {
    /// The stream ends inside the command.
    Eof,
    /// Bytes that are not a command: what was expected, at which byte.
    Bad(String, usize),
}

impl<'a> CommandReader<'a> {
    /// A reader over `bytes` (a whole incr file, or what follows an RDB preamble).
    pub fn new(bytes: &'a [u8]) -> CommandReader<'a> {
        CommandReader { bytes, pos: 0, failed: false }
    }

    /// Offset just past the last command returned.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next command's arguments, `None` at the end of the stream. After an error the
    /// reader stops: every later call returns `None`.
    pub fn next_command(&mut self) -> Option<Result<Vec<&'a [u8]>, AofError>> {
        if self.failed {
            return None;
        }
        let mut at = self.pos;
        // Skip annotation lines; one cut short by the end of the stream ends it, as Redis's
        // fgets-and-skip does.
        while self.bytes.get(at) == Some(&b'#') {
            match self.bytes[at..].iter().position(|&c| c == b'\n') {
                Some(newline) => at += newline + 1,
                None => return None,
            }
        }
        if at == self.bytes.len() {
            return None;
        }
        match self.parse_command(at) {
            Ok((argv, end)) => {
                self.pos = end;
                Some(Ok(argv))
            }
            Err(fault) => {
                self.failed = true;
                let (truncated, what) = match fault {
                    Fault::Eof => (true, UNEXPECTED_EOF.to_string()),
                    Fault::Bad(detail, byte) => (false, format!("{BAD_FORMAT}: {detail} at byte {byte}")),
                };
                Some(Err(AofError { offset: self.pos as u64, truncated, what }))
            }
        }
    }

    /// Parses the command starting at `at`: its arguments and the offset just past it.
    fn parse_command(&self, at: usize) -> Result<(Vec<&'a [u8]>, usize), Fault> {
        let (argc, mut at) = self.parse_number_line(at, b'*')?;
        if argc == 0 || argc > ARGC_MAX {
            return Err(Fault::Bad(format!("invalid argument count {argc}"), at));
        }
        let remaining = self.bytes.len() - at;
        let mut argv = Vec::with_capacity((argc as usize).min(remaining / ARG_BYTES_MIN));
        for _ in 0..argc {
            if at == self.bytes.len() {
                return Err(Fault::Eof);
            }
            let (len, payload_at) = self.parse_number_line(at, b'$')?;
            let available = (self.bytes.len() - payload_at) as u64;
            if len.saturating_add(2) > available {
                return Err(Fault::Eof);
            }
            let end = payload_at + len as usize;
            if &self.bytes[end..end + 2] != b"\r\n" {
                return Err(Fault::Bad("expected \\r\\n after an argument".to_string(), end));
            }
            argv.push(&self.bytes[payload_at..end]);
            at = end + 2;
        }
        Ok((argv, at))
    }

    /// Parses `<prefix><digits>\r\n` at `at`: the number and the offset after the line.
    fn parse_number_line(&self, at: usize, prefix: u8) -> Result<(u64, usize), Fault> {
        let rest = &self.bytes[at..];
        if rest[0] != prefix {
            return Err(Fault::Bad(format!("expected '{}', got {}", prefix as char, show_byte(rest[0])), at));
        }
        let digits_len = rest[1..].iter().position(|c| !c.is_ascii_digit()).unwrap_or(rest.len() - 1);
        let after_digits = 1 + digits_len;
        match &rest[after_digits..] {
            // The line is cut short by the end of the stream (`*`, `*12`, `$3\r`).
            [] | [b'\r'] => return Err(Fault::Eof),
            [b'\r', b'\n', ..] if digits_len > 0 => {}
            _ => return Err(Fault::Bad(format!("expected a number after '{}'", prefix as char), at)),
        }
        let number = rest[1..after_digits]
            .iter()
            .try_fold(0u64, |n, &c| n.checked_mul(10)?.checked_add(u64::from(c - b'0')))
            .ok_or_else(|| Fault::Bad("number too large".to_string(), at))?;
        Ok((number, at + after_digits + 2))
    }
}

/// A byte for an error message: printable ASCII as a character, anything else in hex.
fn show_byte(c: u8) -> String {
    if c.is_ascii_graphic() {
        format!("'{}'", c as char)
    } else {
        format!("0x{c:02x}")
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;
    use crate::aof::{write_command, write_timestamp};

    /// Every command of `bytes`, or the error that stopped the reader and the offset then.
    fn read_all(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<AofError>) {
        let mut reader = CommandReader::new(bytes);
        let mut commands = Vec::new();
        while let Some(next) = reader.next_command() {
            match next {
                Ok(argv) => commands.push(argv.iter().map(|a| a.to_vec()).collect()),
                Err(e) => {
                    assert_eq!(e.offset, reader.offset() as u64);
                    assert!(reader.next_command().is_none(), "the reader stops after an error");
                    return (commands, Some(e));
                }
            }
        }
        (commands, None)
    }

    fn argv(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    const TWO: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\nb\n\r\n";

    #[test]
    fn reads_commands_with_binary_payloads_and_annotations() {
        // Proves arguments are taken by length (CR and LF inside them are data) and `#TS:`
        // annotation lines are skipped, including one cut off at the end of the stream.
        let mut bytes = b"#TS:1700000000\r\n".to_vec();
        bytes.extend_from_slice(TWO);
        bytes.extend_from_slice(b"#TS:1700000001\r\n*1\r\n$0\r\n\r\n#TS:17");
        let (commands, error) = read_all(&bytes);
        assert_eq!(error, None);
        assert_eq!(commands, vec![argv(&["SELECT", "0"]), argv(&["SET", "k", "a\r\nb\n"]), argv(&[""])]);
        assert_eq!(read_all(b""), (vec![], None));
    }

    #[test]
    fn every_cut_of_a_valid_stream_is_a_truncated_tail() {
        // Proves that wherever a crash cuts the last command, the reader reports a truncated
        // tail at the end of the last whole command, never garbage.
        for cut in 0..TWO.len() {
            let (commands, error) = read_all(&TWO[..cut]);
            let whole = if cut >= 23 { 1 } else { 0 };
            assert_eq!(commands.len(), whole, "cut {cut}");
            match error {
                None => assert!(cut == 0 || cut == 23, "cut {cut}"),
                Some(e) => {
                    assert!(e.truncated, "cut {cut}: {e}");
                    assert_eq!(e.offset, if whole == 1 { 23 } else { 0 }, "cut {cut}");
                    assert_eq!(e.what, "Unexpected end of file reading the append only file");
                }
            }
        }
        assert_eq!(read_all(TWO).0.len(), 2);
    }

    #[test]
    fn garbage_is_refused_at_the_last_good_command() {
        // Proves bytes that are not a command are reported as such (not as truncation), at the
        // offset just past the last good command, with what was expected.
        let cases: &[(&[u8], &str)] = &[
            (b"x", "expected '*', got 'x' at byte 23"),
            (b"\r\n", "expected '*', got 0x0d at byte 23"),
            (b"*0\r\n", "invalid argument count 0 at byte 27"),
            (b"*-1\r\n", "expected a number after '*' at byte 23"),
            (b"*1x\r\n", "expected a number after '*' at byte 23"),
            (b"*\r\n", "expected a number after '*' at byte 23"),
            (b"*99999999999\r\n", "invalid argument count 99999999999 at byte 37"),
            (b"*1\r\n:1\r\n", "expected '$', got ':' at byte 27"),
            (b"*1\r\n$1\r\nab\r\n", "expected \\r\\n after an argument at byte 32"),
            (b"*1\r\n$99999999999999999999\r\n", "number too large at byte 27"),
            (b"*1\r\nzz", "expected '$', got 'z' at byte 27"),
        ];
        for (tail, detail) in cases {
            let mut bytes = TWO[..23].to_vec();
            bytes.extend_from_slice(tail);
            let (commands, error) = read_all(&bytes);
            assert_eq!(commands.len(), 1);
            let error = error.unwrap();
            assert!(!error.truncated, "{tail:?}");
            assert_eq!(error.offset, 23);
            assert_eq!(error.what, format!("Bad file format reading the append only file: {detail}"));
        }
    }

    #[test]
    fn huge_lengths_are_truncation_without_allocation() {
        // Proves a length far beyond the stream (a torn write, or a lying header) is a
        // truncated tail and allocates nothing for it.
        let (commands, error) = read_all(b"*2147483647\r\n$4000000000\r\nab");
        assert!(commands.is_empty());
        assert_eq!(error.map(|e| (e.truncated, e.offset)), Some((true, 0)));
    }

    #[test]
    fn mutated_streams_never_panic_and_always_progress() {
        // Proves, on thousands of seeded mutations of a valid stream (bytes replaced, cut,
        // spliced), that the reader ends in a bounded number of steps, moves forward on every
        // command, never reads past the input, and reports errors inside it.
        let mut rng = crate::rng::Rng::new(5);
        let alphabet = b"*$#\r\n0123456789-xSET";
        for _ in 0..5000 {
            let bytes = rng.mutate(TWO, alphabet, 4);
            let mut reader = CommandReader::new(&bytes);
            for _ in 0..=bytes.len() {
                let before = reader.offset();
                match reader.next_command() {
                    None => break,
                    Some(Ok(_)) => assert!(reader.offset() > before && reader.offset() <= bytes.len()),
                    Some(Err(e)) => assert!(e.offset as usize <= bytes.len()),
                }
            }
            assert!(reader.next_command().is_none(), "{bytes:?}");
        }
    }

    /// Commands as the AOF writer writes them (binary arguments, some preceded by a timestamp
    /// annotation), the stream's bytes, and the offset just past each command.
    fn written_commands() -> impl Strategy<Value = (Vec<Vec<Vec<u8>>>, Vec<u8>, Vec<usize>)> {
        vec((vec(vec(any::<u8>(), 0..40), 1..6), proptest::option::of(0i64..2_000_000_000)), 0..16).prop_map(
            |commands| {
                let (mut bytes, mut ends) = (Vec::new(), Vec::new());
                for (argv, timestamp) in &commands {
                    if let Some(secs) = timestamp {
                        write_timestamp(&mut bytes, *secs);
                    }
                    write_command(&mut bytes, &argv.iter().map(Vec::as_slice).collect::<Vec<_>>());
                    ends.push(bytes.len());
                }
                (commands.into_iter().map(|(argv, _)| argv).collect(), bytes, ends)
            },
        )
    }

    proptest! {
        // Few cases: `ci/test` runs this in a debug build. Failures shrink, and proptest saves
        // them under engine/proptest-regressions/ to replay first: commit that file.
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn written_commands_read_back_and_any_cut_reads_a_prefix(
            (commands, bytes, ends) in written_commands(),
            cut in any::<Index>(),
        ) {
            // Proves commands written to an AOF read back as themselves, and that a stream cut
            // anywhere reads exactly the commands that end before the cut, then reports a
            // truncated tail at the end of the last one (or ends cleanly between commands).
            prop_assert_eq!(read_all(&bytes), (commands.clone(), None));
            let cut = cut.index(bytes.len() + 1);
            let whole = ends.iter().filter(|&&end| end <= cut).count();
            let (read, error) = read_all(&bytes[..cut]);
            prop_assert_eq!(&read[..], &commands[..whole]);
            let last_end = if whole == 0 { 0 } else { ends[whole - 1] };
            match error {
                None => prop_assert!(
                    cut == last_end || bytes[last_end..cut].starts_with(b"#"),
                    "a cut inside a command read cleanly"
                ),
                Some(e) => prop_assert!(e.truncated && e.offset == last_end as u64, "{:?}", e),
            }
        }
    }
}
