//! The connection family: per-client commands (PING, ECHO, SELECT, HELLO, CLIENT *...) and INFO.
//! Most run in the node (`NodeCmd`) because they read or change client state.
use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[node(&s::PING, NodeCmd::Ping)];
