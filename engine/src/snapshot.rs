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

use crate::db::Keyspace;
use crate::rdb::EntryOptions;

/// How each key is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RDB entries, with `SELECTDB`/`RESIZEDB` before each database's run of keys.
    Rdb(EntryOptions),
    /// Commands (`SELECT`, `SET`, `RPUSH`..., `PEXPIREAT`), as an AOF rewrite writes them.
    Aof,
}

/// A snapshot in progress over one keyspace. At most one exists per keyspace at a time.
pub struct Snapshot {
    format: Format,
}

impl Snapshot {
    /// Starts a snapshot of `keyspace` as it is now.
    pub fn begin(keyspace: &mut Keyspace, format: Format) -> Snapshot {
        let _ = keyspace;
        let _ = Snapshot { format };
        todo!("Snapshot::begin")
    }

    /// Appends roughly `budget` more bytes (at least one key, when any remain) to `out`; true
    /// when every key has been written.
    pub fn step(&mut self, keyspace: &mut Keyspace, out: &mut Vec<u8>, budget: usize) -> bool {
        let _ = (self.format, keyspace, out, budget);
        todo!("Snapshot::step")
    }

    /// Stops the snapshot (a failed save, a killed rewrite), releasing what it held.
    pub fn abort(self, keyspace: &mut Keyspace) {
        let _ = keyspace;
        todo!("Snapshot::abort")
    }

    /// Keys written so far.
    pub fn keys_written(&self) -> u64 {
        todo!("Snapshot::keys_written")
    }

    /// Bytes held for keys changed before the snapshot reached them (the extra memory).
    pub fn held_bytes(&self, keyspace: &Keyspace) -> usize {
        let _ = keyspace;
        todo!("Snapshot::held_bytes")
    }
}
