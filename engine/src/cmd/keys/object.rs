//! OBJECT ENCODING key
//! OBJECT FREQ key
//! OBJECT IDLETIME key
//! OBJECT REFCOUNT key
//! OBJECT HELP
//!
//! Keys are looked up as Redis's `objectCommandLookup` does: as a read (hits, misses, lazy
//! expiry) that leaves the access time alone. A missing key answers null.
//!
//! Deliberate difference in REFCOUNT: verdis does not share objects, so it reports what Redis
//! would for a freshly written value: 2147483647 (OBJ_SHARED_REFCOUNT) for the integers 0..9999,
//! which Redis takes from its shared pool unless an LRU or LFU policy is set, and 1 otherwise.
//! Redis decides at write time and also shares under an LRU/LFU policy while `maxmemory` is 0,
//! and a COPY of a shared integer is not shared; verdis cannot see those histories.

use crate::cmd::ctx::{Ctx, MaxmemoryPolicy};
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// Integers below this come from Redis's shared pool (OBJ_SHARED_INTEGERS).
const SHARED_INTEGERS: i64 = 10_000;
/// The refcount Redis reports for a shared object (OBJ_SHARED_REFCOUNT, INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's LRU clock wraps at 24 bits (LRU_CLOCK_MAX).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// The LFU decrement time wraps at 16 bits of minutes.
const LFU_MINUTES_MAX: u64 = 65_535;

const HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

/// OBJECT HELP.
pub fn help(_ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::help(argv[0], HELP))
}

/// OBJECT ENCODING: Redis's name for how the value is stored.
pub fn encoding(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(ctx.lookup_read_nonotify(argv[2]).map_or(Reply::Null, |obj| Reply::bulk(obj.value.encoding().as_bytes())))
}

/// OBJECT REFCOUNT: how many references Redis would hold to the value (see the header).
pub fn refcount(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let policy = ctx.config.maxmemory_policy;
    let uses_access_data =
        policy.is_lfu() || matches!(policy, MaxmemoryPolicy::AllkeysLru | MaxmemoryPolicy::VolatileLru);
    let Some(obj) = ctx.lookup_read_nonotify(argv[2]) else { return Ok(Reply::Null) };
    let shared = match &obj.value {
        Value::Str(StrValue::Int(n)) => (0..SHARED_INTEGERS).contains(n) && !uses_access_data && !obj.unshared,
        _ => false,
    };
    Ok(Reply::Int(if shared { SHARED_REFCOUNT } else { 1 }))
}

/// OBJECT IDLETIME: seconds since the key was last accessed (Redis's `estimateObjectIdleTime`).
pub fn idletime(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let lru_clock = ctx.lru_clock;
    let lfu = ctx.config.maxmemory_policy.is_lfu();
    let Some(obj) = ctx.lookup_read_nonotify(argv[2]) else { return Ok(Reply::Null) };
    if lfu {
        return Err(CmdError::msg(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
             between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let idle_s = if lru_clock >= obj.lru { lru_clock - obj.lru } else { lru_clock + (LRU_CLOCK_MAX - obj.lru) };
    Ok(Reply::Int(i64::from(idle_s)))
}

/// OBJECT FREQ: the key's logarithmic access counter after decay (Redis's `LFUDecrAndReturn`).
pub fn freq(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let lfu = ctx.config.maxmemory_policy.is_lfu();
    let decay_minutes = u64::from(ctx.config.lfu_decay_time);
    let now_minutes = (ctx.now_ms() / 1000 / 60) as u64 & LFU_MINUTES_MAX;
    let Some(obj) = ctx.lookup_read_nonotify(argv[2]) else { return Ok(Reply::Null) };
    if !lfu {
        return Err(CmdError::msg(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let decrement_minutes = u64::from(obj.lru >> 8);
    let counter = u64::from(obj.lru & 0xff);
    let elapsed_minutes = if now_minutes >= decrement_minutes {
        now_minutes - decrement_minutes
    } else {
        LFU_MINUTES_MAX - decrement_minutes + now_minutes
    };
    let periods = elapsed_minutes.checked_div(decay_minutes).unwrap_or(0);
    Ok(Reply::Int(counter.saturating_sub(periods) as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ctx::MaxmemoryPolicy;
    use crate::cmd::keys::test_support::run_in;
    use crate::cmd::testing::{TestDb, TEST_START_MS};

    fn run(t: &mut TestDb, line: &str) -> String {
        run_in(t, 0, 1000, line)
    }

    #[test]
    fn encoding_and_refcount_follow_redis() {
        // Proves ENCODING names, REFCOUNT for shared-range integers under each policy kind, and
        // null for a missing key.
        let mut t = TestDb::new();
        t.check(&[("SET i 5", "+OK"), ("SET j 10000", "+OK"), ("SET s abc", "+OK"), ("SET neg -1", "+OK")]);
        assert_eq!(run(&mut t, "OBJECT ENCODING i"), "\"int\"");
        assert_eq!(run(&mut t, "OBJECT ENCODING s"), "\"embstr\"");
        assert_eq!(run(&mut t, "OBJECT ENCODING nokey"), "(nil)");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT i"), ":2147483647");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT j"), ":1");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT neg"), ":1");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT s"), ":1");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT nokey"), "(nil)");
        t.config.maxmemory_policy = MaxmemoryPolicy::VolatileTtl;
        assert_eq!(run(&mut t, "OBJECT REFCOUNT i"), ":2147483647");
        t.config.maxmemory_policy = MaxmemoryPolicy::AllkeysLru;
        assert_eq!(run(&mut t, "OBJECT REFCOUNT i"), ":1");
        t.config.maxmemory_policy = MaxmemoryPolicy::VolatileLfu;
        assert_eq!(run(&mut t, "OBJECT REFCOUNT i"), ":1");
    }

    #[test]
    fn refcount_follows_copies_and_new_integer_objects() {
        // Proves the sequences real Redis 7.0.15 answers: a COPY owns its object (1) until INCR
        // makes a new, shared one; DECR into the shared range shares; APPEND never does.
        let mut t = TestDb::new();
        t.check(&[("SET k 5", "+OK"), ("COPY k k2", ":1"), ("SET a 10000", "+OK"), ("DECR a", ":9999")]);
        assert_eq!(run(&mut t, "OBJECT REFCOUNT k2"), ":1");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT k"), ":2147483647");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT a"), ":2147483647");
        t.check(&[("INCR k2", ":6"), ("COPY a b", ":1"), ("APPEND b x", ":5")]);
        assert_eq!(run(&mut t, "OBJECT REFCOUNT k2"), ":2147483647");
        assert_eq!(run(&mut t, "OBJECT REFCOUNT b"), ":1");
    }

    #[test]
    fn idletime_counts_seconds_since_access_and_wraps() {
        // Proves IDLETIME from the LRU clock (with the 24-bit wrap), that OBJECT does not touch
        // the key, and the LFU error.
        let mut t = TestDb::new();
        t.check(&[("SET k v", "+OK")]);
        assert_eq!(run_in(&mut t, 0, 30, "OBJECT IDLETIME k"), ":30");
        assert_eq!(run_in(&mut t, 0, 45, "OBJECT IDLETIME k"), ":45");
        t.keyspace.dbs[0].get_mut(b"k").unwrap().lru = (1 << 24) - 11;
        assert_eq!(run_in(&mut t, 0, 5, "OBJECT IDLETIME k"), ":15");
        assert_eq!(run(&mut t, "OBJECT IDLETIME nokey"), "(nil)");
        t.config.maxmemory_policy = MaxmemoryPolicy::AllkeysLfu;
        assert_eq!(run(&mut t, "OBJECT IDLETIME nokey"), "(nil)");
        assert_eq!(
            run(&mut t, "OBJECT IDLETIME k"),
            "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
             between policies at runtime LRU and LFU data will take some time to adjust."
        );
    }

    #[test]
    fn freq_decays_the_lfu_counter_and_needs_an_lfu_policy() {
        // Proves FREQ's error outside LFU policies and LFUDecrAndReturn's decay per period.
        let mut t = TestDb::new();
        t.check(&[("SET k v", "+OK")]);
        assert_eq!(
            run(&mut t, "OBJECT FREQ k"),
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust."
        );
        t.config.maxmemory_policy = MaxmemoryPolicy::AllkeysLfu;
        let now_minutes = (TEST_START_MS / 60_000) as u32 & 0xffff;
        t.keyspace.dbs[0].get_mut(b"k").unwrap().lru = ((now_minutes - 3) << 8) | 10;
        assert_eq!(run(&mut t, "OBJECT FREQ k"), ":7");
        t.config.lfu_decay_time = 0;
        assert_eq!(run(&mut t, "OBJECT FREQ k"), ":10");
        t.config.lfu_decay_time = 2;
        assert_eq!(run(&mut t, "OBJECT FREQ k"), ":9");
        t.keyspace.dbs[0].get_mut(b"k").unwrap().lru = ((now_minutes - 100) << 8) | 10;
        assert_eq!(run(&mut t, "OBJECT FREQ k"), ":0");
        assert_eq!(run(&mut t, "OBJECT FREQ nokey"), "(nil)");
    }

    #[test]
    fn help_and_arity_errors_match_redis() {
        // Proves the HELP text, subcommand arity errors and the unknown-subcommand error.
        let mut t = TestDb::new();
        let help = run(&mut t, "object help");
        assert!(
            help.starts_with("[+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +ENCODING <key>, ")
        );
        assert!(help.ends_with("+    <key>., +HELP, +    Prints this help.]"), "{help}");
        assert_eq!(help.matches(", +").count(), 14);
        assert_eq!(run(&mut t, "OBJECT foo"), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.");
        assert_eq!(run(&mut t, "OBJECT ENCODING"), "-ERR wrong number of arguments for 'object|encoding' command");
        assert_eq!(run(&mut t, "OBJECT ENCODING a b"), "-ERR wrong number of arguments for 'object|encoding' command");
        assert_eq!(run(&mut t, "OBJECT HELP x"), "-ERR wrong number of arguments for 'object|help' command");
        assert_eq!(run(&mut t, "OBJECT"), "-ERR wrong number of arguments for 'object' command");
        for sub in ["FREQ", "IDLETIME", "REFCOUNT"] {
            let want = format!("-ERR wrong number of arguments for 'object|{}' command", sub.to_lowercase());
            assert_eq!(run(&mut t, &format!("OBJECT {sub}")), want);
        }
    }

    #[test]
    fn lookups_count_stats_and_expire_without_touching() {
        // Proves OBJECT reads count a hit or miss, remove an expired key, and leave the access
        // time alone.
        let mut t = TestDb::new();
        t.check(&[("SET k v", "+OK"), ("SET gone v", "+OK"), ("PEXPIRE gone 1", ":1")]);
        t.now_ms += 2;
        assert_eq!(run(&mut t, "OBJECT ENCODING gone"), "(nil)");
        assert_eq!(run(&mut t, "OBJECT ENCODING k"), "\"embstr\"");
        assert_eq!(t.keyspace.dbs[0].get(b"k").unwrap().lru, 0);
        assert_eq!((t.keyspace.stats.keyspace_hits, t.keyspace.stats.keyspace_misses), (1, 1));
        assert_eq!(t.keyspace.stats.expired_keys, 1);
    }
}
