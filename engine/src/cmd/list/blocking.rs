//! BLPOP key [key ...] timeout
//! BRPOP key [key ...] timeout
//! BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
//! BRPOPLPUSH source destination timeout
//! BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
//!
//! Each serves at once when it can, exactly as its non-blocking form. When every key is missing
//! it sets `Ctx::block_on` and returns the reply a client that may not block gets (Redis's
//! `CLIENT_DENY_BLOCKING` path: the null array, or nil for BLMOVE/BRPOPLPUSH). The node then
//! parks the client and re-runs the command when one of the keys is pushed to, or answers the
//! null array at the timeout.
//!
//! Difference from Redis: the timeout is parsed as an f64 (Redis uses `long double`), and hex
//! timeouts are accepted only as plain hex integers (`0x10`, not `0x1.8p3`).

use super::lmove::move_one;
use super::pop::{parse_mpop, pop_command, serve_mpop};
use super::{parse_end, pop_items};
use crate::cmd::ctx::{BlockOn, Ctx, ServeReady};
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::list::{End, ListValue};
use crate::value::ValueType;

/// Redis's `getTimeoutFromObjectOrReply` in seconds: the timeout in milliseconds (0 = forever).
pub fn parse_timeout(arg: &[u8]) -> Result<i64, CmdError> {
    let not_float = || CmdError::msg("ERR timeout is not a float or out of range");
    let text = std::str::from_utf8(arg).map_err(|_| not_float())?;
    // strtold skips leading spaces, but Redis's string2ld refuses them (and any trailing byte).
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err(not_float());
    }
    let (negative, digits) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let hex = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X"));
    let seconds = match hex {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let v = h.bytes().fold(0f64, |acc, b| acc * 16.0 + (b as char).to_digit(16).unwrap_or(0) as f64);
            if negative {
                -v
            } else {
                v
            }
        }
        _ => text.parse::<f64>().map_err(|_| not_float())?,
    };
    if seconds.is_nan() {
        return Err(not_float());
    }
    let ms = seconds * 1000.0;
    // C's (long long) conversion of an out-of-range value gives LLONG_MIN on x86: "negative".
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&ms) || (ms as i64) < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    // Redis 7.0 adds the current time without an overflow check; a deadline past the end of
    // time never fires there, and the node saturates it the same way.
    Ok(ms as i64)
}

/// Asks the node to park the client on `keys` until `serve` serves it or `timeout_ms` passes,
/// and returns `deny_reply`, the reply of a client that may not block.
pub fn block(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    timeout_ms: i64,
    serve: ServeReady,
    deny_reply: Reply,
) -> Result<Reply, CmdError> {
    ctx.block_on = Some(BlockOn { keys: keys.iter().map(|k| k.to_vec()).collect(), timeout_ms, serve, argv: None });
    Ok(deny_reply)
}

fn bpop(ctx: &mut Ctx, argv: &[&[u8]], end: End) -> Result<Reply, CmdError> {
    let (timeout, keys) = argv[1..].split_last().expect("arity guarantees a key and a timeout");
    let timeout_ms = parse_timeout(timeout)?;
    for key in keys {
        if ctx.write_list(key)?.is_some() {
            let item = pop_items(ctx, key, end, 1).pop().expect("a list key is never empty");
            ctx.propagate_as(&[pop_command(end), key]);
            return Ok(Reply::Array(vec![Reply::bulk(key), Reply::Bulk(item)]));
        }
    }
    block(ctx, keys, timeout_ms, serve_list, Reply::NullArray)
}

/// BLPOP: LPOP from the first non-empty list, as `[key, element]`, or block.
pub fn blpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bpop(ctx, argv, End::Left)
}

/// BRPOP: RPOP from the first non-empty list, as `[key, element]`, or block.
pub fn brpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bpop(ctx, argv, End::Right)
}

fn bmove(ctx: &mut Ctx, argv: &[&[u8]], from: End, to: End, timeout: &[u8]) -> Result<Reply, CmdError> {
    let timeout_ms = parse_timeout(timeout)?;
    match move_one(ctx, argv[1], argv[2], from, to)? {
        Some(item) => {
            // Propagated without the timeout; BLMOVE keeps its directions as written.
            match argv.len() {
                6 => ctx.propagate_as(&[b"LMOVE", argv[1], argv[2], argv[3], argv[4]]),
                _ => ctx.propagate_as(&[b"RPOPLPUSH", argv[1], argv[2]]),
            }
            Ok(Reply::Bulk(item))
        }
        None => block(ctx, &argv[1..2], timeout_ms, serve_list, Reply::Null),
    }
}

/// BLMOVE: LMOVE, or block until the source exists.
pub fn blmove(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (from, to) = (parse_end(argv[3])?, parse_end(argv[4])?);
    bmove(ctx, argv, from, to, argv[5])
}

/// BRPOPLPUSH: BLMOVE source destination RIGHT LEFT.
pub fn brpoplpush(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bmove(ctx, argv, End::Right, End::Left, argv[3])
}

/// BLMPOP: LMPOP, or block on all its keys. The timeout is read after the other arguments, as
/// Redis's `lmpopGenericCommand` does (a bad direction is a syntax error whatever the timeout).
pub fn blmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mpop = parse_mpop(argv, 2)?;
    let timeout_ms = parse_timeout(argv[1])?;
    match serve_mpop(ctx, &mpop)? {
        Some(reply) => Ok(reply),
        None => block(ctx, mpop.keys, timeout_ms, serve_list, Reply::NullArray),
    }
}

/// The list commands' `ServeReady`: `serve_ready` when `key` holds a list (never empty), else
/// `None`.
pub fn serve_list(ctx: &mut Ctx, argv: &[&[u8]], key: &[u8]) -> Option<Result<Reply, CmdError>> {
    holds::<ListValue>(ctx, key).then(|| serve_ready(ctx, argv, key))
}

/// True when `key` holds a `T`, looked at without touching the key (no LRU update), so waiters
/// of another type leave it as it was. The node has already left out logically expired keys.
pub fn holds<T: ValueType>(ctx: &mut Ctx, key: &[u8]) -> bool {
    ctx.db().get(key).is_some_and(|obj| T::of_ref(&obj.value).is_some())
}

/// Serves a client parked by `argv` (one of this file's commands, already validated) from `key`,
/// which now holds a non-empty list: Redis's `serveClientBlockedOnList`. Only `key` is used,
/// whatever the command's other keys hold now. For BLMOVE/BRPOPLPUSH a destination of another
/// type answers WRONGTYPE and nothing moves.
pub fn serve_ready(ctx: &mut Ctx, argv: &[&[u8]], key: &[u8]) -> Result<Reply, CmdError> {
    ctx.reply_first();
    let name = argv[0].to_ascii_lowercase();
    let (from, to) = match name.as_slice() {
        b"blpop" => (End::Left, None),
        b"brpop" => (End::Right, None),
        b"brpoplpush" => (End::Right, Some(End::Left)),
        b"blmove" => (parse_end(argv[3])?, Some(parse_end(argv[4])?)),
        b"blmpop" => {
            let mpop = parse_mpop(argv, 2)?;
            let popped = pop_items(ctx, key, mpop.end, mpop.count);
            ctx.propagate_as(&[pop_command(mpop.end), key, popped.len().to_string().as_bytes()]);
            let items = Reply::Array(popped.into_iter().map(Reply::Bulk).collect());
            return Ok(Reply::Array(vec![Reply::bulk(key), items]));
        }
        _ => unreachable!("only list blocking commands park clients on lists"),
    };
    match to {
        None => {
            let item = pop_items(ctx, key, from, 1).pop().expect("the caller saw a non-empty list");
            ctx.propagate_as(&[pop_command(from), key]);
            Ok(Reply::Array(vec![Reply::bulk(key), Reply::Bulk(item)]))
        }
        Some(to) => {
            let moved = move_one(ctx, key, argv[2], from, to)?;
            if moved.is_some() {
                // A served BLMOVE propagates its directions in lower case, as Redis 7.0 does.
                let side = |end| match end {
                    End::Left => &b"left"[..],
                    End::Right => b"right",
                };
                match name.as_slice() {
                    b"blmove" => ctx.propagate_as(&[b"LMOVE", key, argv[2], side(from), side(to)]),
                    _ => ctx.propagate_as(&[b"RPOPLPUSH", key, argv[2]]),
                }
            }
            Ok(Reply::bulk_or_null(moved))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    /// The keys and timeout the last command asked to block on, when it asked with the list
    /// commands' serve function.
    fn waits(db: &TestDb) -> Option<(Vec<Vec<u8>>, i64)> {
        let block = db.block_on.as_ref()?;
        assert!(std::ptr::fn_addr_eq(block.serve, super::serve_list as crate::cmd::ctx::ServeReady));
        Some((block.keys.clone(), block.timeout_ms))
    }

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn timeouts_parse_as_redis() {
        // Proves the timeout texts real Redis 7.0.15 accepts and the errors it gives, on BLPOP.
        let mut db = TestDb::new();
        for (timeout, want_ms) in [("0", 0), ("1", 1000), ("0.5", 500), ("0.0001", 0), ("-0.0001", 0), ("0x10", 16000)]
        {
            db.check(&[(&format!("BLPOP k {timeout}"), "(nil array)")]);
            assert_eq!(waits(&db), Some((vec![b"k".to_vec()], want_ms)), "{timeout}");
        }
        for (timeout, want) in [
            ("x", "-ERR timeout is not a float or out of range"),
            ("nan", "-ERR timeout is not a float or out of range"),
            ("\" 1\"", "-ERR timeout is not a float or out of range"),
            ("1x", "-ERR timeout is not a float or out of range"),
            ("-1", "-ERR timeout is negative"),
            ("inf", "-ERR timeout is negative"),
            ("1e400", "-ERR timeout is negative"),
            ("9223372036854775807", "-ERR timeout is negative"),
        ] {
            let line = format!("BLPOP k {}", timeout.trim_matches('"'));
            let words: Vec<&[u8]> = if timeout.starts_with('"') {
                vec![b"BLPOP", b"k", timeout.trim_matches('"').as_bytes()]
            } else {
                line.split(' ').map(str::as_bytes).collect()
            };
            assert_eq!(crate::cmd::testing::show(&db.run(&words)), want, "{timeout}");
            assert!(db.block_on.is_none());
        }
    }

    #[test]
    fn blocking_pops_serve_at_once_or_ask_to_block() {
        // Proves BLPOP/BRPOP/BLMPOP/BLMOVE/BRPOPLPUSH serve like their plain forms when they can,
        // ask to block on their keys otherwise (with the reply a non-blocking client gets), and
        // check types and syntax in Redis's order.
        let mut db = TestDb::new();
        db.check(&[("RPUSH b 1 2 3", ":3"), ("BLPOP a b 0", "[\"b\", \"1\"]"), ("BRPOP a b 0", "[\"b\", \"3\"]")]);
        assert!(db.block_on.is_none());
        db.check(&[("BLMPOP 0 2 a b left COUNT 5", "[\"b\", [\"2\"]]"), ("BLPOP a b 1.5", "(nil array)")]);
        assert_eq!(waits(&db), Some((vec![b"a".to_vec(), b"b".to_vec()], 1500)));
        db.check(&[("BLMPOP 2 2 a b right", "(nil array)")]);
        assert_eq!(db.block_on.as_ref().map(|b| b.timeout_ms), Some(2000));
        db.check(&[("BLMOVE a d left right 0", "(nil)"), ("BRPOPLPUSH a d 0", "(nil)")]);
        assert_eq!(waits(&db), Some((vec![b"a".to_vec()], 0)));
        db.check(&[
            ("RPUSH a x y", ":2"),
            ("BLMOVE a d left right 0", "\"x\""),
            ("BRPOPLPUSH a d 0", "\"y\""),
            ("LRANGE d 0 -1", "[\"y\", \"x\"]"),
            ("SET s v", "+OK"),
            ("BLPOP s a 0", WRONGTYPE),
            ("BLMPOP 0 2 s a left", WRONGTYPE),
            ("BLMOVE d s left left 0", WRONGTYPE),
            ("BLMOVE d d up left x", "-ERR syntax error"),
            ("BLMOVE d d left left x", "-ERR timeout is not a float or out of range"),
            ("BLMPOP x 1 l left", "-ERR timeout is not a float or out of range"),
            ("BLMPOP 0 0 l left", "-ERR numkeys should be greater than 0"),
            // Redis 7.0.15 reads BLMPOP's timeout last (found by the conformance generator).
            ("BLMPOP x 1 l middle", "-ERR syntax error"),
            ("BLMPOP -1 2 l count", "-ERR syntax error"),
            ("BLMPOP -1 1 l left COUNT x", "-ERR count should be greater than 0"),
            ("BLMPOP x 0 l left", "-ERR numkeys should be greater than 0"),
            ("BLPOP k", "-ERR wrong number of arguments for 'blpop' command"),
            ("BRPOPLPUSH a d", "-ERR wrong number of arguments for 'brpoplpush' command"),
        ]);
        assert!(db.block_on.is_none());
    }

    #[test]
    fn serve_ready_uses_only_the_ready_key() {
        // Proves a parked command is served from the key that became ready even when an earlier
        // key now holds another type, and that BLMOVE onto a wrong-type destination moves nothing.
        let mut db = TestDb::new();
        db.check(&[("SET a v", "+OK"), ("RPUSH b 1 2 3", ":3"), ("SET s v", "+OK")]);
        let serve = |db: &mut TestDb, line: &str, key: &str| {
            let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            let mut ctx = db.ctx();
            let reply = super::serve_ready(&mut ctx, &argv, key.as_bytes()).unwrap_or_else(crate::reply::Reply::Error);
            crate::cmd::testing::show(&reply)
        };
        assert_eq!(serve(&mut db, "BLPOP a b 0", "b"), "[\"b\", \"1\"]");
        assert_eq!(serve(&mut db, "BRPOP a b 0", "b"), "[\"b\", \"3\"]");
        assert_eq!(serve(&mut db, "BLMOVE b s left left 0", "b"), WRONGTYPE);
        assert_eq!(serve(&mut db, "BLMPOP 0 2 a b LEFT COUNT 9", "b"), "[\"b\", [\"2\"]]");
        db.check(&[("RPUSH b x", ":1")]);
        assert_eq!(serve(&mut db, "BLMOVE b d right left 0", "b"), "\"x\"");
        db.check(&[("RPUSH b y", ":1")]);
        assert_eq!(serve(&mut db, "BRPOPLPUSH b d 0", "b"), "\"y\"");
        db.check(&[("LRANGE d 0 -1", "[\"y\", \"x\"]"), ("EXISTS b", ":0")]);
    }

    #[test]
    fn served_clients_raise_redis_events() {
        // Proves a parked client served from a ready key records what Redis 7.0's
        // serveClientBlockedOnList raises (captured from a real server: the push that readied
        // the key, then these): the pop's event, BLMOVE's push on its destination first, and
        // `del` once the list is empty.
        let mut db = TestDb::new();
        let cases = [
            ("BLPOP l 0", "l", "RPUSH l a", "[\"l\", \"a\"]", "lpop:l del:l"),
            ("BRPOP l 0", "l", "RPUSH l a b", "[\"l\", \"b\"]", "rpop:l"),
            ("BLMOVE e d LEFT RIGHT 0", "e", "RENAME l e", "\"a\"", "new:d rpush:d lpop:e del:e"),
            ("BLMPOP 0 2 e l RIGHT COUNT 5", "l", "RPUSH l a b", "[\"l\", [\"b\", \"a\"]]", "rpop:l del:l"),
        ];
        for (line, key, write, reply, events) in cases {
            assert_eq!(db.park_and_serve(line, key, write), reply, "{line}");
            assert_eq!(crate::cmd::testing::show_events(&db.touches), events, "{line}");
        }
    }
}
