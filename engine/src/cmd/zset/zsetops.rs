//! ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
//! ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
//! ZDIFF numkeys key [key ...] [WITHSCORES]
//! ZUNIONSTORE / ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
//! ZDIFFSTORE destination numkeys key [key ...]
//! ZINTERCARD numkeys key [key ...] [LIMIT limit]
//!
//! Redis's `zunionInterDiffGenericCommand`: the keys are looked up and type-checked (sorted sets
//! and plain sets, whose members score 1) before the options are parsed; ZUNION and ZINTER visit
//! the inputs smallest first (a stable sort by size), so sums add up in Redis's order; a NaN
//! from a weight becomes 0 where Redis makes it 0 (union inputs, the first intersection input,
//! sums), and elsewhere loses every MIN/MAX comparison, as in Redis. Results come in (score, member) order; stored
//! results take the listpack encoding when they fit.

use std::collections::BTreeMap;

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::set::SetValue;
use crate::types::zset::{ZsetLimits, ZsetValue};
use crate::value::Value;

use super::{is_opt, parse_score, scored_reply, store_result, Entries};

/// Which set operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

impl Op {
    /// The event the STORE form raises on its destination.
    fn store_event(self) -> &'static str {
        match self {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        }
    }
}

/// How scores of a member found in several inputs combine.
#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                // inf + -inf is NaN; Redis's convention is 0.
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            // C comparisons: a NaN value (an unnormalised weight × score) keeps the target,
            // and -0 does not replace 0.
            Aggregate::Min => {
                if value < *target {
                    *target = value;
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value;
                }
            }
        }
    }
}

/// One input: a sorted set, a set (every member scores 1), or a missing key (empty).
enum Source<'a> {
    Missing,
    Zset(&'a ZsetValue),
    Set(&'a SetValue),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Zset(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Zset(z) => z.score(member),
            Source::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    fn entries(&self) -> Entries {
        match self {
            Source::Missing => Vec::new(),
            Source::Zset(z) => z.to_vec(),
            Source::Set(s) => s.iter().map(|m| (m.into_owned(), 1.0)).collect(),
        }
    }
}

/// What the caller wants back.
enum Output<'a> {
    Reply,
    Store(&'a [u8]),
    Cardinality,
}

/// ZUNION: the union of the inputs.
pub fn zunion(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 1, Op::Union, Output::Reply)
}

/// ZINTER: the intersection of the inputs.
pub fn zinter(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 1, Op::Inter, Output::Reply)
}

/// ZDIFF: the first input minus the others.
pub fn zdiff(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 1, Op::Diff, Output::Reply)
}

/// ZUNIONSTORE: stores the union at `destination` and replies its size.
pub fn zunionstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 2, Op::Union, Output::Store(argv[1]))
}

/// ZINTERSTORE: stores the intersection at `destination` and replies its size.
pub fn zinterstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 2, Op::Inter, Output::Store(argv[1]))
}

/// ZDIFFSTORE: stores the difference at `destination` and replies its size.
pub fn zdiffstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 2, Op::Diff, Output::Store(argv[1]))
}

/// ZINTERCARD: the size of the intersection, counting at most LIMIT (0: no limit).
pub fn zintercard(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    generic(ctx, argv, 1, Op::Inter, Output::Cardinality)
}

fn generic(ctx: &mut Ctx, argv: &[&[u8]], numkeys_at: usize, op: Op, output: Output) -> Result<Reply, CmdError> {
    let setnum = parse_i64(argv[numkeys_at]).ok_or(CmdError::NotInteger)?;
    if setnum < 1 {
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        return Err(CmdError::Message(format!("ERR at least 1 input key is needed for '{name}' command").into()));
    }
    let first_key = numkeys_at + 1;
    if setnum > (argv.len() - first_key) as i64 {
        return Err(CmdError::Syntax);
    }
    let keys = &argv[first_key..first_key + setnum as usize];
    for key in keys {
        if let Some(obj) = ctx.lookup_read(key) {
            if !matches!(obj.value, Value::Zset(_) | Value::Set(_)) {
                return Err(CmdError::WrongType);
            }
        }
    }

    let cardinality_only = matches!(output, Output::Cardinality);
    let store = matches!(output, Output::Store(_));
    let mut weights = vec![1.0; keys.len()];
    let mut aggregate = Aggregate::Sum;
    let (mut withscores, mut limit) = (false, 0usize);
    let mut j = first_key + keys.len();
    while j < argv.len() {
        let remaining = argv.len() - j;
        let opt = argv[j];
        if op != Op::Diff && !cardinality_only && remaining > keys.len() && is_opt(opt, "weights") {
            for (w, arg) in weights.iter_mut().zip(&argv[j + 1..]) {
                *w = parse_score(arg).map_err(|_| CmdError::msg("ERR weight value is not a float"))?;
            }
            j += 1 + keys.len();
        } else if op != Op::Diff && !cardinality_only && remaining >= 2 && is_opt(opt, "aggregate") {
            let how = argv[j + 1];
            aggregate = if is_opt(how, "sum") {
                Aggregate::Sum
            } else if is_opt(how, "min") {
                Aggregate::Min
            } else if is_opt(how, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if !store && !cardinality_only && is_opt(opt, "withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && is_opt(opt, "limit") {
            let n = parse_i64(argv[j + 1]).filter(|&n| n >= 0);
            limit = n.ok_or(CmdError::msg("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }

    let db = &ctx.keyspace.dbs[ctx.db];
    let mut sources: Vec<(Source, f64)> = keys
        .iter()
        .zip(weights)
        .map(|(key, w)| {
            let source = match db.get(key).map(|o| &o.value) {
                Some(Value::Zset(z)) => Source::Zset(z),
                Some(Value::Set(s)) => Source::Set(s),
                _ => Source::Missing,
            };
            (source, w)
        })
        .collect();
    if op != Op::Diff {
        sources.sort_by_key(|(s, _)| s.len());
    }
    let result = match op {
        Op::Union => union(&sources, aggregate),
        Op::Inter => inter(&sources, aggregate, if cardinality_only { limit } else { 0 }),
        Op::Diff => diff(&sources),
    };
    match output {
        Output::Cardinality => Ok(Reply::Int(result.len() as i64)),
        Output::Store(dst) => {
            let limits: ZsetLimits = ctx.zset_limits();
            let zset = ZsetValue::from_entries(result, limits, ctx.rng);
            Ok(store_result(ctx, dst, zset, op.store_event()))
        }
        Output::Reply => {
            let mut result = result;
            sort_entries(&mut result);
            Ok(scored_reply(ctx.resp, result, withscores))
        }
    }
}

/// A weighted score, with Redis's NaN (0 × inf) read as 0.
fn weighted(weight: f64, score: f64) -> f64 {
    let v = weight * score;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn union(sources: &[(Source, f64)], aggregate: Aggregate) -> Entries {
    let mut acc: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
    for (source, weight) in sources {
        for (member, score) in source.entries() {
            let value = weighted(*weight, score);
            match acc.get_mut(&member) {
                Some(target) => aggregate.apply(target, value),
                None => {
                    acc.insert(member, value);
                }
            }
        }
    }
    acc.into_iter().collect()
}

fn inter(sources: &[(Source, f64)], aggregate: Aggregate, limit: usize) -> Entries {
    let Some(((first, first_weight), rest)) = sources.split_first() else { return Vec::new() };
    let mut out = Vec::new();
    'members: for (member, score) in first.entries() {
        let mut total = weighted(*first_weight, score);
        for (source, weight) in rest {
            let Some(score) = source.score(&member) else { continue 'members };
            // Redis normalises NaN (0 × inf) to 0 only for the first input's score.
            aggregate.apply(&mut total, weight * score);
        }
        out.push((member, total));
        if limit != 0 && out.len() >= limit {
            break;
        }
    }
    out
}

fn diff(sources: &[(Source, f64)]) -> Entries {
    let Some(((first, _), rest)) = sources.split_first() else { return Vec::new() };
    first.entries().into_iter().filter(|(m, _)| rest.iter().all(|(s, _)| s.score(m).is_none())).collect()
}

/// Sorts entries in sorted-set order: score, then member bytes.
fn sort_entries(entries: &mut Entries) {
    entries.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn union_inter_diff() {
        // Proves the three operations with weights, aggregates, plain-set inputs and WITHSCORES.
        TestDb::new().check(&[
            ("SADD s x w", ":2"),
            ("ZADD a 1 x 2 y 3 z", ":3"),
            ("ZADD b 10 y 20 z 30 w", ":3"),
            ("ZUNION 2 a b WITHSCORES", "[\"x\", ,1, \"y\", ,12, \"z\", ,23, \"w\", ,30]"),
            ("ZUNION 2 a b WEIGHTS 2 1 AGGREGATE MAX", "[\"x\", \"y\", \"z\", \"w\"]"),
            ("ZINTER 2 a b AGGREGATE MIN WITHSCORES", "[\"y\", ,2, \"z\", ,3]"),
            ("ZINTER 2 a s WITHSCORES WEIGHTS 2 3", "[\"x\", ,5]"),
            ("ZDIFF 2 a b WITHSCORES", "[\"x\", ,1]"),
            ("ZDIFF 2 s a", "[\"w\"]"),
            ("ZUNION 2 a nokey", "[\"x\", \"y\", \"z\"]"),
            ("ZINTER 2 a nokey", "[]"),
            ("ZINTERCARD 2 a b", ":2"),
            ("ZINTERCARD 2 a b LIMIT 1", ":1"),
            ("ZADD i inf m", ":1"),
            ("ZADD j -inf m", ":1"),
            ("ZUNION 2 i j WITHSCORES", "[\"m\", ,0]"),
            ("ZUNION 1 i WEIGHTS 0 WITHSCORES", "[\"m\", ,0]"),
            ("ZINTER 2 i i WEIGHTS 1 0 AGGREGATE MAX WITHSCORES", "[\"m\", ,inf]"),
            ("ZINTER 2 i i WEIGHTS 0 1 AGGREGATE MAX WITHSCORES", "[\"m\", ,inf]"),
            ("ZINTER 2 i i WEIGHTS 1 0 WITHSCORES", "[\"m\", ,0]"),
        ]);
    }

    #[test]
    fn stores() {
        // Proves the STORE forms store, reply the size, delete the destination on an empty
        // result, and take the listpack encoding when small.
        let mut db = TestDb::new();
        db.check(&[
            ("ZADD a 1 x 2 y", ":2"),
            ("ZADD b 5 y", ":1"),
            ("ZUNIONSTORE d 2 a b", ":2"),
            ("ZRANGE d 0 -1 WITHSCORES", "[\"x\", ,1, \"y\", ,7]"),
            ("ZINTERSTORE d 2 a b AGGREGATE MAX", ":1"),
            ("ZRANGE d 0 -1 WITHSCORES", "[\"y\", ,5]"),
            ("ZDIFFSTORE d 2 a b", ":1"),
            ("ZDIFFSTORE d 1 nokey", ":0"),
            ("EXISTS d", ":0"),
        ]);
        for i in 0..200 {
            db.cmd(&format!("ZADD big {i} m{i}"));
        }
        db.check(&[("ZINTERSTORE d 2 big a", ":0"), ("ZUNIONSTORE d 2 big a", ":202")]);
        assert_eq!(db.encoding("d"), Some("skiplist"));
        db.check(&[("ZREMRANGEBYRANK big 3 -1", ":197"), ("ZUNIONSTORE d 1 big", ":3")]);
        assert_eq!(db.encoding("d"), Some("listpack"));
    }

    #[test]
    fn errors() {
        // Proves every error reply and that WRONGTYPE is found before option errors.
        TestDb::new().check(&[
            ("SET s v", "+OK"),
            ("ZUNION 0 a", "-ERR at least 1 input key is needed for 'zunion' command"),
            ("ZINTERCARD 0 a", "-ERR at least 1 input key is needed for 'zintercard' command"),
            ("ZUNION x a", "-ERR value is not an integer or out of range"),
            ("ZUNION 2 a", "-ERR syntax error"),
            ("ZUNION 2 a s WEIGHTS x", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZUNION 1 a WEIGHTS x", "-ERR weight value is not a float"),
            ("ZUNION 1 a WEIGHTS 1 2", "-ERR syntax error"),
            ("ZUNION 1 a AGGREGATE foo", "-ERR syntax error"),
            ("ZDIFF 1 a WEIGHTS 1", "-ERR syntax error"),
            ("ZUNIONSTORE d 1 a WITHSCORES", "-ERR syntax error"),
            ("ZINTERCARD 1 a LIMIT -1", "-ERR LIMIT can't be negative"),
            ("ZINTERCARD 1 a LIMIT x", "-ERR LIMIT can't be negative"),
            ("ZINTERCARD 1 a WEIGHTS 1", "-ERR syntax error"),
            ("ZINTERCARD 1 a WITHSCORES", "-ERR syntax error"),
        ]);
    }
}
