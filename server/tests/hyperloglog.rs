//! HyperLogLog over the wire: the same bodies run on verdis and on real Redis (`on_verdis::`,
//! `on_redis::`), so every expected reply and byte below is one Redis gives; and HLL values cross
//! between the two servers (GET/SET and DUMP/RESTORE) and keep working on the other side.

mod common;

use common::{resp_command, Backend, Raw, Server};
use redis::Connection;

/// GET of `PFADD h a b c` then `PFCOUNT h` (the count cached in the header), from Redis 7.0.15.
const ABC_COUNTED: &[u8] = b"HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ";

/// Adds `e<first>` .. `e<last>` to `key`, 500 elements per PFADD.
fn add_range(con: &mut Connection, key: &str, first: u32, last: u32) {
    let elements: Vec<String> = (first..=last).map(|n| format!("e{n}")).collect();
    for chunk in elements.chunks(500) {
        let _: i64 = redis::cmd("PFADD").arg(key).arg(chunk).query(con).expect("PFADD");
    }
}

/// Sends `args` and asserts the reply is exactly the RESP text `expected`.
fn check(raw: &mut Raw, args: &[&[u8]], expected: &str) {
    raw.roundtrip(&resp_command(args), expected.as_bytes());
}

fn get(con: &mut Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(con).expect("GET")
}

/// Replies, bytes, counts, encodings and errors as Redis 7.0.15 gives them.
fn replies_and_bytes(backend: Backend) {
    let server = Server::start(backend);
    let (mut con, mut raw) = (server.client(), server.raw());
    check(&mut raw, &[b"PFADD", b"h", b"a", b"b", b"c"], ":1\r\n");
    check(&mut raw, &[b"PFCOUNT", b"h"], ":3\r\n");
    assert_eq!(get(&mut con, "h"), ABC_COUNTED);
    check(&mut raw, &[b"PFDEBUG", b"DECODE", b"h"], "$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n");
    add_range(&mut con, "big", 1, 5000);
    check(&mut raw, &[b"PFDEBUG", b"ENCODING", b"big"], "+dense\r\n");
    check(&mut raw, &[b"PFCOUNT", b"big"], ":4968\r\n");
    check(&mut raw, &[b"PFMERGE", b"m", b"h", b"big"], "+OK\r\n");
    check(&mut raw, &[b"PFCOUNT", b"h", b"big", b"nokey"], ":4972\r\n");
    check(&mut raw, &[b"PFCOUNT", b"m"], ":4972\r\n");
    check(&mut raw, &[b"SET", b"s", b"foo"], "+OK\r\n");
    check(&mut raw, &[b"PFADD", b"s", b"x"], "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
    let cut = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f";
    check(&mut raw, &[b"SET", b"cut", cut], "+OK\r\n");
    check(&mut raw, &[b"PFCOUNT", b"cut"], "-INVALIDOBJ Corrupted HLL object detected\r\n");
    check(&mut raw, &[b"PFDEBUG", b"GETREG", b"nokey"], "-ERR The specified key does not exist\r\n");
    // A refused count leaves the value as it was.
    assert_eq!(get(&mut con, "cut"), cut);
    // A lower hll-sparse-max-bytes promotes earlier.
    check(&mut raw, &[b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"100"], "+OK\r\n");
    add_range(&mut con, "small", 1, 100);
    check(&mut raw, &[b"PFDEBUG", b"ENCODING", b"small"], "+dense\r\n");
    check(&mut raw, &[b"PFSELFTEST"], "+OK\r\n");
}

/// HLLs cross between verdis and Redis: the same bytes after the same adds, and a value written
/// by one (by GET/SET or DUMP/RESTORE) keeps counting and growing on the other.
#[test]
fn values_cross_between_servers() {
    let (verdis, redis) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut v, mut r) = (verdis.client(), redis.client());
    cross(&mut r, &mut v);
    cross(&mut v, &mut r);
}

/// Writes an HLL on `writer`, copies it to `reader` both ways, grows both the same and compares.
fn cross(writer: &mut Connection, reader: &mut Connection) {
    add_range(writer, "x", 1, 200);
    let bytes = get(writer, "x");
    let dump: Vec<u8> = redis::cmd("DUMP").arg("x").query(writer).expect("DUMP");
    let _: () = redis::cmd("SET").arg("x").arg(&bytes).query(reader).expect("SET");
    let _: () = redis::cmd("RESTORE").arg("y").arg(0).arg(&dump).query(reader).expect("RESTORE");
    assert_eq!(get(reader, "y"), bytes);
    for con in [&mut *writer, &mut *reader] {
        add_range(con, "x", 150, 3000);
        let count: i64 = redis::cmd("PFCOUNT").arg("x").arg("y").query(con).expect("PFCOUNT");
        assert_eq!(count, 2979, "Redis 7.0.15 counts 2979");
    }
    assert_eq!(get(writer, "x"), get(reader, "x"));
    for con in [writer, reader] {
        let _: () = redis::cmd("FLUSHALL").query(con).expect("FLUSHALL");
    }
}

on_both_backends!(replies_and_bytes);
