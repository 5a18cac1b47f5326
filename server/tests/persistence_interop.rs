//! Interop of the persistence files with the real thing (Debian's redis-server 7.0.15,
//! redis-check-rdb, redis-check-aof): a dump.rdb or an AOF directory written by verdis is
//! accepted by Redis's checker and loads into real Redis with an identical keyspace, and the
//! files real Redis writes load into verdis identically; an old single-file appendonly.aof
//! (written by hand as RESP commands, as Redis before 7.0 wrote it) loads into both alike.
//!
//! Keyspaces are compared value by value over every database: key names, TYPE, the value read
//! per type (sets and hashes order-free), OBJECT ENCODING, and the absolute expiry
//! (PEXPIRETIME, exact). The dataset covers every type in each of its encodings (small and
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

/// More writes after a rewrite (they land in the incr file).
fn populate_more(con: &mut redis::Connection) {
    let _: () = redis::cmd("SELECT").arg(0).query(con).expect("SELECT");
    let _: () = redis::cmd("SET").arg("after:s").arg("later").query(con).expect("SET");
    let _: i64 = redis::cmd("RPUSH").arg("l:small").arg("appended").query(con).expect("RPUSH");
    let _: i64 = redis::cmd("DEL").arg("s:short").query(con).expect("DEL");
    let _: i64 =
        redis::cmd("ZINCRBY").arg("z:small").arg(10).arg("one").query(con).map(|_: String| 0).expect("ZINCRBY");
    let _: () = redis::cmd("SELECT").arg(1).query(con).expect("SELECT");
    let _: i64 = redis::cmd("INCRBY").arg("db1:counter").arg(41).query(con).expect("INCRBY");
    let _: () = redis::cmd("SELECT").arg(0).query(con).expect("SELECT");
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
    let encoding: String = redis::cmd("OBJECT").arg("ENCODING").arg(key).query(con).expect("OBJECT ENCODING");
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
        other => panic!("unexpected type {other} for {:?}", String::from_utf8_lossy(key)),
    };
    Entry { type_name, encoding, value, expire_at_ms }
}

/// Every difference between two keyspaces, one line each.
fn keyspace_diffs(expected: &Keyspace, got: &Keyspace) -> Vec<String> {
    let mut diffs = Vec::new();
    for ((db, key), entry) in expected {
        let shown = String::from_utf8_lossy(key);
        match got.get(&(*db, key.clone())) {
            None => diffs.push(format!("db {db} {shown}: missing")),
            Some(other) if other != entry => diffs.push(format!(
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

/// Asserts two keyspaces are identical (and not empty), listing every difference.
fn assert_same_keyspace(expected: &Keyspace, got: &Keyspace, what: &str) {
    let diffs = keyspace_diffs(expected, got);
    assert!(diffs.is_empty(), "{what}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
    assert!(!expected.is_empty(), "{what}: empty keyspace compared");
}

/// Proves the comparison can fail: a missing key, an extra key, and a change in each of value,
/// encoding and expiry are each reported.
#[test]
fn keyspace_comparison_reports_each_difference() {
    let entry =
        Entry { type_name: "list".into(), encoding: "listpack".into(), value: vec![b"a".to_vec()], expire_at_ms: -1 };
    let expected: Keyspace = [((0, b"k".to_vec()), entry.clone()), ((1, b"k".to_vec()), entry.clone())].into();
    assert_eq!(keyspace_diffs(&expected, &expected), Vec::<String>::new());
    let changes = [
        Entry { value: vec![b"b".to_vec()], ..entry.clone() },
        Entry { encoding: "quicklist".into(), ..entry.clone() },
        Entry { expire_at_ms: 5, ..entry.clone() },
    ];
    for changed in changes {
        let got: Keyspace = [((0, b"k".to_vec()), entry.clone()), ((1, b"k".to_vec()), changed)].into();
        assert_eq!(keyspace_diffs(&expected, &got).len(), 1);
    }
    let moved: Keyspace = [((0, b"k".to_vec()), entry.clone()), ((2, b"k".to_vec()), entry)].into();
    assert_eq!(keyspace_diffs(&expected, &moved), ["db 1 k: missing", "db 2 k: unexpected key"]);
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

/// The other backend.
fn other(backend: Backend) -> Backend {
    match backend {
        Backend::Verdis => Backend::Redis,
        Backend::Redis => Backend::Verdis,
    }
}

/// `writer` writes dump.rdb with SAVE; redis-check-rdb accepts it; the other backend loads it
/// with the identical keyspace.
fn rdb_moves(writer: Backend) {
    let (dir_a, dir_b) = (temp_dir(), temp_dir());
    let source = Proc::start(writer, dir_a.path(), &["--appendonly", "no"]);
    populate(&mut source.client());
    let expected = read_keyspace(&source);
    let _: () = redis::cmd("SAVE").query(&mut source.client()).expect("SAVE");
    drop(source);
    redis_check("redis-check-rdb", &dir_a.path().join("dump.rdb"));
    copy_data(dir_a.path(), dir_b.path());
    let reader = Proc::start(other(writer), dir_b.path(), &["--appendonly", "no"]);
    assert_same_keyspace(
        &expected,
        &read_keyspace(&reader),
        &format!("{writer:?}'s dump.rdb loaded into {:?}", reader.backend),
    );
}

/// `writer` writes an AOF directory (optionally rewritten, then more writes in the incr file);
/// redis-check-aof accepts the manifest; the other backend loads it with the identical keyspace.
fn aof_moves(writer: Backend, preamble: &str, rewrite: bool) {
    let (dir_a, dir_b) = (temp_dir(), temp_dir());
    let args = ["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", preamble];
    let source = Proc::start(writer, dir_a.path(), &args);
    populate(&mut source.client());
    if rewrite {
        source.rewrite_aof();
        populate_more(&mut source.client());
    }
    let expected = read_keyspace(&source);
    drop(source);
    redis_check("redis-check-aof", &dir_a.path().join("appendonlydir").join("appendonly.aof.manifest"));
    copy_data(dir_a.path(), dir_b.path());
    let reader = Proc::start(other(writer), dir_b.path(), &args);
    assert_same_keyspace(
        &expected,
        &read_keyspace(&reader),
        &format!("{writer:?}'s AOF (preamble {preamble}, rewrite {rewrite}) loaded into {:?}", reader.backend),
    );
}

mod rdb {
    use super::*;

    #[test]
    fn verdis_dump_loads_into_redis() {
        rdb_moves(Backend::Verdis);
    }

    #[test]
    fn redis_dump_loads_into_verdis() {
        rdb_moves(Backend::Redis);
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
        drop(server);
        let manifest = dir.path().join("appendonlydir").join("appendonly.aof.manifest");
        assert!(manifest.is_file(), "{backend:?} did not upgrade the old AOF to {}", manifest.display());
        redis_check("redis-check-aof", &manifest);
    }
    assert_eq!(keyspaces[0].len(), 7, "Redis's view of the old file: {:?}", keyspaces[0].keys());
    assert_same_keyspace(&keyspaces[0], &keyspaces[1], "old single-file appendonly.aof");
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
