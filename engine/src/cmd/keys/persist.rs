//! PERSIST key

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// PERSIST: removes the key's TTL; 1 when it had one, 0 when it had none or does not exist.
pub fn persist(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[1];
    if ctx.lookup_write(key).is_none() || !ctx.db().persist(key) {
        return Ok(Reply::Int(0));
    }
    ctx.notify(NotifyClass::GENERIC, "persist", key);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn persist_removes_a_ttl_once() {
        // Proves PERSIST answers 1 only when it removed a TTL, and 0 for no TTL or no key.
        let mut t = TestDb::new();
        t.check(&[
            ("SET k v", "+OK"),
            ("PERSIST k", ":0"),
            ("EXPIRE k 100", ":1"),
            ("PERSIST k", ":1"),
            ("TTL k", ":-1"),
            ("PERSIST k", ":0"),
            ("PERSIST nokey", ":0"),
            ("PERSIST", "-ERR wrong number of arguments for 'persist' command"),
        ]);
    }
}
