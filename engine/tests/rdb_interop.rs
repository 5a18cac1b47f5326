//! RDB and DUMP/RESTORE interop with the real thing (Redis 7.0.15's redis-server and
//! redis-check-rdb): files and payloads written by Redis load here, ours load there, and the
//! keyspaces agree key by key (type, encoding, TTL, value).
//!
//! Each test starts its own redis-server on a free port in a temporary directory and kills it
//! when done (the `RealRedis` guard), so tests can run in parallel.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Connection;
use verdis_engine::cmd::table::Handler;
use verdis_engine::rdb::{self, AuxValue, Crc64, EntryOptions, LruField};
use verdis_engine::types::hash::{HashLimits, HashValue};
use verdis_engine::types::list::{End, ListValue};
use verdis_engine::types::set::SetValue;
use verdis_engine::types::stream::{StreamId, StreamLimits, StreamValue};
use verdis_engine::types::zset::{ZsetLimits, ZsetValue};
use verdis_engine::value::{Object, StrValue, Value};
use verdis_engine::{lookup, Ctx, EngineConfig, Keyspace, Reply, Rng};

/// A redis-server child process in its own directory, killed on drop.
struct RealRedis {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl RealRedis {
    /// Starts redis-server; `dbfile` (a path) is copied in as its dump.rdb first when given.
    fn start(dbfile: Option<&Path>) -> RealRedis {
        RealRedis::start_with(dbfile, &[])
    }

    /// `start` with extra configuration arguments.
    fn start_with(dbfile: Option<&Path>, extra: &[&str]) -> RealRedis {
        let dir = tempfile::Builder::new().prefix("rdb-interop").tempdir().expect("temp dir");
        if let Some(file) = dbfile {
            std::fs::copy(file, dir.path().join("dump.rdb")).expect("copy the RDB file in");
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes", "--dbfilename", "dump.rdb"])
            .args(extra)
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let server = RealRedis { child, port, dir };
        for _ in 0..100 {
            if let Ok(mut con) = server.try_connect() {
                if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                    return server;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {port}");
    }

    fn try_connect(&self) -> redis::RedisResult<Connection> {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))?.get_connection()
    }

    fn connect(&self) -> Connection {
        self.try_connect().expect("connect to redis-server")
    }

    fn dump_path(&self) -> PathBuf {
        self.dir.path().join("dump.rdb")
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & ((1 << 24) - 1)
}

fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

/// A value as both sides can report it: order kept where the type has one.
#[derive(Debug, PartialEq)]
enum Snap {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Zset(Vec<(Vec<u8>, f64)>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Entries (ID text, flat field/value list) in order.
    Stream(Vec<(Vec<u8>, Vec<Vec<u8>>)>),
}

fn snap_of(v: &Value) -> Snap {
    match v {
        Value::Str(s) => Snap::Str(s.to_bytes()),
        Value::List(l) => Snap::List(l.iter().map(<[u8]>::to_vec).collect()),
        Value::Set(s) => {
            let mut m: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
            m.sort();
            Snap::Set(m)
        }
        Value::Zset(z) => Snap::Zset(z.to_vec()),
        Value::Hash(h) => {
            let mut p: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            p.sort();
            Snap::Hash(p)
        }
        Value::Stream(st) => Snap::Stream(
            st.range(StreamId::MIN, StreamId::MAX, false)
                .map(|e| (e.id.to_bytes(), e.fields.iter().flat_map(|(f, v)| [f.to_vec(), v.to_vec()]).collect()))
                .collect(),
        ),
    }
}

fn redis_snap(con: &mut Connection, key: &[u8]) -> (Snap, String, i64) {
    let ty: String = q(con, &[b"TYPE", key]);
    let enc: String = q(con, &[b"OBJECT", b"ENCODING", key]);
    let expire: i64 = q(con, &[b"PEXPIRETIME", key]);
    let snap = match ty.as_str() {
        "string" => Snap::Str(q(con, &[b"GET", key])),
        "list" => Snap::List(q(con, &[b"LRANGE", key, b"0", b"-1"])),
        "set" => {
            let mut m: Vec<Vec<u8>> = q(con, &[b"SMEMBERS", key]);
            m.sort();
            Snap::Set(m)
        }
        "stream" => Snap::Stream(q(con, &[b"XRANGE", key, b"-", b"+"])),
        "zset" => {
            let flat: Vec<Vec<u8>> = q(con, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]);
            Snap::Zset(
                flat.chunks(2)
                    .map(|c| (c[0].clone(), std::str::from_utf8(&c[1]).unwrap().parse::<f64>().unwrap()))
                    .collect(),
            )
        }
        "hash" => {
            let flat: Vec<Vec<u8>> = q(con, &[b"HGETALL", key]);
            let mut p: Vec<_> = flat.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
            p.sort();
            Snap::Hash(p)
        }
        other => panic!("unexpected type {other}"),
    };
    (snap, enc, expire)
}

/// Asserts that every database of real Redis and `ks` hold the same keys with the same type,
/// encoding, expiry and value; returns how many keys were compared.
fn assert_same_keyspace(con: &mut Connection, ks: &Keyspace) -> usize {
    let mut compared = 0;
    for (n, db) in ks.dbs.iter().enumerate() {
        let _: () = q(con, &[b"SELECT", n.to_string().as_bytes()]);
        let mut keys: Vec<Vec<u8>> = q(con, &[b"KEYS", b"*"]);
        keys.sort();
        let mut ours: Vec<Vec<u8>> = db.keys().iter().map(|(k, _)| k.to_vec()).collect();
        ours.sort();
        assert_eq!(ours, keys, "keys of db {n}");
        for key in keys {
            let (snap, enc, expire) = redis_snap(con, &key);
            let obj = db.get(&key).expect("key present");
            let name = key.escape_ascii().to_string();
            assert_eq!(snap_of(&obj.value), snap, "value of {name} in db {n}");
            assert_eq!(obj.value.encoding(), enc, "encoding of {name} in db {n}");
            assert_eq!(db.expire_at(&key).unwrap_or(-1), expire, "expiry of {name} in db {n}");
            compared += 1;
        }
    }
    let _: () = q(con, &[b"SELECT", b"0"]);
    compared
}

/// Fills real Redis with every type in every encoding Redis 7.0 has, across databases.
fn fill_redis(con: &mut Connection) {
    let run = |con: &mut Connection, args: &[&[u8]]| {
        let _: redis::Value = q(con, args);
    };
    let far = (now_ms() + 3_600_000).to_string();
    let noise: Vec<u8> = (0..300u32).map(|i| (i * 167 + 13) as u8).collect();
    let text = b"ab".repeat(500);
    let long = vec![b'x'; 100];
    for (k, v) in [
        (&b"s:int"[..], &b"12345"[..]),
        (b"s:neg", b"-42"),
        (b"s:big", b"9223372036854775807"),
        (b"s:i32", b"-2147483648"),
        (b"s:embstr", b"hello"),
        (b"s:raw", &long),
        (b"s:compressible", &text),
        (b"s:bin\x00\xff key", &noise),
        (b"s:empty", b""),
        (b"s:float", b"3.14"),
        (b"s:int-like", b"007"),
        (b"s:eleven", b"12345678901"),
    ] {
        run(con, &[b"SET", k, v]);
    }
    run(con, &[b"PEXPIREAT", b"s:int", far.as_bytes()]);
    run(con, &[b"RPUSH", b"l:small", b"a", b"b", b"1", b"2", b"-3", b""]);
    let items: Vec<Vec<u8>> = (0..2500).map(|i| format!("item-{i}-{}", "y".repeat(i % 40)).into_bytes()).collect();
    for chunk in items.chunks(500) {
        let mut args: Vec<&[u8]> = vec![b"RPUSH", b"l:large"];
        args.extend(chunk.iter().map(Vec::as_slice));
        run(con, &args);
    }
    let big = vec![b'z'; 10_000];
    run(con, &[b"RPUSH", b"l:big", &big, b"tail", &big]);
    run(con, &[b"LPUSH", b"l:lpush", b"1", b"2", b"3", b"four"]);
    run(con, &[b"PEXPIREAT", b"l:small", far.as_bytes()]);
    let ints: Vec<Vec<u8>> = (0..600).map(|i: i64| (i * 7_000_001 - 2_000_000_000).to_string().into_bytes()).collect();
    let mut args: Vec<&[u8]> = vec![b"SADD", b"set:intset"];
    args.extend(ints[..100].iter().map(Vec::as_slice));
    run(con, &args);
    let mut args: Vec<&[u8]> = vec![b"SADD", b"set:many-ints"];
    args.extend(ints.iter().map(Vec::as_slice));
    run(con, &args);
    run(con, &[b"SADD", b"set:words", b"apple", b"banana", b"7", b"-0"]);
    run(con, &[b"SADD", b"set:wide", b"1", b"9223372036854775807"]);
    run(
        con,
        &[
            b"ZADD",
            b"z:small",
            b"1.5",
            b"a",
            b"-0",
            b"b",
            b"1e17",
            b"c",
            b"0.1",
            b"d",
            b"inf",
            b"e",
            b"-inf",
            b"f",
            b"4611686018427387904",
            b"g",
            b"1e300",
            b"h",
            b"3",
            b"12",
        ],
    );
    let mut args: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), b"z:large".to_vec()];
    for i in 0..200 {
        args.push(format!("{}", i as f64 * 0.37 - 20.0).into_bytes());
        args.push(format!("m{i}").into_bytes());
    }
    run(con, &args.iter().map(Vec::as_slice).collect::<Vec<_>>());
    run(con, &[b"ZADD", b"z:long", b"1", &long, b"2", b"short"]);
    run(con, &[b"HSET", b"h:small", b"a", b"1", b"bbb", b"-5", b"f", b"3.5", b"n", b"123456789012"]);
    let mut args: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"h:large".to_vec()];
    for i in 0..600 {
        args.push(format!("field{i}").into_bytes());
        args.push(format!("{i}").into_bytes());
    }
    run(con, &args.iter().map(Vec::as_slice).collect::<Vec<_>>());
    run(con, &[b"HSET", b"h:long", b"f", &long]);
    for i in 0..300u32 {
        let (id, value) = (format!("1-{i}"), format!("v{i}"));
        run(con, &[b"XADD", b"x:stream", id.as_bytes(), b"f", value.as_bytes(), b"n", i.to_string().as_bytes()]);
    }
    run(con, &[b"XDEL", b"x:stream", b"1-5"]);
    run(con, &[b"PEXPIREAT", b"h:large", far.as_bytes()]);
    run(con, &[b"SELECT", b"1"]);
    run(con, &[b"SET", b"s:int", b"other db"]);
    run(con, &[b"RPUSH", b"l:small", b"x"]);
    run(con, &[b"SELECT", b"15"]);
    run(con, &[b"HSET", b"h", b"k", b"v"]);
    run(con, &[b"SET", b"soon", b"gone", b"PX", b"200000"]);
    run(con, &[b"SELECT", b"0"]);
}

fn load(file: &[u8], now: i64) -> (Keyspace, rdb::LoadInfo) {
    let mut rng = Rng::new(1);
    let mut ks = Keyspace::new(16, &mut rng);
    let info = rdb::load(file, &mut ks, now, &EngineConfig::default(), &mut rng).expect("Redis's file loads");
    (ks, info)
}

#[test]
fn redis_dump_file_loads_identically() {
    // Proves a dump.rdb written by Redis 7.0.15 loads with every key equal in type, encoding,
    // expiry and value (DEBUG RELOAD first, so Redis's own state is "as loaded"), and that a
    // key expired by load time is skipped and counted.
    let server = RealRedis::start(None);
    let mut con = server.connect();
    fill_redis(&mut con);
    let _: String = q(&mut con, &[b"DEBUG", b"RELOAD"]);
    let file = std::fs::read(server.dump_path()).expect("dump.rdb");
    let (ks, info) = load(&file, now_ms());
    assert_eq!(info.version, 10);
    assert!(info.aux.iter().any(|(k, v)| k == b"redis-ver" && v == b"7.0.15"));
    assert_eq!(info.consumed, file.len());
    let compared = assert_same_keyspace(&mut con, &ks);
    assert_eq!(compared as u64, info.keys_loaded);
    assert!(compared > 25);

    let (later, info) = load(&file, now_ms() + 300_000);
    assert_eq!(info.expired_skipped, 1, "the key with 200 s to live");
    assert!(later.dbs[15].get(b"soon").is_none());
}

/// Every type in every encoding, built with the engine's own types.
fn verdis_keyspace(now: i64) -> Keyspace {
    let cfg = EngineConfig::default();
    let mut rng = Rng::new(4);
    let mut ks = Keyspace::new(16, &mut rng);
    let hl = HashLimits { entries_max: cfg.hash_max_listpack_entries, value_len_max: cfg.hash_max_listpack_value };
    let zl = ZsetLimits { entries_max: cfg.zset_max_listpack_entries, value_max: cfg.zset_max_listpack_value };
    let mut put = |db: usize, key: &[u8], value: Value, ttl: Option<i64>| {
        ks.dbs[db].add(key, Object::new(value, 0));
        if let Some(t) = ttl {
            ks.dbs[db].set_expire(key, now + t);
        }
    };
    let s = |b: &[u8]| Value::Str(StrValue::from_bytes(b));
    put(0, b"s:int", s(b"-17"), Some(60_000));
    put(0, b"s:big", s(b"-9223372036854775808"), None);
    put(0, b"s:embstr", s(b"hello world"), None);
    put(0, b"s:raw", s(&b"0123456789".repeat(30)), None);
    put(0, b"s:bin\x00key\xff", s(&(0..=255u8).collect::<Vec<_>>()), None);
    put(1, b"s:int", s(b"in db 1"), None);
    let mut list = ListValue::new();
    for i in 0..3000 {
        list.push(End::Right, format!("{i}:{}", "q".repeat(i % 50)).as_bytes());
    }
    list.push(End::Left, &[b'L'; 9000]);
    put(0, b"l:large", Value::List(Box::new(list)), Some(120_000));
    let mut small = ListValue::new();
    for item in [&b"1"[..], b"-1", b"", b"x"] {
        small.push(End::Right, item);
    }
    put(2, b"l:small", Value::List(Box::new(small)), None);
    let mut intset = SetValue::new_for(b"1", &mut rng);
    let mut table = SetValue::new_for(b"a", &mut rng);
    let mut many = SetValue::new_for(b"1", &mut rng);
    for i in 0..700i64 {
        if i < 300 {
            intset.add((i * 99_991 - 5).to_string().as_bytes(), cfg.set_max_intset_entries, &mut rng);
        }
        many.add(i.to_string().as_bytes(), cfg.set_max_intset_entries, &mut rng);
        table.add(format!("w{i}").as_bytes(), cfg.set_max_intset_entries, &mut rng);
    }
    put(0, b"set:intset", Value::Set(intset), None);
    put(0, b"set:table", Value::Set(table), None);
    put(0, b"set:many", Value::Set(many), None);
    let mut stream = StreamValue::new();
    let limits =
        StreamLimits { node_max_bytes: cfg.stream_node_max_bytes, node_max_entries: cfg.stream_node_max_entries };
    for i in 0..300u64 {
        let value = format!("v{i}");
        stream.append(StreamId::new(1, i), &[b"f", value.as_bytes()], limits);
    }
    put(0, b"x:stream", Value::Stream(Box::new(stream)), None);
    let mut zsmall = ZsetValue::new_for(1, zl, &mut rng);
    for (m, sc) in [(&b"a"[..], 1.5), (b"b", 0.1), (b"c", 1e17), (b"d", f64::INFINITY), (b"e", -3.0), (b"f", 1e-300)] {
        zsmall.insert_new(m, sc, zl, &mut rng);
    }
    put(0, b"z:small", Value::Zset(Box::new(zsmall)), None);
    let mut zlarge = ZsetValue::new_for(1, zl, &mut rng);
    for i in 0..500 {
        zlarge.insert_new(format!("m{i}").as_bytes(), (i % 37) as f64 / 3.0, zl, &mut rng);
    }
    put(3, b"z:large", Value::Zset(Box::new(zlarge)), Some(5_000_000));
    let mut hsmall = HashValue::new();
    let mut hlarge = HashValue::new();
    for i in 0..800 {
        if i < 20 {
            hsmall.set(format!("f{i}").as_bytes(), i.to_string().as_bytes(), hl, &mut rng);
        }
        hlarge.set(format!("f{i}").as_bytes(), format!("value {i}").as_bytes(), hl, &mut rng);
    }
    put(0, b"h:small", Value::Hash(hsmall), None);
    put(0, b"h:large", Value::Hash(hlarge), None);
    ks
}

fn write_file(ks: &Keyspace, opts: &EntryOptions, now: i64) -> Vec<u8> {
    let mut out = Vec::new();
    rdb::write_header(
        &mut out,
        &[
            ("redis-ver", AuxValue::Str(b"7.0.15".to_vec())),
            ("redis-bits", AuxValue::Int(64)),
            ("ctime", AuxValue::Int(now / 1000)),
            ("used-mem", AuxValue::Int(1_000_000)),
            ("aof-base", AuxValue::Int(0)),
        ],
    );
    for (n, db) in ks.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        rdb::write_select_db(&mut out, n, db.len() as u64, db.expires().len() as u64);
        for (key, obj) in db.keys().iter() {
            rdb::write_entry(&mut out, key, obj, db.expire_at(key), opts);
        }
    }
    let mut crc = Crc64::default();
    crc.update(&out);
    rdb::write_footer(&mut out, Some(crc));
    out
}

#[test]
fn our_file_passes_redis_check_rdb_and_loads_into_redis_identically() {
    // Proves an RDB file we write (with and without compression, with IDLE or FREQ opcodes) is
    // accepted by redis-check-rdb and loads into redis-server 7.0.15 with every key equal, and
    // that Redis reads the idle times and LFU counters we saved.
    let now = now_ms();
    let mut ks = verdis_keyspace(now);
    let clock = lru_clock(now);
    for (opts, policy) in [
        (EntryOptions { compress: true, lru: LruField::None }, "noeviction"),
        (EntryOptions { compress: false, lru: LruField::Idle { lru_clock: clock } }, "allkeys-lru"),
        (EntryOptions { compress: true, lru: LruField::Freq }, "allkeys-lfu"),
    ] {
        // Every key idle for 1000 s, or (LFU) with counter 42.
        let lru = if opts.lru == LruField::Freq { 42 } else { clock - 1000 };
        for db in &mut ks.dbs {
            let keys: Vec<Vec<u8>> = db.keys().iter().map(|(k, _)| k.to_vec()).collect();
            for key in keys {
                db.get_mut(&key).unwrap().lru = lru;
            }
        }
        let file = write_file(&ks, &opts, now);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ours.rdb");
        std::fs::write(&path, &file).unwrap();
        let check = Command::new("redis-check-rdb").arg(&path).output().expect("redis-check-rdb is installed");
        assert!(check.status.success(), "redis-check-rdb: {}", String::from_utf8_lossy(&check.stdout));
        let server = RealRedis::start_with(Some(&path), &["--maxmemory-policy", policy]);
        let mut con = server.connect();
        // Before any read touches the keys.
        match opts.lru {
            LruField::None => {}
            LruField::Idle { .. } => {
                let idle: i64 = q(&mut con, &[b"OBJECT", b"IDLETIME", b"h:small"]);
                assert!((1000..1005).contains(&idle), "idle {idle}");
            }
            LruField::Freq => {
                let freq: i64 = q(&mut con, &[b"OBJECT", b"FREQ", b"h:small"]);
                assert_eq!(freq, 42);
            }
        }
        assert_eq!(assert_same_keyspace(&mut con, &ks), 16);
    }
}

/// Runs one engine command on `ks` at `now`, as the dispatcher would.
fn engine_run(ks: &mut Keyspace, rng: &mut Rng, now: i64, argv: &[&[u8]]) -> Reply {
    let cmd = lookup(argv[0]).expect("known command");
    let Handler::Engine(f) = cmd.handler else { panic!("engine command") };
    let config = EngineConfig::default();
    let mut ctx = Ctx::new(ks, 0, now * 1000, rng, 2, &config, lru_clock(now));
    f(&mut ctx, argv).unwrap_or_else(Reply::Error)
}

#[test]
fn dump_payloads_cross_both_ways() {
    // Proves DUMP from Redis RESTOREs here and DUMP from here RESTOREs into Redis, with equal
    // values, and that for the compact encodings (strings, listpacks, intsets, quicklists) the
    // payloads are the same bytes.
    let server = RealRedis::start(None);
    let mut con = server.connect();
    fill_redis(&mut con);
    let now = now_ms();
    let mut rng = Rng::new(8);
    let mut ours = Keyspace::new(16, &mut rng);
    let keys: Vec<Vec<u8>> = q(&mut con, &[b"KEYS", b"*"]);
    let mut identical = 0;
    for key in &keys {
        let theirs: Vec<u8> = q(&mut con, &[b"DUMP", key]);
        assert_eq!(engine_run(&mut ours, &mut rng, now, &[b"RESTORE", key, b"0", &theirs]), Reply::Ok);
        let (snap, enc, _) = redis_snap(&mut con, key);
        let obj = ours.dbs[0].get(key).unwrap();
        assert_eq!((snap_of(&obj.value), obj.value.encoding()), (snap, enc.as_str()), "{}", key.escape_ascii());

        let Reply::Bulk(mine) = engine_run(&mut ours, &mut rng, now, &[b"DUMP", key]) else { panic!("DUMP") };
        if enc == "stream" {
            // A stream's nodes are Redis's bytes, but each is LZF-compressed, and Redis's LZF
            // hash table starts with stack garbage, so a chance match can change its output:
            // the payloads must decode to the very same nodes instead.
            let decode = |payload: &[u8]| {
                let mut rng = Rng::new(1);
                rdb::payload::restore(payload, &EngineConfig::default(), &mut rng).expect("a valid payload")
            };
            assert_eq!(decode(&mine), decode(&theirs), "nodes of {}", key.escape_ascii());
        } else if enc != "hashtable" && enc != "skiplist" {
            assert!(mine == theirs, "DUMP bytes of {} differ", key.escape_ascii());
            identical += 1;
        }
        let copy = [&b"copy:"[..], key].concat();
        let _: String = q(&mut con, &[b"RESTORE", &copy, b"0", &mine]);
        let (copied, _, _) = redis_snap(&mut con, &copy);
        assert_eq!(snap_of(&ours.dbs[0].get(key).unwrap().value), copied, "{}", key.escape_ascii());
    }
    assert!(identical > 15, "{identical} payloads compared byte for byte");
}
