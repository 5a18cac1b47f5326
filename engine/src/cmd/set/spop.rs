//! SPOP key [count]
//! SRANDMEMBER key [count]
//!
//! Redis 7.0.15's `spopCommand`/`spopWithCountCommand` and `srandmemberCommand`. SPOP's count
//! must be a non-negative integer ("value is out of range, must be positive" otherwise) and is
//! checked before the key; its reply is a set (RESP3 `~`), and popping at least the whole set
//! returns it as SUNION would (an intset's members ascending) and deletes the key.
//! SRANDMEMBER's count is range-checked before the key; a positive count gives distinct members
//! (the whole set once it reaches the size), a negative count independent picks that may repeat;
//! its reply is an array. Which members are picked is random, so only this contract is Redis's.

use std::borrow::Cow;

use super::setops::union;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::cmd::hash::hrandfield::pick_distinct;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::set::SetValue;

/// `count` distinct members of `set` (fewer than it holds), as owned bytes.
fn distinct_members(set: &SetValue, count: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    let by_position = matches!(set, SetValue::Intset(_));
    let random = |rng: &mut Rng| set.random(rng).expect("stored sets are never empty");
    let picked = pick_distinct(set.iter(), set.len(), count, by_position, rng, random, |m: &Cow<[u8]>| m.to_vec());
    picked.into_iter().map(Cow::into_owned).collect()
}

/// SPOP: removes and returns one random member, or `count` of them.
pub fn spop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match argv.get(2) {
        None => None,
        Some(arg) => match parse_i64(arg) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return Err(CmdError::msg("ERR value is out of range, must be positive")),
        },
    };
    let intset_max = ctx.config.set_max_intset_entries;
    let empty = || if count.is_some() { Reply::Set(Vec::new()) } else { Reply::Null };
    if ctx.write_set(argv[1])?.is_none() {
        return Ok(empty());
    }
    // The set exists (checked just above), so `set_for_add` below only borrows it with the RNG
    // and never creates anything.
    let Some(count) = count else {
        let (set, rng) = super::set_for_add(ctx, argv[1], b"")?;
        let member = set.random(rng).expect("stored sets are never empty").into_owned();
        set.remove(&member);
        let emptied = set.is_empty();
        ctx.notify(NotifyClass::SET, "spop", argv[1]);
        if emptied {
            ctx.delete_emptied(argv[1]);
        }
        ctx.dirty += 1;
        // Replicas and the AOF must remove the same member, not pick their own.
        ctx.propagate_as(&[b"SREM", argv[1], &member]);
        return Ok(Reply::Bulk(member));
    };
    if count == 0 {
        return Ok(empty());
    }
    let (set, rng) = super::set_for_add(ctx, argv[1], b"")?;
    let size = set.len() as u64;
    if count >= size {
        let whole = union(&[Some(&*set)], intset_max, rng);
        ctx.notify(NotifyClass::SET, "spop", argv[1]);
        ctx.delete_emptied(argv[1]);
        ctx.dirty += 1;
        ctx.propagate_as(&[b"DEL", argv[1]]);
        return Ok(Reply::Set(whole.iter().map(|m| Reply::Bulk(m.into_owned())).collect()));
    }
    let popped = distinct_members(set, count as usize, rng);
    for member in &popped {
        set.remove(member);
    }
    ctx.notify(NotifyClass::SET, "spop", argv[1]);
    ctx.dirty += count;
    // One SREM per member, in the reply's order (Redis 7.0 wraps them in MULTI/EXEC).
    for member in &popped {
        ctx.propagate_also(&[b"SREM", argv[1], member]);
    }
    Ok(Reply::Set(popped.into_iter().map(Reply::Bulk).collect()))
}

/// SRANDMEMBER: one random member, or `count` of them as the sign of `count` asks.
pub fn srandmember(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if argv.len() == 2 {
        let (set, rng) = super::set_for_read(ctx, argv[1])?;
        return Ok(Reply::bulk_or_null(set.and_then(|s| s.random(rng)).map(Cow::into_owned)));
    }
    let count = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    if count == i64::MIN {
        return Err(CmdError::OutOfRange { min: -i64::MAX, max: i64::MAX });
    }
    let (set, rng) = super::set_for_read(ctx, argv[1])?;
    let Some(set) = set else { return Ok(Reply::Array(Vec::new())) };
    let (count, distinct) = (count.unsigned_abs(), count >= 0);
    let members: Vec<Vec<u8>> = if !distinct || count == 1 {
        (0..count).map(|_| set.random(rng).expect("stored sets are never empty").into_owned()).collect()
    } else if count >= set.len() as u64 {
        set.iter().map(Cow::into_owned).collect()
    } else {
        distinct_members(set, count as usize, rng)
    };
    Ok(Reply::Array(members.into_iter().map(Reply::Bulk).collect()))
}

#[cfg(test)]
mod tests {
    use crate::chi_square::CHI_SQUARE_MAX_10_OUTCOMES;
    use crate::cmd::testing::{show, TestDb};
    use crate::reply::Reply;
    use std::collections::BTreeSet;

    const WRONG: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    /// The bulk strings of an array or set reply.
    fn bulks(reply: &Reply) -> Vec<Vec<u8>> {
        let (Reply::Array(items) | Reply::Set(items)) = reply else { panic!("{}", show(reply)) };
        items.iter().map(|i| if let Reply::Bulk(b) = i { b.clone() } else { panic!("{}", show(reply)) }).collect()
    }

    #[test]
    fn spop_and_srandmember_errors_match_redis() {
        // Proves every error and empty reply real Redis 7.0.15 gave for SPOP and SRANDMEMBER,
        // including which checks come before the key's type.
        TestDb::new().check(&[
            ("SET str v", "+OK"),
            ("SPOP nokey", "(nil)"),
            ("SPOP nokey 0", "[]"),
            ("SPOP nokey 2", "[]"),
            ("SPOP nokey -1", "-ERR value is out of range, must be positive"),
            ("SPOP nokey x", "-ERR value is out of range, must be positive"),
            ("SPOP str -1", "-ERR value is out of range, must be positive"),
            ("SPOP str 0", WRONG),
            ("SPOP str", WRONG),
            ("SPOP nokey 1 2", "-ERR syntax error"),
            ("SRANDMEMBER nokey", "(nil)"),
            ("SRANDMEMBER nokey 3", "[]"),
            ("SRANDMEMBER nokey 1 2", "-ERR syntax error"),
            (
                "SRANDMEMBER nokey -9223372036854775808",
                "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ),
            ("SRANDMEMBER str 0", WRONG),
            ("SRANDMEMBER str", WRONG),
            ("SRANDMEMBER str x", "-ERR value is not an integer or out of range"),
            ("SADD s a", ":1"),
            ("SRANDMEMBER s 0", "[]"),
            ("SRANDMEMBER s", "\"a\""),
            ("SRANDMEMBER s -3", "[\"a\", \"a\", \"a\"]"),
            ("SPOP s 0", "[]"),
            ("SPOP", "-ERR wrong number of arguments for 'spop' command"),
            ("SRANDMEMBER", "-ERR wrong number of arguments for 'srandmember' command"),
        ]);
    }

    #[test]
    fn spop_removes_what_it_returns() {
        // Proves SPOP with and without a count removes exactly the members it replies with, in
        // both encodings, and that popping the whole set returns it (ascending for an intset)
        // and deletes the key.
        for members in ["1 2 3 4 5 6 7 8 9 10", "a b c d e f g h i j"] {
            let mut db = TestDb::new();
            db.cmd(&format!("SADD s {members}"));
            let all: BTreeSet<Vec<u8>> = members.split(' ').map(|m| m.as_bytes().to_vec()).collect();
            let mut popped = bulks(&db.run(&[b"SPOP", b"s", b"3"]));
            assert_eq!(popped.len(), 3);
            let Reply::Bulk(one) = db.run(&[b"SPOP", b"s"]) else { panic!() };
            popped.push(one);
            let rest = bulks(&db.run(&[b"SMEMBERS", b"s"]));
            assert_eq!(rest.len(), 6);
            let mut union: BTreeSet<Vec<u8>> = popped.iter().cloned().collect();
            union.extend(rest.iter().cloned());
            assert_eq!(union, all);
            let mut whole = bulks(&db.run(&[b"SPOP", b"s", b"100"]));
            whole.sort();
            let mut rest = rest;
            rest.sort();
            assert_eq!(whole, rest);
            assert_eq!(db.cmd("EXISTS s"), ":0");
        }
        let mut db = TestDb::new();
        db.check(&[("SADD s 3 1 x", ":3"), ("SREM s x", ":1"), ("SPOP s 9", "[\"1\", \"3\"]")]);
    }

    #[test]
    fn srandmember_counts_follow_the_contract() {
        // Proves, for both encodings: a positive count gives that many distinct members (the
        // whole set, in its order, once it reaches the size), a negative count that many picks
        // that may repeat; nothing is removed.
        for members in ["1 2 3 4 5 6 7 8 9 10 11 12", "a b c d e f g h i j k l"] {
            let mut db = TestDb::new();
            db.cmd(&format!("SADD s {members}"));
            let all = bulks(&db.run(&[b"SMEMBERS", b"s"]));
            assert_eq!(bulks(&db.run(&[b"SRANDMEMBER", b"s", b"12"])), all);
            assert_eq!(bulks(&db.run(&[b"SRANDMEMBER", b"s", b"50"])), all);
            for count in [1usize, 2, 3, 5, 11] {
                let n = count.to_string();
                let got = bulks(&db.run(&[b"SRANDMEMBER", b"s", n.as_bytes()]));
                let distinct: BTreeSet<_> = got.iter().collect();
                assert_eq!((got.len(), distinct.len()), (count, count));
                assert!(got.iter().all(|m| all.contains(m)));
            }
            let picks = bulks(&db.run(&[b"SRANDMEMBER", b"s", b"-100"]));
            let distinct: BTreeSet<_> = picks.iter().collect();
            assert!(picks.len() == 100 && distinct.len() > 1 && distinct.len() <= 12);
            assert_eq!(db.cmd("SCARD s"), ":12");
        }
    }

    #[test]
    fn picks_are_fair_in_both_encodings() {
        // Proves SRANDMEMBER (no count, negative, a large and a small positive count) and SPOP
        // (no count, 2, 8, each from the whole set) pass Redis's chi-square check over 10,000
        // seeded draws from 10 members, for an intset and a hashtable set (the hashtable's picks
        // scored ~900 before Dict::random_entry was made uniform).
        for (members, encoding) in
            [("0 1 2 3 4 5 6 7 8 9", "intset"), ("1 5 10 50 125 MARY PATRICIA LINDA BARBARA ELIZABETH", "hashtable")]
        {
            let mut db = TestDb::new();
            let restore = format!("SADD s {members}");
            db.cmd(&restore);
            assert_eq!(db.encoding("s"), Some(encoding));
            let reads =
                ["SRANDMEMBER s", "SRANDMEMBER s -100", "SRANDMEMBER s 8", "SRANDMEMBER s 2"].map(|l| (None, l));
            let pops = ["SPOP s", "SPOP s 2", "SPOP s 8"].map(|l| (Some(restore.as_str()), l));
            for (restore, line) in reads.into_iter().chain(pops) {
                let x2 = db.chi_square_of(restore, line, 10);
                assert!(x2 < CHI_SQUARE_MAX_10_OUTCOMES, "{encoding}: {line}: chi-square {x2:.1}");
            }
        }
    }
}
