//! The server family: configuration and server control (CONFIG *, DEBUG, SHUTDOWN, the
//! persistence commands) and TIME.
//! All but TIME run in the node (`NodeCmd`): they read or change server state the engine does
//! not hold.

mod time;

use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{container, engine, node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    container(&s::CONFIG),
    node(&s::CONFIG_GET, NodeCmd::ConfigGet),
    node(&s::CONFIG_SET, NodeCmd::ConfigSet),
    node(&s::CONFIG_RESETSTAT, NodeCmd::ConfigResetstat),
    node(&s::CONFIG_HELP, NodeCmd::ConfigHelp),
    node(&s::DEBUG, NodeCmd::Debug),
    node(&s::SHUTDOWN, NodeCmd::Shutdown),
    node(&s::SAVE, NodeCmd::Save),
    node(&s::BGSAVE, NodeCmd::Bgsave),
    node(&s::LASTSAVE, NodeCmd::Lastsave),
    node(&s::BGREWRITEAOF, NodeCmd::Bgrewriteaof),
    engine(&s::TIME, time::time),
];
