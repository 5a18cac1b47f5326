//! SINTER key [key ...]
//! SINTERCARD numkeys key [key ...] [LIMIT limit]
//! SINTERSTORE destination key [key ...]
//! SUNION key [key ...]
//! SUNIONSTORE destination key [key ...]
//! SDIFF key [key ...]
//! SDIFFSTORE destination key [key ...]
//!
//! Redis 7.0.15's `sinterGenericCommand` and `sunionDiffGenericCommand`. Every key is looked up
//! and type-checked in order (a missing key is an empty set, and does not stop the type checks).
//! SINTER replies in the order of its smallest input; the other results are built as Redis
//! builds them, starting as an intset and converting as members arrive, so an all-integer
//! result is ascending. The STORE forms replace the destination (dropping its TTL) or delete it
//! when the result is empty, and reply with the result's size.

use std::borrow::Cow;

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::set::{Intset, SetValue};
use crate::value::Value;

/// The sets at `keys` (None for a missing key), type-checked in order, with the RNG.
fn lookup_sets<'c>(ctx: &'c mut Ctx, keys: &[&[u8]]) -> Result<(Vec<Option<&'c SetValue>>, &'c mut Rng), CmdError> {
    // Read lookups for the STORE forms too, as Redis 7.0's sinterGenericCommand and
    // sunionDiffGenericCommand do: a missing source counts a miss and raises `keymiss`.
    for key in keys {
        ctx.read_set(key)?;
    }
    let Ctx { keyspace, db, rng, .. } = ctx;
    let db = &keyspace.dbs[*db];
    let sets = keys
        .iter()
        .map(|k| match db.get(k).map(|o| &o.value) {
            None => None,
            Some(Value::Set(s)) => Some(s),
            Some(_) => unreachable!("type-checked above"),
        })
        .collect();
    Ok((sets, rng))
}

/// The members of the intersection, in the order of the smallest set (empty if any is missing),
/// stopping after `limit` members when it is not 0.
fn intersection<'s>(sets: &[Option<&'s SetValue>], limit: usize) -> Vec<Cow<'s, [u8]>> {
    let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else { return Vec::new() };
    present.sort_by_key(|s| s.len());
    let (smallest, others) = present.split_first().expect("at least one key");
    let mut out = Vec::new();
    for member in smallest.iter() {
        if others.iter().all(|s| s.contains(&member)) {
            out.push(member);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

/// A result set built as Redis builds one: an intset first, converting as members arrive.
fn build<'m>(members: impl Iterator<Item = Cow<'m, [u8]>>, intset_max: usize, rng: &mut Rng) -> SetValue {
    let mut out = SetValue::Intset(Intset::default());
    for member in members {
        out.add(&member, intset_max, rng);
    }
    out
}

/// The union of `sets` (missing ones are empty), built as SUNION builds it.
pub(super) fn union(sets: &[Option<&SetValue>], intset_max: usize, rng: &mut Rng) -> SetValue {
    build(sets.iter().flatten().flat_map(|s| s.iter()), intset_max, rng)
}

/// The members of the first set that are in none of the others.
fn difference(sets: &[Option<&SetValue>], intset_max: usize, rng: &mut Rng) -> SetValue {
    let Some((Some(first), others)) = sets.split_first() else { return build(std::iter::empty(), intset_max, rng) };
    let kept = first.iter().filter(|m| others.iter().flatten().all(|s| !s.contains(m)));
    build(kept, intset_max, rng)
}

/// Stores `result` at `dst` raising `event` (or deletes `dst`, raising `del`, when it is
/// empty) and replies with its size.
fn store(ctx: &mut Ctx, dst: &[u8], result: SetValue, event: &'static str) -> Reply {
    let size = result.len() as i64;
    if size > 0 {
        ctx.set_key(dst, Value::Set(result), false);
        ctx.notify(NotifyClass::SET, event, dst);
        ctx.dirty += 1;
    } else if ctx.db().delete(dst).is_some() {
        ctx.notify(NotifyClass::GENERIC, "del", dst);
        ctx.dirty += 1;
    }
    Reply::Int(size)
}

fn set_reply<'m>(members: impl Iterator<Item = Cow<'m, [u8]>>) -> Reply {
    Reply::Set(members.map(|m| Reply::Bulk(m.into_owned())).collect())
}

/// SINTER: the members every set has.
pub fn sinter(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (sets, _) = lookup_sets(ctx, &argv[1..])?;
    Ok(set_reply(intersection(&sets, 0).into_iter()))
}

/// SINTERCARD: how many members every set has, counting up to LIMIT (0: no limit).
pub fn sintercard(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let numkeys =
        parse_i64(argv[1]).filter(|&n| n >= 1).ok_or(CmdError::msg("ERR numkeys should be greater than 0"))?;
    if numkeys as u64 > argv.len() as u64 - 2 {
        return Err(CmdError::msg("ERR Number of keys can't be greater than number of args"));
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0;
    let mut i = keys_end;
    while i < argv.len() {
        if crate::cmd::args::eq_ci(argv[i], "limit") && i + 1 < argv.len() {
            limit = parse_i64(argv[i + 1]).filter(|&n| n >= 0).ok_or(CmdError::msg("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let (sets, _) = lookup_sets(ctx, &argv[2..keys_end])?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(Reply::Int(intersection(&sets, limit).len() as i64))
}

/// SINTERSTORE: stores the intersection at `destination`.
pub fn sinterstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let intset_max = ctx.config.set_max_intset_entries;
    let (sets, rng) = lookup_sets(ctx, &argv[2..])?;
    let result = build(intersection(&sets, 0).into_iter(), intset_max, rng);
    Ok(store(ctx, argv[1], result, "sinterstore"))
}

/// SUNION: the members of any set.
pub fn sunion(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let intset_max = ctx.config.set_max_intset_entries;
    let (sets, rng) = lookup_sets(ctx, &argv[1..])?;
    Ok(set_reply(union(&sets, intset_max, rng).iter()))
}

/// SUNIONSTORE: stores the union at `destination`.
pub fn sunionstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let intset_max = ctx.config.set_max_intset_entries;
    let (sets, rng) = lookup_sets(ctx, &argv[2..])?;
    let result = union(&sets, intset_max, rng);
    Ok(store(ctx, argv[1], result, "sunionstore"))
}

/// SDIFF: the members of the first set in none of the others.
pub fn sdiff(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let intset_max = ctx.config.set_max_intset_entries;
    let (sets, rng) = lookup_sets(ctx, &argv[1..])?;
    Ok(set_reply(difference(&sets, intset_max, rng).iter()))
}

/// SDIFFSTORE: stores the difference at `destination`.
pub fn sdiffstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let intset_max = ctx.config.set_max_intset_entries;
    let (sets, rng) = lookup_sets(ctx, &argv[2..])?;
    let result = difference(&sets, intset_max, rng);
    Ok(store(ctx, argv[1], result, "sdiffstore"))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    const WRONG: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn set_algebra_matches_redis() {
        // Proves SINTER/SUNION/SDIFF results on intsets (ascending, as Redis builds them),
        // missing keys as empty sets, and WRONGTYPE from any key even after a missing one.
        TestDb::new().check(&[
            ("SADD a 5 1 3 9", ":4"),
            ("SADD b 3 9 7", ":3"),
            ("SADD c x 3", ":2"),
            ("SINTER a b", "[\"3\", \"9\"]"),
            ("SINTER a b c", "[\"3\"]"),
            ("SINTER a nokey", "[]"),
            ("SINTER a", "[\"1\", \"3\", \"5\", \"9\"]"),
            ("SUNION b a", "[\"1\", \"3\", \"5\", \"7\", \"9\"]"),
            ("SUNION nokey b", "[\"3\", \"7\", \"9\"]"),
            ("SDIFF a b", "[\"1\", \"5\"]"),
            ("SDIFF a b c nokey", "[\"1\", \"5\"]"),
            ("SDIFF a a", "[]"),
            ("SDIFF nokey a", "[]"),
            ("SDIFF c a", "[\"x\"]"),
            ("SET str v", "+OK"),
            ("SINTER nokey str", WRONG),
            ("SUNION nokey str", WRONG),
            ("SDIFF nokey str", WRONG),
            ("SDIFF str nokey", WRONG),
            ("SINTER", "-ERR wrong number of arguments for 'sinter' command"),
            ("SUNION", "-ERR wrong number of arguments for 'sunion' command"),
            ("SDIFF", "-ERR wrong number of arguments for 'sdiff' command"),
        ]);
    }

    #[test]
    fn sintercard_matches_redis() {
        // Proves SINTERCARD's count and LIMIT, and every argument error real Redis 7.0.15 gave.
        TestDb::new().check(&[
            ("SADD a 1 2 3 4", ":4"),
            ("SADD b 2 3 4 5", ":4"),
            ("SINTERCARD 2 a b", ":3"),
            ("SINTERCARD 2 a b LIMIT 2", ":2"),
            ("SINTERCARD 2 a b limit 0", ":3"),
            ("SINTERCARD 1 a LIMIT 1 LIMIT 9", ":4"),
            ("SINTERCARD 2 a nokey", ":0"),
            ("SINTERCARD 0 a", "-ERR numkeys should be greater than 0"),
            ("SINTERCARD x a", "-ERR numkeys should be greater than 0"),
            ("SINTERCARD 2 a", "-ERR Number of keys can't be greater than number of args"),
            ("SINTERCARD 1 a LIMIT -1", "-ERR LIMIT can't be negative"),
            ("SINTERCARD 1 a LIMIT x", "-ERR LIMIT can't be negative"),
            ("SINTERCARD 1 a foo", "-ERR syntax error"),
            ("SINTERCARD 1 a LIMIT", "-ERR syntax error"),
            ("SET str v", "+OK"),
            ("SINTERCARD 1 str", WRONG),
            ("SINTERCARD 2 nokey str", WRONG),
            ("SINTERCARD 1", "-ERR wrong number of arguments for 'sintercard' command"),
        ]);
    }

    #[test]
    fn store_forms_replace_or_delete_the_destination() {
        // Proves the STORE forms write the result (dropping the destination's TTL and type),
        // delete the destination for an empty result, reply with the size, and build the
        // result's encoding as Redis does.
        let mut db = TestDb::new();
        db.check(&[
            ("SADD a 1 2 3", ":3"),
            ("SADD b 2 3 x", ":3"),
            ("SET d v EX 100", "+OK"),
            ("SINTERSTORE d a b", ":2"),
            ("SMEMBERS d", "[\"2\", \"3\"]"),
            ("SUNIONSTORE u a b", ":4"),
            ("SDIFFSTORE df a b", ":1"),
            ("SMEMBERS df", "[\"1\"]"),
            ("SINTERSTORE d a nokey", ":0"),
            ("EXISTS d", ":0"),
            ("SDIFFSTORE df a a", ":0"),
            ("EXISTS df", ":0"),
            ("SUNIONSTORE n nokey", ":0"),
            ("SET str v", "+OK"),
            ("SINTERSTORE str nokey", ":0"),
            ("GET str", "(nil)"),
            ("SET str v", "+OK"),
            ("SINTERSTORE d nokey str", WRONG),
            ("SUNIONSTORE d a str", WRONG),
            ("SDIFFSTORE d str", WRONG),
            ("SINTERSTORE d", "-ERR wrong number of arguments for 'sinterstore' command"),
        ]);
        assert_eq!(db.encoding("u"), Some("hashtable"));
        db.check(&[("SINTERSTORE d a b", ":2")]);
        assert_eq!((db.encoding("d"), db.ttl_ms("d")), (Some("intset"), None));
    }
}
