//! AOF: Redis 7's multi-part append-only file — the manifest, the command stream of base and
//! incr files, and the rewrite of a keyspace as commands (a base file without RDB preamble).
//!
//! - `manifest`: which files make up the AOF, and what a rewrite does to that list.
//! - `reader`: reading a command stream, telling a truncated tail from garbage.
//! - `rewrite`: writing commands — one propagated command, `SELECT`, the rewrite of a key.
//! - `propagate`: which commands a command sends to the AOF and replicas (rewritten forms,
//!   DELs of expired keys, MULTI/EXEC around several).
//!
//! The engine only turns bytes into commands and back; which file is open, when to fsync and
//! when to rewrite are the node's business.

mod manifest;
mod propagate;
mod reader;
mod rewrite;

pub use manifest::{
    manifest_name, temp_incr_name, temp_manifest_name, FileKind, Manifest, ManifestEntry, ManifestError,
};
pub use propagate::{expired_deletions, propagated, PropagatedOp, Propagation};
pub use reader::{AofError, CommandReader};
pub use rewrite::{write_command, write_entry, write_select, write_timestamp, AOF_REWRITE_ITEMS_PER_CMD};
