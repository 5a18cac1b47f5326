//! XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
//! XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
//! XGROUP DESTROY key group
//! XGROUP CREATECONSUMER key group consumer
//! XGROUP DELCONSUMER key group consumer
//! XGROUP HELP
//!
//! Redis 7.0's `xgroupCommand`, one handler per subcommand, checking in its order: options,
//! the key's type, the key's existence (unless MKSTREAM), the group's existence, then the ID.

use super::{parse_id, parse_strict_id, write_stream};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::{clip128, CmdError};
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::stream::{Consumer, Group, StreamValue, ENTRIES_READ_INVALID};
use crate::value::Value;

const HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

/// XGROUP HELP.
pub fn help(_ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::help(argv[0], HELP))
}

fn syntax(argv: &[&[u8]]) -> CmdError {
    CmdError::SubcommandSyntax { sub: clip128(argv[1]), container: clip128(&argv[0].to_ascii_uppercase()) }
}

/// The ENTRIESREAD value: a count or -1.
fn entries_read_arg(arg: &[u8]) -> Result<i64, CmdError> {
    let n = parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if n < 0 && n != ENTRIES_READ_INVALID {
        return Err(CmdError::msg("ERR value for ENTRIESREAD must be positive or -1"));
    }
    Ok(n)
}

fn key_required() -> CmdError {
    CmdError::msg(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    )
}

/// `-NOGROUP` as XGROUP and XINFO word it.
pub(super) fn no_such_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::quoting_many(&[b"NOGROUP No such consumer group '", group, b"' for key name '", key, b"'"])
}

/// The stream for a subcommand that needs the key and the group: its errors in Redis's order.
fn stream_with_group<'c>(ctx: &'c mut Ctx, argv: &[&[u8]]) -> Result<&'c mut StreamValue, CmdError> {
    let (key, group) = (argv[2], argv[3]);
    let stream = write_stream(ctx, key)?.ok_or_else(key_required)?;
    if !stream.groups.contains_key(group) {
        return Err(no_such_group(key, group));
    }
    Ok(stream)
}

/// XGROUP CREATE.
pub fn create(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, name) = (argv[2], argv[3]);
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_INVALID;
    let mut i = 5;
    while i < argv.len() {
        if eq_ci(argv[i], "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if eq_ci(argv[i], "ENTRIESREAD") && i + 1 < argv.len() {
            entries_read = entries_read_arg(argv[i + 1])?;
            i += 2;
        } else {
            return Err(syntax(argv));
        }
    }
    let exists = match write_stream(ctx, key)? {
        Some(_) => true,
        None if mkstream => false,
        None => return Err(key_required()),
    };
    if argv.len() > 8 {
        return Err(syntax(argv));
    }
    let id = match argv[4] {
        b"$" => write_stream(ctx, key)?.map_or(Default::default(), |s| s.last_id),
        arg => parse_strict_id(arg)?,
    };
    if !exists {
        let obj = ctx.new_object(Value::Stream(Box::new(StreamValue::new())));
        ctx.add_key(key, obj);
    }
    let stream = write_stream(ctx, key)?.expect("found or created above");
    if stream.groups.contains_key(name) {
        return Err(CmdError::msg("BUSYGROUP Consumer Group name already exists"));
    }
    stream.groups.insert(name.to_vec(), Group::new(id, entries_read));
    ctx.dirty += 1;
    ctx.reply_first();
    ctx.notify(NotifyClass::STREAM, "xgroup-create", key);
    Ok(Reply::Ok)
}

/// XGROUP SETID.
pub fn setid(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    // Redis reads SETID's options as a list, as CREATE's: a bad value is reported before a
    // wrong count of them.
    let mut entries_read = ENTRIES_READ_INVALID;
    let mut i = 5;
    while i < argv.len() {
        if eq_ci(argv[i], "ENTRIESREAD") && i + 1 < argv.len() {
            entries_read = entries_read_arg(argv[i + 1])?;
            i += 2;
        } else {
            return Err(syntax(argv));
        }
    }
    if argv.len() != 5 && argv.len() != 7 {
        return Err(syntax(argv));
    }
    let stream = stream_with_group(ctx, argv)?;
    let id = match argv[4] {
        b"$" => stream.last_id,
        arg => parse_id(arg, 0)?,
    };
    let group = stream.groups.get_mut(argv[3]).expect("checked above");
    group.last_id = id;
    group.entries_read = entries_read;
    ctx.dirty += 1;
    ctx.reply_first();
    ctx.notify(NotifyClass::STREAM, "xgroup-setid", argv[2]);
    Ok(Reply::Ok)
}

/// XGROUP DESTROY: 1 when the group existed.
pub fn destroy(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[2];
    let stream = write_stream(ctx, key)?.ok_or_else(key_required)?;
    if stream.groups.remove(argv[3]).is_none() {
        return Ok(Reply::Int(0));
    }
    ctx.dirty += 1;
    ctx.reply_first();
    ctx.notify(NotifyClass::STREAM, "xgroup-destroy", key);
    Ok(Reply::Int(1))
}

/// Creates consumer `name` in `group` of the stream at `key` if it is new (Redis's
/// `streamCreateConsumer` with `SCC_DEFAULT`: a change and an `xgroup-createconsumer` event);
/// true when it did. The group must exist.
pub(super) fn create_consumer(ctx: &mut Ctx, key: &[u8], group: &[u8], name: &[u8]) -> bool {
    let now_ms = ctx.now_ms();
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    let group = stream.groups.get_mut(group).expect("the caller found the group");
    if group.consumers.contains_key(name) {
        return false;
    }
    group.consumers.insert(name.to_vec(), Consumer { seen_time_ms: now_ms, pel: Default::default() });
    ctx.dirty += 1;
    ctx.notify(NotifyClass::STREAM, "xgroup-createconsumer", key);
    true
}

/// XGROUP CREATECONSUMER: 1 when the consumer is new.
pub fn createconsumer(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    stream_with_group(ctx, argv)?;
    Ok(Reply::Int(i64::from(create_consumer(ctx, argv[2], argv[3], argv[4]))))
}

/// XGROUP DELCONSUMER: removes a consumer and its pending entries; replies with how many it had.
pub fn delconsumer(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let stream = stream_with_group(ctx, argv)?;
    let group = stream.groups.get_mut(argv[3]).expect("checked above");
    let Some(consumer) = group.consumers.remove(argv[4]) else { return Ok(Reply::Int(0)) };
    for id in &consumer.pel {
        group.pel.remove(id);
    }
    ctx.dirty += 1;
    ctx.notify(NotifyClass::STREAM, "xgroup-delconsumer", argv[2]);
    Ok(Reply::Int(consumer.pel.len() as i64))
}
