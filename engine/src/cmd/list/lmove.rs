//! LMOVE source destination LEFT|RIGHT LEFT|RIGHT
//! RPOPLPUSH source destination
//!
//! Redis's `lmoveGenericCommand`: WRONGTYPE on either key before anything moves; a list moved
//! onto itself rotates in place (keeping its TTL).

use super::{parse_end, pop_event, push_event, push_items};
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::list::End;

/// Moves one element from `from` of `src` to `to` of `dst`; `None` when `src` does not exist.
pub(super) fn move_one(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> Result<Option<Vec<u8>>, CmdError> {
    if ctx.write_list(src)?.is_none() {
        return Ok(None);
    }
    ctx.write_list(dst)?;
    let list = ctx.write_list(src)?.expect("checked above");
    let item = list.pop(from).expect("a list key is never empty");
    let emptied = list.is_empty() && src != dst;
    // Redis's lmoveGenericCommand: the push (creating the destination) and its event come
    // first, then the pop's event and the emptied source's deletion. When `src == dst` the
    // source is briefly empty and the push refills it.
    push_items(ctx, dst, to, &[&item], push_event(to))?;
    ctx.notify(NotifyClass::LIST, pop_event(from), src);
    if emptied {
        ctx.delete_emptied(src);
    }
    Ok(Some(item))
}

/// LMOVE: pops from one end of `source`, pushes to one end of `destination`, returns the element.
pub fn lmove(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (from, to) = (parse_end(argv[3])?, parse_end(argv[4])?);
    Ok(Reply::bulk_or_null(move_one(ctx, argv[1], argv[2], from, to)?))
}

/// RPOPLPUSH: LMOVE source destination RIGHT LEFT.
pub fn rpoplpush(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::bulk_or_null(move_one(ctx, argv[1], argv[2], End::Right, End::Left)?))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn lmove_moves_and_rotates() {
        // Proves each direction pair, creation of the destination, deletion of an emptied source,
        // rotation onto itself with its TTL kept, WRONGTYPE on either side without moving
        // anything, and the errors.
        let mut db = TestDb::new();
        db.check(&[
            ("LMOVE a b left right", "(nil)"),
            ("RPOPLPUSH a b", "(nil)"),
            ("RPUSH a 1 2 3", ":3"),
            ("LMOVE a b LEFT RIGHT", "\"1\""),
            ("LMOVE a b right left", "\"3\""),
            ("RPOPLPUSH a b", "\"2\""),
            ("EXISTS a", ":0"),
            ("LRANGE b 0 -1", "[\"2\", \"3\", \"1\"]"),
            ("LMOVE b b left right", "\"2\""),
            ("LRANGE b 0 -1", "[\"3\", \"1\", \"2\"]"),
            ("LMOVE b b up right", "-ERR syntax error"),
            ("LMOVE b b left down", "-ERR syntax error"),
            ("SET s v", "+OK"),
            ("LMOVE b s left left", WRONGTYPE),
            ("LMOVE s b left left", WRONGTYPE),
            ("RPOPLPUSH b s", WRONGTYPE),
            ("LRANGE b 0 -1", "[\"3\", \"1\", \"2\"]"),
            ("RPUSH one x", ":1"),
            ("EXPIRE one 100", ":1"),
            ("RPOPLPUSH one one", "\"x\""),
            ("LMOVE a b left", "-ERR wrong number of arguments for 'lmove' command"),
            ("RPOPLPUSH a", "-ERR wrong number of arguments for 'rpoplpush' command"),
        ]);
        assert_eq!(db.ttl_ms("one"), Some(100_000));
    }
}
