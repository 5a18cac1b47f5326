//! The slow log: the latest commands that took at least `slowlog-log-slower-than` microseconds
//! (Redis's `slowlog.c`), read with SLOWLOG GET / LEN and cleared with SLOWLOG RESET.
//!
//! # What is logged, and when (as Redis 7.0.15 does, checked against a live server)
//! - Every command a client runs, after it ran, unless its row has `skip_slowlog` (EXEC: the
//!   commands it runs are logged one by one instead, each with its own duration).
//! - A command that blocks is logged when it is served, with the time its serving took; one that
//!   times out (or is unblocked by CLIENT UNBLOCK) is not logged.
//! - An entry keeps at most `ARGC_MAX` arguments (the last one then says how many more there
//!   were) and at most `ARG_BYTES_MAX` bytes of each (followed by how many more there were).
//!   Secrets never enter it: the values of sensitive options in CONFIG SET and HELLO's AUTH
//!   credentials are logged as `(redacted)`.
//! - The duration comes from the node's stopwatch (`Time::stopwatch`), so under the simulator
//!   every command takes 0 µs and the log is deterministic.
//!
//! Entry ids count from 0 and are never reused, not even after SLOWLOG RESET.

use std::collections::VecDeque;

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::Reply;

/// Arguments an entry keeps (Redis's SLOWLOG_ENTRY_MAX_ARGC).
const ARGC_MAX: usize = 32;
/// Bytes of one argument an entry keeps (SLOWLOG_ENTRY_MAX_STRING).
const ARG_BYTES_MAX: usize = 128;
/// What a secret argument is logged as (Redis's `shared.redacted`).
const REDACTED: &[u8] = b"(redacted)";
/// The options whose CONFIG SET value is a secret (Redis's SENSITIVE_CONFIG flag in 7.0.15).
const SENSITIVE_OPTIONS: &[&str] = &["requirepass", "masterauth", "masteruser"];

/// One logged command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unique, increasing id.
    pub id: u64,
    /// Unix time (seconds) when it was logged.
    pub time_s: i64,
    /// How long it took, in microseconds.
    pub duration_us: u64,
    /// Its arguments, trimmed and redacted.
    pub argv: Vec<Vec<u8>>,
    /// The client's address (`ip:port`).
    pub addr: String,
    /// The client's name (empty if none).
    pub name: Vec<u8>,
}

impl Entry {
    /// The entry as SLOWLOG GET prints it: id, time, duration, arguments, address, name.
    fn reply(&self) -> Reply {
        Reply::Array(vec![
            Reply::Int(self.id as i64),
            Reply::Int(self.time_s),
            Reply::Int(self.duration_us as i64),
            Reply::Array(self.argv.iter().map(|a| Reply::Bulk(a.clone())).collect()),
            Reply::Bulk(self.addr.clone().into_bytes()),
            Reply::Bulk(self.name.clone()),
        ])
    }
}

/// The log itself, newest entry first.
#[derive(Clone, Debug, Default)]
pub struct SlowLog {
    entries: VecDeque<Entry>,
    next_id: u64,
}

/// What is known about a command when it is offered to the log.
pub struct Offer<'a> {
    /// Its table name (`config|set`), for redaction.
    pub name: &'a str,
    /// Its arguments as sent.
    pub argv: &'a [&'a [u8]],
    /// How long it took.
    pub duration_us: u64,
    /// When it finished (unix seconds).
    pub time_s: i64,
    /// Its client's address.
    pub addr: &'a str,
    /// Its client's name.
    pub client_name: &'a [u8],
}

impl SlowLog {
    /// Logs the command if it took at least `slower_than_us` (none are logged when negative),
    /// then trims the log to `max_len` entries (Redis's `slowlogPushEntryIfNeeded`).
    pub fn offer(&mut self, offer: &Offer, slower_than_us: i64, max_len: u64) {
        if slower_than_us < 0 {
            return;
        }
        if offer.duration_us as i128 >= i128::from(slower_than_us) {
            let entry = Entry {
                id: self.next_id,
                time_s: offer.time_s,
                duration_us: offer.duration_us,
                argv: entry_args(offer.name, offer.argv),
                addr: offer.addr.to_owned(),
                name: offer.client_name.to_vec(),
            };
            self.next_id += 1;
            self.entries.push_front(entry);
        }
        let max_len = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.entries.truncate(max_len);
    }

    /// SLOWLOG LEN.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// SLOWLOG RESET: every entry goes; ids keep counting.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// SLOWLOG GET: the newest `count` entries (all of them for `None`).
    pub fn get(&self, count: Option<usize>) -> Reply {
        let count = count.unwrap_or(usize::MAX);
        Reply::Array(self.entries.iter().take(count).map(Entry::reply).collect())
    }
}

/// The arguments an entry keeps: secrets redacted, then at most `ARGC_MAX` arguments of at most
/// `ARG_BYTES_MAX` bytes each (Redis's `slowlogCreateEntry`).
fn entry_args(name: &str, argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let redacted = redacted_positions(name, argv);
    let kept = argv.len().min(ARGC_MAX);
    let mut out = Vec::with_capacity(kept);
    for (j, arg) in argv.iter().take(kept).enumerate() {
        if kept != argv.len() && j == kept - 1 {
            out.push(format!("... ({} more arguments)", argv.len() - kept + 1).into_bytes());
        } else if redacted.contains(&j) {
            out.push(REDACTED.to_vec());
        } else if arg.len() > ARG_BYTES_MAX {
            let mut cut = arg[..ARG_BYTES_MAX].to_vec();
            cut.extend_from_slice(format!("... ({} more bytes)", arg.len() - ARG_BYTES_MAX).as_bytes());
            out.push(cut);
        } else {
            out.push(arg.to_vec());
        }
    }
    out
}

/// The positions of secret arguments, found as the command parses them: the value of every
/// sensitive option CONFIG SET names, and the user and password after each AUTH that HELLO
/// reads (Redis's `redactClientCommandArgument` calls).
fn redacted_positions(name: &str, argv: &[&[u8]]) -> Vec<usize> {
    let mut out = Vec::new();
    match name {
        "config|set" => {
            for j in (2..argv.len().saturating_sub(1)).step_by(2) {
                if SENSITIVE_OPTIONS.iter().any(|o| eq_ci(argv[j], o)) {
                    out.push(j + 1);
                }
            }
        }
        "hello" => {
            let mut j = 2;
            while j < argv.len() {
                let more = argv.len() - j - 1;
                if eq_ci(argv[j], "auth") && more >= 2 {
                    out.extend([j + 1, j + 2]);
                    j += 2;
                } else if eq_ci(argv[j], "setname") && more >= 1 {
                    j += 1;
                } else {
                    break;
                }
                j += 1;
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer<'a>(name: &'a str, argv: &'a [&'a [u8]], duration_us: u64) -> Offer<'a> {
        Offer { name, argv, duration_us, time_s: 1_700_000_000, addr: "127.0.0.1:5000", client_name: b"" }
    }

    #[test]
    fn threshold_and_length_bound_the_log() {
        // Proves -1 logs nothing, a command at the threshold is logged and one under it is not,
        // ids increase across a reset, and the log is trimmed to the newest max_len entries on
        // the next offer even when that offer is not logged.
        let mut log = SlowLog::default();
        log.offer(&offer("ping", &[b"PING"], 1_000_000), -1, 128);
        assert_eq!(log.len(), 0);
        log.offer(&offer("ping", &[b"PING"], 9), 10, 128);
        assert_eq!(log.len(), 0);
        for _ in 0..3 {
            log.offer(&offer("ping", &[b"PING"], 10), 10, 128);
        }
        assert_eq!(log.len(), 3);
        log.offer(&offer("ping", &[b"PING"], 0), 10, 2);
        assert_eq!(log.len(), 2);
        assert_eq!(log.entries[0].id, 2, "the newest entries stay");
        log.reset();
        log.offer(&offer("ping", &[b"PING"], 0), 0, 128);
        assert_eq!(log.entries[0].id, 3);
        log.offer(&offer("ping", &[b"PING"], 0), 0, 0);
        assert_eq!(log.len(), 0);
    }

    #[test]
    fn arguments_are_trimmed_as_redis_trims_them() {
        // Proves the 32-argument and 128-byte cuts with Redis's texts (the shapes redis-server
        // 7.0.15 logged for RPUSH with 42 and 33 arguments and SET with a 200-byte value).
        let numbers: Vec<String> = (0..40).map(|n| n.to_string()).collect();
        let mut argv: Vec<&[u8]> = vec![b"RPUSH", b"l"];
        argv.extend(numbers.iter().map(|n| n.as_bytes()));
        let args = entry_args("rpush", &argv);
        assert_eq!(args.len(), 32);
        assert_eq!(args[30], b"28");
        assert_eq!(args[31], b"... (11 more arguments)");
        let long = vec![b'z'; 129];
        let mut argv: Vec<&[u8]> = vec![b"RPUSH", b"l3"];
        argv.extend(std::iter::repeat_n(long.as_slice(), 31));
        let args = entry_args("rpush", &argv);
        assert_eq!(args[31], b"... (2 more arguments)");
        assert_eq!(args[2], [vec![b'z'; 128], b"... (1 more bytes)".to_vec()].concat());
        let value = vec![b'x'; 128];
        assert_eq!(entry_args("set", &[b"SET", b"k", &value])[2], value, "128 bytes are kept whole");
    }

    #[test]
    fn secrets_are_redacted() {
        // Proves the sensitive CONFIG SET values (any case, any position, even next to an
        // unknown option) and HELLO's AUTH user and password are logged as (redacted), as
        // redis-server 7.0.15 logs them, and other values are kept.
        let args = entry_args("config|set", &[b"CONFIG", b"SET", b"nosuch", b"x", b"MasterAuth", b"y"]);
        assert_eq!(args, [&b"CONFIG"[..], b"SET", b"nosuch", b"x", b"MasterAuth", REDACTED]);
        let args = entry_args("config|set", &[b"CONFIG", b"SET", b"requirepass", b"", b"maxclients", b"5"]);
        assert_eq!(args, [&b"CONFIG"[..], b"SET", b"requirepass", REDACTED, b"maxclients", b"5"]);
        let args = entry_args("hello", &[b"HELLO", b"2", b"SETNAME", b"n", b"AUTH", b"u", b"p"]);
        assert_eq!(args, [&b"HELLO"[..], b"2", b"SETNAME", b"n", b"AUTH", REDACTED, REDACTED]);
        let args = entry_args("hello", &[b"HELLO", b"2", b"AUTH", b"u"]);
        assert_eq!(args, [&b"HELLO"[..], b"2", b"AUTH", b"u"], "an incomplete AUTH is not parsed");
    }
}
