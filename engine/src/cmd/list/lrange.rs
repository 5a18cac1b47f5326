//! LRANGE key start stop
//! LLEN key

use super::clamp_range;
use crate::cmd::args::Args;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// LRANGE: the elements from `start` to `stop` inclusive (negative indexes count from the tail).
pub fn lrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mut args = Args::after(argv, 2);
    let (start, stop) = (args.next_i64()?, args.next_i64()?);
    let Some(list) = ctx.read_list(argv[1])? else { return Ok(Reply::Array(Vec::new())) };
    let Some((first, last)) = clamp_range(start, stop, list.len()) else { return Ok(Reply::Array(Vec::new())) };
    Ok(Reply::Bulks(list.iter_from(first).take(last - first + 1).collect()))
}

/// LLEN: the number of elements (0 for a missing key).
pub fn llen(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.read_list(argv[1])?.map_or(0, |l| l.len() as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn lrange_and_llen() {
        // Proves LRANGE's index rules, its reply on missing keys, and the errors of both commands.
        TestDb::new().check(&[
            ("LRANGE l 0 -1", "[]"),
            ("LLEN l", ":0"),
            ("RPUSH l a b c d", ":4"),
            ("LLEN l", ":4"),
            ("LRANGE l 0 -1", "[\"a\", \"b\", \"c\", \"d\"]"),
            ("LRANGE l 1 2", "[\"b\", \"c\"]"),
            ("LRANGE l -2 100", "[\"c\", \"d\"]"),
            ("LRANGE l -100 0", "[\"a\"]"),
            ("LRANGE l 3 1", "[]"),
            ("LRANGE l 4 10", "[]"),
            ("LRANGE l x 1", "-ERR value is not an integer or out of range"),
            ("LRANGE l 0 1.5", "-ERR value is not an integer or out of range"),
            ("LRANGE nokey x 1", "-ERR value is not an integer or out of range"),
            ("SET s v", "+OK"),
            ("LRANGE s 0 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LLEN s", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LRANGE l 0", "-ERR wrong number of arguments for 'lrange' command"),
            ("LLEN", "-ERR wrong number of arguments for 'llen' command"),
        ]);
    }
}
