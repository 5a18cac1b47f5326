//! HINCRBY key field increment
//! HINCRBYFLOAT key field increment
//!
//! Redis's `hincrbyCommand` and `hincrbyfloatCommand`. The increment is checked before the key
//! (so a bad increment beats WRONGTYPE), a missing field counts as 0, and the float sum is
//! done in C `long double` and printed as Redis prints it (`num::incr_by_float`). The error
//! texts differ from INCRBY's where Redis's do: "hash value is not an integer/a float", and an
//! infinite increment is "value is NaN or Infinity".

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::{format_i64, incr_by_float, parse_i64, IncrFloatError};
use crate::reply::Reply;

/// HINCRBY: adds an integer to a field, replying with the new value.
pub fn hincrby(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let incr = parse_i64(argv[3]).ok_or(CmdError::NotInteger)?;
    let current = match ctx.write_hash(argv[1])?.and_then(|h| h.get(argv[2])) {
        Some(v) => parse_i64(v).ok_or(CmdError::msg("ERR hash value is not an integer"))?,
        None => 0,
    };
    let sum = current.checked_add(incr).ok_or(CmdError::Overflow)?;
    let mut buf = [0u8; 20];
    let printed = format_i64(sum, &mut buf);
    let limits = ctx.hash_limits();
    let (hash, rng) = super::hash_for_write(ctx, argv[1])?;
    hash.set(argv[2], printed, limits, rng);
    ctx.notify(NotifyClass::HASH, "hincrby", argv[1]);
    ctx.dirty += 1;
    Ok(Reply::Int(sum))
}

/// HINCRBYFLOAT: adds a float to a field, replying with the new value as a bulk string.
pub fn hincrbyfloat(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    match incr_by_float(None, argv[3]) {
        Ok(_) => {}
        Err(IncrFloatError::NotFloat) => return Err(CmdError::NotFloat),
        Err(IncrFloatError::NanOrInfinity) => return Err(CmdError::msg("ERR value is NaN or Infinity")),
    }
    let current = ctx.write_hash(argv[1])?.and_then(|h| h.get(argv[2]).map(<[u8]>::to_vec));
    let printed = match incr_by_float(current.as_deref(), argv[3]) {
        Ok(printed) => printed,
        // The increment alone was valid, so it is the stored value that is not a float.
        Err(IncrFloatError::NotFloat) => return Err(CmdError::msg("ERR hash value is not a float")),
        Err(IncrFloatError::NanOrInfinity) => return Err(CmdError::NanOrInfinity),
    };
    let limits = ctx.hash_limits();
    let (hash, rng) = super::hash_for_write(ctx, argv[1])?;
    hash.set(argv[2], &printed, limits, rng);
    ctx.notify(NotifyClass::HASH, "hincrbyfloat", argv[1]);
    ctx.dirty += 1;
    // Replicas and the AOF get the result, so float rounding cannot make them differ.
    ctx.propagate_as(&[b"HSET", argv[1], argv[2], &printed]);
    Ok(Reply::Bulk(printed))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    const WRONG: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn hincrby_matches_redis() {
        // Proves HINCRBY's sums, creation of key and field, and every error real Redis 7.0.15
        // gave, including the increment being checked before the type.
        let mut db = TestDb::new();
        db.check(&[
            ("HINCRBY h n 5", ":5"),
            ("HINCRBY h n -7", ":-2"),
            ("HGET h n", "\"-2\""),
            ("HSET h s abc big 9223372036854775807", ":2"),
            ("HINCRBY h s 1", "-ERR hash value is not an integer"),
            ("HINCRBY h big 1", "-ERR increment or decrement would overflow"),
            ("HINCRBY h big 0", ":9223372036854775807"),
            ("HINCRBY h n x", "-ERR value is not an integer or out of range"),
            ("HINCRBY h n 1.5", "-ERR value is not an integer or out of range"),
            ("SET str v", "+OK"),
            ("HINCRBY str a 1", WRONG),
            ("HINCRBY str a x", "-ERR value is not an integer or out of range"),
            ("HINCRBY h n", "-ERR wrong number of arguments for 'hincrby' command"),
        ]);
        assert_eq!(db.dirty, 2 + 2 + 1 + 1);
    }

    #[test]
    fn hincrbyfloat_matches_redis() {
        // Proves HINCRBYFLOAT's long double sums and printing, and its four distinct errors in
        // the order real Redis 7.0.15 checks them.
        let mut db = TestDb::new();
        db.check(&[
            ("HINCRBYFLOAT h f 10.5", "\"10.5\""),
            ("HINCRBYFLOAT h f 0.1", "\"10.6\""),
            ("HSET h i 5 s abc inf inf", ":3"),
            ("HINCRBYFLOAT h i 0.1", "\"5.1\""),
            ("HINCRBYFLOAT h i 3.0e3", "\"3005.10000000000000009\""),
            ("HINCRBYFLOAT h s 1", "-ERR hash value is not a float"),
            ("HINCRBYFLOAT h inf 1", "-ERR increment would produce NaN or Infinity"),
            ("HINCRBYFLOAT h f inf", "-ERR value is NaN or Infinity"),
            ("HINCRBYFLOAT h f -inf", "-ERR value is NaN or Infinity"),
            ("HINCRBYFLOAT h f nan", "-ERR value is not a valid float"),
            ("HINCRBYFLOAT h f 1e5000", "-ERR value is not a valid float"),
            ("HINCRBYFLOAT h f x", "-ERR value is not a valid float"),
            ("SET str v", "+OK"),
            ("HINCRBYFLOAT str a 1", WRONG),
            ("HINCRBYFLOAT str a x", "-ERR value is not a valid float"),
            ("HINCRBYFLOAT h f", "-ERR wrong number of arguments for 'hincrbyfloat' command"),
            ("HGET h f", "\"10.6\""),
        ]);
    }
}
