//! The audit: what verdis does with each option of the table, and why.
//!
//! A stock redis.conf must load unchanged, so every Redis 7.0 option has a row; but a user must
//! never believe they have a replica, a password, a memory limit or TLS they do not have. So each
//! option is marked here, once:
//!
//! - `ActedOn`: verdis reads the value and behaves as Redis does.
//! - `Refused`: a value other than the default turns on a feature verdis lacks, and running
//!   without it would break a promise (topology, security, durability, where clients connect).
//!   Startup stops with Redis's FATAL CONFIG FILE ERROR block; CONFIG SET fails with Redis's
//!   apply-failure text. The default value is accepted, so a stock redis.conf still loads.
//! - `Warned`: the value is stored (CONFIG GET shows it) but changes nothing yet; a value other
//!   than the default is logged as a warning at startup and on every CONFIG SET that sets it.
//!
//! `config::tests::every_row_is_audited` fails when a row has no line here (or a line names no
//! row), so a new option cannot be silently ignored.

use super::table::Row;

/// What verdis does with an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Read and acted on as in Redis.
    ActedOn,
    /// A non-default value is refused (startup and CONFIG SET).
    Refused,
    /// A non-default value is accepted with a logged warning (startup and CONFIG SET).
    Warned,
}

/// One line of the audit.
pub struct Audit {
    /// The option's canonical name (as in its row).
    pub name: &'static str,
    /// What verdis does with it.
    pub support: Support,
    /// Why: for `ActedOn`, what reads it; otherwise the end of the sentence "verdis ...", which
    /// is the refusal reason or the warning users see.
    pub why: &'static str,
}

const fn line(name: &'static str, support: Support, why: &'static str) -> Audit {
    Audit { name, support, why }
}

use Support::{ActedOn as A, Refused as R, Warned as W};

// Shared reasons.
const REPLICATION: &str = "has no replication yet, so this replication setting changes nothing";
const CLUSTER: &str = "has no cluster mode yet, so this cluster setting changes nothing";
const TLS: &str = "has no TLS for replication or cluster links yet, so this setting changes nothing";
const TLS_CONTEXT: &str = "the runtime builds the TLS context from it (runtime/tls.rs)";
const DEFRAG: &str = "has no active defragmenter, so this setting changes nothing";
const LAZYFREE: &str = "frees values in the foreground, so this lazy-free setting changes nothing";
const PROCESS: &str = "does not apply this process setting yet";
const ENCODING: &str = "has no such encoding yet, so this threshold changes nothing";
const SYSLOG: &str = "does not log to syslog, so this setting changes nothing";
const NO_EFFECT: &str = "does not implement this setting yet, so it changes nothing";
const PERSIST: &str = "persistence reads it";
const ENGINE: &str = "the engine reads it";
const NODE: &str = "the node reads it";
const RUNTIME: &str = "the runtime reads it at startup";

/// Every option, in the table's order.
pub static AUDIT: &[Audit] = &[
    line("rdbchecksum", A, PERSIST),
    line("daemonize", A, RUNTIME),
    line("io-threads-do-reads", W, "runs one I/O thread, so this setting changes nothing"),
    line("always-show-logo", W, "prints no logo"),
    line("protected-mode", A, NODE),
    line("rdbcompression", A, PERSIST),
    line("rdb-del-sync-files", W, REPLICATION),
    line("activerehashing", W, "has no incremental rehash to tune, so this setting changes nothing"),
    line("stop-writes-on-bgsave-error", A, PERSIST),
    line("set-proc-title", W, PROCESS),
    line("dynamic-hz", W, "keeps hz fixed, so this setting changes nothing"),
    line("lazyfree-lazy-eviction", W, LAZYFREE),
    line("lazyfree-lazy-expire", W, LAZYFREE),
    line("lazyfree-lazy-server-del", W, LAZYFREE),
    line("lazyfree-lazy-user-del", W, LAZYFREE),
    line("lazyfree-lazy-user-flush", W, LAZYFREE),
    line("repl-disable-tcp-nodelay", W, REPLICATION),
    line("repl-diskless-sync", W, REPLICATION),
    line("aof-rewrite-incremental-fsync", W, NO_EFFECT),
    line("no-appendfsync-on-rewrite", W, "still fsyncs the AOF during a rewrite, so this setting changes nothing yet"),
    line("cluster-require-full-coverage", W, CLUSTER),
    line("rdb-save-incremental-fsync", W, NO_EFFECT),
    line("aof-load-truncated", A, PERSIST),
    line("aof-use-rdb-preamble", A, PERSIST),
    line("aof-timestamp-enabled", W, "does not write timestamp annotations into the AOF yet"),
    line("cluster-replica-no-failover", W, CLUSTER),
    line("replica-lazy-flush", W, REPLICATION),
    line("replica-serve-stale-data", W, REPLICATION),
    line("replica-read-only", W, REPLICATION),
    line("replica-ignore-maxmemory", W, REPLICATION),
    line("jemalloc-bg-thread", W, "does not use jemalloc, so this setting changes nothing"),
    // Its parser already refuses `yes`, as a Redis built without jemalloc's defragmenter does.
    line("activedefrag", R, "has no active defragmenter"),
    line("syslog-enabled", R, "does not log to syslog: the log would silently go to the logfile or stdout instead"),
    line("cluster-enabled", R, "has no cluster mode: it would run as a standalone server"),
    line("appendonly", A, PERSIST),
    line("cluster-allow-reads-when-down", W, CLUSTER),
    line("cluster-allow-pubsubshard-when-down", W, CLUSTER),
    line("crash-log-enabled", W, PROCESS),
    line("crash-memcheck-enabled", W, PROCESS),
    line("use-exit-on-panic", W, PROCESS),
    line("disable-thp", W, PROCESS),
    line("cluster-allow-replica-migration", W, CLUSTER),
    line("replica-announced", W, REPLICATION),
    line("latency-tracking", A, "INFO latencystats reads it"),
    line("aof-disable-auto-gc", W, NO_EFFECT),
    line("replica-ignore-disk-write-errors", W, REPLICATION),
    line("aclfile", R, "has no ACL users yet: the file's users and passwords would not exist"),
    line("unixsocket", A, RUNTIME),
    line("pidfile", A, RUNTIME),
    line("replica-announce-ip", W, REPLICATION),
    line("masteruser", W, REPLICATION),
    line("cluster-announce-ip", W, CLUSTER),
    line("cluster-config-file", W, CLUSTER),
    line("cluster-announce-hostname", W, CLUSTER),
    line("syslog-ident", W, SYSLOG),
    line("dbfilename", A, PERSIST),
    line("appendfilename", A, PERSIST),
    line("appenddirname", A, PERSIST),
    line("server_cpulist", W, PROCESS),
    line("bio_cpulist", W, PROCESS),
    line("aof_rewrite_cpulist", W, PROCESS),
    line("bgsave_cpulist", W, PROCESS),
    line("ignore-warnings", W, NO_EFFECT),
    line("proc-title-template", W, PROCESS),
    line("bind-source-addr", W, REPLICATION),
    line("logfile", A, RUNTIME),
    line("masterauth", W, REPLICATION),
    line("requirepass", A, "AUTH, HELLO AUTH, admission (NOAUTH) and protected mode read it"),
    line("supervised", W, "does not notify a supervisor (systemd, upstart) yet"),
    line("syslog-facility", W, SYSLOG),
    line("repl-diskless-load", W, REPLICATION),
    line("loglevel", A, NODE),
    line("maxmemory-policy", A, "OBJECT FREQ and the RDB loader read it (eviction waits for maxmemory)"),
    line("appendfsync", A, PERSIST),
    line("oom-score-adj", W, PROCESS),
    line("acl-pubsub-default", W, "has no ACL users yet, so this setting changes nothing"),
    line("sanitize-dump-payload", W, NO_EFFECT),
    line("enable-protected-configs", A, NODE),
    line("enable-debug-command", A, NODE),
    line("enable-module-command", W, "has no modules, so this setting changes nothing"),
    line("cluster-preferred-endpoint-type", W, CLUSTER),
    line("propagation-error-behavior", W, REPLICATION),
    line("shutdown-on-sigint", W, "always shuts down the same way on SIGINT, whatever this setting says"),
    line("shutdown-on-sigterm", W, "always shuts down the same way on SIGTERM, whatever this setting says"),
    line("databases", A, ENGINE),
    line("port", A, RUNTIME),
    line("io-threads", W, "runs one I/O thread, so this setting changes nothing"),
    line("auto-aof-rewrite-percentage", A, PERSIST),
    line("cluster-replica-validity-factor", W, CLUSTER),
    line("list-max-listpack-size", W, ENCODING),
    line("tcp-keepalive", W, "does not set TCP keepalive on client sockets yet"),
    line("cluster-migration-barrier", W, CLUSTER),
    line("active-defrag-cycle-min", W, DEFRAG),
    line("active-defrag-cycle-max", W, DEFRAG),
    line("active-defrag-threshold-lower", W, DEFRAG),
    line("active-defrag-threshold-upper", W, DEFRAG),
    line("lfu-log-factor", W, "does not read it yet: LFU counters grow with the default factor"),
    line("lfu-decay-time", A, ENGINE),
    line("replica-priority", W, REPLICATION),
    line("repl-diskless-sync-delay", W, REPLICATION),
    line("maxmemory-samples", W, "does not evict yet, so this setting changes nothing"),
    line("maxmemory-eviction-tenacity", W, "does not evict yet, so this setting changes nothing"),
    line("timeout", A, NODE),
    line("replica-announce-port", W, REPLICATION),
    line("tcp-backlog", W, "listens with Redis's default backlog (511) whatever this setting says"),
    line("cluster-port", W, CLUSTER),
    line("cluster-announce-bus-port", W, CLUSTER),
    line("cluster-announce-port", W, CLUSTER),
    line("cluster-announce-tls-port", W, CLUSTER),
    line("repl-timeout", W, REPLICATION),
    line("repl-ping-replica-period", W, REPLICATION),
    line("list-compress-depth", W, ENCODING),
    line("rdb-key-save-delay", A, PERSIST),
    line("key-load-delay", W, NO_EFFECT),
    line("active-expire-effort", A, ENGINE),
    line("hz", A, NODE),
    line(
        "min-replicas-to-write",
        R,
        "has no replication: writes Redis refuses with NOREPLICAS would be accepted with no replica",
    ),
    line("min-replicas-max-lag", W, REPLICATION),
    line("watchdog-period", W, NO_EFFECT),
    line("shutdown-timeout", W, REPLICATION),
    line("repl-diskless-sync-max-replicas", W, REPLICATION),
    line("maxclients", A, NODE),
    line("unixsocketperm", A, RUNTIME),
    line("socket-mark-id", W, PROCESS),
    line("active-defrag-max-scan-fields", W, DEFRAG),
    line("slowlog-max-len", A, "the slow log keeps this many entries (node/slowlog.rs)"),
    line("acllog-max-len", A, "ACL LOG reads it"),
    line("busy-reply-threshold", W, "has no scripting yet, so this setting changes nothing"),
    line("cluster-node-timeout", W, CLUSTER),
    line("slowlog-log-slower-than", A, "the slow log records commands this slow (node/slowlog.rs)"),
    line("latency-monitor-threshold", A, "the latency monitor records events this slow (node/latency_monitor.rs)"),
    line("proto-max-bulk-len", A, ENGINE),
    line("stream-node-max-entries", A, ENGINE),
    line("repl-backlog-size", W, REPLICATION),
    line("maxmemory", W, "does not enforce maxmemory yet: memory use is not limited and nothing is evicted"),
    line("cluster-link-sendbuf-limit", W, CLUSTER),
    line("hash-max-listpack-entries", A, ENGINE),
    line("set-max-intset-entries", A, ENGINE),
    line("zset-max-listpack-entries", A, ENGINE),
    line("active-defrag-ignore-bytes", W, DEFRAG),
    line("hash-max-listpack-value", A, ENGINE),
    line("stream-node-max-bytes", A, ENGINE),
    line("zset-max-listpack-value", A, ENGINE),
    line("hll-sparse-max-bytes", A, ENGINE),
    line("tracking-table-max-keys", A, "client tracking bounds its table by it (node/tracking.rs)"),
    line("client-query-buffer-limit", A, NODE),
    line("maxmemory-clients", W, "does not enforce maxmemory-clients yet: client memory is not limited"),
    line("repl-backlog-ttl", W, REPLICATION),
    line("auto-aof-rewrite-min-size", A, PERSIST),
    line("loading-process-events-interval-bytes", W, NO_EFFECT),
    line("tls-port", A, RUNTIME),
    line("tls-session-cache-size", A, TLS_CONTEXT),
    line("tls-session-cache-timeout", W, "keeps TLS sessions until its cache is full (rustls has no session timeout), so this setting changes nothing"),
    line("tls-cluster", W, TLS),
    line("tls-replication", W, TLS),
    line("tls-auth-clients", A, TLS_CONTEXT),
    line("tls-prefer-server-ciphers", A, TLS_CONTEXT),
    line("tls-session-caching", A, TLS_CONTEXT),
    line("tls-cert-file", A, TLS_CONTEXT),
    line("tls-key-file", A, TLS_CONTEXT),
    line(
        "tls-key-file-pass",
        R,
        "cannot read encrypted private keys (rustls reads only unencrypted PEM keys): decrypt the key file (openssl pkey -in KEY -out PLAIN) and leave tls-key-file-pass empty",
    ),
    line("tls-client-cert-file", W, TLS),
    line("tls-client-key-file", W, TLS),
    line("tls-client-key-file-pass", W, TLS),
    line("tls-dh-params-file", W, "offers only ECDHE key exchange (rustls has no finite-field DH), so DH parameters change nothing"),
    line("tls-ca-cert-file", A, TLS_CONTEXT),
    line("tls-ca-cert-dir", A, TLS_CONTEXT),
    line("tls-protocols", A, TLS_CONTEXT),
    line("tls-ciphers", A, TLS_CONTEXT),
    line("tls-ciphersuites", A, TLS_CONTEXT),
    line("dir", A, RUNTIME),
    line("save", A, PERSIST),
    line("client-output-buffer-limit", A, "the node's output limits per client class (node/limits.rs)"),
    line("oom-score-adj-values", W, PROCESS),
    line("notify-keyspace-events", A, "the node's keyspace notifications (node/pubsub.rs)"),
    line("bind", A, RUNTIME),
    line("replicaof", R, "has no replication yet: this server would run as a master, not as a replica"),
    line("latency-tracking-info-percentiles", A, "INFO latencystats reads it"),
];

/// The audit line of `row`.
pub fn audit_of(row: &Row) -> &'static Audit {
    AUDIT.iter().find(|a| a.name == row.name).unwrap_or_else(|| panic!("config option {} is not audited", row.name))
}
