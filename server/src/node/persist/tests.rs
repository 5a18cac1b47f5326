//! The node's persistence driven through its disk interface, on a faultless in-memory disk
//! (faults are the simulator's; real files and `kill -9` are `server/tests/persistence.rs`).

use super::super::testing::{Harness, MemDisk};
use crate::config::Config;
use crate::node::{Action, ClientId, DiskError, DiskId, DiskOp, DiskResult};

fn config(pairs: &[(&str, &str)]) -> Config {
    let mut config = Config::default();
    config.databases = 16;
    let pairs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())).collect();
    config.set_many(&pairs, true).expect("valid test config");
    config
}

/// Restarts on the same disk: a new node loading what the old one left.
fn restart(h: Harness) -> Harness {
    let config = h.node.config.clone();
    Harness::with_config(config, h.disk)
}

/// Runs timer ticks until no snapshot job is writing.
fn settle(h: &mut Harness) {
    for _ in 0..10_000 {
        if h.node.persist.job.is_none() {
            return;
        }
        h.now.mono_us += 1;
        h.node.handle_timer(h.now);
        h.pump();
    }
    panic!("the job never finished");
}

#[test]
fn save_then_restart_restores_every_type_and_ttl() {
    // Proves SAVE writes dump.rdb through the disk interface and a restarted node loads it:
    // every type, a TTL and a second database come back.
    let mut h = Harness::with_config(config(&[("save", "")]), MemDisk::default());
    let c = h.connect(1);
    h.run(c, &["SET", "s", "v"]);
    h.run(c, &["RPUSH", "l", "a", "b"]);
    h.run(c, &["HSET", "h", "f", "v"]);
    h.run(c, &["SADD", "set", "1", "2"]);
    h.run(c, &["ZADD", "z", "1.5", "m"]);
    h.run(c, &["PEXPIRE", "s", "100000"]);
    h.run(c, &["SELECT", "3"]);
    h.run(c, &["SET", "other", "db"]);
    assert_eq!(h.run(c, &["SAVE"]), "+OK\r\n");
    assert!(h.disk.files.contains_key("dump.rdb"));
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["LRANGE", "l", "0", "-1"]), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(h.run(c, &["HGET", "h", "f"]), "$1\r\nv\r\n");
    assert_eq!(h.run(c, &["SCARD", "set"]), ":2\r\n");
    assert_eq!(h.run(c, &["ZSCORE", "z", "m"]), "$3\r\n1.5\r\n");
    assert_eq!(h.run(c, &["PTTL", "s"]), ":100000\r\n");
    h.run(c, &["SELECT", "3"]);
    assert_eq!(h.run(c, &["GET", "other"]), "$2\r\ndb\r\n");
}

#[test]
fn bgsave_saves_the_dataset_as_it_was_when_it_began() {
    // Proves the snapshot is point-in-time: writes made while BGSAVE runs (overwrite, delete,
    // new key) are not in the file; what was there when it began is.
    let mut h = Harness::with_config(config(&[("save", "")]), MemDisk::default());
    let c = h.connect(1);
    for i in 0..2000 {
        h.run(c, &["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    assert_eq!(h.run(c, &["BGSAVE"]), "+Background saving started\r\n");
    assert!(h.node.persist.job.is_some());
    h.run(c, &["SET", "k1", "changed"]);
    h.run(c, &["DEL", "k2"]);
    h.run(c, &["SET", "new", "x"]);
    settle(&mut h);
    assert!(h.run(c, &["INFO", "persistence"]).contains("rdb_last_bgsave_status:ok"));
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["GET", "k1"]), "$2\r\nv1\r\n");
    assert_eq!(h.run(c, &["GET", "k2"]), "$2\r\nv2\r\n");
    assert_eq!(h.run(c, &["EXISTS", "new"]), ":0\r\n");
    assert_eq!(h.run(c, &["DBSIZE"]), ":2000\r\n");
}

#[test]
fn aof_survives_restart_and_rewrite() {
    // Proves appendonly yes makes the multi-part AOF (manifest, base, incr), commands reach it,
    // a restart replays it, and BGREWRITEAOF replaces base and incr with an equivalent pair
    // (the old files removed) that loads to the same dataset.
    let mut h = Harness::with_config(config(&[("save", ""), ("appendonly", "yes")]), MemDisk::default());
    settle(&mut h);
    assert!(h.disk.files.contains_key("appendonlydir/appendonly.aof.manifest"), "{:?}", h.disk.files.keys());
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    h.run(c, &["INCR", "a"]);
    h.run(c, &["SELECT", "2"]);
    h.run(c, &["RPUSH", "l", "x", "y"]);
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["GET", "a"]), "$1\r\n2\r\n");
    h.run(c, &["SELECT", "2"]);
    assert_eq!(h.run(c, &["LLEN", "l"]), ":2\r\n");
    assert_eq!(h.run(c, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    h.run(c, &["LPUSH", "l", "w"]);
    settle(&mut h);
    let names: Vec<&String> = h.disk.files.keys().collect();
    assert!(!names.iter().any(|n| n.contains(".1.base")), "old base removed: {names:?}");
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["GET", "a"]), "$1\r\n2\r\n");
    h.run(c, &["SELECT", "2"]);
    assert_eq!(h.run(c, &["LRANGE", "l", "0", "-1"]), "*3\r\n$1\r\nw\r\n$1\r\nx\r\n$1\r\ny\r\n");
}

#[test]
fn appendfsync_always_holds_the_reply_until_the_fsync() {
    // Proves the acknowledgement of a write under `appendfsync always` leaves the node only
    // after the fsync covering it completes, and not before.
    let mut h = Harness::with_config(
        config(&[("save", ""), ("appendonly", "yes"), ("appendfsync", "always")]),
        MemDisk::default(),
    );
    settle(&mut h);
    let c = h.connect(1);
    h.node.handle_input(h.now, c, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    let mut fsync = None;
    while let Some(action) = h.node.poll_action() {
        match action {
            Action::Send { .. } => panic!("a reply left before the fsync"),
            Action::Disk { id, op: DiskOp::Fsync { .. } } => fsync = Some(id),
            Action::Disk { id, op } => {
                let result = h.disk.run(op);
                h.node.handle_disk(h.now, id, result);
            }
            _ => {}
        }
    }
    let id = fsync.expect("an fsync was asked for");
    h.node.handle_disk(h.now, id, Ok(crate::node::DiskOk::Done));
    let sent: Vec<Action> = h.pump().into_iter().filter(|a| matches!(a, Action::Send { .. })).collect();
    assert_eq!(sent, [Action::Send { client: c, bytes: b"+OK\r\n".to_vec() }]);
}

#[test]
fn truncated_aof_tail_loads_only_when_allowed() {
    // Proves a last command cut short loads (and the file is cut back to whole commands) with
    // aof-load-truncated yes, and stops the server with exit code 1 with it off.
    let mut h = Harness::with_config(config(&[("save", ""), ("appendonly", "yes")]), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    h.run(c, &["SET", "b", "2"]);
    let incr = h.disk.files.keys().find(|k| k.ends_with(".incr.aof")).cloned().expect("an incr file");
    let file = h.disk.files.get_mut(&incr).unwrap();
    let cut = file.len() - 3;
    file.truncate(cut);
    let mut strict = config(&[("save", ""), ("appendonly", "yes"), ("aof-load-truncated", "no")]);
    strict.databases = 16;
    let disk = MemDisk { files: h.disk.files.clone(), log: Vec::new() };
    let mut refused = Harness { node: crate::node::Node::new(strict, 1, h.now), now: h.now, disk };
    refused.node.handle_start(h.now);
    assert!(refused.pump().contains(&Action::Exit { code: 1 }));
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["GET", "a"]), "$1\r\n1\r\n");
    assert_eq!(h.run(c, &["EXISTS", "b"]), ":0\r\n");
    let len = h.disk.files[&incr].len();
    assert!(len < cut, "cut back to the last whole command ({len} < {cut})");
}

#[test]
fn a_failed_bgsave_stops_writes_with_misconf_until_a_save_succeeds() {
    // Proves stop-writes-on-bgsave-error: after a failed BGSAVE, writes (and PING) get Redis's
    // MISCONF error while reads work; a successful save lifts it.
    let mut h = Harness::with_config(config(&[("save", "3600 1")]), MemDisk::default());
    let c = h.connect(1);
    h.run(c, &["SET", "k", "v"]);
    h.run(c, &["BGSAVE"]);
    // The disk reports the temp file's fsync failed.
    let seq = h.node.persist.job.as_ref().map(|j| j.seq).expect("a job");
    h.node.job_step_done(seq, Some(super::job::Then::Synced), Err(crate::node::DiskError::no_space()));
    h.pump();
    let misconf = h.run(c, &["SET", "k", "w"]);
    assert!(misconf.starts_with("-MISCONF Redis is configured to save RDB snapshots"), "{misconf}");
    assert!(h.run(c, &["PING"]).starts_with("-MISCONF"));
    assert_eq!(h.run(c, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(h.run(c, &["SAVE"]), "+OK\r\n");
    assert_eq!(h.run(c, &["SET", "k", "w"]), "+OK\r\n");
}

#[test]
fn debug_reload_and_shutdown_save() {
    // Proves DEBUG RELOAD saves and reloads (the data survives), and SHUTDOWN with save points
    // writes a final snapshot before exiting.
    let mut debug = config(&[("save", "3600 1")]);
    debug.enable_debug_command = crate::config::ProtectedAction::Yes;
    let mut h = Harness::with_config(debug, MemDisk::default());
    let c = h.connect(1);
    h.run(c, &["SET", "k", "v"]);
    assert_eq!(h.run(c, &["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(h.run(c, &["GET", "k"]), "$1\r\nv\r\n");
    h.run(c, &["SET", "k2", "v2"]);
    h.disk.files.remove("dump.rdb");
    let (out, _) = h.request(c, &["SHUTDOWN"]);
    assert!(out.closed);
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["GET", "k2"]), "$2\r\nv2\r\n");
}

/// One RESP request.
fn resp(args: &[&str]) -> Vec<u8> {
    let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        bytes.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    bytes
}

/// Drives the node's actions: each disk operation is carried out on the in-memory disk in the
/// order asked for, and its result goes back at once, except for those `hold` picks: carried
/// out too, but their results are returned, for the test to report later (a slow completion).
/// Returns the held operations and every other action.
fn drive(h: &mut Harness, hold: &dyn Fn(&DiskOp) -> bool) -> (Vec<(DiskId, DiskOp, DiskResult)>, Vec<Action>) {
    let (mut held, mut others) = (Vec::new(), Vec::new());
    while let Some(action) = h.node.poll_action() {
        match action {
            Action::Disk { id, op } if hold(&op) => {
                let result = h.disk.run(op.clone());
                held.push((id, op, result));
            }
            Action::Disk { id, op } => {
                let result = h.disk.run(op);
                h.node.handle_disk(h.now, id, result);
            }
            other => others.push(other),
        }
    }
    (held, others)
}

fn always() -> Config {
    config(&[("save", ""), ("appendonly", "yes"), ("appendfsync", "always")])
}

/// Sends `args` (a write) under `appendfsync always`, fails its append with ENOSPC, and checks
/// the node then exits with code 1 having acknowledged nothing.
fn write_fails_with_no_space(h: &mut Harness, c: ClientId, args: &[&str]) {
    h.node.handle_input(h.now, c, &resp(args));
    let (held, others) = drive(h, &is_append);
    assert!(others.iter().all(|a| !matches!(a, Action::Send { .. })), "replied before the append reported: {others:?}");
    let [(id, _, _)] = <[_; 1]>::try_from(held).expect("one append held");
    h.node.handle_disk(h.now, id, Err(DiskError::no_space()));
    let after = h.pump();
    assert!(after.contains(&Action::Exit { code: 1 }), "{after:?}");
    assert!(after.iter().all(|a| !matches!(a, Action::Send { .. })), "a failed write was acknowledged: {after:?}");
}

fn is_append(op: &DiskOp) -> bool {
    matches!(op, DiskOp::Append { .. })
}

#[test]
fn appendfsync_always_replies_only_after_the_append_itself_reported_success() {
    // Proves an fsync completing before the result of the append it follows releases nothing:
    // the reply waits for the append's success, and when the append fails instead the node
    // exits without acknowledging (the simulator's seed 181: an acknowledged SET was lost).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.node.handle_input(h.now, c, &resp(&["SET", "k", "v"]));
    let (held, others) = drive(&mut h, &is_append);
    assert!(others.iter().all(|a| !matches!(a, Action::Send { .. })), "replied before the append reported: {others:?}");
    let [(id, _, result)] = <[_; 1]>::try_from(held).expect("one append held");
    h.node.handle_disk(h.now, id, result);
    assert!(h.pump().contains(&Action::Send { client: c, bytes: b"+OK\r\n".to_vec() }));

    write_fails_with_no_space(&mut h, c, &["SET", "k", "w"]);
}

#[test]
fn an_append_reporting_after_the_switch_to_a_new_incr_file_is_not_counted_in_it() {
    // Proves the size the node keeps for the incr file counts only appends to that file: an
    // append to the old file issued before BGREWRITEAOF's switch but reporting after it used to
    // be counted in the new file, so the truncation after a later failed append left the
    // failed bytes in place and the next start refused the file (the simulator's seed 181).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    // BGREWRITEAOF: hold the new incr file's creation, so the switch is still in flight...
    h.node.handle_input(h.now, c, &resp(&["BGREWRITEAOF"]));
    let (created, _) = drive(&mut h, &|op| matches!(op, DiskOp::Create { path, .. } if path.ends_with(".2.incr.aof")));
    // ... while SET x is appended to the old file, its result slow to come back.
    h.node.handle_input(h.now, c, &resp(&["SET", "x", "1"]));
    let (mut slow, _) = drive(&mut h, &is_append);
    assert!(matches!(&slow[0].1, DiskOp::Append { path, .. } if path.ends_with(".1.incr.aof")), "{slow:?}");
    for (id, _, result) in created {
        h.node.handle_disk(h.now, id, result);
    }
    drive(&mut h, &|_| false);
    let (id, _, result) = slow.remove(0);
    h.node.handle_disk(h.now, id, result);
    settle(&mut h);
    h.run(c, &["SET", "y", "1"]);
    let new_incr = "appendonlydir/appendonly.aof.2.incr.aof";
    let good_len = h.disk.files[new_incr].len() as u64;
    write_fails_with_no_space(&mut h, c, &["SET", "z", "1"]);
    assert_eq!(h.disk.files[new_incr].len() as u64, good_len, "the failed append is cut off, nothing more");
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["MGET", "a", "x", "y", "z"]), "*4\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n1\r\n$-1\r\n");
}

#[test]
fn a_manifest_naming_an_incr_file_that_could_not_be_created_is_never_installed() {
    // Proves the manifest change waits for the new incr file: when creating it fails (ENOSPC)
    // no manifest is written or renamed (the simulator's seed 181 renamed one anyway, and the
    // next start failed on the missing file), the rewrite is over (a new one can start), writes
    // go on in the old incr file (no -MISCONF: only the rewrite failed, as in Redis), and the
    // AOF still loads.
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    h.node.handle_input(h.now, c, &resp(&["BGREWRITEAOF"]));
    let (created, _) = drive(&mut h, &|op| matches!(op, DiskOp::Create { path, .. } if path.ends_with(".2.incr.aof")));
    let [(id, _, _)] = <[_; 1]>::try_from(created).expect("the new incr file asked for");
    h.node.handle_disk(h.now, id, Err(DiskError::no_space()));
    let (_, _) = drive(&mut h, &|op| panic!("nothing more of the switch: {op:?}"));
    assert_eq!(h.run(c, &["BGREWRITEAOF"]), "+Background append only file rewriting started\r\n");
    settle(&mut h);
    assert_eq!(h.run(c, &["SET", "b", "2"]), "+OK\r\n", "only the rewrite failed: writes go on");
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["MGET", "a", "b"]), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

#[test]
fn appendfsync_always_serves_nothing_loaded_until_the_files_it_came_from_are_durable() {
    // Proves a restarted node fsyncs the incr file and the AOF directory it loaded (a process
    // killed before its fsyncs completed leaves data only in the page cache) and, under
    // `always`, holds replies until they complete: a reply built on data a later power loss
    // could take back never leaves (the simulator's seeds 346 and 670).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "k", "v"]);
    let config = h.node.config.clone();
    let mut h = Harness { node: crate::node::Node::new(config, 1, h.now), now: h.now, disk: h.disk };
    h.node.handle_start(h.now);
    let (held, _) = drive(&mut h, &|op| matches!(op, DiskOp::Fsync { .. }));
    let synced: Vec<&str> = held.iter().map(|(_, op, _)| op.path()).collect();
    assert!(synced.contains(&"appendonlydir") && synced.iter().any(|p| p.ends_with(".incr.aof")), "{synced:?}");
    let c = h.connect(1);
    h.node.handle_input(h.now, c, &resp(&["GET", "k"]));
    let (_, others) = drive(&mut h, &|_| false);
    assert!(others.iter().all(|a| !matches!(a, Action::Send { .. })), "served before the loaded files were durable");
    for (id, _, result) in held {
        h.node.handle_disk(h.now, id, result);
    }
    assert!(h.pump().contains(&Action::Send { client: c, bytes: b"$1\r\nv\r\n".to_vec() }));
}

#[test]
fn an_aof_that_cannot_be_created_at_start_stops_the_server() {
    // Proves what Redis 7.0.15 does when it cannot create the AOF on start (aof.c,
    // aofOpenIfNeededOnServerStart): it logs and exits with code 1, rather than serving
    // writes it can never log (the simulator's seed 1445 found the node hanging every client).
    let mut h = Harness {
        node: crate::node::Node::new(always(), 1, Harness::new().now),
        now: Harness::new().now,
        disk: MemDisk::default(),
    };
    h.node.handle_start(h.now);
    let (created, _) = drive(&mut h, &|op| matches!(op, DiskOp::Create { path, .. } if path.ends_with(".incr.aof")));
    let [(id, _, _)] = <[_; 1]>::try_from(created).expect("the incr file asked for");
    h.node.handle_disk(h.now, id, Err(DiskError::no_space()));
    let (_, after) = drive(&mut h, &|_| false);
    assert!(after.contains(&Action::Exit { code: 1 }), "{after:?}");
}

#[test]
fn appends_after_a_truncated_tail_was_cut_are_cut_back_to_the_right_length() {
    // Proves the size the node keeps for the incr file after loading is the size once its torn
    // tail was cut: a later failed append is cut back to exactly the good bytes, and the next
    // start loads (the simulator's seed 1385 left 25 bytes of a failed append in place).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    let incr = h.disk.files.keys().find(|k| k.ends_with(".incr.aof")).cloned().expect("an incr file");
    h.disk.files.get_mut(&incr).unwrap().extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb");
    let mut h = restart(h);
    let c = h.connect(1);
    h.run(c, &["SET", "c", "3"]);
    let good_len = h.disk.files[&incr].len();
    write_fails_with_no_space(&mut h, c, &["SET", "d", "4"]);
    assert_eq!(h.disk.files[&incr].len(), good_len);
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["MGET", "a", "b", "c", "d"]), "*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n$-1\r\n");
}

#[test]
fn a_transaction_left_open_at_the_end_of_the_aof_is_cut_off() {
    // Proves an incr file ending in a MULTI without its EXEC (a crash mid-transaction) loads
    // without it and is cut back to before the MULTI, as Redis reverts it: commands appended
    // after the restart then load on their own instead of joining the transaction.
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    let incr = h.disk.files.keys().find(|k| k.ends_with(".incr.aof")).cloned().expect("an incr file");
    h.disk
        .files
        .get_mut(&incr)
        .unwrap()
        .extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["EXISTS", "b"]), ":0\r\n");
    h.run(c, &["SET", "c", "3"]);
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["MGET", "a", "b", "c"]), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n");
}

#[test]
fn a_snapshot_whose_write_failed_is_never_renamed_into_place() {
    // Proves a snapshot job continues past its fsync only once every write before it has
    // reported success: with the fsync's result back first and a write then failing (ENOSPC),
    // the temp file is not renamed over dump.rdb and the save fails (the simulator's seed 6470
    // installed a cut-short AOF base this way, and the next start refused it).
    let mut h = Harness::with_config(config(&[("save", "")]), MemDisk::default());
    let c = h.connect(1);
    h.run(c, &["SET", "k", "v"]);
    h.node.handle_input(h.now, c, &resp(&["BGSAVE"]));
    let is_temp_write = |op: &DiskOp| matches!(op, DiskOp::Append { path, .. } | DiskOp::Create { path, .. } if path.starts_with("temp-"));
    let (mut writes, _) = drive(&mut h, &is_temp_write);
    for _ in 0..1000 {
        if h.node.persist.job.as_ref().is_none_or(|j| !j.writing()) {
            break;
        }
        h.now.mono_us += 1;
        h.node.handle_timer(h.now);
        writes.extend(drive(&mut h, &is_temp_write).0);
    }
    assert!(writes.len() >= 2, "the header and the keys: {writes:?}");
    let renames = |h: &Harness| h.disk.log.iter().filter(|l| l.starts_with("Rename")).count();
    assert_eq!(renames(&h), 0, "renamed before its writes reported");
    let (last, first) = writes.split_last().expect("writes");
    for (id, _, result) in first {
        h.node.handle_disk(h.now, *id, result.clone());
    }
    h.node.handle_disk(h.now, last.0, Err(DiskError::no_space()));
    drive(&mut h, &|_| false);
    assert_eq!(renames(&h), 0, "a failed write's file was renamed into place");
    assert!(!h.disk.files.contains_key("dump.rdb"));
    assert!(h.run(c, &["INFO", "persistence"]).contains("rdb_last_bgsave_status:err"));
}

#[test]
fn appendfsync_always_releases_a_reply_only_once_every_fsync_before_it_completed() {
    // Proves fsyncs completing out of order release nothing early: after a restart, the AOF
    // directory's fsync completing before the loaded incr file's leaves the reply held until
    // the incr file's completes too (the simulator's seed 41561: the reply went out, a power
    // loss then took back page-cache data it was built on).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "k", "v"]);
    let config = h.node.config.clone();
    let mut h = Harness { node: crate::node::Node::new(config, 1, h.now), now: h.now, disk: h.disk };
    h.node.handle_start(h.now);
    let (mut held, _) = drive(&mut h, &|op| matches!(op, DiskOp::Fsync { .. }));
    let c = h.connect(1);
    h.node.handle_input(h.now, c, &resp(&["GET", "k"]));
    drive(&mut h, &|_| false);
    let dir = held.iter().position(|(_, op, _)| op.path() == "appendonlydir").expect("the directory's fsync");
    let (id, _, result) = held.remove(dir);
    h.node.handle_disk(h.now, id, result);
    let (_, others) = drive(&mut h, &|_| false);
    assert!(others.iter().all(|a| !matches!(a, Action::Send { .. })), "served before the incr file was durable");
    for (id, _, result) in held {
        h.node.handle_disk(h.now, id, result);
    }
    assert!(h.pump().contains(&Action::Send { client: c, bytes: b"$1\r\nv\r\n".to_vec() }));
}

#[test]
fn a_manifest_naming_a_new_incr_file_is_renamed_only_once_the_old_file_is_sealed() {
    // Proves BGREWRITEAOF renames the manifest naming the new incr file only after every append
    // to the old one reported and its fsync completed, and that a command run meanwhile waits for
    // the new file instead of landing unsynced in the old one (a power loss may keep the rename
    // and tear the old file, no longer the last, and the loader refuses it: the simulator's seeds
    // 2994 and 29351), is answered once durable there, and is not also in the rewrite's base.
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    let renames = |h: &Harness| {
        h.disk
            .log
            .iter()
            .filter(|l| l.starts_with("Rename { from: \"appendonlydir/temp-appendonly.aof.manifest"))
            .count()
    };
    let renames_before = renames(&h);
    let renamed = |h: &Harness| renames(h) > renames_before;
    h.node.handle_input(h.now, c, &resp(&["BGREWRITEAOF"]));
    let old_incr_fsync = |op: &DiskOp| matches!(op, DiskOp::Fsync { path } if path.ends_with(".1.incr.aof"));
    let (seal, _) = drive(&mut h, &old_incr_fsync);
    let [(id, _, result)] = <[_; 1]>::try_from(seal).expect("the old incr file's fsync");
    assert!(!renamed(&h), "the manifest was renamed before the old incr file was durable");
    let old_len = h.disk.files["appendonlydir/appendonly.aof.1.incr.aof"].len();
    h.node.handle_input(h.now, c, &resp(&["INCR", "n"]));
    let (_, others) = drive(&mut h, &|_| false);
    assert!(others.iter().all(|a| !matches!(a, Action::Send { .. })), "answered before its append was durable");
    assert_eq!(h.disk.files["appendonlydir/appendonly.aof.1.incr.aof"].len(), old_len, "appended to the sealed file");
    h.node.handle_disk(h.now, id, result);
    let (_, others) = drive(&mut h, &|_| false);
    assert!(renamed(&h));
    assert!(others.contains(&Action::Send { client: c, bytes: b":1\r\n".to_vec() }), "{others:?}");
    settle(&mut h);
    let new_incr = String::from_utf8_lossy(&h.disk.files["appendonlydir/appendonly.aof.2.incr.aof"]).into_owned();
    assert!(new_incr.contains("INCR"), "{new_incr:?}");
    let mut h = restart(h);
    let c = h.connect(1);
    assert_eq!(h.run(c, &["MGET", "a", "n"]), "*2\r\n$1\r\n1\r\n$1\r\n1\r\n", "INCR applied once");
}

#[test]
fn appendfsync_always_cuts_the_file_once_when_several_appends_fail() {
    // Proves that after a failed append (`always`, the node exiting), the results of appends
    // issued after it change nothing: a later one succeeding and another failing used to issue a
    // second truncation at a length that counted the successful one, bringing back bytes that
    // followed the failed append (the simulator's seed 45683: the next start refused the file).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let c = h.connect(1);
    h.run(c, &["SET", "a", "1"]);
    let incr = h.disk.files.keys().find(|k| k.ends_with(".incr.aof")).cloned().expect("an incr file");
    let good_len = h.disk.files[&incr].len() as u64;
    let mut appends = Vec::new();
    for key in ["x", "y", "z"] {
        h.node.handle_input(h.now, c, &resp(&["SET", key, "1"]));
        appends.extend(drive(&mut h, &is_append).0);
    }
    let [x, y, z] = <[_; 3]>::try_from(appends).expect("one append per write");
    h.node.handle_disk(h.now, x.0, Err(DiskError::no_space()));
    h.node.handle_disk(h.now, y.0, y.2);
    h.node.handle_disk(h.now, z.0, Err(DiskError::no_space()));
    let (_, others) = drive(&mut h, &|_| false);
    assert!(others.contains(&Action::Exit { code: 1 }), "{others:?}");
    assert!(others.iter().all(|a| !matches!(a, Action::Send { .. })), "a write after the failed one was acknowledged");
    let cuts: Vec<&String> = h.disk.log.iter().filter(|l| l.starts_with("Truncate")).collect();
    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert!(cuts[0].contains(&format!("len: {good_len}")), "{cuts:?}");
}

#[test]
fn a_command_waiting_for_the_new_incr_file_is_answered_only_once_durable_there() {
    // Proves no fsync issued while the old incr file is sealed releases the reply of a command
    // waiting in the buffer for the new file: an fsync of the old file completing (issued for
    // an earlier append) used to issue the next, whose number that reply waited for, and the
    // reply went out before the command was appended anywhere (the simulator's seeds 31087,
    // 38864, 46384: its append to the new file then failed, and the acknowledged write was lost).
    let mut h = Harness::with_config(always(), MemDisk::default());
    settle(&mut h);
    let (ca, ca2, cb) = (h.connect(1), h.connect(2), h.connect(3));
    let old_incr_fsync = |op: &DiskOp| matches!(op, DiskOp::Fsync { path } if path.ends_with(".1.incr.aof"));
    let mut held = Vec::new();
    for (c, args) in [(ca, &["SET", "a", "1"][..]), (ca2, &["SET", "a2", "1"]), (ca, &["BGREWRITEAOF"])] {
        h.node.handle_input(h.now, c, &resp(args));
        held.extend(drive(&mut h, &old_incr_fsync).0);
    }
    let [first, seal] = <[_; 2]>::try_from(held).expect("SET a's fsync, then the seal");
    h.node.handle_input(h.now, cb, &resp(&["SET", "b", "1"]));
    drive(&mut h, &|_| false);
    h.node.handle_disk(h.now, first.0, first.2);
    let (_, others) = drive(&mut h, &|_| false);
    let answered_b =
        |actions: &[Action]| actions.iter().any(|a| matches!(a, Action::Send { client, .. } if *client == cb));
    assert!(!answered_b(&others), "SET b answered before it was appended: {others:?}");
    h.node.handle_disk(h.now, seal.0, seal.2);
    let (_, others) = drive(&mut h, &|_| false);
    assert!(answered_b(&others), "{others:?}");
    let new_incr = String::from_utf8_lossy(&h.disk.files["appendonlydir/appendonly.aof.2.incr.aof"]).into_owned();
    assert!(new_incr.contains("$1\r\nb\r\n"), "{new_incr:?}");
}

#[test]
fn aof_io_feeds_the_latency_monitor() {
    // Proves an AOF append and an `appendfsync always` fsync are timed with the stopwatch from
    // request to result and recorded under Redis's event names (`aof-write`, `aof-write-alone`,
    // `aof-fsync-always`), and that LATENCY DOCTOR then gives Redis's disk advice, the fsync
    // policy one included.
    fn clock_us() -> u64 {
        static NOW_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        NOW_US.fetch_add(3000, std::sync::atomic::Ordering::Relaxed)
    }
    let mut h = Harness::with_config(always(), MemDisk::default());
    let c = h.connect(5000);
    h.run(c, &["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    // The startup rewrite (the first base file) would make the write `aof-write-active-child`.
    for _ in 0..100 {
        if h.node.persist.job.is_none() {
            break;
        }
        h.advance_ms(10);
    }
    assert!(h.node.persist.job.is_none(), "the startup rewrite finished");
    h.now.stopwatch = crate::node::Stopwatch(clock_us);
    assert_eq!(h.run(c, &["SET", "k", "v"]), "+OK\r\n");
    h.now.stopwatch = crate::node::Stopwatch::FROZEN;
    let latest = h.run(c, &["LATENCY", "LATEST"]);
    for event in ["aof-fsync-always", "aof-write", "aof-write-alone"] {
        assert!(latest.contains(&format!("${}\r\n{event}\r\n", event.len())), "{event} missing: {latest}");
    }
    let doctor = h.run(c, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("- Your fsync policy is set to 'always'."), "{doctor}");
    assert!(doctor.contains("- It is strongly advised to use local disks for persistence"), "{doctor}");
}
