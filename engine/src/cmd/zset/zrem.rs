//! ZREM key member [member ...]
//! ZREMRANGEBYRANK key start stop
//! ZREMRANGEBYSCORE key min max
//! ZREMRANGEBYLEX key min max
//!
//! Redis's `zremCommand` and `zremrangeGenericCommand`: arguments are parsed before the key is
//! looked up; a set left empty is deleted; each removed member counts as one change.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::zset::ZsetValue;

use super::{parse_lex_range, parse_score_range};

/// ZREM: removes members, replying how many were present.
pub fn zrem(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let Some(zset) = ctx.write_zset(argv[1])? else { return Ok(Reply::Int(0)) };
    let mut removed = 0;
    for member in &argv[2..] {
        if zset.remove(member).is_some() {
            removed += 1;
            if zset.is_empty() {
                break;
            }
        }
    }
    finish(ctx, argv[1], removed, "zrem")
}

/// ZREMRANGEBYRANK: removes members by rank (negative counts from the end).
pub fn zremrangebyrank(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let start = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    let end = parse_i64(argv[3]).ok_or(CmdError::NotInteger)?;
    remove_ranks(ctx, argv[1], "zremrangebyrank", |zset| clamp_ranks(start, end, zset.len()))
}

/// ZREMRANGEBYSCORE: removes members whose score is in the range.
pub fn zremrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let range = parse_score_range(argv[2], argv[3])?;
    remove_ranks(ctx, argv[1], "zremrangebyscore", |zset| {
        let first = zset.first_in_score(&range)?;
        Some((first, first + zset.count_from(first, |_, s| range.lte_max(s)) - 1))
    })
}

/// ZREMRANGEBYLEX: removes members in the lexicographic range.
pub fn zremrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let range = parse_lex_range(argv[2], argv[3])?;
    remove_ranks(ctx, argv[1], "zremrangebylex", |zset| {
        let first = zset.first_in_lex(&range)?;
        Some((first, first + zset.count_from(first, |m, _| range.lte_max(m)) - 1))
    })
}

/// Redis's rank sanitising for rank ranges: negative ranks count from the end, the result is
/// the inclusive `(start, end)` or `None` when empty.
pub(crate) fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

fn remove_ranks(
    ctx: &mut Ctx,
    key: &[u8],
    event: &'static str,
    ranks: impl FnOnce(&ZsetValue) -> Option<(usize, usize)>,
) -> Result<Reply, CmdError> {
    let Some(zset) = ctx.write_zset(key)? else { return Ok(Reply::Int(0)) };
    let Some((start, end)) = ranks(zset) else { return Ok(Reply::Int(0)) };
    zset.remove_rank_range(start, end);
    finish(ctx, key, end - start + 1, event)
}

fn finish(ctx: &mut Ctx, key: &[u8], removed: usize, event: &'static str) -> Result<Reply, CmdError> {
    if removed > 0 {
        ctx.notify(NotifyClass::ZSET, event, key);
        ctx.delete_if_empty(key);
    }
    ctx.dirty += removed as u64;
    Ok(Reply::Int(removed as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn zrem_removes_and_deletes_empty_sets() {
        // Proves ZREM's count, duplicate members counted once, and deletion of an emptied key.
        TestDb::new().check(&[
            ("ZREM z a", ":0"),
            ("ZADD z 1 a 2 b", ":2"),
            ("ZREM z a a x", ":1"),
            ("ZREM z b", ":1"),
            ("EXISTS z", ":0"),
            ("SET s v", "+OK"),
            ("ZREM s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }

    #[test]
    fn zremrange_by_rank_score_lex() {
        // Proves the three range removals, their clamping, and their parse errors.
        TestDb::new().check(&[
            ("ZADD z 1 a 2 b 3 c 4 d 5 e", ":5"),
            ("ZREMRANGEBYRANK z 10 20", ":0"),
            ("ZREMRANGEBYRANK z -2 -1", ":2"),
            ("ZRANGE z 0 -1", "[\"a\", \"b\", \"c\"]"),
            ("ZREMRANGEBYSCORE z (1 2", ":1"),
            ("ZREMRANGEBYSCORE z 5 1", ":0"),
            ("ZREMRANGEBYRANK z -100 0", ":1"),
            ("ZREMRANGEBYRANK z 0 x", "-ERR value is not an integer or out of range"),
            ("ZREMRANGEBYSCORE z a 1", "-ERR min or max is not a float"),
            ("ZADD l 0 a 0 b 0 c", ":3"),
            ("ZREMRANGEBYLEX l (a [b", ":1"),
            ("ZREMRANGEBYLEX l - +", ":2"),
            ("EXISTS l", ":0"),
            ("ZREMRANGEBYLEX l x +", "-ERR min or max not valid string range item"),
        ]);
    }
}
