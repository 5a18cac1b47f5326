//! BITPOS key bit [start [end [BYTE|BIT]]]
//!
//! Redis's `bitposCommand`: the position of the first bit set to `bit` in a range. The bit
//! argument is checked before the key; a missing key is an endless run of zeros (0 for a clear
//! bit, -1 for a set one) and answers before the range is read. When no clear bit is found and no
//! end was given, the string counts as zero-padded on the right, so the answer is the first bit
//! after the range; with an explicit end it is -1, as is an empty range.

use super::bitcount::{bit_range, index, Unit};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// The index of the first byte of `bytes` other than `skip`, compared a word at a time.
fn first_other_than(bytes: &[u8], skip: u8) -> Option<usize> {
    let skip_word = u64::from_ne_bytes([skip; 8]);
    let words = bytes.chunks_exact(8);
    let word = words.take_while(|w| u64::from_ne_bytes((*w).try_into().expect("8 bytes")) == skip_word).count();
    bytes[word * 8..].iter().position(|&b| b != skip).map(|i| word * 8 + i)
}

/// The first bit equal to `bit` from bit `start` to bit `end` inclusive, both inside `bytes`.
fn first_bit(bytes: &[u8], start: u64, end: u64, bit: bool) -> Option<u64> {
    // Looking for a clear bit is looking for a set bit in the complement.
    let flip = if bit { 0x00 } else { 0xff };
    let (first, last) = ((start >> 3) as usize, (end >> 3) as usize);
    let found = |byte: usize, x: u8| (x != 0).then(|| ((byte as u64) << 3) + u64::from(x.leading_zeros()));
    let head = (bytes[first] ^ flip) & (0xff >> (start & 7));
    let tail_mask = 0xffu8 << (7 - (end & 7));
    if first == last {
        return found(first, head & tail_mask);
    }
    found(first, head)
        .or_else(|| {
            let middle = &bytes[first + 1..last];
            first_other_than(middle, flip).and_then(|i| found(first + 1 + i, middle[i] ^ flip))
        })
        .or_else(|| found(last, (bytes[last] ^ flip) & tail_mask))
}

/// BITPOS: the first bit set to 0 or 1, or -1.
pub fn bitpos(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let bit = match parse_i64(argv[2]).ok_or(CmdError::NotInteger)? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::msg("ERR The bit argument must be 1 or 0.")),
    };
    let Some(value) = ctx.read_str(argv[1])? else { return Ok(Reply::Int(if bit { -1 } else { 0 })) };
    let pos = value.with_bytes(|bytes| -> Result<i64, CmdError> {
        let (start, end, unit) = match argv.len() {
            3 => (0, -1, Unit::Byte),
            4..=6 => {
                let start = index(argv[3])?;
                let unit = argv.get(5).map_or(Ok(Unit::Byte), |arg| Unit::parse(arg))?;
                (start, argv.get(4).map_or(Ok(-1), |arg| index(arg))?, unit)
            }
            _ => return Err(CmdError::Syntax),
        };
        let Some((start, end)) = bit_range(bytes.len(), start, end, unit) else { return Ok(-1) };
        Ok(match first_bit(bytes, start, end, bit) {
            Some(pos) => pos as i64,
            None if !bit && argv.len() <= 4 => end as i64 + 1,
            None => -1,
        })
    })?;
    Ok(Reply::Int(pos))
}

#[cfg(test)]
mod tests {
    use super::first_other_than;
    use crate::cmd::testing::TestDb;

    #[test]
    fn bitpos_finds_bits_like_redis() {
        // Proves set and clear searches in byte and bit ranges, the zero padding without an end,
        // -1 with an explicit end or an empty range, and missing and empty keys (replies taken
        // from Redis 7.0.15).
        TestDb::new().check(&[
            ("BITPOS nokey 0", ":0"),
            ("BITPOS nokey 1", ":-1"),
            ("BITPOS nokey 1 abc", ":-1"),
            ("BITPOS nokey 0 0 -1 bit", ":0"),
            ("SET e \"\"", "+OK"),
            ("BITPOS e 0", ":-1"),
            ("BITPOS e 1", ":-1"),
            ("BITPOS e 0 0 -1 bit", ":-1"),
            ("BITFIELD ff SET u16 0 65535", "[:0]"),
            ("BITPOS ff 0", ":16"),
            ("BITPOS ff 0 1", ":16"),
            ("BITPOS ff 0 0 -1", ":-1"),
            ("BITPOS ff 0 5", ":-1"),
            ("BITPOS ff 0 -1", ":16"),
            ("BITPOS ff 0 0 15 bit", ":-1"),
            ("BITPOS ff 0 3 100 bit", ":-1"),
            ("BITPOS ff 1 3 3 bit", ":3"),
            ("BITPOS ff 1 -100 -200", ":0"),
            ("BITPOS ff 1 1 0", ":-1"),
            ("BITFIELD z SET i64 0 0 SET i64 64 1", "[:0, :0]"),
            ("BITPOS z 1", ":127"),
            ("BITPOS z 0", ":0"),
            ("BITPOS z 1 0 7", ":-1"),
            ("BITPOS z 1 0 -1 BIT", ":127"),
            ("BITPOS z 1 8 15", ":127"),
            ("BITPOS z 1 8 126 bit", ":-1"),
            ("BITPOS z 0 127 127 bit", ":-1"),
            ("BITPOS z 1 127 127 bit", ":127"),
            ("BITPOS z 0 8", ":64"),
            ("BITPOS z 0 8 -1", ":64"),
            ("BITFIELD m SET u32 0 4027514880", "[:0]"),
            ("BITPOS m 1", ":0"),
            ("BITPOS m 0", ":4"),
            ("BITPOS m 1 4 5 bit", ":-1"),
            ("BITPOS m 1 5 14 bit", ":12"),
            ("BITPOS m 0 2 29 bit", ":4"),
            ("BITPOS m 0 2 3 bit", ":-1"),
            ("BITPOS m 0 2 2 bit", ":-1"),
            ("BITPOS m 0 9 14 bit", ":9"),
            ("BITPOS m 1 9 12 bit", ":12"),
            ("BITPOS m 1 2 -1 BYTE", ":-1"),
            ("BITPOS m 0 -2", ":16"),
            ("BITPOS m 0 -2 -1 byte", ":16"),
            ("BITPOS m 1 -9223372036854775808 9223372036854775807 bit", ":0"),
            ("SET n 12", "+OK"),
            ("BITPOS n 0", ":0"),
            ("BITPOS n 1 1", ":10"),
            ("BITPOS n 1 2", ":-1"),
            ("BITPOS n 0 2", ":-1"),
        ]);
    }

    #[test]
    fn bitpos_errors_in_redis_order() {
        // Proves the bit argument is checked before the key, a missing key answers before the
        // range is read, then the range's integer and syntax errors in Redis's order.
        TestDb::new().check(&[
            ("BITPOS nokey 2", "-ERR The bit argument must be 1 or 0."),
            ("BITPOS nokey a", "-ERR value is not an integer or out of range"),
            ("BITPOS nokey 1 a b c d", ":-1"),
            ("SET s foobar", "+OK"),
            ("BITPOS s 2", "-ERR The bit argument must be 1 or 0."),
            ("BITPOS s -1", "-ERR The bit argument must be 1 or 0."),
            ("BITPOS s 1 a", "-ERR value is not an integer or out of range"),
            ("BITPOS s 1 a 0 foo", "-ERR value is not an integer or out of range"),
            ("BITPOS s 1 0 a foo", "-ERR syntax error"),
            ("BITPOS s 1 0 a", "-ERR value is not an integer or out of range"),
            ("BITPOS s 1 0 0 foo", "-ERR syntax error"),
            ("BITPOS s 1 0 0 bit x", "-ERR syntax error"),
            ("BITPOS s 1 0 -1 BIT", ":1"),
            ("LPUSH l a", ":1"),
            ("BITPOS l 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITPOS l 2", "-ERR The bit argument must be 1 or 0."),
            ("BITPOS l 0 a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITPOS s", "-ERR wrong number of arguments for 'bitpos' command"),
        ]);
    }

    #[test]
    fn first_other_than_skips_words() {
        // Proves the word-at-a-time scan finds the first differing byte at every position.
        for len in 0..20 {
            for at in 0..len {
                let mut bytes = vec![0xffu8; len];
                bytes[at] = 0xfe;
                assert_eq!(first_other_than(&bytes, 0xff), Some(at), "len {len} at {at}");
            }
            assert_eq!(first_other_than(&vec![0u8; len], 0), None, "len {len}");
        }
    }
}
