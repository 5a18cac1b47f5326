//! DBSIZE

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// DBSIZE: the number of keys in the selected database, counting keys that are logically
/// expired but not yet removed, as Redis does (it reports the dict's size).
pub fn dbsize(ctx: &mut Ctx, _argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.db().len() as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn dbsize_counts_expired_keys_until_removed() {
        // Proves DBSIZE counts a logically expired key until something removes it, as Redis does.
        let mut t = TestDb::new();
        t.check(&[("DBSIZE", ":0"), ("SET a 1", "+OK"), ("SET b 1", "+OK"), ("PEXPIRE b 1", ":1")]);
        t.now_ms += 2;
        t.check(&[
            ("DBSIZE", ":2"),
            ("EXISTS b", ":0"),
            ("DBSIZE", ":1"),
            ("DBSIZE x", "-ERR wrong number of arguments for 'dbsize' command"),
        ]);
    }
}
