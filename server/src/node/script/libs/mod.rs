//! The Lua libraries Redis 7.0 loads into every script's state, byte-compatible with Redis's C
//! versions: `cjson` (lua-cjson 2.1.0), `cmsgpack` (lua-cmsgpack 0.4.0), `bit` (LuaBitOp 1.0.2)
//! and `struct` (struct 1.4).
//!
//! Layout: `stack` holds the C-API surface and the single place errors are raised (read it
//! first: it says why these are C functions and the rule that keeps them sound); `number` holds
//! C's `%.14g` and `strtod`; one module per library mirrors its C file, named in its doc.
//!
//! Nothing here reads a clock, a file or a random source: the same script gives the same bytes.

mod bit;
mod cjson;
mod cmsgpack;
mod lua_struct;
mod number;
mod stack;

use mlua::{Lua, Table};

/// Sets the globals `cjson`, `cmsgpack`, `bit` and `struct` in `lua`, each a table of functions
/// as Redis's `scriptingInit` leaves them.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let libraries =
        [("cjson", cjson::OPEN), ("cmsgpack", cmsgpack::OPEN), ("bit", bit::OPEN), ("struct", lua_struct::OPEN)];
    for (name, open) in libraries {
        // SAFETY: `open` is one of this module's C functions, which keep the rule of `stack`.
        let open = unsafe { lua.create_c_function(open)? };
        let table: Table = open.call(())?;
        lua.globals().set(name, table)?;
    }
    Ok(())
}

/// Runs the Lua `chunk` with `input` as its argument (`...`) in a fresh state with the libraries
/// registered, for the fuzz targets: an `Err` is a Lua error (expected for bad input); a panic
/// or a crash is a bug.
pub fn run_with_input(chunk: &str, input: &[u8]) -> mlua::Result<()> {
    let lua = Lua::new();
    register(&lua)?;
    let function = lua.load(chunk).set_name("=fuzz").into_function()?;
    function.call::<()>(lua.create_string(input)?)
}
