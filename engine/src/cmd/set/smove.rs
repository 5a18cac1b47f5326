//! SMOVE source destination member
//!
//! Redis's `smoveCommand`, including its order of checks: a missing source is 0 before the
//! destination's type is looked at; moving within one key is a membership test.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// SMOVE: moves a member between sets; 1 if it was moved, 0 if the source lacked it.
pub fn smove(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (src, dst, member) = (argv[1], argv[2], argv[3]);
    let dst_type = ctx.lookup_write(dst).map(|o| o.value.type_name());
    let Some(src_set) = ctx.lookup_write(src) else { return Ok(Reply::Int(0)) };
    if src_set.value.type_name() != "set" || dst_type.is_some_and(|t| t != "set") {
        return Err(CmdError::WrongType);
    }
    let src_set = ctx.write_set(src)?.expect("looked up above");
    if src == dst {
        return Ok(Reply::Int(i64::from(src_set.contains(member))));
    }
    if !src_set.remove(member) {
        return Ok(Reply::Int(0));
    }
    let emptied = src_set.is_empty();
    ctx.notify(NotifyClass::SET, "srem", src);
    if emptied {
        ctx.delete_emptied(src);
    }
    ctx.dirty += 1;
    let intset_max = ctx.config.set_max_intset_entries;
    let (dst_set, rng) = super::set_for_add(ctx, dst, member)?;
    if dst_set.add(member, intset_max, rng) {
        ctx.notify(NotifyClass::SET, "sadd", dst);
        ctx.dirty += 1;
    }
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn smove_matches_redis() {
        // Proves SMOVE's replies and check order as real Redis 7.0.15 gave them: missing source
        // is 0 even with a wrong-type destination, same-key moves test membership, an emptied
        // source is deleted and a missing destination created (in its own encoding).
        let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value";
        let mut db = TestDb::new();
        db.check(&[
            ("SET str v", "+OK"),
            ("SMOVE nokey str a", ":0"),
            ("SMOVE str nokey a", wrong),
            ("SADD s1 a 1", ":2"),
            ("SMOVE s1 str a", wrong),
            ("SMOVE s1 s1 a", ":1"),
            ("SMOVE s1 s1 b", ":0"),
            ("SMOVE s1 s2 b", ":0"),
            ("SMOVE s1 s2 1", ":1"),
            ("SADD s3 a", ":1"),
            ("SMOVE s1 s3 a", ":1"),
            ("EXISTS s1", ":0"),
            ("SMEMBERS s3", "[\"a\"]"),
            ("SMEMBERS s2", "[\"1\"]"),
            ("SMOVE s1 s2", "-ERR wrong number of arguments for 'smove' command"),
        ]);
        assert_eq!(db.encoding("s2"), Some("intset"));
        assert_eq!(db.dirty, 1 + 2 + 2 + 1 + 1);
    }
}
