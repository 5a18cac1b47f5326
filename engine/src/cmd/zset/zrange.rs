//! ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
//! ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
//! ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
//! ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
//! ZRANGEBYLEX key min max [LIMIT offset count]
//! ZREVRANGEBYLEX key max min [LIMIT offset count]
//! ZREVRANGE key start stop [WITHSCORES]
//!
//! All are Redis's `zrangeGenericCommand` with some choices fixed in advance: the legacy forms
//! reject the tokens for choices they fix (ZRANGEBYSCORE ... REV is a syntax error), options
//! are checked for conflicts before the range is parsed, and the range before the key is looked
//! up. Kept Redis quirk: a negative LIMIT offset skips to the end (an empty reply), a negative
//! count means no limit.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::zset::{LexRange, ScoreRange, ZsetValue};

use super::zrem::clamp_ranks;
use super::{is_opt, parse_lex_range, parse_score_range, scored_reply, store_result};

/// What the range selects by; `None` while ZRANGE may still choose.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// A parsed range.
enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// ZRANGE: members by rank, score or lex range.
pub fn zrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 1, None, None, None)
}

/// ZRANGESTORE: stores the selected members at `dst` and replies their number.
pub fn zrangestore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 2, Some(argv[1]), None, None)
}

/// ZRANGEBYSCORE: members with a score in `[min, max]`, ascending.
pub fn zrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 1, None, Some(By::Score), Some(false))
}

/// ZREVRANGEBYSCORE: members with a score in `[min, max]` (given max first), descending.
pub fn zrevrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 1, None, Some(By::Score), Some(true))
}

/// ZRANGEBYLEX: members in a lexicographic range, ascending.
pub fn zrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 1, None, Some(By::Lex), Some(false))
}

/// ZREVRANGEBYLEX: members in a lexicographic range (given max first), descending.
pub fn zrevrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 1, None, Some(By::Lex), Some(true))
}

/// ZREVRANGE: members by rank, descending.
pub fn zrevrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zrange_generic(ctx, argv, 1, None, Some(By::Rank), Some(true))
}

fn zrange_generic(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    key_at: usize,
    store: Option<&[u8]>,
    mut by: Option<By>,
    mut rev: Option<bool>,
) -> Result<Reply, CmdError> {
    let key = argv[key_at];
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = key_at + 3;
    while j < argv.len() {
        let opt = argv[j];
        let left = argv.len() - j - 1;
        if store.is_none() && is_opt(opt, "withscores") {
            withscores = true;
        } else if is_opt(opt, "limit") && left >= 2 {
            offset = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            limit = parse_i64(argv[j + 2]).ok_or(CmdError::NotInteger)?;
            j += 2;
        } else if rev.is_none() && is_opt(opt, "rev") {
            rev = Some(true);
        } else if by.is_none() && is_opt(opt, "bylex") {
            by = Some(By::Lex);
        } else if by.is_none() && is_opt(opt, "byscore") {
            by = Some(By::Score);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    let by = by.unwrap_or(By::Rank);
    if limit != -1 && by == By::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::msg("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    let (mut min, mut max) = (argv[key_at + 1], argv[key_at + 2]);
    if rev && by != By::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let range = match by {
        By::Rank => {
            Range::Rank(parse_i64(min).ok_or(CmdError::NotInteger)?, parse_i64(max).ok_or(CmdError::NotInteger)?)
        }
        By::Score => Range::Score(parse_score_range(min, max)?),
        By::Lex => Range::Lex(parse_lex_range(min, max)?),
    };

    let entries = match ctx.read_zset(key)? {
        None => Vec::new(),
        Some(zset) => select(zset, &range, rev, offset, limit),
    };
    match store {
        Some(dst) => {
            // Redis builds the destination member by member in reply order, starting from a
            // listpack unless a rank range is known to be too long; a listpack stores -0 as 0, so
            // which members keep -0 depends on when the set converted, exactly as in Redis.
            let limits = ctx.zset_limits();
            let size_hint = if by == By::Rank { entries.len() } else { 0 };
            let mut zset = ZsetValue::with_size_hint(size_hint, limits, ctx.rng);
            for (member, score) in &entries {
                zset.insert_new(member, *score, limits, ctx.rng);
            }
            Ok(store_result(ctx, dst, zset, "zrangestore"))
        }
        None => Ok(scored_reply(ctx.resp, entries, withscores)),
    }
}

/// The entries a range selects, in reply order (Redis's `genericZrangeby*Command`).
fn select(zset: &ZsetValue, range: &Range, rev: bool, offset: i64, limit: i64) -> Vec<(Vec<u8>, f64)> {
    let len = zset.len();
    let mut out = Vec::new();
    let mut push = |m: &[u8], s: f64| out.push((m.to_vec(), s));
    match range {
        Range::Rank(start, end) => {
            let Some((start, end)) = clamp_ranks(*start, *end, len) else { return out };
            let count = end - start + 1;
            let from = if rev { len - 1 - start } else { start };
            let mut taken = 0;
            zset.walk(from, rev, |m, s| {
                push(m, s);
                taken += 1;
                taken < count
            });
        }
        Range::Score(r) => {
            let first = if rev { zset.last_in_score(r) } else { zset.first_in_score(r) };
            let in_range = |_: &[u8], s: f64| if rev { r.gte_min(s) } else { r.lte_max(s) };
            walk_limited(zset, first, rev, offset, limit, in_range, &mut push);
        }
        Range::Lex(r) => {
            let first = if rev { zset.last_in_lex(r) } else { zset.first_in_lex(r) };
            let in_range = |m: &[u8], _: f64| if rev { r.gte_min(m) } else { r.lte_max(m) };
            walk_limited(zset, first, rev, offset, limit, in_range, &mut push);
        }
    }
    out
}

/// From rank `first`, skips `offset` entries (unchecked, as Redis does), then emits up to
/// `limit` (negative: all) while `in_range` holds.
fn walk_limited(
    zset: &ZsetValue,
    first: Option<usize>,
    rev: bool,
    offset: i64,
    limit: i64,
    in_range: impl Fn(&[u8], f64) -> bool,
    push: &mut impl FnMut(&[u8], f64),
) {
    let Some(first) = first else { return };
    if offset < 0 || (offset > 0 && offset as u64 >= zset.len() as u64) {
        // Redis counts a negative offset down to the end of the set: nothing is left.
        return;
    }
    let offset = offset as usize;
    let start = if rev { first.checked_sub(offset) } else { Some(first + offset) };
    let Some(start) = start.filter(|&s| s < zset.len()) else { return };
    let mut left = limit;
    zset.walk(start, rev, |m, s| {
        if left == 0 || !in_range(m, s) {
            return false;
        }
        push(m, s);
        left -= 1;
        true
    });
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    fn db() -> TestDb {
        let mut db = TestDb::new();
        db.check(&[("ZADD z 1 a 2 b 3 c 4 d", ":4"), ("ZADD l 0 a 0 b 0 c 0 d", ":4")]);
        db
    }

    #[test]
    fn by_rank() {
        // Proves rank ranges, negative indexes, REV and WITHSCORES in RESP2 and RESP3.
        let mut db = db();
        db.check(&[
            ("ZRANGE z 0 -1", "[\"a\", \"b\", \"c\", \"d\"]"),
            ("ZRANGE z -2 100 WITHSCORES", "[\"c\", ,3, \"d\", ,4]"),
            ("ZRANGE z 0 1 REV", "[\"d\", \"c\"]"),
            ("ZREVRANGE z 0 0 WITHSCORES", "[\"d\", ,4]"),
            ("ZRANGE z 3 1", "[]"),
            ("ZRANGE nokey 0 -1", "[]"),
            ("ZRANGE z a 1", "-ERR value is not an integer or out of range"),
            (
                "ZRANGE z 0 1 LIMIT 0 1",
                "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            ),
            ("ZRANGE z 0 1 LIMIT 0", "-ERR syntax error"),
            ("ZREVRANGE z 0 1 REV", "-ERR syntax error"),
        ]);
        db.resp = 3;
        db.check(&[("ZRANGE z 0 1 WITHSCORES", "[[\"a\", ,1], [\"b\", ,2]]")]);
    }

    #[test]
    fn by_score() {
        // Proves score ranges with exclusive bounds, REV (max first), LIMIT quirks and errors.
        db().check(&[
            ("ZRANGEBYSCORE z (1 3", "[\"b\", \"c\"]"),
            ("ZRANGE z (1 +inf BYSCORE LIMIT 1 5 WITHSCORES", "[\"c\", ,3, \"d\", ,4]"),
            ("ZREVRANGEBYSCORE z 3 -inf", "[\"c\", \"b\", \"a\"]"),
            ("ZRANGE z 3 -inf BYSCORE REV LIMIT 1 1", "[\"b\"]"),
            ("ZRANGEBYSCORE z -inf +inf LIMIT -1 1", "[]"),
            ("ZRANGEBYSCORE z -inf +inf LIMIT 1 -1", "[\"b\", \"c\", \"d\"]"),
            ("ZRANGEBYSCORE z -inf +inf LIMIT 4 1", "[]"),
            ("ZRANGEBYSCORE z 1 2 REV", "-ERR syntax error"),
            ("ZRANGEBYSCORE z x 2", "-ERR min or max is not a float"),
            ("ZRANGEBYSCORE z 1 2 LIMIT x 1", "-ERR value is not an integer or out of range"),
        ]);
    }

    #[test]
    fn by_lex() {
        // Proves lex ranges, REV, LIMIT, and the WITHSCORES and bound errors.
        db().check(&[
            ("ZRANGEBYLEX l [b +", "[\"b\", \"c\", \"d\"]"),
            ("ZREVRANGEBYLEX l (c -", "[\"b\", \"a\"]"),
            ("ZRANGE l - + BYLEX LIMIT 1 2", "[\"b\", \"c\"]"),
            ("ZRANGEBYLEX l - + WITHSCORES", "-ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
            ("ZRANGEBYLEX l a +", "-ERR min or max not valid string range item"),
        ]);
    }

    #[test]
    fn rangestore() {
        // Proves ZRANGESTORE stores the selection, deletes the destination on an empty result,
        // rejects WITHSCORES, and picks the destination's encoding as Redis does.
        let mut db = db();
        db.check(&[
            ("ZRANGESTORE dst z 1 2", ":2"),
            ("ZRANGE dst 0 -1 WITHSCORES", "[\"b\", ,2, \"c\", ,3]"),
            ("ZRANGESTORE dst z 5 1 BYSCORE", ":0"),
            ("EXISTS dst", ":0"),
            ("ZRANGESTORE dst z 0 1 WITHSCORES", "-ERR syntax error"),
        ]);
        for i in 0..200 {
            db.cmd(&format!("ZADD big {i} m{i}"));
        }
        db.check(&[("ZADD big -0 zero", ":1"), ("ZRANGESTORE d big 0 128", ":129")]);
        assert_eq!(db.encoding("d"), Some("skiplist"));
        // A rank range too long for a listpack starts as a skiplist: -0 is kept.
        db.check(&[("ZSCORE d zero", ",-0"), ("ZRANGESTORE d big 0 127", ":128")]);
        assert_eq!(db.encoding("d"), Some("listpack"));
        // A score range starts as a listpack: the first 128 members pass through it (-0 → 0).
        db.check(&[("ZRANGESTORE d big -inf +inf BYSCORE", ":201"), ("ZSCORE d zero", ",0")]);
        assert_eq!(db.encoding("d"), Some("skiplist"));
    }
}
