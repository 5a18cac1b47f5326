//! The AOF files against real Redis 7.0: the rewrite of a key (`write_entry`) is byte for byte
//! the base file Redis writes with `aof-use-rdb-preamble no`; the manifests and command streams
//! Redis writes parse; and the reader cuts a damaged stream where `redis-check-aof` does.

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use support::{commands, redis_run, EngineHarness, RealRedis};
use verdis_engine::aof::{write_entry, write_select, CommandReader, FileKind};

/// How long a BGREWRITEAOF may take before the test fails.
const REWRITE_POLLS_MAX: u32 = 1000;

/// Runs BGREWRITEAOF and waits until the new base file is in the manifest; returns its bytes.
fn rewrite(server: &RealRedis, con: &mut redis::Connection) -> Vec<u8> {
    let before = server.manifest().base().map(|b| b.seq);
    redis_run(con, &[b"BGREWRITEAOF"]).expect("BGREWRITEAOF starts");
    for _ in 0..REWRITE_POLLS_MAX {
        let info: String = redis::cmd("INFO").arg("persistence").query(con).expect("INFO");
        let done = info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0");
        let manifest = server.manifest();
        if done && manifest.base().map(|b| b.seq) != before {
            return server.aof_file(&manifest.base().expect("a base after a rewrite").name);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the rewrite did not finish: {}", server.log());
}

/// The engine's rewrite of its whole keyspace: per non-empty db, SELECT then every key.
fn engine_rewrite(engine: &mut EngineHarness) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, db) in engine.keyspace().dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        write_select(&mut out, index);
        for (key, obj) in db.keys().iter() {
            write_entry(&mut out, key, obj, db.expire_at(key));
        }
    }
    out
}

/// One keyspace to rewrite: the commands that build it (each a list of arguments), and
/// whether the element order is Redis's own (hashtable encodings iterate in hash order, which
/// differs between two processes, so those are compared as multisets).
struct Case {
    name: &'static str,
    commands: Vec<Vec<Vec<u8>>>,
    ordered: bool,
}

fn case(name: &'static str, lines: &[&str], ordered: bool) -> Case {
    let commands = lines.iter().map(|l| l.split(' ').map(|w| w.as_bytes().to_vec()).collect()).collect();
    Case { name, commands, ordered }
}

/// A command with many arguments: `prefix` then `items`.
fn many(prefix: &str, items: impl Iterator<Item = String>) -> Vec<Vec<u8>> {
    prefix.split(' ').map(|w| w.as_bytes().to_vec()).chain(items.map(String::into_bytes)).collect()
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        case("embstr string", &["SET k v"], true),
        case("integer string", &["SET k -12345"], true),
        case("raw string", &[&format!("SET k {}", "x".repeat(100))], true),
        case("volatile string", &["SET k v", "PEXPIREAT k 99999999999999"], true),
        case("small list", &["RPUSH l a 1 -2 9223372036854775807 b"], true),
        case("small intset", &["SADD s 5 -3 100 0"], true),
        case("one-member set", &["SADD s member"], true),
        case("listpack zset", &["ZADD z 1.5 a -inf b inf c 0.1 d 3 e 1e300 f 0 g 2.5e-5 h"], true),
        case("listpack hash", &["HSET h f1 v1 f2 2 f3 -3 f4 v4"], true),
        case("volatile hash in db 3", &["SELECT 3", "HSET h a 1", "PEXPIREAT h 99999999999999"], true),
        case("big set", &[], false),
        case("skiplist zset", &[], false),
        case("hashtable hash", &[&format!("HSET h long {} short v", "y".repeat(100))], false),
    ];
    // Collections past one batch of 64: 200 list items and ints, 100 hash fields in listpack.
    cases.push(Case {
        name: "200-item list",
        commands: vec![many("RPUSH l", (0..200).map(|i| format!("i{i}")))],
        ordered: true,
    });
    cases.push(Case {
        name: "200-int intset",
        commands: vec![many("SADD s", (0..200).map(|i| (i * 7).to_string()))],
        ordered: true,
    });
    cases.push(Case {
        name: "100-field listpack hash",
        commands: vec![many("HSET h", (0..100).flat_map(|i| [format!("f{i}"), i.to_string()]))],
        ordered: true,
    });
    for c in cases.iter_mut() {
        match c.name {
            "big set" => c.commands.push(many("SADD s", (0..150).map(|i| format!("m{i}")))),
            "skiplist zset" => {
                c.commands.push(many("ZADD z", (0..200).flat_map(|i| [format!("{i}.5"), format!("m{i}")])))
            }
            _ => {}
        }
    }
    cases
}

/// A command's shape for the unordered comparison: name, key, argument count.
type Shape = (Vec<u8>, Vec<u8>, usize);
/// How many times each item (a member, or a score-member or field-value pair) appears.
type Items = BTreeMap<Vec<Vec<u8>>, usize>;

/// Every command's shape and all the items the commands carry.
fn shape_and_items(stream: &[u8]) -> (Vec<Shape>, Items) {
    let mut shapes = Vec::new();
    let mut items = BTreeMap::new();
    for argv in commands(stream) {
        shapes.push((argv[0].clone(), argv.get(1).cloned().unwrap_or_default(), argv.len()));
        let per_item = match argv[0].as_slice() {
            b"ZADD" | b"HMSET" => 2,
            b"SADD" | b"RPUSH" => 1,
            _ => continue,
        };
        for item in argv[2..].chunks(per_item) {
            *items.entry(item.to_vec()).or_insert(0) += 1;
        }
    }
    (shapes, items)
}

#[test]
fn rewrite_of_each_key_matches_redis_base_file() {
    // Proves write_entry (with write_select) produces the base file Redis 7.0 writes for the same
    // one-key keyspace with aof-use-rdb-preamble no: exact bytes where Redis's order is defined,
    // the same commands, batch sizes and items where it is a hash order.
    let server = RealRedis::start(&["--aof-use-rdb-preamble", "no"]);
    let mut con = server.connect();
    for case in cases() {
        redis_run(&mut con, &[b"FLUSHALL"]).expect("FLUSHALL");
        redis_run(&mut con, &[b"SELECT", b"0"]).expect("SELECT");
        let mut engine = EngineHarness::new();
        for argv in &case.commands {
            let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            redis_run(&mut con, &argv).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            engine.run(&argv).0.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        }
        let theirs = rewrite(&server, &mut con);
        let ours = engine_rewrite(&mut engine);
        if case.ordered {
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{}: the rewrite differs from Redis's base file",
                case.name
            );
        } else {
            assert_eq!(shape_and_items(&ours), shape_and_items(&theirs), "{}", case.name);
        }
    }
}

#[test]
fn manifests_and_streams_written_by_redis_read_back() {
    // Proves a manifest Redis 7.0 wrote (RDB-preamble base plus incr, then after a rewrite)
    // parses to the files Redis uses, writes back byte for byte, and its incr file reads as the
    // commands that were sent.
    let server = RealRedis::start(&[]);
    let mut con = server.connect();
    let manifest = server.manifest();
    let names: Vec<(&str, u64, FileKind)> = manifest.entries.iter().map(|e| (e.name.as_str(), e.seq, e.kind)).collect();
    assert_eq!(
        names,
        [("appendonly.aof.1.base.rdb", 1, FileKind::Base), ("appendonly.aof.1.incr.aof", 1, FileKind::Incr)]
    );
    assert_eq!(manifest.to_bytes(), server.aof_file("appendonly.aof.manifest"));
    assert!(server.aof_file("appendonly.aof.1.base.rdb").starts_with(b"REDIS"));
    for line in ["SET k v", "RPUSH l a b", "SELECT 4", "INCR n"] {
        redis_run(&mut con, &support::words(line)).expect(line);
    }
    let sent: Vec<Vec<Vec<u8>>> = ["SELECT 0", "SET k v", "RPUSH l a b", "SELECT 4", "INCR n"]
        .iter()
        .map(|l| l.split(' ').map(|w| w.as_bytes().to_vec()).collect())
        .collect();
    let read = commands(&server.incr_bytes());
    assert_eq!(read.len(), sent.len());
    for (got, want) in read.iter().zip(&sent) {
        assert!(got.len() == want.len() && got.iter().zip(want).all(|(g, w)| g.eq_ignore_ascii_case(w)), "{got:?}");
    }
    rewrite(&server, &mut con);
    let after = server.manifest();
    let names: Vec<&str> = after.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof"]);
    assert_eq!((after.base_seq, after.incr_seq), (2, 2));
    assert_eq!(after.to_bytes(), server.aof_file("appendonly.aof.manifest"));
}

/// Where redis-check-aof says the valid prefix of a stream ends (`ok_up_to`), or `None` when
/// it finds the whole file valid. (Its messages do not tell truncation from garbage reliably,
/// so only the offset is compared with it.)
fn check_aof_ok_up_to(dir: &std::path::Path, bytes: &[u8]) -> Option<u64> {
    let path = dir.join("check.aof");
    std::fs::write(&path, bytes).expect("write the file to check");
    let output = Command::new("redis-check-aof").arg(&path).output().expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        assert!(text.contains("is valid"), "{text}");
        return None;
    }
    let ok_up_to = text.split("ok_up_to=").nth(1).and_then(|rest| rest.split(',').next()).and_then(|n| n.parse().ok());
    Some(ok_up_to.unwrap_or_else(|| panic!("no ok_up_to in: {text}")))
}

#[test]
fn damaged_streams_are_cut_where_redis_check_aof_cuts() {
    // Proves, on an incr file real Redis wrote, that every truncation is reported as a
    // truncated tail and each corruption as garbage, at the offset redis-check-aof gives as
    // `ok_up_to`; a corruption inside an argument's bytes is data, valid for both.
    let server = RealRedis::start(&[]);
    let mut con = server.connect();
    for line in ["SET k v", "HSET h field value", "SET n 12"] {
        redis_run(&mut con, &support::words(line)).expect(line);
    }
    let stream = server.incr_bytes();
    let scratch = tempfile::tempdir().expect("temporary directory");
    let mut damaged: Vec<(Vec<u8>, bool)> = (1..stream.len()).map(|cut| (stream[..cut].to_vec(), true)).collect();
    // A bad count prefix, a bad length prefix, a bad byte after a payload, a payload byte.
    for (at, byte) in [(0, b'x'), (23, b'!'), (27, b'#'), (40, b'\n'), (stream.len() - 1, b'x')] {
        let mut corrupt = stream.clone();
        corrupt[at] = byte;
        damaged.push((corrupt, false));
    }
    for (bytes, truncated) in damaged {
        let mut reader = CommandReader::new(&bytes);
        let mut error = None;
        while let Some(next) = reader.next_command() {
            if let Err(e) = next {
                error = Some(e);
            }
        }
        let shown = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(error.as_ref().map(|e| e.offset), check_aof_ok_up_to(scratch.path(), &bytes), "{shown:?}");
        if let Some(e) = error {
            assert_eq!(e.truncated, truncated, "{shown:?}: {e}");
        }
    }
}
