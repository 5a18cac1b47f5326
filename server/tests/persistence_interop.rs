//! Interop of the persistence files with the real thing (Debian's redis-server 7.0.15,
//! redis-check-rdb, redis-check-aof): a dump.rdb or an AOF directory written by verdis is
//! accepted by Redis's checker and loads into real Redis with an identical keyspace, and the
//! files real Redis writes load into verdis identically; an old single-file appendonly.aof
//! (written by hand as RESP commands, as Redis before 7.0 wrote it) loads into both alike; DUMP
//! payloads RESTORE across both ways.
//!
//! Keyspaces are compared value by value over every database: key names, TYPE, the value read
//! per type (sets and hashes order-free) and the absolute expiry (PEXPIRETIME, exact). Each
//! file set is loaded into both servers: Redis must load the writer's keyspace, and verdis must
//! load exactly what Redis loaded, OBJECT ENCODING included (the writer's live encodings are not
//! the reference: loading picks encodings afresh, as Redis does). The dataset covers every type in each of its encodings (small and
//! large lists, listpack and hashtable hashes, intsets and hashtable sets, listpack and
//! skiplist zsets, int/embstr/raw strings incl. long compressible ones), expiries, and several
//! databases.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, ping, redis_tool, Backend, REPLY_TIMEOUT};

/// How long a starting server (loading its files included) may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a BGREWRITEAOF or BGSAVE may take.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);
/// An absolute expiry far ahead (2100-01-01), so expiries compare exactly and never fire.
const EXPIRE_AT_MS: i64 = 4_102_444_800_000;

/// A server process on a directory the test owns; SIGKILLed on drop.
struct Proc {
    backend: Backend,
    port: u16,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `backend` with `--dir dir` and `args`, waiting until it answers PING.
    fn start(backend: Backend, dir: &Path, args: &[&str]) -> Proc {
        let port = free_port();
        let log = dir.join(format!("{backend:?}-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create log");
        let mut command = match backend {
            Backend::Verdis => Command::new(env!("CARGO_BIN_EXE_verdis-server")),
            Backend::Redis => redis_tool("redis-server"),
        };
        let child = command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(dir)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log"))
            .stderr(log_file)
            .spawn()
            .expect("spawn server");
        let mut proc = Proc { backend, port, child, log };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let answered = ping(port);
            if let Some(status) = proc.child.try_wait().expect("poll") {
                panic!("{backend:?} exited with {status} (args {args:?}); log:\n{}", proc.log());
            }
            if answered {
                return proc;
            }
            assert!(Instant::now() < deadline, "{backend:?} did not answer PING; log:\n{}", proc.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn client(&self) -> redis::Connection {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("url");
        let con = client.get_connection_with_timeout(REPLY_TIMEOUT).expect("connect");
        con.set_read_timeout(Some(REPLY_TIMEOUT)).expect("timeout");
        con
    }

    /// Waits until INFO persistence shows `field:0` (a background job done) and `ok_field:ok`.
    fn wait_job(&self, field: &str, ok_field: &str) {
        let mut con = self.client();
        let deadline = Instant::now() + JOB_TIMEOUT;
        loop {
            let info: String = redis::cmd("INFO").arg("persistence").query(&mut con).expect("INFO");
            let value = |name: &str| info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).map(str::trim);
            if value(field) == Some("0") && value("aof_rewrite_scheduled") != Some("1") {
                assert_eq!(value(ok_field), Some("ok"), "{:?}: {ok_field}; log:\n{}", self.backend, self.log());
                return;
            }
            assert!(Instant::now() < deadline, "{:?}: {field} never reached 0; log:\n{}", self.backend, self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SHUTDOWN NOSAVE, and wait until the process has exited (its disk work done).
    fn shutdown(mut self) {
        // The reply never comes: the server closes the connection as it exits.
        let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").arg("NOSAVE").query(&mut self.client());
        let deadline = Instant::now() + START_TIMEOUT;
        while self.child.try_wait().expect("poll").is_none() {
            assert!(Instant::now() < deadline, "{:?} did not exit after SHUTDOWN; log:\n{}", self.backend, self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// BGREWRITEAOF and wait for it.
    fn rewrite_aof(&self) {
        let _: String = redis::cmd("BGREWRITEAOF").query(&mut self.client()).expect("BGREWRITEAOF");
        self.wait_job("aof_rewrite_in_progress", "aof_last_bgrewrite_status");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the dataset: every type in each encoding, expiries, three databases.
fn populate(con: &mut redis::Connection) {
    let mut run = |args: &[&[u8]]| {
        let mut cmd = redis::cmd(std::str::from_utf8(args[0]).expect("command name"));
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        let _: redis::Value = cmd.query(con).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])));
    };
    let long_compressible = "abc".repeat(200);
    let long_value = "v".repeat(100);
    let numbers: Vec<String> = (0..1000).map(|i| (i * 7 - 300).to_string()).collect();
    let words: Vec<String> = (0..600).map(|i| format!("member-{i}")).collect();
    let exat = EXPIRE_AT_MS.to_string();
    run(&[b"SELECT", b"0"]);
    // Strings: int, embstr, raw, compressible (LZF), binary, big numbers, empty.
    run(&[b"SET", b"s:int", b"12345"]);
    run(&[b"SET", b"s:neg", b"-9223372036854775808"]);
    run(&[b"SET", b"s:bigint", b"123456789012345678901234567890"]);
    run(&[b"SET", b"s:short", b"hello"]);
    run(&[b"SET", b"s:long", long_compressible.as_bytes()]);
    run(&[b"SET", b"s:bin", b"\x00\x01\xff\r\n binary"]);
    run(&[b"SET", b"s:empty", b""]);
    run(&[b"SET", b"s:float", b"3.14159"]);
    run(&[b"SET", b"s:ttl", b"expiring", b"PXAT", exat.as_bytes()]);
    // Lists: a small listpack-backed one, a long one over several quicklist nodes, long elements.
    run(&[b"RPUSH", b"l:small", b"a", b"1", b"-2", b"b"]);
    let mut big_list: Vec<&[u8]> = vec![b"RPUSH", b"l:large"];
    big_list.extend(numbers.iter().map(|n| n.as_bytes()));
    big_list.extend(words.iter().map(|w| w.as_bytes()));
    run(&big_list);
    run(&[b"RPUSH", b"l:longelems", long_compressible.as_bytes(), long_value.as_bytes(), b"x"]);
    // Hashes: listpack, hashtable by count, hashtable by value length, with an expiry.
    run(&[b"HSET", b"h:small", b"f1", b"v1", b"f2", b"2", b"f3", b"-3"]);
    let mut big_hash: Vec<&[u8]> = vec![b"HSET", b"h:large"];
    for (w, n) in words.iter().zip(&numbers) {
        big_hash.extend([w.as_bytes(), n.as_bytes()]);
    }
    run(&big_hash);
    run(&[b"HSET", b"h:longval", b"f", long_value.as_bytes()]);
    run(&[b"HSET", b"h:ttl", b"a", b"b"]);
    run(&[b"PEXPIREAT", b"h:ttl", exat.as_bytes()]);
    // Sets: intsets (16, 32 and 64-bit members), a hashtable of ints by count, strings.
    run(&[b"SADD", b"set:int16", b"1", b"2", b"-3", b"300"]);
    run(&[b"SADD", b"set:int32", b"1", b"100000", b"-2000000000"]);
    run(&[b"SADD", b"set:int64", b"1", b"9223372036854775807", b"-9223372036854775808"]);
    let mut big_intset: Vec<&[u8]> = vec![b"SADD", b"set:manyints"];
    big_intset.extend(numbers.iter().map(|n| n.as_bytes()));
    run(&big_intset);
    run(&[b"SADD", b"set:str", b"apple", b"banana", b"7"]);
    let mut big_set: Vec<&[u8]> = vec![b"SADD", b"set:large"];
    big_set.extend(words.iter().map(|w| w.as_bytes()));
    run(&big_set);
    // Sorted sets: listpack, skiplist by count, by member length; special scores.
    run(&[b"ZADD", b"z:small", b"1", b"one", b"2.5", b"two-and-a-half", b"-3", b"minus"]);
    let scores: Vec<String> = (0..200).map(|i| format!("{}", i as f64 / 8.0 - 7.0)).collect();
    let mut big_zset: Vec<&[u8]> = vec![b"ZADD", b"z:large"];
    for (s, w) in scores.iter().zip(&words) {
        big_zset.extend([s.as_bytes(), w.as_bytes()]);
    }
    run(&big_zset);
    run(&[b"ZADD", b"z:longmember", b"1", long_value.as_bytes()]);
    run(&[b"ZADD", b"z:special", b"inf", b"top", b"-inf", b"bottom", b"0.1", b"tenth", b"1e300", b"huge"]);
    run(&[b"ZADD", b"z:ttl", b"1", b"a"]);
    run(&[b"PEXPIREAT", b"z:ttl", exat.as_bytes()]);
    // Streams: several nodes (100 entries each), same and other fields, deleted entries, a
    // consumer group with pending entries over two consumers and one owning none, an empty
    // stream with a group, and XSETID's counters.
    for i in 0..250u32 {
        let id = format!("{}-{}", 1_700_000_000_000u64 + u64::from(i / 3), i % 3);
        let value = format!("v{i}");
        if i % 7 == 0 {
            run(&[b"XADD", b"x:big", id.as_bytes(), b"other", value.as_bytes()]);
        } else {
            run(&[b"XADD", b"x:big", id.as_bytes(), b"name", value.as_bytes(), b"n", i.to_string().as_bytes()]);
        }
    }
    run(&[b"XDEL", b"x:big", b"1700000000000-0", b"1700000000010-1"]);
    run(&[b"XGROUP", b"CREATE", b"x:big", b"g", b"0"]);
    run(&[b"XREADGROUP", b"GROUP", b"g", b"alice", b"COUNT", b"5", b"STREAMS", b"x:big", b">"]);
    run(&[b"XREADGROUP", b"GROUP", b"g", b"bob", b"COUNT", b"3", b"STREAMS", b"x:big", b">"]);
    run(&[b"XGROUP", b"CREATECONSUMER", b"x:big", b"g", b"idle"]);
    run(&[b"XGROUP", b"CREATE", b"x:big", b"g2", b"$", b"ENTRIESREAD", b"7"]);
    run(&[b"XADD", b"x:small", b"5-1", b"k", b"v"]);
    run(&[b"XDEL", b"x:small", b"5-1"]);
    run(&[b"XSETID", b"x:small", b"9-9", b"ENTRIESADDED", b"12", b"MAXDELETEDID", b"5-1"]);
    run(&[b"XGROUP", b"CREATE", b"x:empty", b"g", b"$", b"MKSTREAM"]);
    // Other databases.
    run(&[b"SELECT", b"1"]);
    run(&[b"SET", b"db1:s", b"in db 1"]);
    run(&[b"RPUSH", b"db1:l", b"x", b"y"]);
    run(&[b"SELECT", b"9"]);
    run(&[b"HSET", b"db9:h", b"k", b"v"]);
    run(&[b"SET", b"db9:ttl", b"v", b"PXAT", exat.as_bytes()]);
    run(&[b"SELECT", b"15"]);
    run(&[b"SADD", b"db15:set", b"1"]);
    run(&[b"SELECT", b"0"]);
}

/// More writes after a rewrite (they land in the incr file): commands whose AOF form differs
/// from how they were sent (relative expiries become absolute PEXPIREAT/PXAT, INCRBYFLOAT a SET,
/// SPOP an SREM, a past EXPIREAT a DEL), a transaction, and moves between databases. The reader
/// must end with the writer's exact state, expiries to the millisecond. With `transaction`, also a
/// MULTI/EXEC block (written to the AOF as MULTI ... EXEC); verdis has no MULTI yet, so only a
/// Redis writer sets it.
fn populate_more(con: &mut redis::Connection, transaction: bool) {
    let mut run = |args: &[&str]| {
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        let _: redis::Value = cmd.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    };
    run(&["SELECT", "0"]);
    run(&["SET", "after:s", "later"]);
    run(&["RPUSH", "l:small", "appended"]);
    run(&["DEL", "s:short"]);
    run(&["ZINCRBY", "z:small", "10", "one"]);
    run(&["EXPIRE", "s:int", "3600"]);
    run(&["PEXPIRE", "l:small", "7200000"]);
    run(&["SETEX", "after:setex", "3600", "v"]);
    run(&["SET", "after:ex", "v", "EX", "3600"]);
    run(&["GETEX", "s:long", "PX", "5000000"]);
    run(&["SET", "after:keepttl", "v", "PX", "9000000"]);
    run(&["SET", "after:keepttl", "w", "KEEPTTL"]);
    run(&["PERSIST", "s:ttl"]);
    run(&["SET", "after:gone", "v"]);
    run(&["EXPIREAT", "after:gone", "1"]);
    run(&["INCRBYFLOAT", "s:float", "0.1"]);
    run(&["HINCRBYFLOAT", "h:small", "f2", "1.5"]);
    run(&["SPOP", "set:str"]);
    run(&["SPOP", "set:large", "5"]);
    run(&["LMOVE", "l:large", "l:small", "LEFT", "RIGHT"]);
    run(&["ZPOPMIN", "z:large", "3"]);
    run(&["ZADD", "z:small", "INCR", "5", "minus"]);
    run(&["RENAME", "h:longval", "h:renamed"]);
    run(&["COPY", "set:int16", "set:copied"]);
    run(&["APPEND", "s:bin", "-tail"]);
    run(&["SETRANGE", "s:empty", "3", "xyz"]);
    run(&["LSET", "l:longelems", "2", "replaced"]);
    run(&["HDEL", "h:large", "member-0", "member-1"]);
    run(&["SINTERSTORE", "set:inter", "set:int16", "set:int32"]);
    run(&["ZUNIONSTORE", "z:union", "2", "z:small", "z:special"]);
    if transaction {
        run(&["MULTI"]);
        run(&["INCR", "tx:counter"]);
        run(&["RPUSH", "tx:list", "a", "b"]);
        run(&["EXEC"]);
    }
    run(&["XADD", "x:big", "1800000000000-0", "name", "after"]);
    run(&["XREADGROUP", "GROUP", "g", "carol", "COUNT", "2", "STREAMS", "x:big", ">"]);
    run(&["XREADGROUP", "GROUP", "g2", "dave", "NOACK", "STREAMS", "x:big", ">"]);
    run(&["XACK", "x:big", "g", "1700000000000-1"]);
    run(&["XCLAIM", "x:big", "g", "bob", "0", "1700000000000-2", "JUSTID"]);
    run(&["XTRIM", "x:big", "MAXLEN", "~", "150"]);
    run(&["XTRIM", "x:small", "MINID", "10"]);
    run(&["MOVE", "after:s", "2"]);
    run(&["SELECT", "1"]);
    run(&["INCRBY", "db1:counter", "41"]);
    run(&["SWAPDB", "1", "3"]);
    run(&["SELECT", "9"]);
    run(&["FLUSHDB"]);
    run(&["SELECT", "0"]);
}

/// One key as read through commands.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    type_name: String,
    encoding: String,
    value: Vec<Vec<u8>>,
    expire_at_ms: i64,
}

/// The whole keyspace: (db, key) -> entry.
type Keyspace = BTreeMap<(u32, Vec<u8>), Entry>;

/// Reads every key of every database through commands.
fn read_keyspace(proc: &Proc) -> Keyspace {
    let mut con = proc.client();
    let databases: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("databases").query(&mut con).expect("CONFIG GET");
    let databases: u32 = databases[1].parse().expect("databases");
    let mut keyspace = Keyspace::new();
    for db in 0..databases {
        let _: () = redis::cmd("SELECT").arg(db).query(&mut con).expect("SELECT");
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) =
                redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1000).query(&mut con).expect("SCAN");
            for key in keys {
                let entry = read_entry(&mut con, &key);
                keyspace.insert((db, key), entry);
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    keyspace
}

fn read_entry(con: &mut redis::Connection, key: &[u8]) -> Entry {
    let type_name: String = redis::cmd("TYPE").arg(key).query(con).expect("TYPE");
    let mut encoding: String = redis::cmd("OBJECT").arg("ENCODING").arg(key).query(con).expect("OBJECT ENCODING");
    if type_name == "stream" {
        // A stream's layout: its nodes and its radix tree's.
        let info: Vec<redis::Value> = redis::cmd("XINFO").arg("STREAM").arg(key).query(con).expect("XINFO");
        encoding = format!("{encoding} {:?} {:?}", info[3], info[5]);
    }
    let expire_at_ms: i64 = redis::cmd("PEXPIRETIME").arg(key).query(con).expect("PEXPIRETIME");
    let read = |cmd: &mut redis::Cmd, con: &mut redis::Connection| -> Vec<Vec<u8>> { cmd.query(con).expect("read") };
    let value = match type_name.as_str() {
        "string" => vec![redis::cmd("GET").arg(key).query(con).expect("GET")],
        "list" => read(redis::cmd("LRANGE").arg(key).arg(0).arg(-1), con),
        "set" => {
            let mut members = read(redis::cmd("SMEMBERS").arg(key), con);
            members.sort();
            members
        }
        "hash" => {
            let flat = read(redis::cmd("HGETALL").arg(key), con);
            let mut pairs: Vec<Vec<u8>> =
                flat.chunks(2).map(|p| [p[0].as_slice(), b"\0", p[1].as_slice()].concat()).collect();
            pairs.sort();
            pairs
        }
        "zset" => read(redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES"), con),
        // Everything a stream holds but what an AOF replay makes anew: entries, counters,
        // groups, PELs with their delivery data, consumers and what they own. (The node layout
        // is compared as the encoding; consumers' seen times are when the replay made them.)
        "stream" => {
            let full: redis::Value =
                redis::cmd("XINFO").arg("STREAM").arg(key).arg("FULL").arg("COUNT").arg(0).query(con).expect("XINFO");
            vec![format!("{:?}", without_fields(full, &["radix-tree-keys", "radix-tree-nodes", "seen-time"]))
                .into_bytes()]
        }
        other => panic!("unexpected type {other} for {:?}", String::from_utf8_lossy(key)),
    };
    Entry { type_name, encoding, value, expire_at_ms }
}

/// `value` with the named fields (and their values) left out of every map or flat field list in
/// it, at any depth.
fn without_fields(value: redis::Value, names: &[&str]) -> redis::Value {
    let named = |v: &redis::Value| matches!(v, redis::Value::BulkString(b) if names.iter().any(|n| n.as_bytes() == b.as_slice()));
    match value {
        redis::Value::Array(items) => {
            let is_fields =
                items.len() % 2 == 0 && items.iter().step_by(2).all(|k| matches!(k, redis::Value::BulkString(_)));
            let mut out = Vec::new();
            let mut items = items.into_iter();
            while let Some(item) = items.next() {
                if is_fields && named(&item) {
                    items.next();
                    continue;
                }
                out.push(without_fields(item, names));
                if is_fields {
                    out.extend(items.next().map(|v| without_fields(v, names)));
                }
            }
            redis::Value::Array(out)
        }
        other => other,
    }
}

/// What a comparison looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compare {
    /// Type, value and expiry: a writer's live keyspace against a loaded one (loading picks
    /// encodings afresh: an APPENDed short string is raw live and embstr once loaded).
    Values,
    /// OBJECT ENCODING too: two servers that loaded the same files.
    ValuesAndEncodings,
}

/// Every difference between two keyspaces, one line each.
fn keyspace_diffs(expected: &Keyspace, got: &Keyspace, compare: Compare) -> Vec<String> {
    let mut diffs = Vec::new();
    for ((db, key), entry) in expected {
        let shown = String::from_utf8_lossy(key);
        let same = |other: &Entry| {
            other.type_name == entry.type_name
                && other.value == entry.value
                && other.expire_at_ms == entry.expire_at_ms
                && (compare == Compare::Values || other.encoding == entry.encoding)
        };
        match got.get(&(*db, key.clone())) {
            None => diffs.push(format!("db {db} {shown}: missing")),
            Some(other) if !same(other) => diffs.push(format!(
                "db {db} {shown}: expected {} {} expire {} ({} items), got {} {} expire {} ({} items){}",
                entry.type_name,
                entry.encoding,
                entry.expire_at_ms,
                entry.value.len(),
                other.type_name,
                other.encoding,
                other.expire_at_ms,
                other.value.len(),
                if other.value != entry.value { "; values differ" } else { "" }
            )),
            Some(_) => {}
        }
    }
    for (db, key) in got.keys().filter(|k| !expected.contains_key(*k)) {
        diffs.push(format!("db {db} {}: unexpected key", String::from_utf8_lossy(key)));
    }
    diffs
}

/// Asserts two keyspaces are identical under `compare` (and not empty), listing every difference.
fn assert_same_keyspace(expected: &Keyspace, got: &Keyspace, compare: Compare, what: &str) {
    let diffs = keyspace_diffs(expected, got, compare);
    assert!(diffs.is_empty(), "{what}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
    assert!(!expected.is_empty(), "{what}: empty keyspace compared");
}

/// Proves the comparison can fail: a missing key, an extra key, and a change in each of type,
/// value, encoding and expiry are each reported (encoding only when compared).
#[test]
fn keyspace_comparison_reports_each_difference() {
    let entry =
        Entry { type_name: "list".into(), encoding: "listpack".into(), value: vec![b"a".to_vec()], expire_at_ms: -1 };
    let expected: Keyspace = [((0, b"k".to_vec()), entry.clone()), ((1, b"k".to_vec()), entry.clone())].into();
    assert_eq!(keyspace_diffs(&expected, &expected, Compare::ValuesAndEncodings), Vec::<String>::new());
    let changes = [
        (Entry { value: vec![b"b".to_vec()], ..entry.clone() }, 1),
        (Entry { type_name: "set".into(), ..entry.clone() }, 1),
        (Entry { encoding: "quicklist".into(), ..entry.clone() }, 0),
        (Entry { expire_at_ms: 5, ..entry.clone() }, 1),
    ];
    for (changed, without_encodings) in changes {
        let got: Keyspace = [((0, b"k".to_vec()), entry.clone()), ((1, b"k".to_vec()), changed)].into();
        assert_eq!(keyspace_diffs(&expected, &got, Compare::ValuesAndEncodings).len(), 1);
        assert_eq!(keyspace_diffs(&expected, &got, Compare::Values).len(), without_encodings);
    }
    let moved: Keyspace = [((0, b"k".to_vec()), entry.clone()), ((2, b"k".to_vec()), entry)].into();
    assert_eq!(keyspace_diffs(&expected, &moved, Compare::Values), ["db 1 k: missing", "db 2 k: unexpected key"]);
}

/// Runs one of Redis's checkers on `file`; asserts it exits 0.
fn redis_check(tool: &str, file: &Path) {
    let output = redis_tool(tool).arg(file).output().expect("run checker");
    assert!(
        output.status.success(),
        "{tool} {} exited {}:\n{}{}",
        file.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("verdis-interop-").tempdir().expect("temp dir")
}

/// Copies the files (not the logs) of `from` to `to`, recursively.
fn copy_data(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name");
        if path.is_dir() {
            std::fs::create_dir_all(to.join(name)).expect("mkdir");
            copy_data(&path, &to.join(name));
        } else if path.extension().is_none_or(|e| e != "log") {
            std::fs::copy(&path, to.join(name)).expect("copy");
        }
    }
}

/// How the RDB is made.
#[derive(Clone, Copy, Debug)]
enum Save {
    /// SAVE, in the foreground.
    Foreground,
    /// BGSAVE, waited for.
    Background,
}

/// Loads a copy of `files` into real Redis and into verdis (started with `args`) and checks:
/// Redis loaded the writer's keyspace (`expected`: values and expiries), and verdis loaded
/// exactly what Redis loaded, encodings included.
fn both_load(files: &Path, args: &[&str], expected: &Keyspace, what: &str) {
    let mut loaded = Vec::new();
    for backend in [Backend::Redis, Backend::Verdis] {
        let dir = temp_dir();
        copy_data(files, dir.path());
        let reader = Proc::start(backend, dir.path(), args);
        loaded.push(read_keyspace(&reader));
    }
    assert_same_keyspace(expected, &loaded[0], Compare::Values, &format!("{what}, loaded into Redis"));
    assert_same_keyspace(&loaded[0], &loaded[1], Compare::ValuesAndEncodings, &format!("{what}, loaded into verdis"));
}

/// `writer` writes dump.rdb (with `args` such as `rdbcompression no`); redis-check-rdb accepts
/// it; Redis and verdis both load it (`both_load`).
fn rdb_moves(writer: Backend, save: Save, args: &[&str]) {
    let dir = temp_dir();
    let mut all_args = vec!["--appendonly", "no"];
    all_args.extend(args);
    let source = Proc::start(writer, dir.path(), &all_args);
    populate(&mut source.client());
    populate_more(&mut source.client(), writer == Backend::Redis);
    let expected = read_keyspace(&source);
    match save {
        Save::Foreground => {
            let _: () = redis::cmd("SAVE").query(&mut source.client()).expect("SAVE");
        }
        Save::Background => {
            let _: String = redis::cmd("BGSAVE").query(&mut source.client()).expect("BGSAVE");
            source.wait_job("rdb_bgsave_in_progress", "rdb_last_bgsave_status");
        }
    }
    drop(source);
    redis_check("redis-check-rdb", &dir.path().join("dump.rdb"));
    both_load(dir.path(), &["--appendonly", "no"], &expected, &format!("{writer:?}'s dump.rdb ({save:?}, {args:?})"));
}

/// `writer` writes an AOF directory (optionally rewritten, then more writes in the incr file);
/// redis-check-aof accepts the manifest; Redis and verdis both load it (`both_load`).
fn aof_moves(writer: Backend, preamble: &str, rewrite: bool) {
    aof_moves_with(writer, preamble, rewrite, "no");
}

/// `aof_moves`, with `aof-timestamp-enabled` set to `timestamps` on both sides.
fn aof_moves_with(writer: Backend, preamble: &str, rewrite: bool, timestamps: &str) {
    let dir = temp_dir();
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--aof-use-rdb-preamble",
        preamble,
        "--aof-timestamp-enabled",
        timestamps,
    ];
    let source = Proc::start(writer, dir.path(), &args);
    populate(&mut source.client());
    if rewrite {
        source.rewrite_aof();
    }
    populate_more(&mut source.client(), writer == Backend::Redis);
    let expected = read_keyspace(&source);
    drop(source);
    redis_check("redis-check-aof", &dir.path().join("appendonlydir").join("appendonly.aof.manifest"));
    let what = format!("{writer:?}'s AOF (preamble {preamble}, rewrite {rewrite}, timestamps {timestamps})");
    both_load(dir.path(), &args, &expected, &what);
}

mod rdb {
    use super::*;

    #[test]
    fn verdis_dump_loads_into_redis() {
        rdb_moves(Backend::Verdis, Save::Foreground, &[]);
    }

    #[test]
    fn verdis_bgsave_uncompressed_without_checksum_loads_into_redis() {
        rdb_moves(Backend::Verdis, Save::Background, &["--rdbcompression", "no", "--rdbchecksum", "no"]);
    }

    #[test]
    fn redis_dump_loads_into_verdis() {
        rdb_moves(Backend::Redis, Save::Foreground, &[]);
    }

    #[test]
    fn redis_bgsave_uncompressed_without_checksum_loads_into_verdis() {
        rdb_moves(Backend::Redis, Save::Background, &["--rdbcompression", "no", "--rdbchecksum", "no"]);
    }
}

mod aof {
    use super::*;

    #[test]
    fn verdis_aof_with_preamble_rewritten_loads_into_redis() {
        aof_moves(Backend::Verdis, "yes", true);
    }

    #[test]
    fn verdis_aof_without_preamble_rewritten_loads_into_redis() {
        aof_moves(Backend::Verdis, "no", true);
    }

    #[test]
    fn verdis_aof_incr_only_loads_into_redis() {
        aof_moves(Backend::Verdis, "yes", false);
    }

    #[test]
    fn redis_aof_with_preamble_rewritten_loads_into_verdis() {
        aof_moves(Backend::Redis, "yes", true);
    }

    #[test]
    fn redis_aof_without_preamble_rewritten_loads_into_verdis() {
        aof_moves(Backend::Redis, "no", true);
    }

    #[test]
    fn redis_aof_incr_only_loads_into_verdis() {
        aof_moves(Backend::Redis, "yes", false);
    }

    #[test]
    fn verdis_aof_with_timestamps_loads_into_redis() {
        aof_moves_with(Backend::Verdis, "no", true, "yes");
    }

    #[test]
    fn redis_aof_with_timestamps_loads_into_verdis() {
        aof_moves_with(Backend::Redis, "no", true, "yes");
    }
}

/// `args` as one RESP multibulk command, the way Redis before 7.0 appended it to appendonly.aof.
fn resp(args: &[&str]) -> String {
    let mut out = format!("*{}\r\n", args.len());
    for arg in args {
        out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    out
}

/// An old single-file appendonly.aof (Redis 6 style, no manifest) loads into verdis with the
/// keyspace real Redis 7 loads from the same file, and both upgrade it to a manifest directory.
#[test]
fn old_single_file_aof_loads_like_redis() {
    let exat = EXPIRE_AT_MS.to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["SELECT", "0"],
        vec!["SET", "old:s", "from redis 6"],
        vec!["RPUSH", "old:l", "a", "b", "c"],
        vec!["HSET", "old:h", "f", "v", "g", "w"],
        vec!["SADD", "old:set", "1", "2", "3"],
        vec!["ZADD", "old:z", "1.5", "m"],
        vec!["INCR", "old:n"],
        vec!["INCR", "old:n"],
        vec!["PEXPIREAT", "old:s", &exat],
        vec!["MULTI"],
        vec!["SET", "old:tx", "1"],
        vec!["LPUSH", "old:l", "z"],
        vec!["EXEC"],
        vec!["DEL", "old:h"],
        vec!["SELECT", "3"],
        vec!["SET", "db3:s", "x"],
    ];
    let file: String = commands.iter().map(|c| resp(c)).collect();
    let mut keyspaces = Vec::new();
    for backend in [Backend::Redis, Backend::Verdis] {
        let dir = temp_dir();
        std::fs::write(dir.path().join("appendonly.aof"), &file).expect("write appendonly.aof");
        let server = Proc::start(backend, dir.path(), &["--appendonly", "yes"]);
        keyspaces.push(read_keyspace(&server));
        // A clean exit: the upgrade's manifest may still be on its way to the disk.
        server.shutdown();
        let manifest = dir.path().join("appendonlydir").join("appendonly.aof.manifest");
        assert!(manifest.is_file(), "{backend:?} did not upgrade the old AOF to {}", manifest.display());
        redis_check("redis-check-aof", &manifest);
    }
    assert_eq!(keyspaces[0].len(), 7, "Redis's view of the old file: {:?}", keyspaces[0].keys());
    assert_same_keyspace(&keyspaces[0], &keyspaces[1], Compare::ValuesAndEncodings, "old single-file appendonly.aof");
}

/// `--save "1 1"` (one quoted argument, the usual way to write it) sets the save points as on
/// redis-server, which splits the value on spaces.
#[test]
fn quoted_save_points_on_the_command_line() {
    for backend in [Backend::Redis, Backend::Verdis] {
        let dir = temp_dir();
        let server = Proc::start(backend, dir.path(), &["--save", "900 1 300 10"]);
        let save: Vec<String> =
            redis::cmd("CONFIG").arg("GET").arg("save").query(&mut server.client()).expect("CONFIG GET");
        assert_eq!(save, ["save", "900 1 300 10"], "{backend:?}");
    }
}

/// DUMP payloads cross both ways: every key of the dataset DUMPed by one server RESTOREs (with
/// its absolute expiry, ABSTTL) into a fresh Redis and a fresh verdis; Redis must hold the
/// writer's keyspace, and verdis exactly what Redis holds, encodings included.
#[test]
fn dump_payloads_restore_both_ways() {
    for writer in [Backend::Verdis, Backend::Redis] {
        let dir = temp_dir();
        let source = Proc::start(writer, dir.path(), &["--appendonly", "no"]);
        populate(&mut source.client());
        populate_more(&mut source.client(), writer == Backend::Redis);
        let expected = read_keyspace(&source);
        let mut from = source.client();
        let mut payloads = Vec::new();
        for (db, key) in expected.keys() {
            let _: () = redis::cmd("SELECT").arg(db).query(&mut from).expect("SELECT");
            let payload: Vec<u8> = redis::cmd("DUMP").arg(key).query(&mut from).expect("DUMP");
            let expire_at_ms: i64 = redis::cmd("PEXPIRETIME").arg(key).query(&mut from).expect("PEXPIRETIME");
            payloads.push((*db, key.clone(), payload, expire_at_ms));
        }
        let mut restored = Vec::new();
        for reader_backend in [Backend::Redis, Backend::Verdis] {
            let reader_dir = temp_dir();
            let reader = Proc::start(reader_backend, reader_dir.path(), &["--appendonly", "no"]);
            let mut to = reader.client();
            for (db, key, payload, expire_at_ms) in &payloads {
                let _: () = redis::cmd("SELECT").arg(db).query(&mut to).expect("SELECT");
                let mut restore = redis::cmd("RESTORE");
                restore.arg(key).arg((*expire_at_ms).max(0)).arg(payload);
                if *expire_at_ms > 0 {
                    restore.arg("ABSTTL");
                }
                let _: () = restore.query(&mut to).unwrap_or_else(|e| {
                    panic!("{reader_backend:?} refused {writer:?}'s DUMP of {:?}: {e}", String::from_utf8_lossy(key))
                });
            }
            restored.push(read_keyspace(&reader));
        }
        let what = format!("{writer:?}'s DUMP payloads restored");
        assert_same_keyspace(&expected, &restored[0], Compare::Values, &format!("{what} into Redis"));
        assert_same_keyspace(&restored[0], &restored[1], Compare::ValuesAndEncodings, &format!("{what} into verdis"));
    }
}
