//! LPUSH key element [element ...]
//! RPUSH key element [element ...]
//! LPUSHX key element [element ...]
//! RPUSHX key element [element ...]
//!
//! Redis's `pushGenericCommand`: the X forms only push onto an existing list (0 otherwise).

use super::{push_event, push_items};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::list::End;

fn push(ctx: &mut Ctx, argv: &[&[u8]], end: End, only_existing: bool) -> Result<Reply, CmdError> {
    let key = argv[1];
    if only_existing && ctx.write_list(key)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let len = push_items(ctx, key, end, &argv[2..], push_event(end))?;
    if ctx.config.plants.push_propagates_one_less && argv.len() > 3 {
        // A planted bug (crate::plants): the AOF and replicas get one element less.
        ctx.propagate_as(&argv[..argv.len() - 1]);
    }
    Ok(Reply::Int(len as i64))
}

/// LPUSH: prepends each element in turn; replies with the new length.
pub fn lpush(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    push(ctx, argv, End::Left, false)
}

/// RPUSH: appends each element; replies with the new length.
pub fn rpush(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    push(ctx, argv, End::Right, false)
}

/// LPUSHX: LPUSH onto an existing list only.
pub fn lpushx(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    push(ctx, argv, End::Left, true)
}

/// RPUSHX: RPUSH onto an existing list only.
pub fn rpushx(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    push(ctx, argv, End::Right, true)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn pushes_order_and_count() {
        // Proves push order at each end, replies with the length, X forms on missing keys,
        // WRONGTYPE, arity errors, and one dirty per element.
        let mut db = TestDb::new();
        db.check(&[
            ("LPUSHX l a", ":0"),
            ("RPUSHX l a", ":0"),
            ("EXISTS l", ":0"),
            ("LPUSH l a b c", ":3"),
            ("RPUSH l d e", ":5"),
            ("LPUSHX l z", ":6"),
            ("RPUSHX l y x", ":8"),
            ("LRANGE l 0 -1", "[\"z\", \"c\", \"b\", \"a\", \"d\", \"e\", \"y\", \"x\"]"),
            ("SET s v", "+OK"),
            ("RPUSH s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LPUSHX s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("RPUSHX s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LPUSH l", "-ERR wrong number of arguments for 'lpush' command"),
            ("RPUSH l", "-ERR wrong number of arguments for 'rpush' command"),
            ("LPUSHX l", "-ERR wrong number of arguments for 'lpushx' command"),
            ("RPUSHX l", "-ERR wrong number of arguments for 'rpushx' command"),
        ]);
        assert_eq!(db.dirty, 9);
    }
}
