//! TTL key
//! PTTL key
//! EXPIRETIME key
//! PEXPIRETIME key
//!
//! Redis's `ttlGenericCommand`: -2 for a missing key, -1 for a key without TTL. Second forms
//! round to the nearest second (`(ms + 500) / 1000`), the absolute ones too.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// Which number the command reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Report {
    /// Time left (TTL, PTTL).
    Remaining,
    /// The absolute expiry (EXPIRETIME, PEXPIRETIME).
    Absolute,
}

fn ttl_generic(ctx: &mut Ctx, key: &[u8], report: Report, in_ms: bool) -> Result<Reply, CmdError> {
    if ctx.lookup_read_notouch(key).is_none() {
        return Ok(Reply::Int(-2));
    }
    let Some(when_ms) = ctx.db().expire_at(key) else { return Ok(Reply::Int(-1)) };
    let value_ms = match report {
        Report::Remaining => when_ms - ctx.now_ms(),
        Report::Absolute => when_ms,
    }
    .max(0);
    // Redis's `(ttl+500)/1000` overflows in C for expiries near i64::MAX, yet real Redis answers
    // the exact quotient (9223372036854776 for PEXPIREAT i64::MAX); wider arithmetic gives that.
    let rounded_s = ((i128::from(value_ms) + 500) / 1000) as i64;
    Ok(Reply::Int(if in_ms { value_ms } else { rounded_s }))
}

/// TTL: seconds left, rounded.
pub fn ttl(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ttl_generic(ctx, argv[1], Report::Remaining, false)
}

/// PTTL: milliseconds left.
pub fn pttl(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ttl_generic(ctx, argv[1], Report::Remaining, true)
}

/// EXPIRETIME: the expiry as unix seconds, rounded.
pub fn expiretime(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ttl_generic(ctx, argv[1], Report::Absolute, false)
}

/// PEXPIRETIME: the expiry as unix milliseconds.
pub fn pexpiretime(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ttl_generic(ctx, argv[1], Report::Absolute, true)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{TestDb, TEST_START_MS};

    #[test]
    fn ttl_forms_report_remaining_and_absolute_times() {
        // Proves -2 and -1, rounding to the nearest second for TTL and EXPIRETIME, the exact
        // millisecond forms, and the quotient Redis gives for an expiry at i64::MAX.
        let mut t = TestDb::new();
        t.check(&[
            ("TTL nokey", ":-2"),
            ("PTTL nokey", ":-2"),
            ("EXPIRETIME nokey", ":-2"),
            ("PEXPIRETIME nokey", ":-2"),
            ("SET k v", "+OK"),
            ("TTL k", ":-1"),
            ("PTTL k", ":-1"),
            ("EXPIRETIME k", ":-1"),
            ("PEXPIRETIME k", ":-1"),
            ("PEXPIRE k 1499", ":1"),
            ("TTL k", ":1"),
            ("PTTL k", ":1499"),
            ("PEXPIRE k 1500", ":1"),
            ("TTL k", ":2"),
            ("PEXPIREAT k 4000000000499", ":1"),
            ("EXPIRETIME k", ":4000000000"),
            ("PEXPIREAT k 4000000000500", ":1"),
            ("EXPIRETIME k", ":4000000001"),
            ("PEXPIRETIME k", ":4000000000500"),
            ("PEXPIREAT k 9223372036854775807", ":1"),
            ("EXPIRETIME k", ":9223372036854776"),
            ("TTL", "-ERR wrong number of arguments for 'ttl' command"),
            ("PTTL", "-ERR wrong number of arguments for 'pttl' command"),
            ("EXPIRETIME", "-ERR wrong number of arguments for 'expiretime' command"),
            ("PEXPIRETIME", "-ERR wrong number of arguments for 'pexpiretime' command"),
        ]);
    }

    #[test]
    fn a_key_lives_through_its_expiry_millisecond() {
        // Proves TTL at the expiry millisecond is 0 with the key still present, and -2 after.
        let mut t = TestDb::new();
        t.check(&[("SET k v", "+OK"), (format!("PEXPIREAT k {}", TEST_START_MS + 10).as_str(), ":1")]);
        t.now_ms += 10;
        t.check(&[("PTTL k", ":0"), ("TTL k", ":0"), ("EXISTS k", ":1")]);
        t.now_ms += 1;
        t.check(&[("PTTL k", ":-2"), ("EXISTS k", ":0")]);
    }
}
