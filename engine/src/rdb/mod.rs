//! RDB: Redis's snapshot file format, version 10 (Redis 7.0), read and written byte for byte as
//! Redis does; older encodings (ziplist, zipmap, quicklist 1, RDB 9 and below) are read too.
//!
//! Writing is split so a snapshot can be produced incrementally: `write_header`, then for each
//! database `write_select_db` and `write_entry` per key (in any order, `SELECTDB` may repeat),
//! then `write_footer` with the CRC64 of everything before it (`Crc64`). Loading takes the whole
//! file in memory and fills a fresh keyspace, so a bad file never leaves partial state.

use crate::cmd::ctx::EngineConfig;
use crate::db::Keyspace;
use crate::rng::Rng;
use crate::value::Object;

/// The RDB format version this writes (Redis 7.0).
pub const RDB_VERSION: u32 = 10;

/// What `Object::lru` is saved as: nothing, an idle time (LRU policies) or a frequency (LFU).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LruField {
    /// Neither (policies without LRU/LFU): Redis writes no opcode.
    None,
    /// `RDB_OPCODE_IDLE` with the idle seconds computed against this LRU clock.
    Idle {
        /// Redis's LRU clock now (seconds, 24 bits).
        lru_clock: u32,
    },
    /// `RDB_OPCODE_FREQ` with the LFU counter.
    Freq,
}

/// How entries are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryOptions {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes when it saves space.
    pub compress: bool,
    /// The LRU/LFU opcode to write before each entry.
    pub lru: LruField,
}

/// An auxiliary field's value (`RDB_OPCODE_AUX`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuxValue {
    /// Saved as a string.
    Str(Vec<u8>),
    /// Saved with Redis's integer string encoding.
    Int(i64),
}

/// A loading failure: what was wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at offset {offset}")]
pub struct RdbError {
    /// Byte offset in the file (or payload) where the problem was found.
    pub offset: u64,
    /// What was expected or found.
    pub what: String,
}

/// What a successful load saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadInfo {
    /// The RDB version in the header.
    pub version: u32,
    /// Aux fields, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keys stored.
    pub keys_loaded: u64,
    /// Keys skipped because their time had passed.
    pub expired_skipped: u64,
    /// Bytes consumed, up to and including the EOF opcode and checksum (an AOF with an RDB
    /// preamble continues with commands after them).
    pub consumed: usize,
}

/// Writes `REDIS0010` and the aux fields.
pub fn write_header(out: &mut Vec<u8>, aux: &[(&str, AuxValue)]) {
    let _ = (out, aux);
    todo!("rdb::write_header")
}

/// Writes `SELECTDB db` and `RESIZEDB size expires`.
pub fn write_select_db(out: &mut Vec<u8>, db: usize, size: u64, expires: u64) {
    let _ = (out, db, size, expires);
    todo!("rdb::write_select_db")
}

/// Writes one key: its expiry (`EXPIRETIME_MS`), LRU/LFU opcode, type and value.
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], obj: &Object, expire_ms: Option<i64>, opts: &EntryOptions) {
    let _ = (out, key, obj, expire_ms, opts);
    todo!("rdb::write_entry")
}

/// Writes the EOF opcode and the 8-byte checksum (`crc` is the CRC64 of every byte before the
/// EOF opcode, or 0 when `rdbchecksum no`).
pub fn write_footer(out: &mut Vec<u8>, crc_before: Option<Crc64>) {
    let _ = (out, crc_before);
    todo!("rdb::write_footer")
}

/// Redis's CRC64 (Jones polynomial, reflected), fed incrementally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crc64(pub u64);

impl Crc64 {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        let _ = bytes;
        todo!("Crc64::update")
    }
}

/// Loads a whole RDB file into `keyspace`, which must be empty; on error `keyspace` is left
/// empty. Keys whose expiry is before `now_ms` are skipped, as a primary does. Encodings follow
/// `config`'s thresholds (a listpack that is too big for them is converted, as Redis does);
/// hash tables are seeded from `rng`.
pub fn load(
    bytes: &[u8],
    keyspace: &mut Keyspace,
    now_ms: i64,
    config: &EngineConfig,
    rng: &mut Rng,
) -> Result<LoadInfo, RdbError> {
    let _ = (bytes, keyspace, now_ms, config, rng);
    todo!("rdb::load")
}
