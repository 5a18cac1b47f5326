//! Server and connection commands: those the engine runs on the keyspace alone, and the rows of
//! those the node runs (`NodeCmd`).
use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[node(&s::PING, NodeCmd::Ping)];
