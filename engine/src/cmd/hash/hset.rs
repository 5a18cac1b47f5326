//! HSET key field value [field value ...]
//! HMSET key field value [field value ...]
//! HSETNX key field value
//!
//! Redis's `hsetCommand` and `hsetnxCommand`. HSET and HMSET check every argument's length
//! against `hash-max-listpack-value` before writing (`hashTypeTryConversion`), so one long
//! argument converts the hash even if the pair it belongs to is written last.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// HSET and HMSET: sets every pair, returning how many fields were new.
fn hset_generic(ctx: &mut Ctx, argv: &[&[u8]], name: &str) -> Result<usize, CmdError> {
    if argv.len() % 2 == 1 {
        return Err(CmdError::WrongArity(name.into()));
    }
    let limits = ctx.hash_limits();
    let (hash, rng) = super::hash_for_write(ctx, argv[1])?;
    let longest = argv[2..].iter().map(|a| a.len()).max().unwrap_or(0);
    hash.convert_for_len(longest, limits, rng);
    let created = argv[2..].chunks_exact(2).filter(|pair| hash.set(pair[0], pair[1], limits, rng)).count();
    ctx.notify(NotifyClass::HASH, "hset", argv[1]);
    ctx.dirty += (argv.len() as u64 - 2) / 2;
    Ok(created)
}

/// HSET: sets fields, replying with the number of new fields.
pub fn hset(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(hset_generic(ctx, argv, "hset")? as i64))
}

/// HMSET: sets fields, replying OK (HSET's deprecated twin).
pub fn hmset(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    hset_generic(ctx, argv, "hmset")?;
    Ok(Reply::Ok)
}

/// HSETNX: sets a field only if it is absent; 1 if it did, 0 if not.
pub fn hsetnx(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if ctx.write_hash(argv[1])?.is_some_and(|h| h.get(argv[2]).is_some()) {
        return Ok(Reply::Int(0));
    }
    let limits = ctx.hash_limits();
    let (hash, rng) = super::hash_for_write(ctx, argv[1])?;
    hash.set(argv[2], argv[3], limits, rng);
    ctx.notify(NotifyClass::HASH, "hset", argv[1]);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn hset_counts_new_fields_and_checks_pairs() {
        // Proves HSET/HMSET replies, their odd-argument arity errors (from the handler, as Redis
        // 7.0.15 does), WRONGTYPE, and that dirty counts every pair written.
        let mut db = TestDb::new();
        db.check(&[
            ("HSET h a 1 b 2", ":2"),
            ("HSET h a 3 c 4", ":1"),
            ("HMSET h d 5", "+OK"),
            ("HGETALL h", "{\"a\": \"3\", \"b\": \"2\", \"c\": \"4\", \"d\": \"5\"}"),
            ("HSET h x 1 y", "-ERR wrong number of arguments for 'hset' command"),
            ("HMSET h x 1 y", "-ERR wrong number of arguments for 'hmset' command"),
            ("HSET h a", "-ERR wrong number of arguments for 'hset' command"),
            ("SET s v", "+OK"),
            ("HSET s a 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("HMSET s a 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
        assert_eq!(db.dirty, 2 + 2 + 1 + 1);
    }

    #[test]
    fn hsetnx_sets_only_absent_fields() {
        // Proves HSETNX replies 1/0, never overwrites, creates the key, and checks the type.
        let mut db = TestDb::new();
        db.check(&[
            ("HSETNX h a 1", ":1"),
            ("HSETNX h a 2", ":0"),
            ("HGET h a", "\"1\""),
            ("SET s v", "+OK"),
            ("HSETNX s a 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("HSETNX h a", "-ERR wrong number of arguments for 'hsetnx' command"),
        ]);
        assert_eq!(db.dirty, 2);
    }

    #[test]
    fn encoding_converts_at_redis_thresholds() {
        // Proves listpack → hashtable at hash-max-listpack-entries / -value exactly where Redis
        // 7.0.15 converts (a long field, a long value, HSETNX, HINCRBY on a long field), and
        // never back.
        let mut db = TestDb::new();
        db.config.hash_max_listpack_entries = 3;
        db.config.hash_max_listpack_value = 5;
        db.check(&[("HSET h a 1 b 2 c 3", ":3")]);
        assert_eq!(db.encoding("h"), Some("listpack"));
        db.check(&[("HSET h d 4", ":1")]);
        assert_eq!(db.encoding("h"), Some("hashtable"));
        db.check(&[("HDEL h a b c", ":3")]);
        assert_eq!(db.encoding("h"), Some("hashtable"));
        db.check(&[("HSET v a 12345", ":1")]);
        assert_eq!(db.encoding("v"), Some("listpack"));
        db.check(&[("HSET v a 123456", ":0")]);
        assert_eq!(db.encoding("v"), Some("hashtable"));
        db.check(&[("HSET f abcdef 1", ":1"), ("HSETNX n abcdef 1", ":1"), ("HINCRBY i abcdef 1", ":1")]);
        assert_eq!([db.encoding("f"), db.encoding("n"), db.encoding("i")], [Some("hashtable"); 3]);
        db.config.hash_max_listpack_entries = 0;
        db.check(&[("HSET z a 1", ":1")]);
        assert_eq!(db.encoding("z"), Some("hashtable"));
    }
}
