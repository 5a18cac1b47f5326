//! `cjson`: lua-cjson 2.1.0 as Redis 7.0 ships it (deps/lua/src/lua_cjson.c), byte for byte.
//!
//! What scripts can observe and this keeps: numbers written with `%.14g` (the precision is
//! configurable, 1..=14), `/` escaped as `\/` and DEL as `\u007f`, arrays told from objects by
//! their keys with the sparse-array rules (ratio 2, safe 10, error unless converting), nesting
//! limits of 1000 both ways, `null` as a NULL light userdata, NaN and infinity refused on encode
//! and accepted (with hex numbers) on decode, and every error text with its character position.
//! The decoder reads its input as a C string: a NUL byte ends it.
//!
//! Each module table made by `cjson.new()` has its own configuration, held in a userdata that is
//! the first upvalue of each of its functions (as in C). `encode_keep_buffer` is kept and
//! reported but changes nothing here: a fresh buffer per call gives the same bytes.

use std::ffi::{c_int, CStr};

use mlua::ffi;

use super::number::{format_g, strtod};
use super::stack::{
    check_bytes, check_integer, lua_State, lua_function, push_bytes, push_number, set_field, to_bytes, type_error,
    type_name, LibError, LibResult,
};

/// One `cjson` module table's settings (C's `json_config_t`, without the reusable buffer).
#[derive(Clone, Copy)]
#[repr(C)]
struct Config {
    encode_sparse_convert: c_int,
    encode_sparse_ratio: c_int,
    encode_sparse_safe: c_int,
    encode_max_depth: c_int,
    encode_invalid_numbers: c_int,
    encode_number_precision: c_int,
    encode_keep_buffer: c_int,
    decode_invalid_numbers: c_int,
    decode_max_depth: c_int,
}

const DEFAULT_CONFIG: Config = Config {
    encode_sparse_convert: 0,
    encode_sparse_ratio: 2,
    encode_sparse_safe: 10,
    encode_max_depth: 1000,
    encode_invalid_numbers: 0,
    encode_number_precision: 14,
    encode_keep_buffer: 1,
    decode_invalid_numbers: 1,
    decode_max_depth: 1000,
};

/// The module's functions, each a C closure over its table's [`Config`].
const FUNCTIONS: [(&CStr, ffi::lua_CFunction); 10] = [
    (c"encode", json_encode),
    (c"decode", json_decode),
    (c"encode_sparse_array", json_cfg_encode_sparse_array),
    (c"encode_max_depth", json_cfg_encode_max_depth),
    (c"decode_max_depth", json_cfg_decode_max_depth),
    (c"encode_number_precision", json_cfg_encode_number_precision),
    (c"encode_keep_buffer", json_cfg_encode_keep_buffer),
    (c"encode_invalid_numbers", json_cfg_encode_invalid_numbers),
    (c"decode_invalid_numbers", json_cfg_decode_invalid_numbers),
    (c"new", lua_cjson_new),
];

lua_function!(lua_cjson_new => new_module);
lua_function!(json_encode => encode);
lua_function!(json_decode => decode);
lua_function!(json_cfg_encode_sparse_array => cfg_encode_sparse_array);
lua_function!(json_cfg_encode_max_depth => cfg_encode_max_depth);
lua_function!(json_cfg_decode_max_depth => cfg_decode_max_depth);
lua_function!(json_cfg_encode_number_precision => cfg_encode_number_precision);
lua_function!(json_cfg_encode_keep_buffer => cfg_encode_keep_buffer);
lua_function!(json_cfg_encode_invalid_numbers => cfg_encode_invalid_numbers);
lua_function!(json_cfg_decode_invalid_numbers => cfg_decode_invalid_numbers);

/// The C function that builds a fresh `cjson` table (also the module's `new`).
pub const OPEN: ffi::lua_CFunction = lua_cjson_new;

/// Pushes a new module table with its own default configuration.
unsafe fn new_module(state: *mut lua_State) -> LibResult {
    // Sized as `lua_newtable` sizes it, so `pairs(cjson)` walks the fields in C's order.
    ffi::lua_createtable(state, 0, 0);
    let config = ffi::lua_newuserdata(state, std::mem::size_of::<Config>()).cast::<Config>();
    // Lua aligns userdata for any C type; the memory is ours until the userdata is collected.
    config.write(DEFAULT_CONFIG);
    for (name, function) in FUNCTIONS {
        ffi::lua_pushvalue(state, -1);
        ffi::lua_pushcclosure(state, function, 1);
        set_field(state, -3, name);
    }
    ffi::lua_settop(state, -2);
    ffi::lua_pushlightuserdata(state, std::ptr::null_mut());
    set_field(state, -2, c"null");
    push_bytes(state, b"cjson");
    set_field(state, -2, c"_NAME");
    push_bytes(state, b"2.1.0");
    set_field(state, -2, c"_VERSION");
    Ok(1)
}

/// The running closure's configuration.
unsafe fn config<'a>(state: *mut lua_State) -> LibResult<&'a mut Config> {
    let config = ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)).cast::<Config>();
    // Only `new_module` makes these closures, always with the config as upvalue 1.
    config.as_mut().ok_or_else(|| LibError::Where("BUG: Unable to fetch CJSON configuration".into()))
}

// ----------------------------------------------------------------------------- configuration

/// C's `json_arg_init`: at most `args` arguments, padded with nils.
unsafe fn arg_init<'a>(state: *mut lua_State, args: c_int) -> LibResult<&'a mut Config> {
    if ffi::lua_gettop(state) > args {
        return Err(LibError::Arg(args + 1, "found too many arguments".into()));
    }
    while ffi::lua_gettop(state) < args {
        ffi::lua_pushnil(state);
    }
    config(state)
}

/// C's `json_integer_option`: sets from argument `index` when given (range errors name
/// argument 1, as C does), then pushes the setting.
unsafe fn integer_option(
    state: *mut lua_State,
    index: c_int,
    setting: &mut c_int,
    min: c_int,
    max: c_int,
) -> LibResult<()> {
    if ffi::lua_type(state, index) != ffi::LUA_TNIL {
        // `int value = luaL_checkinteger(...)`: the 64-bit integer cut to 32 bits.
        let value = check_integer(state, index)? as c_int;
        if !(min..=max).contains(&value) {
            return Err(LibError::Arg(1, format!("expected integer between {min} and {max}")));
        }
        *setting = value;
    }
    ffi::lua_pushinteger(state, *setting as ffi::lua_Integer);
    Ok(())
}

/// C's `json_enum_option` with `bool_true` 1: a boolean or one of `options` (by index), then
/// pushes the setting back as a boolean (0 or 1) or its option name.
unsafe fn enum_option(state: *mut lua_State, index: c_int, setting: &mut c_int, options: &[&str]) -> LibResult<()> {
    if ffi::lua_type(state, index) != ffi::LUA_TNIL {
        if ffi::lua_type(state, index) == ffi::LUA_TBOOLEAN {
            *setting = ffi::lua_toboolean(state, index);
        } else {
            // luaL_checkoption with no default.
            let name = check_bytes(state, index)?;
            match options.iter().position(|option| option.as_bytes() == name) {
                Some(found) => *setting = found as c_int,
                None => {
                    let name = String::from_utf8_lossy(name.split(|&c| c == 0).next().unwrap_or_default());
                    return Err(LibError::Arg(index, format!("invalid option '{name}'")));
                }
            }
        }
    }
    if *setting == 0 || *setting == 1 {
        ffi::lua_pushboolean(state, *setting);
    } else {
        push_bytes(state, options[*setting as usize].as_bytes());
    }
    Ok(())
}

const OFF_ON: [&str; 2] = ["off", "on"];

unsafe fn cfg_encode_sparse_array(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 3)?;
    enum_option(state, 1, &mut cfg.encode_sparse_convert, &OFF_ON)?;
    integer_option(state, 2, &mut cfg.encode_sparse_ratio, 0, c_int::MAX)?;
    integer_option(state, 3, &mut cfg.encode_sparse_safe, 0, c_int::MAX)?;
    Ok(3)
}

unsafe fn cfg_encode_max_depth(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 1)?;
    integer_option(state, 1, &mut cfg.encode_max_depth, 1, c_int::MAX)?;
    Ok(1)
}

unsafe fn cfg_decode_max_depth(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 1)?;
    integer_option(state, 1, &mut cfg.decode_max_depth, 1, c_int::MAX)?;
    Ok(1)
}

unsafe fn cfg_encode_number_precision(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 1)?;
    integer_option(state, 1, &mut cfg.encode_number_precision, 1, 14)?;
    Ok(1)
}

unsafe fn cfg_encode_keep_buffer(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 1)?;
    enum_option(state, 1, &mut cfg.encode_keep_buffer, &OFF_ON)?;
    Ok(1)
}

unsafe fn cfg_encode_invalid_numbers(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 1)?;
    enum_option(state, 1, &mut cfg.encode_invalid_numbers, &["off", "on", "null"])?;
    Ok(1)
}

unsafe fn cfg_decode_invalid_numbers(state: *mut lua_State) -> LibResult {
    let cfg = arg_init(state, 1)?;
    enum_option(state, 1, &mut cfg.decode_invalid_numbers, &OFF_ON)?;
    Ok(1)
}

// ---------------------------------------------------------------------------------- encoding

/// How each byte is written inside a JSON string (`None`: as itself).
fn escape(byte: u8) -> Option<&'static [u8]> {
    const CONTROL: [&[u8]; 32] = [
        b"\\u0000", b"\\u0001", b"\\u0002", b"\\u0003", b"\\u0004", b"\\u0005", b"\\u0006", b"\\u0007", b"\\b", b"\\t",
        b"\\n", b"\\u000b", b"\\f", b"\\r", b"\\u000e", b"\\u000f", b"\\u0010", b"\\u0011", b"\\u0012", b"\\u0013",
        b"\\u0014", b"\\u0015", b"\\u0016", b"\\u0017", b"\\u0018", b"\\u0019", b"\\u001a", b"\\u001b", b"\\u001c",
        b"\\u001d", b"\\u001e", b"\\u001f",
    ];
    match byte {
        0..=31 => Some(CONTROL[byte as usize]),
        b'"' => Some(b"\\\""),
        b'/' => Some(b"\\/"),
        b'\\' => Some(b"\\\\"),
        127 => Some(b"\\u007f"),
        _ => None,
    }
}

/// C's `json_encode_exception`: `Cannot serialise <type of value at idx>: <reason>`.
unsafe fn encode_exception(state: *mut lua_State, idx: c_int, reason: &str) -> LibError {
    LibError::Where(format!("Cannot serialise {}: {reason}", type_name(state, idx)))
}

unsafe fn encode(state: *mut lua_State) -> LibResult {
    let cfg = *config(state)?;
    if ffi::lua_gettop(state) != 1 {
        return Err(LibError::Arg(1, "expected 1 argument".into()));
    }
    let mut json = Vec::new();
    append_data(state, &cfg, &mut json)?;
    push_bytes(state, &json);
    Ok(1)
}

fn append_string(json: &mut Vec<u8>, text: &[u8]) {
    json.reserve(text.len() + 2);
    json.push(b'"');
    for &byte in text {
        match escape(byte) {
            Some(escaped) => json.extend_from_slice(escaped),
            None => json.push(byte),
        }
    }
    json.push(b'"');
}

/// Appends the number at `idx` (C's `json_append_number`).
unsafe fn append_number(state: *mut lua_State, cfg: &Config, idx: c_int, json: &mut Vec<u8>) -> LibResult<()> {
    let n = ffi::lua_tonumber(state, idx);
    let invalid = n.is_nan() || n.is_infinite();
    match cfg.encode_invalid_numbers {
        0 if invalid => return Err(encode_exception(state, idx, "must not be NaN or Inf")),
        // "on": NaN written as "nan" whatever its sign; infinities as printf writes them.
        1 if n.is_nan() => {
            json.extend_from_slice(b"nan");
            return Ok(());
        }
        2 if invalid => {
            json.extend_from_slice(b"null");
            return Ok(());
        }
        _ => {}
    }
    json.extend_from_slice(format_g(n, cfg.encode_number_precision as usize).as_bytes());
    Ok(())
}

/// A table being written: the walk keeps one per nesting level on the heap (not in Rust's call
/// stack), and the Lua stack holds exactly what C's recursion holds there.
enum Open {
    /// An array: the last index written and the length.
    Array { index: c_int, length: c_int },
    /// An object: whether no pair is written yet. Its `lua_next` key sits above the table.
    Object { first: bool },
}

/// Appends the value on top of the stack (C's recursive `json_append_data`, as a loop).
unsafe fn append_data(state: *mut lua_State, cfg: &Config, json: &mut Vec<u8>) -> LibResult<()> {
    // Bounded: each open table holds Lua stack slots, and `lua_checkstack` caps those at
    // LUAI_MAXCSTACK (8000), besides `encode_max_depth`.
    let mut open: Vec<Open> = Vec::new();
    loop {
        // The value on top of the stack: written whole, or opened as a table.
        let mut finished = true;
        match ffi::lua_type(state, -1) {
            ffi::LUA_TSTRING => append_string(json, to_bytes(state, -1).unwrap_or_default()),
            ffi::LUA_TNUMBER => append_number(state, cfg, -1, json)?,
            ffi::LUA_TBOOLEAN => {
                json.extend_from_slice(if ffi::lua_toboolean(state, -1) != 0 { b"true" } else { b"false" })
            }
            ffi::LUA_TTABLE => {
                let depth = open.len() as c_int + 1;
                // Room for key, value and an error message, as C checks.
                if depth > cfg.encode_max_depth || ffi::lua_checkstack(state, 3) == 0 {
                    return Err(LibError::Where(format!("Cannot serialise, excessive nesting ({depth})")));
                }
                match array_length(state, cfg)? {
                    Some(length) if length > 0 => {
                        json.push(b'[');
                        open.push(Open::Array { index: 0, length });
                    }
                    _ => {
                        json.push(b'{');
                        ffi::lua_pushnil(state);
                        open.push(Open::Object { first: true });
                    }
                }
                finished = false;
            }
            ffi::LUA_TNIL => json.extend_from_slice(b"null"),
            ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(state, -1).is_null() => json.extend_from_slice(b"null"),
            _ => return Err(encode_exception(state, -1, "type not supported")),
        }
        // Move to the next value to write, closing the tables that are done.
        loop {
            let Some(table) = open.last_mut() else { return Ok(()) };
            if finished {
                // The written value, above its table (or above its key in an object).
                ffi::lua_settop(state, -2);
            }
            match table {
                Open::Array { index, length } => {
                    if *index < *length {
                        *index += 1;
                        if *index > 1 {
                            json.push(b',');
                        }
                        ffi::lua_rawgeti_(state, -1, *index);
                        break;
                    }
                    json.push(b']');
                }
                Open::Object { first } => {
                    if ffi::lua_next(state, -2) != 0 {
                        if !*first {
                            json.push(b',');
                        }
                        *first = false;
                        append_key(state, cfg, json)?;
                        break;
                    }
                    json.push(b'}');
                }
            }
            open.pop();
            finished = true;
        }
    }
}

/// Writes the key below the value on top of the stack, with its colon.
unsafe fn append_key(state: *mut lua_State, cfg: &Config, json: &mut Vec<u8>) -> LibResult<()> {
    match ffi::lua_type(state, -2) {
        ffi::LUA_TNUMBER => {
            json.push(b'"');
            append_number(state, cfg, -2, json)?;
            json.extend_from_slice(b"\":");
        }
        ffi::LUA_TSTRING => {
            append_string(json, to_bytes(state, -2).unwrap_or_default());
            json.push(b':');
        }
        _ => return Err(encode_exception(state, -2, "table key must be a number or string")),
    }
    Ok(())
}

/// C's `lua_array_length` for the table on top: `Some(max index)` for an array (positive whole
/// number keys only, not too sparse), `None` for an object.
unsafe fn array_length(state: *mut lua_State, cfg: &Config) -> LibResult<Option<c_int>> {
    let mut max: c_int = 0;
    let mut items: c_int = 0;
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        let k = ffi::lua_tonumber(state, -2);
        let is_index = ffi::lua_type(state, -2) == ffi::LUA_TNUMBER && k != 0.0 && k.floor() == k && k >= 1.0;
        if !is_index {
            ffi::lua_settop(state, -3);
            return Ok(None);
        }
        if k > f64::from(max) {
            // `max = k` converts to int as C does on x86-64.
            max = super::stack::c_double_to_i32(k);
        }
        items = items.wrapping_add(1);
        ffi::lua_settop(state, -2);
    }
    if cfg.encode_sparse_ratio > 0 && max > items.wrapping_mul(cfg.encode_sparse_ratio) && max > cfg.encode_sparse_safe
    {
        if cfg.encode_sparse_convert == 0 {
            return Err(encode_exception(state, -1, "excessively sparse array"));
        }
        return Ok(None);
    }
    Ok(Some(max))
}

// ---------------------------------------------------------------------------------- decoding

/// A token of the JSON text (C's `json_token_type_t`; the names appear in error messages).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String,
    Number,
    Boolean,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

impl TokenKind {
    fn name(self) -> &'static str {
        match self {
            TokenKind::ObjBegin => "T_OBJ_BEGIN",
            TokenKind::ObjEnd => "T_OBJ_END",
            TokenKind::ArrBegin => "T_ARR_BEGIN",
            TokenKind::ArrEnd => "T_ARR_END",
            TokenKind::String => "T_STRING",
            TokenKind::Number => "T_NUMBER",
            TokenKind::Boolean => "T_BOOLEAN",
            TokenKind::Null => "T_NULL",
            TokenKind::Colon => "T_COLON",
            TokenKind::Comma => "T_COMMA",
            TokenKind::End => "T_END",
            TokenKind::Error => "T_ERROR",
        }
    }
}

/// A token: its kind, where it starts (0-based), and its value.
struct Token {
    kind: TokenKind,
    index: usize,
    number: f64,
    boolean: bool,
    /// For `Error`: what went wrong ("invalid token", ...).
    error: &'static str,
}

/// The decoder's state: the text (up to its first NUL), the read position and nesting depth.
struct Parser<'a> {
    data: &'a [u8],
    ptr: usize,
    depth: c_int,
    max_depth: c_int,
    invalid_numbers: bool,
    /// The decoded text of the last string token.
    string: Vec<u8>,
}

impl Parser<'_> {
    /// The byte at `i`, or the C string's terminating NUL past the end.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn token(&self, kind: TokenKind, index: usize) -> Token {
        Token { kind, index, number: 0.0, boolean: false, error: "" }
    }

    fn error(&self, error: &'static str) -> Token {
        Token { kind: TokenKind::Error, index: self.ptr, number: 0.0, boolean: false, error }
    }

    /// C's `json_next_token`.
    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.ptr), b' ' | b'\t' | b'\n' | b'\r') {
            self.ptr += 1;
        }
        let index = self.ptr;
        let ch = self.at(index);
        let single = match ch {
            b'{' => Some(TokenKind::ObjBegin),
            b'}' => Some(TokenKind::ObjEnd),
            b'[' => Some(TokenKind::ArrBegin),
            b']' => Some(TokenKind::ArrEnd),
            b',' => Some(TokenKind::Comma),
            b':' => Some(TokenKind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            self.ptr += 1;
            return self.token(kind, index);
        }
        match ch {
            0 => self.token(TokenKind::End, index),
            b'"' => self.string_token(),
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.is_invalid_number() {
                    return self.error("invalid number");
                }
                self.number_token()
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                let rest = &self.data[index..];
                if rest.starts_with(b"true") {
                    self.ptr += 4;
                    Token { boolean: true, ..self.token(TokenKind::Boolean, index) }
                } else if rest.starts_with(b"false") {
                    self.ptr += 5;
                    self.token(TokenKind::Boolean, index)
                } else if rest.starts_with(b"null") {
                    self.ptr += 4;
                    self.token(TokenKind::Null, index)
                } else if self.invalid_numbers && self.is_invalid_number() {
                    // Only numbers known to be invalid JSON (inf, nan, hex) are read here, so
                    // other bad tokens report "invalid token".
                    self.number_token()
                } else {
                    self.error("invalid token")
                }
            }
            _ => self.error("invalid token"),
        }
    }

    /// C's `json_is_invalid_number`: text strtod accepts but strict JSON does not.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.ptr;
        match self.at(p) {
            b'+' => return true,
            b'-' => p += 1,
            _ => {}
        }
        let ch = self.at(p);
        if ch == b'0' {
            let ch2 = self.at(p + 1);
            return (ch2 | 0x20) == b'x' || ch2.is_ascii_digit();
        }
        if ch <= b'9' {
            return false;
        }
        let rest = &self.data[p.min(self.data.len())..];
        let starts = |word: &[u8]| rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(word);
        starts(b"inf") || starts(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let (number, read) = strtod(&self.data[self.ptr..]);
        if read == 0 {
            return self.error("invalid number");
        }
        let token = Token { number, ..self.token(TokenKind::Number, self.ptr) };
        self.ptr += read;
        token
    }

    /// C's `json_next_string_token`: the decoded text lands in `self.string`.
    fn string_token(&mut self) -> Token {
        let index = self.ptr;
        self.ptr += 1;
        self.string.clear();
        loop {
            let ch = self.at(self.ptr);
            match ch {
                b'"' => break,
                0 => return self.error("unexpected end of string"),
                b'\\' => {
                    let unescaped = match self.at(self.ptr + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 12,
                        b'r' => b'\r',
                        b'u' => {
                            if self.unicode_escape() {
                                continue;
                            }
                            return self.error("invalid unicode escape code");
                        }
                        _ => return self.error("invalid escape code"),
                    };
                    self.string.push(unescaped);
                    self.ptr += 2;
                }
                _ => {
                    self.string.push(ch);
                    self.ptr += 1;
                }
            }
        }
        self.ptr += 1;
        self.token(TokenKind::String, index)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut value = 0;
        for i in 0..4 {
            value = (value << 4) | char::from(self.at(at + i)).to_digit(16)?;
        }
        Some(value)
    }

    /// C's `json_append_unicode_escape` at `\u`: appends UTF-8 and skips the escape (or the
    /// surrogate pair); false when invalid.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut codepoint) = self.hex4(self.ptr + 2) else { return false };
        let mut escape_len = 6;
        if codepoint & 0xF800 == 0xD800 {
            if codepoint & 0x400 != 0 {
                return false;
            }
            if self.at(self.ptr + 6) != b'\\' || self.at(self.ptr + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.ptr + 8) else { return false };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            escape_len = 12;
        }
        // Every value reachable here is at most 0x10FFFF, a valid UTF-8 length.
        let mut utf8 = [0u8; 4];
        let len = match codepoint {
            0..=0x7F => {
                utf8[0] = codepoint as u8;
                1
            }
            0x80..=0x7FF => {
                utf8[0] = (codepoint >> 6) as u8 | 0xC0;
                utf8[1] = (codepoint & 0x3F) as u8 | 0x80;
                2
            }
            0x800..=0xFFFF => {
                utf8[0] = (codepoint >> 12) as u8 | 0xE0;
                utf8[1] = ((codepoint >> 6) & 0x3F) as u8 | 0x80;
                utf8[2] = (codepoint & 0x3F) as u8 | 0x80;
                3
            }
            _ => {
                utf8[0] = (codepoint >> 18) as u8 | 0xF0;
                utf8[1] = ((codepoint >> 12) & 0x3F) as u8 | 0x80;
                utf8[2] = ((codepoint >> 6) & 0x3F) as u8 | 0x80;
                utf8[3] = (codepoint & 0x3F) as u8 | 0x80;
                4
            }
        };
        self.string.extend_from_slice(&utf8[..len]);
        self.ptr += escape_len;
        true
    }
}

/// C's `json_throw_parse_error`.
fn parse_error(expected: &str, token: &Token) -> LibError {
    let found = if token.kind == TokenKind::Error { token.error } else { token.kind.name() };
    LibError::Where(format!("Expected {expected} but found {found} at character {}", token.index + 1))
}

/// C's `json_decode_descend`: one level deeper, with `slots` of Lua stack for it.
unsafe fn descend(state: *mut lua_State, parser: &mut Parser, slots: c_int) -> LibResult<()> {
    parser.depth += 1;
    if parser.depth <= parser.max_depth && ffi::lua_checkstack(state, slots) != 0 {
        return Ok(());
    }
    Err(LibError::Where(format!(
        "Found too many nested data structures ({}) at character {}",
        parser.depth, parser.ptr
    )))
}

/// A container being read (the Lua stack holds the table, and in an object the pending key).
enum Filling {
    /// An array and the index of its next element.
    Array(c_int),
    Object,
}

/// Reads the key that `token` starts, pushes it, and reads the colon: the token of the value.
unsafe fn object_key(state: *mut lua_State, parser: &mut Parser, token: &Token) -> LibResult<Token> {
    if token.kind != TokenKind::String {
        return Err(parse_error("object key string", token));
    }
    push_bytes(state, &parser.string);
    let colon = parser.next_token();
    if colon.kind != TokenKind::Colon {
        return Err(parse_error("colon", &colon));
    }
    Ok(parser.next_token())
}

/// Pushes the value that `token` starts (C's recursive `json_process_value` with its object and
/// array contexts, as a loop: nesting lives on the heap, not in Rust's call stack).
unsafe fn process_value(state: *mut lua_State, parser: &mut Parser, token: Token) -> LibResult<()> {
    // Bounded by `decode_max_depth` and by the Lua stack slots each level holds (`descend`).
    let mut open: Vec<Filling> = Vec::new();
    let mut token = token;
    loop {
        let mut finished = true;
        match token.kind {
            TokenKind::String => push_bytes(state, &parser.string),
            TokenKind::Number => push_number(state, token.number),
            TokenKind::Boolean => ffi::lua_pushboolean(state, c_int::from(token.boolean)),
            TokenKind::Null => ffi::lua_pushlightuserdata(state, std::ptr::null_mut()),
            TokenKind::ObjBegin => {
                // Slots for table, key and value.
                descend(state, parser, 3)?;
                ffi::lua_createtable(state, 0, 0);
                let first = parser.next_token();
                if first.kind == TokenKind::ObjEnd {
                    parser.depth -= 1;
                } else {
                    token = object_key(state, parser, &first)?;
                    open.push(Filling::Object);
                    finished = false;
                }
            }
            TokenKind::ArrBegin => {
                // Slots for table and value.
                descend(state, parser, 2)?;
                ffi::lua_createtable(state, 0, 0);
                let first = parser.next_token();
                if first.kind == TokenKind::ArrEnd {
                    parser.depth -= 1;
                } else {
                    token = first;
                    open.push(Filling::Array(1));
                    finished = false;
                }
            }
            _ => return Err(parse_error("value", &token)),
        }
        if !finished {
            continue;
        }
        // Store the finished value in its container; close the containers that end here.
        loop {
            let Some(filling) = open.last_mut() else { return Ok(()) };
            let next = match filling {
                Filling::Array(index) => {
                    ffi::lua_rawseti_(state, -2, *index);
                    *index = index.wrapping_add(1);
                    let next = parser.next_token();
                    if next.kind != TokenKind::ArrEnd && next.kind != TokenKind::Comma {
                        return Err(parse_error("comma or array end", &next));
                    }
                    next
                }
                Filling::Object => {
                    ffi::lua_rawset(state, -3);
                    let next = parser.next_token();
                    if next.kind != TokenKind::ObjEnd && next.kind != TokenKind::Comma {
                        return Err(parse_error("comma or object end", &next));
                    }
                    next
                }
            };
            if next.kind == TokenKind::Comma {
                let after = parser.next_token();
                token = match filling {
                    Filling::Array(_) => after,
                    Filling::Object => object_key(state, parser, &after)?,
                };
                break;
            }
            parser.depth -= 1;
            open.pop();
        }
    }
}

unsafe fn decode(state: *mut lua_State) -> LibResult {
    if ffi::lua_gettop(state) != 1 {
        return Err(LibError::Arg(1, "expected 1 argument".into()));
    }
    let cfg = *config(state)?;
    let Some(json) = to_bytes(state, 1) else { return Err(type_error(state, 1, "string")) };
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(LibError::Where("JSON parser does not support UTF-16 or UTF-32".into()));
    }
    // The C parser reads a NUL-terminated string: nothing after the first NUL exists for it.
    let end = json.iter().position(|&c| c == 0).unwrap_or(json.len());
    let mut parser = Parser {
        data: &json[..end],
        ptr: 0,
        depth: 0,
        max_depth: cfg.decode_max_depth,
        invalid_numbers: cfg.decode_invalid_numbers != 0,
        string: Vec::new(),
    };
    let token = parser.next_token();
    process_value(state, &mut parser, token)?;
    let token = parser.next_token();
    if token.kind != TokenKind::End {
        return Err(parse_error("the end", &token));
    }
    Ok(1)
}
