//! SISMEMBER key member
//! SMISMEMBER key member [member ...]
//! SCARD key
//! SMEMBERS key
//!
//! Membership and size reads; a missing key reads as an empty set. SMEMBERS is a set reply
//! (RESP3 `~`): ascending for an intset, table order for a hash table (verdis's table order
//! differs from Redis's, as Redis's own does between runs).

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// SISMEMBER: 1 if `member` is in the set, else 0.
pub fn sismember(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(i64::from(ctx.read_set(argv[1])?.is_some_and(|s| s.contains(argv[2])))))
}

/// SMISMEMBER: 1 or 0 for each member.
pub fn smismember(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let set = ctx.read_set(argv[1])?;
    let found = argv[2..].iter().map(|m| Reply::Int(i64::from(set.is_some_and(|s| s.contains(m)))));
    Ok(Reply::Array(found.collect()))
}

/// SCARD: the number of members.
pub fn scard(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.read_set(argv[1])?.map_or(0, |s| s.len() as i64)))
}

/// SMEMBERS: every member.
pub fn smembers(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let set = ctx.read_set(argv[1])?;
    Ok(Reply::Set(set.map_or_else(Vec::new, |s| s.iter().map(|m| Reply::Bulk(m.into_owned())).collect())))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn membership_reads_match_redis() {
        // Proves SISMEMBER, SMISMEMBER, SCARD and SMEMBERS on both encodings and missing keys,
        // with their WRONGTYPE and arity errors.
        let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value";
        TestDb::new().check(&[
            ("SADD i 5 1", ":2"),
            ("SADD s a", ":1"),
            ("SISMEMBER i 5", ":1"),
            ("SISMEMBER i 05", ":0"),
            ("SISMEMBER i x", ":0"),
            ("SISMEMBER s a", ":1"),
            ("SISMEMBER nokey a", ":0"),
            ("SMISMEMBER i 1 2 5", "[:1, :0, :1]"),
            ("SMISMEMBER nokey a b", "[:0, :0]"),
            ("SCARD i", ":2"),
            ("SCARD nokey", ":0"),
            ("SMEMBERS i", "[\"1\", \"5\"]"),
            ("SMEMBERS s", "[\"a\"]"),
            ("SMEMBERS nokey", "[]"),
            ("SET str v", "+OK"),
            ("SISMEMBER str a", wrong),
            ("SMISMEMBER str a", wrong),
            ("SCARD str", wrong),
            ("SMEMBERS str", wrong),
            ("SISMEMBER s", "-ERR wrong number of arguments for 'sismember' command"),
            ("SMISMEMBER s", "-ERR wrong number of arguments for 'smismember' command"),
            ("SCARD", "-ERR wrong number of arguments for 'scard' command"),
            ("SMEMBERS a b", "-ERR wrong number of arguments for 'smembers' command"),
        ]);
    }
}
