//! EXISTS key [key ...]
//! TOUCH key [key ...]

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// EXISTS: how many of the keys exist, a repeated key counting each time. Counts hits and misses
/// but leaves access times alone (Redis's LOOKUP_NOTOUCH).
pub fn exists(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let count = argv[1..].iter().filter(|key| ctx.lookup_read_notouch(key).is_some()).count();
    Ok(Reply::Int(count as i64))
}

/// TOUCH: how many of the keys exist, updating their access time as a read would.
pub fn touch(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let count = argv[1..].iter().filter(|key| ctx.lookup_read(key).is_some()).count();
    Ok(Reply::Int(count as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::keys::test_support::run_in;
    use crate::cmd::testing::TestDb;

    #[test]
    fn exists_counts_repeats_and_skips_expired_keys() {
        // Proves EXISTS counts each occurrence, treats an expired key as absent (removing it),
        // counts hits and misses, and does not update the access time.
        let mut t = TestDb::new();
        t.check(&[("SET a 1", "+OK"), ("SET gone 1", "+OK"), ("PEXPIRE gone 5", ":1")]);
        t.now_ms += 6;
        t.check(&[("EXISTS a a nokey gone", ":2"), ("EXISTS", "-ERR wrong number of arguments for 'exists' command")]);
        assert_eq!((t.keyspace.stats.keyspace_hits, t.keyspace.stats.keyspace_misses), (2, 2));
        assert_eq!(t.keyspace.stats.expired_keys, 1);
        assert_eq!(run_in(&mut t, 0, 500, "EXISTS a"), ":1");
        assert_eq!(t.keyspace.dbs[0].get(b"a").unwrap().lru, 0);
    }

    #[test]
    fn touch_counts_existing_keys_and_updates_access_time() {
        // Proves TOUCH answers how many keys exist and refreshes their access time.
        let mut t = TestDb::new();
        t.check(&[("SET a 1", "+OK"), ("TOUCH a a nokey", ":2")]);
        assert_eq!(run_in(&mut t, 0, 500, "TOUCH a"), ":1");
        assert_eq!(t.keyspace.dbs[0].get(b"a").unwrap().lru, 500);
        assert_eq!(t.cmd("TOUCH"), "-ERR wrong number of arguments for 'touch' command");
        assert_eq!((t.keyspace.stats.keyspace_hits, t.keyspace.stats.keyspace_misses), (3, 1));
    }
}
