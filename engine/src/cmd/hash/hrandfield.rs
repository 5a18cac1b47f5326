//! HRANDFIELD key [count [WITHVALUES]]
//!
//! Redis 7.0.15's `hrandfieldCommand`. Without a count: one random field or nil. With a count
//! (range-checked before the key is looked up; with WITHVALUES it must also lie within
//! ±LONG_MAX/2): a positive count gives distinct fields (the whole hash, in its order, when the
//! count reaches its size), a negative count gives that many independent picks, which may
//! repeat. WITHVALUES pairs each field with its value: a flat array in RESP2, an array of
//! two-element arrays in RESP3. Which fields are picked is random, so only this contract is
//! Redis's; the picks themselves come from the node's RNG.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::hash::HashValue;
use std::collections::BTreeSet;

/// The reply items for one field (and its value) in the client's protocol.
fn push_pair(out: &mut Vec<Reply>, field: &[u8], value: Option<&[u8]>, resp: u8) {
    match value {
        None => out.push(Reply::bulk(field)),
        Some(v) if resp >= 3 => out.push(Reply::Array(vec![Reply::bulk(field), Reply::bulk(v)])),
        Some(v) => out.extend([Reply::bulk(field), Reply::bulk(v)]),
    }
}

/// HRANDFIELD: random fields, as the count asks.
pub fn hrandfield(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if argv.len() == 2 {
        let (hash, rng) = super::hash_for_read(ctx, argv[1])?;
        let picked = hash.and_then(|h| h.random(rng).map(|(f, _)| f.to_vec()));
        return Ok(Reply::bulk_or_null(picked));
    }
    let count = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    if count == i64::MIN {
        return Err(CmdError::OutOfRange { min: -i64::MAX, max: i64::MAX });
    }
    let with_values = match argv.len() {
        3 => false,
        4 if eq_ci(argv[3], "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let resp = ctx.resp;
    let (hash, rng) = super::hash_for_read(ctx, argv[1])?;
    let Some(hash) = hash else { return Ok(Reply::Array(Vec::new())) };
    let mut out = Vec::new();
    let size = hash.len() as u64;
    let (count, distinct) = (count.unsigned_abs(), count >= 0);
    if !distinct || count == 1 {
        for _ in 0..count {
            let (field, value) = hash.random(rng).expect("stored hashes are never empty");
            push_pair(&mut out, field, with_values.then_some(value), resp);
        }
    } else if count >= size {
        for (field, value) in hash.iter() {
            push_pair(&mut out, field, with_values.then_some(value), resp);
        }
    } else {
        let by_position = matches!(hash, HashValue::Listpack(_));
        let random = |rng: &mut Rng| hash.random(rng).expect("stored hashes are never empty");
        let picked = pick_distinct(hash.iter(), hash.len(), count as usize, by_position, rng, random, |p| p.0);
        for (field, value) in picked {
            push_pair(&mut out, field, with_values.then_some(value), resp);
        }
    }
    Ok(Reply::Array(out))
}

/// Random picks per wanted member before a sparse pick gives up and fills from collection order.
const PICKS_PER_MEMBER_MAX: usize = 64;

/// `count` distinct members of a collection of `size` (count < size), for HRANDFIELD and
/// SRANDMEMBER/SPOP. When they are a large share of it (or `by_position`, for a compact
/// encoding), random positions are drawn without replacement and the members returned in
/// collection order from `all`, as Redis's `lpRandomPairsUnique` does; otherwise `random` picks
/// are collected until enough are distinct (Redis's CASE 4), so a small sample of a huge
/// collection costs O(count). `key` names a member for the distinctness check.
pub(crate) fn pick_distinct<T, K: Ord>(
    all: impl Iterator<Item = T>,
    size: usize,
    count: usize,
    by_position: bool,
    rng: &mut Rng,
    mut random: impl FnMut(&mut Rng) -> T,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    assert!(count < size, "a count reaching the size takes the whole collection");
    if by_position || count * SUB_STRATEGY_MUL > size {
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + rng.below((size - i) as u64) as usize;
            positions.swap(i, j);
        }
        let mut chosen = vec![false; size];
        positions[..count].iter().for_each(|&p| chosen[p] = true);
        return all.zip(chosen).filter(|(_, keep)| *keep).map(|(item, _)| item).collect();
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count * PICKS_PER_MEMBER_MAX {
        let item = random(rng);
        if seen.insert(key(&item)) {
            out.push(item);
            if out.len() == count {
                return out;
            }
        }
    }
    for item in all {
        if out.len() == count {
            break;
        }
        if seen.insert(key(&item)) {
            out.push(item);
        }
    }
    out
}

/// Redis's HRANDFIELD_SUB_STRATEGY_MUL: below this ratio of size to count, pick by position.
const SUB_STRATEGY_MUL: usize = 3;

#[cfg(test)]
mod tests {
    use crate::chi_square::CHI_SQUARE_MAX_10_OUTCOMES;
    use crate::cmd::testing::{show, TestDb};
    use crate::reply::Reply;
    use std::collections::BTreeSet;

    /// The bulk strings of a flat array reply.
    fn bulks(reply: &Reply) -> Vec<Vec<u8>> {
        let Reply::Array(items) = reply else { panic!("{}", show(reply)) };
        items.iter().map(|i| if let Reply::Bulk(b) = i { b.clone() } else { panic!("{}", show(reply)) }).collect()
    }

    #[test]
    fn hrandfield_errors_and_empty_replies_match_redis() {
        // Proves every HRANDFIELD error real Redis 7.0.15 gave, checked before the key, and the
        // nil / empty replies for missing keys and count 0.
        let mut db = TestDb::new();
        db.check(&[
            ("HRANDFIELD nokey", "(nil)"),
            ("HRANDFIELD nokey 3", "[]"),
            ("HRANDFIELD nokey -3 WITHVALUES", "[]"),
            ("HRANDFIELD nokey 1 foo", "-ERR syntax error"),
            ("HRANDFIELD nokey 1 withvalues x", "-ERR syntax error"),
            ("HRANDFIELD nokey x", "-ERR value is not an integer or out of range"),
            (
                "HRANDFIELD nokey -9223372036854775808",
                "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ),
            ("HRANDFIELD nokey 4611686018427387904 WITHVALUES", "-ERR value is out of range"),
            ("HRANDFIELD nokey -4611686018427387904 WITHVALUES", "-ERR value is out of range"),
            ("HRANDFIELD nokey 4611686018427387903 WITHVALUES", "[]"),
            ("SET s v", "+OK"),
            ("HRANDFIELD s", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("HRANDFIELD s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("HRANDFIELD s x", "-ERR value is not an integer or out of range"),
            ("HSET h a 1", ":1"),
            ("HRANDFIELD h", "\"a\""),
            ("HRANDFIELD h 0", "[]"),
            ("HRANDFIELD h 5 WITHVALUES", "[\"a\", \"1\"]"),
            ("HRANDFIELD h -3", "[\"a\", \"a\", \"a\"]"),
            ("HRANDFIELD h -2 WITHVALUES", "[\"a\", \"1\", \"a\", \"1\"]"),
            ("HRANDFIELD", "-ERR wrong number of arguments for 'hrandfield' command"),
        ]);
        db.resp = 3;
        db.check(&[
            ("HRANDFIELD h -2 WITHVALUES", "[[\"a\", \"1\"], [\"a\", \"1\"]]"),
            ("HRANDFIELD h 1 WITHVALUES", "[[\"a\", \"1\"]]"),
            ("HRANDFIELD h 1", "[\"a\"]"),
        ]);
    }

    #[test]
    fn counts_follow_the_contract_in_both_encodings() {
        // Proves, for a listpack and a hashtable hash: a positive count gives that many distinct
        // fields (all of them, in hash order, once it reaches the size), a negative count that
        // many picks that may repeat, and WITHVALUES pairs each field with its own value.
        for entries_max in [512, 8] {
            let mut db = TestDb::new();
            db.config.hash_max_listpack_entries = entries_max;
            for i in 0..20 {
                db.cmd(&format!("HSET h f{i} v{i}"));
            }
            let all = bulks(&db.run(&[b"HKEYS", b"h"]));
            assert_eq!(bulks(&db.run(&[b"HRANDFIELD", b"h", b"20"])), all);
            assert_eq!(bulks(&db.run(&[b"HRANDFIELD", b"h", b"100"])), all);
            for count in [1usize, 2, 6, 7, 19] {
                let n = count.to_string();
                let got = bulks(&db.run(&[b"HRANDFIELD", b"h", n.as_bytes()]));
                let distinct: BTreeSet<_> = got.iter().cloned().collect();
                assert_eq!((got.len(), distinct.len()), (count, count), "count {count}");
                assert!(distinct.iter().all(|f| all.contains(f)));
            }
            let picks = bulks(&db.run(&[b"HRANDFIELD", b"h", b"-200"]));
            let distinct: BTreeSet<_> = picks.iter().collect();
            assert_eq!(picks.len(), 200);
            assert!(distinct.len() < 200 && distinct.len() > 1, "repeats happen, and not always the same field");
            let pairs = bulks(&db.run(&[b"HRANDFIELD", b"h", b"-30", b"WITHVALUES"]));
            assert_eq!(pairs.len(), 60);
            assert!(pairs.chunks(2).all(|p| p[0][1..] == p[1][1..]));
            let pairs = bulks(&db.run(&[b"HRANDFIELD", b"h", b"5", b"WITHVALUES"]));
            assert_eq!(pairs.len(), 10);
            assert!(pairs.chunks(2).all(|p| p[0][1..] == p[1][1..]));
        }
    }

    #[test]
    fn picks_are_fair_in_both_encodings() {
        // Proves HRANDFIELD (no count, negative, a large and a small positive count) passes
        // Redis's chi-square check over 10,000 seeded draws from 10 fields, for a listpack and a
        // hashtable hash (the hashtable's picks scored ~900 before Dict::random_entry was fixed).
        for (entries_max, encoding) in [(128, "listpack"), (4, "hashtable")] {
            let mut db = TestDb::new();
            db.config.hash_max_listpack_entries = entries_max;
            db.cmd("HSET h f0 v f1 v f2 v f3 v f4 v f5 v f6 v f7 v f8 v f9 v");
            assert_eq!(db.encoding("h"), Some(encoding));
            for line in ["HRANDFIELD h", "HRANDFIELD h -100", "HRANDFIELD h 8", "HRANDFIELD h 2"] {
                let x2 = db.chi_square_of(None, line, 10);
                assert!(x2 < CHI_SQUARE_MAX_10_OUTCOMES, "{encoding}: {line}: chi-square {x2:.1}");
            }
        }
    }
}
