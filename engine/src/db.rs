//! The keyspace: numbered databases of keys, each with its expire index.
//!
//! Mirrors Redis's `redisDb`: `keys` maps a key to its object, `expires` maps a volatile key to its
//! absolute expiry in unix milliseconds. The invariant `expires ⊆ keys` is kept by every method
//! here and checked by `Db::audit` (run by tests and, later, the simulator).
//!
//! Expiry is lazy on access (`lookup_*` removes a key whose time has passed) plus the active cycle
//! in `expire.rs`. Time always comes from the caller; nothing here reads a clock.
//!
//! # Architecture invariant
//! `keys` and `expires` are private: every change to a key (value, TTL, existence) goes through a
//! method here, and each such method first lets a running snapshot save the key's old entry
//! (`Db::before_change`, see `snapshot`). Readers get `&Dict`/`&Object`; the one read path that
//! writes (the LRU clock of a read lookup, `Db::touch`) changes nothing a snapshot saves.

use std::collections::BTreeMap;

use crate::dict::Dict;
use crate::expire::ActiveExpireState;
use crate::rng::Rng;
use crate::snapshot::DbSnapshot;
use crate::value::Object;

/// Counters Redis reports in INFO stats and keyspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceStats {
    /// Keys removed because their time passed (lazily or by the active cycle).
    pub expired_keys: u64,
    /// Successful key lookups by read commands.
    pub keyspace_hits: u64,
    /// Failed key lookups by read commands.
    pub keyspace_misses: u64,
}

/// One numbered database.
pub struct Db {
    /// Every key and its object.
    keys: Dict<Object>,
    /// Volatile keys and their absolute expiry time in unix milliseconds.
    expires: Dict<i64>,
    /// Where the active expire cycle resumes scanning `expires`.
    pub expires_cursor: u64,
    /// Running average TTL (ms) of the volatile keys the active cycle sampled (INFO keyspace's
    /// `avg_ttl`; 0 when unknown).
    pub avg_ttl_ms: i64,
    /// A running snapshot's state for the keys held here (it moves with them on SWAPDB).
    snapshot: Option<Box<DbSnapshot>>,
    /// Keys someone observes here (WATCH, blocked clients; Redis's `watched_keys` and
    /// `blocking_keys`), with how many observers each: FLUSHDB and SWAPDB, which change every
    /// key at once, report these (`Ctx::signal_flushed`). They stay with the database number,
    /// not its contents, on SWAPDB.
    observed: BTreeMap<Vec<u8>, u32>,
}

impl Db {
    /// An empty database whose hash keys come from `rng`.
    pub fn new(rng: &mut Rng) -> Db {
        Db {
            keys: Dict::new(rng),
            expires: Dict::new(rng),
            expires_cursor: 0,
            avg_ttl_ms: 0,
            snapshot: None,
            observed: BTreeMap::new(),
        }
    }

    /// One more observer of `key` (a client WATCHes it or blocks on it).
    pub fn observe(&mut self, key: &[u8]) {
        *self.observed.entry(key.to_vec()).or_default() += 1;
    }

    /// One observer of `key` fewer.
    pub fn unobserve(&mut self, key: &[u8]) {
        let count = self.observed.get_mut(key).expect("unobserve pairs with observe");
        *count -= 1;
        if *count == 0 {
            self.observed.remove(key);
        }
    }

    /// The keys someone observes here, in key order.
    pub fn observed_keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.observed.keys()
    }

    /// Every key and its object (read-only: changes go through the methods below).
    pub fn keys(&self) -> &Dict<Object> {
        &self.keys
    }

    /// Volatile keys and their expiry times (read-only: changes go through the methods below).
    pub fn expires(&self) -> &Dict<i64> {
        &self.expires
    }

    /// The key's object, whether or not its time has passed.
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.keys.get(key)
    }

    /// The key's object for a read: sets its LRU/LFU field to `lru` (which a snapshot does not
    /// need to preserve) and hands it out read-only.
    pub fn touch(&mut self, key: &[u8], lru: u32) -> Option<&Object> {
        let obj = self.keys.get_mut(key)?;
        obj.lru = lru;
        Some(obj)
    }

    /// The key's object for a change to its value (a running snapshot first saves it).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        let obj = self.keys.get_mut(key)?;
        if let Some(snapshot) = self.snapshot.as_deref_mut() {
            snapshot.before_change(key, obj, &self.expires);
        }
        Some(obj)
    }

    /// Lets a running snapshot save the key's entry before it changes (no-op otherwise).
    fn before_change(&mut self, key: &[u8]) {
        if let Some(snapshot) = self.snapshot.as_deref_mut() {
            if let Some(obj) = self.keys.get_mut(key) {
                snapshot.before_change(key, obj, &self.expires);
            }
        }
    }

    /// The epoch a key stored now gets: the running snapshot's (it must not write the key), or 0.
    fn epoch_for_new(&self) -> u16 {
        self.snapshot.as_deref().map_or(0, DbSnapshot::epoch)
    }

    /// The key's expiry time (unix ms), if it has one.
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// True when the key exists but its time has passed (it is logically gone). A key is still
    /// alive during its expiry millisecond, as Redis's `keyIsExpired` (`now > when`) has it.
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.expire_at(key).is_some_and(|when| now_ms > when)
    }

    /// Removes the key if its time has passed; true when it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64, stats: &mut KeyspaceStats) -> bool {
        if !self.is_expired(key, now_ms) {
            return false;
        }
        self.delete(key);
        stats.expired_keys += 1;
        true
    }

    /// True when the key exists and has not expired (does not remove anything).
    pub fn exists(&self, key: &[u8], now_ms: i64) -> bool {
        self.keys.contains_key(key) && !self.is_expired(key, now_ms)
    }

    /// Stores `obj` under `key`, replacing any value. The key's TTL is cleared unless `keep_ttl`.
    /// True when the key was added rather than replaced (Redis's `dbAdd` against `dbOverwrite`).
    pub fn set(&mut self, key: &[u8], mut obj: Object, keep_ttl: bool) -> bool {
        self.before_change(key);
        obj.epoch = self.epoch_for_new();
        let replaced = self.keys.insert(key, obj).is_some();
        if replaced && !keep_ttl {
            self.expires.remove(key);
        }
        !replaced
    }

    /// Adds a key known to be absent.
    pub fn add(&mut self, key: &[u8], mut obj: Object) {
        obj.epoch = self.epoch_for_new();
        self.keys.insert_new(key, obj);
    }

    /// Adds a loaded key and its expiry unless the key is present (then `false`): one hash of
    /// the key per table, for loaders. No snapshot runs on a keyspace being loaded.
    pub fn add_loaded(&mut self, key: &[u8], mut obj: Object, expire_ms: Option<i64>) -> bool {
        obj.epoch = self.epoch_for_new();
        if self.keys.try_insert_new(key, obj).is_err() {
            return false;
        }
        if let Some(when) = expire_ms {
            self.expires.insert_new(key, when);
        }
        true
    }

    /// Makes room for `keys` more keys, `expires` of them volatile, without rehashing as they
    /// arrive (RDB's RESIZEDB hint).
    pub fn reserve(&mut self, keys: usize, expires: usize) {
        self.keys.reserve(keys);
        self.expires.reserve(expires);
    }

    /// Sets the absolute expiry of an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        assert!(self.keys.contains_key(key), "set_expire on a missing key");
        self.before_change(key);
        self.expires.insert(key, when_ms);
    }

    /// Removes the key's TTL; true when it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        self.before_change(key);
        self.expires.remove(key).is_some()
    }

    /// Removes the key and its TTL, returning the object.
    pub fn delete(&mut self, key: &[u8]) -> Option<Object> {
        self.before_change(key);
        let obj = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(obj)
    }

    /// Number of keys, including ones expired but not yet removed (as DBSIZE counts).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Removes every key. A running snapshot that has not written them all takes the old table
    /// whole (in O(1)) and writes it out a step at a time.
    pub fn clear(&mut self) {
        match self.snapshot.as_deref_mut() {
            Some(snapshot) => snapshot.keep_flushed(self.keys.take(), self.expires.take()),
            None => {
                self.keys.clear();
                self.expires.clear();
            }
        }
        self.expires_cursor = 0;
        self.avg_ttl_ms = 0;
    }

    /// Exchanges the contents of two databases (SWAPDB): keys, expires and the expiry
    /// bookkeeping move; anything tied to the database number (clients blocked or watching in
    /// it) stays, as Redis's `dbSwapDatabases` does. A running snapshot's state moves with the
    /// keys, so it still writes each key under the number it had when the snapshot began.
    pub fn swap_contents(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.expires_cursor, &mut other.expires_cursor);
        std::mem::swap(&mut self.avg_ttl_ms, &mut other.avg_ttl_ms);
        std::mem::swap(&mut self.snapshot, &mut other.snapshot);
    }

    /// The running snapshot's state for the keys held here.
    pub(crate) fn snapshot_state(&self) -> Option<&DbSnapshot> {
        self.snapshot.as_deref()
    }

    /// The parts a snapshot works on: the keys (to mark what it writes), the expires, and its
    /// own state. Only `snapshot` calls this; everything else changes keys through the methods
    /// above.
    pub(crate) fn snapshot_parts(&mut self) -> (&mut Dict<Object>, &Dict<i64>, &mut Option<Box<DbSnapshot>>) {
        (&mut self.keys, &self.expires, &mut self.snapshot)
    }

    /// Checks `expires ⊆ keys`, and a running snapshot's marks. O(n): for tests and the simulator.
    pub fn audit(&self) {
        for (k, _) in self.expires.iter() {
            assert!(self.keys.contains_key(k), "expire entry without a key");
        }
        if let Some(snapshot) = self.snapshot.as_deref() {
            snapshot.audit(&self.keys);
        }
    }
}

/// All databases plus the counters they share.
pub struct Keyspace {
    /// The epoch of the last snapshot begun (`snapshot`); 0 before the first.
    pub snapshot_epoch: u16,
    /// The databases, indexed by SELECT number.
    pub dbs: Vec<Db>,
    /// Hit, miss and expiry counters.
    pub stats: KeyspaceStats,
    /// Where the active expire cycle resumes, and its INFO counters.
    pub active_expire: ActiveExpireState,
    /// Keys removed because their time passed (lazily or by the active cycle), as (db, key),
    /// oldest first: the node drains them and propagates each as `DEL key` before the
    /// command's own effects, as Redis's `deleteExpiredKeyAndPropagate` does.
    pub expired_to_propagate: Vec<(usize, Vec<u8>)>,
    /// True while the node replays the AOF: commands then see keys whose time has passed as
    /// alive (Redis's `keyIsExpired` answers no while loading), so a write acknowledged before
    /// the key expired — PERSIST, APPEND — acts on replay as it did when it ran.
    pub loading: bool,
}

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize, rng: &mut Rng) -> Keyspace {
        assert!(databases >= 1);
        Keyspace {
            snapshot_epoch: 0,
            dbs: (0..databases).map(|_| Db::new(rng)).collect(),
            stats: KeyspaceStats::default(),
            active_expire: ActiveExpireState::default(),
            expired_to_propagate: Vec::new(),
            loading: false,
        }
    }

    /// Total keys across databases.
    pub fn key_count(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{StrValue, Value};

    fn obj(s: &str) -> Object {
        Object::new(Value::Str(StrValue::from_bytes(s.as_bytes())), 0)
    }

    #[test]
    fn set_clears_ttl_unless_kept_and_delete_removes_it() {
        let mut rng = Rng::new(1);
        let mut db = Db::new(&mut rng);
        db.set(b"k", obj("v"), false);
        db.set_expire(b"k", 1000);
        db.set(b"k", obj("v2"), true);
        assert_eq!(db.expire_at(b"k"), Some(1000));
        db.set(b"k", obj("v3"), false);
        assert_eq!(db.expire_at(b"k"), None);
        db.set_expire(b"k", 1000);
        db.delete(b"k");
        assert_eq!(db.expire_at(b"k"), None);
        db.audit();
    }

    #[test]
    fn lazy_expiry_removes_and_counts() {
        let mut rng = Rng::new(1);
        let mut db = Db::new(&mut rng);
        let mut stats = KeyspaceStats::default();
        db.set(b"k", obj("v"), false);
        db.set_expire(b"k", 1000);
        assert!(!db.expire_if_needed(b"k", 1000, &mut stats));
        assert!(db.exists(b"k", 1000));
        assert!(!db.exists(b"k", 1001));
        assert!(db.expire_if_needed(b"k", 1001, &mut stats));
        assert_eq!(stats.expired_keys, 1);
        assert!(db.is_empty());
    }
}
