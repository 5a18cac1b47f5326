//! BITOP AND|OR|XOR|NOT destkey key [key ...]
//!
//! Redis's `bitopCommand`: shorter sources count as zero-padded to the longest, a missing source
//! as empty. A non-empty result replaces `destkey` as a new `raw` string without TTL (event
//! `set`); an empty one deletes `destkey` if present (event `del`), without checking its expiry
//! first, as Redis's `dbDelete` does not. The reply is the result's length.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::cmd::string::c_option;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// The operation, named as Redis's `strcasecmp` reads it (up to a NUL).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

impl Op {
    fn parse(arg: &[u8]) -> Result<Op, CmdError> {
        match c_option(arg).to_ascii_lowercase().as_slice() {
            b"and" => Ok(Op::And),
            b"or" => Ok(Op::Or),
            b"xor" => Ok(Op::Xor),
            b"not" => Ok(Op::Not),
            _ => Err(CmdError::Syntax),
        }
    }
}

/// The result of `op` over `sources`, each zero-padded to the longest.
fn combine(op: Op, sources: &[Vec<u8>]) -> Vec<u8> {
    let len = sources.iter().map(Vec::len).max().unwrap_or(0);
    let mut result = sources[0].clone();
    result.resize(len, 0);
    if op == Op::Not {
        result.iter_mut().for_each(|b| *b = !*b);
    }
    for source in &sources[1..] {
        let (inside, outside) = result.split_at_mut(source.len());
        let pairs = inside.iter_mut().zip(source);
        match op {
            Op::And => {
                pairs.for_each(|(r, s)| *r &= s);
                outside.fill(0);
            }
            Op::Or => pairs.for_each(|(r, s)| *r |= s),
            Op::Xor => pairs.for_each(|(r, s)| *r ^= s),
            Op::Not => unreachable!("NOT has a single source"),
        }
    }
    result
}

/// BITOP: stores the bitwise combination of the sources at `destkey` and replies its length.
pub fn bitop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let op = Op::parse(argv[1])?;
    if op == Op::Not && argv.len() != 4 {
        return Err(CmdError::msg("ERR BITOP NOT must be called with a single source key."));
    }
    let dest = argv[2];
    let mut sources = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        sources.push(ctx.read_str(key)?.map_or_else(Vec::new, StrValue::to_bytes));
    }
    let result = combine(op, &sources);
    let len = result.len();
    if len > 0 {
        ctx.set_key(dest, Value::Str(StrValue::Raw(result)), false);
        ctx.notify(NotifyClass::STRING, "set", dest);
        ctx.dirty += 1;
    } else if ctx.db().delete(dest).is_some() {
        ctx.notify(NotifyClass::GENERIC, "del", dest);
        ctx.dirty += 1;
    }
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::effects::NotifyClass;
    use crate::cmd::testing::TestDb;

    #[test]
    fn bitop_combines_like_redis() {
        // Proves each operation with zero padding of shorter and missing sources, int-encoded
        // sources read as digits, a source that is also the destination, the error order, and
        // a raw result (replies taken from Redis 7.0.15).
        let mut db = TestDb::new();
        db.check(&[
            ("SET a foobar", "+OK"),
            ("SET b abc", "+OK"),
            ("SET n 12", "+OK"),
            ("BITOP AND d a b", ":6"),
            ("GET d", "\"`bc\\x00\\x00\\x00\""),
            ("BITOP or d a b nokey", ":6"),
            ("GET d", "\"goobar\""),
            ("BITOP XOR d a b n", ":6"),
            ("GET d", "\"6?\\x0cbar\""),
            ("BITOP not d a", ":6"),
            ("GET d", "\"\\x99\\x90\\x90\\x9d\\x9e\\x8d\""),
            ("BITOP NOT d nokey", ":0"),
            ("EXISTS d", ":0"),
            ("BITOP and d a nokey", ":6"),
            ("GET d", "\"\\x00\\x00\\x00\\x00\\x00\\x00\""),
            ("BITOP AND d nokey nokey2", ":0"),
            ("EXISTS d", ":0"),
            ("BITOP XOR d a a", ":6"),
            ("GET d", "\"\\x00\\x00\\x00\\x00\\x00\\x00\""),
            ("BITOP OR a a b", ":6"),
            ("GET a", "\"goobar\""),
            ("BITOP foo d a", "-ERR syntax error"),
            ("BITOP NOT d a b", "-ERR BITOP NOT must be called with a single source key."),
            ("BITOP NOT d", "-ERR wrong number of arguments for 'bitop' command"),
            ("BITOP AND d", "-ERR wrong number of arguments for 'bitop' command"),
            ("LPUSH l x", ":1"),
            ("BITOP AND d a l", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITOP AND l a", ":6"),
            ("GET l", "\"goobar\""),
            ("BITOP NOT d l", ":6"),
            ("BITOP NOT l a", ":6"),
            ("GET l", "\"\\x98\\x90\\x90\\x9d\\x9e\\x8d\""),
        ]);
        assert_eq!(db.encoding("d"), Some("raw"));
    }

    #[test]
    fn bitop_effects() {
        // Proves the `set` and `del` events, dirty counting, the dropped TTL, and that an empty
        // result on a missing destination changes nothing. (`new` and `keymiss` are checked by
        // engine/tests/keyspace_events.rs.)
        let own = |db: &TestDb| -> Vec<_> { db.own_touches().iter().filter_map(|t| t.event).collect() };
        let mut db = TestDb::new();
        db.check(&[("SET a x", "+OK"), ("SET t y EX 100", "+OK"), ("BITOP OR t a", ":1")]);
        assert_eq!(db.ttl_ms("t"), None);
        assert_eq!(own(&db), vec![(NotifyClass::STRING, "set")]);
        db.check(&[("BITOP AND t nokey", ":0")]);
        assert_eq!(own(&db), vec![(NotifyClass::GENERIC, "del")]);
        db.check(&[("EXISTS t", ":0")]);
        let dirty = db.dirty;
        db.check(&[("BITOP AND t nokey", ":0")]);
        assert!(own(&db).is_empty());
        assert!(db.propagated.is_empty());
        assert_eq!(db.dirty, dirty);
    }
}
