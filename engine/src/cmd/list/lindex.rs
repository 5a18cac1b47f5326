//! LINDEX key index
//! LSET key index element

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// A Redis list index (negative counts from the tail) as a position, if it is in range.
fn position(index: i64, len: usize) -> Option<usize> {
    let index = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&index).then_some(index as usize)
}

/// LINDEX: the element at `index`, or nil.
pub fn lindex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let Some(list) = ctx.read_list(argv[1])? else { return Ok(Reply::Null) };
    let index = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    Ok(match position(index, list.len()) {
        Some(i) => Reply::bulk(list.get(i).expect("in range")),
        None => Reply::Null,
    })
}

/// LSET: replaces the element at `index` of an existing list.
pub fn lset(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let Some(list) = ctx.write_list(argv[1])? else { return Err(CmdError::NoSuchKey) };
    let index = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    let Some(i) = position(index, list.len()) else { return Err(CmdError::msg("ERR index out of range")) };
    list.set(i, argv[3]);
    ctx.notify(NotifyClass::LIST, "lset", argv[1]);
    ctx.dirty += 1;
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn lindex_and_lset() {
        // Proves index rules at both ends, replies on missing keys, and every error in Redis's
        // order (the key is looked up before the index is parsed).
        TestDb::new().check(&[
            ("LINDEX l 0", "(nil)"),
            ("LINDEX l x", "(nil)"),
            ("LSET l 0 v", "-ERR no such key"),
            ("LSET l x v", "-ERR no such key"),
            ("RPUSH l a b c", ":3"),
            ("LINDEX l 0", "\"a\""),
            ("LINDEX l -1", "\"c\""),
            ("LINDEX l 3", "(nil)"),
            ("LINDEX l -4", "(nil)"),
            ("LINDEX l x", "-ERR value is not an integer or out of range"),
            ("LSET l -1 z", "+OK"),
            ("LSET l 0 \"\"", "+OK"),
            ("LRANGE l 0 -1", "[\"\", \"b\", \"z\"]"),
            ("LSET l 3 v", "-ERR index out of range"),
            ("LSET l -4 v", "-ERR index out of range"),
            ("LSET l x v", "-ERR value is not an integer or out of range"),
            ("SET s v", "+OK"),
            ("LINDEX s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LSET s 0 v", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LSET l 0", "-ERR wrong number of arguments for 'lset' command"),
            ("LINDEX l", "-ERR wrong number of arguments for 'lindex' command"),
        ]);
    }
}
