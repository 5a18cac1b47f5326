//! XINFO STREAM key [FULL [COUNT count]]
//! XINFO GROUPS key
//! XINFO CONSUMERS key group
//! XINFO HELP
//!
//! Redis 7.0's `xinfoCommand`: the key must exist (`ERR no such key`); replies are maps, which
//! RESP2 flattens.

use super::group::no_such_group;
use super::{entry_reply, id_reply, read_stream};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::{clip128, CmdError};
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::stream::{Group, StreamId, StreamValue, ENTRIES_READ_INVALID};

const HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

/// Entries XINFO STREAM FULL lists when no COUNT is given.
const FULL_COUNT_DEFAULT: i64 = 10;

/// XINFO HELP.
pub fn help(_ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::help(argv[0], HELP))
}

fn field(name: &'static str) -> Reply {
    Reply::Bulk(name.as_bytes().to_vec())
}

fn the_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c StreamValue, CmdError> {
    read_stream(ctx, key)?.ok_or(CmdError::NoSuchKey)
}

/// A group's `entries-read`: null when unknown.
fn entries_read(group: &Group) -> Reply {
    match group.entries_read {
        ENTRIES_READ_INVALID => Reply::Null,
        n => Reply::Int(n),
    }
}

fn lag(stream: &StreamValue, group: &Group) -> Reply {
    stream.group_lag(group).map_or(Reply::Null, Reply::Int)
}

/// XINFO STREAM.
pub fn stream(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let syntax =
        || CmdError::SubcommandSyntax { sub: clip128(argv[1]), container: clip128(&argv[0].to_ascii_uppercase()) };
    let stream = the_stream(ctx, argv[2])?;
    let opts = &argv[3..];
    let full = !opts.is_empty();
    let mut count = FULL_COUNT_DEFAULT;
    if full {
        if (opts.len() != 1 && opts.len() != 3) || !eq_ci(opts[0], "full") {
            return Err(syntax());
        }
        if opts.len() == 3 {
            if !eq_ci(opts[1], "count") {
                return Err(syntax());
            }
            count = parse_i64(opts[2]).ok_or(CmdError::NotInteger)?;
            if count < 0 {
                count = FULL_COUNT_DEFAULT;
            }
        }
    }
    let mut map = vec![
        (field("length"), Reply::Int(stream.len() as i64)),
        (field("radix-tree-keys"), Reply::Int(stream.node_count() as i64)),
        (field("radix-tree-nodes"), Reply::Int(stream.rax_nodes() as i64)),
        (field("last-generated-id"), id_reply(stream.last_id)),
        (field("max-deleted-entry-id"), id_reply(stream.max_deleted_entry_id)),
        (field("entries-added"), Reply::Int(stream.entries_added as i64)),
        (field("recorded-first-entry-id"), id_reply(stream.first_id)),
    ];
    if !full {
        let edge = |last: bool| {
            stream.range(StreamId::MIN, StreamId::MAX, last).next().map_or(Reply::Null, |e| entry_reply(&e))
        };
        map.push((field("groups"), Reply::Int(stream.groups.len() as i64)));
        map.push((field("first-entry"), edge(false)));
        map.push((field("last-entry"), edge(true)));
        return Ok(Reply::Map(map));
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let entries = stream.range(StreamId::MIN, StreamId::MAX, false).take(limit).map(|e| entry_reply(&e)).collect();
    map.push((field("entries"), Reply::Array(entries)));
    let groups = stream
        .groups
        .iter()
        .map(|(name, group)| {
            let pending = group
                .pel
                .iter()
                .take(limit)
                .map(|(id, nack)| {
                    Reply::Array(vec![
                        id_reply(*id),
                        Reply::Bulk(nack.consumer.clone()),
                        Reply::Int(nack.delivery_time_ms),
                        Reply::Int(nack.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = group
                .consumers
                .iter()
                .map(|(cname, consumer)| {
                    let pending = consumer
                        .pel
                        .iter()
                        .take(limit)
                        .map(|id| {
                            let nack = &group.pel[id];
                            Reply::Array(vec![
                                id_reply(*id),
                                Reply::Int(nack.delivery_time_ms),
                                Reply::Int(nack.delivery_count as i64),
                            ])
                        })
                        .collect();
                    Reply::Map(vec![
                        (field("name"), Reply::Bulk(cname.clone())),
                        (field("seen-time"), Reply::Int(consumer.seen_time_ms)),
                        (field("pel-count"), Reply::Int(consumer.pel.len() as i64)),
                        (field("pending"), Reply::Array(pending)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                (field("name"), Reply::Bulk(name.clone())),
                (field("last-delivered-id"), id_reply(group.last_id)),
                (field("entries-read"), entries_read(group)),
                (field("lag"), lag(stream, group)),
                (field("pel-count"), Reply::Int(group.pel.len() as i64)),
                (field("pending"), Reply::Array(pending)),
                (field("consumers"), Reply::Array(consumers)),
            ])
        })
        .collect();
    map.push((field("groups"), Reply::Array(groups)));
    Ok(Reply::Map(map))
}

/// XINFO GROUPS.
pub fn groups(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let stream = the_stream(ctx, argv[2])?;
    Ok(Reply::Array(
        stream
            .groups
            .iter()
            .map(|(name, group)| {
                Reply::Map(vec![
                    (field("name"), Reply::Bulk(name.clone())),
                    (field("consumers"), Reply::Int(group.consumers.len() as i64)),
                    (field("pending"), Reply::Int(group.pel.len() as i64)),
                    (field("last-delivered-id"), id_reply(group.last_id)),
                    (field("entries-read"), entries_read(group)),
                    (field("lag"), lag(stream, group)),
                ])
            })
            .collect(),
    ))
}

/// XINFO CONSUMERS.
pub fn consumers(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let now_ms = ctx.now_ms();
    let stream = the_stream(ctx, argv[2])?;
    let group = stream.groups.get(argv[3]).ok_or_else(|| no_such_group(argv[2], argv[3]))?;
    Ok(Reply::Array(
        group
            .consumers
            .iter()
            .map(|(name, consumer)| {
                Reply::Map(vec![
                    (field("name"), Reply::Bulk(name.clone())),
                    (field("pending"), Reply::Int(consumer.pel.len() as i64)),
                    (field("idle"), Reply::Int(now_ms.wrapping_sub(consumer.seen_time_ms).max(0))),
                ])
            })
            .collect(),
    ))
}
