//! Keyspace events against real Redis 7.0: a long seeded sequence of commands from every family
//! runs on real redis-servers with `notify-keyspace-events` on and on the engine (driven as the
//! node drives it); after every command the events each server published must equal the events
//! the engine recorded (`Ctx::touches`), in the same order.
//!
//! One server publishes every class (`EAmn`): its stream checks event names, keys, databases
//! and order. One more server per class letter publishes that class alone: its stream must equal
//! the engine's events of that class, which checks each event's class.
//!
//! A server publishes on `__keyevent@<db>__:<event>`; after each command the test publishes on a
//! channel of its own and reads the subscription up to that message, so every event the command
//! raised has arrived (Redis delivers a connection's messages in order).

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::{redis_run, RealRedis};
use verdis_engine::cmd::effects::{NotifyClass, Touch};
use verdis_engine::plants::Plants;
use verdis_engine::Rng;

/// The channel the test publishes on to mark the end of a command's events.
const SYNC_CHANNEL: &str = "verdis-sync";
/// How long a subscriber waits for a message before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Commands in the generated sequence.
const SEQUENCE_LEN: usize = 2000;
/// The sequence's seed.
const SEED: u64 = 0x6b65_7973;

/// The `notify-keyspace-events` letter of each class the engine raises, with its class.
const CLASSES: [(&str, NotifyClass); 9] = [
    ("g", NotifyClass::GENERIC),
    ("$", NotifyClass::STRING),
    ("l", NotifyClass::LIST),
    ("s", NotifyClass::SET),
    ("h", NotifyClass::HASH),
    ("z", NotifyClass::ZSET),
    ("x", NotifyClass::EXPIRED),
    ("m", NotifyClass::KEY_MISS),
    ("n", NotifyClass::NEW),
];

/// One real server publishing the events of `classes` to a subscriber.
struct Publisher {
    server: RealRedis,
    con: redis::Connection,
    sub: redis::Connection,
    classes: NotifyClass,
    /// How many sync messages were published.
    synced: u64,
}

impl Publisher {
    /// A fresh server (active expiry off, so only the sequence's own reads expire keys)
    /// publishing `letters` with its subscriber listening.
    fn start(letters: &str, classes: NotifyClass) -> Publisher {
        let flags = format!("E{letters}");
        let server = RealRedis::start(&["--appendonly", "no", "--notify-keyspace-events", &flags]);
        let mut con = server.connect();
        redis_run(&mut con, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]).expect("DEBUG SET-ACTIVE-EXPIRE");
        let mut sub = server.connect();
        sub.set_read_timeout(Some(READ_TIMEOUT)).expect("read timeout");
        for (verb, channel) in [("PSUBSCRIBE", "__keyevent@*__:*"), ("SUBSCRIBE", SYNC_CHANNEL)] {
            sub.send_packed_command(&redis::cmd(verb).arg(channel).get_packed_command()).expect("subscribe");
            sub.recv_response().expect("subscription confirmed");
        }
        Publisher { server, con, sub, classes, synced: 0 }
    }

    /// The events published since the last call, as `show` writes them.
    fn events(&mut self) -> Vec<String> {
        self.synced += 1;
        redis::cmd("PUBLISH").arg(SYNC_CHANNEL).arg(self.synced).query::<i64>(&mut self.con).expect("PUBLISH");
        let mut events = Vec::new();
        loop {
            let message = self.sub.recv_response().unwrap_or_else(|e| panic!("{e}\n{}", self.server.log()));
            let parts = match message {
                redis::Value::Array(parts) => parts,
                other => panic!("a pub/sub message, not {other:?}"),
            };
            let text: Vec<Vec<u8>> = parts
                .into_iter()
                .map(|p| match p {
                    redis::Value::BulkString(b) => b,
                    other => panic!("a bulk string, not {other:?}"),
                })
                .collect();
            match text.iter().map(Vec::as_slice).collect::<Vec<_>>()[..] {
                [b"message", _, n] if n == self.synced.to_string().as_bytes() => return events,
                [b"pmessage", _, channel, key] => events.push(from_channel(channel, key)),
                ref other => panic!("unexpected message {other:?}"),
            }
        }
    }
}

/// An event read from `__keyevent@<db>__:<event>` with payload `key`, as `show` writes it.
fn from_channel(channel: &[u8], key: &[u8]) -> String {
    let channel = String::from_utf8_lossy(channel);
    let rest = channel.strip_prefix("__keyevent@").expect("a keyevent channel");
    let (db, event) = rest.split_once("__:").expect("__keyevent@<db>__:<event>");
    show(db.parse().expect("a db number"), event, key)
}

/// An event as text: `event:key`, with `@db` outside db 0.
fn show(db: usize, event: &str, key: &[u8]) -> String {
    let key = key.escape_ascii();
    if db == 0 {
        format!("{event}:{key}")
    } else {
        format!("{event}:{key}@{db}")
    }
}

/// The engine's events of `classes`, as `show` writes them.
fn engine_events(touches: &[Touch], classes: NotifyClass) -> Vec<String> {
    touches
        .iter()
        .filter_map(|t| t.event.filter(|(class, _)| classes.contains(*class)).map(|(_, e)| show(t.db, e, &t.key)))
        .collect()
}

/// Where two event streams first differ, or `None` when they are equal: the comparison every
/// check here makes.
fn first_difference(ours: &[String], theirs: &[String]) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let at = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    Some(format!(
        "first difference at event {at}: verdis {:?}, Redis {:?} (verdis {ours:?}, Redis {theirs:?})",
        ours.get(at),
        theirs.get(at)
    ))
}

/// Command templates: `{k}` any key, `{s}`/`{l}`/`{t}`/`{h}`/`{z}` a key the family of strings,
/// lists, sets, hashes or sorted sets mostly holds (generic commands move values between the
/// pools, so types still meet), `{m}` a member or value, `{n}` a small integer.
const TEMPLATES: &[&str] = &[
    // Strings.
    "SET {s} {m}",
    "SET {s} {m} NX",
    "SET {s} {m} XX GET",
    "SET {s} {m} EX 100",
    "SETNX {s} {m}",
    "SETEX {s} 100 {m}",
    "GETEX {s} PERSIST",
    "GETEX {s} EX 100",
    "GETEX {s} PXAT 1",
    "GETDEL {s}",
    "GETSET {s} {m}",
    "MSET {s} {m} {s} {m}",
    "MSETNX {s} {m} {s} {m}",
    "INCR {s}",
    "INCRBY {s} {n}",
    "DECR {s}",
    "INCRBYFLOAT {s} 1.5",
    "APPEND {s} {m}",
    "SETRANGE {s} {n} {m}",
    "SETRANGE {s} 1 \"\"",
    "GET {s}",
    "MGET {s} {s}",
    "STRLEN {s}",
    "GETRANGE {s} 0 1",
    "LCS {s} {s}",
    // Keys.
    "DEL {k} {k}",
    "UNLINK {k}",
    "EXISTS {k} {k}",
    "TOUCH {k}",
    "TYPE {k}",
    "TTL {k}",
    "PEXPIRETIME {k}",
    "EXPIRE {k} 100",
    "EXPIRE {k} 100 NX",
    "PEXPIRE {k} 30",
    "PEXPIRE {k} 0",
    "EXPIREAT {k} 1",
    "PERSIST {k}",
    "RENAME {k} {k}",
    "RENAMENX {k} {k}",
    "COPY {k} {k}",
    "COPY {k} {k} REPLACE",
    "COPY {k} {k} DB 1",
    "MOVE {k} 1",
    "SELECT 1",
    "SELECT 0",
    "SWAPDB 0 1",
    "SORT {l} ALPHA STORE {k}",
    "SORT {t} ALPHA STORE {l}",
    "SORT {k} BY w_* GET g_* ALPHA",
    "SORT_RO {k} ALPHA",
    "DUMP {k}",
    "OBJECT ENCODING {k}",
    // Lists.
    "LPUSH {l} {m} {m}",
    "RPUSH {l} {m} {m} {m}",
    "LPUSHX {l} {m}",
    "RPUSHX {l} {m}",
    "LINSERT {l} BEFORE {m} {m}",
    "LINSERT {l} AFTER {m} {m}",
    "LINSERT {l} BEFORE x {m}",
    "LSET {l} 0 {m}",
    "LREM {l} 0 {m}",
    "LTRIM {l} 1 -1",
    "LPOP {l}",
    "RPOP {l} 2",
    "LMOVE {l} {l} LEFT RIGHT",
    "RPOPLPUSH {l} {l}",
    "LMPOP 2 {l} {l} LEFT COUNT 2",
    "BLPOP {l} {l} 0.01",
    "BRPOP {l} 0.01",
    "BLMOVE {l} {l} RIGHT LEFT 0.01",
    "BLMPOP 0.01 1 {l} RIGHT",
    "LRANGE {l} 0 -1",
    "LINDEX {l} 0",
    "LPOS {l} {m}",
    // Sets.
    "SADD {t} {m} {m}",
    "SREM {t} {m} {m}",
    "SMOVE {t} {t} {m}",
    "SPOP {t} 100",
    "SINTERSTORE {t} {t} {t}",
    "SUNIONSTORE {t} {t} {t}",
    "SDIFFSTORE {t} {t} {t}",
    "SISMEMBER {t} {m}",
    "SMEMBERS {t}",
    "SINTERCARD 2 {t} {t}",
    "SUNION {t} {t}",
    // Hashes.
    "HSET {h} {m} {m}",
    "HSETNX {h} {m} {m}",
    "HDEL {h} {m} {m}",
    "HINCRBY {h} {m} 2",
    "HINCRBYFLOAT {h} {m} 1.5",
    "HGET {h} {m}",
    "HGETALL {h}",
    "HMGET {h} {m} {m}",
    // Sorted sets.
    "ZADD {z} {n} {m}",
    "ZADD {z} XX {n} {m}",
    "ZADD {z} NX INCR {n} {m}",
    "ZINCRBY {z} {n} {m}",
    "ZREM {z} {m}",
    "ZREMRANGEBYRANK {z} 0 0",
    "ZREMRANGEBYSCORE {z} 0 2",
    "ZPOPMIN {z}",
    "ZPOPMAX {z} 2",
    "ZMPOP 2 {z} {z} MIN",
    "BZPOPMIN {z} 0.01",
    "BZMPOP 0.01 1 {z} MAX COUNT 2",
    "ZUNIONSTORE {z} 2 {z} {z}",
    "ZINTERSTORE {z} 2 {z} {z}",
    "ZDIFFSTORE {z} 2 {z} {z}",
    "ZRANGESTORE {z} {z} 0 1",
    "ZSCORE {z} {m}",
    "ZRANGE {z} 0 -1",
    "ZUNION 2 {z} {z}",
    // Transactions (one call unit with every command's events).
    "MULTI",
    "EXEC",
];

/// A fixed script that raises every event in `EVENTS` at least once; the generated commands
/// follow it.
const PRELUDE: &[&str] = &[
    "SET s1 v",
    "SETRANGE s1 1 x",
    "APPEND s1 y",
    "INCR s2",
    "INCRBYFLOAT s2 1.5",
    "SET s1 v EX 100",
    "PERSIST s1",
    "PEXPIRE s1 30",
    "sleep 60",
    "GET s1",
    "RPUSH l1 a b c",
    "LINSERT l1 BEFORE b x",
    "LSET l1 0 y",
    "LREM l1 1 x",
    "LTRIM l1 0 -1",
    "LPOP l1",
    "RPOP l1",
    "LMOVE l1 l2 LEFT RIGHT",
    "SORT l2 ALPHA STORE l3",
    "RENAME l3 l1",
    "COPY l1 l3",
    "MOVE l3 1",
    "SADD t1 a b",
    "SADD t2 b c",
    "SINTERSTORE t3 t1 t2",
    "SUNIONSTORE t3 t1 t2",
    "SDIFFSTORE t3 t1 t2",
    "SREM t3 a",
    "SPOP t2 5",
    "HSET h1 f v",
    "HINCRBY h1 n 1",
    "HINCRBYFLOAT h1 g 1.5",
    "HDEL h1 f n g",
    "ZADD z1 1 a 2 b 3 c",
    "ZINCRBY z1 1 a",
    "ZUNIONSTORE z2 1 z1",
    "ZINTERSTORE z3 2 z1 z2",
    "ZDIFFSTORE z3 2 z1 z2",
    "ZRANGESTORE z3 z1 0 0",
    "ZREM z3 a",
    "ZREMRANGEBYRANK z1 0 0",
    "ZREMRANGEBYSCORE z1 0 2",
    "ZPOPMIN z2",
    "ZPOPMAX z2",
    "EXPIREAT l1 1",
    "FLUSHALL",
    // Keys whose time passed, found by commands that walk the keyspace.
    "SET a 1",
    "PEXPIRE a 20",
    "sleep 50",
    "KEYS *",
    "SCAN 0",
    "SET b 1",
    "PEXPIRE b 20",
    "sleep 50",
    "SCAN 0 TYPE string",
    "SET c 1",
    "PEXPIRE c 20",
    "sleep 50",
    "RANDOMKEY",
    "SET h 1",
    "PEXPIRE h 20",
    "sleep 50",
    "OBJECT ENCODING h",
];

/// The one template whose expiry passes within the run, and its time: the sequence sleeps past
/// it right after, so every later command sees the key gone on both sides.
const SHORT_EXPIRY: &str = "PEXPIRE {k} 30";
const SHORT_EXPIRY_MS: u64 = 30;

/// The keys the sequence draws from, by hole: few, so commands meet each other's keys (`w_x`
/// and `g_y` are what SORT's BY and GET patterns name).
const POOLS: [(&str, &[&str]); 6] = [
    ("{k}", &["s1", "l1", "t1", "h1", "z1", "w_x", "g_y"]),
    ("{s}", &["s1", "s2", "w_x", "g_y"]),
    ("{l}", &["l1", "l2"]),
    ("{t}", &["t1", "t2"]),
    ("{h}", &["h1", "h2"]),
    ("{z}", &["z1", "z2"]),
];
/// The members and values.
const MEMBERS: [&str; 5] = ["x", "y", "z", "1", "2"];

/// `count` command lines drawn from `TEMPLATES` with a generator seeded by `seed`; an open
/// MULTI is closed by EXEC at the end.
fn sequence(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut pick = |n: usize| rng.below(n as u64) as usize;
    let mut lines = Vec::with_capacity(count + 1);
    let mut in_multi = false;
    while lines.len() < count {
        let template = TEMPLATES[pick(TEMPLATES.len())];
        match template {
            "MULTI" if in_multi => continue,
            "EXEC" if !in_multi => continue,
            "MULTI" | "EXEC" => in_multi = !in_multi,
            // A transaction cannot wait for an expiry or a blocking pop.
            _ if in_multi && (template.starts_with(SHORT_EXPIRY) || template.starts_with('B')) => continue,
            _ => {}
        }
        let mut line = String::new();
        let mut rest = template;
        while let Some(at) = rest.find('{') {
            line.push_str(&rest[..at]);
            let (hole, after) = rest[at..].split_at(3);
            match (hole, POOLS.iter().find(|(name, _)| *name == hole)) {
                (_, Some((_, keys))) => line.push_str(keys[pick(keys.len())]),
                ("{m}", None) => line.push_str(MEMBERS[pick(MEMBERS.len())]),
                ("{n}", None) => line.push_str(&pick(4).to_string()),
                _ => panic!("unknown hole {hole}"),
            }
            rest = after;
        }
        line.push_str(rest);
        lines.push(line);
        if template.starts_with(SHORT_EXPIRY) {
            // The key's time passes during the sleep, never while one side has run a command
            // and the other not yet (both run on the wall clock).
            lines.push(format!("sleep {}", SHORT_EXPIRY_MS * 2));
        }
    }
    if in_multi {
        lines.push("EXEC".to_string());
    }
    lines
}

/// Runs `lines` on the engine (with `plants`) and on one Redis per class plus one publishing
/// every class; returns the first command whose events differ, or else how many times each
/// event name was compared.
fn compare(lines: &[String], plants: Plants) -> Result<BTreeMap<String, usize>, String> {
    let every = CLASSES.iter().fold(NotifyClass::default(), |all, (_, c)| NotifyClass(all.0 | c.0));
    let letters: String = CLASSES.iter().map(|(l, _)| *l).collect();
    let mut publishers = vec![Publisher::start(&letters, every)];
    publishers.extend(CLASSES.iter().map(|(letter, class)| Publisher::start(letter, *class)));
    let mut engine = support::EngineHarness::new();
    engine.config.plants = plants;
    let mut in_multi = false;
    let mut seen = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep ms")));
            continue;
        }
        let argv: Vec<&[u8]> = line.split(' ').map(|w| if w == "\"\"" { &b""[..] } else { w.as_bytes() }).collect();
        let (ours, _) = engine.run(&argv);
        for publisher in &mut publishers {
            let theirs = redis_run(&mut publisher.con, &argv);
            // EXEC's reply holds its commands' errors, which the client library reports as an
            // error of the whole reply: only the events are compared there.
            if argv[0] != b"EXEC" {
                assert_eq!(ours.is_ok(), theirs.is_ok(), "#{i} `{line}` replied {ours:?} here, {theirs:?} in Redis");
            }
        }
        in_multi = match argv[0] {
            b"MULTI" => true,
            b"EXEC" => false,
            _ => in_multi,
        };
        // Inside MULTI nothing runs yet (and a PUBLISH would be queued).
        if in_multi {
            continue;
        }
        for publisher in &mut publishers {
            let theirs = publisher.events();
            let ours = engine_events(&engine.touches, publisher.classes);
            if let Some(difference) = first_difference(&ours, &theirs) {
                let classes = publisher.classes.format();
                return Err(format!("#{i} `{line}`, classes {classes}: {difference}"));
            }
        }
        for event in engine_events(&engine.touches, every) {
            let name = event.split(':').next().expect("event:key").to_string();
            *seen.entry(name).or_default() += 1;
        }
    }
    Ok(seen)
}

/// Every event the sequence must raise at least once (all the engine raises but `restore`,
/// whose payload the unit tests cover, and `evicted`).
const EVENTS: &[&str] = &[
    "new",
    "set",
    "expire",
    "persist",
    "del",
    "expired",
    "keymiss",
    "incrby",
    "incrbyfloat",
    "append",
    "setrange",
    "rename_from",
    "rename_to",
    "copy_to",
    "move_from",
    "move_to",
    "sortstore",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "linsert",
    "lset",
    "lrem",
    "ltrim",
    "sadd",
    "srem",
    "spop",
    "sinterstore",
    "sunionstore",
    "sdiffstore",
    "hset",
    "hdel",
    "hincrby",
    "hincrbyfloat",
    "zadd",
    "zincr",
    "zrem",
    "zremrangebyrank",
    "zremrangebyscore",
    "zpopmin",
    "zpopmax",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zrangestore",
];

#[test]
fn a_long_sequence_raises_redis_events() {
    // Proves the engine raises, for a fixed prelude that raises every event and then a
    // 2000-command seeded sequence over every family (expiry, keymiss, new, transactions,
    // SELECT, SWAPDB, blocking pops included), the same keyspace events as Redis 7.0.15 in
    // the same order, each of the same class.
    let generated = sequence(SEED, SEQUENCE_LEN);
    for family in ["HDEL", "SMOVE", "LMOVE", "ZUNIONSTORE", "RENAME", "SELECT", "SWAPDB", "BLPOP", "EXEC", "sleep"] {
        assert!(generated.iter().any(|l| l.starts_with(family)), "the sequence never runs {family}");
    }
    let lines: Vec<String> = PRELUDE.iter().map(|l| l.to_string()).chain(generated).collect();
    let seen = compare(&lines, Plants::default()).unwrap_or_else(|e| panic!("{e}"));
    let missing: Vec<&str> = EVENTS.iter().copied().filter(|e| !seen.contains_key(*e)).collect();
    assert!(missing.is_empty(), "the sequence never raised {missing:?}: {seen:?}");
}

#[test]
fn a_dropped_event_is_caught() {
    // Proves the comparison catches a handler that forgets one notify call: with the planted
    // bug HDEL raises no `hdel`, and the first HDEL that removes a field fails the run.
    let lines: Vec<String> = ["HSET h f v", "HDEL h f"].iter().map(|l| l.to_string()).collect();
    compare(&lines, Plants::default()).expect("the script's events match without the plant");
    let plants = Plants { hdel_skips_notify: true, ..Plants::default() };
    let error = compare(&lines, plants).expect_err("a dropped hdel must be caught");
    assert!(error.starts_with("#1 `HDEL h f`"), "{error}");
    assert!(error.contains("Redis Some(\"hdel:h\")"), "{error}");
}

#[test]
fn streams_differ_where_an_event_is_missing_or_moved() {
    // Proves first_difference reports a missing event, an extra one and a reordering, and
    // passes equal streams.
    let stream: Vec<String> = ["new:k", "setrange:k", "del:k"].iter().map(|s| s.to_string()).collect();
    assert_eq!(first_difference(&stream, &stream), None);
    let missing: Vec<String> = [&stream[0], &stream[2]].into_iter().cloned().collect();
    let report = first_difference(&missing, &stream).expect("a missing event differs");
    assert!(report.starts_with("first difference at event 1: verdis Some(\"del:k\"), Redis Some(\"setrange:k\")"));
    assert!(first_difference(&stream[..2], &stream).is_some());
    let moved: Vec<String> = [&stream[1], &stream[0], &stream[2]].into_iter().cloned().collect();
    assert!(first_difference(&moved, &stream).expect("a reordering differs").contains("at event 0"));
}
