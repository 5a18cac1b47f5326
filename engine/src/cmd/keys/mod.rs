//! The generic key family: commands on keys of any type.
use super::table::Command;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[];
