//! ZPOPMIN key [count]
//! ZPOPMAX key [count]
//! ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
//!
//! Redis's `genericZpopCommand`: the first key holding a sorted set is popped (a key of another
//! type among those before it is WRONGTYPE), the set is deleted when emptied, each popped member
//! is one change. ZPOPMIN without a count replies a flat `[member, score]`; with a count RESP3
//! gets `[member, score]` pairs, RESP2 a flat list. ZMPOP always nests `[key, [[member, score]...]]`
//! and replies a null array when nothing could be popped.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

use super::{is_opt, pair, scored_reply, Entries};

/// ZPOPMIN: removes and returns the lowest-scored members.
pub fn zpopmin(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zpop_min_max(ctx, argv, false)
}

/// ZPOPMAX: removes and returns the highest-scored members.
pub fn zpopmax(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    zpop_min_max(ctx, argv, true)
}

fn zpop_min_max(ctx: &mut Ctx, argv: &[&[u8]], max: bool) -> Result<Reply, CmdError> {
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match argv.get(2) {
        None => None,
        Some(arg) => Some(
            parse_i64(arg).filter(|&n| n >= 0).ok_or(CmdError::msg("ERR value is out of range, must be positive"))?
                as usize,
        ),
    };
    let Some((_, popped)) = pop_first(ctx, &argv[1..2], max, count.unwrap_or(1))? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count.is_none() {
        return Ok(scored_reply(2, popped, true));
    }
    Ok(scored_reply(ctx.resp, popped, true))
}

/// ZMPOP: pops from the first non-empty sorted set among the keys.
pub fn zmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mpop = parse_mpop(argv, 1)?;
    Ok(serve_mpop(ctx, &mpop)?.unwrap_or(Reply::NullArray))
}

/// A parsed `numkeys key [key ...] MIN|MAX [COUNT count]` (ZMPOP, BZMPOP).
pub(super) struct Mpop<'a> {
    /// The keys, in order.
    pub keys: &'a [&'a [u8]],
    /// MAX rather than MIN.
    pub max: bool,
    /// How many entries to pop at most.
    pub count: usize,
}

/// Parses ZMPOP's arguments from `argv[numkeys_at]` on, in Redis's order of checks.
pub(super) fn parse_mpop<'a>(argv: &'a [&'a [u8]], numkeys_at: usize) -> Result<Mpop<'a>, CmdError> {
    let numkeys = parse_i64(argv[numkeys_at])
        .filter(|&n| n >= 1)
        .ok_or(CmdError::msg("ERR numkeys should be greater than 0"))? as u64;
    let where_at =
        numkeys.checked_add(numkeys_at as u64 + 1).filter(|&w| w < argv.len() as u64).ok_or(CmdError::Syntax)? as usize;
    let max = if is_opt(argv[where_at], "min") {
        false
    } else if is_opt(argv[where_at], "max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && is_opt(argv[j], "count") && j + 1 < argv.len() {
            j += 1;
            let n = parse_i64(argv[j]).filter(|&n| n >= 1);
            count = Some(n.ok_or(CmdError::msg("ERR count should be greater than 0"))? as usize);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(Mpop { keys: &argv[numkeys_at + 1..where_at], max, count: count.unwrap_or(1) })
}

/// Pops for a parsed ZMPOP: `[key, [[member, score]...]]`, or `None` when no key holds a sorted
/// set.
/// The pop command for the low or high end (ZPOPMIN or ZPOPMAX): how blocking and multi-key
/// pops propagate.
pub(super) fn pop_command(max: bool) -> &'static [u8] {
    if max {
        b"ZPOPMAX"
    } else {
        b"ZPOPMIN"
    }
}

pub(super) fn serve_mpop(ctx: &mut Ctx, mpop: &Mpop) -> Result<Option<Reply>, CmdError> {
    Ok(pop_first(ctx, mpop.keys, mpop.max, mpop.count)?.map(|(key, popped)| {
        // Replicas and the AOF pop from the key that served, as many as were there.
        ctx.propagate_as(&[pop_command(mpop.max), &key, popped.len().to_string().as_bytes()]);
        let entries = popped.into_iter().map(|(m, s)| pair(m, s)).collect();
        Reply::Array(vec![Reply::Bulk(key), Reply::Array(entries)])
    }))
}

/// Pops up to `count` entries from the first key that holds a sorted set: its name and the
/// entries in pop order, or `None` when no key holds one.
pub(super) fn pop_first(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    count: usize,
) -> Result<Option<(Vec<u8>, Entries)>, CmdError> {
    for key in keys {
        let Some(zset) = ctx.write_zset(key)? else { continue };
        let take = count.min(zset.len());
        let mut popped = Vec::with_capacity(take);
        if take > 0 {
            let from = if max { zset.len() - 1 } else { 0 };
            zset.walk(from, max, |m, s| {
                popped.push((m.to_vec(), s));
                popped.len() < take
            });
            let (start, end) = if max { (zset.len() - take, zset.len() - 1) } else { (0, take - 1) };
            zset.remove_rank_range(start, end);
            ctx.notify(NotifyClass::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        }
        ctx.delete_if_empty(key);
        ctx.dirty += take as u64;
        return Ok(Some((key.to_vec(), popped)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn zpop_replies() {
        // Proves ZPOPMIN/ZPOPMAX replies with and without a count, deletion, and errors.
        TestDb::new().check(&[
            ("ZPOPMIN z", "[]"),
            ("ZPOPMIN z 0", "[]"),
            ("ZADD z 1 a 2 b 3 c 4 d", ":4"),
            ("ZPOPMIN z", "[\"a\", ,1]"),
            ("ZPOPMAX z 2", "[\"d\", ,4, \"c\", ,3]"),
            ("ZPOPMIN z 0", "[]"),
            ("ZPOPMAX z 10", "[\"b\", ,2]"),
            ("EXISTS z", ":0"),
            ("ZPOPMIN z -1", "-ERR value is out of range, must be positive"),
            ("ZPOPMIN z x", "-ERR value is out of range, must be positive"),
            ("ZPOPMIN z 1 2", "-ERR syntax error"),
            ("SET s v", "+OK"),
            ("ZPOPMIN s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }

    #[test]
    fn zpop_resp3_nests_only_with_a_count() {
        // Proves RESP3 replies: flat without a count, pairs with one.
        let mut db = TestDb::new();
        db.resp = 3;
        db.check(&[("ZADD z 1 a 2 b 3 c", ":3"), ("ZPOPMIN z", "[\"a\", ,1]"), ("ZPOPMIN z 1", "[[\"b\", ,2]]")]);
    }

    #[test]
    fn zmpop_replies_and_errors() {
        // Proves ZMPOP picks the first non-empty key, nests its reply, and every error reply.
        TestDb::new().check(&[
            ("ZMPOP 1 z MIN", "(nil array)"),
            ("ZADD z 1 a 2 b 3 c", ":3"),
            ("ZMPOP 2 nokey z MAX COUNT 2", "[\"z\", [[\"c\", ,3], [\"b\", ,2]]]"),
            ("ZMPOP 1 z MIN", "[\"z\", [[\"a\", ,1]]]"),
            ("EXISTS z", ":0"),
            ("ZMPOP 0 z MIN", "-ERR numkeys should be greater than 0"),
            ("ZMPOP x z MIN", "-ERR numkeys should be greater than 0"),
            ("ZMPOP 1 z foo", "-ERR syntax error"),
            ("ZMPOP 5 z MIN", "-ERR syntax error"),
            ("ZMPOP 1 z MIN COUNT 0", "-ERR count should be greater than 0"),
            ("ZMPOP 1 z MIN COUNT 1 COUNT 1", "-ERR syntax error"),
            ("ZMPOP 1 z", "-ERR wrong number of arguments for 'zmpop' command"),
            ("SET s v", "+OK"),
            ("ZMPOP 2 s z MIN", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }
}
