//! The operators' views: SLOWLOG GET|LEN|RESET|HELP, LATENCY LATEST|HISTORY|RESET|GRAPH|DOCTOR|
//! HISTOGRAM|HELP, ROLE and LOLWUT (its art in `lolwut`), with Redis 7.0.15's replies and error
//! texts.
//!
//! Deliberate differences from Redis:
//! - LATENCY HISTOGRAM without arguments lists commands in name order (Redis: its command
//!   table's hash order), and a container's subcommands likewise.
//! - ROLE always answers as a master without replicas: verdis has no replication yet.

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::cmd::table::lookup_sub;
use verdis_engine::error::clip128;
use verdis_engine::{lookup, CmdError, Reply};

use super::super::latency::LatencyHistogram;
use super::super::latency_monitor::DoctorConfig;
use super::super::Node;

/// SLOWLOG HELP's lines (the intro and HELP entry come from `Reply::help`).
const SLOWLOG_HELP: &[&str] = &[
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
];

/// LATENCY HELP's lines.
const LATENCY_HELP: &[&str] = &[
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
];

/// SLOWLOG GET's count when none is given.
const SLOWLOG_GET_DEFAULT: usize = 10;

impl Node {
    /// Runs an observability command.
    pub(super) fn exec_observe(&mut self, cmd: NodeCmd, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::SlowlogGet => self.slowlog_get(argv),
            NodeCmd::SlowlogLen => Ok(Reply::Int(self.slowlog.len() as i64)),
            NodeCmd::SlowlogReset => {
                self.slowlog.reset();
                Ok(Reply::Ok)
            }
            NodeCmd::SlowlogHelp => Ok(Reply::help(argv[0], SLOWLOG_HELP)),
            NodeCmd::LatencyLatest => Ok(self.latency_monitor.latest()),
            NodeCmd::LatencyHistory => Ok(self.latency_monitor.history(argv[2])),
            NodeCmd::LatencyReset => Ok(Reply::Int(self.latency_monitor.reset(&argv[2..]) as i64)),
            NodeCmd::LatencyGraph => {
                let now_s = self.now.unix_us.div_euclid(1_000_000);
                match self.latency_monitor.graph(argv[2], now_s) {
                    Some(graph) => Ok(Reply::Verbatim(*b"txt", graph.into_bytes())),
                    None => Err(CmdError::Message(
                        format!("ERR No samples available for event '{}'", String::from_utf8_lossy(argv[2])).into(),
                    )),
                }
            }
            NodeCmd::LatencyDoctor => {
                let config = DoctorConfig {
                    threshold_ms: self.config.latency_monitor_threshold_ms,
                    slowlog_log_slower_than: self.config.slowlog_log_slower_than,
                    hz: self.config.hz,
                    fsync_always: self.config.persist.appendfsync == crate::config::AppendFsync::Always,
                };
                let report = self.latency_monitor.doctor(&config, self.now.unix_us.div_euclid(1_000_000));
                Ok(Reply::Verbatim(*b"txt", report.into_bytes()))
            }
            NodeCmd::LatencyHistogram => Ok(self.latency_histogram(&argv[2..])),
            NodeCmd::LatencyHelp => Ok(Reply::help(argv[0], LATENCY_HELP)),
            NodeCmd::Role => {
                Ok(Reply::Array(vec![Reply::Bulk(b"master".to_vec()), Reply::Int(0), Reply::Array(vec![])]))
            }
            NodeCmd::Lolwut => super::lolwut::lolwut(argv, &mut self.rng),
            other => unreachable!("exec_node routes only observability commands here, not {other:?}"),
        }
    }

    /// SLOWLOG GET [count]: -1 means every entry.
    fn slowlog_get(&self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let count = match argv {
            [_, _] => Some(SLOWLOG_GET_DEFAULT),
            [_, _, count] => {
                let count_error = || CmdError::msg("ERR count should be greater than or equal to -1");
                let n: i64 = verdis_engine::num::parse_i64(count).ok_or_else(count_error)?;
                match n {
                    -1 => None,
                    n if n < -1 => return Err(count_error()),
                    n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                }
            }
            _ => {
                return Err(CmdError::SubcommandSyntax {
                    sub: clip128(argv[1]),
                    container: verdis_engine::error::ClientText(argv[0].to_ascii_uppercase()),
                })
            }
        };
        Ok(self.slowlog.get(count))
    }

    /// LATENCY HISTOGRAM [command ...]: each named command's (a container's: each of its
    /// subcommands') latency distribution, skipping unknown and never-timed commands; every
    /// timed command when none is named.
    fn latency_histogram(&self, names: &[&[u8]]) -> Reply {
        let counts = &self.stats.command_counts;
        let histogram_of = |name: &str| counts.get(name).map(|c| &c.latency).filter(|h| !h.is_empty());
        let mut entries: Vec<(&str, &LatencyHistogram)> = Vec::new();
        if names.is_empty() {
            entries.extend(counts.iter().filter(|(_, c)| !c.latency.is_empty()).map(|(n, c)| (*n, &c.latency)));
        }
        for name in names {
            let mut parts = name.splitn(2, |&b| b == b'|');
            let Some(base) = parts.next().and_then(lookup) else { continue };
            let cmd = match parts.next() {
                Some(sub) => match lookup_sub(base, sub) {
                    Some(cmd) => cmd,
                    None => continue,
                },
                None => base,
            };
            if let Some(h) = histogram_of(cmd.spec.name) {
                entries.push((cmd.spec.name, h));
            }
            let mut subs: Vec<&str> = cmd.spec.subcommands.iter().map(|s| s.name).collect();
            subs.sort_unstable();
            entries.extend(subs.into_iter().filter_map(|s| Some((s, histogram_of(s)?))));
        }
        Reply::Map(
            entries.into_iter().map(|(name, h)| (Reply::Bulk(name.as_bytes().to_vec()), histogram_reply(h))).collect(),
        )
    }
}

/// One command's LATENCY HISTOGRAM entry: its call count and cumulative buckets.
fn histogram_reply(h: &LatencyHistogram) -> Reply {
    let buckets = h.log_buckets().into_iter().map(|(us, count)| (Reply::Int(us as i64), Reply::Int(count as i64)));
    Reply::Map(vec![
        (Reply::Bulk(b"calls".to_vec()), Reply::Int(h.total() as i64)),
        (Reply::Bulk(b"histogram_usec".to_vec()), Reply::Map(buckets.collect())),
    ])
}

#[cfg(test)]
mod tests {
    use crate::node::testing::Harness;
    use crate::node::Stopwatch;

    #[test]
    fn durations_come_from_the_inputs_stopwatch() {
        // Proves every duration the node reports is the input's stopwatch's: with one that
        // moves 2500 µs per reading, each command takes 2500 µs in the slow log and 2 ms in the
        // latency monitor (fast and slow commands apart); with the frozen stopwatch (the
        // simulator's), every entry takes 0 µs and no latency event is recorded.
        fn clock_us() -> u64 {
            static NOW_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            NOW_US.fetch_add(2500, std::sync::atomic::Ordering::Relaxed)
        }
        let mut h = Harness::new();
        let id = h.connect(5000);
        h.run(id, &["CONFIG", "SET", "latency-monitor-threshold", "1", "slowlog-log-slower-than", "0"]);
        h.run(id, &["PING"]);
        assert_eq!(h.run(id, &["LATENCY", "LATEST"]), "*0\r\n");
        assert_eq!(
            h.run(id, &["SLOWLOG", "GET", "1"]),
            "*1\r\n*6\r\n:2\r\n:1700000000\r\n:0\r\n*2\r\n$7\r\nLATENCY\r\n$6\r\nLATEST\r\n$14\r\n127.0.0.1:5000\r\n$0\r\n\r\n"
        );
        h.now.stopwatch = Stopwatch(clock_us);
        h.run(id, &["CLIENT", "SETNAME", "ops"]);
        h.run(id, &["SLOWLOG", "RESET"]);
        h.run(id, &["PING"]);
        assert_eq!(
            h.run(id, &["SLOWLOG", "GET", "1"]),
            "*1\r\n*6\r\n:6\r\n:1700000000\r\n:2500\r\n*1\r\n$4\r\nPING\r\n$14\r\n127.0.0.1:5000\r\n$3\r\nops\r\n"
        );
        let latest = h.run(id, &["LATENCY", "LATEST"]);
        assert_eq!(
            latest,
            "*2\r\n*4\r\n$7\r\ncommand\r\n:1700000000\r\n:2\r\n:2\r\n*4\r\n$12\r\nfast-command\r\n:1700000000\r\n:2\r\n:2\r\n"
        );
    }

    #[test]
    fn a_blocked_command_is_timed_when_served() {
        // Proves a command that blocks counts its call at once but enters the latency histogram
        // and the slow log only when served, after the command that served it, as Redis 7.0.15
        // does; one that times out never does.
        let mut h = Harness::new();
        let (a, b) = (h.connect(5000), h.connect(5001));
        h.run(a, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        h.run(a, &["SLOWLOG", "RESET"]);
        h.run(a, &["BLPOP", "q", "0"]);
        let blpop = |h: &Harness| h.node.stats.command_counts.get("blpop").map(|c| (c.calls, c.latency.total()));
        assert_eq!(blpop(&h), Some((1, 0)));
        h.run(b, &["RPUSH", "q", "v"]);
        assert_eq!(blpop(&h), Some((1, 1)));
        let log = h.run(a, &["SLOWLOG", "GET"]);
        let order: Vec<&str> = log.split("\r\n").filter(|l| ["BLPOP", "RPUSH", "SLOWLOG"].contains(l)).collect();
        assert_eq!(order, ["BLPOP", "RPUSH", "SLOWLOG"], "{log}");
        h.run(a, &["BLPOP", "q", "0.1"]);
        h.advance_ms(200);
        assert_eq!(blpop(&h), Some((2, 1)));
        assert_eq!(h.run(a, &["SLOWLOG", "LEN"]), ":4\r\n", "the timed-out BLPOP is not logged");
    }
}
