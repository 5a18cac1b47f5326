//! The transactions family: MULTI, EXEC, DISCARD, WATCH, UNWATCH. All run in the node
//! (`server/src/node/multi.rs`): they hold per-client state and run other commands.

use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    node(&s::MULTI, NodeCmd::Multi),
    node(&s::EXEC, NodeCmd::Exec),
    node(&s::DISCARD, NodeCmd::Discard),
    node(&s::WATCH, NodeCmd::Watch),
    node(&s::UNWATCH, NodeCmd::Unwatch),
];
