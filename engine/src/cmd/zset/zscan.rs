//! ZSCAN key cursor [MATCH pattern] [COUNT count]
//!
//! Redis 7.0's `scanGenericCommand` on one sorted set, sharing HSCAN's option parsing and walk
//! bound: the cursor is parsed first, a missing key answers an empty scan before options are
//! read, a listpack is returned whole with cursor 0, a skiplist's member dict is walked bucket by
//! bucket. Scores are bulk strings (`%.17g`) in both protocols, as Redis sends them.

use crate::cmd::ctx::Ctx;
use crate::cmd::hash::hscan::{scan_reply, ScanArgs};
use crate::cmd::keys::scan::parse_cursor;
use crate::error::CmdError;
use crate::num::format_double_17g;
use crate::reply::Reply;

/// ZSCAN: the next cursor and a batch of members and scores.
pub fn zscan(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let cursor = parse_cursor(argv[2])?;
    let Some(zset) = ctx.read_zset(argv[1])? else { return Ok(scan_reply(0, Vec::new())) };
    let args = ScanArgs::parse(&argv[3..])?;
    let mut batch: Vec<(Vec<u8>, f64)> = Vec::new();
    let next = args.walk(cursor, |cursor| {
        let next = zset.scan(cursor, |m, s| batch.push((m.to_vec(), s)));
        (next, batch.len() * 2)
    });
    let mut buf = [0u8; 32];
    let mut items = Vec::with_capacity(batch.len() * 2);
    for (m, s) in batch.into_iter().filter(|(m, _)| args.matches(m)) {
        items.push(Reply::Bulk(m));
        items.push(Reply::bulk(format_double_17g(s, &mut buf)));
    }
    Ok(scan_reply(next, items))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{show, TestDb};
    use crate::reply::Reply;
    use std::collections::BTreeSet;

    #[test]
    fn zscan_small_sets_and_errors() {
        // Proves a listpack is returned whole, scores print as %.17g bulk strings (RESP3 too),
        // MATCH filters members, and the error order.
        let mut db = TestDb::new();
        db.check(&[
            ("ZSCAN nokey x", "-ERR invalid cursor"),
            ("ZSCAN nokey 0 foo", "[\"0\", []]"),
            ("ZADD z 1 a 0.1 b 3 ab", ":3"),
            ("ZSCAN z 0", "[\"0\", [\"b\", \"0.10000000000000001\", \"a\", \"1\", \"ab\", \"3\"]]"),
            ("ZSCAN z 5 MATCH a*", "[\"0\", [\"a\", \"1\", \"ab\", \"3\"]]"),
            ("ZSCAN z 0 COUNT 0", "-ERR syntax error"),
            ("SET s v", "+OK"),
            ("ZSCAN s 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
        db.resp = 3;
        db.check(&[("ZSCAN z 0 MATCH b", "[\"0\", [\"b\", \"0.10000000000000001\"]]")]);
    }

    #[test]
    fn zscan_of_a_skiplist_returns_every_member() {
        // Proves a full ZSCAN of a skiplist-encoded set visits every member with its score.
        let mut db = TestDb::new();
        for i in 0..200 {
            db.cmd(&format!("ZADD z {i} m{i}"));
        }
        assert_eq!(db.encoding("z"), Some("skiplist"));
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        // 200 members take at most one call per bucket; the bound catches a cursor loop.
        for _ in 0..1000 {
            let reply = db.run(&[b"ZSCAN", b"z", cursor.as_bytes(), b"COUNT", b"7"]);
            let Reply::Array(parts) = reply else { panic!("{}", show(&reply)) };
            let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else { panic!() };
            for pair in items.chunks(2) {
                let [Reply::Bulk(m), Reply::Bulk(s)] = pair else { panic!() };
                assert_eq!(m[1..], s[..]);
                seen.insert(m.clone());
            }
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!((cursor.as_str(), seen.len()), ("0", 200));
    }
}
