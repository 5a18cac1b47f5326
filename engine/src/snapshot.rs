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
                let cursor = snap.cursor.expect("found unfinished above");
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

    /// Stops the snapshot (a failed save, a killed rewrite), releasing what it held.
    pub fn abort(self, keyspace: &mut Keyspace) {
        if self.done {
            return;
        }
        for db in &mut keyspace.dbs {
            db.snapshot_parts().2.take().expect("running snapshot's state");
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
        keyspace.dbs.iter().map(|db| db.snapshot_state().map_or(0, |snap| snap.pending.capacity())).sum()
    }
}
