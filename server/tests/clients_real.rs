//! Real clients against a real server process: redis-rs, redis-cli (arguments, stdin, --pipe),
//! redis-benchmark and raw sockets (inline commands, protocol errors, split writes).
//!
//! Every test runs twice, against verdis and against real Redis (`on_redis::` and `on_verdis::`
//! tests): the Redis run proves each expectation is Redis's own behaviour, the verdis run proves
//! verdis matches it.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::{resp_command, Backend, Server};
use redis::{Commands, Connection, Value};

/// `args` as a redis-rs command.
fn command(args: &[&[u8]]) -> redis::Cmd {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).expect("ASCII command name"));
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd
}

/// Runs a command through redis-rs and returns its reply, failing the test on an error reply.
fn query<T: redis::FromRedisValue>(con: &mut Connection, args: &[&[u8]]) -> T {
    command(args).query(con).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&args.concat())))
}

/// The error a command replies with, as `(code, detail)`.
fn query_err(con: &mut Connection, args: &[&[u8]]) -> (String, String) {
    let err = command(args).query::<Value>(con).expect_err("an error reply");
    (err.code().unwrap_or("<none>").to_owned(), err.detail().unwrap_or("<none>").to_owned())
}

// ---------------------------------------------------------------------------------------------
// redis-rs

/// SET, GET, INCR, MSET, MGET, DEL and EXISTS through redis-rs give Redis's replies.
fn redis_rs_string_commands(backend: Backend) {
    let server = Server::start(backend);
    let mut con = server.client();
    let ok: String = query(&mut con, &[b"SET", b"greeting", b"hello"]);
    assert_eq!(ok, "OK");
    assert_eq!(con.get::<_, Option<String>>("greeting").unwrap(), Some("hello".to_owned()));
    assert_eq!(con.get::<_, Option<String>>("missing").unwrap(), None);

    assert_eq!(query::<i64>(&mut con, &[b"INCR", b"counter"]), 1);
    assert_eq!(query::<i64>(&mut con, &[b"INCR", b"counter"]), 2);
    let ok: String = query(&mut con, &[b"SET", b"big", b"9223372036854775806"]);
    assert_eq!(ok, "OK");
    assert_eq!(query::<i64>(&mut con, &[b"INCR", b"big"]), i64::MAX);
    assert_eq!(con.get::<_, String>("counter").unwrap(), "2");

    let ok: String = query(&mut con, &[b"MSET", b"a", b"1", b"b", b"2", b"c", b"3"]);
    assert_eq!(ok, "OK");
    let values: Vec<Option<String>> = query(&mut con, &[b"MGET", b"a", b"nope", b"c", b"greeting"]);
    assert_eq!(values, vec![Some("1".into()), None, Some("3".into()), Some("hello".into())]);

    assert_eq!(query::<i64>(&mut con, &[b"EXISTS", b"a", b"b", b"nope", b"a"]), 3);
    assert_eq!(query::<i64>(&mut con, &[b"DEL", b"a", b"b", b"nope"]), 2);
    assert_eq!(query::<i64>(&mut con, &[b"EXISTS", b"a", b"b"]), 0);
    assert_eq!(query::<i64>(&mut con, &[b"DBSIZE"]), 4);
}

/// EXPIRE and TTL: a TTL is set and read back in seconds; missing keys and keys without a TTL
/// answer -2 and -1.
fn redis_rs_expire_and_ttl(backend: Backend) {
    let server = Server::start(backend);
    let mut con = server.client();
    let _: String = query(&mut con, &[b"SET", b"session", b"data"]);
    assert_eq!(query::<i64>(&mut con, &[b"TTL", b"session"]), -1);
    assert_eq!(query::<i64>(&mut con, &[b"TTL", b"nokey"]), -2);
    assert_eq!(query::<i64>(&mut con, &[b"EXPIRE", b"nokey", b"100"]), 0);
    assert_eq!(query::<i64>(&mut con, &[b"EXPIRE", b"session", b"100"]), 1);
    let ttl: i64 = query(&mut con, &[b"TTL", b"session"]);
    assert!((99..=100).contains(&ttl), "TTL {ttl}");
    // SET without KEEPTTL clears the TTL.
    let _: String = query(&mut con, &[b"SET", b"session", b"again"]);
    assert_eq!(query::<i64>(&mut con, &[b"TTL", b"session"]), -1);
    // A TTL in the past deletes the key at once.
    assert_eq!(query::<i64>(&mut con, &[b"EXPIRE", b"session", b"-1"]), 1);
    assert_eq!(query::<i64>(&mut con, &[b"EXISTS", b"session"]), 0);
    // A short TTL runs out: the key is gone when next read.
    let _: String = query(&mut con, &[b"SET", b"brief", b"x", b"PX", b"50"]);
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(con.get::<_, Option<String>>("brief").unwrap(), None);
    assert_eq!(query::<i64>(&mut con, &[b"TTL", b"brief"]), -2);
}

/// A pipeline of 3,000 commands gets every reply, in order, an error reply included.
fn redis_rs_pipelining(backend: Backend) {
    /// Keys written by the pipeline.
    const KEYS: usize = 1000;
    let server = Server::start(backend);
    let mut con = server.client();
    let mut pipe = redis::pipe();
    for i in 0..KEYS {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(i).ignore();
        pipe.cmd("INCR").arg(format!("key:{i}"));
    }
    for i in 0..KEYS {
        pipe.cmd("GET").arg(format!("key:{i}"));
    }
    let replies: Vec<i64> = pipe.query(&mut con).expect("pipeline");
    let expected: Vec<i64> = (1..=KEYS as i64).chain(1..=KEYS as i64).collect();
    assert_eq!(replies, expected);

    // An error in the middle of a pipeline does not disturb the replies around it.
    let _: String = query(&mut con, &[b"SET", b"word", b"abc"]);
    let mut raw = server.raw();
    let mut request = resp_command(&[b"INCR", b"key:0"]);
    request.extend(resp_command(&[b"INCR", b"word"]));
    request.extend(resp_command(&[b"INCR", b"key:0"]));
    raw.roundtrip(&request, b":2\r\n-ERR value is not an integer or out of range\r\n:3\r\n");
}

/// Keys and values are binary safe: every byte value, NULs and CRLFs included, comes back intact.
fn redis_rs_binary_safe(backend: Backend) {
    let server = Server::start(backend);
    let mut con = server.client();
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let _: String = query(&mut con, &[b"SET", &all_bytes, &all_bytes]);
    assert_eq!(query::<Vec<u8>>(&mut con, &[b"GET", &all_bytes]), all_bytes);

    // One key per byte value, each holding that byte, written and read in one pipeline.
    let mut pipe = redis::pipe();
    for b in 0..=255u8 {
        pipe.cmd("SET").arg([b"k".as_slice(), &[b]].concat()).arg(&[b]).ignore();
    }
    for b in 0..=255u8 {
        pipe.cmd("GET").arg([b"k".as_slice(), &[b]].concat());
    }
    let values: Vec<Vec<u8>> = pipe.query(&mut con).expect("pipeline");
    assert_eq!(values, (0..=255u8).map(|b| vec![b]).collect::<Vec<_>>());
    assert_eq!(query::<i64>(&mut con, &[b"DBSIZE"]), 257);

    // The empty string is a value like any other.
    let _: String = query(&mut con, &[b"SET", b"", b""]);
    assert_eq!(query::<Option<Vec<u8>>>(&mut con, &[b"GET", b""]), Some(Vec::new()));
}

/// A 1 MiB value is stored and read back byte for byte.
fn redis_rs_one_mib_value(backend: Backend) {
    /// Size of the value.
    const VALUE_BYTES: usize = 1024 * 1024;
    let server = Server::start(backend);
    let mut con = server.client();
    let value: Vec<u8> = (0..VALUE_BYTES).map(|i| (i * 7 % 251) as u8).collect();
    let _: String = query(&mut con, &[b"SET", b"blob", &value]);
    assert_eq!(query::<Vec<u8>>(&mut con, &[b"GET", b"blob"]), value);
    let values: Vec<Vec<u8>> = query(&mut con, &[b"MGET", b"blob", b"blob"]);
    assert_eq!(values, vec![value.clone(), value]);
}

/// Error replies carry Redis's code and text, through redis-rs and byte for byte on the wire.
fn error_replies(backend: Backend) {
    let server = Server::start(backend);
    let mut con = server.client();
    let _: String = query(&mut con, &[b"SET", b"word", b"abc"]);
    let not_integer = ("ERR".to_owned(), "value is not an integer or out of range".to_owned());
    assert_eq!(query_err(&mut con, &[b"INCR", b"word"]), not_integer);
    let _: String = query(&mut con, &[b"SET", b"max", b"9223372036854775807"]);
    assert_eq!(query_err(&mut con, &[b"INCR", b"max"]).1, "increment or decrement would overflow");
    assert_eq!(query_err(&mut con, &[b"EXPIRE", b"word", b"soon"]), not_integer);

    let mut raw = server.raw();
    let cases: &[(&[&[u8]], &[u8])] = &[
        (&[b"INCR", b"word"], b"-ERR value is not an integer or out of range\r\n"),
        (&[b"GET"], b"-ERR wrong number of arguments for 'get' command\r\n"),
        (&[b"MSET", b"a", b"1", b"b"], b"-ERR wrong number of arguments for 'mset' command\r\n"),
        (&[b"NOSUCH", b"x", b"y"], b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' 'y' \r\n"),
        (&[b"SET", b"k", b"v", b"NX", b"XX"], b"-ERR syntax error\r\n"),
    ];
    for (args, expected) in cases {
        raw.roundtrip(&resp_command(args), expected);
    }
    // The connection is still usable after error replies.
    raw.roundtrip(&resp_command(&[b"GET", b"word"]), b"$3\r\nabc\r\n");
}

// ---------------------------------------------------------------------------------------------
// Raw sockets and redis-cli

/// Inline commands typed as text (as `telnet` users do) work, quotes and escapes included.
fn inline_commands_over_tcp(backend: Backend) {
    let server = Server::start(backend);
    let mut raw = server.raw();
    raw.roundtrip(b"SET a b\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET a\r\n", b"$1\r\nb\r\n");
    raw.roundtrip(b"SET k \"a b\\x00c\\n\"\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET k\r\n", b"$6\r\na b\0c\n\r\n");
    raw.roundtrip(b"SET q 'it\\'s'\r\nGET q\r\n", b"+OK\r\n$4\r\nit's\r\n");
    // A bare LF ends a line too, and empty lines are skipped.
    raw.roundtrip(b"\r\n\r\nPING\n", b"+PONG\r\n");
    raw.roundtrip(b"   incr   n  \r\n", b":1\r\n");
    raw.roundtrip(b"FOO bar\r\n", b"-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n");
    // Inline and multibulk requests mix on one connection.
    let mut mixed = b"INCR n\r\n".to_vec();
    mixed.extend(resp_command(&[b"INCR", b"n"]));
    mixed.extend_from_slice(b"GET n\r\n");
    raw.roundtrip(&mixed, b":2\r\n:3\r\n$1\r\n3\r\n");
}

/// redis-cli with the command as arguments, and with commands on stdin, prints what it prints
/// against Redis.
fn redis_cli_invocations(backend: Backend) {
    let server = Server::start(backend);
    // Raw output (what a pipe gets) first, then human-readable output (what a terminal shows)
    // over RESP2 and over RESP3 (`-3` sends HELLO 3 first): the same output as against Redis
    // needs the same reply types.
    let cases: &[(&[&str], &str)] = &[
        (&["SET", "greeting", "hello world"], "OK\n"),
        (&["GET", "greeting"], "hello world\n"),
        (&["GET", "missing"], "\n"),
        (&["INCR", "visits"], "1\n"),
        (&["INCR", "greeting"], "ERR value is not an integer or out of range\n\n"),
        (&["MSET", "a", "1", "b", "2"], "OK\n"),
        (&["MGET", "a", "missing", "b"], "1\n\n2\n"),
        (&["PING"], "PONG\n"),
        (&["DBSIZE"], "4\n"),
        (&["--no-raw", "INCR", "a"], "(integer) 2\n"),
        (&["--no-raw", "MGET", "a", "missing"], "1) \"2\"\n2) (nil)\n"),
        (&["--no-raw", "INCR", "greeting"], "(error) ERR value is not an integer or out of range\n"),
        (&["-3", "--no-raw", "GET", "missing"], "(nil)\n"),
        (&["-3", "--no-raw", "MGET", "a", "missing"], "1) \"2\"\n2) (nil)\n"),
        (&["-3", "--no-raw", "ECHO", "hi"], "\"hi\"\n"),
    ];
    for (args, expected) in cases {
        let out = server.cli_run(args);
        assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), *expected, "redis-cli {args:?}");
    }

    let mut child = server.cli().stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("run redis-cli");
    child.stdin.take().expect("stdin").write_all(b"SET x 10\nINCR x\nGET x\nDEL x a\n").expect("write stdin");
    let out = child.wait_with_output().expect("redis-cli output");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK\n11\n11\n2\n");
}

/// `redis-cli --pipe` mass insertion of 100,000 keys: no errors, every reply, every key stored.
fn redis_cli_pipe_mass_insertion(backend: Backend) {
    /// Keys inserted.
    const KEYS: usize = 100_000;
    let server = Server::start(backend);
    let mut stream = Vec::with_capacity(KEYS * 48);
    for i in 0..KEYS {
        let (key, value) = (format!("key:{i}"), format!("value:{i}"));
        stream.extend(resp_command(&[b"SET", key.as_bytes(), value.as_bytes()]));
    }
    let mut child = server
        .cli()
        .arg("--pipe")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run redis-cli --pipe");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&stream));
    let out = child.wait_with_output().expect("redis-cli --pipe output");
    writer.join().expect("writer thread").expect("write the RESP stream");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "redis-cli --pipe: {out:?}");
    assert!(stdout.contains(&format!("errors: 0, replies: {KEYS}")), "redis-cli --pipe said: {stdout}");

    let mut con = server.client();
    assert_eq!(query::<i64>(&mut con, &[b"DBSIZE"]), KEYS as i64);
    assert_eq!(con.get::<_, String>("key:0").unwrap(), "value:0");
    assert_eq!(con.get::<_, String>(format!("key:{}", KEYS - 1)).unwrap(), format!("value:{}", KEYS - 1));
}

/// redis-benchmark runs SET, GET, INCR and MSET pipelined without an error or warning, and
/// leaves the keys it writes.
fn redis_benchmark_runs_clean(backend: Backend) {
    /// Requests per test.
    const REQUESTS: u64 = 100_000;
    let server = Server::start(backend);
    let out = common::redis_tool("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args(["-t", "set,get,incr,mset", "-P", "16", "-n", &REQUESTS.to_string(), "--csv"])
        .output()
        .expect("run redis-benchmark");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // Errors ("Error from server: ...") and warnings ("Could not fetch server CONFIG") go to stderr.
    assert!(out.status.success() && stderr.trim().is_empty(), "redis-benchmark failed:\n{stdout}\n{stderr}");
    let tests: Vec<&str> =
        stdout.lines().skip(1).map(|line| line.split(',').next().unwrap_or("").trim_matches('"')).collect();
    assert_eq!(tests, ["SET", "GET", "INCR", "MSET (10 keys)"], "redis-benchmark said:\n{stdout}");
    for line in stdout.lines().skip(1) {
        let rps: f64 = line.split(',').nth(1).and_then(|f| f.trim_matches('"').parse().ok()).unwrap_or(0.0);
        assert!(rps > 0.0, "no throughput in {line}");
    }

    // Without -r every request names the same literal keys.
    let mut con = server.client();
    assert_eq!(query::<i64>(&mut con, &[b"DBSIZE"]), 2);
    assert_eq!(con.get::<_, String>("counter:__rand_int__").unwrap(), REQUESTS.to_string());
    assert_eq!(con.get::<_, Vec<u8>>("key:__rand_int__").unwrap().len(), 3, "the default -d 3 payload");
}

// ---------------------------------------------------------------------------------------------
// Protocol errors and framing

/// A non-numeric multibulk count gets Redis's exact protocol error, then the connection closes.
fn protocol_error_invalid_multibulk_length(backend: Backend) {
    let server = Server::start(backend);
    let mut raw = server.raw();
    raw.send(b"*x\r\n");
    assert_eq!(String::from_utf8_lossy(&raw.read_until_closed()), "-ERR Protocol error: invalid multibulk length\r\n");
    // The server itself is fine.
    server.raw().roundtrip(b"PING\r\n", b"+PONG\r\n");
}

/// A bulk length above proto-max-bulk-len (512 MB) is refused before any payload is read.
fn protocol_error_huge_bulk_length(backend: Backend) {
    let server = Server::start(backend);
    let mut raw = server.raw();
    raw.send(b"*1\r\n$600000000\r\n");
    assert_eq!(String::from_utf8_lossy(&raw.read_until_closed()), "-ERR Protocol error: invalid bulk length\r\n");
    server.raw().roundtrip(b"PING\r\n", b"+PONG\r\n");
}

/// Requests cut at arbitrary byte boundaries, delivered in many separate writes, parse as if
/// sent whole.
fn command_split_across_writes(backend: Backend) {
    /// Largest piece written at once.
    const PIECE_BYTES_MAX: u64 = 7;
    let server = Server::start(backend);
    let mut raw = server.raw();
    let mut request = resp_command(&[b"SET", b"split", b"x\r\ny\0z"]);
    request.extend(resp_command(&[b"GET", b"split"]));
    request.extend_from_slice(b"PING\r\n");
    for _ in 0..3 {
        request.extend(resp_command(&[b"INCR", b"n"]));
    }
    request.extend_from_slice(b"MGET split n\r\n");

    // First one byte per write, then pieces of pseudo-random sizes (a fixed LCG: reproducible).
    let mut lcg: u64 = 0x2545_f491_4f6c_dd1d;
    for (round, one_byte_pieces) in [true, false].into_iter().enumerate() {
        let mut rest = request.as_slice();
        while !rest.is_empty() {
            lcg = lcg.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let piece = if one_byte_pieces { 1 } else { 1 + (lcg >> 33) % PIECE_BYTES_MAX } as usize;
            let (now, later) = rest.split_at(piece.min(rest.len()));
            raw.send(now);
            rest = later;
            // Let the server read the piece on its own before the next arrives.
            std::thread::sleep(Duration::from_millis(1));
        }
        let n = 3 * round;
        let expected = format!(
            "+OK\r\n$6\r\nx\r\ny\0z\r\n+PONG\r\n:{}\r\n:{}\r\n:{}\r\n*2\r\n$6\r\nx\r\ny\0z\r\n$1\r\n{}\r\n",
            n + 1,
            n + 2,
            n + 3,
            n + 3
        );
        let got = raw.read_n(expected.len());
        assert_eq!(String::from_utf8_lossy(&got), expected, "pieces of one byte: {one_byte_pieces}");
    }
}

on_both_backends!(
    redis_rs_string_commands,
    redis_rs_expire_and_ttl,
    redis_rs_pipelining,
    redis_rs_binary_safe,
    redis_rs_one_mib_value,
    error_replies,
    inline_commands_over_tcp,
    redis_cli_invocations,
    redis_cli_pipe_mass_insertion,
    redis_benchmark_runs_clean,
    protocol_error_invalid_multibulk_length,
    protocol_error_huge_bulk_length,
    command_split_across_writes,
);
