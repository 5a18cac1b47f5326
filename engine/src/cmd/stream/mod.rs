//! The stream family (Redis 7.0's `t_stream.c` commands) over `types::stream`.
//!
//! | file | commands |
//! |---|---|
//! | `add.rs` | XADD, XTRIM |
//! | `range.rs` | XRANGE, XREVRANGE, XLEN |
//! | `del.rs` | XDEL, XSETID |
//! | `read.rs` | XREAD, XREADGROUP (and serving them once blocked) |
//! | `group.rs` | XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER/HELP |
//! | `pending.rs` | XACK, XPENDING, XCLAIM, XAUTOCLAIM |
//! | `info.rs` | XINFO STREAM/GROUPS/CONSUMERS/HELP |
//!
//! Time (new IDs, delivery and seen times, idle times) is the command's `Ctx::now_ms`, never a
//! clock. Idle times are differences of 64-bit milliseconds that a client (XCLAIM IDLE/TIME) or a
//! file can make extreme: they wrap as Redis's `mstime_t` arithmetic does instead of panicking.
//!
//! Deliberate difference from Redis: a consumer that XREADGROUP, XCLAIM or XAUTOCLAIM creates
//! raises `xgroup-createconsumer` while Redis is writing the reply, so a RESP3 client
//! subscribed to its own key's events gets that push inside the reply's array from Redis and
//! before the reply from verdis (which builds a reply whole). Deliberate difference from Redis: a replica applying `XADD ... ~ ... LIMIT` from its
//! primary would get the LIMIT error, because the engine cannot tell a primary from a client
//! (Redis's `mustObeyClient`); the AOF loader is told apart (`Keyspace::loading`).

mod add;
mod del;
mod group;
mod info;
mod pending;
mod range;
mod read;

use super::redis_specs as s;
use super::table::{container, engine, Command};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::stream::{Entry, StreamId, StreamLimits, StreamValue};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::XADD, add::xadd),
    engine(&s::XTRIM, add::xtrim),
    engine(&s::XRANGE, range::xrange),
    engine(&s::XREVRANGE, range::xrevrange),
    engine(&s::XLEN, range::xlen),
    engine(&s::XDEL, del::xdel),
    engine(&s::XSETID, del::xsetid),
    engine(&s::XREAD, read::xread),
    engine(&s::XREADGROUP, read::xreadgroup),
    container(&s::XGROUP),
    engine(&s::XGROUP_CREATE, group::create),
    engine(&s::XGROUP_SETID, group::setid),
    engine(&s::XGROUP_DESTROY, group::destroy),
    engine(&s::XGROUP_CREATECONSUMER, group::createconsumer),
    engine(&s::XGROUP_DELCONSUMER, group::delconsumer),
    engine(&s::XGROUP_HELP, group::help),
    engine(&s::XACK, pending::xack),
    engine(&s::XPENDING, pending::xpending),
    engine(&s::XCLAIM, pending::xclaim),
    engine(&s::XAUTOCLAIM, pending::xautoclaim),
    container(&s::XINFO),
    engine(&s::XINFO_STREAM, info::stream),
    engine(&s::XINFO_GROUPS, info::groups),
    engine(&s::XINFO_CONSUMERS, info::consumers),
    engine(&s::XINFO_HELP, info::help),
];

/// `streamGenericParseIDOrReply`'s error.
fn invalid_id() -> CmdError {
    CmdError::msg("ERR Invalid stream ID specified as stream command argument")
}

/// Redis's `string2ull`: `string2ll` when it takes the text (refusing negatives), else C's
/// `strtoull` over the whole text (leading spaces, a sign, no overflow).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::num::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = s.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// How an ID argument was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parsed {
    /// `ms-seq`, `ms`, `-` or `+`.
    Full(StreamId),
    /// `ms-*` (XADD only): the sequence is chosen on insert.
    AutoSeq(u64),
}

/// Redis's `streamGenericParseIDOrReply`: `ms[-seq]` (a missing sequence is `missing_seq`),
/// `-` and `+` unless `strict`, `ms-*` when `auto_seq`. The text counts up to its first NUL, as
/// Redis copies it into a C string.
fn parse_id_generic(arg: &[u8], missing_seq: u64, strict: bool, auto_seq: bool) -> Result<Parsed, CmdError> {
    if arg.len() > 127 {
        return Err(invalid_id());
    }
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    match arg {
        b"-" | b"+" if strict => Err(invalid_id()),
        b"-" => Ok(Parsed::Full(StreamId::MIN)),
        b"+" => Ok(Parsed::Full(StreamId::MAX)),
        _ => {
            let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
                Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
                None => (arg, None),
            };
            let ms = string2ull(ms).ok_or_else(invalid_id)?;
            match seq {
                Some(b"*") if auto_seq => Ok(Parsed::AutoSeq(ms)),
                Some(seq) => Ok(Parsed::Full(StreamId::new(ms, string2ull(seq).ok_or_else(invalid_id)?))),
                None => Ok(Parsed::Full(StreamId::new(ms, missing_seq))),
            }
        }
    }
}

/// `streamParseIDOrReply`: `-` and `+` allowed.
fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    match parse_id_generic(arg, missing_seq, false, false)? {
        Parsed::Full(id) => Ok(id),
        Parsed::AutoSeq(_) => unreachable!("auto sequence not asked for"),
    }
}

/// `streamParseStrictIDOrReply`: `-` and `+` refused.
fn parse_strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    match parse_id_generic(arg, 0, true, false)? {
        Parsed::Full(id) => Ok(id),
        Parsed::AutoSeq(_) => unreachable!("auto sequence not asked for"),
    }
}

/// Redis's `streamParseIntervalIDOrReply` plus the step past an exclusive bound: the inclusive
/// start (`end` false) or end of a range.
fn parse_interval(arg: &[u8], end: bool) -> Result<StreamId, CmdError> {
    let missing_seq = if end { u64::MAX } else { 0 };
    if arg.len() > 1 && arg[0] == b'(' {
        let id = match parse_id_generic(&arg[1..], missing_seq, true, false)? {
            Parsed::Full(id) => id,
            Parsed::AutoSeq(_) => unreachable!("auto sequence not asked for"),
        };
        let stepped = if end { id.decr() } else { id.incr() };
        stepped.ok_or_else(|| {
            CmdError::msg(if end {
                "ERR invalid end ID for the interval"
            } else {
                "ERR invalid start ID for the interval"
            })
        })
    } else {
        parse_id(arg, missing_seq)
    }
}

/// The bulk string of an ID.
fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// An entry as replies carry it: `[id, [field, value, ...]]`.
fn entry_reply(entry: &Entry) -> Reply {
    let mut fields = Vec::with_capacity(entry.fields.len() * 2);
    for (f, v) in &entry.fields {
        fields.push(Reply::Bulk(f.to_vec()));
        fields.push(Reply::Bulk(v.to_vec()));
    }
    Reply::Array(vec![id_reply(entry.id), Reply::Array(fields)])
}

/// The `-NOGROUP` error most group commands give.
fn no_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::quoting_many(&[b"NOGROUP No such key '", key, b"' or consumer group '", group, b"'"])
}

/// The node limits from the configuration.
fn limits(ctx: &Ctx) -> StreamLimits {
    StreamLimits {
        node_max_bytes: ctx.config.stream_node_max_bytes,
        node_max_entries: ctx.config.stream_node_max_entries,
    }
}

/// The stream at `key` for writing, WRONGTYPE for another type.
fn write_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut StreamValue>, CmdError> {
    ctx.write_typed(key)
}

/// The stream at `key` for reading, WRONGTYPE for another type.
fn read_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c StreamValue>, CmdError> {
    ctx.read_typed(key)
}

#[cfg(test)]
mod tests;
