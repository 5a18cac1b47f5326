//! HGET key field
//! HMGET key field [field ...]
//! HEXISTS key field
//! HLEN key
//! HSTRLEN key field
//!
//! Reads of single fields and the size (Redis's `hgetCommand` and neighbours); a missing key
//! reads as an empty hash.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// HGET: the value of a field, or nil.
pub fn hget(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let value = ctx.read_hash(argv[1])?.and_then(|h| h.get(argv[2]).map(<[u8]>::to_vec));
    Ok(Reply::bulk_or_null(value))
}

/// HMGET: the values of the fields, nil for each missing one.
pub fn hmget(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let hash = ctx.read_hash(argv[1])?;
    let values = argv[2..].iter().map(|f| Reply::bulk_or_null(hash.and_then(|h| h.get(f)).map(<[u8]>::to_vec)));
    Ok(Reply::Array(values.collect()))
}

/// HEXISTS: 1 if the field exists, else 0.
pub fn hexists(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let found = ctx.read_hash(argv[1])?.is_some_and(|h| h.get(argv[2]).is_some());
    Ok(Reply::Int(i64::from(found)))
}

/// HLEN: the number of fields.
pub fn hlen(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.read_hash(argv[1])?.map_or(0, |h| h.len() as i64)))
}

/// HSTRLEN: the length of a field's value, 0 when absent.
pub fn hstrlen(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let len = ctx.read_hash(argv[1])?.and_then(|h| h.get(argv[2]).map(<[u8]>::len)).unwrap_or(0);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn single_field_reads_match_redis() {
        // Proves HGET, HMGET, HEXISTS, HLEN and HSTRLEN on present, absent and missing keys,
        // their WRONGTYPE and arity errors.
        let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value";
        TestDb::new().check(&[
            ("HSET h a 1 b hello", ":2"),
            ("HGET h a", "\"1\""),
            ("HGET h x", "(nil)"),
            ("HGET nokey a", "(nil)"),
            ("HMGET h a x b", "[\"1\", (nil), \"hello\"]"),
            ("HMGET nokey a b", "[(nil), (nil)]"),
            ("HEXISTS h a", ":1"),
            ("HEXISTS h x", ":0"),
            ("HEXISTS nokey a", ":0"),
            ("HLEN h", ":2"),
            ("HLEN nokey", ":0"),
            ("HSTRLEN h b", ":5"),
            ("HSTRLEN h x", ":0"),
            ("HSTRLEN nokey x", ":0"),
            ("SET s v", "+OK"),
            ("HGET s a", wrong),
            ("HMGET s a", wrong),
            ("HEXISTS s a", wrong),
            ("HLEN s", wrong),
            ("HSTRLEN s a", wrong),
            ("HGET h", "-ERR wrong number of arguments for 'hget' command"),
            ("HMGET h", "-ERR wrong number of arguments for 'hmget' command"),
            ("HEXISTS h", "-ERR wrong number of arguments for 'hexists' command"),
            ("HLEN h x", "-ERR wrong number of arguments for 'hlen' command"),
            ("HSTRLEN h", "-ERR wrong number of arguments for 'hstrlen' command"),
        ]);
    }
}
