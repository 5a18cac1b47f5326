//! SWAPDB index1 index2
//!
//! Deliberate difference: Redis refuses SWAPDB in cluster mode; the engine has no cluster mode
//! yet. The keys someone watches or waits on in either database are reported as modified
//! (`Ctx::signal_swapped`); waking the blocked clients is the node's part.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// A database index argument, with Redis's per-argument error text for a non-integer or
/// out-of-int-range value.
fn parse_index(arg: &[u8], invalid: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg).filter(|n| i32::try_from(*n).is_ok()).ok_or(CmdError::msg(invalid))
}

/// SWAPDB: exchanges the contents of two databases.
pub fn swapdb(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let first = parse_index(argv[1], "ERR invalid first DB index")?;
    let second = parse_index(argv[2], "ERR invalid second DB index")?;
    let dbs = &mut ctx.keyspace.dbs;
    let in_range = |n: i64| usize::try_from(n).ok().filter(|&i| i < dbs.len());
    let (Some(a), Some(b)) = (in_range(first), in_range(second)) else {
        return Err(CmdError::DbIndexOutOfRange);
    };
    if a != b {
        ctx.signal_swapped(a, b);
        let dbs = &mut ctx.keyspace.dbs;
        let (low, high) = (a.min(b), a.max(b));
        let (head, tail) = dbs.split_at_mut(high);
        head[low].swap_contents(&mut tail[0]);
    }
    ctx.dirty += 1;
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::keys::test_support::run_in;
    use crate::cmd::testing::TestDb;

    #[test]
    fn swapdb_errors_match_redis() {
        // Proves each SWAPDB error with Redis 7.0.15's text and which argument it blames.
        let mut t = TestDb::new();
        t.check(&[
            ("SWAPDB x 0", "-ERR invalid first DB index"),
            ("SWAPDB 0 x", "-ERR invalid second DB index"),
            ("SWAPDB x y", "-ERR invalid first DB index"),
            ("SWAPDB 99999999999 0", "-ERR invalid first DB index"),
            ("SWAPDB 0 99999999999", "-ERR invalid second DB index"),
            ("SWAPDB 0 16", "-ERR DB index is out of range"),
            ("SWAPDB -1 0", "-ERR DB index is out of range"),
            ("SWAPDB 0", "-ERR wrong number of arguments for 'swapdb' command"),
        ]);
    }

    #[test]
    fn swapdb_exchanges_keys_and_ttls() {
        // Proves the two databases trade keys and TTLs, and swapping a database with itself is OK.
        let mut t = TestDb::new();
        t.check(&[("SET a 1", "+OK"), ("PEXPIRE a 5000", ":1")]);
        assert_eq!(run_in(&mut t, 3, 0, "SET b 2"), "+OK");
        t.check(&[("SWAPDB 0 3", "+OK"), ("GET b", "\"2\""), ("EXISTS a", ":0"), ("SWAPDB 0 0", "+OK")]);
        assert_eq!(run_in(&mut t, 3, 0, "PTTL a"), ":5000");
        t.check(&[("SWAPDB 3 0", "+OK"), ("PTTL a", ":5000")]);
    }
}
