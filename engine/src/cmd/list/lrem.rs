//! LREM key count element

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// LREM: removes up to |count| occurrences of `element`, from the head when count > 0, from the
/// tail when count < 0, all of them when 0; replies with how many went.
pub fn lrem(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let count = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    let (key, element) = (argv[1], argv[3]);
    let Some(list) = ctx.write_list(key)? else { return Ok(Reply::Int(0)) };
    let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
    let len = list.len();
    // Ascending positions of the elements to remove.
    let doomed: Vec<usize> = if count < 0 {
        let from_tail = list.iter().rev().enumerate().filter(|(_, item)| *item == element);
        let mut positions: Vec<usize> = from_tail.map(|(i, _)| len - 1 - i).take(limit).collect();
        positions.reverse();
        positions
    } else {
        list.iter().enumerate().filter(|(_, item)| *item == element).map(|(i, _)| i).take(limit).collect()
    };
    if doomed.is_empty() {
        return Ok(Reply::Int(0));
    }
    let removed = list.retain(|i, _| doomed.binary_search(&i).is_err());
    ctx.notify(NotifyClass::LIST, "lrem", key);
    ctx.delete_if_empty(key);
    ctx.dirty += removed as u64;
    Ok(Reply::Int(removed as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn lrem_counts_from_either_end() {
        // Proves LREM's direction and limit, deletion of an emptied key, and its errors (count is
        // parsed before the key is looked up).
        TestDb::new().check(&[
            ("LREM l 0 a", ":0"),
            ("LREM l x a", "-ERR value is not an integer or out of range"),
            ("RPUSH l a b a c a d a", ":7"),
            ("LREM l 2 a", ":2"),
            ("LRANGE l 0 -1", "[\"b\", \"c\", \"a\", \"d\", \"a\"]"),
            ("LREM l -1 a", ":1"),
            ("LRANGE l 0 -1", "[\"b\", \"c\", \"a\", \"d\"]"),
            ("LREM l 0 nope", ":0"),
            ("LREM l -9223372036854775808 a", ":1"),
            ("LREM l 0 b", ":1"),
            ("LREM l 5 c", ":1"),
            ("LREM l 0 d", ":1"),
            ("EXISTS l", ":0"),
            ("SET s v", "+OK"),
            ("LREM s 0 v", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LREM s 0", "-ERR wrong number of arguments for 'lrem' command"),
        ]);
    }
}
