//! Point-in-time snapshots without fork and without copying the dataset.
//!
//! A snapshot serializes the keyspace a step at a time from the event loop, while commands keep
//! running between steps. The bytes it produces describe the keyspace exactly as it was when the
//! snapshot began: before any change to a key the snapshot has not written yet (a write, a
//! delete, an expiry, a TTL change, a flush), the key's old entry is serialized first; keys created
//! after the start are never written. Extra memory is bounded by those early entries, which the
//! next step hands out first.
//!
//! The format decides the bytes per key: RDB entries (BGSAVE, an AOF base with RDB preamble) or
//! commands (an AOF base without it). Header and trailer are the caller's.
//!
//! # How a key is written exactly once
//! Each snapshot has an epoch `E` (`Keyspace::snapshot_epoch`, one more per snapshot), and every
//! `Object` carries the epoch of the last snapshot that wrote it. A key is written when its epoch
//! is not `E`, and its epoch becomes `E` as it is written, either:
//! - by a step, which walks each database's table with the SCAN cursor (every key present from the
//!   first call to the last is visited at least once; a second visit finds epoch `E` and skips), or
//! - by the database, just before it changes the key (`Db::before_change` → `before_change`
//!   here): the old entry goes into that database's pending buffer, which the next step emits
//!   first, under its own `SELECTDB`.
//!
//! Keys stored while the snapshot runs get epoch `E` at once (`Db::add`/`Db::set`), so they are
//! never written. Outside a snapshot new keys get epoch 0, which no snapshot uses.
//!
//! Whole-database changes need no copy either: FLUSHDB/FLUSHALL hand the old table to the
//! snapshot (`keep_flushed`, O(1)), which writes and frees it a step at a time; SWAPDB moves the
//! snapshot's per-database state along with the keys (`Db::swap_contents`), so each key is still
//! written under the number its database had at the start.
//!
//! Epochs are 16 bits. When the counter would wrap to 0, `begin` first resets every key's epoch
//! to 0 (one O(keys) pass every 65,535 snapshots), so an epoch left on a key by an old snapshot
//! can never be mistaken for the running one's.
//!
//! # Limits
//! - A key is serialized whole: a step that reaches a huge collection, or the first write to one
//!   not yet written, takes time proportional to its size (a step's budget bounds everything
//!   else).
//! - A write lookup saves the key even when the command then changes nothing (WRONGTYPE, SADD
//!   of a present member): a little early memory, never a wrong snapshot.
//! - The keyspace must not be replaced (a reload) while a snapshot runs: abort it first.

use crate::db::Keyspace;
use crate::dict::{self, Dict};
use crate::rdb::EntryOptions;
use crate::value::Object;

/// Work a step may do besides writing: visiting a bucket or a key that needs no writing (already
/// written, or created after the start) counts as this many bytes of the step's budget, so a
/// step over keys that were all written early still ends in bounded time.
const VISIT_COST_BYTES: usize = 16;

/// Pending buffers larger than this are freed, not kept for reuse, once their bytes are out.
const PENDING_KEEP_BYTES_MAX: usize = 64 * 1024;

/// How each key is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RDB entries, with `SELECTDB`/`RESIZEDB` before each database's run of keys.
    Rdb(EntryOptions),
    /// Commands (`SELECT`, `SET`, `RPUSH`..., `PEXPIREAT`), as an AOF rewrite writes them.
    Aof,
}

impl Format {
    fn write_entry(&self, out: &mut Vec<u8>, key: &[u8], obj: &Object, expire_ms: Option<i64>) {
        match self {
            Format::Rdb(opts) => crate::rdb::write_entry(out, key, obj, expire_ms, opts),
            Format::Aof => crate::aof::write_entry(out, key, obj, expire_ms),
        }
    }
}

/// A snapshot in progress over one keyspace. At most one exists per keyspace at a time.
pub struct Snapshot {
    format: Format,
    epoch: u16,
    /// The database number the bytes handed out so far last selected (`SELECTDB`/`SELECT`).
    selected: Option<usize>,
    keys_written: u64,
    done: bool,
}

/// A snapshot's state for the keys one `Db` holds. It lives in the `Db` (so the database can call
/// `before_change`) and moves with the keys on SWAPDB.
pub(crate) struct DbSnapshot {
    epoch: u16,
    format: Format,
    /// The database number these keys had when the snapshot began.
    origin: usize,
    /// Keys and volatile keys at the start (RDB's `RESIZEDB` hint).
    size_at_begin: u64,
    expires_at_begin: u64,
    /// Where the scan of the live table resumes; `None` once nothing there needs writing (the
    /// scan is complete, or a flush moved the keys to `flushed`).
    cursor: Option<u64>,
    /// The table a FLUSHDB/FLUSHALL removed before the scan was complete.
    flushed: Option<Flushed>,
    /// Entries of keys saved before a change, not yet handed out.
    pending: Vec<u8>,
    pending_keys: u64,
}

/// A flushed table the snapshot still has to write; entries are freed as they are taken.
struct Flushed {
    keys: dict::IntoIter<Object>,
    expires: Dict<i64>,
}

impl DbSnapshot {
    /// The running snapshot's epoch.
    pub(crate) fn epoch(&self) -> u16 {
        self.epoch
    }

    /// Called by the database before it changes `key` (its value, TTL or existence): saves the
    /// entry as it is now unless the snapshot wrote it already.
    pub(crate) fn before_change(&mut self, key: &[u8], obj: &mut Object, expires: &Dict<i64>) {
        if obj.epoch == self.epoch {
            return;
        }
        obj.epoch = self.epoch;
        let expire_ms = if expires.is_empty() { None } else { expires.get(key).copied() };
        self.format.write_entry(&mut self.pending, key, obj, expire_ms);
        self.pending_keys += 1;
    }

    /// Called by the database as it is flushed, with its old tables: keeps them when they may
    /// hold keys not written yet, to write them out a step at a time.
    pub(crate) fn keep_flushed(&mut self, keys: Dict<Object>, expires: Dict<i64>) {
        if self.cursor.take().is_some() && !keys.is_empty() {
            assert!(self.flushed.is_none(), "a flushed table while the live scan was unfinished");
            self.flushed = Some(Flushed { keys: keys.into_iter(), expires });
        }
        // Otherwise every key there was written or created after the start: dropping them is what
        // a flush without a snapshot does.
    }

    /// Checks that once the live table needs no more scanning, every key in it is marked (so no
    /// key present at the start can be missed). O(keys): for tests and the simulator.
    pub(crate) fn audit(&self, keys: &Dict<Object>) {
        if self.cursor.is_none() {
            for (key, obj) in keys.iter() {
                assert_eq!(obj.epoch, self.epoch, "{} not written, but the scan is over", key.escape_ascii());
            }
        }
    }

    fn is_finished(&self) -> bool {
        self.cursor.is_none() && self.flushed.is_none() && self.pending.is_empty()
    }
}

/// Writes `SELECTDB`+`RESIZEDB` (or `SELECT`) for `snap`'s database unless it is the one the
/// bytes handed out so far last selected.
fn select(selected: &mut Option<usize>, format: Format, out: &mut Vec<u8>, snap: &DbSnapshot) {
    if *selected == Some(snap.origin) {
        return;
    }
    *selected = Some(snap.origin);
    match format {
        Format::Rdb(_) => crate::rdb::write_select_db(out, snap.origin, snap.size_at_begin, snap.expires_at_begin),
        Format::Aof => crate::aof::write_select(out, snap.origin),
    }
}

impl Snapshot {
    /// Starts a snapshot of `keyspace` as it is now.
    pub fn begin(keyspace: &mut Keyspace, format: Format) -> Snapshot {
        let mut epoch = keyspace.snapshot_epoch.wrapping_add(1);
        if epoch == 0 {
            // Old epochs are about to be reused: clear them all first (see the module comment).
            for db in &mut keyspace.dbs {
                let (keys, _, snapshot) = db.snapshot_parts();
                assert!(snapshot.is_none(), "a snapshot is already running");
                keys.for_each_value_mut(|obj| obj.epoch = 0);
            }
            epoch = 1;
        }
        keyspace.snapshot_epoch = epoch;
        for (origin, db) in keyspace.dbs.iter_mut().enumerate() {
            let (keys, expires, snapshot) = db.snapshot_parts();
            assert!(snapshot.is_none(), "a snapshot is already running");
            *snapshot = Some(Box::new(DbSnapshot {
                epoch,
                format,
                origin,
                size_at_begin: keys.len() as u64,
                expires_at_begin: expires.len() as u64,
                cursor: Some(0),
                flushed: None,
                pending: Vec::new(),
                pending_keys: 0,
            }));
        }
        Snapshot { format, epoch, selected: None, keys_written: 0, done: false }
    }

    /// Appends roughly `budget` more bytes to `out`; true when every key has been written (the
    /// snapshot has then let go of the keyspace). Entries saved early since the last step go out
    /// first, whatever their size; then the scan continues until the bytes written, plus a small
    /// cost per bucket and per key skipped, reach `budget`. At least one bucket is visited, so
    /// any budget makes progress.
    pub fn step(&mut self, keyspace: &mut Keyspace, out: &mut Vec<u8>, budget: usize) -> bool {
        if self.done {
            return true;
        }
        let start = out.len();
        for db in &mut keyspace.dbs {
            let (_, _, snapshot) = db.snapshot_parts();
            let snap = snapshot.as_deref_mut().expect("every database has the running snapshot's state");
            if !snap.pending.is_empty() {
                select(&mut self.selected, self.format, out, snap);
                out.extend_from_slice(&snap.pending);
                if snap.pending.capacity() > PENDING_KEEP_BYTES_MAX {
                    snap.pending = Vec::new();
                } else {
                    snap.pending.clear();
                }
                self.keys_written += std::mem::take(&mut snap.pending_keys);
            }
        }
        let mut visits = 0usize;
        loop {
            let unfinished = keyspace.dbs.iter().position(|db| {
                let snap = db.snapshot_state().expect("running snapshot's state");
                snap.cursor.is_some() || snap.flushed.is_some()
            });
            let Some(index) = unfinished else {
                for db in &mut keyspace.dbs {
                    let snapshot = db.snapshot_parts().2.take().expect("running snapshot's state");
                    assert!(snapshot.is_finished(), "a database's snapshot state ended unfinished");
                }
                self.done = true;
                return true;
            };
            let (keys, expires, snapshot) = keyspace.dbs[index].snapshot_parts();
            let snap = snapshot.as_deref_mut().expect("running snapshot's state");
            // Stay on this database until its keys are all written or the budget is spent.
            while snap.cursor.is_some() || snap.flushed.is_some() {
                if let Some(flushed) = snap.flushed.as_mut() {
                    match flushed.keys.next() {
                        Some((key, obj)) => {
                            let expire_ms = flushed.expires.remove(&key);
                            visits += 1;
                            if obj.epoch != self.epoch {
                                select(&mut self.selected, self.format, out, snap);
                                self.format.write_entry(out, &key, &obj, expire_ms);
                                self.keys_written += 1;
                            }
                        }
                        None => snap.flushed = None,
                    }
                } else {
                    let cursor = snap.cursor.expect("checked by the loop");
                    let next = keys.scan_mut(cursor, |key, obj| {
                        visits += 1;
                        if obj.epoch != self.epoch {
                            obj.epoch = self.epoch;
                            let expire_ms = if expires.is_empty() { None } else { expires.get(key).copied() };
                            select(&mut self.selected, self.format, out, snap);
                            self.format.write_entry(out, key, obj, expire_ms);
                            self.keys_written += 1;
                        }
                    });
                    visits += 1;
                    snap.cursor = (next != 0).then_some(next);
                }
                if out.len() - start + visits * VISIT_COST_BYTES >= budget {
                    return false;
                }
            }
        }
    }

    /// Stops the snapshot (a failed save, a killed rewrite), releasing what it held.
    pub fn abort(self, keyspace: &mut Keyspace) {
        if self.done {
            return;
        }
        for db in &mut keyspace.dbs {
            // Dropping a flushed table frees it here, in one go.
            db.snapshot_parts().2.take();
        }
    }

    /// Keys written so far.
    pub fn keys_written(&self) -> u64 {
        self.keys_written
    }

    /// Bytes held for keys changed before the snapshot reached them (the extra memory).
    pub fn held_bytes(&self, keyspace: &Keyspace) -> usize {
        if self.done {
            return 0;
        }
        keyspace.dbs.iter().map(|db| db.snapshot_state().map_or(0, |snap| snap.pending.len())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::args::eq_ci;
    use crate::cmd::table::{lookup, Handler};
    use crate::cmd::testing::TestDb;
    use crate::reply::Reply;
    use crate::rng::Rng;
    use crate::value::{StrValue, Value};
    use std::collections::{BTreeMap, BTreeSet};

    /// Databases the generated workloads use (of TestDb's sixteen).
    const DBS_USED: u64 = 4;
    /// Key names `k0..` a workload fills before the snapshot begins.
    const KEYS_PER_DB: u64 = 40;

    /// A key's contents with encodings left out: what a save must preserve.
    #[derive(Clone, Debug, PartialEq)]
    enum Logical {
        Str(Vec<u8>),
        List(Vec<Vec<u8>>),
        Set(BTreeSet<Vec<u8>>),
        Hash(BTreeMap<Vec<u8>, Vec<u8>>),
        /// Member → score bits (exact, -0 included).
        Zset(BTreeMap<Vec<u8>, u64>),
        /// A stream compares whole: its nodes are already Redis's bytes.
        Stream(crate::types::stream::StreamValue),
    }

    fn logical(value: &Value) -> Logical {
        match value {
            Value::Str(s) => Logical::Str(s.to_bytes()),
            Value::List(l) => Logical::List(l.iter().map(<[u8]>::to_vec).collect()),
            Value::Set(s) => Logical::Set(s.iter().map(|m| m.into_owned()).collect()),
            Value::Hash(h) => Logical::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
            Value::Zset(z) => Logical::Zset(z.iter().map(|(m, s)| (m.to_vec(), s.to_bits())).collect()),
            Value::Stream(st) => Logical::Stream((**st).clone()),
        }
    }

    /// Every key alive at `now_ms` (database, name) → (contents, expiry).
    type Dump = BTreeMap<(usize, Vec<u8>), (Logical, Option<i64>)>;

    fn dump(keyspace: &Keyspace, now_ms: i64) -> Dump {
        let mut out = Dump::new();
        for (index, db) in keyspace.dbs.iter().enumerate() {
            for (key, obj) in db.keys().iter() {
                if !db.is_expired(key, now_ms) {
                    out.insert((index, key.to_vec()), (logical(&obj.value), db.expire_at(key)));
                }
            }
        }
        out
    }

    /// Runs `argv` on database `db` through the command table, as the dispatcher would.
    fn exec(t: &mut TestDb, db: usize, argv: &[&[u8]]) -> Reply {
        let cmd = lookup(argv[0]).expect("a known command");
        assert!(cmd.spec.arity_ok(argv.len()), "arity of {argv:?}");
        let Handler::Engine(f) = cmd.handler else { panic!("{} is not an engine command", cmd.spec.name) };
        let mut ctx = t.ctx();
        ctx.db = db;
        let reply = f(&mut ctx, argv).unwrap_or_else(Reply::Error);
        t.keyspace.dbs[db].audit();
        reply
    }

    fn exec_line(t: &mut TestDb, db: usize, line: &str) -> Reply {
        let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        exec(t, db, &argv)
    }

    /// Rebuilds a keyspace from a snapshot's bytes as a loader would, at time `now_ms`.
    fn load(format: Format, bytes: &[u8], now_ms: i64) -> TestDb {
        let mut t = TestDb::new();
        t.now_ms = now_ms;
        match format {
            Format::Aof => {
                let mut reader = crate::aof::CommandReader::new(bytes);
                let mut db = 0;
                while let Some(command) = reader.next_command() {
                    let argv = command.expect("the snapshot's commands parse");
                    if eq_ci(argv[0], "select") {
                        db = std::str::from_utf8(argv[1]).unwrap().parse().unwrap();
                        continue;
                    }
                    let reply = exec(&mut t, db, &argv);
                    assert!(!matches!(reply, Reply::Error(_)), "{argv:?} failed on load: {reply:?}");
                }
            }
            Format::Rdb(_) => {
                let mut file = Vec::new();
                crate::rdb::write_header(&mut file, &[]);
                file.extend_from_slice(bytes);
                let mut crc = crate::rdb::Crc64::default();
                crc.update(&file);
                crate::rdb::write_footer(&mut file, Some(crc));
                let mut keyspace = Keyspace::new(16, &mut Rng::new(5));
                crate::rdb::load(&file, &mut keyspace, now_ms, &t.config, &mut Rng::new(6)).expect("the file loads");
                t.keyspace = keyspace;
            }
        }
        t
    }

    fn arg(rng: &mut Rng, choices: &[&'static str]) -> &'static str {
        choices[rng.below(choices.len() as u64) as usize]
    }

    /// A random member or value: small integers (intsets, `int` strings), short and long strings.
    fn element(rng: &mut Rng) -> String {
        match rng.below(3) {
            0 => rng.below(1000).to_string(),
            1 => format!("m{}", rng.below(300)),
            _ => format!("long-{}-{}", "x".repeat(rng.below(80) as usize), rng.below(50)),
        }
    }

    /// Fills `DBS_USED` databases with keys of every type and encoding, some volatile.
    fn populate(t: &mut TestDb, rng: &mut Rng) {
        for db in 0..DBS_USED as usize {
            for i in 0..KEYS_PER_DB {
                if rng.below(10) < 3 {
                    continue;
                }
                let key = format!("k{i}");
                let big = rng.below(5) == 0;
                let count = if big { 100 + rng.below(600) } else { 1 + rng.below(8) };
                match rng.below(5) {
                    0 => {
                        exec_line(t, db, &format!("SET {key} {}", element(rng)));
                    }
                    kind => {
                        for _ in 0..count {
                            let line = match kind {
                                1 => format!("RPUSH {key} {}", element(rng)),
                                2 => format!("SADD {key} {}", element(rng)),
                                3 => format!("HSET {key} {} {}", element(rng), element(rng)),
                                _ => format!("ZADD {key} {} {}", rng.below(100) as f64 / 4.0 - 10.0, element(rng)),
                            };
                            exec_line(t, db, &line);
                        }
                    }
                }
                if rng.below(10) < 3 {
                    // 1..=3000 ms; the snapshot begins 1000.5 ms on, so no expiry falls on it.
                    exec_line(t, db, &format!("PEXPIRE {key} {}", 1 + rng.below(3000)));
                }
            }
        }
    }

    /// One random change (or read) on `t`, returning the command run, if any.
    fn mutate(t: &mut TestDb, rng: &mut Rng, fresh: &mut u64) -> Option<Reply> {
        let db = rng.below(DBS_USED) as usize;
        let other = rng.below(DBS_USED) as usize;
        let mut key = || {
            if rng.below(4) == 0 {
                *fresh += 1;
                format!("n{fresh}")
            } else {
                format!("k{}", rng.below(KEYS_PER_DB))
            }
        };
        let (k1, k2) = (key(), key());
        let e = element(rng);
        let line = match rng.below(30) {
            0 => format!("SET {k1} {e}"),
            1 => format!("DEL {k1} {k2}"),
            2 => format!("APPEND {k1} {e}"),
            3 => format!("PEXPIRE {k1} {}", 1 + rng.below(3000)),
            4 => format!("PERSIST {k1}"),
            5 => format!("RPUSH {k1} {e}"),
            6 => format!("{} {k1}", arg(rng, &["LPOP", "RPOP"])),
            7 => format!("SADD {k1} {e}"),
            8 => format!("SREM {k1} {e}"),
            9 => format!("SPOP {k1}"),
            10 => format!("HSET {k1} {e} {}", element(rng)),
            11 => format!("HDEL {k1} {e}"),
            12 => format!("ZADD {k1} {} {e}", rng.below(40)),
            13 => format!("ZINCRBY {k1} 1.5 {e}"),
            14 => format!("ZPOPMIN {k1}"),
            15 => format!("RENAME {k1} {k2}"),
            16 => format!("MOVE {k1} {other}"),
            17 => format!("COPY {k1} {k2} DB {other} REPLACE"),
            18 => format!("{} {k1} {k2} k{}", arg(rng, &["SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE"]), rng.below(9)),
            19 => format!("ZUNIONSTORE {k1} 2 {k2} k{}", rng.below(9)),
            20 => format!("LMOVE {k1} {k2} LEFT RIGHT"),
            21 => format!("{} {k1}", arg(rng, &["GETDEL", "INCR"])),
            22 => format!("GETEX {k1} {}", arg(rng, &["PERSIST", "PX 50"])),
            23 => format!("{} {k1}", arg(rng, &["GET", "SMEMBERS", "HGETALL", "TTL", "TYPE", "EXISTS"])),
            24 if rng.below(2) == 0 => format!("LRANGE {k1} 0 -1"),
            24 => {
                // Lazy expiry: time passes, then a read finds the key expired.
                t.now_ms += rng.below(400) as i64;
                format!("EXISTS {k1} {k2}")
            }
            25 => {
                t.now_ms += rng.below(400) as i64;
                crate::expire::active_expire_cycle(&mut t.keyspace, &t.config, 10, t.now_ms);
                return None;
            }
            26 if rng.below(4) == 0 => "FLUSHDB".to_string(),
            27 if rng.below(8) == 0 => "FLUSHALL".to_string(),
            28 => format!("SWAPDB {db} {other}"),
            _ => format!("SORT {k1} ALPHA STORE {k2}"),
        };
        Some(exec_line(t, db, &line))
    }

    /// What went wrong in one run of the property.
    #[derive(Debug, PartialEq)]
    enum Violation {
        /// The loaded snapshot differs from the keyspace at the start.
        Content,
        /// A key was written more or fewer times than once.
        KeysWritten,
        /// The snapshot changed what a command replied, or the keyspace it left.
        Behaviour,
    }

    /// The property: begin a snapshot of a random keyspace, interleave random steps with random
    /// changes of every kind, finish, load the bytes, and compare with the keyspace as it was at
    /// the start. A twin keyspace runs the same commands without a snapshot: replies and the
    /// final keyspace must be the same (the snapshot is invisible). `bypass` changes a key
    /// behind the snapshot's back first, to show that the check catches a missed save.
    fn property(seed: u64, format: Format, bypass: bool) -> Result<(), (Violation, String)> {
        let mut rng = Rng::new(seed);
        let mut t = TestDb::new();
        populate(&mut t, &mut rng);
        t.now_ms += 1000;
        let mut twin = TestDb::new();
        populate(&mut twin, &mut Rng::new(seed));
        twin.now_ms = t.now_ms;

        let begin_ms = t.now_ms;
        let at_begin = dump(&t.keyspace, begin_ms);
        let keys_at_begin = t.keyspace.key_count() as u64;
        let mut snapshot = Snapshot::begin(&mut t.keyspace, format);
        if bypass {
            // The same change in both keyspaces, but only the twin's goes through the database.
            let (keys, expires, _) = t.keyspace.dbs[0].snapshot_parts();
            let victim = keys.iter().find(|(k, _)| !expires.contains_key(k)).expect("a persistent key").0.to_vec();
            let changed = Value::Str(StrValue::from_bytes(b"changed behind its back"));
            keys.get_mut(&victim).unwrap().value = changed.clone();
            twin.keyspace.dbs[0].get_mut(&victim).unwrap().value = changed;
        }

        let mut out = Vec::new();
        let (mut fresh, mut twin_fresh) = (0, 0);
        let (mut held_total, mut changes_since_step, mut steps) = (0usize, 0usize, 0u32);
        let max_entry = at_begin_entry_max(&t, format);
        loop {
            if rng.below(4) == 0 {
                let held = snapshot.held_bytes(&t.keyspace);
                // Only keys changed since the last step are held: at most two per command.
                assert!(held <= 2 * changes_since_step * max_entry, "{held} bytes held after {changes_since_step}");
                held_total += held;
                changes_since_step = 0;
                steps += 1;
                let budget = 1 + rng.below(1500) as usize;
                if snapshot.step(&mut t.keyspace, &mut out, budget) {
                    break;
                }
                assert_eq!(snapshot.held_bytes(&t.keyspace), 0, "a step hands out every saved entry");
            }
            let mut twin_rng = rng.clone();
            let keys_before = t.keyspace.key_count();
            let reply = mutate(&mut t, &mut rng, &mut fresh);
            let twin_reply = mutate(&mut twin, &mut twin_rng, &mut twin_fresh);
            if reply != twin_reply {
                return Err((Violation::Behaviour, format!("reply {reply:?}, without a snapshot {twin_reply:?}")));
            }
            // A command saves at most two keys, or the keys it expires (active or lazy expiry).
            changes_since_step += 2.max(keys_before.saturating_sub(t.keyspace.key_count()));
        }
        assert!(steps > 1);
        if dump(&t.keyspace, t.now_ms) != dump(&twin.keyspace, twin.now_ms) {
            return Err((Violation::Behaviour, "the keyspace differs from the twin's".into()));
        }
        // Each early entry is also in `out`, once: their total is bounded by the snapshot's size.
        assert!(held_total <= out.len());
        if snapshot.keys_written() != keys_at_begin {
            let what = format!("{} keys written of {keys_at_begin}", snapshot.keys_written());
            return Err((Violation::KeysWritten, what));
        }

        let loaded = dump(&load(format, &out, begin_ms).keyspace, begin_ms);
        assert!(loaded.keys().all(|(_, key)| key.starts_with(b"k")), "a key created after the start was written");
        if loaded != at_begin {
            let missing: Vec<_> = at_begin.keys().filter(|k| !loaded.contains_key(k)).collect();
            let extra: Vec<_> = loaded.keys().filter(|k| !at_begin.contains_key(k)).collect();
            let differ: Vec<_> = at_begin.iter().filter(|(k, v)| loaded.get(k).is_some_and(|l| l != *v)).collect();
            let what = format!("missing {missing:?}, extra {extra:?}, different {differ:?}");
            return Err((Violation::Content, what.escape_default().to_string()));
        }
        Ok(())
    }

    /// The largest entry `format` writes for a key of `t` (bounds what one early save holds).
    fn at_begin_entry_max(t: &TestDb, format: Format) -> usize {
        let mut max = 0;
        for db in &t.keyspace.dbs {
            for (key, obj) in db.keys().iter() {
                let mut buf = Vec::new();
                format.write_entry(&mut buf, key, obj, db.expire_at(key));
                max = max.max(buf.len());
            }
        }
        // Keys written after the start can be bigger than any at the start; this margin covers
        // the workload's growth (a few elements per command).
        max * 2 + 4096
    }

    #[test]
    fn aof_snapshot_is_the_keyspace_at_begin_under_random_changes() {
        // Proves the point-in-time property for the AOF form over many random workloads: every
        // change kind, random step sizes, FLUSH/SWAPDB/MOVE/RENAME, lazy and active expiry.
        for seed in 1..=40 {
            if let Err((violation, what)) = property(seed, Format::Aof, false) {
                panic!("seed {seed}: {violation:?}: {what}");
            }
        }
    }

    #[test]
    fn rdb_snapshot_is_the_keyspace_at_begin_under_random_changes() {
        // Proves the point-in-time property for the RDB form (what BGSAVE writes), loaded by the
        // RDB loader, with and without compression and with each LRU/LFU opcode.
        use crate::rdb::LruField;
        for seed in 1..=40 {
            let lru = [LruField::None, LruField::Idle { lru_clock: 1000 }, LruField::Freq][seed as usize % 3];
            let format = Format::Rdb(EntryOptions { compress: seed % 2 == 0, lru });
            if let Err((violation, what)) = property(seed, format, false) {
                panic!("seed {seed}: {violation:?}: {what}");
            }
        }
    }

    /// Steps `snapshot` to the end with `budget`, returning the bytes.
    fn finish(snapshot: &mut Snapshot, t: &mut TestDb, budget: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !snapshot.step(&mut t.keyspace, &mut out, budget) {}
        out
    }

    #[test]
    fn reads_save_nothing_and_a_key_is_saved_once() {
        // Proves reads (which only set the LRU clock) hold no early entry, the first change to an
        // unwritten key saves it, later changes and new keys save nothing more, and the result
        // is the keyspace at the start.
        let mut t = TestDb::new();
        for line in ["SET a 1", "RPUSH l x y", "HSET h f v", "ZADD z 1 m", "SADD s 1 2", "PEXPIRE a 100000"] {
            exec_line(&mut t, 0, line);
        }
        let at_begin = dump(&t.keyspace, t.now_ms);
        let mut snapshot = Snapshot::begin(&mut t.keyspace, Format::Aof);
        for line in
            ["GET a", "LRANGE l 0 -1", "HGETALL h", "ZRANGE z 0 -1", "SMEMBERS s", "TTL a", "EXISTS l", "TYPE h"]
        {
            exec_line(&mut t, 0, line);
        }
        assert_eq!(snapshot.held_bytes(&t.keyspace), 0);
        exec_line(&mut t, 0, "SET a 2");
        let held = snapshot.held_bytes(&t.keyspace);
        assert!(held > 0);
        for line in ["SET a 3", "APPEND a x", "PERSIST a", "SET new 1", "RPUSH new2 x"] {
            exec_line(&mut t, 0, line);
        }
        assert_eq!(snapshot.held_bytes(&t.keyspace), held);
        let out = finish(&mut snapshot, &mut t, 10);
        assert_eq!(snapshot.keys_written(), 5);
        assert_eq!(dump(&load(Format::Aof, &out, t.now_ms).keyspace, t.now_ms), at_begin);
        assert_eq!(snapshot.held_bytes(&t.keyspace), 0);
        // Finished: the keyspace is let go, changes save nothing.
        assert!(t.keyspace.dbs.iter().all(|db| db.snapshot_state().is_none()));
    }

    #[test]
    fn a_step_over_keys_already_written_is_bounded() {
        // Proves a step's work is bounded even when it writes nothing: with every key saved
        // early, the scan still only visits about `budget / VISIT_COST_BYTES` keys per step.
        let mut t = TestDb::new();
        let keys = 20_000;
        for i in 0..keys {
            exec_line(&mut t, 0, &format!("SET key:{i} {i}"));
        }
        let mut snapshot = Snapshot::begin(&mut t.keyspace, Format::Aof);
        for i in 0..keys {
            exec_line(&mut t, 0, &format!("INCR key:{i}"));
        }
        let mut out = Vec::new();
        assert!(!snapshot.step(&mut t.keyspace, &mut out, 4096), "one step skipped every key");
        assert_eq!(snapshot.keys_written(), keys as u64, "the early entries go out first");
        let mut steps = 1;
        while !snapshot.step(&mut t.keyspace, &mut out, 4096) {
            steps += 1;
        }
        // 20,000 keys plus 32,768 buckets visited, 256 visits per step.
        assert!((150..=250).contains(&steps), "{steps} steps");
        assert_eq!(snapshot.keys_written(), keys as u64);
    }

    #[test]
    fn an_epoch_wrap_clears_old_marks() {
        // Proves the 16-bit epoch wrap: a mark left by a snapshot long ago, equal to the epoch
        // the counter wraps to, does not make the new snapshot skip the key.
        let mut t = TestDb::new();
        exec_line(&mut t, 0, "SET a 1");
        exec_line(&mut t, 0, "SET b 2");
        t.keyspace.dbs[0].get_mut(b"a").unwrap().epoch = 1;
        t.keyspace.snapshot_epoch = u16::MAX;
        let mut snapshot = Snapshot::begin(&mut t.keyspace, Format::Aof);
        assert_eq!(t.keyspace.snapshot_epoch, 1);
        let out = finish(&mut snapshot, &mut t, 1);
        assert_eq!(snapshot.keys_written(), 2);
        assert_eq!(dump(&load(Format::Aof, &out, t.now_ms).keyspace, t.now_ms), dump(&t.keyspace, t.now_ms));
    }

    #[test]
    fn abort_lets_go_and_the_next_snapshot_starts_clean() {
        // Proves an aborted snapshot leaves nothing behind (no state, no saving on change) and
        // the next one writes the whole keyspace as it is then, keys the first one wrote included.
        let mut t = TestDb::new();
        populate(&mut t, &mut Rng::new(3));
        let mut snapshot = Snapshot::begin(&mut t.keyspace, Format::Aof);
        snapshot.step(&mut t.keyspace, &mut Vec::new(), 2000);
        exec_line(&mut t, 1, "FLUSHDB");
        exec_line(&mut t, 0, "SET k1 changed");
        snapshot.abort(&mut t.keyspace);
        assert!(t.keyspace.dbs.iter().all(|db| db.snapshot_state().is_none()));
        exec_line(&mut t, 0, "SET k2 changed");
        let now = dump(&t.keyspace, t.now_ms);
        let mut snapshot = Snapshot::begin(&mut t.keyspace, Format::Aof);
        let out = finish(&mut snapshot, &mut t, 5000);
        assert_eq!(snapshot.keys_written(), t.keyspace.key_count() as u64);
        assert_eq!(dump(&load(Format::Aof, &out, t.now_ms).keyspace, t.now_ms), now);
    }

    #[test]
    #[should_panic(expected = "a snapshot is already running")]
    fn one_snapshot_at_a_time() {
        // Proves a second snapshot of the same keyspace is refused (their marks would clash).
        let mut t = TestDb::new();
        let _first = Snapshot::begin(&mut t.keyspace, Format::Aof);
        Snapshot::begin(&mut t.keyspace, Format::Aof);
    }

    #[test]
    fn the_property_catches_a_change_that_skips_the_save() {
        // Proves the checker can fail: a value changed behind the snapshot's back (no early save)
        // makes the loaded snapshot differ from the start.
        let rdb = Format::Rdb(EntryOptions { compress: false, lru: crate::rdb::LruField::None });
        for (seed, format) in [(1, Format::Aof), (2, Format::Aof), (3, Format::Aof), (1, rdb), (2, rdb), (3, rdb)] {
            let result = property(seed, format, true).map_err(|(violation, _)| violation);
            assert_eq!(result, Err(Violation::Content), "seed {seed}: the planted bypass went unnoticed");
        }
    }
}
