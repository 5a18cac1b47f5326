//! XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
//! XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key
//!   [key ...] id [id ...]
//!
//! Redis 7.0's `xreadCommand`, `streamReplyWithRange` with a group, and
//! `serveClientsBlockedOnStreamKey`. A command that finds nothing and has BLOCK parks through
//! `Ctx::block_on` with its `$` IDs replaced by the IDs they stood for (and COUNT 1000 when none
//! was given, Redis's `XREAD_BLOCKED_DEFAULT_COUNT`), so the parked command serves exactly what
//! arrived after it blocked; a client that may not block gets the null array at once.
//!
//! XREADGROUP never propagates itself: each entry delivered for the first time propagates as
//! Redis's `XCLAIM ... FORCE JUSTID LASTID`, and a moved group as `XGROUP SETID ... ENTRIESREAD`.

use super::group::create_consumer;
use super::pending::propagate_claim;
use super::{entry_reply, id_reply, parse_strict_id, read_stream, write_stream};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::{BlockOn, Ctx};
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::stream::{Nack, StreamId, StreamValue, ENTRIES_READ_INVALID};

/// What a blocked XREAD serves at most when it gave no COUNT.
const BLOCKED_COUNT_DEFAULT: usize = 1000;

/// The parsed arguments of XREAD or XREADGROUP.
struct ReadArgs<'a> {
    count: usize,
    count_given: bool,
    block_ms: Option<i64>,
    noack: bool,
    group: Option<(&'a [u8], &'a [u8])>,
    keys: &'a [&'a [u8]],
    ids: &'a [&'a [u8]],
    /// Where the keys start in argv.
    streams_at: usize,
}

/// Redis's `getTimeoutFromObjectOrReply` in milliseconds.
fn parse_block(arg: &[u8]) -> Result<i64, CmdError> {
    let ms = parse_i64(arg).ok_or_else(|| CmdError::msg("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    Ok(ms)
}

fn parse<'a>(argv: &'a [&'a [u8]], xreadgroup: bool) -> Result<ReadArgs<'a>, CmdError> {
    let mut args = ReadArgs {
        count: 0,
        count_given: false,
        block_ms: None,
        noack: false,
        group: None,
        keys: &[],
        ids: &[],
        streams_at: 0,
    };
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let opt = argv[i];
        if eq_ci(opt, "BLOCK") && more > 0 {
            i += 1;
            args.block_ms = Some(parse_block(argv[i])?);
        } else if eq_ci(opt, "COUNT") && more > 0 {
            i += 1;
            let n = parse_i64(argv[i]).ok_or(CmdError::NotInteger)?;
            args.count = n.max(0) as usize;
            args.count_given = true;
        } else if eq_ci(opt, "STREAMS") && more > 0 {
            let rest = &argv[i + 1..];
            if !rest.len().is_multiple_of(2) {
                // Redis 7.0.15 words it so for XREADGROUP too.
                return Err(CmdError::msg(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            args.streams_at = i + 1;
            (args.keys, args.ids) = rest.split_at(rest.len() / 2);
            break;
        } else if eq_ci(opt, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.group = Some((argv[i + 1], argv[i + 2]));
            i += 2;
        } else if eq_ci(opt, "NOACK") {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if args.streams_at == 0 {
        return Err(CmdError::Syntax);
    }
    if xreadgroup && args.group.is_none() {
        return Err(CmdError::msg("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(args)
}

/// An ID argument resolved: greater-than this, or `>` (the group's last delivered ID).
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Id(StreamId),
    New,
}

/// Resolves each key's ID (and checks types and groups) in Redis's order.
fn resolve(ctx: &mut Ctx, args: &ReadArgs) -> Result<Vec<After>, CmdError> {
    let mut out = Vec::with_capacity(args.keys.len());
    for (key, id) in args.keys.iter().zip(args.ids) {
        let stream = read_stream(ctx, key)?;
        if let Some((group, _)) = args.group {
            if !stream.is_some_and(|s| s.groups.contains_key(group)) {
                return Err(CmdError::quoting_many(&[
                    b"NOGROUP No such key '",
                    key,
                    b"' or consumer group '",
                    group,
                    b"' in XREADGROUP with GROUP option",
                ]));
            }
        }
        out.push(match *id {
            b"$" if args.group.is_some() => return Err(CmdError::msg(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
            )),
            b"$" => After::Id(stream.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if args.group.is_none() => return Err(CmdError::msg(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            )),
            b">" => After::New,
            // Redis marks `>` as the largest ID, so that ID given explicitly reads new entries too.
            arg => match parse_strict_id(arg)? {
                StreamId::MAX if args.group.is_some() => After::New,
                id => After::Id(id),
            },
        });
    }
    Ok(out)
}

/// Entries of `stream` after `after`, at most `count` (0: all), without a group.
fn plain_entries(stream: &StreamValue, after: StreamId, count: usize) -> Vec<Reply> {
    let Some(start) = after.incr() else { return Vec::new() };
    let limit = if count == 0 { usize::MAX } else { count };
    stream.range(start, StreamId::MAX, false).take(limit).map(|e| entry_reply(&e)).collect()
}

/// Serves new entries (after the group's last ID) to `consumer` of `group` at `key`, as
/// `streamReplyWithRange` with a group does: moves the group's last ID and read counter, adds
/// each entry to the PELs unless `noack`, and propagates the change.
fn serve_new(ctx: &mut Ctx, key: &[u8], group_name: &[u8], consumer: &[u8], count: usize, noack: bool) -> Vec<Reply> {
    let now_ms = ctx.now_ms();
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    let start = stream.groups[group_name].last_id.incr();
    let limit = if count == 0 { usize::MAX } else { count };
    let entries: Vec<(StreamId, Reply)> = match start {
        Some(start) => stream.range(start, StreamId::MAX, false).take(limit).map(|e| (e.id, entry_reply(&e))).collect(),
        None => Vec::new(),
    };
    // Each claim carries the group's last ID as it stood after that entry, as Redis propagates
    // it entry by entry.
    let mut claims = Vec::new();
    let mut moved = false;
    for (id, _) in &entries {
        let tombstones = stream.range_has_tombstones(*id, StreamId::MAX);
        let estimate = stream.estimate_distance(*id);
        let entries_added = stream.entries_added;
        let group = stream.groups.get_mut(group_name).expect("the caller found the group");
        if *id > group.last_id {
            if group.entries_read != ENTRIES_READ_INVALID && !tombstones {
                group.entries_read = group.entries_read.wrapping_add(1);
            } else if entries_added != 0 {
                group.entries_read = estimate;
            }
            group.last_id = *id;
            moved = true;
        }
        if noack {
            continue;
        }
        let nack = Nack { delivery_time_ms: now_ms, delivery_count: 1, consumer: consumer.to_vec() };
        if let Some(old) = group.pel.insert(*id, nack.clone()) {
            if let Some(c) = group.consumers.get_mut(&old.consumer) {
                c.pel.remove(id);
            }
        }
        group.consumers.get_mut(consumer).expect("created before serving").pel.insert(*id);
        claims.push((*id, nack, group.last_id));
    }
    let group = &stream.groups[group_name];
    let (last, read) = (group.last_id, group.entries_read);
    for (id, nack, last) in claims {
        propagate_claim(ctx, key, group_name, id, &nack, last);
    }
    // Without PEL entries nothing carries the group's new position: Redis sends it alone.
    if moved && noack {
        let read = read.to_string();
        ctx.propagate_also(&[b"XGROUP", b"SETID", key, group_name, &last.to_bytes(), b"ENTRIESREAD", read.as_bytes()]);
    }
    entries.into_iter().map(|(_, reply)| reply).collect()
}

/// Redis's `streamPropagateConsumerCreation`, which XREADGROUP calls for a consumer it created
/// only with NOACK: otherwise the XCLAIMs it propagates create the consumer.
fn propagate_consumer_creation(ctx: &mut Ctx, key: &[u8], group_name: &[u8], consumer: &[u8], noack: bool) {
    if noack {
        ctx.propagate_also(&[b"XGROUP", b"CREATECONSUMER", key, group_name, consumer]);
    }
}

/// Serves `consumer`'s own pending entries after `after` (Redis's
/// `streamReplyWithRangeFromConsumerPEL`): each delivered again, a deleted one as `[id, nil]`.
fn serve_history(
    ctx: &mut Ctx,
    key: &[u8],
    group_name: &[u8],
    consumer: &[u8],
    after: StreamId,
    count: usize,
) -> Vec<Reply> {
    let now_ms = ctx.now_ms();
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    let Some(start) = after.incr() else { return Vec::new() };
    let limit = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> =
        stream.groups[group_name].consumers[consumer].pel.range(start..).take(limit).copied().collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match stream.get(id) {
            Some(entry) => {
                out.push(entry_reply(&entry));
                let nack =
                    stream.groups.get_mut(group_name).and_then(|g| g.pel.get_mut(&id)).expect("owned IDs are pending");
                nack.delivery_time_ms = now_ms;
                nack.delivery_count = nack.delivery_count.wrapping_add(1);
            }
            None => out.push(Reply::Array(vec![id_reply(id), Reply::NullArray])),
        }
    }
    out
}

/// The reply for the streams served: `[[key, entries], ...]`, or a map in RESP3.
fn streams_reply(ctx: &Ctx, served: Vec<(Vec<u8>, Vec<Reply>)>) -> Reply {
    if ctx.resp >= 3 {
        Reply::Map(served.into_iter().map(|(k, e)| (Reply::Bulk(k), Reply::Array(e))).collect())
    } else {
        Reply::Array(served.into_iter().map(|(k, e)| Reply::Array(vec![Reply::Bulk(k), Reply::Array(e)])).collect())
    }
}

fn read(ctx: &mut Ctx, argv: &[&[u8]], xreadgroup: bool) -> Result<Reply, CmdError> {
    let args = parse(argv, xreadgroup)?;
    let afters = resolve(ctx, &args)?;
    if xreadgroup {
        ctx.propagate.get_or_insert_with(Vec::new);
    }
    let mut served = Vec::new();
    for (key, after) in args.keys.iter().zip(&afters) {
        let now_ms = ctx.now_ms();
        let Some(stream) = read_stream(ctx, key)? else { continue };
        let last_valid = stream.edge_id(true);
        let Some((group_name, consumer)) = args.group else {
            if let (After::Id(after), Some(top)) = (after, last_valid) {
                if top > *after {
                    served.push((key.to_vec(), plain_entries(stream, *after, args.count)));
                }
            }
            continue;
        };
        let group_last = stream.groups[group_name].last_id;
        let serve = match after {
            After::Id(_) => true,
            After::New => last_valid.is_some_and(|top| top > group_last),
        };
        if serve {
            // Redis 7.0 looks the consumer up (creating it, or refreshing its seen time) only
            // for a stream it serves.
            if create_consumer(ctx, key, group_name, consumer) {
                propagate_consumer_creation(ctx, key, group_name, consumer, args.noack);
            } else {
                let stream = write_stream(ctx, key)?.expect("found above");
                let c = stream.groups.get_mut(group_name).and_then(|g| g.consumers.get_mut(consumer));
                c.expect("exists").seen_time_ms = now_ms;
            }
            let entries = match after {
                After::Id(after) => serve_history(ctx, key, group_name, consumer, *after, args.count),
                After::New => serve_new(ctx, key, group_name, consumer, args.count, args.noack),
            };
            served.push((key.to_vec(), entries));
            ctx.dirty += 1;
        }
    }
    if !served.is_empty() {
        return Ok(streams_reply(ctx, served));
    }
    let Some(timeout_ms) = args.block_ms else { return Ok(Reply::NullArray) };
    // Park with the IDs resolved now, so the serve compares against what existed when blocking.
    let mut parked: Vec<Vec<u8>> = vec![argv[0].to_vec()];
    if !args.count_given {
        parked.extend([b"COUNT".to_vec(), BLOCKED_COUNT_DEFAULT.to_string().into_bytes()]);
    }
    parked.extend(argv[1..args.streams_at].iter().map(|a| a.to_vec()));
    parked.extend(args.keys.iter().map(|k| k.to_vec()));
    parked.extend(afters.iter().map(|a| match a {
        After::Id(id) => id.to_bytes(),
        After::New => b">".to_vec(),
    }));
    ctx.block_on = Some(BlockOn {
        keys: args.keys.iter().map(|k| k.to_vec()).collect(),
        timeout_ms,
        serve: serve_blocked,
        argv: Some(parked),
    });
    Ok(Reply::NullArray)
}

/// XREAD: entries after the given IDs, from any stream that has some, or block.
pub fn xread(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    read(ctx, argv, false)
}

/// XREADGROUP: new entries for a consumer of a group (or its own pending ones), or block.
pub fn xreadgroup(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    read(ctx, argv, true)
}

/// Serves a client parked by XREAD or XREADGROUP (argv as `read` parked it) from `key`: Redis's
/// `serveClientsBlockedOnStreamKey`. `None` while `key` holds no stream or nothing new.
fn serve_blocked(ctx: &mut Ctx, argv: &[&[u8]], key: &[u8]) -> Option<Result<Reply, CmdError>> {
    let xreadgroup = argv[0].len() == 10;
    let args = parse(argv, xreadgroup).expect("parked with valid arguments");
    let at = args.keys.iter().position(|k| *k == key)?;
    let stream = ctx.db().get(key).and_then(|o| <StreamValue as crate::value::ValueType>::of_ref(&o.value))?;
    let after = match args.group {
        Some((group_name, _)) => match stream.groups.get(group_name) {
            Some(group) => group.last_id,
            None => {
                return Some(Err(CmdError::msg(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                )))
            }
        },
        None => parse_strict_id(args.ids[at]).expect("parked with a concrete ID"),
    };
    if stream.last_id <= after {
        return None;
    }
    let entries = match args.group {
        Some((group_name, consumer)) => {
            ctx.propagate.get_or_insert_with(Vec::new);
            if create_consumer(ctx, key, group_name, consumer) {
                propagate_consumer_creation(ctx, key, group_name, consumer, args.noack);
            }
            serve_new(ctx, key, group_name, consumer, args.count, args.noack)
        }
        None => plain_entries(stream, after, args.count),
    };
    Some(Ok(streams_reply(ctx, vec![(key.to_vec(), entries)])))
}
