//! LINSERT key BEFORE|AFTER pivot element

use super::push_items;
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// LINSERT: inserts `element` next to the first `pivot` from the head; the new length, -1 when
/// the pivot is absent, 0 when the key is.
pub fn linsert(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let after = if eq_ci(argv[2], "after") {
        true
    } else if eq_ci(argv[2], "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let (key, pivot, element) = (argv[1], argv[3], argv[4]);
    let Some(list) = ctx.write_list(key)? else { return Ok(Reply::Int(0)) };
    let Some(found) = list.iter().position(|item| item == pivot) else { return Ok(Reply::Int(-1)) };
    let at = found + usize::from(after);
    if at == list.len() {
        // Appending goes through the common push path (one dirty, no node rebuild).
        return Ok(Reply::Int(push_items(ctx, key, crate::types::list::End::Right, &[element], "linsert")? as i64));
    }
    list.insert(at, element);
    let len = list.len();
    ctx.notify(NotifyClass::LIST, "linsert", key);
    ctx.dirty += 1;
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn linsert_places_and_reports() {
        // Proves insertion before/after the first pivot, the 0 / -1 replies, and the errors.
        TestDb::new().check(&[
            ("LINSERT l before a b", ":0"),
            ("LINSERT l middle a b", "-ERR syntax error"),
            ("RPUSH l a b a", ":3"),
            ("LINSERT l BEFORE a x", ":4"),
            ("LINSERT l after a y", ":5"),
            ("LINSERT l After b z", ":6"),
            ("LINSERT l before nope z", ":-1"),
            ("LRANGE l 0 -1", "[\"x\", \"a\", \"y\", \"b\", \"z\", \"a\"]"),
            ("LINSERT l after a", "-ERR wrong number of arguments for 'linsert' command"),
            ("SET s v", "+OK"),
            ("LINSERT s before a b", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LINSERT s middle a b", "-ERR syntax error"),
        ]);
    }
}
