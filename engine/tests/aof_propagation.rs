//! Command propagation against real Redis 7.0: each family's command sequence runs on a
//! redis-server with `appendonly yes` and `appendfsync always` and on the engine (driven as the
//! node drives it, `aof::Propagation` and `feedAppendOnlyFile`'s bytes); after every command the
//! commands appended to Redis's incr file must equal the engine's.
//!
//! Both run on the wall clock, so a relative expiry (EXPIRE k 100) becomes absolute times a few
//! milliseconds apart: integers within an hour of now compare as `<now>`. Absolute times in
//! the scripts are far from now and compare exactly.

mod support;

use std::time::Duration;

use support::{commands, now_ms, redis_run, EngineHarness, RealRedis};

/// Integers this close to the wall clock (ms) are timestamps derived from "now" (the scripts'
/// relative expiries stay under it, their absolute times far beyond it).
const NOW_TOLERANCE_MS: i64 = 3_600_000;

/// A propagated command as text, timestamps derived from now replaced by `<now>`, and, when
/// `random_members`, the member SREM removes (SPOP's random pick) by `?`.
fn normalize(argv: &[Vec<u8>], random_members: bool) -> String {
    let now = now_ms();
    let srem = argv[0].eq_ignore_ascii_case(b"SREM");
    argv.iter()
        .enumerate()
        .map(|(i, arg)| {
            let text = String::from_utf8_lossy(arg).into_owned();
            match text.parse::<i64>() {
                Ok(n) if (n - now).abs() < NOW_TOLERANCE_MS => "<now>".to_string(),
                _ if random_members && srem && i >= 2 => "?".to_string(),
                _ => text,
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The two sides of one comparison and how far each stream has been compared.
struct Oracle {
    server: RealRedis,
    con: redis::Connection,
    engine: EngineHarness,
    redis_seen: usize,
    engine_seen: usize,
    random_members: bool,
}

impl Oracle {
    /// A fresh Redis (active expiry off, so only the script's own steps expire keys) and engine.
    fn new() -> Oracle {
        let server = RealRedis::start(&[]);
        let mut con = server.connect();
        redis_run(&mut con, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]).expect("DEBUG SET-ACTIVE-EXPIRE");
        Oracle { server, con, engine: EngineHarness::new(), redis_seen: 0, engine_seen: 0, random_members: false }
    }

    /// What each side appended since the last check, normalized.
    fn appended(&mut self) -> (Vec<String>, Vec<String>) {
        let redis_bytes = self.server.incr_bytes();
        let theirs = commands(&redis_bytes[self.redis_seen..]);
        self.redis_seen = redis_bytes.len();
        let ours = commands(&self.engine.aof[self.engine_seen..]);
        self.engine_seen = self.engine.aof.len();
        let show = |cmds: Vec<Vec<Vec<u8>>>| cmds.iter().map(|c| normalize(c, self.random_members)).collect();
        (show(ours), show(theirs))
    }

    /// Runs a script: one command per line; `sleep <ms>` waits; `redis: <command>` runs on
    /// Redis alone (DEBUG). Checks the propagation after each command.
    fn script(&mut self, family: &str, lines: &[&str]) {
        for line in lines {
            if let Some(ms) = line.strip_prefix("sleep ") {
                std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep ms")));
                continue;
            }
            if let Some(only_redis) = line.strip_prefix("redis: ") {
                redis_run(&mut self.con, &support::words(only_redis)).expect(only_redis);
                continue;
            }
            self.run(family, &support::words(line));
        }
    }

    /// Runs one command on both sides and checks what each propagated.
    fn run(&mut self, family: &str, argv: &[&[u8]]) {
        let line = String::from_utf8_lossy(&argv.join(&b' ')).into_owned();
        let theirs = redis_run(&mut self.con, argv);
        let (ours, _) = self.engine.run(argv);
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{family}: `{line}` replied {ours:?} here, {theirs:?} in Redis");
        let (ours, theirs) = self.appended();
        assert_eq!(ours, theirs, "{family}: propagation of `{line}`");
    }
}

#[test]
fn strings_propagate_as_redis() {
    // Proves the SET family's PXAT rewrite (NX/XX/GET dropped, every expiry form), GETEX's
    // PEXPIREAT/PERSIST/DEL, INCRBYFLOAT's SET KEEPTTL, GETDEL's DEL and the plain writes.
    Oracle::new().script(
        "strings",
        &[
            "SET k v",
            "SET k v EX 100",
            "SET k v PX 100000 NX",
            "SET k2 v NX PX 100000",
            "SET k v XX GET EXAT 1800000000",
            "SET k v PXAT 1800000000000 GET",
            "SET k v KEEPTTL",
            "SET k v GET",
            "SETEX k 100 v",
            "PSETEX k 100000 v",
            "SETNX k v",
            "SETNX k3 v",
            "GETEX k EX 100",
            "GETEX k PX 100000",
            "GETEX k EXAT 1800000000",
            "GETEX k PXAT 1800000000000",
            "GETEX k PERSIST",
            "GETEX k PERSIST",
            "GETEX k",
            "GETEX k EXAT 1",
            "GETEX nokey EX 10",
            "SET k v EX 0",
            "SET k v EX abc",
            "SET f 1.5",
            "INCRBYFLOAT f 1",
            "INCRBYFLOAT f 1e2",
            "INCRBYFLOAT nof 3",
            "INCR n",
            "INCRBY n 5",
            "DECR n",
            "DECRBY n 2",
            "APPEND a x",
            "APPEND a yz",
            "SETRANGE a 5 q",
            "GETSET a b",
            "GETDEL a",
            "GETDEL a",
            "MSET x 1 y 2",
            "MSETNX x 1 z 3",
            "MSETNX z 3 w 4",
        ],
    );
}

#[test]
fn keys_and_expiry_propagate_as_redis() {
    // Proves EXPIRE/PEXPIRE/EXPIREAT as PEXPIREAT with their options, PEXPIREAT as called, past
    // times as DEL, and the keyspace commands as called.
    Oracle::new().script(
        "keys",
        &[
            "SET k v",
            "EXPIRE k 100",
            "EXPIRE k 100 NX",
            "EXPIRE k 200 XX",
            "EXPIRE k 50 GT",
            "EXPIRE k 50 LT",
            "PEXPIRE k 100000",
            "EXPIREAT k 1800000000",
            "PEXPIREAT k 1800000000000",
            "PEXPIREAT k 1800000000001 GT",
            "EXPIRE nokey 10",
            "PERSIST k",
            "PERSIST k",
            "EXPIRE k 0",
            "SET k v",
            "PEXPIREAT k 1",
            "SET k v",
            "EXPIREAT k -5",
            "SET k v",
            "DEL k nokey",
            "UNLINK nokey",
            "SET a 1",
            "RENAME a b",
            "RENAMENX b c",
            "SET d 1",
            "RENAMENX c d",
            "COPY d e",
            "COPY d e REPLACE",
            "MOVE e 2",
            "SWAPDB 0 1",
            "SWAPDB 0 1",
            "FLUSHDB",
            "RPUSH l 3 1 2",
            "SORT l STORE s",
            "SORT nol STORE s",
            "EXISTS l",
            "FLUSHALL",
        ],
    );
}

#[test]
fn hashes_propagate_as_redis() {
    // Proves HINCRBYFLOAT propagates as HSET of the result and the other writes as called.
    Oracle::new().script(
        "hashes",
        &[
            "HSET h a 1 b 2",
            "HSET h a 1",
            "HMSET h c 3",
            "HSETNX h a 9",
            "HSETNX h d 4",
            "HDEL h a zz",
            "HINCRBY h n 5",
            "HINCRBYFLOAT h f 1.5",
            "HINCRBYFLOAT h f 0.25",
            "HINCRBYFLOAT h f 1e3",
            "HDEL h b c d n f",
            "HDEL h zz",
        ],
    );
}

#[test]
fn lists_propagate_as_redis() {
    // Proves blocking pops served at once and LMPOP propagate as the plain pop of the serving
    // key (with the count taken), BLMOVE as LMOVE with its directions as written, and the other
    // writes as called.
    Oracle::new().script(
        "lists",
        &[
            "RPUSH l a b c",
            "LPUSH l z",
            "LPUSHX nol a",
            "RPUSHX l d",
            "LPOP l",
            "RPOP l 2",
            "LPOP l 0",
            "LSET l 0 q",
            "LINSERT l BEFORE q p",
            "LREM l 0 p",
            "LTRIM l 0 0",
            "LMOVE l l2 LEFT RIGHT",
            "RPOPLPUSH l2 l",
            "RPUSH l a b c d",
            "LMPOP 2 nol l LEFT COUNT 2",
            "LMPOP 1 l RIGHT COUNT 10",
            "LMPOP 1 l RIGHT",
            "RPUSH l a b c",
            "BLPOP nol l 0",
            "BRPOP l 0",
            "BLMOVE l l2 RiGhT lEfT 0",
            "RPUSH l x y",
            "BRPOPLPUSH l l2 0",
            "BLMPOP 0 1 l2 RIGHT COUNT 2",
            "LTRIM l2 1 0",
        ],
    );
}

#[test]
fn sets_propagate_as_redis() {
    // Proves SPOP propagates SREM of what it took (several in MULTI/EXEC), the whole set as
    // DEL, and the other writes as called. The members SPOP picks are random on each side, so
    // SREM's members compare as `?`.
    let mut oracle = Oracle::new();
    oracle.random_members = true;
    oracle.script(
        "sets",
        &[
            "SADD s a b c d e f g",
            "SREM s zz",
            "SMOVE s s2 zz",
            "SPOP s",
            "SPOP s 0",
            "SPOP s 2",
            "SPOP s 10",
            "SPOP s",
            "SADD i 1 2 3",
            "SPOP i 1",
            "SADD s1 a b c",
            "SADD s2 b c d",
            "SMOVE s1 s3 a",
            "SINTERSTORE d s1 s2",
            "SUNIONSTORE d s1 s2",
            "SDIFFSTORE d s2 s1",
            "SINTERSTORE d s1 nos",
            "SINTERSTORE d s1 nos",
        ],
    );
}

#[test]
fn sorted_sets_propagate_as_redis() {
    // Proves blocking pops and ZMPOP propagate as ZPOPMIN/ZPOPMAX of the serving key (ZMPOP
    // with the count taken) and the other writes as called.
    Oracle::new().script(
        "sorted sets",
        &[
            "ZADD z 1 a 2 b 3 c",
            "ZADD z XX CH 5 a",
            "ZADD z NX 1 a",
            "ZADD z INCR 1 b",
            "ZINCRBY z 2 c",
            "ZREM z a zz",
            "ZADD z 1 a 4 d 5 e 6 f",
            "ZREMRANGEBYRANK z 0 0",
            "ZREMRANGEBYSCORE z 5 5",
            "ZREMRANGEBYLEX z [x [y",
            "ZPOPMIN z",
            "ZPOPMAX z 1",
            "ZPOPMIN z 0",
            "ZADD z 1 a 2 b 3 c 4 d",
            "ZMPOP 2 noz z MIN COUNT 2",
            "ZMPOP 1 z MAX COUNT 10",
            "ZADD z 1 a 2 b 3 c",
            "BZPOPMIN noz z 0",
            "BZPOPMAX z 0",
            "BZMPOP 0 1 z MIN",
            "ZADD z1 1 a 2 b",
            "ZADD z2 3 b 4 c",
            "ZUNIONSTORE d 2 z1 z2",
            "ZINTERSTORE d 2 z1 z2 WEIGHTS 2 3",
            "ZDIFFSTORE d 2 z1 z2",
            "ZRANGESTORE d z1 0 -1",
            "ZRANGESTORE d z1 5 6",
        ],
    );
}

#[test]
fn restore_propagates_as_redis() {
    // Proves RESTORE with a relative TTL propagates the absolute time plus ABSTTL, with ABSTTL
    // or no TTL as called, and a TTL already past as nothing (or DEL of the key REPLACE removed).
    let mut oracle = Oracle::new();
    oracle.script("restore", &["RPUSH src a b c"]);
    let payload = match redis_run(&mut oracle.con, &[b"DUMP", b"src"]) {
        Ok(redis::Value::BulkString(bytes)) => bytes,
        other => panic!("DUMP: {other:?}"),
    };
    for line in [
        "RESTORE k1 0 $",
        "RESTORE k2 100000 $",
        "RESTORE k3 1800000000000 $ ABSTTL",
        "RESTORE k1 100000 $ REPLACE IDLETIME 5",
        "RESTORE k4 1 $ ABSTTL",
        "RESTORE k1 1 $ REPLACE ABSTTL",
        "RESTORE k1 0 $",
        "RESTORE k2 0 $",
    ] {
        let argv: Vec<&[u8]> =
            line.split(' ').map(|w| if w == "$" { payload.as_slice() } else { w.as_bytes() }).collect();
        oracle.run("restore", &argv);
    }
}

#[test]
fn expired_keys_and_transactions_propagate_as_redis() {
    // Proves a key found expired propagates DEL before the command that found it, the two in
    // MULTI/EXEC (in its own db for MOVE/COPY's destination); a transaction's commands are
    // wrapped once (MULTI in the first command's db, EXEC in the last's), a one-command unit is
    // not, a read-only one propagates nothing.
    Oracle::new().script(
        "expiry and transactions",
        &[
            "SET k v PX 50",
            "SET q v PX 50",
            "sleep 150",
            "set k v2",
            "GET q",
            "GET q",
            "SET k v PX 50",
            "sleep 150",
            "EXISTS k",
            "SET k v PX 50",
            "sleep 150",
            "MSET k 1 z 2",
            "SET k v PX 50",
            "SELECT 2",
            "SET x 1",
            "MULTI",
            "SET x 2",
            "EXPIRE x 100",
            "INCR n",
            "EXEC",
            "MULTI",
            "GET x",
            "EXEC",
            "MULTI",
            "SET y 1",
            "EXEC",
            "SELECT 0",
            "sleep 150",
            "MULTI",
            "GET k",
            "SET z 1",
            "EXEC",
            "MULTI",
            "SET z 2",
            "SELECT 3",
            "SET z 3",
            "EXEC",
            // A key expired in the destination database of MOVE/COPY: its DEL in that db first.
            "SELECT 0",
            "SET m v",
            "SET c v",
            "SELECT 5",
            "SET m old PX 50",
            "SET c old PX 50",
            "SELECT 0",
            "sleep 150",
            "MOVE m 5",
            "COPY c c DB 5",
        ],
    );
}

#[test]
fn active_expiry_propagates_one_del_per_key() {
    // Proves keys the active cycle removes are propagated as DEL in their own database, one by
    // one, without MULTI/EXEC.
    let mut oracle = Oracle::new();
    oracle.script("active expiry", &["SET k v PX 50", "SELECT 1", "SET k v PX 50", "SELECT 0"]);
    std::thread::sleep(Duration::from_millis(100));
    redis_run(&mut oracle.con, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"]).expect("DEBUG SET-ACTIVE-EXPIRE");
    for _ in 0..200 {
        if redis_run(&mut oracle.con, &[b"DBSIZE"]) == Ok(redis::Value::Int(0)) {
            let mut db1 = oracle.server.connect();
            redis_run(&mut db1, &[b"SELECT", b"1"]).expect("SELECT");
            if redis_run(&mut db1, &[b"DBSIZE"]) == Ok(redis::Value::Int(0)) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    oracle.engine.active_expire(now_ms());
    let (ours, theirs) = oracle.appended();
    assert_eq!(ours, theirs, "active expiry");
    assert_eq!(ours, ["SELECT 0", "DEL k", "SELECT 1", "DEL k"]);
}

#[test]
fn served_blocked_clients_propagate_as_redis() {
    // Proves a client parked by a blocking command and served by a later push propagates, after
    // the push and unwrapped, the plain pop (BLMOVE as LMOVE with lower-case directions).
    let cases: &[(&str, &str, &str)] = &[
        ("BLPOP other bl 0", "RPUSH bl a b", "bl"),
        ("BRPOP bl 0", "RPUSH bl a b", "bl"),
        ("BLMOVE bl dst RIGHT left 0", "RPUSH bl a b", "bl"),
        ("BRPOPLPUSH bl dst 0", "RPUSH bl a b", "bl"),
        ("BLMPOP 0 1 bl right COUNT 2", "RPUSH bl a b c", "bl"),
        ("BZPOPMIN bz 0", "ZADD bz 1 a 2 b", "bz"),
        ("BZPOPMAX bz 0", "ZADD bz 1 a 2 b", "bz"),
        ("BZMPOP 0 1 bz min COUNT 5", "ZADD bz 1 a 2 b", "bz"),
    ];
    let mut oracle = Oracle::new();
    for (blocking, push, key) in cases {
        oracle.script("blocked clients", &["DEL bl bz"]);
        // Redis: the blocking command waits on its own connection until the push serves it.
        let mut waiter = oracle.server.connect();
        let argv: Vec<Vec<u8>> = blocking.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        let served = std::thread::spawn(move || {
            let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            redis_run(&mut waiter, &argv)
        });
        for _ in 0..500 {
            let info: String = redis::cmd("INFO").arg("clients").query(&mut oracle.con).expect("INFO");
            if info.contains("blocked_clients:1") {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let (parked_reply, parked) = oracle.engine.run(&support::words(blocking));
        let parked = parked.unwrap_or_else(|| panic!("{blocking} parks in the engine ({parked_reply:?})"));
        redis_run(&mut oracle.con, &support::words(push)).expect(push);
        served.join().expect("the waiter thread").expect("the waiter is served");
        oracle.engine.run(&support::words(push)).0.expect(push);
        oracle.engine.serve(parked, key.as_bytes()).expect("served");
        let before = oracle.redis_seen;
        let path = oracle.server.aof_dir().join(oracle.server.manifest().incrs().last().expect("incr").name.clone());
        support::wait_for_len(&path, before + 1);
        std::thread::sleep(Duration::from_millis(20));
        let (ours, theirs) = oracle.appended();
        assert_eq!(ours, theirs, "propagation of `{blocking}` served by `{push}`");
        let writes = ours.iter().filter(|c| !c.starts_with("SELECT")).count();
        assert_eq!(writes, 2, "the push, then the served pop: {ours:?}");
    }
}
