//! The sorted set family: commands on `zset` values (Redis's `t_zset.c`).
//!
//! | file | commands |
//! |---|---|
//! | `zadd.rs` | ZADD, ZINCRBY |
//! | `zrem.rs` | ZREM, ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX |
//! | `zscore.rs` | ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK |
//! | `zcount.rs` | ZCOUNT, ZLEXCOUNT |
//! | `zrange.rs` | ZRANGE, ZRANGESTORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE |
//! | `zpop.rs` | ZPOPMIN, ZPOPMAX, ZMPOP |
//! | `bzpop.rs` | BZPOPMIN, BZPOPMAX, BZMPOP (the node parks the client) |
//! | `zrandmember.rs`, `zscan.rs` | ZRANDMEMBER; ZSCAN |
//! | `zsetops.rs` | ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD |
//!
//! Scores are parsed by C's `strtod` under Redis's two sets of checks (strict for scores, lenient
//! for range bounds) and printed as `%.17g` through `Reply::Double`.

pub mod bzpop;
pub(crate) mod zadd;
mod zcount;
mod zpop;
mod zrandmember;
mod zrange;
mod zrem;
mod zscan;
mod zscore;
mod zsetops;

use super::args::eq_ci;
use super::redis_specs as s;
use super::string::c_option;
use super::table::{engine, Command};
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::strtod;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::zset::{LexBound, LexRange, ScoreRange, ZsetValue};
use crate::value::Value;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::ZADD, zadd::zadd),
    engine(&s::ZINCRBY, zadd::zincrby),
    engine(&s::ZREM, zrem::zrem),
    engine(&s::ZREMRANGEBYRANK, zrem::zremrangebyrank),
    engine(&s::ZREMRANGEBYSCORE, zrem::zremrangebyscore),
    engine(&s::ZREMRANGEBYLEX, zrem::zremrangebylex),
    engine(&s::ZCARD, zscore::zcard),
    engine(&s::ZSCORE, zscore::zscore),
    engine(&s::ZMSCORE, zscore::zmscore),
    engine(&s::ZRANK, zscore::zrank),
    engine(&s::ZREVRANK, zscore::zrevrank),
    engine(&s::ZCOUNT, zcount::zcount),
    engine(&s::ZLEXCOUNT, zcount::zlexcount),
    engine(&s::ZRANGE, zrange::zrange),
    engine(&s::ZRANGESTORE, zrange::zrangestore),
    engine(&s::ZRANGEBYSCORE, zrange::zrangebyscore),
    engine(&s::ZREVRANGEBYSCORE, zrange::zrevrangebyscore),
    engine(&s::ZRANGEBYLEX, zrange::zrangebylex),
    engine(&s::ZREVRANGEBYLEX, zrange::zrevrangebylex),
    engine(&s::ZREVRANGE, zrange::zrevrange),
    engine(&s::ZPOPMIN, zpop::zpopmin),
    engine(&s::ZPOPMAX, zpop::zpopmax),
    engine(&s::ZMPOP, zpop::zmpop),
    engine(&s::BZPOPMIN, bzpop::bzpopmin),
    engine(&s::BZPOPMAX, bzpop::bzpopmax),
    engine(&s::BZMPOP, bzpop::bzmpop),
    engine(&s::ZRANDMEMBER, zrandmember::zrandmember),
    engine(&s::ZSCAN, zscan::zscan),
    engine(&s::ZUNION, zsetops::zunion),
    engine(&s::ZINTER, zsetops::zinter),
    engine(&s::ZDIFF, zsetops::zdiff),
    engine(&s::ZUNIONSTORE, zsetops::zunionstore),
    engine(&s::ZINTERSTORE, zsetops::zinterstore),
    engine(&s::ZDIFFSTORE, zsetops::zdiffstore),
    engine(&s::ZINTERCARD, zsetops::zintercard),
];

/// True when the option argument `arg` is `token`, compared as Redis's `strcasecmp` does: up to
/// the first NUL, ignoring case (`NX\0junk` is NX).
pub(crate) fn is_opt(arg: &[u8], token: &str) -> bool {
    eq_ci(c_option(arg), token)
}

/// A score argument as Redis's `getDoubleFromObject` reads it: the whole string must be a
/// float, no leading space, no overflow or underflow to zero, not NaN.
pub(crate) fn parse_score(arg: &[u8]) -> Result<f64, CmdError> {
    if arg.is_empty() || arg[0].is_ascii_whitespace() || arg[0] == 0x0b || arg.contains(&0) {
        return Err(CmdError::NotFloat);
    }
    let (value, consumed, erange) = strtod(arg);
    if consumed != arg.len() || (erange && (value.is_infinite() || value == 0.0)) || value.is_nan() {
        return Err(CmdError::NotFloat);
    }
    Ok(value)
}

/// One bound of a score range as `zslParseRange` reads it: an optional `(`, then C's `strtod`
/// up to the C string's end (a NUL ends it early; an empty rest reads as 0), not NaN.
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    let (text, exclusive) = match text.first() {
        Some(b'(') => (&text[1..], true),
        _ => (text, false),
    };
    let (value, consumed, _) = strtod(text);
    (consumed == text.len() && !value.is_nan()).then_some((value, exclusive))
}

/// Parses `min max` into a score range, with Redis's error.
pub(crate) fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let error = || CmdError::msg("ERR min or max is not a float");
    let (min, min_ex) = parse_score_bound(min).ok_or_else(error)?;
    let (max, max_ex) = parse_score_bound(max).ok_or_else(error)?;
    Ok(ScoreRange { min, max, min_ex, max_ex })
}

/// One bound of a lex range as `zslParseLexRangeItem` reads it: `+`, `-`, `[member`, `(member`.
fn parse_lex_bound(arg: &[u8]) -> Option<LexBound> {
    // `+` and `-` are tested as C strings: a NUL right after them ends the argument.
    let alone = arg.get(1).is_none_or(|&b| b == 0);
    match arg.first()? {
        b'+' if alone => Some(LexBound::Max),
        b'-' if alone => Some(LexBound::Min),
        b'(' => Some(LexBound::Member(arg[1..].to_vec(), true)),
        b'[' => Some(LexBound::Member(arg[1..].to_vec(), false)),
        _ => None,
    }
}

/// Parses `min max` into a lex range, with Redis's error.
pub(crate) fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
    let error = || CmdError::msg("ERR min or max not valid string range item");
    Ok(LexRange { min: parse_lex_bound(min).ok_or_else(error)?, max: parse_lex_bound(max).ok_or_else(error)? })
}

/// Members with their scores, in reply order.
pub(crate) type Entries = Vec<(Vec<u8>, f64)>;

/// Members (and scores when `withscores`) as Redis replies them: a flat array in RESP2, and in
/// RESP3 with scores an array of `[member, score]` pairs.
pub(crate) fn scored_reply(resp: u8, entries: Entries, withscores: bool) -> Reply {
    if !withscores {
        return Reply::Array(entries.into_iter().map(|(m, _)| Reply::Bulk(m)).collect());
    }
    if resp >= 3 {
        return Reply::Array(entries.into_iter().map(|(m, s)| pair(m, s)).collect());
    }
    let mut out = Vec::with_capacity(entries.len() * 2);
    for (m, s) in entries {
        out.push(Reply::Bulk(m));
        out.push(Reply::Double(s));
    }
    Reply::Array(out)
}

/// `[member, score]` as a two-element array (RESP3 pairs, ZMPOP's entries).
pub(crate) fn pair(member: Vec<u8>, score: f64) -> Reply {
    Reply::Array(vec![Reply::Bulk(member), Reply::Double(score)])
}

/// The sorted set at `key`, which the caller has just looked up (and so knows exists), beside
/// the RNG: for commands that need both at once.
pub(crate) fn zset_with_rng<'c>(ctx: &'c mut Ctx, key: &[u8]) -> (&'c mut ZsetValue, &'c mut Rng) {
    match ctx.keyspace.dbs[ctx.db].get_mut(key).map(|o| &mut o.value) {
        Some(Value::Zset(zset)) => (zset, ctx.rng),
        _ => unreachable!("zset_with_rng on a key not holding a sorted set"),
    }
}

/// Stores a sorted set built by a store command at `dst`, raising `event` (or deletes `dst`,
/// raising `del`, when it is empty) and replies with its size, as Redis's store paths do.
/// Counts one change when anything changed.
pub(crate) fn store_result(ctx: &mut Ctx, dst: &[u8], zset: ZsetValue, event: &'static str) -> Reply {
    let len = zset.len();
    if len == 0 {
        if ctx.db().delete(dst).is_some() {
            ctx.notify(NotifyClass::GENERIC, "del", dst);
            ctx.dirty += 1;
        }
    } else {
        ctx.set_key(dst, Value::Zset(Box::new(zset)), false);
        ctx.notify(NotifyClass::ZSET, event, dst);
        ctx.dirty += 1;
    }
    Reply::Int(len as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::TestDb;

    #[test]
    fn scores_parse_as_redis_does() {
        // Proves the strict score parser's accept/reject rules (Redis's getDoubleFromObject).
        for (arg, want) in [
            ("1.5", Some(1.5)),
            ("inf", Some(f64::INFINITY)),
            ("-inf", Some(f64::NEG_INFINITY)),
            ("+inf", Some(f64::INFINITY)),
            ("0x10", Some(16.0)),
            ("1e308", Some(1e308)),
            ("-0", Some(-0.0)),
        ] {
            assert_eq!(parse_score(arg.as_bytes()).ok(), want, "{arg}");
        }
        for arg in ["", " 1", "1 ", "nan", "1e400", "1e-400", "abc", "1\0"] {
            assert_eq!(parse_score(arg.as_bytes()), Err(CmdError::NotFloat), "{arg:?}");
        }
    }

    #[test]
    fn options_end_at_the_first_nul() {
        // Proves options are compared as C strings (up to a NUL), as Redis's strcasecmp does.
        crate::cmd::testing::TestDb::new().check(&[
            ("ZADD z NX\0junk 1 a", ":1"),
            ("ZRANGE z 0 -1 WITHSCORES\0x", "[\"a\", ,1]"),
            ("ZRANGEBYLEX z -\0x +", "[\"a\"]"),
            ("ZUNION 1 z AGGREGATE MAX\0x", "[\"a\"]"),
            ("ZMPOP 1 z MIN\0 COUNT\0 1", "[\"z\", [[\"a\", ,1]]]"),
        ]);
    }

    #[test]
    fn range_bounds_parse_as_redis_does() {
        // Proves zslParseRange's lenient rules: empty is 0, a NUL ends the text, overflow is inf.
        let r = parse_score_range(b"(", b"1\0junk").unwrap();
        assert_eq!((r.min, r.min_ex, r.max, r.max_ex), (0.0, true, 1.0, false));
        assert_eq!(parse_score_range(b"1e400", b" 2").unwrap().min, f64::INFINITY);
        assert!(parse_score_range(b"nan", b"1").is_err());
        assert!(parse_score_range(b"1", b"(x").is_err());
        assert!(parse_lex_range(b"a", b"+").is_err());
        assert!(parse_lex_range(b"", b"+").is_err());
        assert!(parse_lex_range(b"-", b"+x").is_err());
        assert_eq!(parse_lex_range(b"+\0x", b"[").unwrap().min, LexBound::Max);
    }

    #[test]
    fn keyspace_events_match_redis() {
        // Proves the family raises Redis 7.0's keyspace events, names and order: ZADD/ZINCRBY only when something changed, ZREM and the ZREMRANGEBY* family with del, pops and their blocking forms, the STORE forms (their event, or del for an empty result). The
        // table is the event stream a real redis-server 7.0.15 (notify-keyspace-events EAmn)
        // published for the same lines.
        TestDb::new().check_events(&[
            ("ZADD z 1 a 2 b", "new:z zadd:z"),
            ("ZADD z 1 a", ""),
            ("ZADD z 3 a", "zadd:z"),
            ("ZADD z NX 5 a", ""),
            ("ZADD z XX 5 q", ""),
            ("ZADD z INCR 1 a", "zincr:z"),
            ("ZADD z XX INCR 1 q", ""),
            ("ZADD noz XX 1 a", ""),
            ("ZINCRBY z 2 b", "zincr:z"),
            ("ZINCRBY z2 2 b", "new:z2 zincr:z2"),
            ("ZREM z zz", ""),
            ("ZREM z a zz", "zrem:z"),
            ("ZREM z2 b", "zrem:z2 del:z2"),
            ("ZREM noz a", ""),
            ("ZADD z 1 a 2 b 3 c 4 d 5 e", "zadd:z"),
            ("ZREMRANGEBYRANK z 0 0", "zremrangebyrank:z"),
            ("ZREMRANGEBYRANK z 10 20", ""),
            ("ZREMRANGEBYSCORE z 2 2", "zremrangebyscore:z"),
            ("ZREMRANGEBYSCORE z 10 20", ""),
            ("ZREMRANGEBYLEX z [c [c", "zremrangebylex:z"),
            ("ZREMRANGEBYLEX noz [c [c", ""),
            ("ZREMRANGEBYLEX z - +", "zremrangebylex:z del:z"),
            ("ZCARD noz", "keymiss:noz"),
            ("ZSCORE noz a", "keymiss:noz"),
            ("ZMSCORE noz a", "keymiss:noz"),
            ("ZRANK noz a", "keymiss:noz"),
            ("ZREVRANK noz a", "keymiss:noz"),
            ("ZCOUNT noz 0 1", "keymiss:noz"),
            ("ZLEXCOUNT noz - +", "keymiss:noz"),
            ("ZRANGE noz 0 -1", "keymiss:noz"),
            ("ZRANGEBYSCORE noz 0 1", "keymiss:noz"),
            ("ZREVRANGEBYSCORE noz 1 0", "keymiss:noz"),
            ("ZRANGEBYLEX noz - +", "keymiss:noz"),
            ("ZREVRANGEBYLEX noz + -", "keymiss:noz"),
            ("ZREVRANGE noz 0 1", "keymiss:noz"),
            ("ZRANDMEMBER noz", "keymiss:noz"),
            ("ZSCAN noz 0", "keymiss:noz"),
            ("ZADD z 1 a 2 b 3 c", "new:z zadd:z"),
            ("ZPOPMIN z", "zpopmin:z"),
            ("ZPOPMAX z 1", "zpopmax:z"),
            ("ZPOPMIN z 0", ""),
            ("ZPOPMIN noz", ""),
            ("ZPOPMAX z 5", "zpopmax:z del:z"),
            ("ZADD z 1 a 2 b 3 c", "new:z zadd:z"),
            ("ZMPOP 2 noz z MIN COUNT 2", "zpopmin:z"),
            ("ZMPOP 1 z MAX COUNT 2", "zpopmax:z del:z"),
            ("ZMPOP 1 z MAX", ""),
            ("ZADD z 1 a 2 b 3 c", "new:z zadd:z"),
            ("ZADD y 1 a 5 q", "new:y zadd:y"),
            ("ZUNION 2 z noz", "keymiss:noz"),
            ("ZINTER 2 z noz", "keymiss:noz"),
            ("ZDIFF 2 z noz", "keymiss:noz"),
            ("ZINTERCARD 2 z noz", "keymiss:noz"),
            ("ZUNIONSTORE d 2 z y", "new:d zunionstore:d"),
            ("ZUNIONSTORE d 2 z y", "zunionstore:d"),
            ("ZINTERSTORE d 2 z noz", "keymiss:noz del:d"),
            ("ZINTERSTORE d 2 z noz", "keymiss:noz"),
            ("ZINTERSTORE d 2 z y", "new:d zinterstore:d"),
            ("ZDIFFSTORE d 2 z y", "zdiffstore:d"),
            ("ZDIFFSTORE d 2 z z", "del:d"),
            ("ZRANGESTORE d2 z 0 1", "new:d2 zrangestore:d2"),
            ("ZRANGESTORE d2 z 0 1", "zrangestore:d2"),
            ("ZRANGESTORE d2 z 5 10", "del:d2"),
            ("ZRANGESTORE d2 noz 0 1", "keymiss:noz"),
            ("ZADD z 9 zz", "zadd:z"),
            ("BZPOPMIN noz z 0", "zpopmin:z"),
            ("BZPOPMAX z 0", "zpopmax:z"),
            ("BZMPOP 0 1 z MIN COUNT 9", "zpopmin:z del:z"),
        ]);
    }
}
