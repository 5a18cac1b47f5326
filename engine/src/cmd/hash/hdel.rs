//! HDEL key field [field ...]
//!
//! Redis's `hdelCommand`: removes fields, deleting the key once the hash is empty.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// HDEL: removes fields, replying with how many existed.
pub fn hdel(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let Some(hash) = ctx.write_hash(argv[1])? else { return Ok(Reply::Int(0)) };
    let mut deleted = 0;
    for field in &argv[2..] {
        if hash.remove(field) {
            deleted += 1;
            if hash.is_empty() {
                break;
            }
        }
    }
    let emptied = hash.is_empty();
    // A planted bug (crate::plants) drops the event.
    if deleted > 0 && !ctx.config.plants.hdel_skips_notify {
        ctx.notify(NotifyClass::HASH, "hdel", argv[1]);
    }
    if emptied {
        ctx.delete_emptied(argv[1]);
    }
    ctx.dirty += deleted;
    Ok(Reply::Int(deleted as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn hdel_removes_fields_and_the_empty_key() {
        // Proves HDEL's count (duplicates count once), that the key goes when the last field
        // does, and its errors.
        let mut db = TestDb::new();
        db.check(&[
            ("HSET h a 1 b 2 c 3", ":3"),
            ("HDEL h a a x", ":1"),
            ("HDEL nokey a", ":0"),
            ("HDEL h b c", ":2"),
            ("EXISTS h", ":0"),
            ("SET s v", "+OK"),
            ("HDEL s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("HDEL h", "-ERR wrong number of arguments for 'hdel' command"),
        ]);
        assert_eq!(db.dirty, 3 + 1 + 2 + 1);
    }
}
