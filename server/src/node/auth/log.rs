//! The ACL log (ACL LOG): denied authentications, newest first, at most `acllog-max-len`
//! entries. As in Redis, a denial like one logged less than a minute before (same reason,
//! context, object and username) updates that entry (count, time, client) and moves it to the
//! front instead of adding one.

use std::collections::VecDeque;

use verdis_engine::Reply;

/// How close in time a denial must be to an earlier like one to be counted in it (Redis's
/// `ACL_LOG_GROUPING_MAX_TIME_DELTA`).
const GROUPING_MS_MAX: i64 = 60_000;
/// How many of the newest entries a denial is compared with (Redis's loop bound).
const GROUPING_ENTRIES_MAX: usize = 10;
/// Entries ACL LOG shows without a count.
pub const SHOWN_BY_DEFAULT: usize = 10;

/// One denial, or a group of like ones.
#[derive(Debug)]
pub struct Entry {
    /// How many denials the entry stands for.
    pub count: u64,
    /// Why: `auth` (a failed AUTH or HELLO AUTH).
    pub reason: &'static str,
    /// Where: `toplevel` or `multi`.
    pub context: &'static str,
    /// What was denied: for `auth`, the command's name as the client sent it.
    pub object: Vec<u8>,
    /// The user named.
    pub username: Vec<u8>,
    /// When the last denial of the group happened (unix ms).
    pub time_ms: i64,
    /// The client's CLIENT INFO line at that denial.
    pub client_info: String,
}

/// The log.
#[derive(Debug, Default)]
pub struct AclLog {
    /// Newest first.
    entries: VecDeque<Entry>,
}

impl AclLog {
    /// Records `entry`, grouping it with a like recent one, and trims to `len_max` entries.
    pub fn add(&mut self, entry: Entry, len_max: u64) {
        let like = |old: &Entry| {
            old.reason == entry.reason
                && old.context == entry.context
                && old.object == entry.object
                && old.username == entry.username
                && entry.time_ms - old.time_ms <= GROUPING_MS_MAX
        };
        match self.entries.iter().take(GROUPING_ENTRIES_MAX).position(like) {
            Some(i) => {
                let mut old = self.entries.remove(i).expect("found");
                old.count += 1;
                old.time_ms = entry.time_ms;
                old.client_info = entry.client_info;
                self.entries.push_front(old);
            }
            None => self.entries.push_front(entry),
        }
        self.entries.truncate(usize::try_from(len_max).unwrap_or(usize::MAX));
    }

    /// Forgets every entry (ACL LOG RESET).
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// ACL LOG's reply: the `count` newest entries, each a map, ages relative to `now_ms`.
    pub fn reply(&self, count: usize, now_ms: i64) -> Reply {
        let field = |name: &str, value: Reply| (Reply::bulk(name.as_bytes()), value);
        let entries = self.entries.iter().take(count).map(|e| {
            Reply::Map(vec![
                field("count", Reply::Int(e.count as i64)),
                field("reason", Reply::bulk(e.reason.as_bytes())),
                field("context", Reply::bulk(e.context.as_bytes())),
                field("object", Reply::bulk(&e.object)),
                field("username", Reply::bulk(&e.username)),
                field("age-seconds", Reply::Double((now_ms - e.time_ms) as f64 / 1000.0)),
                field("client-info", Reply::bulk(e.client_info.as_bytes())),
            ])
        });
        Reply::Array(entries.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(user: &[u8], time_ms: i64) -> Entry {
        Entry {
            count: 1,
            reason: "auth",
            context: "toplevel",
            object: b"auth".to_vec(),
            username: user.to_vec(),
            time_ms,
            client_info: format!("at {time_ms}"),
        }
    }

    #[test]
    fn like_denials_group_within_a_minute_and_the_log_is_bounded() {
        // Proves grouping (count, newest time and client, moved to the front), no grouping past
        // 60 s or for another user, and trimming to the maximum length.
        let mut log = AclLog::default();
        log.add(denial(b"a", 0), 128);
        log.add(denial(b"b", 1), 128);
        log.add(denial(b"a", 60_000), 128);
        assert_eq!(log.entries.len(), 2);
        assert_eq!(
            (log.entries[0].count, log.entries[0].time_ms, &log.entries[0].username[..]),
            (2, 60_000, &b"a"[..])
        );
        assert_eq!(log.entries[0].client_info, "at 60000");
        log.add(denial(b"a", 120_001), 128);
        assert_eq!(log.entries.len(), 3);
        log.add(denial(b"c", 120_002), 2);
        assert_eq!(log.entries.len(), 2);
        assert_eq!(&log.entries[1].username[..], b"a");
        log.add(denial(b"d", 120_003), 0);
        assert!(log.entries.is_empty());
    }
}
