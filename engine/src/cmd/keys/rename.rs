//! RENAME key newkey
//! RENAMENX key newkey
//!
//! Redis 7.0's `renameGenericCommand`: the source must exist ("no such key") even when both names
//! are the same, in which case nothing changes and RENAME answers OK, RENAMENX 0. The value keeps
//! its object header (access time) and its TTL moves with it.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

fn rename_generic(ctx: &mut Ctx, argv: &[&[u8]], nx: bool) -> Result<Reply, CmdError> {
    let (src, dst) = (argv[1], argv[2]);
    let done = if nx { Reply::Int(1) } else { Reply::Ok };
    if ctx.lookup_write(src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        return Ok(if nx { Reply::Int(0) } else { Reply::Ok });
    }
    let dst_exists = ctx.lookup_write(dst).is_some();
    if dst_exists && nx {
        return Ok(Reply::Int(0));
    }
    let db = ctx.db();
    let expire_at = db.expire_at(src);
    let obj = db.delete(src).expect("looked up above");
    if dst_exists {
        db.delete(dst);
    }
    ctx.add_key(dst, obj);
    if let Some(when_ms) = expire_at {
        ctx.db().set_expire(dst, when_ms);
    }
    ctx.notify(NotifyClass::GENERIC, "rename_from", src);
    ctx.notify(NotifyClass::GENERIC, "rename_to", dst);
    ctx.dirty += 1;
    Ok(done)
}

/// RENAME: moves the value to `newkey`, replacing what was there.
pub fn rename(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    rename_generic(ctx, argv, false)
}

/// RENAMENX: moves the value only when `newkey` does not exist; 1 when it moved.
pub fn renamenx(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    rename_generic(ctx, argv, true)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{TestDb, TEST_START_MS};

    #[test]
    fn rename_and_renamenx_follow_redis_7_0() {
        // Proves the missing-key error (also for the same name), same-key answers, overwrite,
        // RENAMENX refusing an existing target, and arity errors.
        let mut t = TestDb::new();
        t.check(&[
            ("RENAME a a", "-ERR no such key"),
            ("RENAMENX a a", "-ERR no such key"),
            ("RENAME a b", "-ERR no such key"),
            ("SET a 1", "+OK"),
            ("RENAME a a", "+OK"),
            ("RENAMENX a a", ":0"),
            ("RENAMENX a b", ":1"),
            ("GET b", "\"1\""),
            ("EXISTS a", ":0"),
            ("SET a 2", "+OK"),
            ("RENAMENX a b", ":0"),
            ("RENAME a b", "+OK"),
            ("GET b", "\"2\""),
            ("DBSIZE", ":1"),
            ("RENAME a", "-ERR wrong number of arguments for 'rename' command"),
            ("RENAMENX a", "-ERR wrong number of arguments for 'renamenx' command"),
        ]);
    }

    #[test]
    fn the_ttl_moves_with_the_value() {
        // Proves the source's TTL moves to the new name and a replaced target's TTL is gone.
        let mut t = TestDb::new();
        t.check(&[
            ("SET a 1", "+OK"),
            ("PEXPIRE a 5000", ":1"),
            ("SET b 2", "+OK"),
            ("PEXPIRE b 9000", ":1"),
            ("RENAME a b", "+OK"),
            ("PTTL b", ":5000"),
            ("SET c 3", "+OK"),
            ("RENAME c b", "+OK"),
            ("PTTL b", ":-1"),
        ]);
        t.check(&[("PEXPIRE b 10", ":1")]);
        t.now_ms = TEST_START_MS + 11;
        t.check(&[("RENAME b z", "-ERR no such key")]);
    }
}
