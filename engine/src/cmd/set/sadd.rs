//! SADD key member [member ...]
//! SREM key member [member ...]
//!
//! Redis's `saddCommand` and `sremCommand`. A new set's encoding is chosen by its first member
//! (`setTypeCreate`): intset for an integer, hashtable otherwise; SREM deletes the key once the
//! set is empty.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// SADD: adds members, replying with how many were new.
pub fn sadd(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let intset_max = ctx.config.set_max_intset_entries;
    let (set, rng) = super::set_for_add(ctx, argv[1], argv[2])?;
    let added = argv[2..].iter().filter(|m| set.add(m, intset_max, rng)).count();
    if added > 0 {
        ctx.notify(NotifyClass::SET, "sadd", argv[1]);
    }
    ctx.dirty += added as u64;
    Ok(Reply::Int(added as i64))
}

/// SREM: removes members, replying with how many were present.
pub fn srem(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let Some(set) = ctx.write_set(argv[1])? else { return Ok(Reply::Int(0)) };
    let mut removed = 0;
    for member in &argv[2..] {
        if set.remove(member) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if removed > 0 {
        ctx.notify(NotifyClass::SET, "srem", argv[1]);
    }
    if emptied {
        ctx.delete_emptied(argv[1]);
    }
    ctx.dirty += removed;
    Ok(Reply::Int(removed as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    const WRONG: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn sadd_and_srem_count_and_clean_up() {
        // Proves SADD/SREM replies (duplicates count once), that SREM deletes the emptied key,
        // dirty counting, and their errors.
        let mut db = TestDb::new();
        db.check(&[
            ("SADD s a b a", ":2"),
            ("SADD s b c", ":1"),
            ("SREM s a x a", ":1"),
            ("SREM nokey a", ":0"),
            ("SREM s b c", ":2"),
            ("EXISTS s", ":0"),
            ("SET str v", "+OK"),
            ("SADD str a", WRONG),
            ("SREM str a", WRONG),
            ("SADD s", "-ERR wrong number of arguments for 'sadd' command"),
            ("SREM s", "-ERR wrong number of arguments for 'srem' command"),
        ]);
        assert_eq!(db.dirty, 2 + 1 + 1 + 2 + 1);
    }

    #[test]
    fn encodings_follow_redis_7_0_15() {
        // Proves what real Redis 7.0.15 showed: intset for integer members (kept sorted), a
        // hashtable for a non-integer first member or once one arrives, conversion past
        // set-max-intset-entries, and no conversion back.
        let mut db = TestDb::new();
        db.check(&[("SADD i 3 -1 2 10", ":4"), ("SMEMBERS i", "[\"-1\", \"2\", \"3\", \"10\"]")]);
        assert_eq!(db.encoding("i"), Some("intset"));
        db.check(&[("SADD s a", ":1"), ("SADD n 1 x", ":2"), ("SADD z 01", ":1")]);
        assert_eq!([db.encoding("s"), db.encoding("n"), db.encoding("z")], [Some("hashtable"); 3]);
        db.check(&[("SADD i x", ":1"), ("SREM i x", ":1")]);
        assert_eq!(db.encoding("i"), Some("hashtable"));
        db.config.set_max_intset_entries = 3;
        db.check(&[("SADD m 1 2 3", ":3")]);
        assert_eq!(db.encoding("m"), Some("intset"));
        db.check(&[("SADD m 4", ":1")]);
        assert_eq!(db.encoding("m"), Some("hashtable"));
    }
}
