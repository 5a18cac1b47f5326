//! Normalisation rules, declared in ONE place: the table below, keyed by command name.
//!
//! Every command not listed is compared byte for byte. A listed command is compared by the rule
//! named here, and an excluded one is never generated — each with the reason. Redis's own random
//! or time-dependent replies get a contract or a tolerance, never a silent pass.

use verdis_engine::cmd::spec::CommandSpec;

/// How the replies of one command are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The exact reply bytes.
    Exact,
    /// The same elements in any order (top-level array or set).
    Unordered,
    /// Every aggregate at every depth sorted (lists of lists in hash order).
    UnorderedDeep,
    /// The same field/value pairs in any order (a map, or a flat array of pairs in RESP2).
    UnorderedPairs,
    /// Integer replies within ± the tolerance; negative (special) values exactly.
    Tolerance(i64),
    /// Both null, or each side's reply names a key that exists on that side.
    KeyspaceMember,
    /// The same reply type and length, and null exactly where the oracle's is null (random
    /// values that carry no data: ACL GENPASS, OBJECT IDLETIME).
    SameShape,
    /// A random pick from a key (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER): the same shape, null
    /// exactly, and each side's picks checked against the key as the oracle holds it (members,
    /// their values, distinct for a positive count; `compare::check_picks`).
    RandomPick,
    /// Milliseconds read from each server's clock (PTTL, PEXPIRETIME): equal within the
    /// millisecond boundaries the wall clock crossed while the sequence ran on both sides.
    ClockMs,
    /// A cursor scan: the cursor argument (at this index) is reset to 0 when valid, and the full
    /// set of elements collected until the cursor returns to 0 is compared.
    ScanAll(usize),
    /// A RESP3 map / RESP2 flat field list whose named fields hold per-process values.
    MaskFields(&'static [&'static str]),
    /// A random removal from a set (SPOP): the same reply shape, the subject's picks were members,
    /// and the oracle's set is then made to follow the subject's picks so the states stay equal.
    SetPop,
    /// A DUMP payload: each side RESTOREs the other's payload into a scratch key, which must then
    /// hold the dumped key's value; the bytes must be equal too, except for hashtable-encoded sets
    /// and hashes, whose bytes follow the table's order, random per Redis process.
    DumpPayload,
    /// The exact bytes, after the oracle has run this command on a connection of its own: it
    /// resets process state Redis 7.0 leaks from earlier commands into this command's reply.
    ExactAfterOracleReset(&'static [&'static str]),
    /// Every integer at any depth within ± the tolerance (negative ones exactly), everything
    /// else exact: replies that embed clock readings among other data (XPENDING, XINFO).
    DeepTolerance(i64),
    /// Never generated, for the reason given.
    Excluded(&'static str),
}

/// Clears the C `errno` of a Redis process: GEORADIUS_RO parses its coordinates with
/// `string2d`, which sets `errno` to 0 before `strtod`, and on a missing key it touches nothing.
const ERRNO_RESET: &[&str] = &["GEORADIUS_RO", "conform:errno-reset", "0", "0", "1", "m"];

/// How far apart two servers' clock readings inside a stream reply may be: both run the same
/// sequence moments apart, so a reading differs by the time between them.
const STREAM_CLOCK_TOLERANCE_MS: i64 = 200;

/// The one table of rules. Names are the command table's (`container|sub` for subcommands).
pub static RULES: &[(&str, Rule)] = &[
    // Unordered results.
    ("keys", Rule::Unordered),
    ("smembers", Rule::Unordered),
    ("sinter", Rule::Unordered),
    ("sunion", Rule::Unordered),
    ("sdiff", Rule::Unordered),
    ("hkeys", Rule::Unordered),
    ("hvals", Rule::Unordered),
    ("hgetall", Rule::UnorderedPairs),
    ("dump", Rule::DumpPayload),
    // The command table (and each container's subcommands) is a dict in Redis, listed in hash
    // order at every level. (COMMAND INFO/DOCS with names reply in the order asked; comparing
    // them unordered is a deliberate weakening.)
    ("command", Rule::UnorderedDeep),
    ("command|list", Rule::Unordered),
    ("command|info", Rule::UnorderedDeep),
    ("command|docs", Rule::UnorderedDeep),
    // Random picks: contracts.
    ("randomkey", Rule::KeyspaceMember),
    ("srandmember", Rule::RandomPick),
    ("hrandfield", Rule::RandomPick),
    ("zrandmember", Rule::RandomPick),
    ("acl|genpass", Rule::SameShape),
    // Cursors.
    ("scan", Rule::ScanAll(1)),
    ("sscan", Rule::ScanAll(2)),
    ("hscan", Rule::ScanAll(2)),
    ("zscan", Rule::ScanAll(2)),
    // Time: the two sides run each command a fraction of a millisecond apart.
    ("ttl", Rule::Tolerance(1)),
    ("expiretime", Rule::Tolerance(1)),
    ("pttl", Rule::ClockMs),
    ("pexpiretime", Rule::ClockMs),
    // A small integer shares one object whose LRU clock keeps the last touch by any key, from
    // any earlier sequence (FLUSHALL does not reset it): only the reply's type is comparable.
    ("object|idletime", Rule::SameShape),
    ("object|freq", Rule::Tolerance(1)),
    // Milliseconds from each server's clock inside stream replies: XPENDING's idle times,
    // XINFO CONSUMERS' idle, XINFO STREAM FULL's delivery and seen times. Every integer in the
    // reply, at any depth, within the tolerance; everything else exact.
    ("xpending", Rule::DeepTolerance(STREAM_CLOCK_TOLERANCE_MS)),
    ("xinfo|consumers", Rule::DeepTolerance(STREAM_CLOCK_TOLERANCE_MS)),
    ("xinfo|stream", Rule::DeepTolerance(STREAM_CLOCK_TOLERANCE_MS)),
    // Per-process fields.
    ("hello", Rule::MaskFields(&["id"])),
    // Excluded, with the reason.
    ("info", Rule::Excluded("server statistics differ by process and moment")),
    ("time", Rule::Excluded("the wall clock")),
    ("lastsave", Rule::Excluded("the time of the last save")),
    ("client|list", Rule::Excluded("lists connection ids, addresses and ages")),
    ("client|info", Rule::Excluded("connection id, address and age")),
    ("client|id", Rule::Excluded("connection ids are per process")),
    ("client|kill", Rule::Excluded("closes connections, by per-process ids and addresses")),
    ("client|pause", Rule::Excluded("stops the server for a time")),
    ("client|reply", Rule::Excluded("switches replies off, which the lock-step runner cannot follow")),
    ("client|tracking", Rule::Excluded("sends out-of-band invalidation pushes")),
    ("client|no-evict", Rule::Excluded("connection setting with no observable reply difference")),
    ("debug", Rule::Excluded("implementation internals; can crash or stall the server")),
    ("pfselftest", Rule::Excluded("a self-test of ten million adds per call (a second on Redis); unit-tested instead")),
    // Redis 7.0's SORT tests `errno == ERANGE` after `strtod` without clearing errno first, so
    // a numeric SORT of non-integer numbers ("1.5", "-0") fails whenever an earlier command of
    // the process, from any sequence, left ERANGE there (`ZCOUNT z 1e400 2` does). EXEC may run
    // a queued SORT. (A transaction that itself parses an out-of-range number before its SORT
    // still shows the quirk.)
    ("sort", Rule::ExactAfterOracleReset(ERRNO_RESET)),
    ("sort_ro", Rule::ExactAfterOracleReset(ERRNO_RESET)),
    ("exec", Rule::ExactAfterOracleReset(ERRNO_RESET)),
    ("shutdown", Rule::Excluded("stops the server")),
    ("quit", Rule::Excluded("closes the connection")),
    ("reset", Rule::Excluded("resets the protocol mid-sequence")),
    ("monitor", Rule::Excluded("switches the connection to a stream of other clients' commands")),
    ("subscribe", Rule::Excluded("switches the connection to subscriber mode")),
    ("psubscribe", Rule::Excluded("switches the connection to subscriber mode")),
    ("ssubscribe", Rule::Excluded("switches the connection to subscriber mode")),
    ("unsubscribe", Rule::Excluded("answers one push per channel named, which lock-step cannot frame")),
    ("punsubscribe", Rule::Excluded("answers one push per pattern named, which lock-step cannot frame")),
    ("sunsubscribe", Rule::Excluded("answers one push per shard channel named, which lock-step cannot frame")),
    ("config|set", Rule::Excluded("process-specific options (port, dir, logfile...)")),
    ("config|get", Rule::Excluded("process-specific options (port, dir, pid file...)")),
    ("config|rewrite", Rule::Excluded("writes the config file")),
    ("config|resetstat", Rule::Excluded("statistics are per process")),
    ("save", Rule::Excluded("writes files")),
    ("bgsave", Rule::Excluded("writes files in the background; timing-dependent")),
    ("bgrewriteaof", Rule::Excluded("writes files in the background; timing-dependent")),
    ("sync", Rule::Excluded("replication stream")),
    ("psync", Rule::Excluded("replication stream")),
    ("replconf", Rule::Excluded("replication internals")),
    ("replicaof", Rule::Excluded("makes the server a replica")),
    ("slaveof", Rule::Excluded("makes the server a replica")),
    ("failover", Rule::Excluded("replication failover")),
    ("migrate", Rule::Excluded("opens connections to other servers")),
    ("memory|usage", Rule::Excluded("allocator-specific sizes")),
    ("memory|stats", Rule::Excluded("allocator-specific sizes")),
    ("memory|doctor", Rule::Excluded("allocator-specific report")),
    ("memory|malloc-stats", Rule::Excluded("allocator-specific report")),
    ("latency|latest", Rule::Excluded("measured latencies")),
    ("latency|history", Rule::Excluded("measured latencies")),
    ("latency|doctor", Rule::Excluded("measured latencies")),
    ("latency|graph", Rule::Excluded("measured latencies")),
    ("latency|histogram", Rule::Excluded("measured latencies")),
    ("slowlog|get", Rule::Excluded("measured durations and timestamps")),
    ("slowlog|len", Rule::Excluded("counts the commands slower than a measured duration")),
    ("lolwut", Rule::Excluded("versions 5 and 6 draw random art")),
    ("acl|log", Rule::Excluded("timestamps and client addresses")),
    ("spop", Rule::SetPop),
    ("select", Rule::Excluded("changes the connection's database; the keyspace check reads database 0")),
];

/// The rule for a command or subcommand name (lower case).
pub fn rule(name: &str) -> Rule {
    RULES.iter().find(|(n, _)| *n == name).map_or(Rule::Exact, |(_, r)| *r)
}

/// The rule for a spec: the table's. (Blocking commands are compared exactly: the generator
/// gives them only timeouts that end at once, see `gen::BLOCKING_TIMEOUTS`, and SORT only its
/// deterministic forms, see `gen::sort_deterministically`.)
pub fn rule_for(spec: &CommandSpec) -> Rule {
    rule(spec.name)
}

/// The rule for a command as sent (`argv[0]`, with `argv[1]` for containers).
pub fn rule_for_argv(argv: &[Vec<u8>]) -> Rule {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    if let Some(sub) = argv.get(1) {
        let full = format!("{name}|{}", String::from_utf8_lossy(sub).to_ascii_lowercase());
        if RULES.iter().any(|(n, _)| *n == full) {
            return rule(&full);
        }
    }
    match verdis_engine::lookup(name.as_bytes()) {
        Some(row) => rule_for(row.spec),
        None => rule(&name),
    }
}

/// Redis 7.0's container commands (their subcommand is part of the name).
const CONTAINERS: &[&str] = &[
    "acl", "client", "cluster", "command", "config", "function", "latency", "memory", "module", "object", "pubsub",
    "script", "slowlog", "xgroup", "xinfo",
];

/// The stats name of a command as sent: the table name, with the subcommand for containers.
pub fn command_name(argv: &[Vec<u8>]) -> String {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let is_container = CONTAINERS.contains(&name.as_str());
    match argv.get(1) {
        Some(sub) if is_container => format!("{name}|{}", String::from_utf8_lossy(sub).to_ascii_lowercase()),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_unique_and_lower_case() {
        // Proves the table has one rule per name, in the form the command table uses.
        for (i, (name, _)) in RULES.iter().enumerate() {
            assert_eq!(*name, name.to_ascii_lowercase());
            assert!(RULES[i + 1..].iter().all(|(n, _)| n != name), "{name} listed twice");
        }
    }

    #[test]
    fn lookups_find_subcommands_and_default_to_exact() {
        // Proves argv lookups see subcommand rules, and unlisted commands are byte-exact.
        let argv = |words: &[&str]| words.iter().map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(rule_for_argv(&argv(&["CLIENT", "id"])), rule("client|id"));
        assert_eq!(rule_for_argv(&argv(&["Keys", "*"])), Rule::Unordered);
        assert_eq!(rule_for_argv(&argv(&["GET", "k"])), Rule::Exact);
        assert_eq!(rule("ttl"), Rule::Tolerance(1));
    }
}
