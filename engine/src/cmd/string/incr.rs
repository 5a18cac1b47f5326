//! INCR key
//! DECR key
//! INCRBY key increment
//! DECRBY key decrement
//!
//! Redis's `incrDecrCommand`: a missing key counts as 0, the stored string must be a canonical
//! 64-bit integer (`string2ll`), the result is stored `int`-encoded and the TTL is kept. The
//! result is a new object, as in Redis when it lands in the shared-integer range (so a COPY's
//! unshared duplicate becomes shared again, as OBJECT REFCOUNT shows).

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// Adds `incr` to the integer at `key` and replies with the result.
fn incr_decr(ctx: &mut Ctx, key: &[u8], incr: i64) -> Result<Reply, CmdError> {
    let (value, existed) = match ctx.write_str(key)? {
        Some(s) => {
            let current = s.with_bytes(parse_i64).ok_or(CmdError::NotInteger)?;
            (current.checked_add(incr).ok_or(CmdError::Overflow)?, true)
        }
        None => (incr, false),
    };
    ctx.set_key(key, Value::Str(StrValue::Int(value)), existed);
    ctx.notify(NotifyClass::STRING, "incrby", key);
    ctx.dirty += 1;
    Ok(Reply::Int(value))
}

/// The increment argument, as Redis's `getLongLongFromObjectOrReply`.
fn increment(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// INCR: adds 1.
pub fn incr(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    incr_decr(ctx, argv[1], 1)
}

/// DECR: subtracts 1.
pub fn decr(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    incr_decr(ctx, argv[1], -1)
}

/// INCRBY: adds `increment`.
pub fn incrby(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    incr_decr(ctx, argv[1], increment(argv[2])?)
}

/// DECRBY: subtracts `decrement`, which cannot be i64::MIN (its negation overflows).
pub fn decrby(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let decrement = increment(argv[2])?;
    let incr = decrement.checked_neg().ok_or(CmdError::msg("ERR decrement would overflow"))?;
    incr_decr(ctx, argv[1], incr)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn incr_family_counts() {
        // Proves the four commands' arithmetic from a missing key and from stored strings.
        TestDb::new().check(&[
            ("INCR n", ":1"),
            ("INCR n", ":2"),
            ("DECR n", ":1"),
            ("INCRBY n 10", ":11"),
            ("DECRBY n 20", ":-9"),
            ("INCRBY n -1", ":-10"),
            ("DECRBY n -10", ":0"),
            ("DECR m", ":-1"),
            ("INCRBY o 5", ":5"),
            ("DECRBY p 5", ":-5"),
            ("GET n", "\"0\""),
        ]);
    }

    #[test]
    fn incr_family_errors() {
        // Proves each error text: bad stored values, bad increments, overflow both ways, and the
        // DECRBY i64::MIN special case; a failed command changes nothing.
        let mut db = TestDb::new();
        db.check(&[
            ("SET s abc", "+OK"),
            ("INCR s", "-ERR value is not an integer or out of range"),
            ("SET s \"\"", "+OK"),
            ("INCR s", "-ERR value is not an integer or out of range"),
            ("SET s 01", "+OK"),
            ("DECR s", "-ERR value is not an integer or out of range"),
            ("SET s 1.0", "+OK"),
            ("INCRBY s 1", "-ERR value is not an integer or out of range"),
            ("INCRBY k abc", "-ERR value is not an integer or out of range"),
            ("INCRBY k 01", "-ERR value is not an integer or out of range"),
            ("INCRBY k 9223372036854775808", "-ERR value is not an integer or out of range"),
            ("DECRBY k 1.5", "-ERR value is not an integer or out of range"),
            ("SET max 9223372036854775807", "+OK"),
            ("INCR max", "-ERR increment or decrement would overflow"),
            ("INCRBY max 1", "-ERR increment or decrement would overflow"),
            ("DECRBY max -1", "-ERR increment or decrement would overflow"),
            ("SET min -9223372036854775808", "+OK"),
            ("DECR min", "-ERR increment or decrement would overflow"),
            ("INCRBY min -9223372036854775808", "-ERR increment or decrement would overflow"),
            ("DECRBY min 9223372036854775807", "-ERR increment or decrement would overflow"),
            ("DECRBY min -9223372036854775808", "-ERR decrement would overflow"),
            ("DECRBY nokey -9223372036854775808", "-ERR decrement would overflow"),
            ("INCRBY min 9223372036854775807", ":-1"),
            ("INCR", "-ERR wrong number of arguments for 'incr' command"),
            ("DECR a b", "-ERR wrong number of arguments for 'decr' command"),
            ("INCRBY k", "-ERR wrong number of arguments for 'incrby' command"),
            ("DECRBY k", "-ERR wrong number of arguments for 'decrby' command"),
        ]);
        assert_eq!(db.raw_get("k"), None);
        assert_eq!(db.dirty, 7);
    }

    #[test]
    fn incr_stores_int_and_keeps_ttl() {
        // Proves the result is int-encoded whatever the old encoding, and the TTL survives.
        let mut db = TestDb::new();
        db.check(&[("SET k 12 EX 100", "+OK"), ("INCR k", ":13")]);
        assert_eq!(db.encoding("k"), Some("int"));
        assert_eq!(db.ttl_ms("k"), Some(100_000));
        db.check(&[("APPEND k 4", ":3"), ("INCR k", ":135")]);
        assert_eq!(db.encoding("k"), Some("int"));
    }
}
