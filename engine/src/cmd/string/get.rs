//! GET key
//! GETDEL key
//! GETSET key value
//!
//! All three start with Redis's `getGenericCommand`: the old value (or nil), WRONGTYPE for
//! another type, counted as a read (keyspace hit or miss).

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// The string at `key` as a reply, or nil: Redis's `getGenericCommand`.
pub(super) fn get_reply(ctx: &mut Ctx, key: &[u8]) -> Result<Reply, CmdError> {
    Ok(match ctx.read_str(key)? {
        None => Reply::Null,
        Some(s) => Reply::Bulk(s.to_bytes()),
    })
}

/// GET: the string at `key`, or null.
pub fn get(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if ctx.config.plants.get_skips_lazy_expiry {
        // A planted bug (crate::plants): the value is read without expiring the key first.
        if let Some(Value::Str(s)) = ctx.db().get(argv[1]).map(|obj| &obj.value) {
            return Ok(Reply::Bulk(s.to_bytes()));
        }
    }
    get_reply(ctx, argv[1])
}

/// GETDEL: the string at `key`, which is then deleted.
pub fn getdel(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let reply = get_reply(ctx, argv[1])?;
    if ctx.db().delete(argv[1]).is_some() {
        ctx.notify(NotifyClass::GENERIC, "del", argv[1]);
        ctx.dirty += 1;
        // The planted bug (simulator self-test only) propagates the GET part.
        let name: &[u8] = if ctx.config.plants.getdel_propagates_get { b"GET" } else { b"DEL" };
        ctx.propagate_as(&[name, argv[1]]);
    }
    Ok(reply)
}

/// GETSET: the old string at `key`; the key then holds `value` with no TTL.
pub fn getset(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let reply = get_reply(ctx, argv[1])?;
    ctx.set_key(argv[1], Value::Str(StrValue::from_bytes(argv[2])), false);
    ctx.notify(NotifyClass::STRING, "set", argv[1]);
    ctx.dirty += 1;
    // Propagated as the SET it amounts to, as Redis's getsetCommand does.
    ctx.propagate_as(&[b"SET", argv[1], argv[2]]);
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn get_reads_strings_and_nil() {
        // Proves GET's replies for present, absent and integer-encoded values, and its arity error.
        TestDb::new().check(&[
            ("GET k", "(nil)"),
            ("SET k hello", "+OK"),
            ("GET k", "\"hello\""),
            ("SET n -42", "+OK"),
            ("GET n", "\"-42\""),
            ("GET", "-ERR wrong number of arguments for 'get' command"),
            ("GET a b", "-ERR wrong number of arguments for 'get' command"),
        ]);
    }

    #[test]
    fn getdel_returns_then_deletes() {
        // Proves GETDEL replies with the value, removes the key and its TTL, and counts dirty only
        // when it deleted something.
        let mut db = TestDb::new();
        db.check(&[("GETDEL k", "(nil)"), ("SET k v EX 100", "+OK")]);
        assert_eq!(db.dirty, 1);
        db.check(&[("GETDEL k", "\"v\""), ("GET k", "(nil)"), ("GETDEL k", "(nil)")]);
        assert_eq!(db.dirty, 2);
        assert_eq!(db.ttl_ms("k"), None);
        db.check(&[("GETDEL", "-ERR wrong number of arguments for 'getdel' command")]);
    }

    #[test]
    fn getset_replaces_and_clears_ttl() {
        // Proves GETSET returns the old value (nil when absent), stores the new one with Redis's
        // encoding, drops any TTL, and counts one change either way.
        let mut db = TestDb::new();
        db.check(&[("GETSET k 1", "(nil)"), ("SET k old EX 100", "+OK"), ("GETSET k 123", "\"old\"")]);
        assert_eq!(db.ttl_ms("k"), None);
        assert_eq!(db.encoding("k"), Some("int"));
        assert_eq!(db.dirty, 3);
        db.check(&[("GETSET k", "-ERR wrong number of arguments for 'getset' command")]);
    }
}
