//! GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds |
//! PERSIST]
//!
//! Order as in Redis's `getexCommand`: options are parsed first (syntax errors win), then a
//! missing key replies nil before the expire value is even checked, then WRONGTYPE, then the
//! expire value. With no option GETEX is a GET that changes nothing.
//!
//! Difference from Redis: an EXAT/PXAT time already past deletes the key, as on a Redis primary
//! (and sets the past time while the AOF is replayed, as Redis does); a Redis replica sets the
//! past time too, and the engine does not know the node's role yet.

use super::get::get_reply;
use super::set::{expire_option, ExpireArg};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// What GETEX does to the TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TtlChange<'a> {
    /// No option: leave it.
    Unchanged,
    /// PERSIST: remove it.
    Persist,
    /// EX/PX/EXAT/PXAT: set it.
    Expire(ExpireArg<'a>),
}

/// Redis's `parseExtendedStringArgumentsOrReply` for COMMAND_GET.
fn parse<'a>(argv: &[&'a [u8]]) -> Result<TtlChange<'a>, CmdError> {
    let mut change = TtlChange::Unchanged;
    let mut j = 2;
    while j < argv.len() {
        let opt = super::c_option(argv[j]);
        let expire = argv.get(j + 1).and_then(|v| expire_option(opt, v)).filter(|e| match change {
            TtlChange::Unchanged => true,
            TtlChange::Persist => false,
            TtlChange::Expire(current) => e.may_follow(&current),
        });
        if eq_ci(opt, "persist") && matches!(change, TtlChange::Unchanged | TtlChange::Persist) {
            change = TtlChange::Persist;
        } else if let Some(e) = expire {
            change = TtlChange::Expire(e);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(change)
}

/// GETEX: the string at `key`, optionally setting or removing its TTL.
pub fn getex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let change = parse(argv)?;
    let key = argv[1];
    let reply = get_reply(ctx, key)?;
    if reply == Reply::Null {
        return Ok(reply);
    }
    match change {
        TtlChange::Unchanged => {}
        TtlChange::Persist => {
            if ctx.db().persist(key) {
                ctx.notify(NotifyClass::GENERIC, "persist", key);
                ctx.dirty += 1;
                ctx.propagate_as(&[b"PERSIST", key]);
            }
        }
        TtlChange::Expire(expire) => {
            let when_ms = expire.resolve(ctx.now_ms(), "getex")?.expect("EX/PX/EXAT/PXAT resolve to a time");
            // Redis's checkAlreadyExpired: an absolute time already past deletes the key.
            // Replicas and the AOF get the deletion, or the absolute time.
            if expire.is_absolute() && ctx.already_expired(when_ms) {
                ctx.db().delete(key);
                ctx.notify(NotifyClass::GENERIC, "del", key);
                ctx.propagate_as(&[b"DEL", key]);
            } else {
                ctx.db().set_expire(key, when_ms);
                ctx.notify(NotifyClass::GENERIC, "expire", key);
                ctx.propagate_as(&[b"PEXPIREAT", key, when_ms.to_string().as_bytes()]);
            }
            ctx.dirty += 1;
        }
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{TestDb, TEST_START_MS};

    #[test]
    fn getex_option_errors_and_their_order() {
        // Proves syntax errors come first, a missing key answers nil before the time is checked,
        // and a present key then gets the integer and expire-time errors.
        TestDb::new().check(&[
            ("GETEX k PERSIST EX 1", "-ERR syntax error"),
            ("GETEX k EX 1 PERSIST", "-ERR syntax error"),
            ("GETEX k EX 1 PX 1", "-ERR syntax error"),
            ("GETEX k KEEPTTL", "-ERR syntax error"),
            ("GETEX k NX", "-ERR syntax error"),
            ("GETEX k GET", "-ERR syntax error"),
            ("GETEX k EX", "-ERR syntax error"),
            ("GETEX k foo", "-ERR syntax error"),
            ("GETEX k EX abc", "(nil)"),
            ("GETEX k EX 0", "(nil)"),
            ("SET k v", "+OK"),
            ("GETEX k EX abc", "-ERR value is not an integer or out of range"),
            ("GETEX k EX 0", "-ERR invalid expire time in 'getex' command"),
            ("GETEX k PXAT -5", "-ERR invalid expire time in 'getex' command"),
            ("GETEX k EXAT 9223372036854775807", "-ERR invalid expire time in 'getex' command"),
            ("GETEX k PX 1 PX 2", "\"v\""),
            ("GETEX k PERSIST PERSIST", "\"v\""),
            ("GETEX", "-ERR wrong number of arguments for 'getex' command"),
        ]);
    }

    #[test]
    fn getex_sets_removes_or_leaves_the_ttl() {
        // Proves each option's effect on the TTL and on the dirty count (no option and a PERSIST
        // with no TTL change nothing).
        let mut db = TestDb::new();
        db.check(&[("SET k v", "+OK"), ("GETEX k", "\"v\""), ("GETEX k PERSIST", "\"v\"")]);
        assert_eq!((db.ttl_ms("k"), db.dirty), (None, 1));
        db.check(&[("GETEX k EX 100", "\"v\"")]);
        assert_eq!((db.ttl_ms("k"), db.dirty), (Some(100_000), 2));
        db.check(&[("GETEX k", "\"v\"")]);
        assert_eq!((db.ttl_ms("k"), db.dirty), (Some(100_000), 2));
        db.check(&[("GETEX k px 250", "\"v\"")]);
        assert_eq!(db.ttl_ms("k"), Some(250));
        db.check(&[(&format!("GETEX k EXAT {}", TEST_START_MS / 1000 + 9), "\"v\"")]);
        assert_eq!(db.ttl_ms("k"), Some(9000));
        db.check(&[(&format!("GETEX k PXAT {}", TEST_START_MS + 9), "\"v\"")]);
        assert_eq!(db.ttl_ms("k"), Some(9));
        db.check(&[("GETEX k PERSIST", "\"v\"")]);
        assert_eq!((db.ttl_ms("k"), db.dirty), (None, 6));
    }

    #[test]
    fn getex_with_a_past_absolute_time_deletes() {
        // Proves EXAT/PXAT in the past reply with the value, delete the key and count one change.
        let mut db = TestDb::new();
        db.check(&[("SET k v", "+OK"), ("GETEX k PXAT 1", "\"v\""), ("GET k", "(nil)")]);
        db.check(&[("SET k v", "+OK"), (&format!("GETEX k PXAT {TEST_START_MS}"), "\"v\""), ("GET k", "(nil)")]);
        db.check(&[("SET k v", "+OK"), ("GETEX k EXAT 1", "\"v\""), ("GET k", "(nil)")]);
        assert!(db.raw_get("k").is_none());
        assert_eq!(db.dirty, 6);
    }

    #[test]
    fn getex_with_a_past_absolute_time_while_loading_sets_it() {
        // Proves that while the AOF is replayed a past EXAT/PXAT sets the time (Redis's
        // checkAlreadyExpired is false while loading): the key lives until loading ends.
        let mut db = TestDb::new();
        db.keyspace.loading = true;
        db.check(&[("SET k v", "+OK"), ("GETEX k PXAT 1", "\"v\""), ("GET k", "\"v\"")]);
        db.keyspace.loading = false;
        db.check(&[("GET k", "(nil)")]);
    }
}
