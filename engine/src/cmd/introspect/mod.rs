//! COMMAND and its subcommands: the table describing itself.
use super::table::Command;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[];
