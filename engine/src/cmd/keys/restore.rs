//! RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
//!
//! Redis 7.0's `restoreCommand` (cluster.c), checks in its order: options, BUSYKEY, TTL, payload
//! footer, payload value. A relative TTL is propagated as an absolute one with ABSTTL appended;
//! a TTL already in the past restores nothing, and propagates DEL when REPLACE removed a key.
//! Deliberate difference: every payload is fully validated (Redis's default
//! `sanitize-dump-payload no` skips the deep checks for clients), so a corrupt listpack is
//! "Bad data format" here rather than a later crash.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::rdb::object_lru;
use crate::rdb::payload::{self, PayloadError};
use crate::reply::Reply;
use crate::value::Object;

/// RESTORE: creates `key` from a DUMP payload.
pub fn restore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[1];
    let (mut replace, mut absttl) = (false, false);
    let (mut idle_s, mut freq): (Option<u64>, Option<u8>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let has_value = j + 1 < argv.len();
        if eq_ci(argv[j], "replace") {
            replace = true;
        } else if eq_ci(argv[j], "absttl") {
            absttl = true;
        } else if eq_ci(argv[j], "idletime") && has_value && freq.is_none() {
            let n = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            idle_s = Some(u64::try_from(n).map_err(|_| CmdError::msg("ERR Invalid IDLETIME value, must be >= 0"))?);
            j += 1;
        } else if eq_ci(argv[j], "freq") && has_value && idle_s.is_none() {
            let n = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            let f = u8::try_from(n).map_err(|_| CmdError::msg("ERR Invalid FREQ value, must be >= 0 and <= 255"))?;
            freq = Some(f);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if !replace && ctx.lookup_write(key).is_some() {
        return Err(CmdError::msg("BUSYKEY Target key name already exists."));
    }
    let ttl = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    if ttl < 0 {
        return Err(CmdError::msg("ERR Invalid TTL value, must be >= 0"));
    }
    let value = payload::restore(argv[3], ctx.config, ctx.rng).map_err(|e| match e {
        PayloadError::VersionOrChecksum => CmdError::msg("ERR DUMP payload version or checksum are wrong"),
        PayloadError::BadData(_) => CmdError::msg("ERR Bad data format"),
    })?;

    let deleted = replace && ctx.db().delete(key).is_some();
    let now_ms = ctx.now_ms();
    // Redis adds without an overflow check; a wrapped time is in the past, as there.
    let when_ms = if ttl != 0 && !absttl { ttl.wrapping_add(now_ms) } else { ttl };
    if when_ms != 0 && when_ms <= now_ms {
        if deleted {
            ctx.notify(NotifyClass::GENERIC, "del", key);
            ctx.propagate_as(&[b"DEL", key]);
            ctx.dirty += 1;
        }
        return Ok(Reply::Ok);
    }
    let lru = object_lru(ctx.config.maxmemory_policy.is_lfu(), ctx.lru_clock, now_ms, freq, idle_s);
    ctx.add_key(key, Object::new(value, lru));
    if when_ms != 0 {
        ctx.db().set_expire(key, when_ms);
        if !absttl {
            let when = when_ms.to_string();
            let mut rewritten: Vec<&[u8]> = argv.to_vec();
            rewritten[2] = when.as_bytes();
            rewritten.push(b"ABSTTL");
            ctx.propagate_as(&rewritten);
        }
    }
    ctx.notify(NotifyClass::GENERIC, "restore", key);
    ctx.dirty += 1;
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::ctx::MaxmemoryPolicy;
    use crate::cmd::testing::{TestDb, TEST_START_MS};
    use crate::rdb::payload;
    use crate::reply::Reply;
    use crate::value::{StrValue, Value};

    fn hello() -> Vec<u8> {
        payload::dump(&Value::Str(StrValue::from_bytes(b"hello")), true)
    }

    fn restore(t: &mut TestDb, key: &str, ttl: &str, payload: &[u8], opts: &[&str]) -> Reply {
        let mut argv: Vec<&[u8]> = vec![b"RESTORE", key.as_bytes(), ttl.as_bytes(), payload];
        argv.extend(opts.iter().map(|o| o.as_bytes()));
        t.run(&argv)
    }

    fn err(reply: Reply) -> String {
        match reply {
            Reply::Error(e) => String::from_utf8_lossy(&e.to_bytes()).into_owned(),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn errors_match_redis_in_its_order() {
        // Proves each RESTORE error with Redis 7.0.15's text, and that options are checked before
        // BUSYKEY, BUSYKEY before the TTL, the TTL before the payload.
        let mut t = TestDb::new();
        let p = hello();
        assert_eq!(restore(&mut t, "k1", "0", &p, &[]), Reply::Ok);
        assert_eq!(err(restore(&mut t, "k1", "0", &p, &[])), "BUSYKEY Target key name already exists.");
        assert_eq!(err(restore(&mut t, "k1", "-1", &p, &[])), "BUSYKEY Target key name already exists.");
        assert_eq!(err(restore(&mut t, "k1", "0", &p, &["FOO"])), "ERR syntax error");
        assert_eq!(err(restore(&mut t, "k4", "-1", &p, &[])), "ERR Invalid TTL value, must be >= 0");
        assert_eq!(err(restore(&mut t, "k4", "x", &p, &[])), "ERR value is not an integer or out of range");
        assert_eq!(err(restore(&mut t, "k4", "x", &p, &["FOO"])), "ERR syntax error");
        assert_eq!(
            err(restore(&mut t, "k4", "0", &p, &["IDLETIME", "-1"])),
            "ERR Invalid IDLETIME value, must be >= 0"
        );
        assert_eq!(
            err(restore(&mut t, "k4", "0", &p, &["IDLETIME", "x"])),
            "ERR value is not an integer or out of range"
        );
        for f in ["256", "-1"] {
            assert_eq!(
                err(restore(&mut t, "k4", "0", &p, &["FREQ", f])),
                "ERR Invalid FREQ value, must be >= 0 and <= 255"
            );
        }
        assert_eq!(err(restore(&mut t, "k4", "0", &p, &["FREQ", "1", "IDLETIME", "1"])), "ERR syntax error");
        assert_eq!(err(restore(&mut t, "k4", "0", &p, &["IDLETIME"])), "ERR syntax error");
        for bad in [&b"garbage"[..], b"", b"\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00"] {
            assert_eq!(err(restore(&mut t, "k4", "0", bad, &[])), "ERR DUMP payload version or checksum are wrong");
        }
        let mut empty_list = vec![18u8, 0, 10, 0];
        let crc = crate::rdb::Crc64::of(&empty_list);
        empty_list.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(err(restore(&mut t, "k4", "0", &empty_list, &[])), "ERR Bad data format");
        assert_eq!(t.dirty, 1);
    }

    #[test]
    fn ttl_replace_and_propagation_follow_redis() {
        // Proves relative TTLs become absolute and propagate with ABSTTL, ABSTTL is kept as
        // given, a past TTL restores nothing (DEL propagated only when REPLACE removed a key).
        let mut t = TestDb::new();
        let p = hello();
        assert_eq!(restore(&mut t, "k2", "100000", &p, &[]), Reply::Ok);
        assert_eq!(t.ttl_ms("k2"), Some(100_000));
        let when = (TEST_START_MS + 100_000).to_string();
        let args: Vec<Vec<u8>> = t.propagated[0].1.clone();
        assert_eq!(args[2], when.as_bytes());
        assert_eq!(args.last().map(Vec::as_slice), Some(&b"ABSTTL"[..]));
        assert_eq!(t.raw_get("k2").as_deref(), Some(&b"hello"[..]));

        assert_eq!(restore(&mut t, "k3", &(TEST_START_MS + 5).to_string(), &p, &["ABSTTL"]), Reply::Ok);
        assert_eq!(t.ttl_ms("k3"), Some(5));
        assert_eq!(t.propagated[0].1.len(), 5, "ABSTTL given: propagated as called");

        assert_eq!(restore(&mut t, "k2", "1", &p, &["REPLACE", "ABSTTL"]), Reply::Ok);
        assert!(t.raw_get("k2").is_none());
        assert_eq!(t.propagated[0].1, [b"DEL".to_vec(), b"k2".to_vec()]);
        assert_eq!(restore(&mut t, "k5", "1", &p, &["ABSTTL"]), Reply::Ok);
        assert!(t.raw_get("k5").is_none() && t.propagated.is_empty());
    }

    #[test]
    fn idletime_and_freq_set_the_access_data() {
        // Proves IDLETIME under LRU and FREQ under LFU, as OBJECT IDLETIME / FREQ then report.
        let mut t = TestDb::new();
        let p = hello();
        let mut ctx = t.ctx();
        ctx.lru_clock = 5000;
        let argv: [&[u8]; 7] = [b"RESTORE", b"k6", b"0", &p, b"IDLETIME", b"1000", b"replace"];
        assert_eq!(super::restore(&mut ctx, &argv), Ok(Reply::Ok));
        assert_eq!(t.keyspace.dbs[0].get(b"k6").unwrap().lru, 4000);
        t.config.maxmemory_policy = MaxmemoryPolicy::AllkeysLfu;
        assert_eq!(restore(&mut t, "k7", "0", &p, &["FREQ", "7"]), Reply::Ok);
        assert_eq!(t.keyspace.dbs[0].get(b"k7").unwrap().lru & 0xff, 7);
    }

    #[test]
    fn dump_round_trips_through_restore() {
        // Proves DUMP of each type restores to an equal value, and DUMP of a missing key is nil.
        let mut t = TestDb::new();
        t.check(&[
            ("RPUSH l a b 3", ":3"),
            ("SADD s 1 2 x", ":3"),
            ("ZADD z 1 a 2.5 b", ":2"),
            ("HSET h f v", ":1"),
            ("SET n 12", "+OK"),
        ]);
        assert_eq!(t.run(&[b"DUMP", b"missing"]), Reply::Null);
        for key in ["l", "s", "z", "h", "n"] {
            let Reply::Bulk(p) = t.run(&[b"DUMP", key.as_bytes()]) else { panic!("DUMP {key}") };
            let copy = format!("{key}-copy");
            assert_eq!(restore(&mut t, &copy, "0", &p, &[]), Reply::Ok);
            let a = t.keyspace.dbs[0].get(key.as_bytes()).unwrap().value.clone();
            let b = t.keyspace.dbs[0].get(copy.as_bytes()).unwrap().value.clone();
            assert_eq!(a, b, "{key}");
        }
    }

    #[test]
    fn restore_raises_redis_events() {
        // Proves RESTORE's events as a real Redis 7.0.15 raises them: new then restore (with or
        // without a TTL, REPLACE included), nothing for BUSYKEY, and del when REPLACE meets a
        // past absolute TTL and removes the old key.
        let mut t = TestDb::new();
        let cases: [(&str, &[&str], &str); 6] = [
            ("0", &[], "new:k restore:k"),
            ("0", &[], ""),
            ("0", &["REPLACE"], "new:k restore:k"),
            ("100000", &["REPLACE"], "new:k restore:k"),
            ("1", &["REPLACE", "ABSTTL"], "del:k"),
            ("1", &["REPLACE", "ABSTTL"], ""),
        ];
        for (ttl, opts, events) in cases {
            restore(&mut t, "k", ttl, &hello(), opts);
            assert_eq!(crate::cmd::testing::show_events(&t.touches), events, "RESTORE k {ttl} {opts:?}");
        }
    }
}
