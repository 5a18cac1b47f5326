//! Blocking list commands with several real client connections: a blocked client woken by
//! another's push, timeouts, FIFO order among clients blocked on one key, a disconnect while
//! blocked, CLIENT UNBLOCK, and input pipelined behind a blocking command; blocking sorted-set
//! pops (BZPOPMIN, BZPOPMAX, BZMPOP) woken by ZADD but never by a list push.
//!
//! Each test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`), so every
//! expectation is Redis 7.0's own behaviour.

mod common;

use std::time::{Duration, Instant};

use common::{resp_command, Backend, Raw, Server};

/// How many CLIENT LIST probes a test makes while waiting for clients to block.
const BLOCK_PROBES_MAX: u32 = 500;
/// Pause between two probes.
const BLOCK_PROBE_PAUSE: Duration = Duration::from_millis(10);

/// Sends one command without reading its reply.
fn send(conn: &mut Raw, args: &[&str]) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    conn.send(&resp_command(&args));
}

/// Sends one command and asserts its exact reply.
fn roundtrip(conn: &mut Raw, args: &[&str], expected: &str) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    conn.roundtrip(&resp_command(&args), expected.as_bytes());
}

/// Waits until exactly `n` connections show `cmd` as their current or last command in CLIENT
/// LIST (a blocking command shows there once the server has parked it; a closed connection
/// leaves the list once the server has dropped it).
fn wait_for_clients_in(admin: &mut Raw, cmd: &str, n: usize) {
    for _ in 0..BLOCK_PROBES_MAX {
        send(admin, &["CLIENT", "LIST"]);
        let list = read_bulk(admin);
        if list.lines().filter(|l| l.contains(&format!(" cmd={cmd} "))).count() == n {
            return;
        }
        std::thread::sleep(BLOCK_PROBE_PAUSE);
    }
    panic!("{n} clients never showed cmd={cmd}");
}

/// Reads one bulk string reply.
fn read_bulk(conn: &mut Raw) -> String {
    String::from_utf8_lossy(&conn.read_bulk()).into_owned()
}

/// Asserts the next bytes on `conn` are `expected`.
fn expect(conn: &mut Raw, expected: &str) {
    assert_eq!(String::from_utf8_lossy(&conn.read_n(expected.len())), expected);
}

fn a_push_wakes_a_blocked_client(backend: Backend) {
    // Proves BLPOP parks (CLIENT LIST flag `b`) until another connection pushes, then answers
    // [key, element], and the element is gone from the list.
    let server = Server::start(backend);
    let (mut waiter, mut pusher) = (server.raw(), server.raw());
    send(&mut waiter, &["BLPOP", "a", "k", "0"]);
    wait_for_clients_in(&mut pusher, "blpop", 1);
    send(&mut pusher, &["CLIENT", "LIST"]);
    let list = read_bulk(&mut pusher);
    assert_eq!(list.lines().filter(|l| l.contains(" flags=b ")).count(), 1, "{list}");
    roundtrip(&mut pusher, &["RPUSH", "k", "v1", "v2"], ":2\r\n");
    expect(&mut waiter, "*2\r\n$1\r\nk\r\n$2\r\nv1\r\n");
    roundtrip(&mut pusher, &["LRANGE", "k", "0", "-1"], "*1\r\n$2\r\nv2\r\n");
}

fn blocked_clients_are_served_in_order(backend: Backend) {
    // Proves FIFO fairness: the client that blocked first gets the first element, the second the
    // next, and a BLMOVE waiter's push serves a client blocked on its destination.
    let server = Server::start(backend);
    let (mut first, mut second, mut mover, mut chained, mut pusher) =
        (server.raw(), server.raw(), server.raw(), server.raw(), server.raw());
    send(&mut first, &["BRPOP", "k", "0"]);
    wait_for_clients_in(&mut pusher, "brpop", 1);
    send(&mut second, &["BLPOP", "k", "0"]);
    wait_for_clients_in(&mut pusher, "blpop", 1);
    send(&mut chained, &["BLMPOP", "0", "1", "dst", "LEFT", "COUNT", "5"]);
    wait_for_clients_in(&mut pusher, "blmpop", 1);
    send(&mut mover, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    wait_for_clients_in(&mut pusher, "blmove", 1);
    roundtrip(&mut pusher, &["RPUSH", "k", "1", "2", "3"], ":3\r\n");
    expect(&mut first, "*2\r\n$1\r\nk\r\n$1\r\n3\r\n");
    expect(&mut second, "*2\r\n$1\r\nk\r\n$1\r\n1\r\n");
    roundtrip(&mut pusher, &["LRANGE", "k", "0", "-1"], "*1\r\n$1\r\n2\r\n");
    roundtrip(&mut pusher, &["LPUSH", "src", "m"], ":1\r\n");
    expect(&mut mover, "$1\r\nm\r\n");
    expect(&mut chained, "*2\r\n$3\r\ndst\r\n*1\r\n$1\r\nm\r\n");
    roundtrip(&mut pusher, &["EXISTS", "src", "dst"], ":0\r\n");
}

fn timeouts_answer_the_null_array(backend: Backend) {
    // Proves a fractional timeout is honoured (no reply before it, the null array after it),
    // for BLPOP and for BLMOVE alike.
    let server = Server::start(backend);
    let mut waiter = server.raw();
    let start = Instant::now();
    roundtrip(&mut waiter, &["BLPOP", "k", "0.3"], "*-1\r\n");
    assert!(start.elapsed() >= Duration::from_millis(250), "answered after {:?}", start.elapsed());
    let start = Instant::now();
    roundtrip(&mut waiter, &["BLMOVE", "k", "d", "LEFT", "LEFT", "0.1"], "*-1\r\n");
    assert!(start.elapsed() >= Duration::from_millis(80), "answered after {:?}", start.elapsed());
    roundtrip(&mut waiter, &["BLPOP", "k", "-1"], "-ERR timeout is negative\r\n");
}

fn a_disconnected_waiter_is_forgotten(backend: Backend) {
    // Proves a client that disconnects while blocked is dropped from the queue: the next waiter
    // gets the element and nothing is lost.
    let server = Server::start(backend);
    let (mut gone, mut waiter, mut pusher) = (server.raw(), server.raw(), server.raw());
    send(&mut gone, &["BLPOP", "k", "0"]);
    wait_for_clients_in(&mut pusher, "blpop", 1);
    drop(gone);
    wait_for_clients_in(&mut pusher, "blpop", 0);
    send(&mut waiter, &["BRPOP", "k", "0"]);
    wait_for_clients_in(&mut pusher, "brpop", 1);
    roundtrip(&mut pusher, &["RPUSH", "k", "x"], ":1\r\n");
    expect(&mut waiter, "*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
    roundtrip(&mut pusher, &["LLEN", "k"], ":0\r\n");
}

fn client_unblock_and_pipelined_input(backend: Backend) {
    // Proves CLIENT UNBLOCK with TIMEOUT and ERROR, its 0 for a client that is not blocked, and
    // that a command pipelined behind a blocking one runs only after it is unblocked.
    let server = Server::start(backend);
    let (mut waiter, mut admin) = (server.raw(), server.raw());
    send(&mut waiter, &["CLIENT", "ID"]);
    let mut id = String::new();
    while !id.ends_with("\r\n") {
        id.push(waiter.read_n(1)[0] as char);
    }
    let id = id.trim_start_matches(':').trim_end().to_string();
    let mut pipeline = resp_command(&[b"BLPOP", b"k", b"0"]);
    pipeline.extend(resp_command(&[b"PING"]));
    waiter.send(&pipeline);
    wait_for_clients_in(&mut admin, "blpop", 1);
    roundtrip(&mut admin, &["CLIENT", "UNBLOCK", &id], ":1\r\n");
    expect(&mut waiter, "*-1\r\n+PONG\r\n");
    roundtrip(&mut admin, &["CLIENT", "UNBLOCK", &id], ":0\r\n");
    send(&mut waiter, &["BRPOPLPUSH", "k", "d", "0"]);
    wait_for_clients_in(&mut admin, "brpoplpush", 1);
    roundtrip(&mut admin, &["CLIENT", "UNBLOCK", &id, "ERROR"], ":1\r\n");
    expect(&mut waiter, "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    roundtrip(
        &mut admin,
        &["CLIENT", "UNBLOCK", &id, "FOO"],
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
    );
}

fn type_changes_and_wrong_destinations(backend: Backend) {
    // Proves a waited key that gets another type leaves its waiter parked until the key is a
    // list again; a BLMOVE woken onto a destination of another type answers WRONGTYPE and leaves
    // the element in place; RESP3 clients time out with `_`.
    let server = Server::start(backend);
    let (mut waiter, mut mover, mut other) = (server.raw(), server.raw(), server.raw());
    send(&mut waiter, &["BLPOP", "k", "0"]);
    wait_for_clients_in(&mut other, "blpop", 1);
    roundtrip(&mut other, &["SET", "k", "v"], "+OK\r\n");
    roundtrip(&mut other, &["DEL", "k"], ":1\r\n");
    roundtrip(&mut other, &["RPUSH", "k", "x"], ":1\r\n");
    expect(&mut waiter, "*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
    roundtrip(&mut other, &["SET", "str", "v"], "+OK\r\n");
    send(&mut mover, &["BLMOVE", "src", "str", "LEFT", "LEFT", "0"]);
    wait_for_clients_in(&mut other, "blmove", 1);
    roundtrip(&mut other, &["RPUSH", "src", "e"], ":1\r\n");
    expect(&mut mover, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    roundtrip(&mut other, &["LRANGE", "src", "0", "-1"], "*1\r\n$1\r\ne\r\n");
    let mut hello = resp_command(&[b"HELLO", b"3"]);
    hello.extend(resp_command(&[b"BLPOP", b"nokey", b"0.05"]));
    waiter.send(&hello);
    let mut got = Vec::new();
    while !got.ends_with(b"_\r\n") {
        got.extend(waiter.read_n(1));
    }
}

fn zadd_wakes_a_blocked_zset_pop(backend: Backend) {
    // Proves BZPOPMIN and BZMPOP park until another connection's ZADD, then answer
    // [key, member, score] and [key, [[member, score]...]] in FIFO order, popping the members.
    let server = Server::start(backend);
    let (mut min, mut mpop, mut adder) = (server.raw(), server.raw(), server.raw());
    send(&mut min, &["BZPOPMIN", "a", "z", "0"]);
    wait_for_clients_in(&mut adder, "bzpopmin", 1);
    send(&mut mpop, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]);
    wait_for_clients_in(&mut adder, "bzmpop", 1);
    roundtrip(&mut adder, &["ZADD", "z", "1", "x", "2.5", "y", "3", "w", "4", "v"], ":4\r\n");
    expect(&mut min, "*3\r\n$1\r\nz\r\n$1\r\nx\r\n$1\r\n1\r\n");
    expect(&mut mpop, "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nv\r\n$1\r\n4\r\n*2\r\n$1\r\nw\r\n$1\r\n3\r\n");
    roundtrip(&mut adder, &["ZRANGE", "z", "0", "-1"], "*1\r\n$1\r\ny\r\n");
}

fn zset_pop_timeouts_in_resp2_and_resp3(backend: Backend) {
    // Proves BZPOPMIN/BZPOPMAX/BZMPOP time out with `*-1` in RESP2 and `_` in RESP3, after the
    // timeout, and that a RESP3 client gets the score as a double.
    let server = Server::start(backend);
    let (mut waiter, mut other) = (server.raw(), server.raw());
    let start = Instant::now();
    roundtrip(&mut waiter, &["BZPOPMIN", "k", "0.2"], "*-1\r\n");
    assert!(start.elapsed() >= Duration::from_millis(150), "answered after {:?}", start.elapsed());
    roundtrip(&mut waiter, &["BZMPOP", "0.05", "1", "k", "MIN"], "*-1\r\n");
    roundtrip(&mut waiter, &["BZPOPMAX", "k", "-1"], "-ERR timeout is negative\r\n");
    let mut hello = resp_command(&[b"HELLO", b"3"]);
    hello.extend(resp_command(&[b"BZPOPMAX", b"k", b"0.05"]));
    waiter.send(&hello);
    let mut got = Vec::new();
    while !got.ends_with(b"_\r\n") {
        got.extend(waiter.read_n(1));
    }
    roundtrip(&mut waiter, &["BZMPOP", "0.05", "1", "k", "MAX"], "_\r\n");
    roundtrip(&mut other, &["ZADD", "k", "1.5", "m"], ":1\r\n");
    roundtrip(&mut waiter, &["BZPOPMIN", "k", "0"], "*3\r\n$1\r\nk\r\n$1\r\nm\r\n,1.5\r\n");
}

fn list_and_zset_waiters_wake_only_for_their_type(backend: Backend) {
    // Proves a list push does not wake a BZPOPMIN waiter and a ZADD does not wake a BLPOP
    // waiter, even when both wait on the same key: each is served when the key holds its type.
    let server = Server::start(backend);
    let (mut lists, mut zsets, mut other) = (server.raw(), server.raw(), server.raw());
    send(&mut lists, &["BLPOP", "k", "0"]);
    wait_for_clients_in(&mut other, "blpop", 1);
    send(&mut zsets, &["BZPOPMIN", "k", "z", "0"]);
    wait_for_clients_in(&mut other, "bzpopmin", 1);
    roundtrip(&mut other, &["ZADD", "k", "7", "m"], ":1\r\n");
    expect(&mut zsets, "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n7\r\n");
    send(&mut zsets, &["BZPOPMIN", "k", "z", "0"]);
    wait_for_clients_in(&mut other, "bzpopmin", 1);
    roundtrip(&mut other, &["RPUSH", "k", "x"], ":1\r\n");
    expect(&mut lists, "*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
    roundtrip(&mut other, &["RPUSH", "z", "y"], ":1\r\n");
    roundtrip(&mut other, &["LRANGE", "z", "0", "-1"], "*1\r\n$1\r\ny\r\n");
    send(&mut lists, &["BLPOP", "l", "0"]);
    wait_for_clients_in(&mut other, "blpop", 1);
    roundtrip(&mut other, &["ZADD", "l", "1", "a"], ":1\r\n");
    roundtrip(&mut other, &["ZCARD", "l"], ":1\r\n");
    roundtrip(&mut other, &["DEL", "l", "z"], ":2\r\n");
    roundtrip(&mut other, &["RPUSH", "l", "e"], ":1\r\n");
    expect(&mut lists, "*2\r\n$1\r\nl\r\n$1\r\ne\r\n");
    roundtrip(&mut other, &["ZADD", "z", "2", "b"], ":1\r\n");
    expect(&mut zsets, "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

fn any_command_creating_the_key_wakes_a_waiter(backend: Backend) {
    // Proves a blocked client wakes when any command creates its key, not only a push or ZADD:
    // RENAME, MOVE, COPY, SORT ... STORE and RESTORE for BLPOP, ZUNIONSTORE and ZRANGESTORE
    // for BZPOPMIN (Redis's dbAdd readies every key it adds). Each waiter is parked (flag `b`)
    // before the command runs, so it can only be served by the wake.
    let server = Server::start(backend);
    let mut other = server.raw();
    roundtrip(&mut other, &["RPUSH", "src", "v"], ":1\r\n");
    send(&mut other, &["DUMP", "src"]);
    let payload = other.read_bulk();
    roundtrip(&mut other, &["ZADD", "z", "1", "m"], ":1\r\n");
    let list_served = "*2\r\n$1\r\nk\r\n$1\r\nv\r\n";
    let zset_served = "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n";
    let cases: &[(&str, &[&[&str]], &str)] = &[
        ("BLPOP", &[&["COPY", "src", "k2"], &["RENAME", "k2", "k"]], list_served),
        (
            "BLPOP",
            &[&["COPY", "src", "k", "DB", "1"], &["SELECT", "1"], &["MOVE", "k", "0"], &["SELECT", "0"]],
            list_served,
        ),
        ("BLPOP", &[&["COPY", "src", "k"]], list_served),
        ("BLPOP", &[&["SORT", "src", "ALPHA", "STORE", "k"]], list_served),
        ("BLPOP", &[&["RESTORE", "k", "0", "<payload>"]], list_served),
        ("BZPOPMIN", &[&["ZUNIONSTORE", "k", "1", "z"]], zset_served),
        ("BZPOPMIN", &[&["ZRANGESTORE", "k", "z", "0", "-1"]], zset_served),
    ];
    for (blocking, commands, served) in cases {
        let mut waiter = server.raw();
        send(&mut waiter, &[blocking, "k", "0"]);
        other.wait_for_blocked(1);
        for command in *commands {
            let argv: Vec<&[u8]> =
                command.iter().map(|a| if *a == "<payload>" { &payload[..] } else { a.as_bytes() }).collect();
            other.send(&resp_command(&argv));
            let mut reply = Vec::new();
            while !reply.ends_with(b"\r\n") {
                reply.extend(other.read_n(1));
            }
            assert!(matches!(reply[0], b'+' | b':'), "{command:?} replied {}", String::from_utf8_lossy(&reply));
        }
        expect(&mut waiter, served);
        roundtrip(&mut other, &["EXISTS", "k"], ":0\r\n");
    }
}

on_both_backends!(
    any_command_creating_the_key_wakes_a_waiter,
    zadd_wakes_a_blocked_zset_pop,
    zset_pop_timeouts_in_resp2_and_resp3,
    list_and_zset_waiters_wake_only_for_their_type,
    type_changes_and_wrong_destinations,
    a_push_wakes_a_blocked_client,
    blocked_clients_are_served_in_order,
    timeouts_answer_the_null_array,
    a_disconnected_waiter_is_forgotten,
    client_unblock_and_pipelined_input,
);
