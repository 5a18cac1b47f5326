//! `bit`: LuaBitOp 1.0.2 as Redis 7.0 ships it (deps/lua/src/lua_bit.c).
//!
//! Every argument becomes a 32-bit integer by LuaBitOp's trick (add 2^52+2^51 and keep the low
//! word of the double), so fractions round to nearest even and larger numbers wrap; results are
//! signed 32-bit numbers. Shift counts use their low 5 bits. `band`, `bor` and `bxor` read their
//! arguments from the last one back, so an error names the last bad argument.
//!
//! Deliberate difference: `bit.tohex(x, -2^31)` — negating -2^31 overflows in C, and Redis
//! 7.0.15 then reads past a buffer (CVE-2024-31449, later fixed by treating it as -(2^31-1)).
//! Here it is treated as the fixed Redis does: eight upper-case digits.

use std::ffi::{c_int, CStr};

use mlua::ffi;

use super::stack::{lua_State, lua_function, push_bytes, push_number, set_field, type_error, LibResult};

lua_function!(bit_tobit => tobit);
lua_function!(bit_bnot => bnot);
lua_function!(bit_band => band);
lua_function!(bit_bor => bor);
lua_function!(bit_bxor => bxor);
lua_function!(bit_lshift => lshift);
lua_function!(bit_rshift => rshift);
lua_function!(bit_arshift => arshift);
lua_function!(bit_rol => rol);
lua_function!(bit_ror => ror);
lua_function!(bit_bswap => bswap);
lua_function!(bit_tohex => tohex);
lua_function!(luaopen_bit => open);

/// The C function that builds the `bit` table.
pub const OPEN: ffi::lua_CFunction = luaopen_bit;

unsafe fn open(state: *mut lua_State) -> LibResult {
    let functions: [(&CStr, ffi::lua_CFunction); 12] = [
        (c"tobit", bit_tobit),
        (c"bnot", bit_bnot),
        (c"band", bit_band),
        (c"bor", bit_bor),
        (c"bxor", bit_bxor),
        (c"lshift", bit_lshift),
        (c"rshift", bit_rshift),
        (c"arshift", bit_arshift),
        (c"rol", bit_rol),
        (c"ror", bit_ror),
        (c"bswap", bit_bswap),
        (c"tohex", bit_tohex),
    ];
    ffi::lua_createtable(state, 0, 0);
    for (name, function) in functions {
        ffi::lua_pushcfunction(state, function);
        set_field(state, -2, name);
    }
    Ok(1)
}

/// LuaBitOp's conversion of a number to 32 bits.
fn to_bits(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// C's `barg`: the argument as 32 bits; only a non-number that converts to 0 is an error.
unsafe fn barg(state: *mut lua_State, idx: c_int) -> LibResult<u32> {
    let b = to_bits(ffi::lua_tonumber(state, idx));
    if b == 0 && ffi::lua_isnumber(state, idx) == 0 {
        return Err(type_error(state, idx, "number"));
    }
    Ok(b)
}

/// Pushes a result as the signed 32-bit number it is.
unsafe fn ret(state: *mut lua_State, b: u32) -> LibResult {
    push_number(state, f64::from(b as i32));
    Ok(1)
}

unsafe fn tobit(state: *mut lua_State) -> LibResult {
    ret(state, barg(state, 1)?)
}

unsafe fn bnot(state: *mut lua_State) -> LibResult {
    ret(state, !barg(state, 1)?)
}

/// `band`/`bor`/`bxor`: the first argument, then the others from the last back to the second.
unsafe fn fold(state: *mut lua_State, op: fn(u32, u32) -> u32) -> LibResult {
    let mut b = barg(state, 1)?;
    let mut i = ffi::lua_gettop(state);
    while i > 1 {
        b = op(b, barg(state, i)?);
        i -= 1;
    }
    ret(state, b)
}

unsafe fn band(state: *mut lua_State) -> LibResult {
    fold(state, |a, b| a & b)
}

unsafe fn bor(state: *mut lua_State) -> LibResult {
    fold(state, |a, b| a | b)
}

unsafe fn bxor(state: *mut lua_State) -> LibResult {
    fold(state, |a, b| a ^ b)
}

/// A shift or rotation by the second argument's low 5 bits.
unsafe fn shift(state: *mut lua_State, op: fn(u32, u32) -> u32) -> LibResult {
    let b = barg(state, 1)?;
    let n = barg(state, 2)? & 31;
    ret(state, op(b, n))
}

unsafe fn lshift(state: *mut lua_State) -> LibResult {
    shift(state, |b, n| b << n)
}

unsafe fn rshift(state: *mut lua_State) -> LibResult {
    shift(state, |b, n| b >> n)
}

unsafe fn arshift(state: *mut lua_State) -> LibResult {
    shift(state, |b, n| ((b as i32) >> n) as u32)
}

unsafe fn rol(state: *mut lua_State) -> LibResult {
    shift(state, u32::rotate_left)
}

unsafe fn ror(state: *mut lua_State) -> LibResult {
    shift(state, u32::rotate_right)
}

unsafe fn bswap(state: *mut lua_State) -> LibResult {
    ret(state, barg(state, 1)?.swap_bytes())
}

unsafe fn tohex(state: *mut lua_State) -> LibResult {
    let mut b = barg(state, 1)?;
    let mut n = if ffi::lua_type(state, 2) == ffi::LUA_TNONE { 8 } else { barg(state, 2)? as i32 };
    let mut digits: &[u8; 16] = b"0123456789abcdef";
    if n < 0 {
        // -2^31 becomes 2^31-1 (see the module doc).
        n = n.saturating_neg();
        digits = b"0123456789ABCDEF";
    }
    let n = n.clamp(0, 8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    push_bytes(state, &buf[..n]);
    Ok(1)
}
