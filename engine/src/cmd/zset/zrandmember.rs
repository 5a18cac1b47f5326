//! ZRANDMEMBER key [count [WITHSCORES]]
//!
//! Redis's `zrandmemberCommand`: without a count, one random member or nil. A negative count
//! draws that many with repetition; a positive count draws distinct members, and when it covers
//! the whole set the whole set is returned in rank order (as Redis does). Which members and in
//! what order are otherwise random, drawn from the node's RNG: the contract, not the bytes,
//! matches Redis. RESP3 WITHSCORES replies `[member, score]` pairs.

use std::collections::BTreeSet;

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

use super::{scored_reply, zset_with_rng};

/// Picks larger than this many draws per member use removal from a copy instead of rejection
/// sampling (Redis's ZRANDMEMBER_SUB_STRATEGY_MUL).
const SUB_STRATEGY_MUL: usize = 3;

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
    if argv.len() > 4 || (argv.len() == 4 && !eq_ci(argv[3], "withscores")) {
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
        zset.to_vec()
    } else if wanted as usize * SUB_STRATEGY_MUL > len {
        // Most of the set: drop random members from a copy until `wanted` remain.
        let mut all = zset.to_vec();
        while all.len() > wanted as usize {
            let i = rng.below(all.len() as u64) as usize;
            all.swap_remove(i);
        }
        all
    } else {
        // A small part: draw until `wanted` distinct members are in (bounded, as each draw
        // succeeds with probability above 2/3).
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(wanted as usize);
        while out.len() < wanted as usize {
            let (m, s) = zset.random(rng);
            if seen.insert(m.to_vec()) {
                out.push((m.to_vec(), s));
            }
        }
        out
    };
    Ok(scored_reply(resp, entries, withscores))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{show, TestDb};

    #[test]
    fn zrandmember_contract_and_errors() {
        // Proves the reply shapes and sizes for each count form, the whole-set case in rank
        // order, and every error reply.
        let mut db = TestDb::new();
        db.check(&[
            ("ZRANDMEMBER z", "(nil)"),
            ("ZRANDMEMBER z 3", "[]"),
            ("ZADD z 1 a 2 b 3 c", ":3"),
            ("ZRANDMEMBER z 0", "[]"),
            ("ZRANDMEMBER z 5 WITHSCORES", "[\"a\", ,1, \"b\", ,2, \"c\", ,3]"),
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
}
