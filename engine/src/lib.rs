//! verdis-engine: the deterministic core of verdis.
//!
//! # Layout
//! - `value`: what a key holds (`Value`, `Object`), with Redis's encodings.
//! - `config`: the configuration the engine reads (`EngineConfig`), a leaf the formats share.
//! - `dict`: the chained hash table with Redis's SCAN guarantee and O(1) random picks.
//! - `db`: the keyspace — numbered databases, the expire index, lazy expiry.
//! - `expire`: the active expire cycle the cron runs (Redis's `activeExpireCycle`).
//! - `cmd`: the command table (`cmd::table`), Redis's own command descriptions
//!   (`cmd::redis_specs`, generated), the execution context (`cmd::ctx`), and one module per family.
//! - `reply`, `error`: what commands answer, protocol-independent; every Redis error string.
//! - `glob`: Redis's glob matching (`stringmatchlen`) for KEYS, SCAN MATCH and friends.
//! - `num`: integer and float parsing/formatting with Redis's exact rules.
//! - `rng`: the seeded PRNG every random choice draws from.
//! - `chi_square`: the statistic the random-member tests hold picks to (fair, as Redis's suite).
//! - `sds`: Redis's line splitting and quoting (`sdssplitargs`, `sdscatrepr`), shared by config
//!   files, the inline protocol and the AOF manifest.
//! - `rdb`, `aof`: Redis's file formats (RDB 10, multi-part AOF), read and written.
//! - `digest`, `sha1`: DEBUG DIGEST's dataset digest, Redis's algorithm over SHA-1.
//! - `snapshot`: point-in-time serialization a step at a time, without fork or copy.
//! - `types`: the collection values, one module per Redis type, in Redis's compact shapes.
//!
//! # Architecture invariant
//! Nothing here reads a clock, opens a file or socket, spawns a thread, or uses unseeded
//! randomness: time arrives in `Ctx::now_us`, randomness from `Rng`. `tests/determinism.rs`
//! enforces it by scanning the sources.

#![warn(missing_docs)]

pub mod aof;
pub mod chi_square;
pub mod cmd;
pub mod compact;
pub mod config;
pub mod db;
pub mod dict;
pub mod digest;
pub mod error;
pub mod expire;
pub mod glob;
pub mod num;
pub mod plants;
pub mod rdb;
pub mod reply;
pub mod rng;
pub mod sds;
pub mod sha1;
pub mod snapshot;
pub mod types;
pub mod value;

pub use cmd::ctx::Ctx;
pub use cmd::table::{lookup, Command, Handler};
pub use config::EngineConfig;
pub use db::{Db, Keyspace};
pub use error::CmdError;
pub use reply::Reply;
pub use rng::Rng;
