//! The Lua state scripts run in: stock Lua 5.1 (mlua's vendored build) made into Redis's sandbox
//! by `sandbox.lua`, with the primitives that chunk needs written in Rust. One state serves every
//! script until SCRIPT FLUSH replaces it, as Redis keeps one `lua_State`.

use std::cell::RefCell;
use std::os::raw::c_int;
use std::rc::Rc;

use mlua::{ffi, Function, Lua, LuaOptions, StdLib, Table, Value, Variadic};

use super::rand48::Rand48;
use verdis_engine::sha1::sha1_hex;

/// What a running script changed through the `redis` API, besides its commands.
#[derive(Debug)]
pub struct RunState {
    /// The protocol `redis.call` replies are converted from (`redis.setresp`).
    pub resp: u8,
    /// `redis.set_repl` flags: 1 the AOF, 2 replicas.
    pub repl: u8,
    /// `math.random`'s generator, kept across scripts and SCRIPT FLUSH as Redis keeps it.
    pub rand: Rand48,
    /// `redis.log` lines, handed to the node's log when the script ends.
    pub logs: Vec<(u8, String)>,
}

impl Default for RunState {
    fn default() -> RunState {
        RunState { resp: 2, repl: 3, rand: Rand48::default(), logs: Vec::new() }
    }
}

/// The sandboxed Lua state and the handles the node calls it through.
pub struct ScriptLua {
    /// The interpreter.
    pub lua: Lua,
    /// `compile(code)`: `true, function` or `false, message`.
    pub compile: Function,
    /// `execute(function, keys, argv, as_function)`: xpcall's results under Redis's error handler.
    pub execute: Function,
    /// `error_parts(err)`: the message, source and line of an error table.
    pub error_parts: Function,
    /// `load_library(code)`: runs a function library's code; `true, registered` or
    /// `false, message`.
    pub load_library: Function,
    /// `install(call, pcall)`: sets redis.call and redis.pcall for a run; `install()` puts back
    /// the ones that refuse outside a run.
    pub install: Function,
}

/// The sandbox's Lua source.
const SANDBOX: &str = include_str!("sandbox.lua");

/// Redis's `REDIS_VERSION_NUM` for 7.0.15.
const VERSION_NUM: i64 = 0x07_00_0f;

impl ScriptLua {
    /// A fresh state whose API primitives share `run`.
    pub fn new(run: Rc<RefCell<RunState>>) -> mlua::Result<ScriptLua> {
        // SAFETY: the debug library is loaded only for the sandbox chunk, which keeps
        // `debug.getinfo` for its error handler and removes `debug` from the globals before any
        // script runs; no C module loader is loaded.
        let lua = unsafe {
            Lua::unsafe_new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG, LuaOptions::default())
        };
        let prims = lua.create_table()?;
        prims.set("raising", lua.create_function(|lua, f: Function| raising(lua, f))?)?;
        prims.set("sha1hex", lua.create_function(|_, s: mlua::String| Ok(sha1_hex(&s.as_bytes())))?)?;
        let r = run.clone();
        prims.set(
            "log",
            lua.create_function(move |_, (level, msg): (u8, mlua::String)| {
                r.borrow_mut().logs.push((level, String::from_utf8_lossy(&msg.as_bytes()).into_owned()));
                Ok(())
            })?,
        )?;
        let r = run.clone();
        prims.set(
            "setresp",
            lua.create_function(move |_, resp: u8| {
                r.borrow_mut().resp = resp;
                Ok(())
            })?,
        )?;
        let r = run.clone();
        prims.set(
            "set_repl",
            lua.create_function(move |_, flags: u8| {
                r.borrow_mut().repl = flags;
                Ok(())
            })?,
        )?;
        let r = run.clone();
        prims.set("random", lua.create_function(move |_, ()| Ok(r.borrow_mut().rand.unit()))?)?;
        let r = run;
        prims.set(
            "randomseed",
            lua.create_function(move |_, seed: f64| {
                // luaL_checkint's int: C's truncation, then the 32 bits the seed keeps.
                r.borrow_mut().rand.seed(seed as i64 as i32);
                Ok(())
            })?,
        )?;
        prims.set("acl_check_cmd", lua.create_function(acl_check_cmd)?)?;
        let error_table =
            lua.create_function(|lua, text: mlua::String| super::convert::error_table(lua, text.as_bytes(), false))?;
        prims.set("error_table", error_table)?;
        prims.set("version", "7.0.15")?;
        prims.set("version_num", VERSION_NUM)?;
        let api: Table = lua.load(SANDBOX).set_name("=redis_api").call(prims.clone())?;
        // Redis's bundled libraries (cjson, cmsgpack, bit, struct), before the globals are sealed.
        super::libs::register(&lua)?;
        let seal: Function = api.get("seal")?;
        seal.call::<()>(())?;
        Ok(ScriptLua {
            compile: api.get("compile")?,
            execute: api.get("execute")?,
            error_parts: api.get("error_parts")?,
            install: api.get("install")?,
            load_library: api.get("load_library")?,
            lua,
        })
    }
}

/// Turns `f` (answering `true, results...` or `false, error`) into a C closure that returns the
/// results or raises the error, so that to Lua it is a C function as Redis's API functions are.
pub fn raising(lua: &Lua, f: Function) -> mlua::Result<Function> {
    // SAFETY: the closure is pushed with its one upvalue (`f`) on a stack mlua prepared with
    // `f` as its only argument; `call_and_raise` only uses the Lua C API on its own frame.
    unsafe {
        lua.exec_raw(f, |state| {
            ffi::lua_pushcclosure(state, call_and_raise, 1);
        })
    }
}

/// The C closure `raising` makes: calls its upvalue with the arguments, then raises the error it
/// answered or returns its results.
unsafe extern "C-unwind" fn call_and_raise(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
    if ffi::lua_toboolean(state, 1) == 0 {
        ffi::lua_settop(state, 2);
        ffi::lua_error(state);
    }
    ffi::lua_remove(state, 1);
    ffi::lua_gettop(state)
}

/// `redis.acl_check_cmd(command, args...)`: with no ACL users besides the default one, true for
/// any command the table knows; Redis's error for one it does not.
fn acl_check_cmd(lua: &Lua, args: Variadic<Value>) -> mlua::Result<(bool, Value)> {
    let argv = match super::convert::lua_args_to_argv(&args) {
        Ok(argv) => argv,
        Err(text) => return Ok((false, super::convert::error_table(lua, text, false)?)),
    };
    let refs: Vec<&[u8]> = argv.iter().map(|a| &**a).collect();
    // The Lua state holds no node, so this check sees the table without rename-command.
    let renames = crate::config::CommandRenames::default();
    if crate::node::dispatch::resolve_with(&renames, &refs).is_ok() {
        return Ok((true, Value::Boolean(true)));
    }
    Ok((false, super::convert::error_table(lua, "Invalid command passed to redis.acl_check_cmd()", false)?))
}
