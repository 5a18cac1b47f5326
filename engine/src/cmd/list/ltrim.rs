//! LTRIM key start stop

use super::clamp_range;
use crate::cmd::args::Args;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;

/// LTRIM: keeps only the elements from `start` to `stop` (LRANGE's index rules); an empty range
/// deletes the key.
pub fn ltrim(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mut args = Args::after(argv, 2);
    let (start, stop) = (args.next_i64()?, args.next_i64()?);
    let key = argv[1];
    let Some(list) = ctx.write_list(key)? else { return Ok(Reply::Ok) };
    let len = list.len();
    // How many elements go from each end (everything, from the head, for an empty range).
    let (head, tail) = match clamp_range(start, stop, len) {
        Some((first, last)) => (first, len - 1 - last),
        None => (len, 0),
    };
    list.remove_range(len - tail, tail);
    list.remove_range(0, head);
    // Raised even when the range keeps every element, as Redis's ltrimCommand does.
    ctx.notify(NotifyClass::LIST, "ltrim", key);
    ctx.delete_if_empty(key);
    ctx.dirty += (head + tail) as u64;
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn ltrim_keeps_the_range() {
        // Proves LTRIM's ranges, deletion when nothing is kept, and its errors (indexes are parsed
        // before the key is looked up).
        let mut db = TestDb::new();
        db.check(&[
            ("LTRIM l 0 1", "+OK"),
            ("LTRIM l x 1", "-ERR value is not an integer or out of range"),
            ("RPUSH l a b c d e", ":5"),
            ("LTRIM l 1 -2", "+OK"),
            ("LRANGE l 0 -1", "[\"b\", \"c\", \"d\"]"),
            ("LTRIM l -100 100", "+OK"),
            ("LRANGE l 0 -1", "[\"b\", \"c\", \"d\"]"),
            ("LTRIM l 2 2", "+OK"),
            ("LRANGE l 0 -1", "[\"d\"]"),
            ("LTRIM l 1 0", "+OK"),
            ("EXISTS l", ":0"),
            ("SET s v", "+OK"),
            ("LTRIM s 0 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LTRIM s 0", "-ERR wrong number of arguments for 'ltrim' command"),
        ]);
        assert_eq!(db.dirty, 5 + 2 + 2 + 1 + 1);
    }
}
