//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
//!
//! Redis's `lcsCommand`: both keys are read first (a missing key is ""; another type is an
//! error before any option is looked at), then options left to right, then the classic dynamic
//! programming table, walked back from the end to build the string and the matching ranges.
//! The table (4 bytes per cell) may not exceed `proto-max-bulk-len`, as in Redis.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::value::Value;

/// What the client asked for.
#[derive(Debug, Default)]
struct LcsArgs {
    len_only: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

fn parse(argv: &[&[u8]]) -> Result<LcsArgs, CmdError> {
    let mut out = LcsArgs::default();
    let mut j = 3;
    while j < argv.len() {
        let opt = super::c_option(argv[j]);
        if eq_ci(opt, "idx") {
            out.idx = true;
        } else if eq_ci(opt, "len") {
            out.len_only = true;
        } else if eq_ci(opt, "withmatchlen") {
            out.with_match_len = true;
        } else if eq_ci(opt, "minmatchlen") && j + 1 < argv.len() {
            let n = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            out.min_match_len = n.max(0) as u64;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if out.idx && out.len_only {
        return Err(CmdError::msg("ERR If you want both the length and indexes, please just use IDX."));
    }
    Ok(out)
}

/// The string at `key` for LCS: "" when missing, an error for another type.
fn operand(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(Vec::new()),
        // Any other type will be "ERR The specified keys must contain string values".
        Some(obj) => match &obj.value {
            Value::Str(s) => Ok(s.to_bytes()),
            _ => Err(CmdError::msg("ERR The specified keys must contain string values")),
        },
    }
}

/// One matching range: inclusive start and end in `a`, then in `b`.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

impl Match {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

/// The longest common subsequence of `a` and `b` and its ranges, last range first, as Redis
/// emits them. `table[i * (b.len() + 1) + j]` is the LCS length of `a[..i]` and `b[..j]`.
fn walk_back(a: &[u8], b: &[u8], table: &[u32]) -> (Vec<u8>, Vec<Match>) {
    let width = b.len() + 1;
    let cell = |i: usize, j: usize| table[i * width + j];
    let mut lcs = vec![0u8; cell(a.len(), b.len()) as usize];
    let mut idx = lcs.len();
    let mut matches = Vec::new();
    let mut current: Option<Match> = None;
    let (mut i, mut j) = (a.len(), b.len());
    // Each step lowers i or j (or both), so the walk is bounded by len(a) + len(b) steps.
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            lcs[idx - 1] = a[i - 1];
            match &mut current {
                None => current = Some(Match { a: (i - 1, i - 1), b: (j - 1, j - 1) }),
                // A match right before the current range extends it backwards.
                Some(m) if m.a.0 == i && m.b.0 == j => {
                    m.a.0 -= 1;
                    m.b.0 -= 1;
                }
                Some(_) => emit = true,
            }
            // A range touching the start of either string is complete.
            if current.as_ref().is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if cell(i - 1, j) > cell(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = current.is_some();
        }
        if emit {
            matches.extend(current.take());
        }
    }
    (lcs, matches)
}

/// LCS: the longest common subsequence of two strings, its length, or its matching ranges.
pub fn lcs(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    // Both keys are looked up (and counted as reads) before either is checked.
    let (a, b) = (operand(ctx, argv[1]), operand(ctx, argv[2]));
    let (a, b) = (a?, b?);
    let args = parse(argv)?;
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(CmdError::msg("ERR String too long for LCS"));
    }
    let cells = (a.len() as u128 + 1) * (b.len() as u128 + 1);
    if cells * 4 > u128::from(ctx.config.proto_max_bulk_len) {
        return Err(CmdError::msg("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    let cells = cells as usize;
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells).is_err() {
        return Err(CmdError::msg("ERR Insufficient memory, failed allocating transient memory for LCS"));
    }
    table.resize(cells, 0);
    let width = b.len() + 1;
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let len = i64::from(table[cells - 1]);
    if args.len_only {
        return Ok(Reply::Int(len));
    }
    let (common, matches) = walk_back(&a, &b, &table);
    if !args.idx {
        return Ok(Reply::Bulk(common));
    }
    let range = |(start, end): (usize, usize)| Reply::Array(vec![Reply::Int(start as i64), Reply::Int(end as i64)]);
    let ranges = matches
        .iter()
        .filter(|m| m.len() as u64 >= args.min_match_len)
        .map(|m| {
            let mut item = vec![range(m.a), range(m.b)];
            if args.with_match_len {
                item.push(Reply::Int(m.len() as i64));
            }
            Reply::Array(item)
        })
        .collect();
    Ok(Reply::Map(vec![(Reply::bulk(b"matches"), Reply::Array(ranges)), (Reply::bulk(b"len"), Reply::Int(len))]))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn lcs_string_len_and_ranges() {
        // Proves the three reply forms and the range options on Redis's documented example,
        // checked against Redis 7.0.15.
        TestDb::new().check(&[
            ("MSET key1 ohmytext key2 mynewtext", "+OK"),
            ("LCS key1 key2", "\"mytext\""),
            ("LCS key1 key2 LEN", ":6"),
            ("LCS key1 key2 WITHMATCHLEN", "\"mytext\""),
            ("LCS key1 key2 MINMATCHLEN 2 LEN", ":6"),
            ("LCS key1 key2 IDX", "{\"matches\": [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], \"len\": :6}"),
            ("LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN", "{\"matches\": [[[:4, :7], [:5, :8], :4]], \"len\": :6}"),
            (
                "LCS key1 key2 minmatchlen -5 idx withmatchlen",
                "{\"matches\": [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], \"len\": :6}",
            ),
            ("LCS no1 no2", "\"\""),
            ("LCS no1 no2 IDX", "{\"matches\": [], \"len\": :0}"),
            ("LCS key1 no2 LEN", ":0"),
        ]);
    }

    #[test]
    fn lcs_ranges_on_harder_inputs() {
        // Proves range splitting when matches are interleaved and touch either string's start
        // (expected replies taken from Redis 7.0.15).
        TestDb::new().check(&[
            ("MSET a abcabcab b xaybxcab c aaaa", "+OK"),
            ("LCS a b", "\"abcab\""),
            ("LCS a b IDX WITHMATCHLEN", "{\"matches\": [[[:5, :7], [:5, :7], :3], [[:4, :4], [:3, :3], :1], [[:3, :3], [:1, :1], :1]], \"len\": :5}"),
            ("LCS a c IDX", "{\"matches\": [[[:6, :6], [:2, :2]], [[:3, :3], [:1, :1]], [[:0, :0], [:0, :0]]], \"len\": :3}"),
            ("LCS c a IDX", "{\"matches\": [[[:3, :3], [:6, :6]], [[:2, :2], [:3, :3]], [[:1, :1], [:0, :0]]], \"len\": :3}"),
        ]);
    }

    #[test]
    fn lcs_errors() {
        // Proves option errors, their order (left to right, the IDX+LEN conflict last), and the
        // transient memory limit.
        let mut db = TestDb::new();
        db.check(&[
            ("MSET key1 ohmytext key2 mynewtext", "+OK"),
            ("LCS key1 key2 IDX LEN", "-ERR If you want both the length and indexes, please just use IDX."),
            ("LCS key1 key2 LEN IDX", "-ERR If you want both the length and indexes, please just use IDX."),
            ("LCS key1 key2 foo", "-ERR syntax error"),
            ("LCS key1 key2 MINMATCHLEN", "-ERR syntax error"),
            ("LCS key1 key2 MINMATCHLEN x", "-ERR value is not an integer or out of range"),
            ("LCS key1 key2 MINMATCHLEN x LEN IDX", "-ERR value is not an integer or out of range"),
            ("LCS key1 key2 LEN IDX foo", "-ERR syntax error"),
            ("LCS key1", "-ERR wrong number of arguments for 'lcs' command"),
        ]);
        // ohmytext x mynewtext needs 9 * 10 cells of 4 bytes.
        db.config.proto_max_bulk_len = 359;
        db.check(&[("LCS key1 key2", "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")]);
        db.config.proto_max_bulk_len = 360;
        db.check(&[("LCS key1 key2 LEN", ":6")]);
        assert_eq!(db.dirty, 2);
    }
}
