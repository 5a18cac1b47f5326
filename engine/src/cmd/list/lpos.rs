//! LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
//!
//! Redis's `lposCommand`, including one quirk: RANK -9223372036854775808 negates to itself in
//! C, so every match from the tail qualifies and COUNT never stops the scan (checked against
//! Redis 7.0.15: `LPOS l a RANK -9223372036854775808 COUNT 1` lists every match).

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// Redis's `getPositiveLongFromObjectOrReply` with a custom message, used for parse and range.
fn non_negative(arg: &[u8], message: &'static str) -> Result<u64, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(CmdError::msg(message)),
    }
}

/// LPOS: the index of matches of `element`.
pub fn lpos(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<u64>, 0u64);
    let mut j = 3;
    while j < argv.len() {
        let has_value = j + 1 < argv.len();
        if eq_ci(argv[j], "rank") && has_value {
            rank = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            if rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use \
                     negative to start from the end of the list",
                ));
            }
        } else if eq_ci(argv[j], "count") && has_value {
            count = Some(non_negative(argv[j + 1], "ERR COUNT can't be negative")?);
        } else if eq_ci(argv[j], "maxlen") && has_value {
            maxlen = non_negative(argv[j + 1], "ERR MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 2;
    }
    let element = argv[2];
    let Some(list) = ctx.read_list(argv[1])? else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Null });
    };
    let len = list.len();
    let from_tail = rank < 0;
    // The match number from which matches are reported (see the header for i64::MIN).
    let first_reported = if rank == i64::MIN { 1 } else { rank.unsigned_abs() };
    let count_stops = rank != i64::MIN;
    let scan_len = if maxlen == 0 { len } else { len.min(usize::try_from(maxlen).unwrap_or(usize::MAX)) };
    let items: Box<dyn Iterator<Item = &[u8]>> =
        if from_tail { Box::new(list.iter().rev()) } else { Box::new(list.iter()) };
    let mut matches = 0u64;
    let mut found = Vec::new();
    for (scanned, item) in items.take(scan_len).enumerate() {
        if item != element {
            continue;
        }
        matches += 1;
        if matches < first_reported {
            continue;
        }
        found.push(if from_tail { len - 1 - scanned } else { scanned } as i64);
        match count {
            None => break,
            Some(n) if count_stops && n != 0 && matches - first_reported + 1 >= n => break,
            Some(_) => {}
        }
    }
    Ok(match count {
        Some(_) => Reply::Array(found.into_iter().map(Reply::Int).collect()),
        None => found.first().map_or(Reply::Null, |&i| Reply::Int(i)),
    })
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    const RANK_ZERO: &str = "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or \
                             use negative to start from the end of the list";

    #[test]
    fn lpos_matches_redis() {
        // Proves RANK, COUNT and MAXLEN in combination, the replies real Redis 7.0.15 gave on
        // [a b a c a], and every error in its order.
        TestDb::new().check(&[
            ("LPOS l a", "(nil)"),
            ("LPOS l a COUNT 0", "[]"),
            ("LPOS l a RANK 0", RANK_ZERO),
            ("RPUSH l a b a c a", ":5"),
            ("LPOS l a", ":0"),
            ("LPOS l c", ":3"),
            ("LPOS l z", "(nil)"),
            ("LPOS l z COUNT 2", "[]"),
            ("LPOS l a RANK 2", ":2"),
            ("LPOS l a RANK -1", ":4"),
            ("LPOS l a RANK 2 RANK 1", ":0"),
            ("LPOS l a COUNT 0", "[:0, :2, :4]"),
            ("LPOS l a COUNT 2", "[:0, :2]"),
            ("LPOS l a RANK -2 COUNT 5", "[:2, :0]"),
            ("LPOS l a COUNT 0 MAXLEN 3", "[:0, :2]"),
            ("LPOS l a RANK -2 MAXLEN 2", "(nil)"),
            ("LPOS l a RANK -2 MAXLEN 3 COUNT 0", "[:2]"),
            ("LPOS l a RANK 9223372036854775807 COUNT 0", "[]"),
            ("LPOS l a RANK -9223372036854775808", ":4"),
            ("LPOS l a RANK -9223372036854775808 COUNT 1", "[:4, :2, :0]"),
            ("LPOS l a RANK x", "-ERR value is not an integer or out of range"),
            ("LPOS l a COUNT -1", "-ERR COUNT can't be negative"),
            ("LPOS l a COUNT x", "-ERR COUNT can't be negative"),
            ("LPOS l a MAXLEN -1", "-ERR MAXLEN can't be negative"),
            ("LPOS l a MAXLEN x", "-ERR MAXLEN can't be negative"),
            ("LPOS l a RANK", "-ERR syntax error"),
            ("LPOS l a foo 1", "-ERR syntax error"),
            ("SET s v", "+OK"),
            ("LPOS s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LPOS s a foo", "-ERR syntax error"),
            ("LPOS s", "-ERR wrong number of arguments for 'lpos' command"),
        ]);
    }
}
