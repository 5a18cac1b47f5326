//! HSCAN key cursor [MATCH pattern] [COUNT count]
//!
//! Redis 7.0's `scanGenericCommand` on one hash: the cursor is parsed first, then the key is
//! looked up (missing: an empty scan, before any option is read), then the options. A listpack
//! hash is returned whole with cursor 0; a hash table is walked bucket by bucket until `count`
//! items (a field and its value count as two, as in Redis) or `count * 10` buckets. MATCH
//! filters on the field. SSCAN shares the options and the walk bound (`ScanArgs`).

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::keys::scan::parse_cursor;
use crate::error::CmdError;
use crate::glob::string_match;
use crate::num::parse_i64;
use crate::reply::Reply;

/// Items asked for when the client gives no COUNT.
const COUNT_DEFAULT: i64 = 10;
/// Buckets visited per requested item before returning with fewer (Redis's `count*10`).
const BUCKETS_PER_ITEM_MAX: i64 = 10;

/// The options of HSCAN, SSCAN (and ZSCAN): MATCH and COUNT, no TYPE.
pub(crate) struct ScanArgs<'a> {
    /// How many items to aim for.
    pub count: i64,
    /// Only members (fields) matching this glob; `None` for all (`*` is dropped, as Redis does).
    pub pattern: Option<&'a [u8]>,
}

impl ScanArgs<'_> {
    /// Parses the options after the cursor, as `scanGenericCommand` does for a key's value.
    pub(crate) fn parse<'a>(options: &[&'a [u8]]) -> Result<ScanArgs<'a>, CmdError> {
        let mut out = ScanArgs { count: COUNT_DEFAULT, pattern: None };
        let mut i = 0;
        while i < options.len() {
            let has_value = options.len() - i >= 2;
            if eq_ci(options[i], "count") && has_value {
                out.count = parse_i64(options[i + 1]).ok_or(CmdError::NotInteger)?;
                if out.count < 1 {
                    return Err(CmdError::Syntax);
                }
            } else if eq_ci(options[i], "match") && has_value {
                out.pattern = Some(options[i + 1]).filter(|p| *p != b"*");
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(out)
    }

    /// True when `member` passes MATCH.
    pub(crate) fn matches(&self, member: &[u8]) -> bool {
        self.pattern.is_none_or(|p| string_match(p, member))
    }

    /// Walks `step` (one bucket per call, returning the next cursor and adding to a running
    /// item count) from `cursor` until the walk ends, `count` items are in, or `count * 10`
    /// more buckets were visited. Returns the cursor to hand back.
    pub(crate) fn walk(&self, mut cursor: u64, mut step: impl FnMut(u64) -> (u64, usize)) -> u64 {
        let mut buckets_left = self.count.saturating_mul(BUCKETS_PER_ITEM_MAX);
        loop {
            let (next, items) = step(cursor);
            cursor = next;
            if cursor == 0 || buckets_left == 0 {
                return cursor;
            }
            buckets_left -= 1;
            if items as i64 >= self.count {
                return cursor;
            }
        }
    }
}

/// The reply of every SCAN-family command: the next cursor and the items.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::Bulk(cursor.to_string().into_bytes()), Reply::Array(items)])
}

/// HSCAN: the next cursor and a batch of fields and values.
pub fn hscan(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let cursor = parse_cursor(argv[2])?;
    let Some(hash) = ctx.read_hash(argv[1])? else { return Ok(scan_reply(0, Vec::new())) };
    let args = ScanArgs::parse(&argv[3..])?;
    let mut batch: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = args.walk(cursor, |cursor| {
        let next = hash.scan(cursor, |f, v| batch.push((f.to_vec(), v.to_vec())));
        (next, batch.len() * 2)
    });
    let items = batch
        .into_iter()
        .filter(|(f, _)| args.matches(f))
        .flat_map(|(f, v)| [Reply::Bulk(f), Reply::Bulk(v)])
        .collect();
    Ok(scan_reply(next, items))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{show, TestDb};
    use crate::reply::Reply;
    use std::collections::BTreeSet;

    #[test]
    fn hscan_errors_follow_redis_order() {
        // Proves the cursor is checked first, a missing key answers an empty scan before the
        // options are read, WRONGTYPE beats option errors, and every option error text.
        TestDb::new().check(&[
            ("HSCAN nokey x", "-ERR invalid cursor"),
            ("HSCAN nokey 0 foo", "[\"0\", []]"),
            ("SET s v", "+OK"),
            ("HSCAN s 0 foo", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("HSET h a 1 b 2 ab 3", ":3"),
            ("HSCAN h 0 foo", "-ERR syntax error"),
            ("HSCAN h 0 TYPE string", "-ERR syntax error"),
            ("HSCAN h 0 COUNT 0", "-ERR syntax error"),
            ("HSCAN h 0 COUNT x", "-ERR value is not an integer or out of range"),
            ("HSCAN h 0 MATCH", "-ERR syntax error"),
            ("HSCAN h", "-ERR wrong number of arguments for 'hscan' command"),
            ("HSCAN h 0", "[\"0\", [\"a\", \"1\", \"b\", \"2\", \"ab\", \"3\"]]"),
            ("HSCAN h 77 COUNT 1 MATCH a*", "[\"0\", [\"a\", \"1\", \"ab\", \"3\"]]"),
        ]);
    }

    #[test]
    fn hscan_of_a_table_returns_every_field() {
        // Proves a full HSCAN of a hashtable-encoded hash visits every field with its value,
        // and that COUNT bounds each batch loosely, as Redis's does.
        let mut db = TestDb::new();
        db.config.hash_max_listpack_entries = 4;
        for i in 0..100 {
            db.cmd(&format!("HSET h f{i} v{i}"));
        }
        assert_eq!(db.encoding("h"), Some("hashtable"));
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        // 100 fields take at most one call per bucket; the bound catches a cursor loop.
        for _ in 0..1000 {
            let reply = db.run(&[b"HSCAN", b"h", cursor.as_bytes(), b"COUNT", b"5"]);
            let Reply::Array(parts) = reply else { panic!("{}", show(&reply)) };
            let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else { panic!() };
            for pair in items.chunks(2) {
                let [Reply::Bulk(f), Reply::Bulk(v)] = pair else { panic!() };
                assert_eq!(f[1..], v[1..]);
                seen.insert(f.clone());
            }
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!((cursor.as_str(), seen.len()), ("0", 100));
    }
}
