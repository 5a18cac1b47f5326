//! The shape of a command's description: what Redis's COMMAND and COMMAND DOCS report.
//!
//! The values live in `redis_specs.rs`, generated from a real redis-server; the types here give
//! them meaning for the node (arity checks, flags for admission, key specs for GETKEYS and ACLs).

/// A command flag, in the order Redis prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CmdFlag {
    Write,
    Readonly,
    Denyoom,
    Module,
    Admin,
    Pubsub,
    Noscript,
    Blocking,
    Loading,
    Stale,
    SkipMonitor,
    SkipSlowlog,
    Asking,
    Fast,
    NoAuth,
    MayReplicate,
    NoMandatoryKeys,
    NoMulti,
    Movablekeys,
    AllowBusy,
    NoAsyncLoading,
}

impl CmdFlag {
    /// The name COMMAND INFO prints.
    pub fn name(self) -> &'static str {
        match self {
            CmdFlag::Write => "write",
            CmdFlag::Readonly => "readonly",
            CmdFlag::Denyoom => "denyoom",
            CmdFlag::Module => "module",
            CmdFlag::Admin => "admin",
            CmdFlag::Pubsub => "pubsub",
            CmdFlag::Noscript => "noscript",
            CmdFlag::Blocking => "blocking",
            CmdFlag::Loading => "loading",
            CmdFlag::Stale => "stale",
            CmdFlag::SkipMonitor => "skip_monitor",
            CmdFlag::SkipSlowlog => "skip_slowlog",
            CmdFlag::Asking => "asking",
            CmdFlag::Fast => "fast",
            CmdFlag::NoAuth => "no_auth",
            CmdFlag::MayReplicate => "may_replicate",
            CmdFlag::NoMandatoryKeys => "no_mandatory_keys",
            CmdFlag::NoMulti => "no_multi",
            CmdFlag::Movablekeys => "movablekeys",
            CmdFlag::AllowBusy => "allow_busy",
            CmdFlag::NoAsyncLoading => "no_async_loading",
        }
    }
}

/// An ACL category (printed with a leading `@`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum AclCategory {
    Keyspace,
    Read,
    Write,
    Set,
    Sortedset,
    List,
    Hash,
    String,
    Bitmap,
    Hyperloglog,
    Geo,
    Stream,
    Pubsub,
    Admin,
    Fast,
    Slow,
    Blocking,
    Dangerous,
    Connection,
    Transaction,
    Scripting,
}

impl AclCategory {
    /// The name without the `@`.
    pub fn name(self) -> &'static str {
        match self {
            AclCategory::Keyspace => "keyspace",
            AclCategory::Read => "read",
            AclCategory::Write => "write",
            AclCategory::Set => "set",
            AclCategory::Sortedset => "sortedset",
            AclCategory::List => "list",
            AclCategory::Hash => "hash",
            AclCategory::String => "string",
            AclCategory::Bitmap => "bitmap",
            AclCategory::Hyperloglog => "hyperloglog",
            AclCategory::Geo => "geo",
            AclCategory::Stream => "stream",
            AclCategory::Pubsub => "pubsub",
            AclCategory::Admin => "admin",
            AclCategory::Fast => "fast",
            AclCategory::Slow => "slow",
            AclCategory::Blocking => "blocking",
            AclCategory::Dangerous => "dangerous",
            AclCategory::Connection => "connection",
            AclCategory::Transaction => "transaction",
            AclCategory::Scripting => "scripting",
        }
    }
}

/// A key spec flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum KeySpecFlag {
    Ro,
    Rw,
    Ow,
    Rm,
    Access,
    Update,
    Insert,
    Delete,
    NotKey,
    Incomplete,
    VariableFlags,
}

impl KeySpecFlag {
    /// The name COMMAND INFO prints.
    pub fn name(self) -> &'static str {
        match self {
            KeySpecFlag::Ro => "RO",
            KeySpecFlag::Rw => "RW",
            KeySpecFlag::Ow => "OW",
            KeySpecFlag::Rm => "RM",
            KeySpecFlag::Access => "access",
            KeySpecFlag::Update => "update",
            KeySpecFlag::Insert => "insert",
            KeySpecFlag::Delete => "delete",
            KeySpecFlag::NotKey => "not_key",
            KeySpecFlag::Incomplete => "incomplete",
            KeySpecFlag::VariableFlags => "variable_flags",
        }
    }
}

/// Where the search for a key spec's keys begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index {
        /// The argument index (the command name is 0).
        pos: i32,
    },
    /// After a keyword, searched from `startfrom` (negative: from the end).
    Keyword {
        /// The keyword, e.g. `STREAMS`.
        keyword: &'static str,
        /// Where to start looking for it.
        startfrom: i32,
    },
    /// Not describable; the command has its own key extraction.
    Unknown,
}

/// How keys are found once the search has begun.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// A range: up to `lastkey` (relative; -1 = last argument), every `keystep`; `limit` divides.
    Range {
        /// Last key, relative to the begin index.
        lastkey: i32,
        /// Distance between keys.
        keystep: i32,
        /// When `lastkey` is -1, stop after 1/limit of the remaining arguments (0 = no limit).
        limit: i32,
    },
    /// A count argument followed by keys.
    Keynum {
        /// Index of the count, relative to the begin index.
        keynumidx: i32,
        /// Index of the first key, relative to the begin index.
        firstkey: i32,
        /// Distance between keys.
        keystep: i32,
    },
    /// Not describable.
    Unknown,
}

/// One key spec (Redis 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Free-text notes, when Redis has them.
    pub notes: Option<&'static str>,
    /// Access flags.
    pub flags: &'static [KeySpecFlag],
    /// Where the search begins.
    pub begin_search: BeginSearch,
    /// How keys are found.
    pub find_keys: FindKeys,
}

/// A value in a command's documentation tree, exactly as COMMAND DOCS replies (in RESP3 terms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DocValue {
    /// A bulk string.
    Bulk(&'static str),
    /// A status string.
    Simple(&'static str),
    /// An integer.
    Int(i64),
    /// An array.
    Array(&'static [DocValue]),
    /// A set.
    Set(&'static [DocValue]),
    /// A map with string keys.
    Map(&'static [(&'static str, DocValue)]),
}

/// Everything Redis says about one command or subcommand.
#[derive(Debug)]
pub struct CommandSpec {
    /// Lower-case name; subcommands are `container|sub`.
    pub name: &'static str,
    /// Argument count including the name; negative means "at least".
    pub arity: i32,
    /// Flags in Redis's order.
    pub flags: &'static [CmdFlag],
    /// Legacy key range: first key index (0 = no keys).
    pub first_key: i32,
    /// Legacy key range: last key index (-1 = last argument).
    pub last_key: i32,
    /// Legacy key range: step.
    pub key_step: i32,
    /// ACL categories in Redis's order.
    pub acl_categories: &'static [AclCategory],
    /// Command tips (`nondeterministic_output`, request/response policies).
    pub tips: &'static [&'static str],
    /// Key specs.
    pub key_specs: &'static [KeySpec],
    /// Subcommands of a container command.
    pub subcommands: &'static [&'static CommandSpec],
    /// The COMMAND DOCS map (without `subcommands`).
    pub docs: &'static [(&'static str, DocValue)],
}

impl CommandSpec {
    /// True when the command has `flag`.
    pub fn has(&self, flag: CmdFlag) -> bool {
        self.flags.contains(&flag)
    }

    /// True when `argc` (including the name) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let arity = self.arity;
        (arity >= 0 && argc == arity as usize) || (arity < 0 && argc >= arity.unsigned_abs() as usize)
    }
}
