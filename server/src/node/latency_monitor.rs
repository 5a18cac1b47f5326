//! The latency monitor (Redis's `latency.c`): for each event class, the worst latency of each
//! second it happened in, over the last `SAMPLES_MAX` such seconds, and the worst ever. An event
//! is recorded only when it lasts at least `latency-monitor-threshold` milliseconds (0 turns the
//! monitor off). LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR read it.
//!
//! Events verdis records, each timed with the node's stopwatch (`Time::stopwatch`), so the
//! simulator, whose stopwatch never moves, records none:
//! - `command`: a command without the `fast` flag, as its client ran it (EXEC's commands each,
//!   and EXEC itself);
//! - `fast-command`: a command with the `fast` flag;
//! - `expire-cycle`: one run of the active expire cycle;
//! - `command-unblocking`: serving a blocked client;
//! - `aof-write` and one of `aof-write-pending-fsync`, `aof-write-active-child` (a snapshot job
//!   running) or `aof-write-alone`: an AOF append, from its request to its result;
//! - `aof-fsync-always`: an AOF fsync under `appendfsync always`, from its request to its result
//!   (the shell fsyncs on its own thread, so this is how long the replies it gates waited, not a
//!   stall of the event loop as in Redis).
//!
//! Deliberate differences from Redis:
//! - No `fork` or `rdb-*` events: snapshots are written a step at a time by the node itself
//!   and there is no fork or child to time.
//! - LATENCY LATEST and DOCTOR list events in name order (Redis: its hash table's order).
//! - DOCTOR never advises disabling transparent huge pages: the node does not read /proc.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use verdis_engine::Reply;

/// Seconds of history kept per event (Redis's LATENCY_TS_LEN).
const SAMPLES_MAX: usize = 160;
/// Width of LATENCY GRAPH's chart (LATENCY_GRAPH_COLS).
const GRAPH_COLUMNS: usize = 80;
/// Height of LATENCY GRAPH's chart, in text rows.
const GRAPH_ROWS: usize = 4;

/// The worst latency seen in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sample {
    /// Unix time (seconds); 0 marks an unused slot.
    time_s: i64,
    /// Milliseconds.
    latency_ms: u64,
}

/// One event class's history: a ring of samples, one per second the event happened in.
#[derive(Clone, Debug)]
struct TimeSeries {
    samples: [Sample; SAMPLES_MAX],
    /// The next slot to write.
    next: usize,
    /// The worst latency ever recorded.
    max_ms: u64,
}

impl TimeSeries {
    /// The samples in use, oldest first.
    fn in_order(&self) -> impl Iterator<Item = &Sample> {
        (0..SAMPLES_MAX).map(move |j| &self.samples[(self.next + j) % SAMPLES_MAX]).filter(|s| s.time_s != 0)
    }

    /// The latest sample.
    fn last(&self) -> &Sample {
        &self.samples[(self.next + SAMPLES_MAX - 1) % SAMPLES_MAX]
    }
}

/// Every event class seen, by name.
#[derive(Clone, Debug, Default)]
pub struct LatencyMonitor {
    events: BTreeMap<&'static str, TimeSeries>,
}

/// The configuration LATENCY DOCTOR's advice depends on.
pub struct DoctorConfig {
    /// `latency-monitor-threshold`, in ms.
    pub threshold_ms: u64,
    /// `slowlog-log-slower-than`, in µs.
    pub slowlog_log_slower_than: i64,
    /// `hz`.
    pub hz: u32,
    /// `appendfsync always` is in force.
    pub fsync_always: bool,
}

impl LatencyMonitor {
    /// Records that `event` took `latency_ms` at unix second `now_s`, if that reaches
    /// `threshold_ms` (Redis's `latencyAddSampleIfNeeded`).
    pub fn add_if_needed(&mut self, event: &'static str, latency_ms: u64, threshold_ms: u64, now_s: i64) {
        if threshold_ms == 0 || latency_ms < threshold_ms {
            return;
        }
        let ts = self.events.entry(event).or_insert_with(|| TimeSeries {
            samples: [Sample::default(); SAMPLES_MAX],
            next: 0,
            max_ms: 0,
        });
        ts.max_ms = ts.max_ms.max(latency_ms);
        let prev = (ts.next + SAMPLES_MAX - 1) % SAMPLES_MAX;
        // One sample per second: the second's worst.
        if ts.samples[prev].time_s == now_s {
            ts.samples[prev].latency_ms = ts.samples[prev].latency_ms.max(latency_ms);
            return;
        }
        ts.samples[ts.next] = Sample { time_s: now_s, latency_ms };
        ts.next = (ts.next + 1) % SAMPLES_MAX;
    }

    /// LATENCY LATEST: for each event, its name, the time and latency of its latest sample, and
    /// its worst latency ever.
    pub fn latest(&self) -> Reply {
        Reply::Array(
            self.events
                .iter()
                .map(|(name, ts)| {
                    let last = ts.last();
                    Reply::Array(vec![
                        Reply::Bulk(name.as_bytes().to_vec()),
                        Reply::Int(last.time_s),
                        Reply::Int(last.latency_ms as i64),
                        Reply::Int(ts.max_ms as i64),
                    ])
                })
                .collect(),
        )
    }

    /// LATENCY HISTORY event: its samples, oldest first, as (time, latency) pairs; none for an
    /// unknown event (the name is matched exactly, as Redis's event table does).
    pub fn history(&self, event: &[u8]) -> Reply {
        let Some(ts) = self.find(event) else { return Reply::Array(Vec::new()) };
        Reply::Array(
            ts.in_order().map(|s| Reply::Array(vec![Reply::Int(s.time_s), Reply::Int(s.latency_ms as i64)])).collect(),
        )
    }

    /// LATENCY RESET [event ...]: forgets the named events (any case), or all of them; returns
    /// how many were forgotten.
    pub fn reset(&mut self, events: &[&[u8]]) -> usize {
        if events.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count;
        }
        let mut resets = 0;
        for event in events {
            let before = self.events.len();
            self.events.retain(|name, _| !name.as_bytes().eq_ignore_ascii_case(event));
            resets += before - self.events.len();
        }
        resets
    }

    fn find(&self, event: &[u8]) -> Option<&TimeSeries> {
        self.events.iter().find(|(name, _)| name.as_bytes() == event).map(|(_, ts)| ts)
    }

    /// LATENCY GRAPH event: the event's samples as Redis's ASCII sparkline, each labelled with
    /// how long ago it happened (as of `now_s`); `None` for an unknown event.
    pub fn graph(&self, event: &[u8], now_s: i64) -> Option<String> {
        let (name, ts) = self.events.iter().find(|(name, _)| name.as_bytes() == event)?;
        let mut samples: Vec<(f64, String)> = Vec::new();
        let (mut low, mut high) = (0, 0);
        for s in ts.in_order() {
            if samples.is_empty() {
                (low, high) = (s.latency_ms, s.latency_ms);
            } else {
                low = low.min(s.latency_ms);
                high = high.max(s.latency_ms);
            }
            let elapsed = now_s - s.time_s;
            let label = match elapsed {
                e if e < 60 => format!("{e}s"),
                e if e < 3600 => format!("{}m", e / 60),
                e if e < 86_400 => format!("{}h", e / 3600),
                e => format!("{}d", e / 86_400),
            };
            samples.push((s.latency_ms as f64, label));
        }
        let mut out = format!("{name} - high {high} ms, low {low} ms (all time high {} ms)\n", ts.max_ms);
        out.push_str(&"-".repeat(GRAPH_COLUMNS));
        out.push('\n');
        sparkline(&mut out, &samples, GRAPH_COLUMNS, GRAPH_ROWS);
        Some(out)
    }

    /// LATENCY DOCTOR: Redis's report, event by event, then its advice.
    pub fn doctor(&self, config: &DoctorConfig, now_s: i64) -> String {
        if self.events.is_empty() && config.threshold_ms == 0 {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
        }
        let mut report = String::new();
        let mut advice = Advice::default();
        for (number, (name, ts)) in self.events.iter().enumerate() {
            if number == 0 {
                report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            }
            let stats = Stats::of(ts, now_s);
            let _ = write!(
                report,
                "{}. {name}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
                number + 1,
                stats.samples,
                stats.avg_ms,
                stats.mad_ms,
                stats.period_s as f64 / stats.samples as f64,
                ts.max_ms
            );
            advice.note(name, config);
            report.push('\n');
        }
        advice.write(&mut report, !self.events.is_empty(), config);
        report
    }
}

/// One event's figures for DOCTOR (Redis's `analyzeLatencyForEvent`).
struct Stats {
    samples: u64,
    avg_ms: u64,
    mad_ms: u64,
    /// Seconds since the oldest sample (at least 1).
    period_s: i64,
}

impl Stats {
    fn of(ts: &TimeSeries, now_s: i64) -> Stats {
        let used: Vec<&Sample> = ts.samples.iter().filter(|s| s.time_s != 0).collect();
        let samples = used.len() as u64;
        let sum: u64 = used.iter().map(|s| s.latency_ms).sum();
        let avg_ms = sum.checked_div(samples).unwrap_or(0);
        let oldest = used.iter().map(|s| s.time_s).min().unwrap_or(now_s);
        let period_s = (now_s - oldest).max(1);
        let deviation: u64 = used.iter().map(|s| (avg_ms as i64 - s.latency_ms as i64).unsigned_abs()).sum();
        Stats { samples, avg_ms, mad_ms: deviation.checked_div(samples).unwrap_or(0), period_s }
    }
}

/// The advice DOCTOR gives for the events it saw (the subset of Redis's that verdis's events
/// can raise).
#[derive(Default)]
struct Advice {
    count: u32,
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    local_disk: bool,
    ssd: bool,
    data_writeback: bool,
    disk_contention: bool,
    no_appendfsync: bool,
    relax_fsync_policy: bool,
    hz: bool,
    large_objects: bool,
}

impl Advice {
    /// Notes what `event` suggests.
    fn note(&mut self, event: &str, config: &DoctorConfig) {
        match event {
            "command" => {
                if config.slowlog_log_slower_than < 0 {
                    self.slowlog_enabled = true;
                    self.count += 1;
                } else if config.slowlog_log_slower_than / 1000 > config.threshold_ms as i64 {
                    self.slowlog_tuning = true;
                    self.count += 1;
                }
                self.slowlog_inspect = true;
                self.large_objects = true;
                self.count += 2;
            }
            "fast-command" => {
                self.scheduler = true;
                self.count += 1;
            }
            "aof-write-pending-fsync" => {
                self.local_disk = true;
                self.disk_contention = true;
                self.ssd = true;
                self.data_writeback = true;
                self.count += 4;
            }
            "aof-write-active-child" => {
                self.no_appendfsync = true;
                self.data_writeback = true;
                self.ssd = true;
                self.count += 3;
            }
            "aof-write-alone" => {
                self.local_disk = true;
                self.data_writeback = true;
                self.ssd = true;
                self.count += 3;
            }
            "aof-fsync-always" => {
                self.relax_fsync_policy = true;
                self.count += 1;
            }
            "expire-cycle" => {
                self.hz = true;
                self.large_objects = true;
                self.count += 2;
            }
            _ => {}
        }
    }

    /// Appends the advice, in Redis's order and words.
    fn write(&self, report: &mut String, any_event: bool, config: &DoctorConfig) {
        if !any_event && self.count == 0 {
            report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
            return;
        }
        if self.count == 0 {
            report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
            return;
        }
        let threshold_us = config.threshold_ms.saturating_mul(1000);
        report.push_str("\nI have a few advices for you:\n\n");
        if self.slowlog_enabled {
            let _ = writeln!(report, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.");
        }
        if self.slowlog_tuning {
            let _ = writeln!(report, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold_us}'.");
        }
        if self.slowlog_inspect {
            report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        }
        if self.scheduler {
            report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        if self.local_disk {
            report.push_str("- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n");
        }
        if self.ssd {
            report.push_str("- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n");
        }
        if self.data_writeback {
            report.push_str("- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n");
        }
        if self.disk_contention {
            report.push_str("- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n");
        }
        if self.no_appendfsync {
            report.push_str("- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n");
        }
        if self.relax_fsync_policy && config.fsync_always {
            report.push_str("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n");
        }
        if self.hz && config.hz < 100 {
            report.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        }
        if self.large_objects {
            report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
    }
}

/// Characters of a filled sparkline, lowest first (Redis's `charset_fill`).
const SPARK_FILL: &[u8] = b"_o#";
/// Blank rows between the chart and its labels.
const LABEL_MARGIN_TOP: usize = 1;

/// Appends `samples` (value, label) as Redis's filled sparkline (`sparklineRender` with
/// SPARKLINE_FILL): `rows` text rows per chunk of `columns` samples, labels written vertically
/// below.
fn sparkline(out: &mut String, samples: &[(f64, String)], columns: usize, rows: usize) {
    let min = samples.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let max = samples.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let labels = samples.iter().any(|s| !s.1.is_empty());
    for (chunk_index, chunk) in samples.chunks(columns).enumerate() {
        if chunk_index != 0 {
            out.push('\n');
        }
        sparkline_range(out, chunk, rows, (min, max), labels);
    }
}

/// One chunk of `sparkline` (Redis's `sparklineRenderRange`).
fn sparkline_range(out: &mut String, chunk: &[(f64, String)], rows: usize, (min, max): (f64, f64), labels: bool) {
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (SPARK_FILL.len() * rows) as i64;
    let label_rows = chunk.iter().map(|s| s.1.len()).max().unwrap_or(0);
    // Chart rows, then the margin, then one row per label character: the loop is bounded.
    let rows_max = rows + LABEL_MARGIN_TOP + label_rows;
    for row in 0..rows_max {
        let mut chars = vec![b' '; chunk.len()];
        let mut any = false;
        for (j, (value, label)) in chunk.iter().enumerate() {
            // C: `(int)(relval*steps)/relmax`, then truncated again into an int.
            let step = (((value - min) * steps as f64) as i64 as f64 / relmax) as i64;
            let step = step.clamp(0, steps - 1);
            if row < rows {
                let charidx = step - ((rows - row - 1) * SPARK_FILL.len()) as i64;
                any = true;
                if (0..SPARK_FILL.len() as i64).contains(&charidx) {
                    chars[j] = SPARK_FILL[charidx as usize];
                } else if charidx >= SPARK_FILL.len() as i64 {
                    chars[j] = b'|';
                }
            } else {
                if labels && row - rows < LABEL_MARGIN_TOP {
                    any = true;
                    break;
                }
                let label_char = row - rows - LABEL_MARGIN_TOP;
                if label.len() > label_char {
                    any = true;
                    chars[j] = label.as_bytes()[label_char];
                }
            }
        }
        if !any {
            return;
        }
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn one_sample_per_second_keeps_the_worst() {
        // Proves the threshold (0 = off, below = ignored), one sample per second holding its
        // worst latency, the all-time max, HISTORY's oldest-first pairs and LATEST's row.
        let mut m = LatencyMonitor::default();
        m.add_if_needed("command", 500, 0, NOW);
        m.add_if_needed("command", 4, 5, NOW);
        assert!(m.events.is_empty());
        m.add_if_needed("command", 7, 5, NOW);
        m.add_if_needed("command", 9, 5, NOW);
        m.add_if_needed("command", 6, 5, NOW);
        m.add_if_needed("command", 5, 5, NOW + 1);
        let pair = |t, l| Reply::Array(vec![Reply::Int(t), Reply::Int(l)]);
        assert_eq!(m.history(b"command"), Reply::Array(vec![pair(NOW, 9), pair(NOW + 1, 5)]));
        assert_eq!(m.history(b"COMMAND"), Reply::Array(vec![]), "HISTORY matches names exactly");
        let row =
            Reply::Array(vec![Reply::Bulk(b"command".to_vec()), Reply::Int(NOW + 1), Reply::Int(5), Reply::Int(9)]);
        assert_eq!(m.latest(), Reply::Array(vec![row]));
    }

    #[test]
    fn the_ring_keeps_the_last_160_seconds() {
        // Proves the history is bounded: after 200 seconds with an event, the oldest 40 are gone.
        let mut m = LatencyMonitor::default();
        for s in 0..200 {
            m.add_if_needed("expire-cycle", 1 + s as u64, 1, NOW + s);
        }
        let Reply::Array(history) = m.history(b"expire-cycle") else { panic!() };
        assert_eq!(history.len(), SAMPLES_MAX);
        assert_eq!(history[0], Reply::Array(vec![Reply::Int(NOW + 40), Reply::Int(41)]));
    }

    #[test]
    fn reset_counts_what_it_forgets() {
        // Proves RESET with names matches any case and counts the events forgotten, and RESET
        // alone forgets all.
        let mut m = LatencyMonitor::default();
        for e in ["command", "fast-command", "expire-cycle"] {
            m.add_if_needed(e, 10, 1, NOW);
        }
        assert_eq!(m.reset(&[b"nosuch", b"COMMAND"]), 1);
        assert_eq!(m.reset(&[]), 2);
        assert_eq!(m.reset(&[]), 0);
    }

    #[test]
    fn graph_draws_redis_sparkline() {
        // Proves the graph's header, rule, filled bars and vertical age labels for three samples
        // of 10, 20 and 40 ms taken 62, 61 and 5 seconds ago (Redis's sparkline arithmetic:
        // 12 steps over 4 rows of "_o#", "|" below a full cell).
        let mut m = LatencyMonitor::default();
        m.add_if_needed("command", 10, 1, NOW - 62);
        m.add_if_needed("command", 20, 1, NOW - 61);
        m.add_if_needed("command", 40, 1, NOW - 5);
        let graph = m.graph(b"command", NOW).expect("known event");
        let want = format!(
            "command - high 40 ms, low 10 ms (all time high 40 ms)\n{}\n  #\n  |\n o|\n_||\n   \n115\nmms\n",
            "-".repeat(80)
        );
        assert_eq!(graph, want);
        assert!(m.graph(b"nosuch", NOW).is_none());
    }

    #[test]
    fn doctor_reports_and_advises() {
        // Proves DOCTOR's three fixed texts (monitor off, nothing seen, events) and an event's
        // line and advice in Redis's words.
        let mut m = LatencyMonitor::default();
        let mut config = DoctorConfig { threshold_ms: 0, slowlog_log_slower_than: 10_000, hz: 10, fsync_always: false };
        assert!(m.doctor(&config, NOW).starts_with("I'm sorry, Dave, I can't do that."));
        config.threshold_ms = 1;
        assert!(m.doctor(&config, NOW).starts_with("Dave, no latency spike was observed"));
        m.add_if_needed("command", 10, 1, NOW - 4);
        m.add_if_needed("command", 20, 1, NOW);
        let report = m.doctor(&config, NOW);
        assert!(report.starts_with("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n1. command: 2 latency spikes (average 15ms, mean deviation 5ms, period 2.00 sec). Worst all time event 20ms.\n\nI have a few advices for you:\n\n- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n- Check your Slow Log"), "{report}");
    }
}
