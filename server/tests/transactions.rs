//! Transactions with real connections: MULTI/EXEC/DISCARD replies, EXECABORT after a queueing
//! error, runtime errors inside EXEC not rolling back, blocking commands answering at once,
//! WATCH invalidated by other clients' writes, expiry, FLUSHALL, SWAPDB, RENAME and MOVE but
//! not by no-ops, RESET and UNWATCH, CLIENT LIST inside a transaction, the AOF getting one
//! MULTI/EXEC block, and the `redis` crate's atomic pipeline.
//!
//! Each test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`), so every
//! expectation is Redis 7.0's own behaviour.

mod common;

use std::time::Duration;

use common::{resp_command, Backend, Raw, Server};

/// WATCH `key` on `watcher`, let `other` run `lines`, then EXEC a PING: `*1\r\n+PONG` when the
/// transaction ran, `*-1` when the watch fired.
fn watch_then(watcher: &mut Raw, other: &mut Raw, key: &str, lines: &[&str], expected_exec: &str) {
    watcher.step(&format!("WATCH {key}"), "+OK\r\n");
    for line in lines {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        other.send(&resp_command(&args));
        // Each reply is read whole: the command has run before the next one is sent.
        read_reply(other);
    }
    watcher.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", expected_exec)]);
}

/// Reads one reply of any simple shape (status, error, integer, bulk) and discards it.
fn read_reply(conn: &mut Raw) {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        line.extend(conn.read_n(1));
    }
    if line[0] == b'$' {
        let len: i64 = String::from_utf8_lossy(&line[1..line.len() - 2]).parse().expect("bulk length");
        if len >= 0 {
            conn.read_n(len as usize + 2);
        }
    }
}

const RAN: &str = "*1\r\n+PONG\r\n";
const ABORTED: &str = "*-1\r\n";

fn queued_replies_and_runtime_errors(backend: Backend) {
    // Proves +QUEUED, EXEC's array with a runtime error in place (no rollback), nested MULTI
    // and WATCH inside MULTI refused without aborting, EXEC/DISCARD without MULTI, and a
    // blocking command inside EXEC answering at once.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.script(&[
        ("MULTI", "+OK\r\n"),
        ("MULTI", "-ERR MULTI calls can not be nested\r\n"),
        ("WATCH x", "-ERR WATCH inside MULTI is not allowed\r\n"),
        ("SET a 1", "+QUEUED\r\n"),
        ("INCR a", "+QUEUED\r\n"),
        ("LPUSH a x", "+QUEUED\r\n"),
        ("BLPOP nolist 0", "+QUEUED\r\n"),
        ("EXEC", "*4\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n*-1\r\n"),
        ("GET a", "$1\r\n2\r\n"),
        ("EXEC", "-ERR EXEC without MULTI\r\n"),
        ("EXEC x", "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"),
        ("DISCARD", "-ERR DISCARD without MULTI\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET a 5", "+QUEUED\r\n"),
        ("DISCARD", "+OK\r\n"),
        ("GET a", "$1\r\n2\r\n"),
    ]);
}

fn queueing_errors_abort_exec(backend: Backend) {
    // Proves an unknown command, a wrong arity and a no-multi command (SAVE) while queueing each
    // make EXEC answer EXECABORT and run nothing.
    let server = Server::start(backend);
    let mut c = server.raw();
    let execabort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
    c.script(&[
        ("MULTI", "+OK\r\n"),
        ("SET a 1", "+QUEUED\r\n"),
        ("NOSUCH", "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"),
        ("EXEC", execabort),
        ("EXISTS a", ":0\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET a", "-ERR wrong number of arguments for 'set' command\r\n"),
        ("SET a 1", "+QUEUED\r\n"),
        ("EXEC", execabort),
        ("MULTI", "+OK\r\n"),
        ("SAVE", "-ERR Command not allowed inside a transaction\r\n"),
        ("EXEC", execabort),
        ("EXISTS a", ":0\r\n"),
    ]);
}

fn watch_fires_on_changes_only(backend: Backend) {
    // Proves WATCH fails EXEC after another client's real change (a new set member, SET of the
    // same value, RENAME to or from, MOVE, FLUSHALL of an existing key, SWAPDB bringing the key)
    // and the watcher's own write, and lets it run after no-ops (a present member, DEL or
    // EXPIRE of a missing key, FLUSHALL or SWAPDB without the key) and after UNWATCH.
    let server = Server::start(backend);
    let (mut w, mut o) = (server.raw(), server.raw());
    let cases: &[(&[&str], &str, &[&str], &str)] = &[
        (&["SADD s m"], "s", &["SADD s m"], RAN),
        (&["SADD s m"], "s", &["SADD s n"], ABORTED),
        (&["SET k v"], "k", &["SET k v"], ABORTED),
        (&[], "k", &["DEL k"], RAN),
        (&[], "k", &["EXPIRE k 10"], RAN),
        (&[], "k", &["FLUSHALL"], RAN),
        (&["SET k v"], "k", &["FLUSHALL"], ABORTED),
        (&["SET k v"], "k", &["SELECT 1", "FLUSHDB", "SELECT 0"], RAN),
        (&[], "k", &["SWAPDB 0 1"], RAN),
        (&["SELECT 1", "SET k v", "SELECT 0"], "k", &["SWAPDB 0 1"], ABORTED),
        (&["SET x v"], "k", &["RENAME x k"], ABORTED),
        (&["SET k v"], "k", &["RENAME k x"], ABORTED),
        (&["SET k v"], "k", &["MOVE k 1"], ABORTED),
        (&["SET k v"], "k", &["HSET h f v"], RAN),
    ];
    for (setup, key, others, expected) in cases {
        o.step("FLUSHALL", "+OK\r\n");
        for line in *setup {
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            o.send(&resp_command(&args));
            read_reply(&mut o);
        }
        watch_then(&mut w, &mut o, key, others, expected);
    }
    // The watcher's own write counts; UNWATCH forgets a fired watch.
    w.step("WATCH k", "+OK\r\n");
    w.step("SET k own", "+OK\r\n");
    w.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", ABORTED)]);
    w.step("WATCH k", "+OK\r\n");
    o.step("SET k other", "+OK\r\n");
    w.step("UNWATCH", "+OK\r\n");
    w.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", RAN)]);
    // A fired watch stays fired through later WATCHes, and DISCARD clears it.
    w.step("WATCH k", "+OK\r\n");
    o.step("SET k again", "+OK\r\n");
    w.step("WATCH z", "+OK\r\n");
    w.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", ABORTED)]);
    w.step("WATCH k", "+OK\r\n");
    o.step("SET k more", "+OK\r\n");
    w.script(&[("MULTI", "+OK\r\n"), ("DISCARD", "+OK\r\n")]);
    w.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", RAN)]);
}

fn watch_fires_on_expiry(backend: Backend) {
    // Proves a watched key that expires after WATCH fails EXEC whether it is still in memory
    // (noticed at EXEC), deleted lazily by another client's read, or removed by the active
    // cycle; and a key already expired when WATCHed does not fail EXEC when a read deletes it.
    let server = Server::start_with(backend, &["--enable-debug-command", "yes"]);
    let (mut w, mut o) = (server.raw(), server.raw());
    let ttl_ms = 300;
    let past = Duration::from_millis(ttl_ms + 400);
    for (active, read_after, already_expired, expected) in [
        ("0", false, false, ABORTED),
        ("0", true, false, ABORTED),
        ("1", false, false, ABORTED),
        ("0", true, true, RAN),
    ] {
        o.step(&format!("DEBUG SET-ACTIVE-EXPIRE {active}"), "+OK\r\n");
        o.step("SET k v", "+OK\r\n");
        o.step(&format!("PEXPIRE k {ttl_ms}"), ":1\r\n");
        if already_expired {
            std::thread::sleep(past);
        }
        w.step("WATCH k", "+OK\r\n");
        if !already_expired {
            std::thread::sleep(past);
        }
        if read_after {
            o.step("GET k", "$-1\r\n");
        }
        w.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", expected)]);
    }
}

fn reset_and_client_list_in_multi(backend: Backend) {
    // Proves CLIENT LIST shows flag x, the queued count and multi-mem inside MULTI, flag d for a
    // fired watch, and RESET discarding the transaction and the watches.
    let server = Server::start(backend);
    let (mut w, mut o) = (server.raw(), server.raw());
    w.script(&[("MULTI", "+OK\r\n"), ("CLIENT LIST", "+QUEUED\r\n")]);
    let args: Vec<&[u8]> = vec![b"EXEC"];
    w.send(&resp_command(&args));
    let header = w.read_n(4);
    assert_eq!(header, b"*1\r\n");
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        line.extend(w.read_n(1));
    }
    let len: usize = String::from_utf8_lossy(&line[1..line.len() - 2]).parse().unwrap();
    let list = String::from_utf8(w.read_n(len + 2)).unwrap();
    let own = list.lines().find(|l| l.contains(" cmd=exec ")).expect("the caller's line");
    assert!(own.contains(" flags=x db=0 "), "{own}");
    assert!(own.contains(" multi=1 "), "{own}");
    assert!(own.contains(" multi-mem=26 "), "{own}");
    w.step("WATCH k", "+OK\r\n");
    o.step("SET k v", "+OK\r\n");
    let args: Vec<&[u8]> = vec![b"CLIENT", b"INFO"];
    w.send(&resp_command(&args));
    let mut info = Vec::new();
    while !info.ends_with(b"\n\r\n") {
        info.extend(w.read_n(1));
    }
    assert!(String::from_utf8_lossy(&info).contains(" flags=d "), "{}", String::from_utf8_lossy(&info));
    w.script(&[("MULTI", "+OK\r\n"), ("SET a 1", "+QUEUED\r\n"), ("RESET", "+RESET\r\n")]);
    w.step("EXEC", "-ERR EXEC without MULTI\r\n");
    w.step("EXISTS a", ":0\r\n");
    w.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", RAN)]);
}

fn atomic_pipeline_of_the_redis_crate(backend: Backend) {
    // Proves the `redis` crate's atomic pipeline (MULTI ... EXEC, as redis-py's transactional
    // pipeline sends it) and the INCR + EXPIRE rate-limit idiom work.
    let server = Server::start(backend);
    let mut con = server.client();
    let (count, ttl): (i64, i64) =
        redis::pipe().atomic().incr("rate:1", 1).expire("rate:1", 60).ignore().ttl("rate:1").query(&mut con).unwrap();
    assert_eq!((count, ttl), (1, 60));
    let (count,): (i64,) = redis::pipe().atomic().incr("rate:1", 1).query(&mut con).unwrap();
    assert_eq!(count, 2);
}

fn aof_gets_one_block(backend: Backend) {
    // Proves a transaction with one write reaches the AOF as that command alone and one with
    // several as a MULTI ... EXEC block, and a read-only one not at all.
    let server = Server::start_with(backend, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = server.raw();
    c.script(&[
        ("MULTI", "+OK\r\n"),
        ("SET a 1", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n+OK\r\n"),
        ("MULTI", "+OK\r\n"),
        ("GET a", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n$1\r\n1\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET b 2", "+QUEUED\r\n"),
        ("INCR a", "+QUEUED\r\n"),
        ("EXEC", "*2\r\n+OK\r\n:2\r\n"),
    ]);
    let incr = std::fs::read(server.dir().join("appendonlydir/appendonly.aof.1.incr.aof")).expect("the incr file");
    let text = String::from_utf8_lossy(&incr).replace("\r\n", " ");
    assert_eq!(
        text,
        "*2 $6 SELECT $1 0 *3 $3 SET $1 a $1 1 *1 $5 MULTI *3 $3 SET $1 b $1 2 *2 $4 INCR $1 a *1 $4 EXEC "
    );
}

on_both_backends!(
    queued_replies_and_runtime_errors,
    queueing_errors_abort_exec,
    watch_fires_on_changes_only,
    watch_fires_on_expiry,
    reset_and_client_list_in_multi,
    atomic_pipeline_of_the_redis_crate,
    aof_gets_one_block,
);
