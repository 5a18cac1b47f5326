//! What a command handler sees: its inputs (keyspace, selected db, time, RNG, protocol, config)
//! and the effects it records (dirty count). Handlers never touch a socket, file or clock.

use crate::cmd::effects::{NotifyClass, Touch};
pub use crate::config::{EngineConfig, MaxmemoryPolicy};
use crate::db::{Db, Keyspace, KeyspaceStats};
use crate::error::CmdError;
use crate::reply::Reply;
use crate::rng::Rng;
use crate::types::hash::{HashLimits, HashValue};
use crate::types::list::ListValue;
use crate::types::set::SetValue;
use crate::types::zset::{ZsetLimits, ZsetValue};
use crate::value::{Object, StrValue, Value, ValueType};

/// The execution context of one command.
pub struct Ctx<'a> {
    /// All databases.
    pub keyspace: &'a mut Keyspace,
    /// The client's selected database.
    pub db: usize,
    /// Current unix time in microseconds, from the event that triggered this command.
    pub now_us: i64,
    /// The node's seeded RNG.
    pub rng: &'a mut Rng,
    /// The client's protocol version (2 or 3).
    pub resp: u8,
    /// Engine configuration.
    pub config: &'a EngineConfig,
    /// Redis's LRU clock (seconds, 24 bits) for `Object::lru`.
    pub lru_clock: u32,
    /// Changes made by this command (Redis's `server.dirty` delta).
    pub dirty: u64,
    /// Set by a blocking command (BLPOP...) that found nothing to serve: the node blocks the
    /// client on these keys instead of sending the reply, unless the client may not block.
    pub block_on: Option<BlockOn>,
    /// The command's effects for the AOF (and replicas): `None` propagates the command as called
    /// when it changed something; `Some(cmds)` propagates these commands instead, as Redis's
    /// `rewriteClientCommandVector`/`alsoPropagate` do (EXPIRE as PEXPIREAT, SPOP as SREM...).
    pub propagate: Option<Vec<Vec<Vec<u8>>>>,
    /// The keys this command modified and the keyspace events it raised, in order
    /// (`cmd::effects`): WATCH, blocked clients, tracking and notifications read them.
    pub touches: Vec<Touch>,
    /// A database was emptied (FLUSHDB, FLUSHALL): client tracking invalidates everything.
    pub flushed: bool,
    /// The handler's reply is built before its events, as in the Redis command it mirrors
    /// (`reply_first`).
    reply_first: bool,
}

/// The touch of a read that found no `key` in database `db`: a `keymiss` event, no change.
fn keymiss(db: usize, key: &[u8]) -> Touch {
    Touch {
        db,
        key: key.to_vec(),
        modified: false,
        event: Some((NotifyClass::KEY_MISS, "keymiss")),
        after_reply: false,
    }
}

/// Counts a read lookup's hit or miss and, when `notify`, records a miss's `keymiss` event
/// (Redis's `lookupKey`); takes the fields apart so the found object can stay borrowed.
fn count_read(stats: &mut KeyspaceStats, touches: &mut Vec<Touch>, db: usize, key: &[u8], hit: bool, notify: bool) {
    if hit {
        stats.keyspace_hits += 1;
    } else {
        stats.keyspace_misses += 1;
        if notify {
            touches.push(keymiss(db, key));
        }
    }
}

/// What a blocking command waits for.
#[derive(Clone, Debug)]
pub struct BlockOn {
    /// The keys, in the command's order (any of them becoming ready serves it).
    pub keys: Vec<Vec<u8>>,
    /// How long to wait, in milliseconds; 0 waits forever.
    pub timeout_ms: i64,
    /// Serves the parked command from a key of its: `None` (and no change) while the key does
    /// not hold the type the command waits for (a list for BLPOP, a sorted set for BZPOPMIN).
    pub serve: ServeReady,
    /// The argv to park and serve with instead of the command's own, when the command resolved
    /// something at blocking time that the serve must see as it was (XREAD's `$`).
    pub argv: Option<Vec<Vec<u8>>>,
}

/// A blocking command's serve function: `(ctx, argv, ready key)`, Redis's `serveClientBlockedOn*`.
pub type ServeReady = fn(&mut Ctx, &[&[u8]], &[u8]) -> Option<Result<Reply, CmdError>>;

impl<'a> Ctx<'a> {
    /// A context for one command with no effects recorded yet.
    pub fn new(
        keyspace: &'a mut Keyspace,
        db: usize,
        now_us: i64,
        rng: &'a mut Rng,
        resp: u8,
        config: &'a EngineConfig,
        lru_clock: u32,
    ) -> Ctx<'a> {
        Ctx {
            keyspace,
            db,
            now_us,
            rng,
            resp,
            config,
            lru_clock,
            dirty: 0,
            block_on: None,
            propagate: None,
            touches: Vec::new(),
            flushed: false,
            reply_first: false,
        }
    }

    /// Current unix time in milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now_us.div_euclid(1000)
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.keyspace.dbs[self.db]
    }

    /// A fresh object header for a value written now.
    pub fn new_object(&self, value: Value) -> Object {
        Object::new(value, self.lru_clock)
    }

    /// Redis's `checkAlreadyExpired`: true when an expiry time set now is already past, so the
    /// key is deleted instead. While the AOF is replayed (`Keyspace::loading`) the past time is
    /// set instead, as Redis does: a later command in the file may still find the key (an INCR
    /// acknowledged before its time passed), and it expires once loading is over.
    pub fn already_expired(&self, when_ms: i64) -> bool {
        when_ms <= self.now_ms() && !self.keyspace.loading
    }

    /// Removes `key` from the selected database if its time has passed, recording it for
    /// propagation as `DEL` and as an `expired` event (Redis's `expireIfNeeded` →
    /// `deleteExpiredKeyAndPropagate`); true when it did. Nothing expires while the AOF is
    /// replayed (`Keyspace::loading`).
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        if self.keyspace.loading {
            return false;
        }
        let now_ms = self.now_ms();
        let expired = self.keyspace.dbs[self.db].expire_if_needed(key, now_ms, &mut self.keyspace.stats);
        if expired {
            self.keyspace.expired_to_propagate.push((self.db, key.to_vec()));
            self.notify(NotifyClass::EXPIRED, "expired", key);
        }
        expired
    }

    /// Records that this command changed `key` in the selected database and raised `event` of
    /// `class` on it: Redis's `signalModifiedKey` + `notifyKeyspaceEvent`, which every write
    /// calls once per change it makes, in the order it makes them.
    pub fn notify(&mut self, class: NotifyClass, event: &'static str, key: &[u8]) {
        self.notify_in(self.db, class, event, key);
    }

    /// `notify` for a key of database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: NotifyClass, event: &'static str, key: &[u8]) {
        if class == NotifyClass::HASH && self.config.plants.hash_writes_skip_touches {
            return;
        }
        let after_reply = self.reply_first;
        self.touches.push(Touch { db, key: key.to_vec(), modified: true, event: Some((class, event)), after_reply });
    }

    /// Marks the events recorded from now on as raised after the command's reply: Redis adds
    /// the reply before notifying in these commands (LPUSH, HSET, ZADD, the EXPIRE family's
    /// `expire`, the *STORE commands...), so a RESP3 client subscribed to its own command's
    /// events sees the reply first (measured on Redis 7.0.15 per command).
    pub fn reply_first(&mut self) {
        self.reply_first = true;
    }

    /// Records that `key` changed with no event of its own (Redis's `signalModifiedKey` alone).
    pub fn signal_modified(&mut self, key: &[u8]) {
        self.touches.push(Touch { db: self.db, key: key.to_vec(), modified: true, event: None, after_reply: false });
    }

    /// Records a `new` event: `key` was just created in database `db` (Redis's `dbAdd`, which
    /// raises it before the command's own event). It counts as a modification: `dbAdd` also
    /// readies the key for clients blocked on it.
    fn notify_new_in(&mut self, db: usize, key: &[u8]) {
        self.notify_in(db, NotifyClass::NEW, "new", key);
    }

    /// Records, before database `db` is emptied, that each key someone observes there (WATCH,
    /// a blocked client) is modified, if it exists: Redis's `signalFlushedDb` →
    /// `touchAllWatchedKeysInDb`, which compares existence before the flush.
    pub fn signal_flushed(&mut self, db: usize) {
        self.flushed = true;
        let now_ms = self.now_ms();
        let gone: Vec<Vec<u8>> = self.keyspace.dbs[db]
            .observed_keys()
            .filter(|k| self.keyspace.dbs[db].exists(k, now_ms))
            .cloned()
            .collect();
        self.touches.extend(gone.into_iter().map(|key| Touch {
            db,
            key,
            modified: true,
            event: None,
            after_reply: false,
        }));
    }

    /// Records, before databases `a` and `b` trade contents, that each observed key of either
    /// that exists in either is modified (Redis's `touchAllWatchedKeysInDb(a, b)` and back; the
    /// same list tells blocked clients which keys may now hold data).
    pub fn signal_swapped(&mut self, a: usize, b: usize) {
        let now_ms = self.now_ms();
        let dbs = &self.keyspace.dbs;
        let mut changed = Vec::new();
        for (db, other) in [(a, b), (b, a)] {
            for key in dbs[db].observed_keys() {
                if dbs[db].exists(key, now_ms) || dbs[other].exists(key, now_ms) {
                    changed.push(Touch { db, key: key.clone(), modified: true, event: None, after_reply: false });
                }
            }
        }
        self.touches.extend(changed);
    }

    /// Looks a key up for reading: expires it lazily, counts a hit or miss (a miss raises a
    /// `keymiss` event), updates its access time. Redis's `lookupKeyRead`.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Object> {
        self.expire_if_needed(key);
        let found = self.keyspace.dbs[self.db].touch(key, self.lru_clock);
        count_read(&mut self.keyspace.stats, &mut self.touches, self.db, key, found.is_some(), true);
        found
    }

    /// Looks a key up for reading without updating its access time: expires it lazily and counts
    /// a hit or miss (a miss raises `keymiss`). Redis's `lookupKeyReadWithFlags(..,
    /// LOOKUP_NOTOUCH)`, used by commands that inspect a key rather than use it (TYPE, TTL,
    /// EXISTS).
    pub fn lookup_read_notouch(&mut self, key: &[u8]) -> Option<&Object> {
        self.inspect(key, true)
    }

    /// `lookup_read_notouch` that raises no `keymiss` (Redis's `objectCommandLookup`:
    /// `LOOKUP_NOTOUCH|LOOKUP_NONOTIFY`), for OBJECT.
    pub fn lookup_read_nonotify(&mut self, key: &[u8]) -> Option<&Object> {
        self.inspect(key, false)
    }

    /// A read lookup that leaves the access time alone, raising `keymiss` on a miss when
    /// `notify`.
    fn inspect(&mut self, key: &[u8], notify: bool) -> Option<&Object> {
        self.expire_if_needed(key);
        let found = self.keyspace.dbs[self.db].get(key);
        count_read(&mut self.keyspace.stats, &mut self.touches, self.db, key, found.is_some(), notify);
        found
    }

    /// Looks a key up for writing: expires it lazily and updates its access time, no hit/miss
    /// counting. Redis's `lookupKeyWrite`.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Object> {
        self.expire_if_needed(key);
        let db = &mut self.keyspace.dbs[self.db];
        let obj = db.get_mut(key)?;
        obj.lru = self.lru_clock;
        Some(obj)
    }

    /// The value of type `T` at `key` for reading (Redis's `lookupKeyRead` + type check).
    pub fn read_typed<T: ValueType>(&mut self, key: &[u8]) -> Result<Option<&T>, CmdError> {
        self.lookup_read(key).map(|obj| T::of_ref(&obj.value).ok_or(CmdError::WrongType)).transpose()
    }

    /// The value of type `T` at `key` for writing (Redis's `lookupKeyWrite` + type check).
    pub fn write_typed<T: ValueType>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CmdError> {
        self.lookup_write(key).map(|obj| T::of(&mut obj.value).ok_or(CmdError::WrongType)).transpose()
    }

    /// The string at `key` for reading; `WrongType` when it holds another type.
    pub fn read_str(&mut self, key: &[u8]) -> Result<Option<&StrValue>, CmdError> {
        self.read_typed(key)
    }

    /// The string at `key` for writing; `WrongType` when it holds another type.
    pub fn write_str(&mut self, key: &[u8]) -> Result<Option<&mut StrValue>, CmdError> {
        self.write_typed(key)
    }

    /// The list at `key` for reading; `WrongType` when it holds another type.
    pub fn read_list(&mut self, key: &[u8]) -> Result<Option<&ListValue>, CmdError> {
        self.read_typed(key)
    }

    /// The list at `key` for writing; `WrongType` when it holds another type.
    pub fn write_list(&mut self, key: &[u8]) -> Result<Option<&mut ListValue>, CmdError> {
        self.write_typed(key)
    }

    /// The sorted set at `key` for reading; `WrongType` when it holds another type.
    pub fn read_zset(&mut self, key: &[u8]) -> Result<Option<&ZsetValue>, CmdError> {
        self.read_typed(key)
    }

    /// The sorted set at `key` for writing; `WrongType` when it holds another type.
    pub fn write_zset(&mut self, key: &[u8]) -> Result<Option<&mut ZsetValue>, CmdError> {
        self.write_typed(key)
    }

    /// The sorted-set encoding thresholds from the configuration.
    pub fn zset_limits(&self) -> ZsetLimits {
        ZsetLimits {
            entries_max: self.config.zset_max_listpack_entries,
            value_max: self.config.zset_max_listpack_value,
        }
    }

    /// The hash at `key` for reading; `WrongType` when it holds another type.
    pub fn read_hash(&mut self, key: &[u8]) -> Result<Option<&HashValue>, CmdError> {
        self.read_typed(key)
    }

    /// The hash at `key` for writing; `WrongType` when it holds another type.
    pub fn write_hash(&mut self, key: &[u8]) -> Result<Option<&mut HashValue>, CmdError> {
        self.write_typed(key)
    }

    /// The hash encoding thresholds from the configuration.
    pub fn hash_limits(&self) -> HashLimits {
        HashLimits {
            entries_max: self.config.hash_max_listpack_entries,
            value_len_max: self.config.hash_max_listpack_value,
        }
    }

    /// The set at `key` for reading; `WrongType` when it holds another type.
    pub fn read_set(&mut self, key: &[u8]) -> Result<Option<&SetValue>, CmdError> {
        self.read_typed(key)
    }

    /// The set at `key` for writing; `WrongType` when it holds another type.
    pub fn write_set(&mut self, key: &[u8]) -> Result<Option<&mut SetValue>, CmdError> {
        self.write_typed(key)
    }

    /// Deletes `key` if a command just emptied the collection it holds (Redis deletes a list,
    /// hash, set or sorted set as its last element goes, raising `del` after the command's own
    /// event).
    pub fn delete_if_empty(&mut self, key: &[u8]) {
        if self.db().get(key).is_some_and(|o| o.value.is_empty_collection()) {
            self.delete_emptied(key);
        }
    }

    /// Deletes `key`, whose collection the command has just emptied, raising `del` after the
    /// command's own event: `delete_if_empty` for a caller that saw the collection empty (no
    /// second lookup).
    pub fn delete_emptied(&mut self, key: &[u8]) {
        self.db().delete(key);
        self.notify(NotifyClass::GENERIC, "del", key);
    }

    /// Stores a value under `key` (Redis's `setKey`), clearing the TTL unless `keep_ttl`. An
    /// expired key there is removed (and propagated as DEL) first, as `setKey`'s lookup does; a
    /// key that did not exist raises `new`. The caller records its own event after.
    pub fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        self.expire_if_needed(key);
        let obj = self.new_object(value);
        if self.db().set(key, obj, keep_ttl) {
            self.notify_new_in(self.db, key);
        }
    }

    /// Adds `obj` under `key`, known to be absent from the selected database (Redis's `dbAdd`):
    /// raises `new`.
    pub fn add_key(&mut self, key: &[u8], obj: Object) {
        self.add_key_in(self.db, key, obj);
    }

    /// `add_key` into database `db` (MOVE, COPY ... DB).
    pub fn add_key_in(&mut self, db: usize, key: &[u8], obj: Object) {
        self.keyspace.dbs[db].add(key, obj);
        self.notify_new_in(db, key);
    }

    /// Propagates `argv` instead of the command as called (Redis's `rewriteClientCommandVector`):
    /// EXPIRE as PEXPIREAT, SETEX as SET PXAT. Call it only when the command changed something.
    pub fn propagate_as(&mut self, argv: &[&[u8]]) {
        self.propagate = Some(vec![argv.iter().map(|a| a.to_vec()).collect()]);
    }

    /// Adds `argv` to what the command propagates in place of itself (Redis's `alsoPropagate`
    /// with the command's own propagation prevented): SPOP with a count as one SREM per member.
    pub fn propagate_also(&mut self, argv: &[&[u8]]) {
        self.propagate.get_or_insert_with(Vec::new).push(argv.iter().map(|a| a.to_vec()).collect());
    }
}
