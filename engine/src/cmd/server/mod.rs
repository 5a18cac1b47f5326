//! The server family: configuration and server control (CONFIG *, DEBUG, SHUTDOWN, TIME).
use super::table::Command;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[];
