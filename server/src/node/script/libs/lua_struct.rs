//! `struct`: Roberto Ierusalimschy's struct library 1.4 as Redis 7.0 ships it
//! (deps/lua/src/lua_struct.c, with Redis's overflow fixes).
//!
//! Formats: `>` `<` endianness (native is little), `![n]` maximum alignment (default 8),
//! `b/B` `h/H` `l/L` `T` signed/unsigned 1, 2, 8, 8 bytes, `i/I[n]` integers of n bytes (default
//! 4, at most 32), `f` `d` float and double, `x` a pad byte, `c[n]` n chars (`c0`: the whole
//! string when packing, the previous number as length when unpacking), `s` a zero-terminated
//! string, space ignored. The format is read as a C string (up to its first NUL). Integers wider
//! than 8 bytes carry the value in their low 8 bytes, as the C code's 64-bit arithmetic does,
//! and their sign test uses the shift count x86-64 uses (its low 6 bits).

use std::ffi::{c_int, CStr};

use mlua::ffi;

use super::stack::{
    c_double_to_i64, check_bytes, check_number, check_stack, lua_State, lua_function, opt_integer, push_bytes,
    push_number, set_field, LibError, LibResult,
};

/// The widest `i`/`I` integer (C's `MAXINTSIZE`).
const INT_SIZE_MAX: usize = 32;
/// The default of `!` (C's `MAXALIGN` on x86-64).
const ALIGN_MAX: c_int = 8;

lua_function!(b_pack => pack);
lua_function!(b_unpack => unpack);
lua_function!(b_size => size);
lua_function!(luaopen_struct => open);

/// The C function that builds the `struct` table.
pub const OPEN: ffi::lua_CFunction = luaopen_struct;

unsafe fn open(state: *mut lua_State) -> LibResult {
    let functions: [(&CStr, ffi::lua_CFunction); 3] = [(c"pack", b_pack), (c"unpack", b_unpack), (c"size", b_size)];
    ffi::lua_createtable(state, 0, 0);
    for (name, function) in functions {
        ffi::lua_pushcfunction(state, function);
        set_field(state, -2, name);
    }
    Ok(1)
}

/// Endianness and alignment in force (C's `Header`).
struct Header {
    big: bool,
    align: c_int,
}

const DEFAULT_HEADER: Header = Header { big: false, align: 1 };

/// A format string being read.
struct Format<'a> {
    text: &'a [u8],
    at: usize,
}

impl Format<'_> {
    /// The next option byte, or `None` at the end (the first NUL ends it, as in C).
    fn next(&mut self) -> Option<u8> {
        let opt = *self.text.get(self.at)?;
        self.at += 1;
        Some(opt)
    }

    /// C's `getnum`: the digits here, or `default`; "integral size overflow" past `INT_MAX`.
    fn number(&mut self, default: c_int) -> LibResult<c_int> {
        if !self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: c_int = 0;
        while let Some(&digit) = self.text.get(self.at).filter(|c| c.is_ascii_digit()) {
            let digit = c_int::from(digit - b'0');
            if a > c_int::MAX / 10 || a * 10 > c_int::MAX - digit {
                return Err(LibError::Where("integral size overflow".into()));
            }
            a = a * 10 + digit;
            self.at += 1;
        }
        Ok(a)
    }

    /// C's `optsize`: how many bytes `opt` takes (0 for options without a size).
    fn size_of(&mut self, opt: u8) -> LibResult<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            // A negative count cannot come from digits; `number` only returns what it read.
            b'c' => self.number(1)? as usize,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size as usize > INT_SIZE_MAX {
                    return Err(LibError::Where(format!(
                        "integral size {size} is larger than limit of {INT_SIZE_MAX}"
                    )));
                }
                size as usize
            }
            _ => 0,
        })
    }

    /// C's `controloptions`: the options that change the header, or the invalid-option error.
    fn control(&mut self, opt: u8, header: &mut Header) -> LibResult<()> {
        match opt {
            b' ' => {}
            b'>' => header.big = true,
            b'<' => header.big = false,
            b'!' => {
                let a = self.number(ALIGN_MAX)?;
                if !(a > 0 && a & (a - 1) == 0) {
                    return Err(LibError::Where(format!("alignment {a} is not a power of 2")));
                }
                header.align = a;
            }
            _ => return Err(LibError::Arg(1, format!("invalid format option '{}'", opt as char))),
        }
        Ok(())
    }
}

/// The format argument as C sees it: up to the first NUL.
unsafe fn format_arg<'a>(state: *mut lua_State) -> LibResult<Format<'a>> {
    let text = check_bytes(state, 1)?;
    let end = text.iter().position(|&c| c == 0).unwrap_or(text.len());
    Ok(Format { text: &text[..end], at: 0 })
}

/// C's `gettoalign`: padding before an item of `size` at offset `len`.
fn padding(len: usize, header: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(header.align as usize);
    size.wrapping_sub(len & (size - 1)) & (size - 1)
}

fn is_integer_option(opt: u8) -> bool {
    matches!(opt, b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I')
}

/// C's `putinteger`: the number as `size` bytes (beyond 8 they are zero, as in C's 64 bits).
unsafe fn put_integer(state: *mut lua_State, out: &mut Vec<u8>, arg: c_int, big: bool, size: usize) -> LibResult<()> {
    let n = check_number(state, arg)?;
    let value = if n < 0.0 { c_double_to_i64(n) as u64 } else { c_double_to_u64(n) };
    let bytes: Vec<u8> = (0..size).map(|i| if i < 8 { (value >> (8 * i)) as u8 } else { 0 }).collect();
    if big {
        out.extend(bytes.iter().rev());
    } else {
        out.extend_from_slice(&bytes);
    }
    Ok(())
}

/// `(uint64_t)d` for d >= 0 as gcc compiles it on x86-64: below 2^63 a plain truncation, above
/// it the truncation of d - 2^63 with the top bit set (which wraps to 0 at 2^64 and beyond).
fn c_double_to_u64(d: f64) -> u64 {
    const TOP: f64 = 9_223_372_036_854_775_808.0;
    if d < TOP {
        c_double_to_i64(d) as u64
    } else {
        (c_double_to_i64(d - TOP) as u64) ^ (1 << 63)
    }
}

unsafe fn pack(state: *mut lua_State) -> LibResult {
    let mut fmt = format_arg(state)?;
    let mut header = DEFAULT_HEADER;
    let mut arg: c_int = 2;
    // C pushes a nil after the arguments, so the first missing one reads as nil, not no value.
    ffi::lua_pushnil(state);
    let mut out = Vec::new();
    let mut total: usize = 0;
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size_of(opt)?;
        let pad = padding(total, &header, opt, size);
        total = total.wrapping_add(pad);
        out.resize(out.len() + pad, 0);
        match opt {
            _ if is_integer_option(opt) => {
                put_integer(state, &mut out, arg, header.big, size)?;
                arg += 1;
            }
            b'x' => out.push(0),
            b'f' => {
                let f = check_number(state, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if header.big { f.to_be_bytes() } else { f.to_le_bytes() });
            }
            b'd' => {
                let d = check_number(state, arg)?;
                arg += 1;
                out.extend_from_slice(&if header.big { d.to_be_bytes() } else { d.to_le_bytes() });
            }
            b'c' | b's' => {
                let text = check_bytes(state, arg)?;
                arg += 1;
                if size == 0 {
                    size = text.len();
                }
                // C checks after moving to the next argument, and names that one.
                if text.len() < size {
                    return Err(LibError::Arg(arg, "string too short".into()));
                }
                out.extend_from_slice(&text[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => fmt.control(opt, &mut header)?,
        }
        total = total.wrapping_add(size);
    }
    push_bytes(state, &out);
    Ok(1)
}

/// C's `getinteger`: `size` bytes as a number, sign-extended for signed options.
fn get_integer(bytes: &[u8], big: bool, signed: bool, size: usize) -> f64 {
    // Bytes pushed in from the low end: beyond 8 bytes the first ones fall off, as in C.
    let push = |acc: u64, byte: &u8| (acc << 8) | u64::from(*byte);
    let mut l = if big { bytes.iter().fold(0, push) } else { bytes.iter().rev().fold(0, push) };
    if !signed {
        return l as f64;
    }
    // `~0 << (size*8 - 1)`: x86-64 uses the low 6 bits of the count.
    let mask = u64::MAX << ((size * 8).wrapping_sub(1) & 63);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

unsafe fn unpack(state: *mut lua_State) -> LibResult {
    let mut fmt = format_arg(state)?;
    let data = check_bytes(state, 2)?;
    let ld = data.len();
    // The position is a size_t: only 0 is refused here; a negative one wraps to a huge offset
    // that the first item finds too far (an empty format returns it as it is).
    let position = opt_integer(state, 3, 1)?;
    if position == 0 {
        return Err(LibError::Arg(3, "offset must be 1 or greater".into()));
    }
    let mut pos = (position as u64).wrapping_sub(1) as usize;
    let mut header = DEFAULT_HEADER;
    let mut results: c_int = 0;
    let too_short = || LibError::Arg(2, "data string too short".into());
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size_of(opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        check_stack(state, 2, "too many results")?;
        match opt {
            _ if is_integer_option(opt) => {
                let signed = opt.is_ascii_lowercase();
                push_number(state, get_integer(&data[pos..pos + size], header.big, signed, size));
                results += 1;
            }
            b'x' => {}
            b'f' => {
                let bytes: [u8; 4] = data[pos..pos + 4].try_into().map_err(|_| too_short())?;
                let f = if header.big { f32::from_be_bytes(bytes) } else { f32::from_le_bytes(bytes) };
                push_number(state, f64::from(f));
                results += 1;
            }
            b'd' => {
                let bytes: [u8; 8] = data[pos..pos + 8].try_into().map_err(|_| too_short())?;
                push_number(state, if header.big { f64::from_be_bytes(bytes) } else { f64::from_le_bytes(bytes) });
                results += 1;
            }
            b'c' => {
                if size == 0 {
                    if results == 0 || ffi::lua_isnumber(state, -1) == 0 {
                        return Err(LibError::Where("format 'c0' needs a previous size".into()));
                    }
                    // `size = lua_tonumber(L, -1)`: a double stored in a size_t.
                    let previous = ffi::lua_tonumber(state, -1);
                    size = if previous < 0.0 { c_double_to_i64(previous) as u64 } else { c_double_to_u64(previous) }
                        as usize;
                    ffi::lua_settop(state, -2);
                    results -= 1;
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                push_bytes(state, &data[pos..pos + size]);
                results += 1;
            }
            b's' => {
                let Some(nul) = data[pos..].iter().position(|&c| c == 0) else {
                    return Err(LibError::Where("unfinished string in data".into()));
                };
                size = nul + 1;
                push_bytes(state, &data[pos..pos + nul]);
                results += 1;
            }
            _ => fmt.control(opt, &mut header)?,
        }
        pos = pos.wrapping_add(size);
    }
    ffi::lua_pushinteger(state, pos.wrapping_add(1) as ffi::lua_Integer);
    Ok(results + 1)
}

unsafe fn size(state: *mut lua_State) -> LibResult {
    let mut fmt = format_arg(state)?;
    let mut header = DEFAULT_HEADER;
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next() {
        let size = fmt.size_of(opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if opt == b's' {
            return Err(LibError::Arg(1, "option 's' has no fixed size".into()));
        } else if opt == b'c' && size == 0 {
            return Err(LibError::Arg(1, "option 'c0' has no fixed size".into()));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(opt, &mut header)?;
        }
        pos = pos.wrapping_add(size);
    }
    ffi::lua_pushinteger(state, pos as ffi::lua_Integer);
    Ok(1)
}
