//! ZCARD key
//! ZSCORE key member
//! ZMSCORE key member [member ...]
//! ZRANK key member
//! ZREVRANK key member
//!
//! Point reads. Scores are doubles (RESP3 `,`; bulk `%.17g` in RESP2).

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// ZCARD: the number of members (0 for a missing key).
pub fn zcard(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.read_zset(argv[1])?.map_or(0, |z| z.len() as i64)))
}

/// ZSCORE: the member's score, or null.
pub fn zscore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let score = ctx.read_zset(argv[1])?.and_then(|z| z.score(argv[2]));
    Ok(score.map_or(Reply::Null, Reply::Double))
}

/// ZMSCORE: each member's score, or null.
pub fn zmscore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let zset = ctx.read_zset(argv[1])?;
    let scores = argv[2..].iter().map(|m| zset.as_ref().and_then(|z| z.score(m)).map_or(Reply::Null, Reply::Double));
    Ok(Reply::Array(scores.collect()))
}

/// ZRANK: the member's 0-based rank by ascending score, or null.
pub fn zrank(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    rank_reply(ctx, argv, false)
}

/// ZREVRANK: the member's 0-based rank by descending score, or null.
pub fn zrevrank(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    rank_reply(ctx, argv, true)
}

fn rank_reply(ctx: &mut Ctx, argv: &[&[u8]], rev: bool) -> Result<Reply, CmdError> {
    let Some(zset) = ctx.read_zset(argv[1])? else { return Ok(Reply::Null) };
    let len = zset.len();
    Ok(zset.rank(argv[2]).map_or(Reply::Null, |r| Reply::Int(if rev { len - 1 - r } else { r } as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn point_reads() {
        // Proves ZCARD/ZSCORE/ZMSCORE/ZRANK/ZREVRANK replies, scores as doubles (-0 read back as
        // 0 from a listpack, as Redis), nils and WRONGTYPE.
        TestDb::new().check(&[
            ("ZCARD z", ":0"),
            ("ZSCORE z a", "(nil)"),
            ("ZMSCORE z a b", "[(nil), (nil)]"),
            ("ZRANK z a", "(nil)"),
            ("ZADD z 0.1 a 2 b -0 c", ":3"),
            ("ZCARD z", ":3"),
            ("ZSCORE z a", ",0.1"),
            ("ZSCORE z c", ",0"),
            ("ZMSCORE z b x a", "[,2, (nil), ,0.1]"),
            ("ZRANK z c", ":0"),
            ("ZRANK z b", ":2"),
            ("ZREVRANK z b", ":0"),
            ("ZREVRANK z x", "(nil)"),
            ("SET s v", "+OK"),
            ("ZCARD s", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZSCORE s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZMSCORE s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZRANK s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("ZMSCORE z", "-ERR wrong number of arguments for 'zmscore' command"),
            ("ZRANK z a b", "-ERR wrong number of arguments for 'zrank' command"),
        ]);
    }

    #[test]
    fn resp3_scores_are_doubles() {
        // Proves scores reply as RESP3 doubles.
        let mut db = TestDb::new();
        db.resp = 3;
        db.check(&[("ZADD z 1.5 a", ":1"), ("ZSCORE z a", ",1.5"), ("ZMSCORE z a x", "[,1.5, (nil)]")]);
    }
}
