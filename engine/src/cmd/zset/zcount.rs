//! ZCOUNT key min max
//! ZLEXCOUNT key min max
//!
//! The range is parsed (and its error given) before the key is looked up, as in Redis.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

use super::{parse_lex_range, parse_score_range};

/// ZCOUNT: how many members have a score in the range.
pub fn zcount(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let range = parse_score_range(argv[2], argv[3])?;
    let Some(zset) = ctx.read_zset(argv[1])? else { return Ok(Reply::Int(0)) };
    Ok(Reply::Int(zset.count_in_score(&range) as i64))
}

/// ZLEXCOUNT: how many members are in the lexicographic range.
pub fn zlexcount(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let range = parse_lex_range(argv[2], argv[3])?;
    let Some(zset) = ctx.read_zset(argv[1])? else { return Ok(Reply::Int(0)) };
    Ok(Reply::Int(zset.count_in_lex(&range) as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn counts_and_errors() {
        // Proves ZCOUNT/ZLEXCOUNT over inclusive, exclusive and infinite bounds, and their errors.
        TestDb::new().check(&[
            ("ZCOUNT z 0 1", ":0"),
            ("ZADD z 1 a 2 b 3 c 4 d", ":4"),
            ("ZCOUNT z -inf +inf", ":4"),
            ("ZCOUNT z (1 3", ":2"),
            ("ZCOUNT z (1 (3", ":1"),
            ("ZCOUNT z 3 1", ":0"),
            ("ZCOUNT z (2 (2", ":0"),
            ("ZCOUNT z x 1", "-ERR min or max is not a float"),
            ("ZCOUNT nokey nan 1", "-ERR min or max is not a float"),
            ("ZADD l 0 a 0 b 0 c 0 d", ":4"),
            ("ZLEXCOUNT l - +", ":4"),
            ("ZLEXCOUNT l [b (d", ":2"),
            ("ZLEXCOUNT l + -", ":0"),
            ("ZLEXCOUNT l a +", "-ERR min or max not valid string range item"),
            ("SET s v", "+OK"),
            ("ZCOUNT s 0 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZLEXCOUNT s - +", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }
}
