//! The keyspace: numbered databases of keys, each with its expire index.
//!
//! Mirrors Redis's `redisDb`: `keys` maps a key to its object, `expires` maps a volatile key to its
//! absolute expiry in unix milliseconds. The invariant `expires ⊆ keys` is kept by every method
//! here and checked by `Db::audit` (run by tests and, later, the simulator).
//!
//! Expiry is lazy on access (`lookup_*` removes a key whose time has passed) plus the active cycle
//! in `expire.rs`. Time always comes from the caller; nothing here reads a clock.

use crate::dict::Dict;
use crate::expire::ActiveExpireState;
use crate::rng::Rng;
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
    pub keys: Dict<Object>,
    /// Volatile keys and their absolute expiry time in unix milliseconds.
    pub expires: Dict<i64>,
    /// Where the active expire cycle resumes scanning `expires`.
    pub expires_cursor: u64,
    /// Running average TTL (ms) of the volatile keys the active cycle sampled (INFO keyspace's
    /// `avg_ttl`; 0 when unknown).
    pub avg_ttl_ms: i64,
}

impl Db {
    /// An empty database whose hash keys come from `rng`.
    pub fn new(rng: &mut Rng) -> Db {
        Db { keys: Dict::new(rng), expires: Dict::new(rng), expires_cursor: 0, avg_ttl_ms: 0 }
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
    pub fn set(&mut self, key: &[u8], obj: Object, keep_ttl: bool) {
        if self.keys.insert(key, obj).is_some() && !keep_ttl {
            self.expires.remove(key);
        }
    }

    /// Adds a key known to be absent.
    pub fn add(&mut self, key: &[u8], obj: Object) {
        self.keys.insert_new(key, obj);
    }

    /// Sets the absolute expiry of an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        assert!(self.keys.contains_key(key), "set_expire on a missing key");
        self.expires.insert(key, when_ms);
    }

    /// Removes the key's TTL; true when it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    /// Removes the key and its TTL, returning the object.
    pub fn delete(&mut self, key: &[u8]) -> Option<Object> {
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

    /// Removes every key.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.expires.clear();
        self.expires_cursor = 0;
        self.avg_ttl_ms = 0;
    }

    /// Exchanges the contents of two databases (SWAPDB): keys, expires and the expiry
    /// bookkeeping move; anything tied to the database number (clients blocked or watching in
    /// it) stays, as Redis's `dbSwapDatabases` does.
    pub fn swap_contents(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.expires_cursor, &mut other.expires_cursor);
        std::mem::swap(&mut self.avg_ttl_ms, &mut other.avg_ttl_ms);
    }

    /// Checks `expires ⊆ keys`. O(n): for tests and the simulator.
    pub fn audit(&self) {
        for (k, _) in self.expires.iter() {
            assert!(self.keys.contains_key(k), "expire entry without a key");
        }
    }
}

/// All databases plus the counters they share.
pub struct Keyspace {
    /// The databases, indexed by SELECT number.
    pub dbs: Vec<Db>,
    /// Hit, miss and expiry counters.
    pub stats: KeyspaceStats,
    /// Where the active expire cycle resumes, and its INFO counters.
    pub active_expire: ActiveExpireState,
}

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize, rng: &mut Rng) -> Keyspace {
        assert!(databases >= 1);
        Keyspace {
            dbs: (0..databases).map(|_| Db::new(rng)).collect(),
            stats: KeyspaceStats::default(),
            active_expire: ActiveExpireState::default(),
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
