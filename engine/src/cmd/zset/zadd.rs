//! ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
//! ZINCRBY key increment member
//!
//! Redis's `zaddGenericCommand` and `zsetAdd`: options are taken while they match (in any order,
//! repeated), every score is parsed before the key is looked up, so a bad float wins over
//! WRONGTYPE; ZINCRBY is ZADD INCR with the same parser, so `ZINCRBY k nx m` is a syntax error as
//! in Redis. A NaN from an increment stops the command after the pairs already applied.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::zset::{ZsetLimits, ZsetValue};
use crate::value::Value;

use super::{is_opt, parse_score, zset_with_rng};

/// ZADD's condition on members that exist or not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presence {
    /// Add and update.
    Any,
    /// NX: only add new members.
    OnlyNew,
    /// XX: only update existing members.
    OnlyExisting,
}

/// ZADD's condition on the new score against the old one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// Always update.
    Any,
    /// GT: only when the new score is greater.
    Greater,
    /// LT: only when the new score is less.
    Less,
}

/// ZADD's options as `zsetAdd` applies them to each pair.
struct AddOptions {
    incr: bool,
    presence: Presence,
    compare: Compare,
}

/// What one `zsetAdd` call did.
enum Outcome {
    Added(f64),
    Updated(f64),
    Unchanged(f64),
    Skipped,
}

/// ZADD: adds or updates members; replies the number added (or changed, with CH), or the new
/// score with INCR.
pub fn zadd(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ctx.reply_first();
    zadd_generic(ctx, argv, false)
}

/// ZINCRBY: adds `increment` to the member's score (0 when absent) and replies the new score.
pub fn zincrby(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ctx.reply_first();
    zadd_generic(ctx, argv, true)
}

fn zadd_generic(ctx: &mut Ctx, argv: &[&[u8]], mut incr: bool) -> Result<Reply, CmdError> {
    let key = argv[1];
    let (mut nx, mut xx, mut gt, mut lt, mut ch) = (false, false, false, false, false);
    let mut score_at = 2;
    while score_at < argv.len() {
        let opt = argv[score_at];
        match () {
            _ if is_opt(opt, "nx") => nx = true,
            _ if is_opt(opt, "xx") => xx = true,
            _ if is_opt(opt, "ch") => ch = true,
            _ if is_opt(opt, "incr") => incr = true,
            _ if is_opt(opt, "gt") => gt = true,
            _ if is_opt(opt, "lt") => lt = true,
            _ => break,
        }
        score_at += 1;
    }
    let pairs = &argv[score_at..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if nx && xx {
        return Err(CmdError::msg("ERR XX and NX options at the same time are not compatible"));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(CmdError::msg("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if incr && pairs.len() > 2 {
        return Err(CmdError::msg("ERR INCR option supports a single increment-element pair"));
    }
    let presence = if nx {
        Presence::OnlyNew
    } else if xx {
        Presence::OnlyExisting
    } else {
        Presence::Any
    };
    let compare = if gt {
        Compare::Greater
    } else if lt {
        Compare::Less
    } else {
        Compare::Any
    };
    let options = AddOptions { incr, presence, compare };
    let scores = pairs.chunks(2).map(|p| parse_score(p[0])).collect::<Result<Vec<f64>, CmdError>>()?;

    let limits = ctx.zset_limits();
    if ctx.write_zset(key)?.is_none() {
        if presence == Presence::OnlyExisting {
            return Ok(if incr { Reply::Null } else { Reply::Int(0) });
        }
        let zset = ZsetValue::new_for(pairs[1].len(), limits, ctx.rng);
        ctx.set_key(key, Value::Zset(Box::new(zset)), false);
    }
    let (mut added, mut updated, mut last) = (0i64, 0i64, None);
    let mut failed = false;
    {
        let (zset, rng) = zset_with_rng(ctx, key);
        for (pair, &score) in pairs.chunks(2).zip(&scores) {
            match options.apply(zset, pair[1], score, limits, rng) {
                None => {
                    failed = true;
                    break;
                }
                Some(Outcome::Added(s)) => {
                    added += 1;
                    last = Some(s);
                }
                Some(Outcome::Updated(s)) => {
                    updated += 1;
                    last = Some(s);
                }
                Some(Outcome::Unchanged(s)) => last = Some(s),
                Some(Outcome::Skipped) => last = None,
            }
        }
    }
    if failed {
        return Err(CmdError::msg("ERR resulting score is not a number (NaN)"));
    }
    ctx.dirty += (added + updated) as u64;
    if added + updated > 0 {
        ctx.notify(NotifyClass::ZSET, if incr { "zincr" } else { "zadd" }, key);
    }
    Ok(if incr {
        last.map_or(Reply::Null, Reply::Double)
    } else {
        Reply::Int(if ch { added + updated } else { added })
    })
}

impl AddOptions {
    /// Redis's `zsetAdd` for one pair: `None` when the increment made the score NaN.
    fn apply(
        &self,
        zset: &mut ZsetValue,
        member: &[u8],
        score: f64,
        limits: ZsetLimits,
        rng: &mut Rng,
    ) -> Option<Outcome> {
        let AddOptions { incr, presence, compare } = *self;
        match zset.score(member) {
            Some(current) => {
                if presence == Presence::OnlyNew {
                    return Some(Outcome::Skipped);
                }
                let new = if incr { score + current } else { score };
                if new.is_nan() {
                    return None;
                }
                if (compare == Compare::Less && new >= current) || (compare == Compare::Greater && new <= current) {
                    return Some(Outcome::Skipped);
                }
                if new == current {
                    return Some(Outcome::Unchanged(new));
                }
                zset.update_score(member, new);
                Some(Outcome::Updated(new))
            }
            None if presence == Presence::OnlyExisting => Some(Outcome::Skipped),
            None => {
                zset.insert_new(member, score, limits, rng);
                Some(Outcome::Added(score))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn zadd_options_and_replies() {
        // Proves ZADD's NX/XX/GT/LT/CH/INCR behaviour and replies, matching Redis 7.0.15.
        TestDb::new().check(&[
            ("ZADD z 1 a 2 b", ":2"),
            ("ZADD z 1 a 3 b 4 c", ":1"),
            ("ZADD z CH 1 a 5 b 5 d", ":2"),
            ("ZADD z NX 9 a 6 e", ":1"),
            ("ZADD z XX 9 a 6 f", ":0"),
            ("ZSCORE z a", ",9"),
            ("ZADD z GT CH 8 a 10 b", ":1"),
            ("ZADD z LT CH 8 a 20 b", ":1"),
            ("ZADD z XX GT CH 30 b", ":1"),
            ("ZADD z INCR 2 a", ",10"),
            ("ZADD z NX INCR 2 a", "(nil)"),
            ("ZADD z XX INCR 2 new", "(nil)"),
            ("ZADD z GT INCR -1 a", "(nil)"),
            ("ZADD nokey XX 1 a", ":0"),
            ("ZADD nokey XX INCR 1 a", "(nil)"),
            ("EXISTS nokey", ":0"),
            ("ZINCRBY z 0.1 a", ",10.1"),
            ("ZINCRBY z 1 zz", ",1"),
            ("ZADD z inf a", ":0"),
            ("ZINCRBY z -inf a", "-ERR resulting score is not a number (NaN)"),
            ("ZSCORE z a", ",inf"),
        ]);
    }

    #[test]
    fn zadd_errors() {
        // Proves every ZADD/ZINCRBY error reply and that score errors come before WRONGTYPE.
        TestDb::new().check(&[
            ("SET s v", "+OK"),
            ("ZADD z 1", "-ERR wrong number of arguments for 'zadd' command"),
            ("ZADD z 1 a 2", "-ERR syntax error"),
            ("ZADD z NX 1", "-ERR syntax error"),
            ("ZADD z NX XX 1 a", "-ERR XX and NX options at the same time are not compatible"),
            ("ZADD z GT LT 1 a", "-ERR GT, LT, and/or NX options at the same time are not compatible"),
            ("ZADD z NX GT 1 a", "-ERR GT, LT, and/or NX options at the same time are not compatible"),
            ("ZADD z INCR 1 a 2 b", "-ERR INCR option supports a single increment-element pair"),
            ("ZADD z nan a", "-ERR value is not a valid float"),
            ("ZADD z 1e-400 a", "-ERR value is not a valid float"),
            ("ZADD s x a", "-ERR value is not a valid float"),
            ("ZADD s 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZINCRBY z nx a", "-ERR syntax error"),
            ("ZINCRBY z x a", "-ERR value is not a valid float"),
            ("ZINCRBY s 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }

    #[test]
    fn encoding_converts_at_the_thresholds() {
        // Proves the listpack → skiplist conversion at 128 entries and 64-byte members, one way.
        let mut db = TestDb::new();
        for i in 0..128 {
            db.cmd(&format!("ZADD z {i} m{i}"));
        }
        assert_eq!(db.encoding("z"), Some("listpack"));
        db.check(&[("ZADD z 1000 last", ":1")]);
        assert_eq!(db.encoding("z"), Some("skiplist"));
        db.check(&[("ZREM z last m1 m2", ":3"), ("ZCARD z", ":126")]);
        assert_eq!(db.encoding("z"), Some("skiplist"));
        let long = "x".repeat(65);
        db.check(&[("ZADD y 1 a", ":1")]);
        db.cmd(&format!("ZADD y 1 {}", &long[..64]));
        assert_eq!(db.encoding("y"), Some("listpack"));
        db.cmd(&format!("ZADD y 1 {long}"));
        assert_eq!(db.encoding("y"), Some("skiplist"));
        db.cmd(&format!("ZADD w 1 {long}"));
        assert_eq!(db.encoding("w"), Some("skiplist"));
    }
}
