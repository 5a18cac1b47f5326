//! Streams over the wire: exact reply bytes in RESP2 and RESP3 (XREAD's map, XINFO's maps,
//! XPENDING's nulls), XREAD and XREADGROUP blocked on real connections and woken by XADD from
//! another one, a timeout, a blocking read inside MULTI, XGROUP DESTROY waking a group reader
//! with NOGROUP, and what the AOF receives for `*` IDs and group reads.
//!
//! Every test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`): the Redis run
//! proves the expected bytes are Redis's own.

mod common;

use std::time::{Duration, Instant};

use common::{resp_command, Backend, Raw, Server};

/// Sends `line` (split on spaces) without reading the reply.
fn send(raw: &mut Raw, line: &str) {
    let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    raw.send(&resp_command(&words));
}

/// Asserts the next bytes on `raw` are `expected`.
fn expect(raw: &mut Raw, expected: &str) {
    assert_eq!(String::from_utf8_lossy(&raw.read_n(expected.len())), expected);
}

/// Switches `raw` to RESP3; the HELLO reply (which names the server) is read and dropped up to
/// the PONG sent after it.
fn resp3(raw: &mut Raw) {
    send(raw, "HELLO 3");
    send(raw, "PING");
    let mut seen = Vec::new();
    while !seen.ends_with(b"+PONG\r\n") {
        seen.extend(raw.read_n(1));
    }
}

const RESP2_ROWS: &[(&str, &str)] = &[
    ("XADD s 1-1 a 1 b 2", "$3\r\n1-1\r\n"),
    ("XADD s 1-* c 3", "$3\r\n1-2\r\n"),
    ("XRANGE s (1-1 +", "*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
    ("XREAD COUNT 1 STREAMS s 0", "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    ("XREAD STREAMS s $", "*-1\r\n"),
    ("XGROUP CREATE s g $", "+OK\r\n"),
    ("XPENDING s g", "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"),
    (
        "XINFO GROUPS s",
        "*1\r\n*12\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-2\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n:0\r\n",
    ),
    ("XADD s 1-1 x y", "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
    ("XINFO STREAM nokey", "-ERR no such key\r\n"),
];

const RESP3_ROWS: &[(&str, &str)] = &[
    ("XREAD COUNT 1 STREAMS s 1-1", "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
    ("XREAD STREAMS s $", "_\r\n"),
    ("XPENDING s g", "*4\r\n:0\r\n_\r\n_\r\n_\r\n"),
    (
        "XINFO GROUPS s",
        "*1\r\n%6\r\n$4\r\nname\r\n$1\r\ng\r\n$9\r\nconsumers\r\n:0\r\n$7\r\npending\r\n:0\r\n$17\r\nlast-delivered-id\r\n$3\r\n1-2\r\n$12\r\nentries-read\r\n_\r\n$3\r\nlag\r\n:0\r\n",
    ),
];

fn replies_in_both_protocols(backend: Backend) {
    // Proves the reply bytes of each stream reply shape in RESP2, then in RESP3.
    let server = Server::start(backend);
    let mut raw = server.raw();
    raw.script(RESP2_ROWS);
    resp3(&mut raw);
    raw.script(RESP3_ROWS);
}

fn xadd_wakes_blocked_readers(backend: Backend) {
    // Proves a blocked XREAD on `$` and a blocked XREADGROUP on `>` both park (CLIENT LIST flag
    // `b`) and are served by another connection's XADD, each with the new entry only, and the
    // group reader's entry is pending for it.
    let server = Server::start(backend);
    let (mut reader, mut member, mut admin) = (server.raw(), server.raw(), server.raw());
    admin.script(&[("XADD s 1-1 old 1", "$3\r\n1-1\r\n"), ("XGROUP CREATE s g $", "+OK\r\n")]);
    send(&mut reader, "XREAD BLOCK 0 STREAMS s $");
    send(&mut member, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >");
    admin.wait_for_blocked(2);
    admin.step("XADD s 2-1 new 2", "$3\r\n2-1\r\n");
    let served = "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$3\r\nnew\r\n$1\r\n2\r\n";
    expect(&mut reader, served);
    expect(&mut member, served);
    admin.step("XPENDING s g - + 10 alice", "*1\r\n*4\r\n$3\r\n2-1\r\n$5\r\nalice\r\n");
}

fn timeouts_multi_and_destroyed_groups(backend: Backend) {
    // Proves BLOCK's timeout answers the null array after it, XREAD BLOCK inside MULTI answers
    // at once (a transaction may not block), and XGROUP DESTROY answers a reader blocked on the
    // group with NOGROUP.
    let server = Server::start(backend);
    let (mut reader, mut admin) = (server.raw(), server.raw());
    let start = Instant::now();
    reader.step("XREAD BLOCK 150 STREAMS s 0", "*-1\r\n");
    assert!(start.elapsed() >= Duration::from_millis(120), "answered after {:?}", start.elapsed());
    reader.script(&[
        ("MULTI", "+OK\r\n"),
        ("XREAD BLOCK 0 STREAMS s 0", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n*-1\r\n"),
        ("XREAD BLOCK -1 STREAMS s 0", "-ERR timeout is negative\r\n"),
        ("XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
    ]);
    send(&mut reader, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >");
    admin.wait_for_blocked(1);
    admin.step("XGROUP DESTROY s g", ":1\r\n");
    expect(&mut reader, "-NOGROUP the consumer group this client was blocked on no longer exists\r\n");
}

fn the_aof_gets_concrete_ids_and_claims(backend: Backend) {
    // Proves XADD `*` reaches the AOF with the ID it chose, and XREADGROUP as one XCLAIM per
    // delivered entry (never itself).
    let server = Server::start_with(backend, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut raw = server.raw();
    send(&mut raw, "XADD s * f v");
    let id = String::from_utf8(raw.read_bulk()).expect("an ID");
    raw.script(&[("XGROUP CREATE s g 0", "+OK\r\n")]);
    send(&mut raw, "XREADGROUP GROUP g alice STREAMS s >");
    let served = format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n${}\r\n{id}\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n", id.len());
    expect(&mut raw, &served);
    let incr = std::fs::read(server.dir().join("appendonlydir/appendonly.aof.1.incr.aof")).expect("the incr file");
    let text = String::from_utf8_lossy(&incr).replace("\r\n", " ");
    let prefix = format!(
        "*2 $6 SELECT $1 0 *5 $4 XADD $1 s ${} {id} $1 f $1 v *5 $6 XGROUP $6 CREATE $1 s $1 g $1 0 *14 $6 XCLAIM $1 s $1 g $5 alice $1 0 ${} {id} $4 TIME ",
        id.len(),
        id.len()
    );
    assert!(text.starts_with(&prefix), "{text}");
    assert!(text.ends_with(&format!("$10 RETRYCOUNT $1 1 $5 FORCE $6 JUSTID $6 LASTID ${} {id} ", id.len())), "{text}");
}

on_both_backends!(
    replies_in_both_protocols,
    xadd_wakes_blocked_readers,
    timeouts_multi_and_destroyed_groups,
    the_aof_gets_concrete_ids_and_claims
);
