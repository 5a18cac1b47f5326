//! FLUSHDB [ASYNC | SYNC]
//! FLUSHALL [ASYNC | SYNC]
//!
//! Deliberate differences: ASYNC frees memory synchronously (Redis hands it to a background
//! thread; replies are identical). FLUSHALL's RDB save when save points are configured belongs
//! to the node and happens there.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// Accepts the optional ASYNC or SYNC flag (Redis's `getFlushCommandFlags`).
fn check_flush_flags(argv: &[&[u8]]) -> Result<(), CmdError> {
    match argv {
        [_] => Ok(()),
        [_, flag] if eq_ci(flag, "sync") || eq_ci(flag, "async") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

/// FLUSHDB: removes every key of the selected database.
pub fn flushdb(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    check_flush_flags(argv)?;
    ctx.signal_flushed(ctx.db);
    let db = ctx.db();
    let removed = db.len() as u64;
    db.clear();
    ctx.dirty += removed;
    Ok(Reply::Ok)
}

/// FLUSHALL: removes every key of every database. Counts one change more than keys removed, as
/// Redis does, so that even an empty FLUSHALL is propagated.
pub fn flushall(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    check_flush_flags(argv)?;
    for db in 0..ctx.keyspace.dbs.len() {
        ctx.signal_flushed(db);
    }
    let mut removed = 0u64;
    for db in &mut ctx.keyspace.dbs {
        removed += db.len() as u64;
        db.clear();
    }
    ctx.dirty += removed + 1;
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::keys::test_support::run_in;
    use crate::cmd::testing::TestDb;

    #[test]
    fn flush_commands_clear_and_reject_bad_flags() {
        // Proves FLUSHDB clears only the selected database, FLUSHALL every one, both accept
        // SYNC and ASYNC in any case and reject anything else, and the change counts.
        let mut t = TestDb::new();
        t.check(&[
            ("SET a 1", "+OK"),
            ("SET b 1", "+OK"),
            ("FLUSHDB foo", "-ERR syntax error"),
            ("FLUSHDB sync async", "-ERR syntax error"),
            ("FLUSHALL foo", "-ERR syntax error"),
            ("FLUSHALL async x", "-ERR syntax error"),
        ]);
        assert_eq!(run_in(&mut t, 1, 0, "SET c 1"), "+OK");
        let dirty = t.dirty;
        t.check(&[("FLUSHDB SYNC", "+OK"), ("DBSIZE", ":0")]);
        assert_eq!(t.dirty - dirty, 2);
        assert_eq!(run_in(&mut t, 1, 0, "DBSIZE"), ":1");
        let dirty = t.dirty;
        t.check(&[("FLUSHALL ASYNC", "+OK"), ("FLUSHALL", "+OK"), ("FLUSHDB async", "+OK"), ("FLUSHDB", "+OK")]);
        assert_eq!(t.dirty - dirty, 3);
        assert_eq!(t.keyspace.key_count(), 0);
    }
}
