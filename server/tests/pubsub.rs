//! Pub/sub against a real server process: exact bytes in RESP2 and RESP3, keyspace
//! notifications, a 100-subscriber fan-out through redis-rs, redis-py's `pubsub()`, and the
//! client buffer limits: a subscriber that stops reading while a publisher floods (output), a
//! request larger than `client-query-buffer-limit` (input).
//!
//! Every test runs twice, against verdis and against real Redis (`on_redis::` and `on_verdis::`
//! tests): the Redis run proves each expectation is Redis's own behaviour, the verdis run proves
//! verdis matches it.

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{resp_command, Backend, Raw, Server};

/// `parts` as one RESP2 array of bulk strings, with `:n` parts as integers (`*` → `>` for RESP3).
fn frame(parts: &[&str]) -> String {
    let mut out = format!("*{}\r\n", parts.len());
    for p in parts {
        match p.strip_prefix(':') {
            Some(n) => out.push_str(&format!(":{n}\r\n")),
            None => out.push_str(&format!("${}\r\n{p}\r\n", p.len())),
        }
    }
    out
}

/// `frame` as a RESP3 push.
fn push(parts: &[&str]) -> String {
    format!(">{}", &frame(parts)[1..])
}

/// Sends `args` and asserts the reply is exactly `expected`.
fn roundtrip(con: &mut Raw, args: &[&str], expected: &str) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    con.roundtrip(&resp_command(&args), expected.as_bytes());
}

/// Switches `con` to RESP3 and reads HELLO's map (which holds the connection's id) up to its
/// last field.
fn hello3(con: &mut Raw) {
    con.send(&resp_command(&[b"HELLO", b"3"]));
    let mut got = Vec::new();
    let end = b"$7\r\nmodules\r\n*0\r\n";
    while !got.ends_with(end) {
        got.extend(con.read_n(1));
    }
    assert!(got.starts_with(b"%7\r\n"), "{}", String::from_utf8_lossy(&got));
}

/// Asserts the next bytes `con` receives are exactly `expected`.
fn expect(con: &mut Raw, expected: &str) {
    let got = con.read_n(expected.len());
    assert_eq!(String::from_utf8_lossy(&got), expected);
}

/// RESP2's subscribed mode and RESP3's pushes, byte for byte: confirmations and their counts,
/// PING's array form, the refusal text, messages from channels, patterns and shard channels,
/// and RESET leaving everything.
fn subscribe_publish_bytes(backend: Backend) {
    let server = Server::start(backend);
    let (mut sub, mut sub3, mut publisher) = (server.raw(), server.raw(), server.raw());
    roundtrip(
        &mut sub,
        &["SUBSCRIBE", "a", "b"],
        &(frame(&["subscribe", "a", ":1"]) + &frame(&["subscribe", "b", ":2"])),
    );
    roundtrip(&mut sub, &["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    roundtrip(
        &mut sub,
        &["SET", "k", "v"],
        "-ERR Can't execute 'set': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    roundtrip(&mut sub, &["PSUBSCRIBE", "a*"], &frame(&["psubscribe", "a*", ":3"]));
    roundtrip(&mut sub, &["UNSUBSCRIBE", "b"], &frame(&["unsubscribe", "b", ":2"]));
    hello3(&mut sub3);
    roundtrip(&mut sub3, &["SSUBSCRIBE", "a"], &push(&["ssubscribe", "a", ":1"]));
    roundtrip(&mut sub3, &["SUBSCRIBE", "a"], &push(&["subscribe", "a", ":1"]));
    roundtrip(&mut sub3, &["GET", "k"], "_\r\n");

    roundtrip(&mut publisher, &["PUBLISH", "a", "hello"], ":3\r\n");
    expect(&mut sub, &(frame(&["message", "a", "hello"]) + &frame(&["pmessage", "a*", "a", "hello"])));
    expect(&mut sub3, &push(&["message", "a", "hello"]));
    roundtrip(&mut publisher, &["SPUBLISH", "a", "s"], ":1\r\n");
    expect(&mut sub3, &push(&["smessage", "a", "s"]));
    roundtrip(&mut publisher, &["PUBSUB", "NUMSUB", "a", "b"], "*4\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:0\r\n");
    roundtrip(&mut publisher, &["PUBSUB", "NUMPAT"], ":1\r\n");
    roundtrip(&mut publisher, &["PUBSUB", "SHARDNUMSUB", "a"], "*2\r\n$1\r\na\r\n:1\r\n");

    roundtrip(&mut sub, &["RESET"], "+RESET\r\n");
    roundtrip(&mut sub, &["PING"], "+PONG\r\n");
    roundtrip(&mut sub3, &["UNSUBSCRIBE"], &push(&["unsubscribe", "a", ":0"]));
    roundtrip(&mut sub3, &["PING"], "+PONG\r\n");
    roundtrip(&mut sub3, &["SUNSUBSCRIBE"], &push(&["sunsubscribe", "a", ":0"]));
    roundtrip(&mut publisher, &["PUBLISH", "a", "x"], ":0\r\n");
}

/// Keyspace notifications as Redis publishes them: keyspace before keyevent, only the enabled
/// classes, for list and sorted-set writes, lazy expiry and active expiry.
fn keyspace_notifications(backend: Backend) {
    let server = Server::start_with(backend, &["--enable-debug-command", "yes"]);
    let (mut sub, mut w) = (server.raw(), server.raw());
    roundtrip(&mut sub, &["PSUBSCRIBE", "__key*__:*"], &frame(&["psubscribe", "__key*__:*", ":1"]));
    let pm = |channel: &str, message: &str| frame(&["pmessage", "__key*__:*", channel, message]);
    let event = |key: &str, event: &str| {
        pm(&format!("__keyspace@0__:{key}"), event) + &pm(&format!("__keyevent@0__:{event}"), key)
    };
    roundtrip(&mut w, &["RPUSH", "off", "x"], ":1\r\n");
    roundtrip(&mut w, &["CONFIG", "SET", "notify-keyspace-events", "KElzx"], "+OK\r\n");
    roundtrip(
        &mut w,
        &["CONFIG", "GET", "notify-keyspace-events"],
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$5\r\nlzxKE\r\n",
    );
    roundtrip(&mut w, &["RPUSH", "l", "a", "b"], ":2\r\n");
    roundtrip(&mut w, &["LPUSH", "l", "c"], ":3\r\n");
    roundtrip(&mut w, &["ZADD", "z", "1", "m"], ":1\r\n");
    // `off` was pushed before the events were enabled: the first message is l's.
    expect(&mut sub, &(event("l", "rpush") + &event("l", "lpush") + &event("z", "zadd")));

    // Lazy expiry: with the active cycle off, the read finds the key expired.
    roundtrip(&mut w, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    roundtrip(&mut w, &["PEXPIRE", "l", "20"], ":1\r\n");
    std::thread::sleep(Duration::from_millis(60));
    roundtrip(&mut w, &["LLEN", "l"], ":0\r\n");
    expect(&mut sub, &event("l", "expired"));

    // Active expiry: nobody reads the key; the server's cycle removes it.
    roundtrip(&mut w, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"], "+OK\r\n");
    roundtrip(&mut w, &["PEXPIRE", "z", "20"], ":1\r\n");
    expect(&mut sub, &event("z", "expired"));
}

/// How many subscribers the fan-out test connects.
const FAN_OUT_SUBSCRIBERS: usize = 100;
/// How many messages it publishes.
const FAN_OUT_MESSAGES: usize = 50;

/// PUBLISH to 100 redis-rs subscribers reaches each of them, every message in publish order.
fn hundred_subscribers_fan_out(backend: Backend) {
    let server = Server::start(backend);
    let mut cons: Vec<redis::Connection> = (0..FAN_OUT_SUBSCRIBERS).map(|_| server.client()).collect();
    let mut subs: Vec<redis::PubSub<'_>> = cons.iter_mut().map(|c| c.as_pubsub()).collect();
    for sub in &mut subs {
        sub.subscribe("fan").expect("subscribe");
    }
    let mut publisher = server.client();
    for i in 0..FAN_OUT_MESSAGES {
        let receivers: usize = redis::cmd("PUBLISH").arg("fan").arg(format!("m{i}")).query(&mut publisher).unwrap();
        assert_eq!(receivers, FAN_OUT_SUBSCRIBERS);
    }
    for sub in &mut subs {
        for i in 0..FAN_OUT_MESSAGES {
            let message = sub.get_message().expect("message");
            assert_eq!(message.get_channel_name(), "fan");
            assert_eq!(message.get_payload::<String>().unwrap(), format!("m{i}"));
        }
    }
    drop(subs);
    let info: String = redis::cmd("INFO").arg("stats").query(&mut publisher).unwrap();
    assert!(info.contains("pubsub_channels:"), "{info}");
}

/// redis-py's `pubsub()`: subscribe, psubscribe, get_message, unsubscribe, through its own parser
/// (skipped by nothing: a missing module fails with the fix).
fn redis_py_pubsub(backend: Backend) {
    let server = Server::start(backend);
    let script = r#"
import sys, redis
r = redis.Redis(port=int(sys.argv[1]), protocol=int(sys.argv[2]))
p = r.pubsub()
p.subscribe("news")
p.psubscribe("n*")
assert p.get_message(timeout=5)["type"] == "subscribe"
assert p.get_message(timeout=5)["type"] == "psubscribe"
assert r.publish("news", "hi") == 2
got = [p.get_message(timeout=5) for _ in range(2)]
assert got[0] == {"type": "message", "pattern": None, "channel": b"news", "data": b"hi"}, got
assert got[1] == {"type": "pmessage", "pattern": b"n*", "channel": b"news", "data": b"hi"}, got
assert r.pubsub_numsub("news") == [(b"news", 1)]
assert r.pubsub_numpat() == 1
p.unsubscribe("news")
p.punsubscribe()
assert p.get_message(timeout=5)["type"] == "unsubscribe"
assert p.get_message(timeout=5)["type"] == "punsubscribe"
assert r.publish("news", "x") == 0
print("ok")
"#;
    for protocol in ["2", "3"] {
        let out = Command::new("python3")
            .args(["-c", script, &server.port().to_string(), protocol])
            .output()
            .expect("run python3");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("No module named 'redis'"),
            "redis-py is not installed: run ci/test, which installs it (pip install redis)"
        );
        assert!(out.status.success() && out.stdout == b"ok\n", "RESP{protocol}: {stderr}");
    }
}

/// The resident memory of process `pid`, in bytes (`VmRSS` of /proc/<pid>/status).
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS line");
    let kb: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS value");
    kb * 1024
}

/// How many file descriptors process `pid` holds open.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).expect("read /proc fd").count()
}

/// Size of each flooded message.
const FLOOD_MESSAGE_BYTES: usize = 64 * 1024;
/// Messages published per pipelined batch.
const FLOOD_BATCH: usize = 16;
/// Total bytes published: eight times the pubsub class's 32 MB hard limit.
const FLOOD_TOTAL_BYTES: usize = 256 * 1024 * 1024;
/// How much the server's RSS may grow while flooding: the 32 MB limit plus slack for buffers
/// and the allocator, far below what it would hold if the subscriber's output were kept.
const FLOOD_RSS_GROWTH_MAX: u64 = 96 * 1024 * 1024;

/// A subscriber that never reads is disconnected once its output passes the pubsub hard limit
/// (32 MB by default), with Redis's log line, and the server's memory stays bounded meanwhile.
fn a_subscriber_that_never_reads_is_disconnected(backend: Backend) {
    let server = Server::start(backend);
    let mut sub = server.raw();
    roundtrip(&mut sub, &["SUBSCRIBE", "flood"], &frame(&["subscribe", "flood", ":1"]));
    let mut publisher = server.raw();
    // Accepted (and counted among the descriptors) once it has an answer.
    roundtrip(&mut publisher, &["PING"], "+PONG\r\n");
    let baseline = rss_bytes(server.pid());
    let fds_before = open_fds(server.pid());
    let mut peak = baseline;
    let message = vec![b'x'; FLOOD_MESSAGE_BYTES];
    let batch: Vec<u8> = (0..FLOOD_BATCH).flat_map(|_| resp_command(&[b"PUBLISH", b"flood", &message])).collect();
    let mut receivers_seen = Vec::new();
    for _ in 0..FLOOD_TOTAL_BYTES / (FLOOD_MESSAGE_BYTES * FLOOD_BATCH) {
        publisher.send(&batch);
        // Each reply is `:1\r\n` or `:0\r\n` (after the disconnect).
        let replies = publisher.read_n(4 * FLOOD_BATCH);
        receivers_seen.extend(replies.chunks(4).map(|r| r[1]));
        peak = peak.max(rss_bytes(server.pid()));
    }
    assert_eq!(receivers_seen.first(), Some(&b'1'));
    assert_eq!(receivers_seen.last(), Some(&b'0'), "the subscriber was never disconnected");
    assert!(
        peak - baseline < FLOOD_RSS_GROWTH_MAX,
        "{backend:?} RSS grew by {} MB while flooding {} MB",
        (peak - baseline) >> 20,
        FLOOD_TOTAL_BYTES >> 20
    );
    roundtrip(&mut publisher, &["PUBSUB", "NUMSUB", "flood"], "*2\r\n$5\r\nflood\r\n:0\r\n");
    // The server closes the socket at once, not once the peer reads what was queued for it.
    let deadline = Instant::now() + common::REPLY_TIMEOUT;
    while open_fds(server.pid()) >= fds_before {
        assert!(Instant::now() < deadline, "the subscriber's socket is still open in the server");
        std::thread::sleep(Duration::from_millis(20));
    }
    // What the kernel still held arrives, then the end.
    let received = sub.read_until_closed();
    assert!(received.len() < FLOOD_TOTAL_BYTES / 2, "{} bytes reached the subscriber", received.len());
    let deadline = Instant::now() + common::REPLY_TIMEOUT;
    let line = "scheduled to be closed ASAP for overcoming of output buffer limits.";
    while !server.log().contains(line) {
        assert!(Instant::now() < deadline, "no output-limit log line:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let logged = server.log().lines().find(|l| l.contains(line)).unwrap().to_string();
    assert!(logged.contains(" flags=P ") && logged.contains(" sub=1 psub=0 ssub=0 "), "{logged}");
}

/// A request growing past `client-query-buffer-limit` gets its connection dropped (reset: its
/// input is left unread), with Redis's log line, and the server serves others.
fn a_request_over_the_query_buffer_limit_is_dropped(backend: Backend) {
    let server = Server::start(backend);
    let mut admin = server.raw();
    roundtrip(&mut admin, &["CONFIG", "SET", "client-query-buffer-limit", "1mb"], "+OK\r\n");
    let mut big = server.raw();
    big.send(b"*2\r\n$3\r\nSET\r\n$2000000\r\n");
    let value = vec![b'a'; 1_500_000];
    // The server may reset the connection before all of it is written.
    let _ = big.stream.write_all(&value);
    assert_eq!(big.read_until_closed(), b"");
    let prefix = "Closing client that reached max query buffer length: id=";
    let deadline = Instant::now() + common::REPLY_TIMEOUT;
    while !server.log().contains(prefix) {
        assert!(Instant::now() < deadline, "no query-limit log line:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let logged = server.log().lines().find(|l| l.contains(prefix)).unwrap().to_string();
    assert!(logged.contains(" cmd=NULL user=default redir=-1 resp=2 (qbuf initial bytes: \""), "{logged}");
    roundtrip(&mut admin, &["PING"], "+PONG\r\n");
}

on_both_backends!(
    a_request_over_the_query_buffer_limit_is_dropped,
    subscribe_publish_bytes,
    keyspace_notifications,
    hundred_subscribers_fan_out,
    redis_py_pubsub,
    a_subscriber_that_never_reads_is_disconnected,
);
