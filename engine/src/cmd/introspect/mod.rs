//! COMMAND and its subcommands: the table describing itself, from Redis's own specs.

mod command;

use super::redis_specs as s;
use super::table::{engine, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::COMMAND, command::command),
    engine(&s::COMMAND_COUNT, command::count),
    engine(&s::COMMAND_DOCS, command::docs),
    engine(&s::COMMAND_GETKEYS, command::getkeys),
    engine(&s::COMMAND_GETKEYSANDFLAGS, command::getkeys_and_flags),
    engine(&s::COMMAND_HELP, command::help),
    engine(&s::COMMAND_INFO, command::info),
    engine(&s::COMMAND_LIST, command::list),
];
