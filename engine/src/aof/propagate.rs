//! Command propagation: what a command sends to the AOF and to replicas, as Redis 7.0's
//! `call` → `alsoPropagate` → `propagatePendingCommands` decides it.
//!
//! A command propagates itself as called when it changed something (`Ctx::dirty`), or what its
//! handler put in `Ctx::propagate` instead (EXPIRE as PEXPIREAT, SPOP as SREM...). Keys that
//! expired while it ran (`Keyspace::expired_to_propagate`) go first, each as `DEL key`. One
//! execution unit — a command, or a whole MULTI/EXEC — that propagates more than one command is
//! wrapped in MULTI ... EXEC so replicas and the AOF apply it atomically. Keys the active expire
//! cycle removes outside any command are propagated one DEL at a time, unwrapped.
//!
//! `lazyfree-lazy-expire` and `lazyfree-lazy-user-del` are taken as `no`: deletions propagate as
//! DEL, never UNLINK.

use crate::db::Keyspace;

/// One propagated command: the database it applies to and its arguments.
pub type PropagatedOp = (usize, Vec<Vec<u8>>);

/// What one command propagates of its own: `propagate` (taken from `Ctx::propagate`) when the
/// handler set it, else the command as called (`argv`) when it changed something (`dirty > 0`),
/// else nothing.
pub fn propagated(argv: &[&[u8]], propagate: Option<Vec<Vec<Vec<u8>>>>, dirty: u64) -> Vec<Vec<Vec<u8>>> {
    match propagate {
        Some(commands) => commands,
        None if dirty > 0 => vec![argv.iter().map(|a| a.to_vec()).collect()],
        None => Vec::new(),
    }
}

/// Takes the keys removed by expiry since the last call as `DEL key` commands, oldest first
/// (Redis's `propagateDeletion`).
pub fn expired_deletions(keyspace: &mut Keyspace) -> Vec<PropagatedOp> {
    keyspace.expired_to_propagate.drain(..).map(|(db, key)| (db, vec![b"DEL".to_vec(), key])).collect()
}

/// The commands of one execution unit (a command, or a MULTI/EXEC transaction), collected as
/// it runs and handed out wrapped when there is more than one (Redis's `server.also_propagate`).
///
/// Call order for each command of the unit: `add_expired` after the handler ran (its lazy
/// expirations came first), then `add_command`; `finish` once the unit is over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Propagation {
    ops: Vec<PropagatedOp>,
}

impl Propagation {
    /// An empty unit.
    pub fn new() -> Propagation {
        Propagation::default()
    }

    /// Adds the DELs of keys that expired (lazily) since the last call.
    pub fn add_expired(&mut self, keyspace: &mut Keyspace) {
        self.ops.extend(expired_deletions(keyspace));
    }

    /// Adds what a command run in `db` propagates (see `propagated`).
    pub fn add_command(&mut self, db: usize, argv: &[&[u8]], propagate: Option<Vec<Vec<Vec<u8>>>>, dirty: u64) {
        self.ops.extend(propagated(argv, propagate, dirty).into_iter().map(|command| (db, command)));
    }

    /// Adds a later part of the same unit (the next command of a transaction).
    pub fn extend(&mut self, later: Propagation) {
        self.ops.extend(later.ops);
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The unit's commands in order, between MULTI (in the first command's database) and EXEC
    /// (in the last one's) when there is more than one, as `propagatePendingCommands` does.
    pub fn finish(self) -> Vec<PropagatedOp> {
        let mut ops = self.ops;
        if ops.len() > 1 {
            let (first_db, last_db) = (ops[0].0, ops[ops.len() - 1].0);
            ops.insert(0, (first_db, vec![b"MULTI".to_vec()]));
            ops.push((last_db, vec![b"EXEC".to_vec()]));
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{show, TestDb, TEST_START_MS};
    use crate::reply::Reply;

    /// What the last command propagated, one `argv joined by spaces` per command, ` ; `
    /// between commands.
    fn last(db: &TestDb) -> String {
        let commands: Vec<String> = db
            .propagated
            .iter()
            .map(|(_, argv)| argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" "))
            .collect();
        commands.join(" ; ")
    }

    /// Runs each `(command, what it propagates)` row, checking the propagation.
    fn check(db: &mut TestDb, rows: &[(&str, &str)]) {
        for (line, want) in rows {
            let reply = db.cmd(line);
            assert_eq!(last(db), *want, "propagation of `{line}` (reply {reply})");
        }
    }

    #[test]
    fn expiry_commands_propagate_absolute_times() {
        // Proves the rewrites Redis 7.0.15 wrote to its AOF for the same commands: relative
        // and second-based expiries become PEXPIREAT with options kept, PEXPIREAT goes out as
        // called, a time already past becomes DEL, the SET family becomes SET ... PXAT.
        let mut db = TestDb::new();
        assert_eq!(TEST_START_MS, 1_700_000_000_000);
        check(
            &mut db,
            &[
                ("SET k v", "SET k v"),
                ("EXPIRE k 100", "PEXPIREAT k 1700000100000"),
                ("EXPIRE k 100 NX", ""),
                ("EXPIRE k 200 gt", "PEXPIREAT k 1700000200000 gt"),
                ("PEXPIRE k 5000", "PEXPIREAT k 1700000005000"),
                ("EXPIREAT k 1800000000", "PEXPIREAT k 1800000000000"),
                ("pexpireat k 1800000000001", "pexpireat k 1800000000001"),
                ("EXPIRE nokey 10", ""),
                ("EXPIRE k -1", "DEL k"),
                ("SETEX k 10 v", "SET k v PXAT 1700000010000"),
                ("PSETEX k 10 v", "SET k v PXAT 1700000000010"),
                ("SET k v NX EX 10", ""),
                ("SET k v XX GET EX 10", "SET k v PXAT 1700000010000"),
                ("SET k v PXAT 1800000000000 GET", "SET k v PXAT 1800000000000"),
                ("SET k v EXAT 1", "SET k v PXAT 1000"),
                // The key set just before has expired: its DEL goes first.
                ("SET k v GET", "MULTI ; DEL k ; SET k v ; EXEC"),
                ("set k get KEEPTTL gEt", "set k get KEEPTTL"),
                ("SET k v KEEPTTL", "SET k v KEEPTTL"),
                ("GETEX k EX 10", "PEXPIREAT k 1700000010000"),
                ("GETEX k PXAT 1800000000000", "PEXPIREAT k 1800000000000"),
                ("GETEX k PERSIST", "PERSIST k"),
                ("GETEX k PERSIST", ""),
                ("GETEX k", ""),
                ("GETEX k EXAT 1", "DEL k"),
                ("SET k v EX 0", ""),
            ],
        );
    }

    #[test]
    fn results_and_random_picks_propagate_as_what_happened() {
        // Proves float increments propagate their result, GETDEL a DEL, SPOP the members it
        // took (several in MULTI/EXEC, the whole set as DEL), as Redis 7.0.15 wrote them.
        let mut db = TestDb::new();
        check(
            &mut db,
            &[
                ("SET f 1.5", "SET f 1.5"),
                ("INCRBYFLOAT f 1", "SET f 2.5 KEEPTTL"),
                ("HINCRBYFLOAT h f 1.5", "HSET h f 1.5"),
                ("GETSET f 3", "SET f 3"),
                ("GETDEL f", "DEL f"),
                ("GETDEL f", ""),
                ("SADD s a b c d e", "SADD s a b c d e"),
                ("SPOP s 0", ""),
                ("SPOP nokey", ""),
            ],
        );
        let popped = db.cmd("SPOP s");
        assert_eq!(last(&db), format!("SREM s {}", popped.trim_matches('"')));
        let reply = db.run(&[b"SPOP", b"s", b"2"]);
        let Reply::Set(members) = reply else { panic!("{}", show(&reply)) };
        let srems: Vec<String> = members.iter().map(|m| format!("SREM s {}", show(m).trim_matches('"'))).collect();
        assert_eq!(last(&db), format!("MULTI ; {} ; EXEC", srems.join(" ; ")));
        check(&mut db, &[("SPOP s 5", "DEL s")]);
    }

    #[test]
    fn blocking_and_multi_key_pops_propagate_the_plain_pop() {
        // Proves served-at-once blocking pops and LMPOP/ZMPOP propagate as the single-key pop
        // of the key that served (with the count taken), as Redis 7.0.15 wrote them; plain
        // pops and moves go out as called.
        let mut db = TestDb::new();
        check(
            &mut db,
            &[
                ("RPUSH l a b c", "RPUSH l a b c"),
                ("BLPOP nokey l 0", "LPOP l"),
                ("BRPOP l 0", "RPOP l"),
                ("RPUSH l a b c d", "RPUSH l a b c d"),
                ("LMPOP 2 nokey l left COUNT 2", "LPOP l 2"),
                ("BLMPOP 0 1 l RIGHT COUNT 5", "RPOP l 3"),
                ("BLMPOP 0 1 l RIGHT COUNT 5", ""),
                ("RPUSH l a b c", "RPUSH l a b c"),
                ("BLMOVE l l2 RiGhT lEfT 0", "LMOVE l l2 RiGhT lEfT"),
                ("BRPOPLPUSH l l2 0", "RPOPLPUSH l l2"),
                ("lmove l l2 left right", "lmove l l2 left right"),
                ("lpop l 0", ""),
                ("ZADD z 1 a 2 b 3 c 4 d", "ZADD z 1 a 2 b 3 c 4 d"),
                ("BZPOPMIN nokey z 0", "ZPOPMIN z"),
                ("BZPOPMAX z 0", "ZPOPMAX z"),
                ("zpopmin z 0", ""),
                ("ZADD z 1 a 4 d", "ZADD z 1 a 4 d"),
                ("ZMPOP 1 z MIN COUNT 10", "ZPOPMIN z 4"),
                ("ZADD z 1 a 2 b", "ZADD z 1 a 2 b"),
                ("BZMPOP 0 1 z max", "ZPOPMAX z 1"),
            ],
        );
    }

    #[test]
    fn served_blocked_clients_propagate_the_plain_pop() {
        // Proves a parked client served later propagates as Redis 7.0.15's served clients do:
        // the pop of the ready key, BLMOVE's directions in lower case.
        let mut db = TestDb::new();
        let cases: &[(&str, &str, &str)] = &[
            ("BLPOP other bl 0", "bl", "LPOP bl"),
            ("BRPOP bl 0", "bl", "RPOP bl"),
            ("BLMOVE bl dst RIGHT left 0", "bl", "LMOVE bl dst right left"),
            ("BRPOPLPUSH bl dst 0", "bl", "RPOPLPUSH bl dst"),
            ("BLMPOP 0 2 other bl right COUNT 2", "bl", "RPOP bl 2"),
            ("BZPOPMIN bz 0", "bz", "ZPOPMIN bz"),
            ("BZPOPMAX bz 0", "bz", "ZPOPMAX bz"),
            ("BZMPOP 0 1 bz min COUNT 5", "bz", "ZPOPMIN bz 1"),
        ];
        for (line, ready, want) in cases {
            db.cmd("DEL bl bz");
            let parked = db.cmd(line);
            assert!(parked == "(nil array)" || parked == "(nil)", "{line}: {parked}");
            let block = db.block_on.take().unwrap_or_else(|| panic!("{line} blocks"));
            db.cmd("RPUSH bl a b c");
            db.cmd("ZADD bz 1 a 2 b");
            if *ready == "bz" {
                db.cmd("ZREM bz a");
            }
            let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            let mut ctx = db.ctx();
            let reply = (block.serve)(&mut ctx, &argv, ready.as_bytes()).expect("the key is ready");
            assert!(reply.is_ok(), "{line}");
            let propagate = ctx.propagate.take();
            let commands = propagated(&argv, propagate, 1);
            let shown: Vec<String> = commands
                .iter()
                .map(|c| c.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" "))
                .collect();
            assert_eq!(shown.join(" ; "), *want, "{line}");
        }
    }

    #[test]
    fn lazily_expired_keys_go_first_and_wrap_in_multi() {
        // Proves a key found expired by a command propagates as DEL before the command, the two
        // wrapped in MULTI/EXEC, as Redis 7.0.15 wrote `MULTI ; DEL k ; set k v2 ; EXEC`; a read
        // that finds it expired propagates the DEL alone; SET over an expired key counts too.
        let mut db = TestDb::new();
        check(
            &mut db,
            &[("SET k v PX 100", "SET k v PXAT 1700000000100"), ("SET q v PX 100", "SET q v PXAT 1700000000100")],
        );
        db.now_ms += 200;
        check(
            &mut db,
            &[
                ("set k v2", "MULTI ; DEL k ; set k v2 ; EXEC"),
                ("GET q", "DEL q"),
                ("GET q", ""),
                ("SET k v PX 100", "SET k v PXAT 1700000000300"),
            ],
        );
        db.now_ms += 200;
        check(&mut db, &[("MSET k 1 z 2", "MULTI ; DEL k ; MSET k 1 z 2 ; EXEC")]);
    }

    #[test]
    fn nothing_expires_while_the_aof_is_replayed() {
        // Proves the replay of `SET k v PXAT <past>` then `PERSIST k` keeps k, as Redis 7.0.15
        // does when it loads such an AOF, and that the same commands outside loading expire it.
        for loading in [true, false] {
            let mut db = TestDb::new();
            db.keyspace.loading = loading;
            db.cmd("SET k v PXAT 1600000000000");
            assert_eq!(db.cmd("PERSIST k"), if loading { ":1" } else { ":0" });
            db.keyspace.loading = false;
            assert_eq!(db.cmd("GET k"), if loading { "\"v\"" } else { "(nil)" });
        }
    }

    #[test]
    fn active_expiry_propagates_one_del_per_key_with_its_db() {
        // Proves keys the active cycle removes come out as DELs in their own databases,
        // unwrapped, as Redis 7.0.15 wrote `SELECT 0 ; DEL k ; SELECT 1 ; DEL k`.
        let mut db = TestDb::new();
        db.cmd("SET k v PX 10");
        db.keyspace.dbs.swap(0, 1);
        db.cmd("SET k v PX 10");
        let config = db.config.clone();
        crate::expire::active_expire_cycle(&mut db.keyspace, &config, 10, db.now_ms + 100);
        let mut deletions = expired_deletions(&mut db.keyspace);
        deletions.sort();
        assert_eq!(
            deletions,
            vec![(0, vec![b"DEL".to_vec(), b"k".to_vec()]), (1, vec![b"DEL".to_vec(), b"k".to_vec()])]
        );
        assert!(expired_deletions(&mut db.keyspace).is_empty());
    }

    #[test]
    fn a_transaction_wraps_with_the_first_and_last_databases() {
        // Proves MULTI takes the first command's database and EXEC the last one's, and a unit
        // with one command is not wrapped.
        let mut unit = Propagation::new();
        unit.add_command(5, &[b"SET", b"q", b"2"], None, 1);
        unit.add_command(5, &[b"GET", b"q"], None, 0);
        assert_eq!(unit.clone().finish(), vec![(5, vec![b"SET".to_vec(), b"q".to_vec(), b"2".to_vec()])]);
        unit.add_command(
            0,
            &[b"SPOP", b"s", b"2"],
            Some(vec![vec![b"SREM".to_vec(), b"s".to_vec(), b"a".to_vec()]]),
            2,
        );
        let ops = unit.finish();
        let dbs: Vec<usize> = ops.iter().map(|(db, _)| *db).collect();
        assert_eq!(dbs, [5, 5, 0, 0]);
        assert_eq!(ops[0].1, vec![b"MULTI".to_vec()]);
        assert_eq!(ops[3].1, vec![b"EXEC".to_vec()]);
        assert!(Propagation::new().finish().is_empty());
    }
}
