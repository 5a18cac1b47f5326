//! Client-side caching, MONITOR and CLIENT PAUSE with real connections: RESP3 invalidation
//! pushes (after the writer's own reply), NOLOOP, OPTIN with CLIENT CACHING, BCAST prefixes,
//! flush invalidation, the option errors and TRACKINGINFO; MONITOR's lines; CLIENT PAUSE WRITE
//! holding a write until the pause ends while reads go on.
//!
//! Each test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`), so every
//! expectation is Redis 7.0's own behaviour.

mod common;

use std::time::{Duration, Instant};

use common::{resp_command, Backend, Raw, Server};

/// Asserts the next bytes `conn` receives without sending anything.
fn expect(conn: &mut Raw, expected: &str) {
    let got = conn.read_n(expected.len());
    assert_eq!(String::from_utf8_lossy(&got), expected);
}

const HELLO3_PREFIX: &str = "%7\r\n$6\r\nserver\r\n";

/// Switches `conn` to RESP3 and discards HELLO's map.
fn hello3(conn: &mut Raw) {
    let args: Vec<&[u8]> = vec![b"HELLO", b"3"];
    conn.send(&resp_command(&args));
    expect(conn, HELLO3_PREFIX);
    // The rest of the map: six more pairs, each a bulk key and a simple value or array.
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("modules\r\n*0\r\n") {
        seen.extend(conn.read_n(1));
    }
}

fn invalidation_in_default_mode(backend: Backend) {
    // Proves a RESP3 tracking client gets one invalidate push per key another client changes,
    // its own change's push after its reply, none for keys it never read, a null push on FLUSHALL,
    // and nothing for its own changes with NOLOOP.
    let server = Server::start(backend);
    let (mut a, mut b) = (server.raw(), server.raw());
    hello3(&mut a);
    a.script(&[("CLIENT TRACKING ON", "+OK\r\n"), ("GET k", "_\r\n"), ("MGET x y", "*2\r\n_\r\n_\r\n")]);
    b.step("SET k 1", "+OK\r\n");
    expect(&mut a, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    b.step("MSET x 1 y 2 z 3", "+OK\r\n");
    expect(&mut a, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nx\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ny\r\n");
    a.step("GET k", "$1\r\n1\r\n");
    a.step("SET k 2", "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    a.step("GET k", "$1\r\n2\r\n");
    b.step("FLUSHALL", "+OK\r\n");
    expect(&mut a, ">2\r\n$10\r\ninvalidate\r\n_\r\n");
    a.script(&[
        ("CLIENT TRACKING ON NOLOOP", "+OK\r\n"),
        ("GET k", "_\r\n"),
        ("SET k 3", "+OK\r\n"),
        ("PING", "+PONG\r\n"),
    ]);
    a.step(
        "CLIENT TRACKINGINFO",
        "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
    );
    a.step("CLIENT GETREDIR", ":0\r\n");
}

fn optin_bcast_and_errors(backend: Backend) {
    // Proves OPTIN tracks only the command after CLIENT CACHING yes, BCAST invalidates keys
    // under its prefixes only, and the option errors and TRACKINGINFO are Redis's.
    let server = Server::start(backend);
    let (mut a, mut b) = (server.raw(), server.raw());
    hello3(&mut a);
    a.script(&[
            ("CLIENT TRACKING ON PREFIX a", "-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
            ("CLIENT TRACKING ON OPTIN OPTOUT", "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
            ("CLIENT TRACKING ON BCAST OPTIN", "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
            ("CLIENT TRACKING ON REDIRECT 999999", "-ERR The client ID you want redirect to does not exist\r\n"),
            (
                "CLIENT TRACKING ON BCAST PREFIX ab PREFIX a",
                "-ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.\r\n",
            ),
            (
                "CLIENT CACHING YES",
                "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n",
            ),
            ("CLIENT GETREDIR", ":-1\r\n"),
            ("CLIENT TRACKINGINFO", "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"),
            ("CLIENT TRACKING ON OPTIN", "+OK\r\n"),
            ("GET o1", "_\r\n"),
            ("CLIENT CACHING YES", "+OK\r\n"),
            ("GET o2", "_\r\n"),
            ("CLIENT CACHING NO", "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"),
        ],
    );
    b.step("MSET o1 1 o2 2", "+OK\r\n");
    expect(&mut a, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\no2\r\n");
    a.script(&[
            ("CLIENT TRACKING OFF", "+OK\r\n"),
            ("CLIENT TRACKING ON BCAST PREFIX us", "+OK\r\n"),
            (
                "CLIENT TRACKING ON",
                "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n",
            ),
            (
                "CLIENT TRACKINGINFO",
                "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*1\r\n$2\r\nus\r\n",
            ),
        ],
    );
    b.step("SET other 1", "+OK\r\n");
    b.step("SET user:1 x", "+OK\r\n");
    expect(&mut a, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n");
}

fn redirect_to_a_resp2_subscriber(backend: Backend) {
    // Proves REDIRECT sends RESP2 invalidations as messages on __redis__:invalidate to the
    // subscribed redirect client (a null payload on FLUSHDB), and CLIENT GETREDIR and
    // TRACKINGINFO report the redirect.
    let server = Server::start(backend);
    let (mut r, mut c, mut w) = (server.raw(), server.raw(), server.raw());
    let args: Vec<&[u8]> = vec![b"CLIENT", b"ID"];
    r.send(&resp_command(&args));
    let mut id = Vec::new();
    while !id.ends_with(b"\r\n") {
        id.extend(r.read_n(1));
    }
    let id = String::from_utf8(id[1..id.len() - 2].to_vec()).unwrap();
    r.step("SUBSCRIBE __redis__:invalidate", "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    c.script(&[
        (&format!("CLIENT TRACKING ON REDIRECT {id}"), "+OK\r\n"),
        ("GET k", "$-1\r\n"),
        ("CLIENT GETREDIR", &format!(":{id}\r\n")),
    ]);
    let info = format!("*6\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$8\r\nredirect\r\n:{id}\r\n$8\r\nprefixes\r\n*0\r\n");
    c.step("CLIENT TRACKINGINFO", &info);
    w.step("SET k 1", "+OK\r\n");
    expect(&mut r, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n");
    w.step("FLUSHDB", "+OK\r\n");
    expect(&mut r, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
}

fn monitor_lines(backend: Backend) {
    // Proves MONITOR shows executed commands after they ran (SELECT with its new database), with
    // quoting, but not admin or unknown commands, and a transaction's commands at EXEC; and a
    // monitor may not touch the keyspace. (AUTH's redaction: the unit test in node/monitor.rs.)
    let server = Server::start(backend);
    let (mut m, mut a) = (server.raw(), server.raw());
    m.step("MONITOR", "+OK\r\n");
    for line in ["SET k v\"", "SELECT 3", "CONFIG GET port", "NOSUCH", "MULTI", "GET x", "EXEC"] {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        a.send(&resp_command(&args));
        // Each reply is read before the next command, so the monitor lines come in order.
        let mut reply = Vec::new();
        let mut buf = [0u8; 256];
        while reply.is_empty() || !reply.ends_with(b"\r\n") {
            let n = std::io::Read::read(&mut a.stream, &mut buf).expect("reply");
            reply.extend_from_slice(&buf[..n]);
        }
    }
    let expected = [
        "[0 ADDR] \"SET\" \"k\" \"v\\\"\"",
        "[3 ADDR] \"SELECT\" \"3\"",
        "[3 ADDR] \"MULTI\"",
        "[3 ADDR] \"GET\" \"x\"",
        "[3 ADDR] \"EXEC\"",
    ];
    let addr = a.stream.local_addr().unwrap().to_string();
    for want in expected {
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            line.extend(m.read_n(1));
        }
        let line = String::from_utf8(line).unwrap();
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert!(stamp.starts_with('+') && stamp.contains('.') && stamp.len() == 18, "{line}");
        assert_eq!(rest.trim_end(), want.replace("ADDR", &addr));
    }
    m.step("GET k", "-ERR Replica can't interact with the keyspace\r\n");
}

fn pause_write_holds_writes(backend: Backend) {
    // Proves CLIENT PAUSE WRITE lets reads through at once, holds a write until the pause ends
    // (the write then runs), and the argument errors are Redis's.
    let server = Server::start(backend);
    let (mut a, mut b) = (server.raw(), server.raw());
    a.script(&[
        ("CLIENT PAUSE x", "-ERR timeout is not an integer or out of range\r\n"),
        ("CLIENT PAUSE -1", "-ERR timeout is negative\r\n"),
        ("CLIENT PAUSE 100 MAYBE", "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
        ("CLIENT PAUSE 400 WRITE", "+OK\r\n"),
    ]);
    let start = Instant::now();
    b.step("GET k", "$-1\r\n");
    assert!(start.elapsed() < Duration::from_millis(300));
    b.step("SET k v", "+OK\r\n");
    assert!(start.elapsed() >= Duration::from_millis(300), "{:?}", start.elapsed());
    a.script(&[("GET k", "$1\r\nv\r\n"), ("CLIENT PAUSE 10000", "+OK\r\n")]);
    let args: Vec<&[u8]> = vec![b"GET", b"k"];
    b.send(&resp_command(&args));
    std::thread::sleep(Duration::from_millis(100));
    a.step("CLIENT UNPAUSE", "+OK\r\n");
    expect(&mut b, "$1\r\nv\r\n");
}

on_both_backends!(
    invalidation_in_default_mode,
    optin_bcast_and_errors,
    redirect_to_a_resp2_subscriber,
    monitor_lines,
    pause_write_holds_writes
);
