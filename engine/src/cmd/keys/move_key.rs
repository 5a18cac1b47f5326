//! MOVE key db
//!
//! Redis 7.0's `moveCommand`: the object itself moves, with its TTL. Deliberate difference:
//! Redis refuses MOVE in cluster mode; the engine has no cluster mode yet.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

use super::parse_db_index;

/// MOVE: moves the key to database `db`; 1 when moved, 0 when it is missing here or present there.
pub fn move_key(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[1];
    let dst_db = parse_db_index(ctx, argv[2])?;
    if dst_db == ctx.db {
        return Err(CmdError::SameObject);
    }
    if ctx.lookup_write(key).is_none() {
        return Ok(Reply::Int(0));
    }
    let src_db = ctx.db;
    ctx.db = dst_db;
    let dst_exists = ctx.lookup_write(key).is_some();
    ctx.db = src_db;
    if dst_exists {
        return Ok(Reply::Int(0));
    }
    let src = &mut ctx.keyspace.dbs[src_db];
    let expire_at = src.expire_at(key);
    let obj = src.delete(key).expect("looked up above");
    ctx.add_key_in(dst_db, key, obj);
    if let Some(when_ms) = expire_at {
        ctx.keyspace.dbs[dst_db].set_expire(key, when_ms);
    }
    ctx.notify(NotifyClass::GENERIC, "move_from", key);
    ctx.notify_in(dst_db, NotifyClass::GENERIC, "move_to", key);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::keys::test_support::run_in;
    use crate::cmd::testing::TestDb;

    #[test]
    fn move_errors_match_redis() {
        // Proves every MOVE error with Redis 7.0.15's text.
        let mut t = TestDb::new();
        t.check(&[
            ("SET b 2", "+OK"),
            ("MOVE b 0", "-ERR source and destination objects are the same"),
            ("MOVE b 16", "-ERR DB index is out of range"),
            ("MOVE b -1", "-ERR DB index is out of range"),
            ("MOVE b x", "-ERR value is not an integer or out of range"),
            ("MOVE b 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647"),
            ("MOVE b", "-ERR wrong number of arguments for 'move' command"),
        ]);
    }

    #[test]
    fn move_carries_value_and_ttl_unless_the_target_exists() {
        // Proves MOVE answers 1 and moves the value with its TTL, and 0 when the key is missing
        // here or already present in the target database.
        let mut t = TestDb::new();
        t.check(&[("SET k v", "+OK"), ("PEXPIRE k 5000", ":1"), ("MOVE nokey 1", ":0"), ("MOVE k 1", ":1")]);
        t.check(&[("EXISTS k", ":0")]);
        assert_eq!(run_in(&mut t, 1, 0, "PTTL k"), ":5000");
        assert_eq!(run_in(&mut t, 1, 0, "GET k"), "\"v\"");
        t.check(&[("SET k here", "+OK"), ("MOVE k 1", ":0"), ("GET k", "\"here\"")]);
        assert_eq!(run_in(&mut t, 1, 0, "GET k"), "\"v\"");
    }
}
