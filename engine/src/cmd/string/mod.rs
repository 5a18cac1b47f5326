//! The string family: commands on `string` values.

mod get;
mod set;

use super::redis_specs as s;
use super::table::{engine, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[engine(&s::GET, get::get), engine(&s::SET, set::set)];
