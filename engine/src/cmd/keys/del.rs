//! DEL key [key ...]
//! UNLINK key [key ...]
//!
//! Both delete synchronously here: UNLINK's difference in Redis is only where the memory is
//! freed (a background thread), which no client can observe in the reply.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// DEL: removes the keys, answering how many existed. An expired key is removed lazily first,
/// so it counts as absent (and as expired), as Redis's `delGenericCommand` does.
pub fn del(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mut deleted = 0;
    for key in &argv[1..] {
        ctx.expire_if_needed(key);
        if ctx.db().delete(key).is_some() {
            ctx.notify(NotifyClass::GENERIC, "del", key);
            deleted += 1;
        }
    }
    ctx.dirty += deleted as u64;
    Ok(Reply::Int(deleted))
}

/// UNLINK: DEL whose memory Redis reclaims in the background; the same here.
pub fn unlink(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    del(ctx, argv)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn del_and_unlink_count_keys_that_existed() {
        // Proves DEL and UNLINK answer how many keys existed (a repeat counts once), treat an
        // expired key as absent while counting it expired, count no hits or misses, and add
        // one change per key removed.
        let mut t = TestDb::new();
        t.check(&[("SET a 1", "+OK"), ("SET b 2", "+OK"), ("SET c 3", "+OK"), ("PEXPIRE c 10", ":1")]);
        t.now_ms += 11;
        let dirty = t.dirty;
        t.check(&[
            ("DEL a a nokey c", ":1"),
            ("UNLINK b", ":1"),
            ("UNLINK b", ":0"),
            ("DEL", "-ERR wrong number of arguments for 'del' command"),
            ("UNLINK", "-ERR wrong number of arguments for 'unlink' command"),
        ]);
        assert_eq!(t.dirty - dirty, 2);
        assert_eq!(t.keyspace.stats.expired_keys, 1);
        assert_eq!((t.keyspace.stats.keyspace_hits, t.keyspace.stats.keyspace_misses), (0, 0));
        assert!(t.keyspace.dbs[0].is_empty());
    }
}
