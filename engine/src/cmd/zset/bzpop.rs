//! BZPOPMIN key [key ...] timeout
//! BZPOPMAX key [key ...] timeout
//! BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
//!
//! Redis's `blockingGenericZpopCommand`: each pops at once, as ZPOPMIN/ZMPOP do, from the first
//! key holding a sorted set (a key of another type before it is WRONGTYPE). When no key holds one
//! it asks the node to park the client (`list::blocking::block`, the one blocking mechanism) and
//! returns the null array a client that may not block gets; the node serves it through
//! `serve_zset` when one of its keys holds a sorted set again, or answers the null array at the
//! timeout. BZPOPMIN/BZPOPMAX reply a flat `[key, member, score]` (score a double in RESP3);
//! BZMPOP replies as ZMPOP. BZPOPMIN checks its timeout first; BZMPOP parses numkeys, MIN|MAX and
//! COUNT first, as Redis 7.0.15 does.

use super::zpop::{parse_mpop, pop_command, pop_first, serve_mpop, Mpop};
use crate::cmd::ctx::Ctx;
use crate::cmd::list::blocking::{block, holds, parse_timeout};
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::zset::ZsetValue;

/// BZPOPMIN: ZPOPMIN from the first non-empty sorted set, as `[key, member, score]`, or block.
pub fn bzpopmin(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bzpop(ctx, argv, false)
}

/// BZPOPMAX: ZPOPMAX from the first non-empty sorted set, as `[key, member, score]`, or block.
pub fn bzpopmax(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bzpop(ctx, argv, true)
}

fn bzpop(ctx: &mut Ctx, argv: &[&[u8]], max: bool) -> Result<Reply, CmdError> {
    let (timeout, keys) = argv[1..].split_last().expect("arity guarantees a key and a timeout");
    let timeout_ms = parse_timeout(timeout)?;
    match pop_one(ctx, keys, max)? {
        Some(reply) => Ok(reply),
        None => block(ctx, keys, timeout_ms, serve_zset, Reply::NullArray),
    }
}

/// Pops one entry from the first of `keys` holding a sorted set: `[key, member, score]`.
fn pop_one(ctx: &mut Ctx, keys: &[&[u8]], max: bool) -> Result<Option<Reply>, CmdError> {
    Ok(pop_first(ctx, keys, max, 1)?.map(|(key, popped)| {
        ctx.propagate_as(&[pop_command(max), &key]);
        let mut reply = vec![Reply::Bulk(key)];
        for (member, score) in popped {
            reply.extend([Reply::Bulk(member), Reply::Double(score)]);
        }
        Reply::Array(reply)
    }))
}

/// BZMPOP: ZMPOP, or block on all its keys.
pub fn bzmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mpop = parse_mpop(argv, 2)?;
    let timeout_ms = parse_timeout(argv[1])?;
    match serve_mpop(ctx, &mpop)? {
        Some(reply) => Ok(reply),
        None => block(ctx, mpop.keys, timeout_ms, serve_zset, Reply::NullArray),
    }
}

/// The sorted-set commands' `ServeReady` (Redis's `serveClientBlockedOnSortedSet`): pops for the
/// parked `argv` (one of this file's commands, already validated) from `key` alone, or `None`
/// when `key` does not hold a sorted set.
pub fn serve_zset(ctx: &mut Ctx, argv: &[&[u8]], key: &[u8]) -> Option<Result<Reply, CmdError>> {
    if !holds::<ZsetValue>(ctx, key) {
        return None;
    }
    let keys = [key];
    let name = argv[0].to_ascii_lowercase();
    let popped = match name.as_slice() {
        b"bzpopmin" => pop_one(ctx, &keys, false),
        b"bzpopmax" => pop_one(ctx, &keys, true),
        _ => parse_mpop(argv, 2).and_then(|mpop| serve_mpop(ctx, &Mpop { keys: &keys, ..mpop })),
    };
    // `key` holds a sorted set, so something was popped; the null array cannot happen.
    Some(popped.map(|reply| reply.unwrap_or(Reply::NullArray)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ctx::ServeReady;
    use crate::cmd::testing::{show, TestDb};

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    /// The keys and timeout the last command asked to block on, when it asked with `serve_zset`.
    fn waits(db: &TestDb) -> Option<(Vec<Vec<u8>>, i64)> {
        let block = db.block_on.as_ref()?;
        assert!(std::ptr::fn_addr_eq(block.serve, super::serve_zset as ServeReady));
        Some((block.keys.clone(), block.timeout_ms))
    }

    #[test]
    fn blocking_zpops_serve_at_once_or_ask_to_block() {
        // Proves BZPOPMIN/BZPOPMAX/BZMPOP pop like their plain forms when a key holds a sorted
        // set, ask to block on their keys with the null array otherwise, and give every error
        // reply in real Redis 7.0.15's order.
        let mut db = TestDb::new();
        db.check(&[
            ("ZADD z 1 a 2 b 3 c 4 d 5 e", ":5"),
            ("BZPOPMIN nokey z 0", "[\"z\", \"a\", ,1]"),
            ("BZPOPMAX z 0", "[\"z\", \"e\", ,5]"),
            ("BZMPOP 0 2 nokey z MIN COUNT 2", "[\"z\", [[\"b\", ,2], [\"c\", ,3]]]"),
            ("BZMPOP 0 1 z max", "[\"z\", [[\"d\", ,4]]]"),
            ("EXISTS z", ":0"),
        ]);
        assert!(db.block_on.is_none());
        db.check(&[("BZPOPMIN a b 1.5", "(nil array)")]);
        assert_eq!(waits(&db), Some((vec![b"a".to_vec(), b"b".to_vec()], 1500)));
        db.check(&[("BZPOPMAX a 0", "(nil array)")]);
        assert_eq!(waits(&db), Some((vec![b"a".to_vec()], 0)));
        db.check(&[("BZMPOP 2 2 a b MAX COUNT 3", "(nil array)")]);
        assert_eq!(waits(&db), Some((vec![b"a".to_vec(), b"b".to_vec()], 2000)));
        db.check(&[
            ("SET s v", "+OK"),
            ("ZADD z 1 a", ":1"),
            ("BZPOPMIN s z 0", WRONGTYPE),
            ("BZPOPMIN z s 0", "[\"z\", \"a\", ,1]"),
            ("BZPOPMIN s x", "-ERR timeout is not a float or out of range"),
            ("BZPOPMAX k -1", "-ERR timeout is negative"),
            ("BZMPOP 0 1 s min", WRONGTYPE),
            ("BZMPOP x 0 z min", "-ERR numkeys should be greater than 0"),
            ("BZMPOP x 1 z foo", "-ERR syntax error"),
            ("BZMPOP x 5 z min", "-ERR syntax error"),
            ("BZMPOP x 1 z min count 0", "-ERR count should be greater than 0"),
            ("BZMPOP 0 1 z min count 1 count 2", "-ERR syntax error"),
            ("BZMPOP x 1 z min", "-ERR timeout is not a float or out of range"),
            ("BZPOPMIN z", "-ERR wrong number of arguments for 'bzpopmin' command"),
            ("BZMPOP 0 1 z", "-ERR wrong number of arguments for 'bzmpop' command"),
        ]);
        assert!(db.block_on.is_none());
    }

    #[test]
    fn resp3_replies_stay_flat() {
        // Proves BZPOPMIN's reply stays a flat [key, member, score] with a Double score in RESP3
        // (unlike ZPOPMIN with a count, which nests pairs there).
        let mut db = TestDb::new();
        db.resp = 3;
        db.check(&[
            ("ZADD z 0.1 a 2 b", ":2"),
            ("BZPOPMIN z 0", "[\"z\", \"a\", ,0.1]"),
            ("BZPOPMAX z 0", "[\"z\", \"b\", ,2]"),
        ]);
    }

    #[test]
    fn serve_zset_uses_only_the_ready_key_and_type() {
        // Proves a parked zset pop is served from the ready key only, whatever its other keys
        // hold, and is not served (None, nothing changed) from a key of another type.
        let mut db = TestDb::new();
        db.check(&[("ZADD a 9 x", ":1"), ("ZADD b 1 m 2 n 3 o", ":3"), ("RPUSH l 1", ":1")]);
        let serve = |db: &mut TestDb, line: &str, key: &str| {
            let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            let mut ctx = db.ctx();
            super::serve_zset(&mut ctx, &argv, key.as_bytes())
                .map(|r| show(&r.unwrap_or_else(crate::reply::Reply::Error)))
        };
        assert_eq!(serve(&mut db, "BZPOPMIN a b 0", "b").as_deref(), Some("[\"b\", \"m\", ,1]"));
        assert_eq!(serve(&mut db, "BZPOPMAX a b 0", "b").as_deref(), Some("[\"b\", \"o\", ,3]"));
        assert_eq!(serve(&mut db, "BZMPOP 0 2 a b MAX COUNT 5", "b").as_deref(), Some("[\"b\", [[\"n\", ,2]]]"));
        assert_eq!(serve(&mut db, "BZPOPMIN l 0", "l"), None);
        assert_eq!(serve(&mut db, "BZPOPMIN b 0", "b"), None);
        db.check(&[("EXISTS b", ":0"), ("LLEN l", ":1"), ("ZCARD a", ":1")]);
    }

    #[test]
    fn served_clients_raise_redis_events() {
        // Proves a parked sorted-set pop served from a ready key records what Redis 7.0 raises
        // there (captured from a real server): zpopmin/zpopmax, then `del` once the set is
        // empty.
        let mut db = TestDb::new();
        assert_eq!(db.park_and_serve("BZPOPMIN z 0", "z", "ZADD z 1 a"), "[\"z\", \"a\", ,1]");
        assert_eq!(crate::cmd::testing::show_events(&db.touches), "zpopmin:z del:z");
        let served = db.park_and_serve("BZMPOP 0 1 z MAX COUNT 3", "z", "ZADD z 1 a 2 b 3 c 4 d");
        assert_eq!(served, "[\"z\", [[\"d\", ,4], [\"c\", ,3], [\"b\", ,2]]]");
        assert_eq!(crate::cmd::testing::show_events(&db.touches), "zpopmax:z");
    }
}
