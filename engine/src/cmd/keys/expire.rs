//! EXPIRE key seconds [NX | XX | GT | LT]
//! PEXPIRE key milliseconds [NX | XX | GT | LT]
//! EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
//! PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
//!
//! Redis's `expireGenericCommand`: options are parsed first, then the time (negative times are
//! allowed; only overflow is an error), then the key is looked up. A time that is not in the
//! future deletes the key and answers 1, except while the AOF is replayed, where the past time is
//! set (`Ctx::already_expired`). Deliberate difference: Redis also keeps such a key on a replica;
//! the engine does not know the node's role yet.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// The unit of the time argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Seconds,
    Milliseconds,
}

/// The condition an option puts on the key's current TTL. Redis accepts at most one, except
/// that XX combines with GT or LT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Conditions {
    /// NX: only when the key has no TTL.
    nx: bool,
    /// XX: only when the key has a TTL.
    xx: bool,
    /// GT: only when the new time is later than the current one (no TTL counts as infinite).
    gt: bool,
    /// LT: only when the new time is earlier than the current one (no TTL counts as infinite).
    lt: bool,
}

/// Parses the options after the time (Redis's `parseExtendedExpireArgumentsOrReply`).
fn parse_conditions(options: &[&[u8]]) -> Result<Conditions, CmdError> {
    let mut c = Conditions::default();
    for opt in options {
        if eq_ci(opt, "nx") {
            c.nx = true;
        } else if eq_ci(opt, "xx") {
            c.xx = true;
        } else if eq_ci(opt, "gt") {
            c.gt = true;
        } else if eq_ci(opt, "lt") {
            c.lt = true;
        } else {
            // Redis prints the option whole (`%s`), not clipped.
            return Err(CmdError::quoting("ERR Unsupported option ", opt, ""));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::msg("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if c.gt && c.lt {
        return Err(CmdError::msg("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(c)
}

impl Conditions {
    /// True when the conditions allow replacing `current_ms` (None: no TTL) with `when_ms`.
    fn allow(self, current_ms: Option<i64>, when_ms: i64) -> bool {
        if self.nx && current_ms.is_some() {
            return false;
        }
        if self.xx && current_ms.is_none() {
            return false;
        }
        if self.gt && current_ms.is_none_or(|current| when_ms <= current) {
            return false;
        }
        if self.lt && current_ms.is_some_and(|current| when_ms >= current) {
            return false;
        }
        true
    }
}

/// The shared body: `base_ms` is added to the argument (now for relative forms, 0 for absolute);
/// `name` is the command as the invalid-time error prints it.
fn expire_generic(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    name: &'static str,
    base_ms: i64,
    unit: Unit,
) -> Result<Reply, CmdError> {
    let conditions = parse_conditions(&argv[3..])?;
    let mut when_ms = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    if unit == Unit::Seconds {
        when_ms = when_ms.checked_mul(1000).ok_or(CmdError::InvalidExpireTime(name))?;
    }
    when_ms = when_ms.checked_add(base_ms).ok_or(CmdError::InvalidExpireTime(name))?;
    let key = argv[1];
    if ctx.lookup_write(key).is_none() {
        return Ok(Reply::Int(0));
    }
    let current_ms = ctx.db().expire_at(key);
    if !conditions.allow(current_ms, when_ms) {
        return Ok(Reply::Int(0));
    }
    // Redis's checkAlreadyExpired: a time at or before now removes the key at once, and
    // replicas and the AOF see a DEL.
    if ctx.already_expired(when_ms) {
        ctx.db().delete(key);
        ctx.notify(NotifyClass::GENERIC, "del", key);
        ctx.propagate_as(&[b"DEL", key]);
    } else {
        ctx.db().set_expire(key, when_ms);
        ctx.notify(NotifyClass::GENERIC, "expire", key);
        // Propagated as PEXPIREAT with the absolute time, options as written; PEXPIREAT
        // itself goes out as called.
        if !(base_ms == 0 && unit == Unit::Milliseconds) {
            let when = when_ms.to_string();
            let mut rewritten: Vec<&[u8]> = vec![b"PEXPIREAT", key, when.as_bytes()];
            rewritten.extend_from_slice(&argv[3..]);
            ctx.propagate_as(&rewritten);
        }
    }
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

/// EXPIRE: a TTL in seconds from now.
pub fn expire(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let now_ms = ctx.now_ms();
    expire_generic(ctx, argv, "expire", now_ms, Unit::Seconds)
}

/// PEXPIRE: a TTL in milliseconds from now.
pub fn pexpire(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let now_ms = ctx.now_ms();
    expire_generic(ctx, argv, "pexpire", now_ms, Unit::Milliseconds)
}

/// EXPIREAT: an absolute expiry in unix seconds.
pub fn expireat(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    expire_generic(ctx, argv, "expireat", 0, Unit::Seconds)
}

/// PEXPIREAT: an absolute expiry in unix milliseconds.
pub fn pexpireat(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    expire_generic(ctx, argv, "pexpireat", 0, Unit::Milliseconds)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{TestDb, TEST_START_MS};

    #[test]
    fn options_and_errors_match_redis() {
        // Proves every error EXPIRE and friends can give, with Redis 7.0.15's exact texts, and
        // that options are checked before the time and the time before the key.
        let mut t = TestDb::new();
        t.check(&[
            ("SET k v", "+OK"),
            ("EXPIRE k 10 foo", "-ERR Unsupported option foo"),
            ("EXPIRE k 10 NX XX", "-ERR NX and XX, GT or LT options at the same time are not compatible"),
            ("EXPIRE k 10 nx gt", "-ERR NX and XX, GT or LT options at the same time are not compatible"),
            ("EXPIRE k 10 nx lt", "-ERR NX and XX, GT or LT options at the same time are not compatible"),
            ("EXPIRE k 10 gt lt", "-ERR GT and LT options at the same time are not compatible"),
            ("EXPIRE k abc", "-ERR value is not an integer or out of range"),
            ("EXPIRE k abc foo", "-ERR Unsupported option foo"),
            ("EXPIRE nokey abc", "-ERR value is not an integer or out of range"),
            ("EXPIRE k 9223372036854775807", "-ERR invalid expire time in 'expire' command"),
            ("EXPIRE k -9223372036854775807", "-ERR invalid expire time in 'expire' command"),
            ("PEXPIRE k 9223372036854775807", "-ERR invalid expire time in 'pexpire' command"),
            ("EXPIREAT k 9223372036854776", "-ERR invalid expire time in 'expireat' command"),
            ("EXPIREAT k -9223372036854776", "-ERR invalid expire time in 'expireat' command"),
            ("EXPIRE k", "-ERR wrong number of arguments for 'expire' command"),
            ("PEXPIRE k", "-ERR wrong number of arguments for 'pexpire' command"),
            ("EXPIREAT k", "-ERR wrong number of arguments for 'expireat' command"),
            ("PEXPIREAT k", "-ERR wrong number of arguments for 'pexpireat' command"),
            ("TTL k", ":-1"),
        ]);
    }

    #[test]
    fn times_set_the_expiry_in_each_unit() {
        // Proves the four forms store the right absolute time, that the largest absolute time
        // is accepted, and that a missing key answers 0.
        let mut t = TestDb::new();
        t.check(&[
            ("SET k v", "+OK"),
            ("EXPIRE k 10", ":1"),
            ("PEXPIRETIME k", format!(":{}", TEST_START_MS + 10_000).as_str()),
            ("PEXPIRE k 1500", ":1"),
            ("PEXPIRETIME k", format!(":{}", TEST_START_MS + 1500).as_str()),
            ("EXPIREAT k 4000000000", ":1"),
            ("PEXPIRETIME k", ":4000000000000"),
            ("PEXPIREAT k 4000000000123", ":1"),
            ("PEXPIRETIME k", ":4000000000123"),
            ("PEXPIREAT k 9223372036854775807", ":1"),
            ("PEXPIRETIME k", ":9223372036854775807"),
            ("EXPIRE nokey 10", ":0"),
            ("PEXPIREAT nokey 4000000000123", ":0"),
        ]);
    }

    #[test]
    fn conditions_follow_redis() {
        // Proves NX, XX, GT and LT, including that no TTL counts as infinite for GT and LT and
        // that XX combines with GT.
        let mut t = TestDb::new();
        t.check(&[
            ("SET k v", "+OK"),
            ("EXPIRE k 100 XX", ":0"),
            ("EXPIRE k 100 GT", ":0"),
            ("EXPIRE k 100 xx gt", ":0"),
            ("EXPIRE k 100 LT", ":1"),
            ("EXPIRE k 50 NX", ":0"),
            ("EXPIRE k 50 gt", ":0"),
            ("EXPIRE k 100 gt", ":0"),
            ("EXPIRE k 200 gt", ":1"),
            ("EXPIRE k 300 lt", ":0"),
            ("EXPIRE k 200 lt", ":0"),
            ("EXPIRE k 20 lt", ":1"),
            ("EXPIRE k 30 xx gt", ":1"),
            ("TTL k", ":30"),
            ("PERSIST k", ":1"),
            ("EXPIRE k 40 nx", ":1"),
            ("TTL k", ":40"),
        ]);
    }

    #[test]
    fn a_time_not_in_the_future_deletes_the_key() {
        // Proves a past or current time deletes the key and answers 1, counting a change but
        // not an expiry, while GT still refuses it on a key without TTL.
        let mut t = TestDb::new();
        t.check(&[
            ("SET a v", "+OK"),
            ("SET b v", "+OK"),
            ("SET c v", "+OK"),
            ("SET d v", "+OK"),
            ("EXPIRE a -5", ":1"),
            ("PEXPIRE b 0", ":1"),
            ("PEXPIREAT c 1", ":1"),
            (format!("PEXPIREAT d {TEST_START_MS}").as_str(), ":1"),
            ("SET e v", "+OK"),
            ("EXPIRE e -5 gt", ":0"),
            ("DBSIZE", ":1"),
        ]);
        assert_eq!(t.keyspace.stats.expired_keys, 0);
    }

    #[test]
    fn a_past_time_replayed_from_the_aof_keeps_the_key_until_loading_ends() {
        // Proves what Redis 7.0.15 does loading `SET k 43 ; PEXPIREAT k 1000 ; INCR k ;
        // PERSIST k` (GET k answers "44" after the restart): while loading, a past time is
        // set, not a deletion, so a later INCR in the file (acknowledged before the time
        // passed) still finds the value; once loading is over the key is expired.
        let mut t = TestDb::new();
        t.keyspace.loading = true;
        t.check(&[
            ("SET k 43", "+OK"),
            ("PEXPIREAT k 1000", ":1"),
            ("INCR k", ":44"),
            ("EXPIRE k -5", ":1"),
            ("INCR k", ":45"),
            ("SET p v", "+OK"),
            ("PEXPIREAT p 1000", ":1"),
            ("PERSIST p", ":1"),
        ]);
        t.keyspace.loading = false;
        t.check(&[("GET k", "(nil)"), ("GET p", "\"v\""), ("DBSIZE", ":1")]);
    }
}
