//! The scripting family: EVAL, EVALSHA, their read-only variants and SCRIPT *. Every one runs in
//! the node (`server/src/node/script/`): a script calls back into the node's execution path, and
//! the script cache is server state. SCRIPT DEBUG (the Lua debugger) is not implemented: it has no
//! row, so it answers as an unknown subcommand.

use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{container, node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    node(&s::EVAL, NodeCmd::Eval),
    node(&s::EVAL_RO, NodeCmd::EvalRo),
    node(&s::EVALSHA, NodeCmd::Evalsha),
    node(&s::EVALSHA_RO, NodeCmd::EvalshaRo),
    container(&s::SCRIPT),
    node(&s::SCRIPT_LOAD, NodeCmd::ScriptLoad),
    node(&s::SCRIPT_EXISTS, NodeCmd::ScriptExists),
    node(&s::SCRIPT_FLUSH, NodeCmd::ScriptFlush),
    node(&s::SCRIPT_KILL, NodeCmd::ScriptKill),
    node(&s::SCRIPT_HELP, NodeCmd::ScriptHelp),
];
