//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis 7.0 ships it (deps/lua/src/lua_cmsgpack.c).
//!
//! What scripts can observe and this keeps: integers in their smallest encoding, other numbers
//! as a 32-bit float when that loses nothing and a double otherwise, a table packed as an array
//! exactly when its keys are 1..n (the empty table included) and as a map otherwise, tables
//! nested 16 deep packed as nil (so cycles terminate), strings as fixstr/str8/str16/str32 (never
//! bin), functions and other unpackable values as nil; unpacking of every msgpack type except
//! ext and bin (bad format), 64-bit unsigned values wrapping to negative as Lua 5.1's
//! `lua_pushinteger` makes them, and every error text. Unpacking several values at once stops
//! where Lua's stack does (8000 slots), with Redis's advice to use `unpack_one`/`unpack_limit`.

use std::ffi::{c_int, CStr};

use mlua::ffi;

use super::stack::{
    c_double_to_i32, c_double_to_i64, check_bytes, check_integer, check_stack, lua_State, lua_function, opt_integer,
    push_bytes, push_number, set_field, to_bytes, LibError, LibResult,
};

/// Tables nested deeper than this pack as nil (C's `LUACMSGPACK_MAX_NESTING`).
const NESTING_MAX: c_int = 16;

lua_function!(mp_pack => pack);
lua_function!(mp_unpack => unpack);
lua_function!(mp_unpack_one => unpack_one);
lua_function!(mp_unpack_limit => unpack_limit);
lua_function!(luaopen_cmsgpack => open);

/// The C function that builds the `cmsgpack` table.
pub const OPEN: ffi::lua_CFunction = luaopen_cmsgpack;

unsafe fn open(state: *mut lua_State) -> LibResult {
    ffi::lua_createtable(state, 0, 0);
    let functions: [(&CStr, ffi::lua_CFunction); 4] = [
        (c"pack", mp_pack),
        (c"unpack", mp_unpack),
        (c"unpack_one", mp_unpack_one),
        (c"unpack_limit", mp_unpack_limit),
    ];
    for (name, function) in functions {
        ffi::lua_pushcfunction(state, function);
        set_field(state, -2, name);
    }
    let fields: [(&CStr, &[u8]); 4] = [
        (c"_NAME", b"cmsgpack"),
        (c"_VERSION", b"lua-cmsgpack 0.4.0"),
        (c"_COPYRIGHT", b"Copyright (C) 2012, Salvatore Sanfilippo"),
        (c"_DESCRIPTION", b"MessagePack C implementation for Lua"),
    ];
    for (name, value) in fields {
        push_bytes(state, value);
        set_field(state, -2, name);
    }
    Ok(1)
}

// ---------------------------------------------------------------------------------- encoding

fn encode_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    if len < 32 {
        buf.push(0xa0 | len as u8);
    } else if len <= 0xff {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(bytes);
}

fn encode_double(buf: &mut Vec<u8>, d: f64) {
    let f = d as f32;
    if f64::from(f) == d {
        buf.push(0xca);
        buf.extend_from_slice(&f.to_be_bytes());
    } else {
        buf.push(0xcb);
        buf.extend_from_slice(&d.to_be_bytes());
    }
}

/// The smallest msgpack integer for `n`.
fn encode_int(buf: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            buf.push(n as u8);
        } else if n <= 0xff {
            buf.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            buf.push(0xcd);
            buf.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            buf.push(0xce);
            buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            buf.push(0xcf);
            buf.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        buf.push(n as i8 as u8);
    } else if n >= -128 {
        buf.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        buf.push(0xd1);
        buf.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        buf.push(0xd2);
        buf.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        buf.push(0xd3);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

/// An array or map header: `fix` for up to 15 entries, then the 16- and 32-bit forms.
fn encode_header(buf: &mut Vec<u8>, n: u64, fix: u8, wide16: u8, wide32: u8) {
    if n <= 15 {
        buf.push(fix | n as u8);
    } else if n <= 0xffff {
        buf.push(wide16);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(wide32);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

unsafe fn encode_number(state: *mut lua_State, buf: &mut Vec<u8>) {
    let n = ffi::lua_tonumber(state, -1);
    // IS_INT64_EQUIVALENT: finite and unchanged by the (x86-64) cast to int64_t.
    let as_int = c_double_to_i64(n);
    if n.is_finite() && as_int as f64 == n {
        encode_int(buf, as_int);
    } else {
        encode_double(buf, n);
    }
}

/// C's `table_is_an_array`: every key a positive whole number that fits an int, and the
/// largest equal to the count (so the keys are exactly 1..n).
unsafe fn table_is_an_array(state: *mut lua_State) -> LibResult<bool> {
    let top = ffi::lua_gettop(state);
    check_stack(state, 2, "in function table_is_an_array")?;
    let mut count: c_int = 0;
    let mut max: c_int = 0;
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_settop(state, -2);
        let n = ffi::lua_tonumber(state, -1);
        let is_index = ffi::lua_type(state, -1) == ffi::LUA_TNUMBER
            && n > 0.0
            && n.is_finite()
            && f64::from(c_double_to_i32(n)) == n;
        if !is_index {
            ffi::lua_settop(state, top);
            return Ok(false);
        }
        // `max = (n > max ? n : max)` stores a double in an int; n is whole and in range here.
        max = max.max(n as c_int);
        count = count.wrapping_add(1);
    }
    ffi::lua_settop(state, top);
    Ok(max == count)
}

/// Encodes the value on top of the stack and pops it (C's `mp_encode_lua_type`).
unsafe fn encode_lua_type(state: *mut lua_State, buf: &mut Vec<u8>, level: c_int) -> LibResult<()> {
    let mut kind = ffi::lua_type(state, -1);
    if kind == ffi::LUA_TTABLE && level == NESTING_MAX {
        kind = ffi::LUA_TNIL;
    }
    match kind {
        ffi::LUA_TSTRING => encode_bytes(buf, to_bytes(state, -1).unwrap_or_default()),
        ffi::LUA_TBOOLEAN => buf.push(if ffi::lua_toboolean(state, -1) != 0 { 0xc3 } else { 0xc2 }),
        ffi::LUA_TNUMBER => encode_number(state, buf),
        ffi::LUA_TTABLE => {
            if table_is_an_array(state)? {
                encode_array(state, buf, level)?;
            } else {
                encode_map(state, buf, level)?;
            }
        }
        _ => buf.push(0xc0),
    }
    ffi::lua_settop(state, -2);
    Ok(())
}

unsafe fn encode_array(state: *mut lua_State, buf: &mut Vec<u8>, level: c_int) -> LibResult<()> {
    let len = ffi::lua_objlen(state, -1);
    encode_header(buf, len as u64, 0x90, 0xdc, 0xdd);
    check_stack(state, 1, "in function mp_encode_lua_table_as_array")?;
    for j in 1..=len {
        // C reads with lua_gettable; every key 1..len holds a value, so no metamethod runs and
        // the raw read is the same.
        ffi::lua_rawgeti_(state, -1, j as c_int);
        encode_lua_type(state, buf, level + 1)?;
    }
    Ok(())
}

unsafe fn encode_map(state: *mut lua_State, buf: &mut Vec<u8>, level: c_int) -> LibResult<()> {
    check_stack(state, 3, "in function mp_encode_lua_table_as_map")?;
    let mut len: u64 = 0;
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_settop(state, -2);
        len += 1;
    }
    encode_header(buf, len, 0x80, 0xde, 0xdf);
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_pushvalue(state, -2);
        encode_lua_type(state, buf, level + 1)?;
        encode_lua_type(state, buf, level + 1)?;
    }
    Ok(())
}

unsafe fn pack(state: *mut lua_State) -> LibResult {
    let nargs = ffi::lua_gettop(state);
    if nargs == 0 {
        return Err(LibError::Arg(0, "MessagePack pack needs input.".into()));
    }
    if ffi::lua_checkstack(state, nargs) == 0 {
        return Err(LibError::Arg(0, "Too many arguments for MessagePack pack.".into()));
    }
    // C packs each argument into its own string and concatenates them: the same bytes.
    let mut buf = Vec::new();
    for i in 1..=nargs {
        check_stack(state, 1, "in function mp_check")?;
        ffi::lua_pushvalue(state, i);
        encode_lua_type(state, &mut buf, 0)?;
    }
    push_bytes(state, &buf);
    Ok(1)
}

// ---------------------------------------------------------------------------------- decoding

/// Why decoding stopped (C's `MP_CUR_ERROR_*`, plus a raised Lua error).
enum Stop {
    /// The input ended inside a value.
    Eof,
    /// A byte that starts no supported type.
    BadFormat,
    /// A Lua error to raise as is.
    Lua(LibError),
}

impl From<LibError> for Stop {
    fn from(error: LibError) -> Stop {
        Stop::Lua(error)
    }
}

/// A read position in the packed bytes (C's `mp_cur`).
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.at
    }

    /// The next `n` bytes after skipping `skip`, without consuming; EOF when short.
    fn peek(&self, skip: usize, n: usize) -> Result<&[u8], Stop> {
        if self.left() < skip + n {
            return Err(Stop::Eof);
        }
        Ok(&self.data[self.at + skip..self.at + skip + n])
    }

    fn be(&self, skip: usize, n: usize) -> Result<u64, Stop> {
        Ok(self.peek(skip, n)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

/// Pushes `bytes` of length from a `width`-byte header after the type byte.
unsafe fn decode_string(state: *mut lua_State, c: &mut Cursor, width: usize) -> Result<(), Stop> {
    let len = c.be(1, width)? as usize;
    let bytes = c.peek(1 + width, len)?;
    push_bytes(state, bytes);
    c.at += 1 + width + len;
    Ok(())
}

/// A container being filled (the Lua stack holds the table, and the pending key or index).
enum Filling {
    /// An array: elements left and the next index.
    Array { left: u64, index: c_int },
    /// A map: pairs left, and whether the key of the current pair is on the stack.
    Map { left: u64, has_key: bool },
}

/// What the byte at the cursor started.
enum Item {
    /// A whole value, pushed.
    Value,
    /// A container with this many elements (array) or pairs (map); its table is pushed.
    Array(u64),
    Map(u64),
}

/// Pushes the value at the cursor (C's recursive `mp_decode_to_lua_type`, as a loop: nesting
/// lives on the heap, and the Lua stack holds what C's recursion holds there).
unsafe fn decode_lua_type(state: *mut lua_State, c: &mut Cursor) -> Result<(), Stop> {
    // Bounded: each open container holds Lua stack slots, checked before every item against
    // LUAI_MAXCSTACK (8000).
    let mut open: Vec<Filling> = Vec::new();
    loop {
        let mut finished = match decode_item(state, c)? {
            Item::Value => true,
            Item::Array(left) => {
                check_stack(state, 1, "in function mp_decode_to_lua_array")?;
                open.push(Filling::Array { left, index: 1 });
                false
            }
            Item::Map(left) => {
                open.push(Filling::Map { left, has_key: false });
                false
            }
        };
        // Store finished values; find the next one to read, closing the containers that end.
        loop {
            let Some(filling) = open.last_mut() else { return Ok(()) };
            match filling {
                Filling::Array { left, index } => {
                    if finished {
                        ffi::lua_rawset(state, -3);
                    }
                    if *left > 0 {
                        *left -= 1;
                        // The index is pushed as a key before the element, as C does.
                        push_number(state, f64::from(*index));
                        *index = index.wrapping_add(1);
                        break;
                    }
                }
                Filling::Map { left, has_key } => {
                    if finished {
                        if *has_key {
                            set_pair(state)?;
                        }
                        *has_key = !*has_key;
                    }
                    if *has_key {
                        break;
                    }
                    if *left > 0 {
                        *left -= 1;
                        break;
                    }
                }
            }
            open.pop();
            finished = true;
        }
    }
}

/// `lua_settable` of the key and value on top into the fresh table below them, with the checks
/// Lua makes, raised from inside the C function as Lua raises them.
unsafe fn set_pair(state: *mut lua_State) -> Result<(), Stop> {
    match ffi::lua_type(state, -2) {
        ffi::LUA_TNIL => Err(Stop::Lua(LibError::Bare("table index is nil".into()))),
        ffi::LUA_TNUMBER if ffi::lua_tonumber(state, -2).is_nan() => {
            Err(Stop::Lua(LibError::Bare("table index is NaN".into())))
        }
        _ => {
            ffi::lua_rawset(state, -3);
            Ok(())
        }
    }
}

/// Reads the item at the cursor: a scalar is pushed whole, a container's table is pushed.
unsafe fn decode_item(state: *mut lua_State, c: &mut Cursor) -> Result<Item, Stop> {
    let kind = *c.peek(0, 1)?.first().unwrap_or(&0);
    check_stack(state, 1, "too many return values at once; use unpack_one or unpack_limit instead.")?;
    match kind {
        0xcc => {
            push_number(state, c.be(1, 1)? as f64);
            c.at += 2;
        }
        0xd0 => {
            push_number(state, f64::from(c.be(1, 1)? as u8 as i8));
            c.at += 2;
        }
        0xcd => {
            push_number(state, c.be(1, 2)? as f64);
            c.at += 3;
        }
        0xd1 => {
            push_number(state, f64::from(c.be(1, 2)? as u16 as i16));
            c.at += 3;
        }
        0xce => {
            push_number(state, c.be(1, 4)? as f64);
            c.at += 5;
        }
        0xd2 => {
            push_number(state, f64::from(c.be(1, 4)? as u32 as i32));
            c.at += 5;
        }
        // Unsigned 64 goes through lua_pushinteger: above 2^63 it wraps negative.
        0xcf | 0xd3 => {
            push_number(state, c.be(1, 8)? as i64 as f64);
            c.at += 9;
        }
        0xc0 => {
            ffi::lua_pushnil(state);
            c.at += 1;
        }
        0xc3 | 0xc2 => {
            ffi::lua_pushboolean(state, c_int::from(kind == 0xc3));
            c.at += 1;
        }
        0xca => {
            push_number(state, f64::from(f32::from_bits(c.be(1, 4)? as u32)));
            c.at += 5;
        }
        0xcb => {
            push_number(state, f64::from_bits(c.be(1, 8)?));
            c.at += 9;
        }
        0xd9 => decode_string(state, c, 1)?,
        0xda => decode_string(state, c, 2)?,
        0xdb => decode_string(state, c, 4)?,
        0xdc..=0xdf => {
            let width = if kind & 1 == 0 { 2 } else { 4 };
            let len = c.be(1, width)?;
            c.at += 1 + width;
            ffi::lua_createtable(state, 0, 0);
            return Ok(if kind <= 0xdd { Item::Array(len) } else { Item::Map(len) });
        }
        0x00..=0x7f => {
            push_number(state, f64::from(kind));
            c.at += 1;
        }
        0xe0..=0xff => {
            push_number(state, f64::from(kind as i8));
            c.at += 1;
        }
        0xa0..=0xbf => {
            let len = usize::from(kind & 0x1f);
            let bytes = c.peek(1, len)?;
            push_bytes(state, bytes);
            c.at += 1 + len;
        }
        0x80..=0x9f => {
            c.at += 1;
            ffi::lua_createtable(state, 0, 0);
            let len = u64::from(kind & 0xf);
            return Ok(if kind >= 0x90 { Item::Array(len) } else { Item::Map(len) });
        }
        _ => return Err(Stop::BadFormat),
    }
    Ok(Item::Value)
}

/// C's `mp_unpack_full`: up to `limit` values from byte `offset`; with an offset or limit it
/// also returns the offset after them (-1 at the end).
unsafe fn unpack_full(state: *mut lua_State, limit: i64, offset: i64) -> LibResult {
    let data = check_bytes(state, 1)?;
    let decode_all = limit == 0 && offset == 0;
    let len = data.len();
    if offset < 0 || limit < 0 {
        // C prints the length where it means the limit; kept.
        return Err(LibError::Where(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as c_int, len as c_int
        )));
    }
    if offset as u64 > len as u64 {
        return Err(LibError::Where(format!(
            "Start offset {} greater than input length {}.",
            offset as c_int, len as c_int
        )));
    }
    let limit = if decode_all { i64::from(c_int::MAX) } else { limit };
    let mut cursor = Cursor { data, at: offset as usize };
    let mut count: c_int = 0;
    while cursor.left() > 0 && i64::from(count) < limit {
        match decode_lua_type(state, &mut cursor) {
            Ok(()) => {}
            Err(Stop::Eof) => return Err(LibError::Where("Missing bytes in input.".into())),
            Err(Stop::BadFormat) => return Err(LibError::Where("Bad data format in input.".into())),
            Err(Stop::Lua(error)) => return Err(error),
        }
        count += 1;
    }
    if !decode_all {
        check_stack(state, 1, "in function mp_unpack_full")?;
        let next = if cursor.left() == 0 { -1 } else { cursor.at as ffi::lua_Integer };
        ffi::lua_pushinteger(state, next);
        ffi::lua_insert(state, 2);
        count += 1;
    }
    Ok(count)
}

unsafe fn unpack(state: *mut lua_State) -> LibResult {
    unpack_full(state, 0, 0)
}

unsafe fn unpack_one(state: *mut lua_State) -> LibResult {
    let offset = opt_integer(state, 2, 0)?;
    ffi::lua_settop(state, 1.min(ffi::lua_gettop(state)));
    unpack_full(state, 1, offset)
}

unsafe fn unpack_limit(state: *mut lua_State) -> LibResult {
    let limit = check_integer(state, 2)?;
    let offset = opt_integer(state, 3, 0)?;
    ffi::lua_settop(state, 1);
    unpack_full(state, limit, offset)
}
