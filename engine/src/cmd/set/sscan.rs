//! SSCAN key cursor [MATCH pattern] [COUNT count]
//!
//! Redis 7.0's `scanGenericCommand` on one set, with HSCAN's order of checks (`hscan.rs`): an
//! intset is returned whole with cursor 0, a hash table walked with the shared bound.

use crate::cmd::ctx::Ctx;
use crate::cmd::hash::hscan::{scan_reply, ScanArgs};
use crate::cmd::keys::scan::parse_cursor;
use crate::error::CmdError;
use crate::reply::Reply;

/// SSCAN: the next cursor and a batch of members.
pub fn sscan(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let cursor = parse_cursor(argv[2])?;
    let Some(set) = ctx.read_set(argv[1])? else { return Ok(scan_reply(0, Vec::new())) };
    let args = ScanArgs::parse(&argv[3..])?;
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let next = args.walk(cursor, |cursor| {
        let next = set.scan(cursor, |m| batch.push(m.to_vec()));
        (next, batch.len())
    });
    Ok(scan_reply(next, batch.into_iter().filter(|m| args.matches(m)).map(Reply::Bulk).collect()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{show, TestDb};
    use crate::reply::Reply;
    use std::collections::BTreeSet;

    #[test]
    fn sscan_errors_and_compact_sets_match_redis() {
        // Proves SSCAN's check order and errors, and that an intset comes back whole, ascending,
        // with cursor 0 whatever the cursor and COUNT, MATCH applied to the decimal form.
        TestDb::new().check(&[
            ("SSCAN nokey x", "-ERR invalid cursor"),
            ("SSCAN nokey 0 foo", "[\"0\", []]"),
            ("SET s v", "+OK"),
            ("SSCAN s 0 foo", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("SADD i 30 1 20 3", ":4"),
            ("SSCAN i 0 foo", "-ERR syntax error"),
            ("SSCAN i 0 COUNT 0", "-ERR syntax error"),
            ("SSCAN i 0 TYPE set", "-ERR syntax error"),
            ("SSCAN i 0 COUNT x", "-ERR value is not an integer or out of range"),
            ("SSCAN i 5 COUNT 1", "[\"0\", [\"1\", \"3\", \"20\", \"30\"]]"),
            ("SSCAN i 0 MATCH 3*", "[\"0\", [\"3\", \"30\"]]"),
            ("SSCAN i", "-ERR wrong number of arguments for 'sscan' command"),
        ]);
    }

    #[test]
    fn sscan_of_a_table_returns_every_member() {
        // Proves a full SSCAN of a hashtable-encoded set visits every member.
        let mut db = TestDb::new();
        for i in 0..100 {
            db.cmd(&format!("SADD s m{i}"));
        }
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        // 100 members take at most one call per bucket; the bound catches a cursor loop.
        for _ in 0..1000 {
            let reply = db.run(&[b"SSCAN", b"s", cursor.as_bytes(), b"COUNT", b"7"]);
            let Reply::Array(parts) = reply else { panic!("{}", show(&reply)) };
            let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else { panic!() };
            seen.extend(items.iter().map(show));
            cursor = String::from_utf8(next.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!((cursor.as_str(), seen.len()), ("0", 100));
    }
}
