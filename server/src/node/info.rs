//! INFO [section ...]: Redis 7.0's report, section by section, with its field names in its order.
//!
//! Values that only the process can know (pid, executable, memory, CPU time, how long a command
//! took) come from the shell: it gives the node a `ProcessInfo` once and a `ProcessProbe` the node
//! calls when INFO (or cron) needs fresh numbers and around each command, so the node itself reads
//! no clock, file or OS counter. These are measurements only: no reply other than INFO's depends
//! on them. The simulator's probe is deterministic; the default probe reports zeros.
//!
//! Deliberate differences from Redis:
//! - `redis_version` says 7.0.15, the Redis version verdis is compatible with, because clients
//!   and tools gate features on it; `verdis_version` (last in the server section) names ours.
//! - Fields for subsystems verdis does not have yet (Lua, forks, replication peers, allocator
//!   internals) report Redis's idle values; `mem_allocator` is `libc` (the system allocator).
//! - `latency-tracking` is re-read by cron, so CONFIG SET of it takes effect within 1/hz s.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use verdis_engine::Rng;

use super::dispatch::lru_clock;
use super::latency::LatencyHistogram;
use super::{Node, ServerStats};
use crate::config::Config;

/// What the shell knows about the process, fixed for its lifetime (INFO server and memory).
#[derive(Clone, Debug, Default)]
pub struct ProcessInfo {
    /// `process_id`.
    pub process_id: u32,
    /// `executable`: absolute path of the binary.
    pub executable: String,
    /// `os`: `uname -s -r -m`.
    pub os: String,
    /// `total_system_memory` in bytes.
    pub total_system_memory_bytes: u64,
}

/// CPU time used, in microseconds (INFO cpu).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuUsage {
    /// System time of the whole process.
    pub sys_us: u64,
    /// User time of the whole process.
    pub user_us: u64,
    /// System time of waited-for children.
    pub sys_children_us: u64,
    /// User time of waited-for children.
    pub user_children_us: u64,
    /// System time of the thread running the node.
    pub sys_main_thread_us: u64,
    /// User time of the thread running the node.
    pub user_main_thread_us: u64,
}

/// Process counters that change while it runs, read on demand through the probe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessSample {
    /// Bytes currently allocated by the process (`used_memory`).
    pub used_memory_bytes: u64,
    /// Resident set size in bytes (`used_memory_rss`).
    pub used_memory_rss_bytes: u64,
    /// CPU time used so far.
    pub cpu: CpuUsage,
}

/// How the node reads the process's counters; the shell provides it.
#[derive(Clone, Copy, Debug)]
pub struct ProcessProbe {
    /// The current memory and CPU counters.
    pub sample: fn() -> ProcessSample,
}

impl ProcessProbe {
    /// The probe a node has until the shell sets one: all zeros, so tests stay deterministic.
    pub const NONE: ProcessProbe = ProcessProbe { sample: ProcessSample::default_fn };
}

impl ProcessSample {
    fn default_fn() -> ProcessSample {
        ProcessSample::default()
    }
}

/// Samples kept per instantaneous metric (Redis's STATS_METRIC_SAMPLES).
const METRIC_SAMPLES: usize = 16;
/// Minimum time between two samples of the instantaneous metrics (Redis samples every 100 ms).
const METRIC_PERIOD_MS: u64 = 100;
/// Error codes errorstats tracks before ignoring new ones (Redis's ERROR_STATS_NUMBER).
const ERROR_CODES_MAX: usize = 128;
/// Redis only looks this far into an error for the space ending its code.
const ERROR_CODE_SCAN_LEN: usize = 32;

/// A rate sampled periodically and averaged over the last `METRIC_SAMPLES` samples (Redis's
/// `trackInstantaneousMetric` / `getInstantaneousMetric`).
#[derive(Clone, Debug, Default)]
struct InstantaneousMetric {
    samples: [u64; METRIC_SAMPLES],
    next: usize,
    last_reading: u64,
    last_sample_ms: u64,
}

impl InstantaneousMetric {
    /// Records the rate since the last sample, given a counter's current `reading`.
    fn sample(&mut self, now_ms: u64, reading: u64) {
        let elapsed_ms = now_ms.saturating_sub(self.last_sample_ms);
        let delta = reading.saturating_sub(self.last_reading);
        self.samples[self.next] = (delta * 1000).checked_div(elapsed_ms).unwrap_or(0);
        self.next = (self.next + 1) % METRIC_SAMPLES;
        self.last_sample_ms = now_ms;
        self.last_reading = reading;
    }

    /// The average rate per second over the kept samples.
    fn per_sec(&self) -> u64 {
        self.samples.iter().sum::<u64>() / METRIC_SAMPLES as u64
    }
}

/// Per-command counters for INFO commandstats and latencystats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandCounts {
    /// Executions (including ones that replied with an error).
    pub calls: u64,
    /// Executions that replied with an error.
    pub failed_calls: u64,
    /// Refusals before execution (arity, admission checks).
    pub rejected_calls: u64,
    /// Microseconds spent executing.
    pub usec: u64,
    /// Execution durations, while `latency-tracking` is on.
    pub latency: LatencyHistogram,
}

impl ServerStats {
    /// Counts an error reply with text `text` (code first, no `-`): the total and errorstats,
    /// keyed by the code as Redis's `afterErrorReply` extracts it.
    pub fn count_error_reply(&mut self, text: &str) {
        self.total_error_replies += 1;
        let scan = &text.as_bytes()[..text.len().min(ERROR_CODE_SCAN_LEN - 1)];
        let code = match scan.iter().position(|&b| b == b' ') {
            Some(end) => &text[..end],
            None => "ERR",
        };
        if let Some(count) = self.error_counts.get_mut(code) {
            *count += 1;
        } else if self.error_counts.len() < ERROR_CODES_MAX {
            self.error_counts.insert(code.to_owned(), 1);
        }
    }
}

/// INFO's own state: identities drawn at start, memory high-water mark, sampled rates.
#[derive(Clone, Debug)]
pub struct InfoState {
    run_id: String,
    master_replid: String,
    used_memory_peak_bytes: u64,
    used_memory_startup_bytes: u64,
    ops: InstantaneousMetric,
    net_input: InstantaneousMetric,
    net_output: InstantaneousMetric,
    /// `latency-tracking`, as cron last read it: commands consult it, so it is a field rather
    /// than a config-table lookup per command.
    pub latency_tracking: bool,
}

impl InfoState {
    /// DEBUG CHANGE-REPL-ID: a new replication id (there is no previous one to keep: verdis has
    /// no replication yet, so `master_replid2` stays zero as Redis's `clearReplicationId2` leaves it).
    pub fn change_replication_id(&mut self, rng: &mut Rng) {
        self.master_replid = random_hex40(rng);
    }

    /// Restarts the instantaneous rates from zero at `now_ms` (CONFIG RESETSTAT).
    pub fn reset_metrics(&mut self, now_ms: u64) {
        for metric in [&mut self.ops, &mut self.net_input, &mut self.net_output] {
            *metric = InstantaneousMetric { last_sample_ms: now_ms, ..InstantaneousMetric::default() };
        }
    }
}

/// 40 random hex digits (Redis's `getRandomHexChars` for run ids and replication ids).
fn random_hex40(rng: &mut Rng) -> String {
    let mut out = String::with_capacity(40);
    for _ in 0..40 {
        let digit = rng.below(16) as u32;
        out.push(char::from_digit(digit, 16).expect("below 16"));
    }
    out
}

impl InfoState {
    /// Fresh state with ids drawn from the node's RNG.
    pub fn new(rng: &mut Rng) -> InfoState {
        InfoState {
            run_id: random_hex40(rng),
            master_replid: random_hex40(rng),
            used_memory_peak_bytes: 0,
            used_memory_startup_bytes: 0,
            ops: InstantaneousMetric::default(),
            net_input: InstantaneousMetric::default(),
            net_output: InstantaneousMetric::default(),
            latency_tracking: true,
        }
    }
}

/// The sections INFO prints with no argument or `default`.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections a request asked for (Redis's `genInfoSectionDict`).
struct Sections {
    names: Vec<String>,
    all: bool,
}

impl Sections {
    fn parse(args: &[&[u8]]) -> Sections {
        let mut names = Vec::new();
        let mut all = false;
        let mut add_defaults = args.is_empty();
        for arg in args {
            let lower = String::from_utf8_lossy(arg).to_ascii_lowercase();
            match lower.as_str() {
                "default" => add_defaults = true,
                // `everything` adds sections generated by modules, which verdis has none of.
                "all" | "everything" => all = true,
                _ => names.push(lower),
            }
        }
        if add_defaults {
            names.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
        }
        Sections { names, all }
    }

    fn wants(&self, name: &str) -> bool {
        self.all || self.names.iter().any(|n| n == name)
    }
}

/// Redis's `bytesToHuman`: B, then K/M/G/T/P with two decimals.
fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u32, char); 5] = [(1, 'K'), (2, 'M'), (3, 'G'), (4, 'T'), (5, 'P')];
    if n < 1024 {
        return format!("{n}B");
    }
    for (power, unit) in UNITS {
        if n < 1024u64.pow(power + 1) {
            return format!("{:.2}{unit}", n as f64 / 1024u64.pow(power) as f64);
        }
    }
    format!("{n}B")
}

/// Microseconds as Redis prints rusage times (`%ld.%06ld`).
fn cpu_seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// `part` as a percentage of `whole`, as `%.2f%%`.
fn percent(part: u64, whole: u64) -> String {
    format!("{:.2}%", part as f64 * 100.0 / whole.max(1) as f64)
}

/// `a / b` as `%.2f`.
fn ratio(a: u64, b: u64) -> String {
    format!("{:.2}", a as f64 / b.max(1) as f64)
}

impl Node {
    /// Gives the node what the shell knows about the process and how to sample it. Call before
    /// `handle_start`, so `used_memory_startup` is measured.
    pub fn set_process(&mut self, info: ProcessInfo, probe: ProcessProbe) {
        self.process = info;
        self.probe = probe;
    }

    /// A config option's current value as CONFIG GET prints it.
    fn config_text(&self, name: &str) -> String {
        let row = Config::lookup(name).unwrap_or_else(|| panic!("the config table has {name}"));
        self.config.get(row)
    }

    /// Cron's share of INFO: the memory high-water mark, the instantaneous rates, and the
    /// latency-tracking switch.
    pub(super) fn info_cron(&mut self) {
        self.info.latency_tracking = self.config_text("latency-tracking") == "yes";
        self.tracking.table_keys_max = self.config_text("tracking-table-max-keys").parse().unwrap_or(0);
        let used = (self.probe.sample)().used_memory_bytes;
        let info = &mut self.info;
        info.used_memory_peak_bytes = info.used_memory_peak_bytes.max(used);
        let now_ms = self.now.mono_us / 1000;
        if now_ms.saturating_sub(info.ops.last_sample_ms) >= METRIC_PERIOD_MS {
            info.ops.sample(now_ms, self.stats.total_commands_processed);
            info.net_input.sample(now_ms, self.stats.total_net_input_bytes);
            info.net_output.sample(now_ms, self.stats.total_net_output_bytes);
        }
    }

    /// Records the memory in use once the node has started (`used_memory_startup`).
    pub(super) fn info_start(&mut self) {
        self.info.latency_tracking = self.config_text("latency-tracking") == "yes";
        let used = (self.probe.sample)().used_memory_bytes;
        self.info.used_memory_startup_bytes = used;
        self.info.used_memory_peak_bytes = used;
        let now_ms = self.now.mono_us / 1000;
        for metric in [&mut self.info.ops, &mut self.info.net_input, &mut self.info.net_output] {
            metric.last_sample_ms = now_ms;
        }
    }

    /// The INFO text for `args` (the arguments after `INFO`).
    pub(super) fn info_string(&mut self, args: &[&[u8]]) -> String {
        let sections = Sections::parse(args);
        let sample = (self.probe.sample)();
        self.info.used_memory_peak_bytes = self.info.used_memory_peak_bytes.max(sample.used_memory_bytes);
        let mut out = String::new();
        let section = |out: &mut String, title: &str| {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            out.push_str("# ");
            out.push_str(title);
            out.push_str("\r\n");
        };
        if sections.wants("server") {
            section(&mut out, "Server");
            self.info_server(&mut out);
        }
        if sections.wants("clients") {
            section(&mut out, "Clients");
            self.info_clients(&mut out);
        }
        if sections.wants("memory") {
            section(&mut out, "Memory");
            self.info_memory(&mut out, &sample);
        }
        if sections.wants("persistence") {
            section(&mut out, "Persistence");
            self.info_persistence(&mut out);
        }
        if sections.wants("stats") {
            section(&mut out, "Stats");
            self.info_stats(&mut out);
        }
        if sections.wants("replication") {
            section(&mut out, "Replication");
            self.info_replication(&mut out);
        }
        if sections.wants("cpu") {
            section(&mut out, "CPU");
            info_cpu(&mut out, &sample.cpu);
        }
        if sections.wants("module_list") || sections.wants("modules") {
            section(&mut out, "Modules");
        }
        if sections.wants("commandstats") {
            section(&mut out, "Commandstats");
            self.info_commandstats(&mut out);
        }
        if sections.wants("errorstats") {
            section(&mut out, "Errorstats");
            for (code, count) in &self.stats.error_counts {
                field(&mut out, &format!("errorstat_{code}"), format!("count={count}"));
            }
        }
        if sections.wants("latencystats") {
            section(&mut out, "Latencystats");
            self.info_latencystats(&mut out);
        }
        if sections.wants("cluster") {
            section(&mut out, "Cluster");
            field(&mut out, "cluster_enabled", 0);
        }
        if sections.wants("keyspace") {
            section(&mut out, "Keyspace");
            self.info_keyspace(&mut out);
        }
        out
    }

    fn info_server(&self, out: &mut String) {
        let now = self.now;
        let uptime_s = now.mono_us.saturating_sub(self.started.mono_us) / 1_000_000;
        // Reported as the Redis version verdis is compatible with: clients and tools decide which
        // commands to use from it. `verdis_version` below names the actual release.
        field(out, "redis_version", "7.0.15");
        field(out, "redis_git_sha1", "00000000");
        field(out, "redis_git_dirty", 0);
        field(out, "redis_build_id", "0");
        field(out, "redis_mode", "standalone");
        field(out, "os", &self.process.os);
        field(out, "arch_bits", usize::BITS);
        field(out, "monotonic_clock", "POSIX clock_gettime");
        field(out, "multiplexing_api", "epoll");
        field(out, "atomicvar_api", "c11-builtin");
        field(out, "gcc_version", "0.0.0");
        field(out, "process_id", self.process.process_id);
        field(out, "process_supervised", "no");
        field(out, "run_id", &self.info.run_id);
        field(out, "tcp_port", self.config.port);
        field(out, "server_time_usec", now.unix_us);
        field(out, "uptime_in_seconds", uptime_s);
        field(out, "uptime_in_days", uptime_s / 86_400);
        field(out, "hz", self.config.hz);
        field(out, "configured_hz", self.config.hz);
        field(out, "lru_clock", lru_clock(now.unix_ms()));
        field(out, "executable", &self.process.executable);
        field(out, "config_file", self.config.config_file.as_deref().unwrap_or(""));
        field(out, "io_threads_active", 0);
        field(out, "verdis_version", env!("CARGO_PKG_VERSION"));
    }

    fn info_clients(&self, out: &mut String) {
        let input_max = self.clients.values().map(|c| c.query_buf.capacity()).max().unwrap_or(0);
        let output_max = self.clients.values().map(|c| c.reply_buf.len()).max().unwrap_or(0);
        field(out, "connected_clients", self.clients.len());
        field(out, "cluster_connections", 0);
        field(out, "maxclients", self.config.maxclients);
        field(out, "client_recent_max_input_buffer", input_max);
        field(out, "client_recent_max_output_buffer", output_max);
        field(out, "blocked_clients", self.blocked.len());
        field(out, "tracking_clients", self.tracking.client_count());
        field(out, "clients_in_timeout_table", self.timers.blocked_count());
    }

    /// Bytes held by clients' buffers and headers (`mem_clients_normal`).
    fn clients_memory_bytes(&self) -> u64 {
        let per_client = std::mem::size_of::<super::Client>();
        self.clients.values().map(|c| (per_client + c.query_buf.capacity() + c.reply_buf.capacity()) as u64).sum()
    }

    fn info_memory(&self, out: &mut String, sample: &ProcessSample) {
        let used = sample.used_memory_bytes;
        let rss = sample.used_memory_rss_bytes;
        let peak = self.info.used_memory_peak_bytes;
        let startup = self.info.used_memory_startup_bytes;
        let clients = self.clients_memory_bytes();
        let overhead = startup + clients;
        let dataset = used.saturating_sub(overhead);
        let net_usage = used.saturating_sub(startup);
        field(out, "used_memory", used);
        field(out, "used_memory_human", bytes_to_human(used));
        field(out, "used_memory_rss", rss);
        field(out, "used_memory_rss_human", bytes_to_human(rss));
        field(out, "used_memory_peak", peak);
        field(out, "used_memory_peak_human", bytes_to_human(peak));
        field(out, "used_memory_peak_perc", percent(used, peak));
        field(out, "used_memory_overhead", overhead);
        field(out, "used_memory_startup", startup);
        field(out, "used_memory_dataset", dataset);
        field(out, "used_memory_dataset_perc", percent(dataset, net_usage));
        field(out, "allocator_allocated", used);
        field(out, "allocator_active", used);
        field(out, "allocator_resident", rss);
        field(out, "total_system_memory", self.process.total_system_memory_bytes);
        field(out, "total_system_memory_human", bytes_to_human(self.process.total_system_memory_bytes));
        let scripts = self.scripts.memory();
        for name in ["used_memory_lua", "used_memory_vm_eval"] {
            field(out, name, scripts.lua_bytes);
        }
        field(out, "used_memory_lua_human", bytes_to_human(scripts.lua_bytes));
        field(out, "used_memory_scripts_eval", scripts.cache_bytes);
        field(out, "number_of_cached_scripts", scripts.cached);
        field(out, "number_of_functions", scripts.functions);
        field(out, "number_of_libraries", scripts.libraries);
        field(out, "used_memory_vm_functions", scripts.functions_lua_bytes);
        let vm_total = scripts.lua_bytes + scripts.functions_lua_bytes;
        field(out, "used_memory_vm_total", vm_total);
        field(out, "used_memory_vm_total_human", bytes_to_human(vm_total));
        field(out, "used_memory_functions", scripts.functions_bytes);
        field(out, "used_memory_scripts", scripts.cache_bytes);
        field(out, "used_memory_scripts_human", bytes_to_human(scripts.cache_bytes));
        field(out, "maxmemory", self.config.maxmemory);
        field(out, "maxmemory_human", bytes_to_human(self.config.maxmemory));
        field(out, "maxmemory_policy", self.config_text("maxmemory-policy"));
        field(out, "allocator_frag_ratio", "1.00");
        field(out, "allocator_frag_bytes", 0);
        field(out, "allocator_rss_ratio", ratio(rss, used));
        field(out, "allocator_rss_bytes", rss as i64 - used as i64);
        field(out, "rss_overhead_ratio", "1.00");
        field(out, "rss_overhead_bytes", 0);
        field(out, "mem_fragmentation_ratio", ratio(rss, used));
        field(out, "mem_fragmentation_bytes", rss as i64 - used as i64);
        for name in [
            "mem_not_counted_for_evict",
            "mem_replication_backlog",
            "mem_total_replication_buffers",
            "mem_clients_slaves",
        ] {
            field(out, name, 0);
        }
        field(out, "mem_clients_normal", clients);
        field(out, "mem_cluster_links", 0);
        field(out, "mem_aof_buffer", self.persist.aof.buffer_capacity());
        field(out, "mem_allocator", "libc");
        for name in ["active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects"] {
            field(out, name, 0);
        }
    }

    fn info_persistence(&self, out: &mut String) {
        use super::persist::JobKind;
        let p = &self.persist;
        let now_s = self.now.unix_us.div_euclid(1_000_000);
        let job = p.job.as_ref();
        let rdb_job = job.filter(|j| j.kind != JobKind::Rewrite);
        let aof_job = job.filter(|j| j.kind == JobKind::Rewrite);
        field(out, "loading", u8::from(self.is_loading()));
        // No fork: no copy-on-write to report.
        for name in ["async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age"] {
            field(out, name, 0);
        }
        field(out, "current_fork_perc", "0.00");
        field(out, "current_save_keys_processed", job.map_or(0, |j| j.keys_written()));
        field(out, "current_save_keys_total", job.map_or(0, |j| j.keys_total));
        field(out, "rdb_changes_since_last_save", self.stats.dirty);
        field(out, "rdb_bgsave_in_progress", u8::from(rdb_job.is_some()));
        field(out, "rdb_last_save_time", p.rdb.last_save_s);
        field(out, "rdb_last_bgsave_status", if p.rdb.last_bgsave_ok { "ok" } else { "err" });
        field(out, "rdb_last_bgsave_time_sec", p.rdb.last_bgsave_time_s);
        field(out, "rdb_current_bgsave_time_sec", rdb_job.map_or(-1, |j| now_s - j.started_s));
        field(out, "rdb_saves", p.rdb.saves);
        field(out, "rdb_last_cow_size", 0);
        field(out, "rdb_last_load_keys_expired", p.rdb.last_load_keys_expired);
        field(out, "rdb_last_load_keys_loaded", p.rdb.last_load_keys_loaded);
        let aof = &p.aof;
        field(out, "aof_enabled", u8::from(aof.enabled()));
        field(out, "aof_rewrite_in_progress", u8::from(aof_job.is_some() || aof.rewrite_pending()));
        field(out, "aof_rewrite_scheduled", u8::from(aof.rewrite_scheduled));
        field(out, "aof_last_rewrite_time_sec", aof.last_rewrite_time_s);
        field(out, "aof_current_rewrite_time_sec", aof_job.map_or(-1, |j| now_s - j.started_s));
        field(out, "aof_last_bgrewrite_status", if aof.last_rewrite_ok { "ok" } else { "err" });
        field(out, "aof_rewrites", aof.rewrites);
        field(out, "aof_rewrites_consecutive_failures", aof.rewrite_failures_in_a_row);
        field(out, "aof_last_write_status", if aof.write_error().is_some() { "err" } else { "ok" });
        for name in ["aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size"] {
            field(out, name, 0);
        }
        if aof.enabled() {
            field(out, "aof_current_size", aof.current_size);
            field(out, "aof_base_size", aof.base_size);
            field(out, "aof_pending_rewrite", u8::from(aof.rewrite_scheduled));
            field(out, "aof_buffer_length", aof.buffered());
            field(out, "aof_pending_bio_fsync", u8::from(aof.fsync_pending()));
            // Honestly 0: Redis counts writes it held back behind a slow background fsync for
            // over 2 s; verdis never holds a write back behind an fsync, so none is delayed.
            field(out, "aof_delayed_fsync", 0);
        }
    }

    fn info_stats(&self, out: &mut String) {
        let stats = &self.stats;
        let keyspace = &self.keyspace.stats;
        let kbps = |metric: &InstantaneousMetric| format!("{:.2}", metric.per_sec() as f64 / 1024.0);
        field(out, "total_connections_received", stats.total_connections_received);
        field(out, "total_commands_processed", stats.total_commands_processed);
        field(out, "instantaneous_ops_per_sec", self.info.ops.per_sec());
        field(out, "total_net_input_bytes", stats.total_net_input_bytes);
        field(out, "total_net_output_bytes", stats.total_net_output_bytes);
        field(out, "total_net_repl_input_bytes", 0);
        field(out, "total_net_repl_output_bytes", 0);
        field(out, "instantaneous_input_kbps", kbps(&self.info.net_input));
        field(out, "instantaneous_output_kbps", kbps(&self.info.net_output));
        field(out, "instantaneous_input_repl_kbps", "0.00");
        field(out, "instantaneous_output_repl_kbps", "0.00");
        field(out, "rejected_connections", stats.rejected_connections);
        for name in ["sync_full", "sync_partial_ok", "sync_partial_err"] {
            field(out, name, 0);
        }
        field(out, "expired_keys", keyspace.expired_keys);
        let expire = &self.keyspace.active_expire;
        field(out, "expired_stale_perc", format!("{:.2}", expire.stale_fraction * 100.0));
        field(out, "expired_time_cap_reached_count", expire.budget_reached_count);
        // The cycle's cost is counted in work units, not CPU time, so there is no time to report.
        for name in [
            "expire_cycle_cpu_milliseconds",
            "evicted_keys",
            "evicted_clients",
            "total_eviction_exceeded_time",
            "current_eviction_exceeded_time",
        ] {
            field(out, name, 0);
        }
        field(out, "keyspace_hits", keyspace.keyspace_hits);
        field(out, "keyspace_misses", keyspace.keyspace_misses);
        field(out, "pubsub_channels", self.pubsub.channel_count());
        field(out, "pubsub_patterns", self.pubsub.pattern_count());
        field(out, "pubsubshard_channels", self.pubsub.shard_channel_count());
        for name in [
            "latest_fork_usec",
            "total_forks",
            "migrate_cached_sockets",
            "slave_expires_tracked_keys",
            "active_defrag_hits",
            "active_defrag_misses",
            "active_defrag_key_hits",
            "active_defrag_key_misses",
            "total_active_defrag_time",
            "current_active_defrag_time",
        ] {
            field(out, name, 0);
        }
        let (tracked_keys, tracked_items, prefixes) = self.tracking.totals();
        field(out, "tracking_total_keys", tracked_keys);
        field(out, "tracking_total_items", tracked_items);
        field(out, "tracking_total_prefixes", prefixes);
        field(out, "unexpected_error_replies", 0);
        field(out, "total_error_replies", stats.total_error_replies);
        field(out, "dump_payload_sanitizations", 0);
        field(out, "total_reads_processed", stats.total_reads_processed);
        field(out, "total_writes_processed", stats.total_writes_processed);
        for name in [
            "io_threaded_reads_processed",
            "io_threaded_writes_processed",
            "reply_buffer_shrinks",
            "reply_buffer_expands",
        ] {
            field(out, name, 0);
        }
    }

    fn info_replication(&self, out: &mut String) {
        field(out, "role", "master");
        field(out, "connected_slaves", 0);
        field(out, "master_failover_state", "no-failover");
        field(out, "master_replid", &self.info.master_replid);
        field(out, "master_replid2", "0000000000000000000000000000000000000000");
        field(out, "master_repl_offset", 0);
        field(out, "second_repl_offset", -1);
        field(out, "repl_backlog_active", 0);
        field(out, "repl_backlog_size", 1_048_576);
        field(out, "repl_backlog_first_byte_offset", 0);
        field(out, "repl_backlog_histlen", 0);
    }

    fn info_commandstats(&self, out: &mut String) {
        for (name, counts) in &self.stats.command_counts {
            // Redis divides in single precision (`(float)usec / calls`).
            let per_call = if counts.calls == 0 { 0.0 } else { counts.usec as f32 / counts.calls as f32 };
            let value = format!(
                "calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                counts.calls, counts.usec, per_call, counts.rejected_calls, counts.failed_calls
            );
            field(out, &format!("cmdstat_{name}"), value);
        }
    }

    fn info_latencystats(&self, out: &mut String) {
        // The percentiles as configured, named as CONFIG GET prints them (`%f` trimmed), as
        // Redis names them.
        let names = self.config_text("latency-tracking-info-percentiles");
        let percentiles: Vec<(&str, f64)> =
            names.split_whitespace().filter_map(|n| Some((n, n.parse().ok()?))).collect();
        for (name, counts) in &self.stats.command_counts {
            if counts.latency.is_empty() {
                continue;
            }
            let values: Vec<String> = percentiles
                .iter()
                .map(|(p_name, p)| format!("p{p_name}={:.3}", counts.latency.value_at_percentile(*p) as f64 / 1000.0))
                .collect();
            field(out, &format!("latency_percentiles_usec_{name}"), values.join(","));
        }
    }

    fn info_keyspace(&self, out: &mut String) {
        for (index, db) in self.keyspace.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            // avg_ttl is the active expire cycle's running estimate, as in Redis.
            let value = format!("keys={},expires={},avg_ttl={}", db.len(), db.expires().len(), db.avg_ttl_ms);
            field(out, &format!("db{index}"), value);
        }
    }
}

fn info_cpu(out: &mut String, cpu: &CpuUsage) {
    field(out, "used_cpu_sys", cpu_seconds(cpu.sys_us));
    field(out, "used_cpu_user", cpu_seconds(cpu.user_us));
    field(out, "used_cpu_sys_children", cpu_seconds(cpu.sys_children_us));
    field(out, "used_cpu_user_children", cpu_seconds(cpu.user_children_us));
    field(out, "used_cpu_sys_main_thread", cpu_seconds(cpu.sys_main_thread_us));
    field(out, "used_cpu_user_main_thread", cpu_seconds(cpu.user_main_thread_us));
}

/// Appends one `name:value` line.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{name}:{value}\r\n");
}

/// Per-command counters, keyed by the command's table name (`client|list`).
pub type CommandCountsMap = BTreeMap<&'static str, CommandCounts>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::testing::Harness;

    /// Every field of every section, in order, as redis-server 7.0.15 prints `INFO everything`
    /// (copied from a live server), plus verdis's own `verdis_version`.
    const REDIS_FIELDS: &[(&str, &[&str])] = &[
        (
            "Server",
            &[
                "redis_version",
                "redis_git_sha1",
                "redis_git_dirty",
                "redis_build_id",
                "redis_mode",
                "os",
                "arch_bits",
                "monotonic_clock",
                "multiplexing_api",
                "atomicvar_api",
                "gcc_version",
                "process_id",
                "process_supervised",
                "run_id",
                "tcp_port",
                "server_time_usec",
                "uptime_in_seconds",
                "uptime_in_days",
                "hz",
                "configured_hz",
                "lru_clock",
                "executable",
                "config_file",
                "io_threads_active",
                "verdis_version",
            ],
        ),
        (
            "Clients",
            &[
                "connected_clients",
                "cluster_connections",
                "maxclients",
                "client_recent_max_input_buffer",
                "client_recent_max_output_buffer",
                "blocked_clients",
                "tracking_clients",
                "clients_in_timeout_table",
            ],
        ),
        (
            "Memory",
            &[
                "used_memory",
                "used_memory_human",
                "used_memory_rss",
                "used_memory_rss_human",
                "used_memory_peak",
                "used_memory_peak_human",
                "used_memory_peak_perc",
                "used_memory_overhead",
                "used_memory_startup",
                "used_memory_dataset",
                "used_memory_dataset_perc",
                "allocator_allocated",
                "allocator_active",
                "allocator_resident",
                "total_system_memory",
                "total_system_memory_human",
                "used_memory_lua",
                "used_memory_vm_eval",
                "used_memory_lua_human",
                "used_memory_scripts_eval",
                "number_of_cached_scripts",
                "number_of_functions",
                "number_of_libraries",
                "used_memory_vm_functions",
                "used_memory_vm_total",
                "used_memory_vm_total_human",
                "used_memory_functions",
                "used_memory_scripts",
                "used_memory_scripts_human",
                "maxmemory",
                "maxmemory_human",
                "maxmemory_policy",
                "allocator_frag_ratio",
                "allocator_frag_bytes",
                "allocator_rss_ratio",
                "allocator_rss_bytes",
                "rss_overhead_ratio",
                "rss_overhead_bytes",
                "mem_fragmentation_ratio",
                "mem_fragmentation_bytes",
                "mem_not_counted_for_evict",
                "mem_replication_backlog",
                "mem_total_replication_buffers",
                "mem_clients_slaves",
                "mem_clients_normal",
                "mem_cluster_links",
                "mem_aof_buffer",
                "mem_allocator",
                "active_defrag_running",
                "lazyfree_pending_objects",
                "lazyfreed_objects",
            ],
        ),
        (
            "Persistence",
            &[
                "loading",
                "async_loading",
                "current_cow_peak",
                "current_cow_size",
                "current_cow_size_age",
                "current_fork_perc",
                "current_save_keys_processed",
                "current_save_keys_total",
                "rdb_changes_since_last_save",
                "rdb_bgsave_in_progress",
                "rdb_last_save_time",
                "rdb_last_bgsave_status",
                "rdb_last_bgsave_time_sec",
                "rdb_current_bgsave_time_sec",
                "rdb_saves",
                "rdb_last_cow_size",
                "rdb_last_load_keys_expired",
                "rdb_last_load_keys_loaded",
                "aof_enabled",
                "aof_rewrite_in_progress",
                "aof_rewrite_scheduled",
                "aof_last_rewrite_time_sec",
                "aof_current_rewrite_time_sec",
                "aof_last_bgrewrite_status",
                "aof_rewrites",
                "aof_rewrites_consecutive_failures",
                "aof_last_write_status",
                "aof_last_cow_size",
                "module_fork_in_progress",
                "module_fork_last_cow_size",
            ],
        ),
        (
            "Stats",
            &[
                "total_connections_received",
                "total_commands_processed",
                "instantaneous_ops_per_sec",
                "total_net_input_bytes",
                "total_net_output_bytes",
                "total_net_repl_input_bytes",
                "total_net_repl_output_bytes",
                "instantaneous_input_kbps",
                "instantaneous_output_kbps",
                "instantaneous_input_repl_kbps",
                "instantaneous_output_repl_kbps",
                "rejected_connections",
                "sync_full",
                "sync_partial_ok",
                "sync_partial_err",
                "expired_keys",
                "expired_stale_perc",
                "expired_time_cap_reached_count",
                "expire_cycle_cpu_milliseconds",
                "evicted_keys",
                "evicted_clients",
                "total_eviction_exceeded_time",
                "current_eviction_exceeded_time",
                "keyspace_hits",
                "keyspace_misses",
                "pubsub_channels",
                "pubsub_patterns",
                "pubsubshard_channels",
                "latest_fork_usec",
                "total_forks",
                "migrate_cached_sockets",
                "slave_expires_tracked_keys",
                "active_defrag_hits",
                "active_defrag_misses",
                "active_defrag_key_hits",
                "active_defrag_key_misses",
                "total_active_defrag_time",
                "current_active_defrag_time",
                "tracking_total_keys",
                "tracking_total_items",
                "tracking_total_prefixes",
                "unexpected_error_replies",
                "total_error_replies",
                "dump_payload_sanitizations",
                "total_reads_processed",
                "total_writes_processed",
                "io_threaded_reads_processed",
                "io_threaded_writes_processed",
                "reply_buffer_shrinks",
                "reply_buffer_expands",
            ],
        ),
        (
            "Replication",
            &[
                "role",
                "connected_slaves",
                "master_failover_state",
                "master_replid",
                "master_replid2",
                "master_repl_offset",
                "second_repl_offset",
                "repl_backlog_active",
                "repl_backlog_size",
                "repl_backlog_first_byte_offset",
                "repl_backlog_histlen",
            ],
        ),
        (
            "CPU",
            &[
                "used_cpu_sys",
                "used_cpu_user",
                "used_cpu_sys_children",
                "used_cpu_user_children",
                "used_cpu_sys_main_thread",
                "used_cpu_user_main_thread",
            ],
        ),
        ("Modules", &[]),
        ("Commandstats", &[]),
        ("Errorstats", &[]),
        ("Latencystats", &[]),
        ("Cluster", &["cluster_enabled"]),
        ("Keyspace", &[]),
    ];

    /// `(section title, field names)` of an INFO text.
    fn layout(text: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.split("\r\n").filter(|l| !l.is_empty()) {
            match line.strip_prefix("# ") {
                Some(title) => out.push((title.to_owned(), Vec::new())),
                None => {
                    out.last_mut().expect("a field after a header").1.push(line.split(':').next().unwrap().to_owned())
                }
            }
        }
        out
    }

    fn titles(h: &mut Harness, args: &[&[u8]]) -> Vec<String> {
        layout(&h.node.info_string(args)).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn fields_are_redis_fields_in_redis_order() {
        // Proves INFO everything prints Redis 7.0.15's sections and fields in its order, on a
        // fresh node (no commands, errors or keys yet).
        let mut h = Harness::new();
        let got = layout(&h.node.info_string(&[b"everything"]));
        let want: Vec<(String, Vec<String>)> =
            REDIS_FIELDS.iter().map(|(t, f)| (t.to_string(), f.iter().map(|s| s.to_string()).collect())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn section_arguments_select_like_redis() {
        // Proves default/all/everything, case-insensitive and repeated names, the modules alias
        // and unknown names choose the sections Redis 7.0.15 prints for them.
        let mut h = Harness::new();
        let default = [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace",
        ];
        assert_eq!(titles(&mut h, &[]), default);
        assert_eq!(titles(&mut h, &[b"default"]), default);
        let all: Vec<&str> = REDIS_FIELDS.iter().map(|(t, _)| *t).collect();
        assert_eq!(titles(&mut h, &[b"all"]), all);
        assert_eq!(titles(&mut h, &[b"EVERYTHING"]), all);
        let mut with_cmdstats = default.to_vec();
        with_cmdstats.insert(8, "Commandstats");
        assert_eq!(titles(&mut h, &[b"default", b"commandstats"]), with_cmdstats);
        assert_eq!(titles(&mut h, &[b"CLIENTS", b"clients"]), ["Clients"]);
        assert_eq!(titles(&mut h, &[b"cpu", b"clients"]), ["Clients", "CPU"]);
        assert_eq!(titles(&mut h, &[b"module_list"]), ["Modules"]);
        assert_eq!(titles(&mut h, &[b"modules"]), ["Modules"]);
        assert_eq!(h.node.info_string(&[b"nosuch"]), "");
        assert_eq!(h.node.info_string(&[b"clients", b"cpu"]).matches("\r\n\r\n").count(), 1);
    }

    #[test]
    fn keyspace_stats_and_errors_are_counted() {
        // Proves the keyspace line, hit/miss counters, errorstats, commandstats and the exact
        // RESP2 and RESP3 framing of an INFO reply.
        let mut h = Harness::new();
        let id = h.connect(5000);
        assert_eq!(h.run(id, &["INFO", "keyspace"]), "$12\r\n# Keyspace\r\n\r\n");
        h.run(id, &["SET", "a", "1", "EX", "100"]);
        h.run(id, &["SET", "b", "2"]);
        h.run(id, &["SELECT", "3"]);
        h.run(id, &["SET", "c", "3"]);
        h.run(id, &["GET", "c"]);
        h.run(id, &["GET", "nosuch"]);
        h.run(id, &["HELLO", "9"]);
        h.run(id, &["SELECT", "x"]);
        h.run(id, &["GET"]);
        // avg_ttl is 0 until the expire cycle samples the volatile key, as in Redis.
        assert!(h.node.info_string(&[b"keyspace"]).contains("\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n"));
        h.advance_ms(100);
        let keyspace = "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=99900\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n";
        assert_eq!(h.node.info_string(&[b"keyspace"]), keyspace);
        let stats = h.node.info_string(&[b"stats"]);
        assert!(stats.contains("\r\nkeyspace_hits:1\r\nkeyspace_misses:1\r\n"), "{stats}");
        assert!(stats.contains("\r\ntotal_error_replies:3\r\n"), "{stats}");
        assert!(stats.contains("\r\ntotal_commands_processed:9\r\n"), "{stats}");
        assert_eq!(
            h.node.info_string(&[b"errorstats"]),
            "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_NOPROTO:count=1\r\n"
        );
        let cmdstats = h.node.info_string(&[b"commandstats"]);
        assert!(
            cmdstats.contains("\r\ncmdstat_get:calls=2,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"),
            "{cmdstats}"
        );
        assert!(
            cmdstats
                .contains("\r\ncmdstat_select:calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1\r\n"),
            "{cmdstats}"
        );
        let persistence = h.node.info_string(&[b"persistence"]);
        assert!(persistence.contains("\r\nrdb_changes_since_last_save:3\r\n"), "{persistence}");
        h.run(id, &["HELLO", "3"]);
        assert_eq!(h.run(id, &["INFO", "keyspace"]), format!("={}\r\ntxt:{keyspace}\r\n", keyspace.len() + 4));
    }

    #[test]
    fn protocol_errors_count_as_err() {
        // Proves a protocol error is counted under errorstat_ERR, as Redis's addReplyError does.
        let mut h = Harness::new();
        let id = h.connect(5000);
        h.node.handle_input(h.now, id, b"*x\r\n");
        assert_eq!(h.node.info_string(&[b"errorstats"]), "# Errorstats\r\nerrorstat_ERR:count=1\r\n");
        assert_eq!(h.node.stats.total_error_replies, 1);
    }

    #[test]
    fn refused_connections_are_not_received_connections() {
        // Proves a connection refused for maxclients counts in rejected_connections only, as in
        // Redis (checked on redis-server 7.0.15 with maxclients 1).
        let mut h = Harness::new();
        h.node.config.maxclients = 1;
        h.connect(5000);
        h.connect(5001);
        let stats = h.node.info_string(&[b"stats"]);
        assert!(stats.contains("\r\ntotal_connections_received:1\r\n"), "{stats}");
        assert!(stats.contains("\r\nrejected_connections:1\r\n"), "{stats}");
    }

    #[test]
    fn instantaneous_ops_average_sixteen_samples() {
        // Proves instantaneous_ops_per_sec is the mean of the last 16 per-100ms rates, as Redis's
        // trackInstantaneousMetric computes it.
        let mut h = Harness::new();
        let id = h.connect(5000);
        let ops = |h: &mut Harness| {
            let stats = h.node.info_string(&[b"stats"]);
            let line = stats.lines().find(|l| l.starts_with("instantaneous_ops_per_sec:")).unwrap().to_owned();
            line.split(':').nth(1).unwrap().parse::<u64>().unwrap()
        };
        for _ in 0..5 {
            h.run(id, &["PING"]);
        }
        h.advance_ms(100);
        // One sample of 50 ops/s among sixteen.
        assert_eq!(ops(&mut h), 50 / 16);
        for _ in 0..15 {
            for _ in 0..5 {
                h.run(id, &["PING"]);
            }
            h.advance_ms(100);
        }
        assert_eq!(ops(&mut h), 50);
        for _ in 0..16 {
            h.advance_ms(100);
        }
        assert_eq!(ops(&mut h), 0);
    }

    #[test]
    fn process_values_come_from_the_probe() {
        // Proves memory, CPU and process fields print the shell's values in Redis's formats.
        fn probe() -> ProcessSample {
            ProcessSample {
                used_memory_bytes: 916_496,
                used_memory_rss_bytes: 6_590_464,
                cpu: CpuUsage { sys_us: 1_500_000, user_us: 2_195, ..CpuUsage::default() },
            }
        }
        let mut h = Harness::new();
        let info = ProcessInfo {
            process_id: 4242,
            executable: "/usr/bin/verdis-server".into(),
            os: "Linux 6.1.0 x86_64".into(),
            total_system_memory_bytes: 25_276_510_208,
        };
        h.node.set_process(info, ProcessProbe { sample: probe });
        let text = h.node.info_string(&[b"server", b"memory", b"cpu"]);
        for line in [
            "redis_version:7.0.15",
            "os:Linux 6.1.0 x86_64",
            "process_id:4242",
            "tcp_port:6379",
            "uptime_in_seconds:0",
            "executable:/usr/bin/verdis-server",
            "config_file:",
            "used_memory:916496",
            "used_memory_human:895.02K",
            "used_memory_rss:6590464",
            "used_memory_rss_human:6.29M",
            "used_memory_peak:916496",
            "used_memory_peak_perc:100.00%",
            "total_system_memory_human:23.54G",
            "maxmemory_policy:noeviction",
            "mem_fragmentation_ratio:7.19",
            "used_cpu_sys:1.500000",
            "used_cpu_user:0.002195",
            "used_cpu_sys_children:0.000000",
            &format!("verdis_version:{}", env!("CARGO_PKG_VERSION")),
        ] {
            assert!(text.contains(&format!("\r\n{line}\r\n")), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn commandstats_time_commands_with_the_inputs_stopwatch() {
        // Proves commandstats adds the input's stopwatch's elapsed time around each execution (here 5 µs
        // a command) and prints usec_per_call with two decimals.
        fn clock_us() -> u64 {
            static NOW_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            NOW_US.fetch_add(5, std::sync::atomic::Ordering::Relaxed)
        }
        let mut h = Harness::new();
        h.now.stopwatch = crate::node::Stopwatch(clock_us);
        let id = h.connect(5000);
        h.run(id, &["PING"]);
        h.run(id, &["PING"]);
        h.run(id, &["PING", "a", "b"]);
        let stats = h.node.info_string(&[b"commandstats"]);
        assert_eq!(
            stats,
            "# Commandstats\r\ncmdstat_ping:calls=3,usec=15,usec_per_call=5.00,rejected_calls=0,failed_calls=1\r\n"
        );
        // 5 µs lands in hdr's [4992, 5023] ns slot, as in Redis.
        assert_eq!(
            h.node.info_string(&[b"latencystats"]),
            "# Latencystats\r\nlatency_percentiles_usec_ping:p50=5.023,p99=5.023,p99.9=5.023\r\n"
        );
        h.run(id, &["CONFIG", "SET", "latency-tracking-info-percentiles", "0 100"]);
        let lines = h.node.info_string(&[b"latencystats"]);
        assert!(lines.contains("\r\nlatency_percentiles_usec_ping:p0=4.992,p100=5.023\r\n"), "{lines}");
        assert!(lines.contains("\r\nlatency_percentiles_usec_config|set:"), "{lines}");
        h.run(id, &["CONFIG", "SET", "latency-tracking", "no"]);
        h.advance_ms(100);
        h.run(id, &["PING", "new"]);
        assert!(h.node.info_string(&[b"commandstats"]).contains("cmdstat_ping:calls=4,"));
        let ping = h.node.stats.command_counts.get("ping").unwrap();
        assert_eq!(ping.latency.value_at_percentile(100.0), 5023, "untracked while latency-tracking is no");
    }

    #[test]
    fn bytes_to_human_matches_redis() {
        // Proves the human-readable sizes use Redis's units and rounding (values from redis-server).
        for (n, text) in [
            (0, "0B"),
            (1023, "1023B"),
            (1024, "1.00K"),
            (916_496, "895.02K"),
            (6_590_464, "6.29M"),
            (25_276_510_208, "23.54G"),
            (1 << 40, "1.00T"),
            (1 << 50, "1.00P"),
            (1 << 60, "1152921504606846976B"),
        ] {
            assert_eq!(bytes_to_human(n), text);
        }
    }

    #[test]
    fn error_codes_are_the_first_word() {
        // Proves errorstats keys an error by its first word, falls back to ERR when no space
        // appears early enough, and stops adding codes at its bound.
        let mut stats = ServerStats::default();
        stats.count_error_reply("WRONGTYPE Operation against a key");
        stats.count_error_reply("ERR syntax error");
        stats.count_error_reply("ERR syntax error");
        stats.count_error_reply(&"X".repeat(40));
        assert_eq!(stats.error_counts.get("WRONGTYPE"), Some(&1));
        assert_eq!(stats.error_counts.get("ERR"), Some(&3));
        assert_eq!(stats.total_error_replies, 4);
        for n in 0..200 {
            stats.count_error_reply(&format!("E{n} x"));
        }
        assert_eq!(stats.error_counts.len(), ERROR_CODES_MAX);
        assert_eq!(stats.total_error_replies, 204);
    }
}
