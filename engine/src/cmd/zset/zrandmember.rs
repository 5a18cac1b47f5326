//! ZRANDMEMBER key [count [WITHSCORES]]
//!
//! Redis's `zrandmemberCommand`: without a count, one random member or nil. A negative count
//! draws that many with repetition; a positive count draws distinct members (HRANDFIELD's
//! `pick_distinct`), and when it covers the whole set the whole set is returned in descending
//! rank order (as Redis does). Which members and in what order are otherwise random, drawn from the node's
//! RNG: the contract, not the bytes, matches Redis. RESP3 WITHSCORES replies `[member, score]`
//! pairs.

use crate::cmd::ctx::Ctx;
use crate::cmd::hash::hrandfield::pick_distinct;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::zset::ZsetValue;

use super::{is_opt, scored_reply, zset_with_rng};

/// ZRANDMEMBER: random members, optionally with scores.
pub fn zrandmember(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if argv.len() == 2 {
        if ctx.read_zset(argv[1])?.is_none() {
            return Ok(Reply::Null);
        }
        let (zset, rng) = zset_with_rng(ctx, argv[1]);
        let (member, _) = zset.random(rng);
        return Ok(Reply::bulk(member));
    }
    let count = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    if count == i64::MIN {
        return Err(CmdError::OutOfRange { min: -i64::MAX, max: i64::MAX });
    }
    if argv.len() > 4 || (argv.len() == 4 && !is_opt(argv[3], "withscores")) {
        return Err(CmdError::Syntax);
    }
    let withscores = argv.len() == 4;
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let resp = ctx.resp;
    if ctx.read_zset(argv[1])?.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    let (zset, rng) = zset_with_rng(ctx, argv[1]);
    let len = zset.len();
    let wanted = count.unsigned_abs();
    if wanted == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let entries = if count < 0 || wanted == 1 {
        // Repetition allowed: independent uniform draws.
        let draws = usize::try_from(wanted).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for _ in 0..draws {
            let (m, s) = zset.random(rng);
            out.push((m.to_vec(), s));
        }
        out
    } else if wanted >= len as u64 {
        // The whole set, highest score first, as Redis replies it.
        let mut all = zset.to_vec();
        all.reverse();
        all
    } else {
        let by_position = matches!(zset, ZsetValue::Listpack(_));
        let random = |rng: &mut Rng| zset.random(rng);
        let picked = pick_distinct(zset.iter(), len, wanted as usize, by_position, rng, random, |e| e.0);
        picked.into_iter().map(|(m, s)| (m.to_vec(), s)).collect()
    };
    Ok(scored_reply(resp, entries, withscores))
}

#[cfg(test)]
mod tests {
    use crate::chi_square::CHI_SQUARE_MAX_10_OUTCOMES;
    use crate::cmd::testing::{show, TestDb};
    use crate::reply::Reply;

    #[test]
    fn zrandmember_contract_and_errors() {
        // Proves the reply shapes and sizes for each count form, the whole-set case in
        // descending rank order, and every error reply.
        let mut db = TestDb::new();
        db.check(&[
            ("ZRANDMEMBER z", "(nil)"),
            ("ZRANDMEMBER z 3", "[]"),
            ("ZADD z 1 a 2 b 3 c", ":3"),
            ("ZRANDMEMBER z 0", "[]"),
            ("ZRANDMEMBER z 5 WITHSCORES", "[\"c\", ,3, \"b\", ,2, \"a\", ,1]"),
            ("ZRANDMEMBER z x", "-ERR value is not an integer or out of range"),
            (
                "ZRANDMEMBER z -9223372036854775808",
                "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ),
            ("ZRANDMEMBER z 9223372036854775807 WITHSCORES", "-ERR value is out of range"),
            ("ZRANDMEMBER z 1 foo", "-ERR syntax error"),
            ("ZRANDMEMBER nokey 1 foo", "-ERR syntax error"),
            ("ZRANDMEMBER z 1 WITHSCORES x", "-ERR syntax error"),
            ("SET s v", "+OK"),
            ("ZRANDMEMBER s", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
        let one = db.cmd("ZRANDMEMBER z");
        assert!(["\"a\"", "\"b\"", "\"c\""].contains(&one.as_str()), "{one}");
        assert_eq!(db.cmd("ZRANDMEMBER z -7").matches(", ").count(), 6);
        let two = db.cmd("ZRANDMEMBER z 2");
        assert_eq!(two.matches(", ").count(), 1);
        assert_ne!(two[1..4], two[6..9], "distinct members");
        db.resp = 3;
        let reply = show(&db.run(&[b"ZRANDMEMBER", b"z", b"-2", b"WITHSCORES"]));
        assert!(reply.starts_with("[[\""), "{reply}");
    }

    #[test]
    fn zrandmember_distinct_picks_of_a_skiplist() {
        // Proves positive counts give distinct members of a skiplist-encoded set, both for a
        // small sample (random picks) and a large share (picks by position), with their scores.
        let mut db = TestDb::new();
        for i in 0..200 {
            db.cmd(&format!("ZADD z {i} m{i}"));
        }
        assert_eq!(db.encoding("z"), Some("skiplist"));
        for count in ["5", "150"] {
            let Reply::Array(items) = db.run(&[b"ZRANDMEMBER", b"z", count.as_bytes(), b"WITHSCORES"]) else {
                panic!("not an array")
            };
            let mut members = std::collections::BTreeSet::new();
            for pair in items.chunks(2) {
                let [Reply::Bulk(m), Reply::Double(s)] = pair else { panic!("{pair:?}") };
                assert_eq!(m[1..], s.to_string().into_bytes()[..]);
                members.insert(m.clone());
            }
            assert_eq!(members.len().to_string(), count);
        }
    }

    #[test]
    fn picks_are_fair_in_both_encodings() {
        // Proves ZRANDMEMBER (no count, negative, a large and a small positive count) passes
        // Redis's chi-square check over 10,000 seeded draws from 10 members, for a listpack and
        // a skiplist (whose member dict's picks scored ~1100 before Dict::random_entry was fixed).
        // Three sets per encoding: each skiplist's dict hashes with its own keys, and one of them
        // may happen to give every member a bucket of its own.
        for (entries_max, encoding) in [(128, "listpack"), (4, "skiplist")] {
            let mut db = TestDb::new();
            db.config.zset_max_listpack_entries = entries_max;
            for key in ["z0", "z1", "z2"] {
                db.cmd(&format!("ZADD {key} 0 m0 1 m1 2 m2 3 m3 4 m4 5 m5 6 m6 7 m7 8 m8 9 m9"));
                assert_eq!(db.encoding(key), Some(encoding));
                for count in ["", " -100", " 8", " 2"] {
                    let line = format!("ZRANDMEMBER {key}{count}");
                    let x2 = db.chi_square_of(None, &line, 10);
                    assert!(x2 < CHI_SQUARE_MAX_10_OUTCOMES, "{encoding}: {line}: chi-square {x2:.1}");
                }
            }
        }
    }
}
