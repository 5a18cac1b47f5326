//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//!
//! Redis 7.0's `scanGenericCommand` on the keyspace: walk buckets with `Dict::scan` until `count`
//! keys are collected or `count * 10` more buckets were visited, then filter by pattern, then by
//! type, then drop expired keys (removing them). Every key present for the whole scan is
//! returned at least once. Kept Redis quirks: the TYPE filter looks keys up as a read (hits,
//! misses, lazy expiry), so `TYPE none` returns keys that were expired; a cursor is parsed with C's
//! `strtoul` (an empty cursor is 0, `-1` wraps, a leading space or trailing junk is an error).

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::glob::string_match;
use crate::num::parse_i64;
use crate::reply::Reply;

/// Keys asked for when the client gives no COUNT.
const COUNT_DEFAULT: i64 = 10;
/// Buckets visited per requested key before returning with fewer keys (Redis's `count*10`).
const BUCKETS_PER_KEY_MAX: i64 = 10;

/// Parses a cursor as Redis's `parseScanCursorOrReply`: C's `strtoul(s, &end, 10)` must consume
/// the whole string (up to a NUL, where C strings end) and the string must not start with space.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::msg("ERR invalid cursor");
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    if text.first().is_some_and(|&b| b" \t\n\x0b\x0c\r".contains(&b)) {
        return Err(invalid());
    }
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if text.is_empty() {
        // strtoul converts nothing and leaves `end` on the terminator: cursor 0.
        return Ok(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(d - b'0'))).ok_or_else(invalid)?;
    }
    Ok(if negative { value.wrapping_neg() } else { value })
}

/// SCAN: the next cursor and a batch of keys.
pub fn scan(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let mut cursor = parse_cursor(argv[1])?;
    let mut count = COUNT_DEFAULT;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let has_value = argv.len() - i >= 2;
        if eq_ci(argv[i], "count") && has_value {
            count = parse_i64(argv[i + 1]).ok_or(CmdError::NotInteger)?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if eq_ci(argv[i], "match") && has_value {
            // `*` matches everything, so Redis skips matching (the empty key included).
            pattern = Some(argv[i + 1]).filter(|p| *p != b"*");
        } else if eq_ci(argv[i], "type") && has_value {
            type_name = Some(argv[i + 1]);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }

    let mut batch: Vec<Vec<u8>> = Vec::new();
    let db = ctx.db();
    let mut buckets_left = count.saturating_mul(BUCKETS_PER_KEY_MAX);
    loop {
        cursor = db.keys().scan(cursor, |key, _| batch.push(key.to_vec()));
        if cursor == 0 || buckets_left == 0 {
            break;
        }
        buckets_left -= 1;
        if batch.len() as i64 >= count {
            break;
        }
    }

    let mut keys = Vec::with_capacity(batch.len());
    for key in batch {
        if pattern.is_some_and(|p| !string_match(p, &key)) {
            continue;
        }
        if let Some(wanted) = type_name {
            let found = ctx.lookup_read_notouch(&key).map_or("none", |obj| obj.value.type_name());
            if !eq_ci(wanted, found) {
                continue;
            }
        }
        if ctx.expire_if_needed(&key) {
            continue;
        }
        keys.push(Reply::Bulk(key));
    }
    Ok(Reply::Array(vec![Reply::Bulk(cursor.to_string().into_bytes()), Reply::Array(keys)]))
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;
    use crate::cmd::testing::TestDb;
    use crate::reply::Reply;
    use std::collections::BTreeSet;

    /// Runs SCAN with `args` and returns the next cursor and the keys.
    fn scan(t: &mut TestDb, cursor: u64, args: &[&str]) -> (u64, Vec<Vec<u8>>) {
        let cursor = cursor.to_string();
        let mut argv: Vec<&[u8]> = vec![b"SCAN", cursor.as_bytes()];
        argv.extend(args.iter().map(|a| a.as_bytes()));
        match t.run(&argv) {
            Reply::Array(parts) => match &parts[..] {
                [Reply::Bulk(next), Reply::Array(keys)] => {
                    let next = std::str::from_utf8(next).unwrap().parse().unwrap();
                    let keys = keys
                        .iter()
                        .map(|k| match k {
                            Reply::Bulk(b) => b.clone(),
                            other => panic!("key {other:?}"),
                        })
                        .collect();
                    (next, keys)
                }
                other => panic!("reply {other:?}"),
            },
            other => panic!("reply {other:?}"),
        }
    }

    /// Every key a full scan returns.
    fn full_scan(t: &mut TestDb, args: &[&str]) -> BTreeSet<Vec<u8>> {
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        // A scan of n keys takes at most one call per bucket; the bound catches a cursor loop.
        for _ in 0..100_000 {
            let (next, keys) = scan(t, cursor, args);
            seen.extend(keys);
            cursor = next;
            if cursor == 0 {
                return seen;
            }
        }
        panic!("scan did not finish");
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        // Proves the cursor rules real Redis 7.0.15 showed: empty is 0, signs are accepted and
        // `-` wraps, a leading space, junk, overflow or a lone sign is "invalid cursor".
        let ok: &[(&[u8], u64)] = &[
            (b"", 0),
            (b"0", 0),
            (b"+0", 0),
            (b"-1", u64::MAX),
            (b"18446744073709551615", u64::MAX),
            (b"-18446744073709551615", 1),
            (b"007", 7),
            (b"5\0junk", 5),
        ];
        for (arg, want) in ok {
            assert_eq!(parse_cursor(arg), Ok(*want), "{:?}", arg.escape_ascii().to_string());
        }
        for arg in [&b" 0"[..], b"0x", b"-", b"+", b"18446744073709551616", b"3.0", b"1 ", b"\t1"] {
            assert!(parse_cursor(arg).is_err(), "{:?}", arg.escape_ascii().to_string());
        }
    }

    #[test]
    fn option_errors_match_redis() {
        // Proves every SCAN error reply and that the cursor is checked before the options.
        let mut t = TestDb::new();
        t.check(&[
            ("SCAN x", "-ERR invalid cursor"),
            ("SCAN x COUNT 0", "-ERR invalid cursor"),
            ("SCAN 0 COUNT 0", "-ERR syntax error"),
            ("SCAN 0 COUNT -1", "-ERR syntax error"),
            ("SCAN 0 COUNT x", "-ERR value is not an integer or out of range"),
            ("SCAN 0 COUNT 9999999999999999999", "-ERR value is not an integer or out of range"),
            ("SCAN 0 COUNT", "-ERR syntax error"),
            ("SCAN 0 MATCH", "-ERR syntax error"),
            ("SCAN 0 TYPE", "-ERR syntax error"),
            ("SCAN 0 foo bar", "-ERR syntax error"),
            ("SCAN", "-ERR wrong number of arguments for 'scan' command"),
            ("SCAN 0", "[\"0\", []]"),
        ]);
    }

    #[test]
    fn match_type_and_expiry_filter_the_batch() {
        // Proves MATCH (with `*` also returning the empty key), TYPE (any case; unknown types
        // return nothing), and that expired keys are left out and removed.
        let mut t = TestDb::new();
        t.check(&[("SET a1 v", "+OK"), ("SET a2 v", "+OK"), ("SET b v", "+OK"), ("SET \"\" v", "+OK")]);
        t.check(&[("SET gone v", "+OK"), ("PEXPIRE gone 1", ":1")]);
        t.now_ms += 2;
        let all: BTreeSet<Vec<u8>> = [&b""[..], b"a1", b"a2", b"b"].iter().map(|k| k.to_vec()).collect();
        assert_eq!(full_scan(&mut t, &["COUNT", "100", "MATCH", "*"]), all);
        assert_eq!(t.keyspace.stats.expired_keys, 1);
        let a: BTreeSet<Vec<u8>> = [&b"a1"[..], b"a2"].iter().map(|k| k.to_vec()).collect();
        assert_eq!(full_scan(&mut t, &["MATCH", "a*"]), a);
        assert_eq!(full_scan(&mut t, &["MATCH", "a*", "TYPE", "STRING"]), a);
        assert!(full_scan(&mut t, &["TYPE", "hash"]).is_empty());
        assert!(full_scan(&mut t, &["TYPE", "foo"]).is_empty());
    }

    #[test]
    fn type_none_returns_expired_keys_like_redis() {
        // Proves the Redis 7.0 quirk: the TYPE filter's read lookup removes an expired key and
        // reports "none", so `TYPE none` returns it (counting a miss and an expiry).
        let mut t = TestDb::new();
        t.check(&[("SET live v", "+OK"), ("SET x v", "+OK"), ("PEXPIRE x 1", ":1")]);
        t.now_ms += 2;
        let x: BTreeSet<Vec<u8>> = [b"x".to_vec()].into();
        assert_eq!(full_scan(&mut t, &["TYPE", "none"]), x);
        assert_eq!(t.keyspace.stats.expired_keys, 1);
        assert_eq!((t.keyspace.stats.keyspace_hits, t.keyspace.stats.keyspace_misses), (1, 1));
        t.check(&[("DBSIZE", ":1")]);
    }

    #[test]
    fn count_bounds_the_work_of_one_call() {
        // Proves a call stops once it has COUNT keys (a bucket is never split, so a little more
        // is possible) and that the default COUNT is 10.
        let mut t = TestDb::new();
        for i in 0..1000 {
            t.check(&[(format!("SET k{i} v").as_str(), "+OK")]);
        }
        let (cursor, keys) = scan(&mut t, 0, &[]);
        assert!(cursor != 0 && (10..20).contains(&keys.len()), "{} keys", keys.len());
        let (_, keys) = scan(&mut t, 0, &["COUNT", "100"]);
        assert!((100..120).contains(&keys.len()), "{} keys", keys.len());
        let (cursor, keys) = scan(&mut t, 0, &["COUNT", "1", "MATCH", "nothing*"]);
        assert!(cursor != 0 && keys.is_empty());
    }

    #[test]
    fn every_key_present_throughout_is_returned_despite_concurrent_changes() {
        // Proves SCAN's guarantee: keys present for the whole scan are returned even while
        // other keys are added and deleted between calls (growing and shrinking the table).
        let mut t = TestDb::new();
        for i in 0..500 {
            t.check(&[(format!("SET stable{i} v").as_str(), "+OK")]);
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut call = 0;
        loop {
            let (next, keys) = scan(&mut t, cursor, &["COUNT", "7"]);
            seen.extend(keys);
            call += 1;
            if call % 3 == 0 {
                for j in 0..400 {
                    t.run(&[b"SET", format!("tmp{call}-{j}").as_bytes(), b"v"]);
                }
            } else {
                let tmp: Vec<Vec<u8>> = t.keyspace.dbs[0]
                    .keys()
                    .iter()
                    .filter(|(k, _)| k.starts_with(b"tmp"))
                    .map(|(k, _)| k.to_vec())
                    .collect();
                for k in tmp {
                    t.run(&[b"DEL", &k]);
                }
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
            assert!(call < 100_000, "scan did not finish");
        }
        for i in 0..500 {
            assert!(seen.contains(format!("stable{i}").as_bytes()), "stable{i} missed");
        }
    }
}
