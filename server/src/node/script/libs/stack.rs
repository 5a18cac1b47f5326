//! The slice of the Lua C API the libraries are written against, and the one place their errors
//! are raised.
//!
//! Why the C API and not mlua's safe values: Redis's libraries are C functions, and scripts see
//! their C nature: a `luaL_error` names the *calling* script line (`user_script:1: ...`), a
//! `luaL_argerror` names the function as the script called it (`bad argument #1 to 'encode'`),
//! `lua_checkstack` fails at the same depth, `lua_next` walks a table in the same order, and a
//! number keeps every bit (mlua's `Value` turns `-0` and numbers below 2^-52 into the integer 0).
//! Working on the same stack with the same calls gives all of that by construction.
//!
//! The one rule that keeps this sound: a Lua error is a `longjmp`, so no Rust value that owns
//! memory may be alive when one is raised. Library bodies therefore never raise: they return
//! `Err(LibError)`, and [`run`] — the whole body of every exported C function — copies the message
//! onto the Lua stack, drops every Rust value, and only then raises. The Lua calls a body makes do
//! not raise either (no metamethods are invoked, stack space is checked first), except on memory
//! exhaustion, where Lua itself aborts the script.

use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};

use mlua::ffi;
pub use mlua::ffi::lua_State;

/// How a library function failed, in the three ways Redis's C libraries fail.
#[derive(Debug)]
pub enum LibError {
    /// `luaL_error`: the message, prefixed with the calling script's `chunk:line:`.
    Where(String),
    /// `luaL_argerror(narg, message)`: `bad argument #narg to 'name' (message)`.
    Arg(c_int, String),
    /// A Lua runtime error raised inside the C function (`table index is nil`): no prefix.
    Bare(String),
}

/// The result of a library body: how many values it left on top of the stack to return.
pub type LibResult<T = c_int> = Result<T, LibError>;

/// A library body: reads its arguments from the stack and pushes its results.
pub type Body = unsafe fn(*mut lua_State) -> LibResult;

/// Declares `extern "C-unwind" fn $name` that runs `$body` through [`run`].
macro_rules! lua_function {
    ($name:ident => $body:path) => {
        unsafe extern "C-unwind" fn $name(state: *mut $crate::node::script::libs::stack::lua_State) -> std::ffi::c_int {
            // SAFETY: Lua calls C functions with a valid state; `run` keeps the raising rule.
            unsafe { $crate::node::script::libs::stack::run(state, $body) }
        }
    };
}
pub(crate) use lua_function;

/// Which raise to perform once the message is on the stack (carries no owned data).
#[derive(Clone, Copy)]
enum Raise {
    Where,
    Arg(c_int),
    Bare,
}

/// Runs a library body and turns its error into the Lua error Redis's C code would raise.
///
/// # Safety
/// `state` must be the state of a C function call in progress.
pub unsafe fn run(state: *mut lua_State, body: Body) -> c_int {
    let raise = {
        // A panic is a bug in this crate; it must not unwind through Lua's C frames.
        let outcome = catch_unwind(AssertUnwindSafe(|| unsafe { body(state) }));
        let (raise, message) = match outcome {
            Ok(Ok(count)) => return count,
            Ok(Err(LibError::Where(message))) => (Raise::Where, message),
            Ok(Err(LibError::Arg(narg, message))) => (Raise::Arg(narg), message),
            Ok(Err(LibError::Bare(message))) => (Raise::Bare, message),
            Err(_) => (Raise::Bare, "internal error in a Lua library (a verdis bug)".to_string()),
        };
        // The error ends this call, so its stack is not needed; emptying it makes room for the
        // message even when the body failed because the stack was full.
        ffi::lua_settop(state, 0);
        push_bytes(state, message.as_bytes());
        raise
        // `message` and everything else owned is dropped here, before the longjmp below.
    };
    match raise {
        Raise::Where => {
            ffi::luaL_where(state, 1);
            ffi::lua_insert(state, -2);
            ffi::lua_concat(state, 2);
            ffi::lua_error(state)
        }
        Raise::Arg(narg) => ffi::luaL_argerror(state, narg, ffi::lua_tolstring(state, -1, std::ptr::null_mut())),
        Raise::Bare => ffi::lua_error(state),
    }
}

/// Pushes `bytes` as a Lua string.
pub unsafe fn push_bytes(state: *mut lua_State, bytes: &[u8]) {
    ffi::lua_pushlstring_(state, bytes.as_ptr().cast::<c_char>(), bytes.len());
}

/// Pushes a number.
pub unsafe fn push_number(state: *mut lua_State, n: f64) {
    ffi::lua_pushnumber(state, n);
}

/// The bytes of the string (or number, converted in place as `lua_tolstring` does) at `idx`.
/// The slice lives as long as the value stays on the stack; callers keep it there.
pub unsafe fn to_bytes<'a>(state: *mut lua_State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let ptr = ffi::lua_tolstring(state, idx, &mut len);
    if ptr.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
    }
}

/// `luaL_typename`: the type name of the value at `idx` (`no value` past the top).
pub unsafe fn type_name(state: *mut lua_State, idx: c_int) -> String {
    let name = ffi::lua_typename(state, ffi::lua_type(state, idx));
    std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned()
}

/// `luaL_typerror`: `bad argument #narg to 'f' (expected expected, got actual)`.
pub unsafe fn type_error(state: *mut lua_State, narg: c_int, expected: &str) -> LibError {
    LibError::Arg(narg, format!("{expected} expected, got {}", type_name(state, narg)))
}

/// `luaL_checknumber`.
pub unsafe fn check_number(state: *mut lua_State, narg: c_int) -> LibResult<f64> {
    let n = ffi::lua_tonumber(state, narg);
    if n == 0.0 && ffi::lua_isnumber(state, narg) == 0 {
        return Err(type_error(state, narg, "number"));
    }
    Ok(n)
}

/// `luaL_checkinteger`: the number truncated as Lua 5.1 on x86-64 does (`(ptrdiff_t)d`).
pub unsafe fn check_integer(state: *mut lua_State, narg: c_int) -> LibResult<i64> {
    check_number(state, narg).map(c_double_to_i64)
}

/// `luaL_optinteger`.
pub unsafe fn opt_integer(state: *mut lua_State, narg: c_int, default: i64) -> LibResult<i64> {
    if ffi::lua_type(state, narg) <= ffi::LUA_TNIL {
        Ok(default)
    } else {
        check_integer(state, narg)
    }
}

/// `luaL_checklstring`.
pub unsafe fn check_bytes<'a>(state: *mut lua_State, narg: c_int) -> LibResult<&'a [u8]> {
    to_bytes(state, narg).ok_or_else(|| type_error(state, narg, "string"))
}

/// `lua_checkstack`, as `luaL_checkstack` reports its failure.
pub unsafe fn check_stack(state: *mut lua_State, slots: c_int, what: &str) -> LibResult<()> {
    if ffi::lua_checkstack(state, slots) == 0 {
        return Err(LibError::Where(format!("stack overflow ({what})")));
    }
    Ok(())
}

/// A C cast of a double to a 64-bit integer as x86-64 performs it (`cvttsd2si`): truncation,
/// and the "integer indefinite" value `i64::MIN` for NaN and out-of-range values. Redis's C code
/// relies on these casts in places (msgpack's integer test, `luaL_checkinteger`).
pub fn c_double_to_i64(d: f64) -> i64 {
    // 2^63 as a double; every double in [-2^63, 2^63) truncates to an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    // NaN is in no range.
    if !(-LIMIT..LIMIT).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// A C cast of a double to a 32-bit `int` as x86-64 performs it: as [`c_double_to_i64`] but with
/// `i32::MIN` as the indefinite value.
pub fn c_double_to_i32(d: f64) -> i32 {
    if !(-2_147_483_648.0..2_147_483_648.0).contains(&d) {
        i32::MIN
    } else {
        d as i32
    }
}

/// Sets `table[name] = value on top` (pops it) for a table at `table_idx` (negative, before the
/// push).
pub unsafe fn set_field(state: *mut lua_State, table_idx: c_int, name: &std::ffi::CStr) {
    ffi::lua_setfield(state, table_idx, name.as_ptr());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The casts give what x86-64 gives for in-range, fractional, and out-of-range doubles.
    #[test]
    fn casts_behave_as_x86_cvttsd2si() {
        for (d, want) in [
            (1.9, 1),
            (-1.9, -1),
            (-0.0, 0),
            (9.2e18, 9_200_000_000_000_000_000),
            (9_223_372_036_854_775_808.0, i64::MIN),
            (-9_223_372_036_854_775_808.0, i64::MIN),
            (f64::NAN, i64::MIN),
            (f64::INFINITY, i64::MIN),
        ] {
            assert_eq!(c_double_to_i64(d), want, "{d}");
        }
        assert_eq!(c_double_to_i32(2_147_483_647.9), i32::MAX);
        assert_eq!(c_double_to_i32(2_147_483_648.0), i32::MIN);
        assert_eq!(c_double_to_i32(-2_147_483_648.5), i32::MIN);
    }
}
