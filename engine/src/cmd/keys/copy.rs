//! COPY source destination [DB destination-db] [REPLACE]
//!
//! Redis 7.0's `copyCommand`. The copy is a new object (fresh access time) with the source's
//! encoding and TTL. Deliberate difference: Redis refuses other databases in cluster mode; the
//! engine has no cluster mode yet.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::Object;

use super::parse_db_index;

/// COPY: copies the value (and TTL) to `destination`, in the same or another database; 1 when
/// copied, 0 when the source is missing or the destination exists without REPLACE.
pub fn copy(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (src, dst) = (argv[1], argv[2]);
    let mut replace = false;
    let mut dst_db = ctx.db;
    let mut i = 3;
    while i < argv.len() {
        if eq_ci(argv[i], "replace") {
            replace = true;
        } else if eq_ci(argv[i], "db") && i + 1 < argv.len() {
            dst_db = parse_db_index(ctx, argv[i + 1])?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if dst_db == ctx.db && src == dst {
        return Err(CmdError::SameObject);
    }
    let Some(obj) = ctx.lookup_read(src) else { return Ok(Reply::Int(0)) };
    let value = obj.value.clone();
    let expire_at = ctx.db().expire_at(src);

    let src_db = ctx.db;
    ctx.db = dst_db;
    let dst_exists = ctx.lookup_write(dst).is_some();
    if dst_exists && !replace {
        ctx.db = src_db;
        return Ok(Reply::Int(0));
    }
    let copied = Object { unshared: true, ..ctx.new_object(value) };
    if dst_exists {
        ctx.db().delete(dst);
    }
    ctx.add_key(dst, copied);
    if let Some(when_ms) = expire_at {
        ctx.db().set_expire(dst, when_ms);
    }
    ctx.notify(NotifyClass::GENERIC, "copy_to", dst);
    ctx.db = src_db;
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::keys::test_support::run_in;
    use crate::cmd::testing::TestDb;

    #[test]
    fn copy_errors_match_redis() {
        // Proves every COPY error with Redis 7.0.15's text, in Redis's checking order.
        let mut t = TestDb::new();
        t.check(&[
            ("SET b 2", "+OK"),
            ("COPY b b", "-ERR source and destination objects are the same"),
            ("COPY b b DB 0", "-ERR source and destination objects are the same"),
            ("COPY b c DB 16", "-ERR DB index is out of range"),
            ("COPY b c DB -1", "-ERR DB index is out of range"),
            ("COPY b c DB 16 foo", "-ERR DB index is out of range"),
            ("COPY b c DB x", "-ERR value is not an integer or out of range"),
            ("COPY b c DB 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647"),
            ("COPY b c DB", "-ERR syntax error"),
            ("COPY b c foo", "-ERR syntax error"),
            ("COPY b", "-ERR wrong number of arguments for 'copy' command"),
            ("DBSIZE", ":1"),
        ]);
    }

    #[test]
    fn copy_duplicates_value_encoding_and_ttl() {
        // Proves COPY answers 1 and 0 as Redis does, keeps the encoding and TTL, refuses an
        // existing target without REPLACE, replaces it with REPLACE, and copies across databases.
        let mut t = TestDb::new();
        t.check(&[
            ("SET n 123", "+OK"),
            ("PEXPIRE n 5000", ":1"),
            ("COPY nokey c", ":0"),
            ("COPY n c", ":1"),
            ("GET c", "\"123\""),
            ("PTTL c", ":5000"),
            ("SET d other", "+OK"),
            ("COPY n d", ":0"),
            ("GET d", "\"other\""),
            ("COPY n d REPLACE replace", ":1"),
            ("GET d", "\"123\""),
            ("COPY n n DB 1", ":1"),
            ("COPY n n DB 1", ":0"),
        ]);
        assert_eq!(t.encoding("c"), Some("int"));
        let db1 = &t.keyspace.dbs[1];
        assert!(db1.keys().contains_key(b"n"));
        assert_eq!(db1.expire_at(b"n"), t.keyspace.dbs[0].expire_at(b"n"));
        assert_eq!(run_in(&mut t, 1, 0, "COPY n n DB 0 REPLACE"), ":1");
    }
}
