//! MSET key value [key value ...]
//! MSETNX key value [key value ...]
//!
//! Redis's `msetGenericCommand`: an odd argument count is the arity error (the table's arity
//! only says "at least 3"); MSETNX sets nothing if any key exists. Later pairs overwrite earlier
//! ones for a repeated key, in MSETNX too.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// Sets every pair, or with `nx` none if any key exists. `cmd` names the command in the arity error.
fn mset_generic(ctx: &mut Ctx, argv: &[&[u8]], nx: bool, cmd: &str) -> Result<Reply, CmdError> {
    if argv.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(cmd.into()));
    }
    let pairs = &argv[1..];
    if nx {
        for key in pairs.iter().step_by(2) {
            if ctx.lookup_write(key).is_some() {
                return Ok(Reply::Int(0));
            }
        }
    }
    for pair in pairs.chunks_exact(2) {
        ctx.set_key(pair[0], Value::Str(StrValue::from_bytes(pair[1])), false);
        ctx.notify(NotifyClass::STRING, "set", pair[0]);
    }
    ctx.dirty += (pairs.len() / 2) as u64;
    Ok(if nx { Reply::Int(1) } else { Reply::Ok })
}

/// MSET: sets every pair; each key loses any TTL.
pub fn mset(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    mset_generic(ctx, argv, false, "mset")
}

/// MSETNX: sets every pair if no key exists (1), else nothing (0).
pub fn msetnx(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    mset_generic(ctx, argv, true, "msetnx")
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn mset_sets_all_pairs_and_clears_ttls() {
        // Proves MSET's reply, its arity errors, encodings, TTL removal and dirty += pairs.
        let mut db = TestDb::new();
        db.check(&[
            ("MSET a", "-ERR wrong number of arguments for 'mset' command"),
            ("MSET a 1 b", "-ERR wrong number of arguments for 'mset' command"),
            ("SET a x EX 100", "+OK"),
            ("MSET a 1 b hello a 2", "+OK"),
            ("MGET a b", "[\"2\", \"hello\"]"),
        ]);
        assert_eq!(db.ttl_ms("a"), None);
        assert_eq!(db.encoding("a"), Some("int"));
        assert_eq!(db.dirty, 4);
    }

    #[test]
    fn msetnx_is_all_or_nothing() {
        // Proves MSETNX sets nothing when one key exists, repeated keys take the last value, and
        // dirty counts pairs only when it set.
        let mut db = TestDb::new();
        db.check(&[
            ("MSETNX a", "-ERR wrong number of arguments for 'msetnx' command"),
            ("MSETNX a 1 b", "-ERR wrong number of arguments for 'msetnx' command"),
            ("MSETNX a 1 a 2", ":1"),
            ("GET a", "\"2\""),
            ("MSETNX c 3 a 9", ":0"),
            ("MGET a c", "[\"2\", (nil)]"),
            ("MSETNX c 3 d 4", ":1"),
        ]);
        assert_eq!(db.dirty, 4);
    }
}
