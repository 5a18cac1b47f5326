//! LPOP key [count]
//! RPOP key [count]
//! LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
//!
//! Redis's `popGenericCommand` and `lmpopGenericCommand`. Without a count LPOP answers one bulk
//! string (nil when the key is missing); with one it answers an array (the null array when the key
//! is missing, an empty array for count 0). LMPOP pops from the first non-empty list among the
//! keys and answers `[key, [elements]]`, or the null array.

use super::{parse_end, pop_items};
use crate::cmd::args::Args;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::list::End;

/// Redis's `getPositiveLongFromObjectOrReply` without a custom message.
fn parse_count(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::msg("ERR value is out of range, must be positive")),
    }
}

fn pop(ctx: &mut Ctx, argv: &[&[u8]], end: End) -> Result<Reply, CmdError> {
    // The table's arity (-2) lets `LPOP key count extra` through; Redis rejects it here.
    if argv.len() > 3 {
        return Err(CmdError::WrongArity(String::from_utf8_lossy(argv[0]).to_lowercase()));
    }
    let count = argv.get(2).map(|c| parse_count(c)).transpose()?;
    let key = argv[1];
    let Some(list) = ctx.write_list(key)? else {
        return Ok(if count.is_some() { Reply::NullArray } else { Reply::Null });
    };
    debug_assert!(!list.is_empty());
    Ok(match count {
        None => Reply::Bulk(pop_items(ctx, key, end, 1).pop().expect("a list key is never empty")),
        Some(n) => Reply::Array(pop_items(ctx, key, end, n).into_iter().map(Reply::Bulk).collect()),
    })
}

/// LPOP: removes and returns the first element(s).
/// The pop command for `end` (LPOP or RPOP): how blocking and multi-key pops propagate.
pub(super) fn pop_command(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LPOP",
        End::Right => b"RPOP",
    }
}

pub fn lpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ctx.reply_first();
    pop(ctx, argv, End::Left)
}

/// RPOP: removes and returns the last element(s).
pub fn rpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ctx.reply_first();
    pop(ctx, argv, End::Right)
}

/// What LMPOP and BLMPOP ask for, parsed.
pub(super) struct Mpop<'a> {
    /// The keys to try, in order.
    pub keys: &'a [&'a [u8]],
    /// Which end to pop from.
    pub end: End,
    /// How many elements at most.
    pub count: usize,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at `argv[numkeys_at]`, with
/// Redis's checks in its order.
pub(super) fn parse_mpop<'a>(argv: &'a [&'a [u8]], numkeys_at: usize) -> Result<Mpop<'a>, CmdError> {
    let numkeys = match parse_i64(argv[numkeys_at]) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(CmdError::msg("ERR numkeys should be greater than 0")),
    };
    let rest = &argv[numkeys_at + 1..];
    if numkeys >= rest.len() {
        return Err(CmdError::Syntax);
    }
    let keys = &rest[..numkeys];
    let end = parse_end(rest[numkeys])?;
    let mut args = Args::after(rest, numkeys + 1);
    let mut count = None;
    while let Some(opt) = args.next_opt() {
        if count.is_none() && crate::cmd::args::eq_ci(opt, "count") && !args.is_empty() {
            count = Some(match parse_i64(args.next_arg()?) {
                Some(n) if n >= 1 => n as usize,
                _ => return Err(CmdError::msg("ERR count should be greater than 0")),
            });
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(Mpop { keys, end, count: count.unwrap_or(1) })
}

/// Pops from the first non-empty list among `mpop.keys` (WRONGTYPE stops the search): the
/// `[key, [elements]]` reply, or `None` when every key is missing.
pub(super) fn serve_mpop(ctx: &mut Ctx, mpop: &Mpop) -> Result<Option<Reply>, CmdError> {
    for key in mpop.keys {
        if ctx.write_list(key)?.is_some() {
            let popped = pop_items(ctx, key, mpop.end, mpop.count);
            // Replicas and the AOF pop from the key that served, as many as were there.
            ctx.propagate_as(&[pop_command(mpop.end), key, popped.len().to_string().as_bytes()]);
            let items = Reply::Array(popped.into_iter().map(Reply::Bulk).collect());
            return Ok(Some(Reply::Array(vec![Reply::bulk(key), items])));
        }
    }
    Ok(None)
}

/// LMPOP: pops up to `count` elements from the first non-empty list.
pub fn lmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    ctx.reply_first();
    let mpop = parse_mpop(argv, 1)?;
    Ok(serve_mpop(ctx, &mpop)?.unwrap_or(Reply::NullArray))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn pop_replies_with_and_without_count() {
        // Proves LPOP/RPOP replies (nil, null array, empty array, counts past the length), key
        // deletion when emptied, and every error real Redis 7.0.15 gives, in its order.
        TestDb::new().check(&[
            ("LPOP l", "(nil)"),
            ("LPOP l 0", "(nil array)"),
            ("RPOP l 3", "(nil array)"),
            ("LPOP l -1", "-ERR value is out of range, must be positive"),
            ("LPOP l x", "-ERR value is out of range, must be positive"),
            ("LPOP l 1 2", "-ERR wrong number of arguments for 'lpop' command"),
            ("RPOP l 1 2", "-ERR wrong number of arguments for 'rpop' command"),
            ("LPOP", "-ERR wrong number of arguments for 'lpop' command"),
            ("RPUSH l a b c d e", ":5"),
            ("LPOP l 0", "[]"),
            ("LPOP l", "\"a\""),
            ("RPOP l", "\"e\""),
            ("LPOP l 2", "[\"b\", \"c\"]"),
            ("RPOP l 9", "[\"d\"]"),
            ("EXISTS l", ":0"),
            ("SET s v", "+OK"),
            ("LPOP s", WRONGTYPE),
            ("RPOP s 1", WRONGTYPE),
            ("RPOP s -1", "-ERR value is out of range, must be positive"),
        ]);
    }

    #[test]
    fn lmpop_takes_the_first_nonempty_list() {
        // Proves LMPOP's choice of key, its count, reply shape, errors in Redis's order and
        // WRONGTYPE on a key reached before a non-empty list.
        TestDb::new().check(&[
            ("LMPOP 1 l left", "(nil array)"),
            ("RPUSH b 1 2 3", ":3"),
            ("LMPOP 2 a b left", "[\"b\", [\"1\"]]"),
            ("LMPOP 2 a b RIGHT COUNT 5", "[\"b\", [\"3\", \"2\"]]"),
            ("EXISTS b", ":0"),
            ("LMPOP 0 l left", "-ERR numkeys should be greater than 0"),
            ("LMPOP x l left", "-ERR numkeys should be greater than 0"),
            ("LMPOP -1 l left", "-ERR numkeys should be greater than 0"),
            ("LMPOP 2 l left", "-ERR syntax error"),
            ("LMPOP 1 l up", "-ERR syntax error"),
            ("LMPOP 1 l left count 0", "-ERR count should be greater than 0"),
            ("LMPOP 1 l left count x", "-ERR count should be greater than 0"),
            ("LMPOP 1 l left count 1 count 1", "-ERR syntax error"),
            ("LMPOP 1 l left count", "-ERR syntax error"),
            ("LMPOP 1 l left foo", "-ERR syntax error"),
            ("LMPOP 99999999999999999 l left", "-ERR syntax error"),
            ("SET s v", "+OK"),
            ("RPUSH b x", ":1"),
            ("LMPOP 2 s b left", WRONGTYPE),
            ("LMPOP 2 b s left", "[\"b\", [\"x\"]]"),
            ("LMPOP 1", "-ERR wrong number of arguments for 'lmpop' command"),
        ]);
    }
}
