//! The geo commands over the wire: exact reply bytes in RESP2 and RESP3 (coordinates are RESP3
//! doubles printed `%.17Lf`-style, distances bulk strings, hashes integers, missing members null
//! arrays) and what the AOF receives. Keyspace events are checked in the engine
//! (`cmd::geo::tests`), as verdis has no PSUBSCRIBE yet.
//!
//! Every test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`): the Redis run
//! proves the expected bytes are Redis's own.

mod common;

use common::{resp_command, Backend, Raw, Server};

/// `line` split on spaces as one RESP request.
fn request(line: &str) -> Vec<u8> {
    let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    resp_command(&words)
}

/// Switches `raw` to RESP3; the HELLO reply (which names the server) is read and dropped up to
/// the PONG sent after it.
fn resp3(raw: &mut Raw) {
    raw.send(&[request("HELLO 3"), request("PING")].concat());
    let mut seen = Vec::new();
    while !seen.ends_with(b"+PONG\r\n") {
        seen.extend(raw.read_n(1));
    }
}

/// Each row: a command and the exact bytes of its reply.
const RESP2_ROWS: &[(&str, &str)] = &[
    ("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2\r\n"),
    ("GEOPOS g Palermo nope", "*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"),
    ("GEODIST g Palermo Catania km", "$8\r\n166.2742\r\n"),
    ("GEODIST g Palermo nope", "$-1\r\n"),
    ("GEOHASH g Catania nope", "*2\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n"),
    (
        "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC COUNT 1 WITHCOORD WITHDIST WITHHASH",
        "*1\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n",
    ),
    ("GEORADIUS g 15 37 200 km STOREDIST d", ":2\r\n"),
    ("GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km", "*0\r\n"),
    ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ANY", "-ERR the ANY argument requires COUNT argument\r\n"),
];

/// The same commands' RESP3 bytes where they differ.
const RESP3_ROWS: &[(&str, &str)] = &[
    ("GEOPOS g Palermo nope", "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n"),
    ("GEODIST g Palermo nope", "_\r\n"),
    (
        "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC COUNT 1 WITHCOORD WITHDIST WITHHASH",
        "*1\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n",
    ),
];

fn replies_in_both_protocols(backend: Backend) {
    // Proves the reply bytes of each geo reply shape in RESP2, then in RESP3.
    let server = Server::start(backend);
    let mut raw = server.raw();
    for (line, reply) in RESP2_ROWS {
        raw.roundtrip(&request(line), reply.as_bytes());
    }
    resp3(&mut raw);
    for (line, reply) in RESP3_ROWS {
        raw.roundtrip(&request(line), reply.as_bytes());
    }
}

fn aof_holds_what_redis_writes(backend: Backend) {
    // Proves what reaches the AOF: GEOADD as the `zadd` it runs (scores as integers), a STORE
    // form as called, and a search that stores nothing into a missing key not at all.
    let server = Server::start_with(backend, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut raw = server.raw();
    raw.roundtrip(&request("GEOADD g CH 1 1 a 2 2 b"), b":2\r\n");
    raw.roundtrip(&request("GEOADD g 1 1 a"), b":0\r\n");
    raw.roundtrip(&request("GEORADIUS g 1 1 500 km STORE d"), b":2\r\n");
    raw.roundtrip(&request("GEOSEARCHSTORE e g FROMLONLAT 50 50 BYRADIUS 1 m"), b":0\r\n");
    let incr = std::fs::read(server.dir().join("appendonlydir/appendonly.aof.1.incr.aof")).expect("the incr file");
    let text = String::from_utf8_lossy(&incr).replace("\r\n", " ");
    assert_eq!(
        text,
        "*2 $6 SELECT $1 0 *7 $4 zadd $1 g $2 CH $16 3377822707026402 $1 a $16 3378191666521995 $1 b \
         *8 $9 GEORADIUS $1 g $1 1 $1 1 $3 500 $2 km $5 STORE $1 d "
    );
}

on_both_backends!(replies_in_both_protocols, aof_holds_what_redis_writes);
