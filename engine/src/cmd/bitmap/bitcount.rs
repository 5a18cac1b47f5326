//! BITCOUNT key [start end [BYTE|BIT]]
//!
//! Redis's `bitcountCommand`, and the range rules it shares with BITPOS. In 7.0 the key is looked
//! up before the arguments are read, so a missing key answers 0 whatever follows it; two negative
//! indexes with start > end answer 0 before the unit word is checked.

use crate::cmd::ctx::Ctx;
use crate::cmd::string::c_option;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// What a BITCOUNT/BITPOS range counts in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Unit {
    Byte,
    Bit,
}

impl Unit {
    /// The BYTE|BIT word, compared as Redis's `strcasecmp` does (up to a NUL).
    pub(super) fn parse(arg: &[u8]) -> Result<Unit, CmdError> {
        match c_option(arg).to_ascii_lowercase().as_slice() {
            b"byte" => Ok(Unit::Byte),
            b"bit" => Ok(Unit::Bit),
            _ => Err(CmdError::Syntax),
        }
    }
}

/// An index argument (`getLongLongFromObjectOrReply`).
pub(super) fn index(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// The inclusive bit range `start..=end`, given in `unit`s over a string of `len` bytes, after
/// Redis's rules: negative indexes count from the end, then both are clamped into the string.
/// `None` when the range is empty.
pub(super) fn bit_range(len: usize, start: i64, end: i64, unit: Unit) -> Option<(u64, u64)> {
    let total = match unit {
        Unit::Byte => len as i64,
        Unit::Bit => (len as i64) << 3,
    };
    let start = if start < 0 { start + total } else { start }.max(0);
    let end = if end < 0 { end + total } else { end }.max(0).min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(match unit {
        Unit::Byte => (start << 3, (end << 3) | 7),
        Unit::Bit => (start, end),
    })
}

/// The number of set bits in `bytes`, a word at a time.
fn count_ones(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words.remainder().iter().map(|b| u64::from(b.count_ones())).sum();
    words.map(|w| u64::from(u64::from_ne_bytes(w.try_into().expect("8 bytes")).count_ones())).sum::<u64>() + tail
}

/// The number of set bits from bit `start` to bit `end` inclusive, both inside `bytes`.
fn count_range(bytes: &[u8], start: u64, end: u64) -> u64 {
    let (first, last) = ((start >> 3) as usize, (end >> 3) as usize);
    let before = u64::from((u32::from(bytes[first]) >> (8 - (start & 7))).count_ones());
    let after = u64::from((bytes[last] & (0x7f >> (end & 7))).count_ones());
    count_ones(&bytes[first..=last]) - before - after
}

/// BITCOUNT: the number of set bits in the string, or in a range of it.
pub fn bitcount(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let Some(value) = ctx.read_str(argv[1])? else { return Ok(Reply::Int(0)) };
    let count = value.with_bytes(|bytes| -> Result<u64, CmdError> {
        let (start, end, unit) = match argv.len() {
            2 => (0, -1, Unit::Byte),
            4 | 5 => {
                let (start, end) = (index(argv[2])?, index(argv[3])?);
                if start < 0 && end < 0 && start > end {
                    return Ok(0);
                }
                (start, end, argv.get(4).map_or(Ok(Unit::Byte), |arg| Unit::parse(arg))?)
            }
            _ => return Err(CmdError::Syntax),
        };
        Ok(bit_range(bytes.len(), start, end, unit).map_or(0, |(start, end)| count_range(bytes, start, end)))
    })?;
    Ok(Reply::Int(count as i64))
}

#[cfg(test)]
mod tests {
    use super::count_ones;
    use crate::cmd::testing::TestDb;

    #[test]
    fn bitcount_ranges_like_redis() {
        // Proves whole-string, byte and bit ranges, negative and clamped indexes, empty ranges,
        // and the int encoding read as digits (replies taken from Redis 7.0.15).
        TestDb::new().check(&[
            ("SET s foobar", "+OK"),
            ("BITCOUNT s", ":26"),
            ("BITCOUNT s 0 0", ":4"),
            ("BITCOUNT s 1 1", ":6"),
            ("BITCOUNT s 1 1 BYTE", ":6"),
            ("BITCOUNT s 1 1 bit", ":1"),
            ("BITCOUNT s 5 30 BIT", ":17"),
            ("BITCOUNT s -100 -1 bit", ":26"),
            ("BITCOUNT s -2 -1", ":7"),
            ("BITCOUNT s -1 -5 foo", ":0"),
            ("BITCOUNT s 3 2", ":0"),
            ("BITCOUNT s 100 200", ":0"),
            ("BITCOUNT s -9223372036854775808 9223372036854775807", ":26"),
            ("BITCOUNT s 47 47 bit", ":0"),
            ("BITCOUNT s 46 47 bit", ":1"),
            ("BITCOUNT s 7 8 bit", ":0"),
            ("BITCOUNT s 6 9 bit", ":2"),
            ("SET n 12", "+OK"),
            ("BITCOUNT n", ":6"),
            ("SET e \"\"", "+OK"),
            ("BITCOUNT e", ":0"),
            ("BITCOUNT e 0 -1 bit", ":0"),
            ("BITCOUNT nokey", ":0"),
        ]);
    }

    #[test]
    fn bitcount_errors_after_the_lookup() {
        // Proves a missing key answers 0 before any argument check (7.0 behaviour), then the
        // integer, syntax and type errors.
        TestDb::new().check(&[
            ("BITCOUNT nokey a b", ":0"),
            ("BITCOUNT nokey 0", ":0"),
            ("SET s foobar", "+OK"),
            ("BITCOUNT s 0", "-ERR syntax error"),
            ("BITCOUNT s a b", "-ERR value is not an integer or out of range"),
            ("BITCOUNT s 0 b", "-ERR value is not an integer or out of range"),
            ("BITCOUNT s 0 -1 foo", "-ERR syntax error"),
            ("BITCOUNT s 0 -1 bit x", "-ERR syntax error"),
            ("BITCOUNT s 0 -1 bit\0x", ":26"),
            ("LPUSH l a", ":1"),
            ("BITCOUNT l a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITCOUNT", "-ERR wrong number of arguments for 'bitcount' command"),
        ]);
    }

    #[test]
    fn count_ones_matches_a_bit_loop() {
        // Proves the word-at-a-time popcount on lengths around the word size.
        let bytes: Vec<u8> = (0..40u32).map(|i| (i.wrapping_mul(37) ^ 0x5a) as u8).collect();
        for len in 0..bytes.len() {
            let slow: u32 = bytes[..len].iter().map(|b| (0..8).filter(|i| b >> i & 1 == 1).count() as u32).sum();
            assert_eq!(count_ones(&bytes[..len]), u64::from(slow), "len {len}");
        }
    }
}
