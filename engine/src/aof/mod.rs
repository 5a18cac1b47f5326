//! AOF: Redis 7's multi-part append-only file — the manifest, the command stream of base and
//! incr files, and the rewrite of a keyspace as commands (a base file without RDB preamble).

use crate::value::Object;

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The file's name inside `appenddirname`.
    pub name: String,
    /// Its sequence number.
    pub seq: u64,
    /// Base, history or incr.
    pub kind: FileKind,
}

/// Which part of the AOF a file is (`type b|h|i` in the manifest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The base: an RDB (`.base.rdb`) or commands (`.base.aof`).
    Base,
    /// A file a rewrite made obsolete, waiting for deletion.
    History,
    /// An incremental file of commands.
    Incr,
}

/// The manifest: which files make up the AOF, in order (base first, then incr files by seq).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The entries, in file order.
    pub entries: Vec<ManifestEntry>,
}

/// A malformed manifest, with Redis's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(pub String);

impl Manifest {
    /// Parses a manifest file as Redis 7.0 does (`aofLoadManifestFromFile`).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let _ = bytes;
        todo!("Manifest::parse")
    }

    /// The file's bytes as Redis writes them (`getAofManifestAsString`).
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!("Manifest::to_bytes")
    }
}

/// A command stream that cannot be read: where, and whether it merely ends early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at offset {offset}")]
pub struct AofError {
    /// Offset of the start of the command that could not be read.
    pub offset: u64,
    /// True when the stream ends inside a command (a truncated tail `aof-load-truncated`
    /// forgives); false for bytes that are not a command at all.
    pub truncated: bool,
    /// What was wrong.
    pub what: String,
}

/// Reads an AOF command stream (`*<n>\r\n$<len>\r\n...`) command by command.
pub struct CommandReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> CommandReader<'a> {
    /// A reader over `bytes` (a whole incr file, or what follows an RDB preamble).
    pub fn new(bytes: &'a [u8]) -> CommandReader<'a> {
        CommandReader { bytes, pos: 0 }
    }

    /// Offset just past the last command returned.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next command's arguments, `None` at the end of the stream.
    pub fn next_command(&mut self) -> Option<Result<Vec<&'a [u8]>, AofError>> {
        let _ = (self.bytes, self.pos);
        todo!("CommandReader::next_command")
    }
}

/// Appends `SELECT db` as a RESP command.
pub fn write_select(out: &mut Vec<u8>, db: usize) {
    let _ = (out, db);
    todo!("aof::write_select")
}

/// Appends one command (`argv`) in RESP, as `feedAppendOnlyFile` does.
pub fn write_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    let _ = (out, argv);
    todo!("aof::write_command")
}

/// Appends the commands that rebuild one key, as Redis's `rewriteAppendOnlyFileRio` does
/// (collections in batches of `AOF_REWRITE_ITEMS_PER_CMD`, then `PEXPIREAT` for a volatile key).
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], obj: &Object, expire_ms: Option<i64>) {
    let _ = (out, key, obj, expire_ms);
    todo!("aof::write_entry")
}
