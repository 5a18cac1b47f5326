//! The node's disk, as requests and results: the node never touches a file.
//!
//! The node emits `Action::Disk { id, op }`; the shell carries the operation out and answers with
//! `Node::handle_disk(now, id, result)`. Two shells implement it: the production runtime (real
//! files; fsync on a background thread, as Redis's bio threads do) and the simulator's virtual disk
//! (a page cache that reaches the durable image only on fsync, torn writes, failing fsyncs, a full
//! disk).
//!
//! # Contract every shell keeps
//! - Operations are carried out in the order the node emitted them, except `Fsync`, which may
//!   complete later than operations emitted after it; its result still arrives exactly once.
//! - Paths are relative to the server's working directory (`dir`), `/`-separated.
//! - `Append` and `Create` make a file's bytes visible to later reads at once but durable only
//!   after an `Fsync` of that file completes; `Rename` and `Remove` are durable after an `Fsync`
//!   of the directory holding them (`"."` for the working directory).
//! - Every request gets exactly one result, unless the process dies first.

use std::fmt;

/// Names one disk request; results carry it back.
pub type DiskId = u64;

/// One disk operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskOp {
    /// Reads the whole file: `DiskOk::Data`.
    Read {
        /// The file.
        path: String,
    },
    /// Lists a directory's entry names, sorted: `DiskOk::Names`.
    List {
        /// The directory.
        dir: String,
    },
    /// Creates a directory (and nothing if it exists).
    MakeDir {
        /// The directory.
        path: String,
    },
    /// Creates the file empty, truncating it if it exists, then writes `bytes`.
    Create {
        /// The file.
        path: String,
        /// Its first bytes.
        bytes: Vec<u8>,
    },
    /// Appends to the file, creating it if missing.
    Append {
        /// The file.
        path: String,
        /// What to append.
        bytes: Vec<u8>,
    },
    /// Cuts the file to `len` bytes.
    Truncate {
        /// The file.
        path: String,
        /// Its new length.
        len: u64,
    },
    /// Makes the file's (or directory's) contents durable.
    Fsync {
        /// The file or directory.
        path: String,
    },
    /// Renames `from` to `to`, atomically replacing `to`.
    Rename {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Removes the file (and nothing if it is missing).
    Remove {
        /// The file.
        path: String,
    },
}

impl DiskOp {
    /// The file or directory the operation is about (`from` for a rename).
    pub fn path(&self) -> &str {
        match self {
            DiskOp::Read { path }
            | DiskOp::MakeDir { path }
            | DiskOp::Create { path, .. }
            | DiskOp::Append { path, .. }
            | DiskOp::Truncate { path, .. }
            | DiskOp::Fsync { path }
            | DiskOp::Remove { path } => path,
            DiskOp::List { dir } => dir,
            DiskOp::Rename { from, .. } => from,
        }
    }
}

/// A successful result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskOk {
    /// The operation was carried out.
    Done,
    /// A `Read`'s bytes.
    Data(Vec<u8>),
    /// A `List`'s names, sorted.
    Names(Vec<String>),
}

/// Why an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskErrorKind {
    /// The file or directory does not exist (`ENOENT`).
    NotFound,
    /// The disk is full (`ENOSPC`).
    NoSpace,
    /// Any other I/O error (`EIO`, `EACCES`...).
    Other,
}

/// A failed result. `message` is the OS's text (`strerror`), which Redis puts in its logs and in
/// `-MISCONF` errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskError {
    /// The class of failure.
    pub kind: DiskErrorKind,
    /// The OS's description, e.g. `No space left on device`.
    pub message: String,
}

impl DiskError {
    /// A `NotFound` error with the OS's text.
    pub fn not_found() -> DiskError {
        DiskError { kind: DiskErrorKind::NotFound, message: "No such file or directory".into() }
    }

    /// A `NoSpace` error with the OS's text.
    pub fn no_space() -> DiskError {
        DiskError { kind: DiskErrorKind::NoSpace, message: "No space left on device".into() }
    }

    /// An `Other` error (the simulator's failing fsync, a real `EIO`).
    pub fn io() -> DiskError {
        DiskError { kind: DiskErrorKind::Other, message: "Input/output error".into() }
    }
}

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the shell reports for a request.
pub type DiskResult = Result<DiskOk, DiskError>;
