//! The conversions between Redis replies and Lua values, as Redis 7.0 makes them
//! (`script_lua.c`): a command's reply as `redis.call` returns it (in the script's protocol,
//! `redis.setresp`), and a script's return value as the reply to EVAL.
//!
//! Differences from Redis: a status text that is not UTF-8 reaches the client with its invalid
//! bytes replaced (status replies hold text); a table nested deeper than
//! `NESTING_MAX` (or a cycle) ends in `-ERR reached lua stack limit` where Redis runs its Lua
//! stack out at a depth near that.

use mlua::{BorrowedBytes, Lua, Table, Value, Variadic};
use verdis_engine::error::ClientText;
use verdis_engine::num::format_double_17g;
use verdis_engine::{CmdError, Reply};

/// The field Redis sets on an error table already counted in INFO errorstats.
const IGNORE_ERROR_STATS: &str = "ignore_error_stats_update";

/// True when `value` is an error table already counted in INFO errorstats.
pub fn error_counted(value: &Value) -> bool {
    matches!(value, Value::Table(t) if t.raw_get::<Value>(IGNORE_ERROR_STATS).is_ok_and(|v| v == Value::Boolean(true)))
}

/// Deepest table a script's return value may nest (Redis stops at its Lua stack limit).
const NESTING_MAX: usize = 1000;

/// One argument of a command a script calls: a Lua string's own bytes, or a number printed.
pub enum Arg<'a> {
    /// A string, borrowed from the interpreter.
    Lua(BorrowedBytes<'a>),
    /// A number, printed `%.17g`.
    Number(Vec<u8>),
}

impl std::ops::Deref for Arg<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Arg::Lua(bytes) => bytes,
            Arg::Number(text) => text,
        }
    }
}

/// `luaArgsToRedisArgv`: strings as they are, numbers printed `%.17g`; Redis's error text when
/// there is no argument or one is of another type.
pub fn lua_args_to_argv(args: &Variadic<Value>) -> Result<Vec<Arg<'_>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for arg in args.iter() {
        match arg {
            Value::String(s) => argv.push(Arg::Lua(s.as_bytes())),
            Value::Integer(n) => argv.push(Arg::Number(n.to_string().into_bytes())),
            Value::Number(n) => {
                let mut buf = [0u8; 32];
                argv.push(Arg::Number(format_double_17g(*n, &mut buf).to_vec()));
            }
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// `luaPushErrorBuff`: the table `{err='CODE msg'}` for `text`, which is `-CODE msg` or a bare
/// message (then the code is ERR); CR and LF at either end of the message are trimmed. A
/// `counted` error (one from a command the script called, already in INFO errorstats) carries
/// Redis's `ignore_error_stats_update = true`, which scripts see too.
pub fn error_table(lua: &Lua, text: impl AsRef<[u8]>, counted: bool) -> mlua::Result<Value> {
    let text = text.as_ref();
    let (code, msg): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let crlf = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = msg.iter().position(|b| !crlf(b)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|b| !crlf(b)).map_or(start, |i| i + 1);
    let mut full = code.to_vec();
    full.push(b' ');
    full.extend_from_slice(&msg[start..end.max(start)]);
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(&full)?)?;
    if counted {
        table.raw_set(IGNORE_ERROR_STATS, true)?;
    }
    Ok(Value::Table(table))
}

/// A command's reply as `redis.call` returns it to a script speaking protocol `resp`
/// (Redis's `redisProtocolToLuaType`). An error reply becomes the error table.
pub fn reply_to_lua(lua: &Lua, reply: &Reply, resp: u8) -> mlua::Result<Value> {
    let resp3 = resp >= 3;
    let single = |key: &str, value: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(key, value)?;
        Ok(Value::Table(t))
    };
    let string = |bytes: &[u8]| -> mlua::Result<Value> { Ok(Value::String(lua.create_string(bytes)?)) };
    let null = if resp3 { Value::Nil } else { Value::Boolean(false) };
    Ok(match reply {
        Reply::Ok => single("ok", string(b"OK")?)?,
        Reply::Simple(s) => single("ok", string(s.as_bytes())?)?,
        Reply::Error(e) => {
            let mut text = b"-".to_vec();
            text.extend_from_slice(&e.to_bytes());
            error_table(lua, text, true)?
        }
        Reply::Int(n) => Value::Number(*n as f64),
        Reply::Bulk(b) => string(b)?,
        Reply::Null | Reply::NullArray => null,
        // Redis's Lua conversion reads attributes and drops them: the script sees the reply.
        Reply::Attribute(_, reply) => reply_to_lua(lua, reply, resp)?,
        Reply::Array(items) | Reply::Push(items) => array(lua, items.iter(), resp)?,
        Reply::Bulks(bulks) => {
            let t = lua.create_table_with_capacity(bulks.len(), 0)?;
            for (i, b) in bulks.iter().enumerate() {
                t.raw_set(i + 1, lua.create_string(b)?)?;
            }
            Value::Table(t)
        }
        Reply::Set(items) if resp3 => {
            let set = lua.create_table()?;
            for item in items {
                let member = reply_to_lua(lua, item, resp)?;
                if usable_key(&member) {
                    set.raw_set(member, true)?;
                }
            }
            single("set", Value::Table(set))?
        }
        Reply::Set(items) => array(lua, items.iter(), resp)?,
        Reply::Map(pairs) if resp3 => {
            let map = lua.create_table()?;
            for (k, v) in pairs {
                let key = reply_to_lua(lua, k, resp)?;
                if usable_key(&key) {
                    map.raw_set(key, reply_to_lua(lua, v, resp)?)?;
                }
            }
            single("map", Value::Table(map))?
        }
        Reply::Map(pairs) => array(lua, pairs.iter().flat_map(|(k, v)| [k, v]), resp)?,
        Reply::Double(d) if resp3 => single("double", Value::Number(*d))?,
        Reply::Double(d) => {
            let mut buf = [0u8; 32];
            string(format_double_17g(*d, &mut buf))?
        }
        Reply::DoubleText(text) if resp3 => {
            let d = std::str::from_utf8(text).ok().and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0);
            single("double", Value::Number(d))?
        }
        Reply::DoubleText(text) => string(text)?,
        Reply::Bool(b) if resp3 => Value::Boolean(*b),
        Reply::Bool(b) => Value::Number(f64::from(u8::from(*b))),
        Reply::Verbatim(format, text) if resp3 => {
            let inner = lua.create_table()?;
            inner.raw_set("string", lua.create_string(text)?)?;
            inner.raw_set("format", lua.create_string(format)?)?;
            single("verbatim_string", Value::Table(inner))?
        }
        Reply::Verbatim(_, text) => string(text)?,
        Reply::BigNumber(digits) if resp3 => single("big_number", string(digits)?)?,
        Reply::BigNumber(digits) => string(digits)?,
    })
}

/// True when `key` can index a Lua table: no command answers a map key or set member that is
/// null or NaN, but one that did must not take the interpreter down (Lua raises on both).
fn usable_key(key: &Value) -> bool {
    match key {
        Value::Nil => false,
        Value::Number(n) => !n.is_nan(),
        _ => true,
    }
}

/// A Lua array of `items`' conversions (a RESP3 null leaves a hole, as in Redis).
fn array<'a>(lua: &Lua, items: impl Iterator<Item = &'a Reply>, resp: u8) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    for (i, item) in items.enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, item, resp)?)?;
    }
    Ok(Value::Table(t))
}

/// C's `(long long)` of a double on x86-64: out of range and NaN give the smallest integer.
fn c_long_long(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-LIMIT..LIMIT).contains(&n) {
        return i64::MIN;
    }
    n as i64
}

/// `bytes` up to its first NUL: Redis reads these texts as C strings.
pub fn c_string(bytes: &[u8]) -> &[u8] {
    bytes.iter().position(|&b| b == 0).map_or(bytes, |nul| &bytes[..nul])
}

/// Replaces CR and LF with spaces, as Redis does in status and error replies.
fn one_line(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect()
}

/// An error reply with exactly `text` (its code included, any bytes), on one line.
pub fn error_reply(text: &[u8]) -> Reply {
    Reply::Error(CmdError::Quoting(ClientText(one_line(text))))
}

/// A script's return value as the reply to EVAL (Redis's `luaReplyToRedisReply`); `resp` is
/// the protocol the script set (a boolean's reply depends on it).
pub fn lua_to_reply(value: &Value, resp: u8) -> Reply {
    to_reply(value, resp, 0)
}

fn to_reply(value: &Value, resp: u8, depth: usize) -> Reply {
    if depth > NESTING_MAX {
        return error_reply(b"ERR reached lua stack limit");
    }
    match value {
        Value::String(s) => Reply::Bulk(s.as_bytes().to_vec()),
        Value::Boolean(b) if resp >= 3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Int(1),
        Value::Boolean(false) => Reply::Null,
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(n) => Reply::Int(c_long_long(*n)),
        Value::Table(t) => table_to_reply(t, resp, depth),
        _ => Reply::Null,
    }
}

fn table_to_reply(t: &Table, resp: u8, depth: usize) -> Reply {
    let field = |key: &str| t.raw_get::<Value>(key).unwrap_or(Value::Nil);
    if let Value::String(s) = field("err") {
        return error_reply(c_string(&s.as_bytes()));
    }
    if let Value::String(s) = field("ok") {
        return Reply::Simple(String::from_utf8_lossy(&one_line(c_string(&s.as_bytes()))).into_owned().into());
    }
    match field("double") {
        Value::Number(d) => return Reply::Double(d),
        Value::Integer(n) => return Reply::Double(n as f64),
        _ => {}
    }
    if let Value::String(s) = field("big_number") {
        return Reply::BigNumber(one_line(&s.as_bytes()));
    }
    if let Value::Table(v) = field("verbatim_string") {
        if let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
        {
            let mut f = [0u8; 3];
            let fb = format.as_bytes();
            let n = fb.len().min(3);
            f[..n].copy_from_slice(&fb[..n]);
            return Reply::Verbatim(f, text.as_bytes().to_vec());
        }
    }
    if let Value::Table(map) = field("map") {
        let pairs = map.pairs::<Value, Value>().filter_map(Result::ok);
        return Reply::Map(
            pairs.map(|(k, v)| (to_reply(&k, resp, depth + 1), to_reply(&v, resp, depth + 1))).collect(),
        );
    }
    if let Value::Table(set) = field("set") {
        let keys = set.pairs::<Value, Value>().filter_map(Result::ok);
        return Reply::Set(keys.map(|(k, _)| to_reply(&k, resp, depth + 1)).collect());
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(to_reply(&v, resp, depth + 1)),
        }
    }
    Reply::Array(items)
}

/// The bytes of a Lua string, if `value` is one (the sandbox hands error parts over as
/// strings, `tostring` applied).
pub fn lua_text(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use mlua::Lua;
    use proptest::prelude::*;
    use verdis_engine::Reply;

    use super::{c_long_long, lua_to_reply, reply_to_lua};

    /// Replies a command can give, nested a few levels.
    fn replies() -> impl Strategy<Value = Reply> {
        let leaf = prop_oneof![
            any::<i32>().prop_map(|n| Reply::Int(i64::from(n))),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Reply::Bulk),
            Just(Reply::Null),
            Just(Reply::NullArray),
            Just(Reply::Ok),
            any::<bool>().prop_map(Reply::Bool),
            any::<f64>().prop_map(Reply::Double),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Reply::BigNumber),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| Reply::Verbatim(*b"txt", b)),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Reply::Array),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Reply::Set),
                proptest::collection::vec((inner.clone(), inner), 0..3).prop_map(Reply::Map),
            ]
        })
    }

    /// Strips what RESP2 turns into other types, so a round trip must give it back unchanged.
    fn resp2_plain(reply: &Reply) -> bool {
        match reply {
            Reply::Int(_) | Reply::Bulk(_) => true,
            Reply::Array(items) => items.iter().all(resp2_plain),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn conversions_never_panic_and_plain_replies_round_trip(reply in replies(), resp in 2u8..=3) {
            // Proves any reply converts to Lua and back in either protocol without a panic, and
            // that integers, bulk strings and arrays of them come back as they went (as a
            // script returning a command's reply gives it to its caller).
            let lua = Lua::new();
            let value = reply_to_lua(&lua, &reply, resp).unwrap();
            let back = lua_to_reply(&value, resp);
            if resp2_plain(&reply) {
                prop_assert_eq!(back, reply);
            }
        }
    }

    #[test]
    fn numbers_truncate_as_c_casts() {
        // Proves Redis 7.0.15's replies to `return 3.99`, `return -2.7`, `return 1e20`,
        // `return 0/0`: truncation toward zero, and the smallest integer out of range.
        assert_eq!(c_long_long(3.99), 3);
        assert_eq!(c_long_long(-2.7), -2);
        assert_eq!(c_long_long(1e20), i64::MIN);
        assert_eq!(c_long_long(-1e20), i64::MIN);
        assert_eq!(c_long_long(f64::NAN), i64::MIN);
    }
}
