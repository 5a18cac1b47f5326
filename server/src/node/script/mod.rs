//! Lua scripting: EVAL, EVALSHA, their read-only forms and SCRIPT * (Redis's `eval.c`,
//! `script.c`, `script_lua.c` as 7.0.15 runs them).
//!
//! # How a script runs
//! 1. EVAL hashes the body (SHA-1, `verdis_engine::sha1`); a body not cached yet has its shebang parsed
//!    (`flags`) and is compiled in the one Lua state (`state`, sandboxed by `sandbox.lua`) as
//!    Redis 7.0.15 compiles it: the body itself as a chunk named `@user_script`.
//! 2. The shebang flags and the command (`_RO`) decide what the script may do: at admission
//!    (`eval_admission_flags`, Redis's `evalGetCommandFlags`: CLIENT PAUSE WRITE, MISCONF) and
//!    before it runs (`script_admission`, Redis's `scriptPrepareForRun`).
//! 3. The script runs under Redis's error handler with KEYS and ARGV set. `redis.call` and
//!    `redis.pcall` (`call`) run each command through the one execution path (`Node::execute`)
//!    with the script as caller: the calling client's database (a SELECT inside changes the
//!    script's only) and the protocol the script chose (`redis.setresp`, RESP2 by default).
//! 4. Each command's touches reach their readers as it runs (WATCH, tracking, blocked clients,
//!    keyspace events), as in EXEC; its propagation joins the script's call unit, which the
//!    caller commits once: the AOF gets the commands the script ran, wrapped in MULTI/EXEC when
//!    there are several, nothing when it wrote nothing (Redis 7.0's effects replication).
//! 5. The return value becomes the reply (`convert`); an error becomes Redis's error reply with
//!    its `script: <sha>, on @user_script:<line>.` decoration.
//!
//! Functions (FUNCTION *, FCALL, FCALL_RO) live in `function`: their libraries run in a second
//! Lua state built by the same sandbox, and a callback runs through the same steps 2 to 5 as
//! an EVAL script (`run_script`), with the function's flags in place of a shebang's and its
//! name in place of the SHA-1 in error replies.
//!
//! Differences from Redis: no script debugger (SCRIPT DEBUG is not implemented, and
//! `redis.breakpoint`/`redis.debug` answer as Redis does outside a debugging session); no busy
//! scripts: a script or function runs to its end (`busy-reply-threshold`, -BUSY and killing a
//! running script are not implemented, so SCRIPT KILL and FUNCTION KILL always answer NOTBUSY,
//! and FUNCTION STATS never shows a running script); `redis.set_repl` without the
//! AOF flag drops the script's propagation, as there are no replicas yet; an AOF written by an
//! older Redis that holds EVAL commands (script replication) does not load. Read-only tables are
//! emulated with proxies in stock Lua (see `sandbox.lua`); the raw functions see through them.

mod call;
mod convert;
mod flags;
pub(super) mod function;
pub mod libs;
mod rand48;
mod state;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use mlua::{Function, MultiValue, Value};
use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::cmd::table::Handler;
use verdis_engine::num::parse_i64;
use verdis_engine::{CmdError, Command, Reply};

use super::exec::Effects;
use super::{ClientId, LogLevel, Node};
use flags::ScriptFlags;
use function::Functions;
use state::{RunState, ScriptLua};

/// A cached script.
struct Cached {
    /// The compiled body.
    function: Function,
    /// Its shebang flags.
    flags: ScriptFlags,
    /// The body's length (INFO memory).
    body_len: usize,
}

/// The script running now: who called it and what it may do.
#[derive(Clone, Copy, Debug)]
struct Running {
    /// The calling client.
    client: ClientId,
    /// The script's selected database.
    db: usize,
    /// Writes are refused (EVAL_RO, EVALSHA_RO, or the `no-writes` flag).
    read_only: bool,
}

/// The scripting state: the Lua interpreter, the script cache, the script running now.
pub(super) struct Scripts {
    lua: ScriptLua,
    /// Scripts by lowercase SHA-1.
    cache: BTreeMap<String, Cached>,
    /// What the `redis` API changes during a run (shared with the Lua primitives).
    run_state: Rc<RefCell<RunState>>,
    running: Option<Running>,
    /// The function libraries and their own interpreter.
    pub(super) functions: Functions,
}

impl Scripts {
    /// A fresh interpreter and an empty cache.
    pub fn new() -> Scripts {
        let run_state = Rc::new(RefCell::new(RunState::default()));
        let lua = ScriptLua::new(run_state.clone()).expect("the sandbox chunk compiles and runs");
        let functions_lua = ScriptLua::new(run_state.clone()).expect("the sandbox chunk compiles and runs");
        Scripts { lua, cache: BTreeMap::new(), run_state, running: None, functions: Functions::new(functions_lua) }
    }

    /// The interpreter of EVAL's scripts, or of the functions.
    fn state(&self, functions: bool) -> &ScriptLua {
        if functions {
            &self.functions.lua
        } else {
            &self.lua
        }
    }

    /// The database and protocol of the running script (its caller context).
    pub fn caller_context(&self) -> (usize, u8) {
        let running = self.running.expect("a script caller exists only while a script runs");
        (running.db, self.run_state.borrow().resp)
    }

    /// INFO memory's scripting fields.
    pub fn memory(&self) -> ScriptsMemory {
        ScriptsMemory {
            lua_bytes: self.lua.lua.used_memory() as u64,
            cached: self.cache.len() as u64,
            cache_bytes: self.cache.iter().map(|(sha, s)| (sha.len() + s.body_len) as u64).sum(),
            functions_lua_bytes: self.functions.lua.lua.used_memory() as u64,
            libraries: self.functions.library_count() as u64,
            functions: self.functions.function_count() as u64,
            functions_bytes: self.functions.bytes() as u64,
        }
    }

    /// SELECT inside a script: changes the script's database only.
    pub fn select(&mut self, db: usize) {
        self.running.as_mut().expect("a script is running").db = db;
    }
}

/// What INFO memory reports of scripting.
#[derive(Clone, Copy, Debug)]
pub(super) struct ScriptsMemory {
    /// Bytes the Lua interpreter holds (`used_memory_lua`).
    pub lua_bytes: u64,
    /// Cached scripts (`number_of_cached_scripts`).
    pub cached: u64,
    /// The cache's bodies and SHA keys (`used_memory_scripts_eval`).
    pub cache_bytes: u64,
    /// Bytes the functions' interpreter holds (`used_memory_vm_functions`).
    pub functions_lua_bytes: u64,
    /// Loaded libraries (`number_of_libraries`).
    pub libraries: u64,
    /// Registered functions (`number_of_functions`).
    pub functions: u64,
    /// The libraries' code, names and descriptions (`used_memory_functions`; Redis counts its
    /// structures' allocations, so the number is of the same order, not the same).
    pub functions_bytes: u64,
}

/// SCRIPT HELP's lines after the intro, as Redis 7.0.15 prints them.
const HELP: &[&str] = &[
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
];

impl Node {
    /// Runs a scripting command for client `id`; a script's writes go into `effects`.
    pub(super) fn exec_script(
        &mut self,
        cmd: NodeCmd,
        id: ClientId,
        argv: &[&[u8]],
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::Eval => self.eval(id, argv, false, false, effects),
            NodeCmd::EvalRo => self.eval(id, argv, false, true, effects),
            NodeCmd::Evalsha => self.eval(id, argv, true, false, effects),
            NodeCmd::EvalshaRo => self.eval(id, argv, true, true, effects),
            NodeCmd::ScriptLoad => self.script_create(argv[2]).map(Reply::Bulk),
            NodeCmd::ScriptExists => {
                let cache = &self.scripts.cache;
                let known = |sha: &&[u8]| cache.contains_key(&String::from_utf8_lossy(sha).to_ascii_lowercase());
                Ok(Reply::Array(argv[2..].iter().map(|sha| Reply::Int(i64::from(known(sha)))).collect()))
            }
            NodeCmd::ScriptFlush => {
                let mode_ok = match argv.len() {
                    2 => true,
                    _ => {
                        argv.len() == 3
                            && (argv[2].eq_ignore_ascii_case(b"sync") || argv[2].eq_ignore_ascii_case(b"async"))
                    }
                };
                if !mode_ok {
                    return Err(CmdError::msg("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
                }
                // Like Redis's scriptingReset: a new interpreter, an empty cache (the random
                // generator is the process's and stays).
                let lua = ScriptLua::new(self.scripts.run_state.clone()).expect("the sandbox chunk compiles and runs");
                self.scripts.lua = lua;
                self.scripts.cache.clear();
                Ok(Reply::Ok)
            }
            // Scripts run to their end within one input: none is ever running when this arrives.
            NodeCmd::ScriptKill => Err(CmdError::msg("NOTBUSY No scripts in execution right now.")),
            NodeCmd::ScriptHelp => Ok(Reply::help(argv[0], HELP)),
            _ => unreachable!("exec_script is called for the scripting commands only"),
        }
    }

    /// Redis's `evalGetCommandFlags` (and `fcallGetCommandFlags`) for an EVAL- or FCALL-family `cmd`: whether this call counts as a
    /// write at admission (its script declared flags without `no-writes`) and whether it may
    /// replicate (any script but a `no-writes` one); `None` for other commands.
    pub(super) fn eval_admission_flags(&self, cmd: &Command, argv: &[&[u8]]) -> Option<(bool, bool)> {
        let Handler::Node(node_cmd) = cmd.handler else { return None };
        // The command's own flags (may replicate, no write) unless the script declared flags.
        let compat = Some((false, true));
        let by_sha = match node_cmd {
            NodeCmd::Eval | NodeCmd::EvalRo => false,
            NodeCmd::Evalsha | NodeCmd::EvalshaRo => true,
            // Redis's `fcallGetCommandFlags`: the function's flags, when it exists.
            NodeCmd::Fcall | NodeCmd::FcallRo => {
                return match self.scripts.functions.flags_of(argv[1]) {
                    Some(flags) => Some((!flags.no_writes(), !flags.no_writes())),
                    None => compat,
                };
            }
            _ => return None,
        };
        if by_sha && argv[1].len() != 40 {
            return compat;
        }
        let sha = if by_sha {
            String::from_utf8_lossy(argv[1]).to_ascii_lowercase()
        } else {
            verdis_engine::sha1::sha1_hex(argv[1])
        };
        let flags = match self.scripts.cache.get(&sha) {
            Some(cached) => cached.flags,
            None if by_sha => return compat,
            None => match flags::parse_shebang(argv[1]) {
                Ok((flags, _)) => flags,
                Err(_) => return compat,
            },
        };
        if !flags.declared() {
            return compat;
        }
        Some((!flags.no_writes(), !flags.no_writes()))
    }

    /// The SHA-1 of `body`, compiling and caching it first if needed (`luaCreateFunction`).
    fn script_create(&mut self, body: &[u8]) -> Result<Vec<u8>, CmdError> {
        let sha = verdis_engine::sha1::sha1_hex(body);
        if self.scripts.cache.contains_key(&sha) {
            return Ok(sha.into_bytes());
        }
        let (flags, code_start) = flags::parse_shebang(body)?;
        let lua = &self.scripts.lua;
        let code = lua.lua.create_string(&body[code_start..]).map_err(lua_failure)?;
        let (compiled, result): (bool, Value) = lua.compile.call(code).map_err(lua_failure)?;
        match result {
            Value::Function(function) if compiled => {
                self.scripts.cache.insert(sha.clone(), Cached { function, flags, body_len: body.len() });
                Ok(sha.into_bytes())
            }
            message => {
                let mut text = b"ERR Error compiling script (new function): ".to_vec();
                text.extend_from_slice(&convert::lua_text(&message).unwrap_or_default());
                Err(one_line_error(&text))
            }
        }
    }

    /// EVAL, EVALSHA and their read-only forms (`evalGenericCommand`).
    fn eval(
        &mut self,
        id: ClientId,
        argv: &[&[u8]],
        by_sha: bool,
        ro_command: bool,
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        self.feed_monitors_eval(id, argv);
        let noscript = || CmdError::msg("NOSCRIPT No matching script. Please use EVAL.");
        if by_sha && argv[1].len() != 40 {
            return Err(noscript());
        }
        let numkeys = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
        if numkeys > argv.len() as i64 - 3 {
            return Err(CmdError::msg("ERR Number of keys can't be greater than number of args"));
        }
        if numkeys < 0 {
            return Err(CmdError::msg("ERR Number of keys can't be negative"));
        }
        let sha = if by_sha {
            String::from_utf8_lossy(argv[1]).to_ascii_lowercase()
        } else {
            String::from_utf8(self.script_create(argv[1])?).expect("hex digits")
        };
        let Some(cached) = self.scripts.cache.get(&sha) else { return Err(noscript()) };
        let (function, flags) = (cached.function.clone(), cached.flags);
        self.run_script(id, argv, (&function, false), (flags, ro_command), numkeys as usize, &sha, effects)
    }

    /// Runs a script (`as_function`: a function's callback) for client `id`, called by `argv`
    /// (EVAL's or FCALL's arguments, `numkeys` of them keys after the third), once its flags pass
    /// admission; `name` is what its errors name (the SHA-1, or the function).
    #[allow(clippy::too_many_arguments)]
    fn run_script(
        &mut self,
        id: ClientId,
        argv: &[&[u8]],
        (function, as_function): (&Function, bool),
        (flags, ro_command): (ScriptFlags, bool),
        numkeys: usize,
        name: &str,
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        self.script_admission(flags, ro_command)?;
        let db = self.clients[&id].db;
        let read_only = ro_command || flags.no_writes();
        self.scripts.running = Some(Running { client: id, db, read_only });
        {
            let mut run = self.scripts.run_state.borrow_mut();
            run.resp = 2;
            run.repl = 3;
        }
        let caller = self.resolve(argv).expect("the caller's own row");
        let outcome = self.script_run(function, as_function, (caller, argv), numkeys, effects);
        self.scripts.running = None;
        self.script_logs_to_log();
        let resp = self.scripts.run_state.borrow().resp;
        let (ok, value) = outcome.map_err(lua_failure)?;
        // An error from a command the script called was counted when that command failed.
        effects.reply_error_counted = convert::error_counted(&value);
        if ok {
            return Ok(convert::lua_to_reply(&value, resp));
        }
        Err(self.script_error(&value, name, as_function))
    }

    /// Runs `function` for `caller` (EVAL's or FCALL's row and arguments, `numkeys` of them keys)
    /// with KEYS and ARGV (a function: as its arguments); `redis.call` exists for the run's
    /// duration.
    fn script_run(
        &mut self,
        function: &Function,
        as_function: bool,
        caller: (&Command, &[&[u8]]),
        numkeys: usize,
        effects: &mut Effects,
    ) -> mlua::Result<(bool, Value)> {
        let (keys, args) = caller.1[3..].split_at(numkeys);
        let state = self.scripts.state(as_function);
        let (lua, execute, install) = (state.lua.clone(), state.execute.clone(), state.install.clone());
        let array = |items: &[&[u8]]| -> mlua::Result<mlua::Table> {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, lua.create_string(item)?)?;
            }
            Ok(t)
        };
        let (keys, args) = (array(keys)?, array(args)?);
        // redis.call and redis.pcall share the node and the run's effects, one at a time.
        let node = RefCell::new((self, effects));
        let result = lua.scope(|scope| {
            let call = scope.create_function(|lua, args: mlua::Variadic<Value>| {
                let (node, effects) = &mut *node.borrow_mut();
                node.script_call(lua, caller, true, &args, effects)
            })?;
            let pcall = scope.create_function(|lua, args: mlua::Variadic<Value>| {
                let (node, effects) = &mut *node.borrow_mut();
                node.script_call(lua, caller, false, &args, effects).map(|(_, value)| value)
            })?;
            install.call::<()>((state::raising(&lua, call)?, pcall))?;
            let results: MultiValue = execute.call((function.clone(), keys, args, as_function))?;
            let mut results = results.into_iter();
            let ok = matches!(results.next(), Some(Value::Boolean(true)));
            Ok((ok, results.next().unwrap_or(Value::Nil)))
        });
        install.call::<()>(())?;
        result
    }

    /// Hands the `redis.log` lines of the script (or library load) that just ran to the log.
    pub(super) fn script_logs_to_log(&mut self) {
        let logs = std::mem::take(&mut self.scripts.run_state.borrow_mut().logs);
        for (level, line) in logs {
            self.log(script_log_level(level), line);
        }
    }

    /// The reply to a script that raised `err` (Redis's luaCallFunction): its message, and where
    /// the script raised it.
    fn script_error(&self, err: &Value, name: &str, as_function: bool) -> CmdError {
        let parts: mlua::Result<(Value, Value, Value)> = self.scripts.state(as_function).error_parts.call(err.clone());
        let (msg, source, line) = parts.unwrap_or((Value::Nil, Value::Nil, Value::Nil));
        let Some(msg) = convert::lua_text(&msg) else {
            // Redis 7.0.15 crashes on an error table without a message (`error({})`).
            return CmdError::msg("ERR script raised an error without a message");
        };
        let mut text = convert::c_string(&msg).to_vec();
        if let (Some(source), Some(line)) = (convert::lua_text(&source), convert::lua_text(&line)) {
            text.extend_from_slice(format!(" script: {name}, on ").as_bytes());
            text.extend_from_slice(&source);
            text.push(b':');
            text.extend_from_slice(&line);
            text.push(b'.');
        }
        one_line_error(&text)
    }

    /// The checks a script passes before it runs (Redis's `scriptPrepareForRun`); scripts
    /// without a shebang are checked only as they call commands.
    fn script_admission(&self, flags: ScriptFlags, ro_command: bool) -> Result<(), CmdError> {
        if !flags.declared() || flags.no_writes() {
            return Ok(());
        }
        if let Some(e) = self.disk_error_denies_writes() {
            let text = e.to_string();
            if text.starts_with("MISCONF Errors writing to the AOF file") {
                return Err(e);
            }
            return Err(CmdError::msg(
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. \
                 Writable scripts are blocked. Use 'no-writes' flag for read only scripts.",
            ));
        }
        if ro_command {
            return Err(CmdError::msg("ERR Can not execute a script with write flag using *_ro command."));
        }
        Ok(())
    }
}

/// A Lua failure outside the script's own errors (the interpreter out of memory, a bug here).
fn lua_failure(e: mlua::Error) -> CmdError {
    CmdError::Message(format!("ERR Error running script: {}", e.to_string().replace(['\r', '\n'], " ")).into())
}

/// An error reply with exactly `text`, on one line (Redis maps CR and LF to spaces).
fn one_line_error(text: &[u8]) -> CmdError {
    match convert::error_reply(text) {
        Reply::Error(e) => e,
        _ => unreachable!("error_reply builds an error"),
    }
}

/// `redis.log`'s levels (LOG_DEBUG 0 .. LOG_WARNING 3) as the node's.
fn script_log_level(level: u8) -> LogLevel {
    match level {
        0 => LogLevel::Debug,
        1 => LogLevel::Verbose,
        2 => LogLevel::Notice,
        _ => LogLevel::Warning,
    }
}

#[cfg(test)]
mod tests {
    use crate::node::testing::Harness;

    /// The bulk reply carrying `text`.
    fn bulk(text: &str) -> String {
        format!("${}\r\n{text}\r\n", text.len())
    }

    #[test]
    fn random_sequence_is_the_process_one() {
        // Proves what a fresh Redis 7.0.15 answered: the generator starts from lrand48's
        // default state, is not reseeded per script (the second run draws the next number),
        // and SCRIPT FLUSH leaves it alone; and that two nodes answer alike (no node randomness).
        for _ in 0..2 {
            let mut h = Harness::new();
            let c = h.connect(1);
            let draw = ["EVAL", "return tostring(math.random())", "0"];
            assert_eq!(h.run(c, &draw), bulk("0.39646477363839"));
            assert_eq!(h.run(c, &draw), bulk("0.84048536971234"));
            assert_eq!(h.run(c, &["SCRIPT", "FLUSH"]), "+OK\r\n");
            assert_eq!(h.run(c, &["EVAL", "return tostring(math.random(100))", "0"]), bulk("36"));
        }
    }

    #[test]
    fn script_select_leaves_the_caller_database() {
        // Proves a SELECT inside a script changes the script's database only, and a bad index
        // is Redis's error through redis.pcall.
        let mut h = Harness::new();
        let c = h.connect(1);
        let body = "redis.call('select', 3) redis.call('set', 'k', 'v') return redis.pcall('select', 99).err";
        assert_eq!(h.run(c, &["EVAL", body, "0"]), bulk("ERR DB index is out of range"));
        assert_eq!(h.run(c, &["EXISTS", "k"]), ":0\r\n");
        assert_eq!(h.run(c, &["SELECT", "3"]), "+OK\r\n");
        assert_eq!(h.run(c, &["GET", "k"]), bulk("v"));
    }
}
