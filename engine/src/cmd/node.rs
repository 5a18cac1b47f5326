//! Commands the node executes because they need client or server state the engine does not
//! hold (connection settings, configuration, INFO, shutdown). The server matches this enum
//! exhaustively, so a row without a handler is a compile error there.

/// A command the node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeCmd {
    /// PING (its reply depends on the client's pub/sub state).
    Ping,
}
