//! Redis Functions with real connections: FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/
//! KILL/HELP and FCALL/FCALL_RO, their error texts and the load-time sandbox, sent to verdis and
//! to real Redis side by side with the replies compared byte for byte (RESP2 and RESP3); then
//! the libraries in the AOF (propagated changes, both rewrite forms) and in RDB files moved
//! between verdis and Redis both ways.

#[macro_use]
mod common;

use std::path::Path;

use common::{read_reply, redis_tool, resp_command, same_replies, Backend, Raw, Server};

/// A library of two functions: a writer, and a read-only reader with a description.
const LIB1: &str = "#!lua name=lib1
redis.register_function('f1', function(keys, args) return redis.call('set', keys[1], args[1]) end)
redis.register_function{function_name='f2', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc two'}";

/// A library of one read-only function with a description (Redis lists a library's functions,
/// and libraries, in its hash tables' order, random per process: listings compared byte for
/// byte show libraries of one function, one library at a time).
const LIB3: &str = "#!lua name=lib3
redis.register_function{function_name='f3', callback=function(keys, args) return 3 end, flags={'no-writes'}, description='desc three'}";

/// A library whose function has every flag, returns its arguments, and fails on demand.
const LIB2: &str = "#!lua name=lib2
local function echo(keys, args)
  if args[1] == 'fail' then error('asked to') end
  if args[1] == 'global' then undefined_x = 1 end
  return {keys, args, redis.REDIS_VERSION}
end
redis.register_function{function_name='Echo', callback=echo, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}";

/// `FUNCTION LOAD` of `body` after the shebang `#!lua name=<lib>`.
fn load(lib: &str, body: &str) -> String {
    format!("#!lua name={lib}\n{body}")
}

#[test]
fn functions_match_redis() {
    // Proves Redis 7.0.15's replies, byte for byte: loading (REPLACE, every library and
    // registration error, the load-time sandbox refusing redis.call, globals and `string`),
    // FCALL/FCALL_RO (numkeys errors, flags, runtime errors and their decoration, case-insensitive
    // names), LIST in both protocols with its filters, DELETE, FLUSH, STATS, KILL and HELP.
    let (v, r) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut verdis, mut redis) = (v.raw(), r.raw());
    let bad_loads = [
        "return 1".to_string(),
        "#!lua\nreturn 1".into(),
        "#!lua name=a".into(),
        "#!lux name=a\nreturn 1".into(),
        "#!lua name=a foo=bar\nreturn 1".into(),
        "#!lua name=a name=b\nreturn 1".into(),
        "#!lua name=a-b\nreturn 1".into(),
        load("lb", "return 1"),
        load("lb", "redis.call('ping')"),
        load("lb", "local x = string.len('a')"),
        load("lb", "x = 1"),
        load("lb", "error('boom')"),
        load("lb", "redis.register_function('x'"),
        load("lb", "redis.register_function('f-x', function() return 1 end)"),
        load("lb", "redis.register_function('fx')"),
        load("lb", "redis.register_function(1, 2, 3)"),
        load("lb", "redis.register_function('fx', 1)"),
        load("lb", "redis.register_function({}, function() end)"),
        load("lb", "redis.register_function{function_name='fx', callback=function() end, flags={'bad'}}"),
        load("lb", "redis.register_function{function_name='fx', callback=function() end, flags='no-writes'}"),
        load("lb", "redis.register_function{function_name='fx', callback=function() end, foo=1}"),
        load("lb", "redis.register_function{function_name='fx', callback=function() end, description=false}"),
        load("lb", "redis.register_function{callback=function() end}"),
        load("lb", "redis.register_function{function_name='fx'}"),
        load("lb", "redis.register_function{function_name='fx', callback=1}"),
        load("lb", "redis.register_function{function_name={}, callback=function() end}"),
        load("lb", "redis.register_function{[1]='x', callback=function() end}"),
        load("lb", "redis.log(redis.LOG_WARNING, 'loading') return redis.REDIS_VERSION_NUM .. redis.foo"),
    ];
    for code in &bad_loads {
        same_replies(&mut verdis, &mut redis, &[&["FUNCTION", "LOAD", code]]);
    }
    let replaced = load("lib1", "redis.register_function('f1', function() return 'replaced' end)");
    let collides = load("lib3", "redis.register_function('F2', function() return 1 end)");
    // Names differing in case only: both registered in one library (and counted), one name
    // across libraries. (FUNCTION DELETE of such a library crashes Redis 7.0.15, an assertion
    // in libraryUnlink: FLUSH empties it.)
    let cased =
        load("lb", "redis.register_function('fx', function() end) redis.register_function('FX', function() end)");
    let cased_again = load("lc", "redis.register_function('Fx', function() end)");
    same_replies(
        &mut verdis,
        &mut redis,
        &[
            &["FUNCTION", "LOAD", &cased],
            &["FUNCTION", "LOAD", &cased_again],
            &["FUNCTION", "STATS"],
            &["FCALL", "FX", "0"],
            &["FUNCTION", "FLUSH"],
            &["FUNCTION", "LIST"],
            &["FUNCTION", "STATS"],
            &["FUNCTION", "LOAD", LIB1],
            &["FUNCTION", "LOAD", LIB1],
            &["FUNCTION", "LOAD", "BAD", LIB1],
            &["FUNCTION", "LOAD", "REPLACE", &replaced],
            &["FCALL", "f1", "0"],
            &["FUNCTION", "LOAD", "replace", LIB1],
            &["FUNCTION", "LOAD", &collides],
            &["FUNCTION", "LOAD", LIB2],
            &["FUNCTION", "LOAD", LIB3],
            &["FCALL", "f1", "1", "k", "v"],
            &["FCALL", "F2", "1", "k"],
            &["FCALL_RO", "f2", "1", "k"],
            &["FCALL_RO", "f1", "1", "k", "v"],
            &["FCALL", "echo", "2", "a", "b", "c", "d"],
            &["FCALL_RO", "ECHO", "0", "fail"],
            &["FCALL", "echo", "0", "global"],
            &["FCALL", "nope", "0"],
            &["FCALL", "f1", "-1"],
            &["FCALL", "f1", "5", "a"],
            &["FCALL", "f1", "x"],
            &["FCALL", "f1"],
            &["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "LIB3"],
            &["FUNCTION", "LIST", "libraryname", "*2"],
            &["FUNCTION", "LIST", "libraryname", "nomatch*"],
            &["FUNCTION", "LIST", "libraryname"],
            &["FUNCTION", "LIST", "withcode", "withcode"],
            &["FUNCTION", "LIST", "foo"],
            &["FUNCTION", "STATS"],
            &["FUNCTION", "KILL"],
            &["FUNCTION", "HELP"],
        ],
    );
    // INFO memory counts the libraries and functions as Redis does.
    let counts = |conn: &mut Raw| -> Vec<String> {
        let info = String::from_utf8_lossy(&call(conn, &[b"INFO", b"memory"])).into_owned();
        info.lines()
            .filter(|l| l.starts_with("number_of_functions:") || l.starts_with("number_of_libraries:"))
            .map(str::to_owned)
            .collect()
    };
    let ours = counts(&mut verdis);
    assert_eq!(ours, counts(&mut redis));
    assert_eq!(ours, ["number_of_functions:4", "number_of_libraries:3"]);
    // The same in RESP3 (HELLO's reply names each server's own client id: not compared).
    for conn in [&mut verdis, &mut redis] {
        assert!(call(conn, &[b"HELLO", b"3"]).starts_with(b"%7\r\n"));
    }
    same_replies(
        &mut verdis,
        &mut redis,
        &[
            &["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib3"],
            &["FUNCTION", "LIST", "LIBRARYNAME", "lib2"],
            &["FUNCTION", "STATS"],
            &["FCALL", "echo", "1", "k", "v"],
            &["FUNCTION", "HELLO"],
        ],
    );
    for conn in [&mut verdis, &mut redis] {
        assert!(call(conn, &[b"HELLO", b"2"]).starts_with(b"*14\r\n"));
    }
    same_replies(
        &mut verdis,
        &mut redis,
        &[
            &["FUNCTION", "DELETE", "lib2"],
            &["FUNCTION", "DELETE", "lib2"],
            &["FUNCTION", "DELETE", "lib1"],
            &["FUNCTION", "LIST"],
            &["FCALL", "echo", "0"],
            &["FUNCTION", "FLUSH", "bad"],
            &["FUNCTION", "FLUSH", "sync", "extra"],
            &["FUNCTION", "FLUSH", "ASYNC"],
            &["FUNCTION", "LIST"],
            &["FCALL", "f1", "0"],
            &["FUNCTION", "LOAD", LIB1],
            &["FUNCTION", "FLUSH"],
            &["FUNCTION", "STATS"],
        ],
    );
}

/// Sends one command and returns its reply's bytes.
fn call(conn: &mut Raw, args: &[&[u8]]) -> Vec<u8> {
    conn.send(&resp_command(args));
    read_reply(conn)
}

/// The payload inside a bulk reply.
fn bulk_payload(reply: &[u8]) -> Vec<u8> {
    let header_end = reply.iter().position(|&b| b == b'\n').expect("a bulk reply") + 1;
    reply[header_end..reply.len() - 2].to_vec()
}

#[test]
fn dump_and_restore_match_redis() {
    // Proves FUNCTION DUMP's payload is Redis's byte for byte (RDB_OPCODE_FUNCTION2 records,
    // LZF-compressed code, the version and CRC64 footer), that each server restores the other's
    // payload, and that RESTORE's policies and errors answer as Redis does.
    let (v, r) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut verdis, mut redis) = (v.raw(), r.raw());
    same_replies(&mut verdis, &mut redis, &[&["FUNCTION", "LOAD", LIB1]]);
    let ours = call(&mut verdis, &[b"FUNCTION", b"DUMP"]);
    let theirs = call(&mut redis, &[b"FUNCTION", b"DUMP"]);
    assert_eq!(ours, theirs, "FUNCTION DUMP payloads (verdis, then Redis)");
    let payload = bulk_payload(&theirs);
    let mut corrupt = payload.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    // A record that is not a library: a string type byte with a valid footer (Redis's payload
    // of a DUMP of a string key), taken from Redis itself.
    call(&mut redis, &[b"SET", b"s", b"v"]);
    let string_payload = bulk_payload(&call(&mut redis, &[b"DUMP", b"s"]));
    let other = load("lib9", "redis.register_function('f1', function() return 9 end)");
    let steps: Vec<Vec<&[u8]>> = vec![
        vec![b"FUNCTION", b"RESTORE", &payload],
        vec![b"FUNCTION", b"RESTORE", &payload, b"APPEND"],
        vec![b"FUNCTION", b"RESTORE", &payload, b"bad"],
        vec![b"FUNCTION", b"RESTORE", &payload, b"FLUSH", b"x"],
        vec![b"FUNCTION", b"RESTORE", &corrupt],
        vec![b"FUNCTION", b"RESTORE", b"short"],
        vec![b"FUNCTION", b"RESTORE", &string_payload],
        vec![b"FUNCTION", b"RESTORE", &payload, b"REPLACE"],
        vec![b"FUNCTION", b"FLUSH"],
        vec![b"FUNCTION", b"LOAD", other.as_bytes()],
        vec![b"FUNCTION", b"RESTORE", &payload, b"REPLACE"],
        vec![b"FUNCTION", b"RESTORE", &payload, b"flush"],
        vec![b"FUNCTION", b"LIST", b"LIBRARYNAME", b"lib9"],
        vec![b"FCALL", b"f1", b"1", b"k", b"restored"],
        vec![b"GET", b"k"],
    ];
    for args in &steps {
        let (a, b) = (call(&mut verdis, args), call(&mut redis, args));
        let shown: Vec<_> = args.iter().map(|a| String::from_utf8_lossy(&a[..a.len().min(20)])).collect();
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "reply to {shown:?} (verdis, then Redis)");
    }
    // An empty registry dumps as the footer alone, on both.
    call(&mut verdis, &[b"FUNCTION", b"FLUSH"]);
    call(&mut redis, &[b"FUNCTION", b"FLUSH"]);
    assert_eq!(call(&mut verdis, &[b"FUNCTION", b"DUMP"]), call(&mut redis, &[b"FUNCTION", b"DUMP"]));
}

/// The lines of the AOF's incr file, CRLF shown as spaces.
fn incr_aof(server: &Server) -> String {
    let incr = std::fs::read(server.dir().join("appendonlydir/appendonly.aof.1.incr.aof")).expect("the incr file");
    String::from_utf8_lossy(&incr).replace("\r\n", " ")
}

/// A copy of the data in directory `from` (AOF directory and dump.rdb) in a new temporary one.
fn copy_data(from: &Path) -> tempfile::TempDir {
    let copy = tempfile::Builder::new().prefix("verdis-fn-copy-").tempdir().expect("temp dir");
    let aof = from.join("appendonlydir");
    if aof.exists() {
        std::fs::create_dir(copy.path().join("appendonlydir")).expect("mkdir");
        for entry in std::fs::read_dir(&aof).expect("read dir") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), copy.path().join("appendonlydir").join(entry.file_name())).expect("copy");
        }
    }
    let rdb = from.join("dump.rdb");
    if rdb.exists() {
        std::fs::copy(&rdb, copy.path().join("dump.rdb")).expect("copy dump.rdb");
    }
    copy
}

/// Waits until INFO persistence shows `field:0` (a background job done).
fn wait_done(c: &mut Raw, field: &str) {
    for _ in 0..500 {
        let info = String::from_utf8_lossy(&call(c, &[b"INFO", b"persistence"])).into_owned();
        if info.contains(&format!("{field}:0")) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{field} did not finish");
}

fn aof_keeps_libraries(backend: Backend) {
    // Proves FUNCTION LOAD/DELETE/FLUSH/RESTORE reach the AOF as the commands themselves, a
    // refused one not at all, FCALL's writes as the commands the function ran; that a restart
    // on that AOF has the libraries and data; and that both rewrite forms (RDB preamble and
    // commands) keep the libraries.
    let server = Server::start_with(backend, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = server.raw();
    let lib2 = load("lib2", "redis.register_function('g', function() return 2 end)");
    assert_eq!(call(&mut c, &[b"FUNCTION", b"LOAD", LIB1.as_bytes()]), b"$4\r\nlib1\r\n");
    assert!(call(&mut c, &[b"FUNCTION", b"LOAD", LIB1.as_bytes()]).starts_with(b"-ERR Library"));
    assert_eq!(call(&mut c, &[b"FCALL", b"f1", b"1", b"k", b"v"]), b"+OK\r\n");
    assert_eq!(call(&mut c, &[b"FCALL_RO", b"f2", b"1", b"k"]), b"$1\r\nv\r\n");
    assert_eq!(call(&mut c, &[b"FUNCTION", b"LOAD", lib2.as_bytes()]), b"$4\r\nlib2\r\n");
    assert_eq!(call(&mut c, &[b"FUNCTION", b"DELETE", b"lib2"]), b"+OK\r\n");
    let text = incr_aof(&server);
    let code_len = LIB1.len();
    let expected = format!(
        "*2 $6 SELECT $1 0 *3 $8 FUNCTION $4 LOAD ${code_len} {} *3 $3 set $1 k $1 v \
         *3 $8 FUNCTION $4 LOAD ${} {} *3 $8 FUNCTION $6 DELETE $4 lib2 ",
        LIB1,
        lib2.len(),
        lib2
    );
    assert_eq!(text, expected);
    let copy = copy_data(&server.dir());
    drop(c);
    drop(server);
    let dir = copy.path().to_str().expect("utf-8 path");
    for preamble in ["yes", "no"] {
        let restarted =
            Server::start_with(backend, &["--appendonly", "yes", "--dir", dir, "--aof-use-rdb-preamble", preamble]);
        let mut c = restarted.raw();
        assert_eq!(call(&mut c, &[b"FCALL_RO", b"f2", b"1", b"k"]), b"$1\r\nv\r\n", "after restart ({preamble})");
        assert!(call(&mut c, &[b"FCALL", b"g", b"0"]).starts_with(b"-ERR Function not found"));
        assert_eq!(call(&mut c, &[b"BGREWRITEAOF"]), b"+Background append only file rewriting started\r\n");
        wait_done(&mut c, "aof_rewrite_in_progress");
        let rewritten = copy_data(copy.path());
        drop(c);
        drop(restarted);
        let dir2 = rewritten.path().to_str().expect("utf-8 path");
        let again = Server::start_with(backend, &["--appendonly", "yes", "--dir", dir2]);
        let mut c = again.raw();
        assert_eq!(call(&mut c, &[b"FCALL", b"f2", b"1", b"k"]), b"$1\r\nv\r\n", "after the rewrite ({preamble})");
        let list = String::from_utf8_lossy(&call(&mut c, &[b"FUNCTION", b"LIST", b"WITHCODE"])).into_owned();
        assert!(list.contains(LIB1) && list.starts_with("*1\r\n"), "{list}");
        let aof_dir = copy.path().join("appendonlydir");
        let base = std::fs::read_dir(&aof_dir)
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .find(|p| p.to_string_lossy().contains(".base."))
            .expect("a base file");
        let base = std::fs::read(base).expect("read the base file");
        let has_code = base.windows(LIB1.len()).any(|w| w == LIB1.as_bytes());
        let preamble_used = base.starts_with(b"REDIS");
        assert_eq!((preamble_used, has_code || preamble_used), (preamble == "yes", true), "the base file");
    }
}

fn load_time_log_lines_reach_the_log(backend: Backend) {
    // Proves `redis.log` at load time writes its line to the server's log when the library
    // loads (not at the next script run).
    let server = Server::start(backend);
    let mut c = server.raw();
    let code = load(
        "logs",
        "redis.log(redis.LOG_WARNING, 'library logs loaded') redis.register_function('l', function() return 1 end)",
    );
    assert_eq!(call(&mut c, &[b"FUNCTION", b"LOAD", code.as_bytes()]), b"$4\r\nlogs\r\n");
    let logged = (0..100).any(|_| {
        let found = server.log().contains("library logs loaded");
        if !found {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        found
    });
    assert!(logged, "{}", server.log());
}

on_both_backends!(aof_keeps_libraries, load_time_log_lines_reach_the_log);

/// Runs `redis-check-rdb` on `file` and asserts it accepts it.
fn check_rdb(file: &Path) {
    let out = redis_tool("redis-check-rdb").arg(file).output().expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("RDB looks OK!"), "redis-check-rdb:\n{text}");
}

/// `writer` saves three libraries and a key to dump.rdb; the other backend loads it and lists
/// the same libraries, runs their functions, and (for a verdis file) redis-check-rdb accepts it.
fn rdb_moves(writer: Backend) {
    let reader = if writer == Backend::Verdis { Backend::Redis } else { Backend::Verdis };
    let server = Server::start(writer);
    let mut c = server.raw();
    call(&mut c, &[b"FUNCTION", b"LOAD", LIB1.as_bytes()]);
    call(&mut c, &[b"FUNCTION", b"LOAD", LIB2.as_bytes()]);
    call(&mut c, &[b"FUNCTION", b"LOAD", LIB3.as_bytes()]);
    call(&mut c, &[b"SET", b"k", b"v"]);
    let list_of = |c: &mut Raw| -> Vec<String> {
        [&b"lib2"[..], b"lib3"]
            .iter()
            .map(|lib| {
                String::from_utf8_lossy(&call(c, &[b"FUNCTION", b"LIST", b"WITHCODE", b"LIBRARYNAME", lib]))
                    .into_owned()
            })
            .collect()
    };
    let list = list_of(&mut c);
    assert_eq!(call(&mut c, &[b"SAVE"]), b"+OK\r\n");
    if writer == Backend::Verdis {
        check_rdb(&server.dir().join("dump.rdb"));
    }
    let copy = copy_data(&server.dir());
    drop(c);
    drop(server);
    let dir = copy.path().to_str().expect("utf-8 path");
    let loaded = Server::start_with(reader, &["--dir", dir]);
    let mut c = loaded.raw();
    assert_eq!(list_of(&mut c), list, "FUNCTION LIST after {reader:?} loaded {writer:?}'s dump.rdb");
    assert!(list[1].contains("desc three"), "{}", list[1]);
    assert_eq!(call(&mut c, &[b"FCALL", b"f2", b"1", b"k"]), b"$1\r\nv\r\n");
}

#[test]
fn verdis_rdb_with_libraries_loads_into_redis() {
    // Proves our RDB_OPCODE_FUNCTION2 records are Redis's: redis-check-rdb accepts the file and
    // redis-server lists the same libraries and runs them.
    rdb_moves(Backend::Verdis);
}

#[test]
fn redis_rdb_with_libraries_loads_into_verdis() {
    // Proves a dump.rdb Redis wrote with libraries loads into verdis with the same FUNCTION LIST.
    rdb_moves(Backend::Redis);
}

/// Redis's CRC64 (Jones polynomial, reflected), bit by bit: the test's own, so a payload it
/// crafts does not depend on the engine's implementation.
fn crc64(data: &[u8]) -> u64 {
    const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut crc = 0u64;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
        }
    }
    crc
}

/// A FUNCTION RESTORE payload of `body` with a valid RDB 10 footer.
fn crafted_payload(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    out.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn crafted_restore_payloads_fail_as_in_redis() {
    // Proves RESTORE reads records as Redis does: a record longer than the body reads into the
    // footer, one past the payload fails to load, a key's type byte is not a function, and an
    // empty body restores nothing.
    let (v, r) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut verdis, mut redis) = (v.raw(), r.raw());
    for body in [&b"\xf5\x05ab"[..], b"\xf5\x40", b"\xf5\x7f\xff", b"\x00\x01a", b"", b"\xf5\x01x"] {
        let args: [&[u8]; 3] = [b"FUNCTION", b"RESTORE", &crafted_payload(body)];
        let (a, b) = (call(&mut verdis, &args), call(&mut redis, &args));
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "body {body:?} (verdis, then Redis)");
    }
}
