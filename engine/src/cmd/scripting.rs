//! The scripting family: EVAL, EVALSHA, their read-only variants, SCRIPT *, FCALL, FCALL_RO and
//! FUNCTION *. Every one runs in the node (`server/src/node/script/`): a script calls back into
//! the node's execution path, and the script cache and the function libraries are server state. SCRIPT DEBUG (the Lua debugger) is not implemented: it has no
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
    node(&s::FCALL, NodeCmd::Fcall),
    node(&s::FCALL_RO, NodeCmd::FcallRo),
    container(&s::FUNCTION),
    node(&s::FUNCTION_LOAD, NodeCmd::FunctionLoad),
    node(&s::FUNCTION_DELETE, NodeCmd::FunctionDelete),
    node(&s::FUNCTION_LIST, NodeCmd::FunctionList),
    node(&s::FUNCTION_FLUSH, NodeCmd::FunctionFlush),
    node(&s::FUNCTION_DUMP, NodeCmd::FunctionDump),
    node(&s::FUNCTION_RESTORE, NodeCmd::FunctionRestore),
    node(&s::FUNCTION_STATS, NodeCmd::FunctionStats),
    node(&s::FUNCTION_KILL, NodeCmd::FunctionKill),
    node(&s::FUNCTION_HELP, NodeCmd::FunctionHelp),
];
