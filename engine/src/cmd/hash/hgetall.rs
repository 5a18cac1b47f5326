//! HKEYS key
//! HVALS key
//! HGETALL key
//!
//! Redis's `genericHgetallCommand`: a small hash lists its fields in insertion order, a large
//! one in table order (verdis's order differs from Redis's there, as Redis's own does between
//! runs). HGETALL is a map in RESP3 and a flat array in RESP2.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// HKEYS: every field.
pub fn hkeys(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let hash = ctx.read_hash(argv[1])?;
    Ok(Reply::Array(hash.map_or_else(Vec::new, |h| h.iter().map(|(f, _)| Reply::bulk(f)).collect())))
}

/// HVALS: every value.
pub fn hvals(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let hash = ctx.read_hash(argv[1])?;
    Ok(Reply::Array(hash.map_or_else(Vec::new, |h| h.iter().map(|(_, v)| Reply::bulk(v)).collect())))
}

/// HGETALL: every field and value.
pub fn hgetall(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let hash = ctx.read_hash(argv[1])?;
    let pairs = hash.map_or_else(Vec::new, |h| h.iter().map(|(f, v)| (Reply::bulk(f), Reply::bulk(v))).collect());
    Ok(Reply::Map(pairs))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn whole_hash_reads_keep_listpack_order() {
        // Proves HKEYS, HVALS and HGETALL list a small hash in Redis's insertion order (updates
        // keep a field's place, deletes close the gap), empty replies for a missing key, and
        // their errors.
        let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value";
        let mut db = TestDb::new();
        db.check(&[
            ("HSET h z 1 a 2 m 3", ":3"),
            ("HSET h z 9", ":0"),
            ("HDEL h a", ":1"),
            ("HSET h b 4", ":1"),
            ("HKEYS h", "[\"z\", \"m\", \"b\"]"),
            ("HVALS h", "[\"9\", \"3\", \"4\"]"),
            ("HGETALL h", "{\"z\": \"9\", \"m\": \"3\", \"b\": \"4\"}"),
            ("HKEYS nokey", "[]"),
            ("HVALS nokey", "[]"),
            ("HGETALL nokey", "{}"),
            ("SET s v", "+OK"),
            ("HKEYS s", wrong),
            ("HVALS s", wrong),
            ("HGETALL s", wrong),
            ("HGETALL", "-ERR wrong number of arguments for 'hgetall' command"),
            ("HKEYS a b", "-ERR wrong number of arguments for 'hkeys' command"),
            ("HVALS", "-ERR wrong number of arguments for 'hvals' command"),
        ]);
    }
}
