//! Log levels, shared by the node (which filters its log lines) and the config table (which
//! parses `loglevel`): a leaf, so the config need not import the node.

/// Log levels, as redis.conf's `loglevel` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `debug` (`.` in the log line).
    Debug,
    /// `verbose` (`-`).
    Verbose,
    /// `notice` (`*`).
    Notice,
    /// `warning` (`#`).
    Warning,
}
