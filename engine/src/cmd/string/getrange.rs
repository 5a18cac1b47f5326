//! GETRANGE key start end
//! SUBSTR key start end
//!
//! Redis's `getrangeCommand` index rules: negative indexes count from the end, both negative
//! with start > end is empty, then both are clamped into the string. A missing key reads as "".

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// The bytes of `s` from `start` to `end` inclusive, clamped as Redis does.
fn range(s: &[u8], mut start: i64, mut end: i64) -> &[u8] {
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if start > end || len == 0 {
        return &[];
    }
    &s[start as usize..=end as usize]
}

/// GETRANGE (and its old name SUBSTR): a substring of the string at `key`.
pub fn getrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let start = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    let end = parse_i64(argv[3]).ok_or(CmdError::NotInteger)?;
    Ok(match ctx.read_str(argv[1])? {
        None => Reply::Bulk(Vec::new()),
        Some(s) => Reply::Bulk(s.with_bytes(|b| range(b, start, end).to_vec())),
    })
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn getrange_clamps_like_redis() {
        // Proves Redis 7.0's index handling on a string, an int-encoded value and an empty string.
        TestDb::new().check(&[
            ("SET k hello", "+OK"),
            ("GETRANGE k 0 -1", "\"hello\""),
            ("GETRANGE k 1 100", "\"ello\""),
            ("GETRANGE k -3 -1", "\"llo\""),
            ("GETRANGE k -100 -200", "\"\""),
            ("GETRANGE k -1 -5", "\"\""),
            ("GETRANGE k -100 1", "\"he\""),
            ("GETRANGE k 2 1", "\"\""),
            ("GETRANGE k 5 5", "\"\""),
            ("GETRANGE k -9223372036854775808 9223372036854775807", "\"hello\""),
            ("GETRANGE k 9223372036854775807 -9223372036854775808", "\"\""),
            ("SUBSTR k 0 2", "\"hel\""),
            ("SET n 12345", "+OK"),
            ("GETRANGE n 1 2", "\"23\""),
            ("GETRANGE n -2 -1", "\"45\""),
            ("SET e \"\"", "+OK"),
            ("GETRANGE e 0 -1", "\"\""),
            ("GETRANGE e -1 0", "\"\""),
            ("GETRANGE nokey 0 -1", "\"\""),
        ]);
    }

    #[test]
    fn getrange_errors() {
        // Proves the integer checks come before the key lookup, and the arity errors.
        TestDb::new().check(&[
            ("GETRANGE nokey a 1", "-ERR value is not an integer or out of range"),
            ("GETRANGE nokey 1 a", "-ERR value is not an integer or out of range"),
            ("SUBSTR nokey 1 1.5", "-ERR value is not an integer or out of range"),
            ("GETRANGE k 1", "-ERR wrong number of arguments for 'getrange' command"),
            ("SUBSTR k 1", "-ERR wrong number of arguments for 'substr' command"),
        ]);
    }
}
