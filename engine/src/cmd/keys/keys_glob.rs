//! KEYS pattern
//!
//! Walks the whole database, as Redis does. Logically expired keys are left out but not removed
//! (Redis's `keyIsExpired` check, not `expireIfNeeded`). The pattern `*` alone skips matching,
//! so it also returns the empty key, which `stringmatchlen("*", "")` would not.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::glob::string_match;
use crate::reply::Reply;

/// KEYS: every live key matching the glob pattern, in table order.
pub fn keys(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let pattern = argv[1];
    let all = pattern == b"*";
    let now_ms = ctx.now_ms();
    let db = ctx.db();
    let found = db
        .keys()
        .iter()
        .filter(|(key, _)| (all || string_match(pattern, key)) && !db.is_expired(key, now_ms))
        .map(|(key, _)| Reply::bulk(key))
        .collect();
    Ok(Reply::Array(found))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    fn sorted(reply: String) -> String {
        let inner = reply.trim_start_matches('[').trim_end_matches(']');
        let mut items: Vec<&str> = inner.split(", ").filter(|s| !s.is_empty()).collect();
        items.sort();
        format!("[{}]", items.join(", "))
    }

    #[test]
    fn keys_matches_globs_and_hides_expired_keys_without_removing_them() {
        // Proves pattern filtering, the `*` shortcut that includes the empty key, and that an
        // expired key is left out but still counted by DBSIZE (KEYS does not delete).
        let mut t = TestDb::new();
        t.check(&[
            ("SET hello 1", "+OK"),
            ("SET hallo 1", "+OK"),
            ("SET hxllo 1", "+OK"),
            ("SET \"\" 1", "+OK"),
            ("SET old 1", "+OK"),
            ("PEXPIRE old 1", ":1"),
        ]);
        t.now_ms += 2;
        assert_eq!(sorted(t.cmd("KEYS *")), "[\"\", \"hallo\", \"hello\", \"hxllo\"]");
        assert_eq!(sorted(t.cmd("KEYS **")), "[\"hallo\", \"hello\", \"hxllo\"]");
        assert_eq!(sorted(t.cmd("KEYS h[ae]llo")), "[\"hallo\", \"hello\"]");
        assert_eq!(sorted(t.cmd("KEYS h[^e]llo")), "[\"hallo\", \"hxllo\"]");
        assert_eq!(t.cmd("KEYS o*"), "[]");
        t.check(&[("DBSIZE", ":5"), ("KEYS", "-ERR wrong number of arguments for 'keys' command")]);
        assert_eq!(t.keyspace.stats.expired_keys, 0);
    }
}
