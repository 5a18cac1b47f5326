//! XACK key group id [id ...]
//! XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
//! XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms] [RETRYCOUNT
//!   count] [FORCE] [JUSTID] [LASTID id]
//! XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
//!
//! Redis 7.0's `xackCommand`, `xpendingCommand`, `xclaimCommand` and `xautoclaimCommand`. The
//! claims propagate as Redis's do: one idempotent `XCLAIM ... FORCE JUSTID LASTID` per entry
//! claimed (or dropped because it was deleted), never the command itself, plus `XGROUP SETID`
//! when only LASTID moved the group.

use super::group::create_consumer;
use super::{entry_reply, id_reply, no_group, parse_interval, parse_strict_id, read_stream, write_stream};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::stream::{Group, Nack, StreamId};

/// Most entries XAUTOCLAIM looks at per entry it may claim (Redis's `attempts_factor`).
const AUTOCLAIM_ATTEMPTS_FACTOR: i64 = 10;

/// XACK: removes IDs from the group's PEL; replies with how many were pending.
pub fn xack(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, group) = (argv[1], argv[2]);
    let has_group = read_stream(ctx, key)?.is_some_and(|s| s.groups.contains_key(group));
    if !has_group {
        return Ok(Reply::Int(0));
    }
    let ids = argv[3..].iter().map(|a| parse_strict_id(a)).collect::<Result<Vec<_>, _>>()?;
    let stream = write_stream(ctx, key)?.expect("found above");
    let group = stream.groups.get_mut(group).expect("found above");
    let mut acked = 0;
    for id in ids {
        if let Some(nack) = group.pel.remove(&id) {
            if let Some(c) = group.consumers.get_mut(&nack.consumer) {
                c.pel.remove(&id);
            }
            acked += 1;
        }
    }
    ctx.dirty += acked;
    Ok(Reply::Int(acked as i64))
}

/// XPENDING: the group's PEL summary, or its entries in a range.
pub fn xpending(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, group_name) = (argv[1], argv[2]);
    let summary = argv.len() == 3;
    if !summary && !(6..=9).contains(&argv.len()) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if !summary {
        let mut start_at = 3;
        let mut min_idle = 0;
        if eq_ci(argv[3], "IDLE") {
            min_idle = parse_i64(argv[4]).ok_or(CmdError::NotInteger)?;
            if argv.len() < 8 {
                return Err(CmdError::Syntax);
            }
            start_at += 2;
        }
        let count = parse_i64(argv[start_at + 2]).ok_or(CmdError::NotInteger)?.max(0);
        let start = parse_interval(argv[start_at], false)?;
        let end = parse_interval(argv[start_at + 1], true)?;
        let consumer = argv.get(start_at + 3).copied();
        range = Some((min_idle, start, end, count, consumer));
    }
    let now_ms = ctx.now_ms();
    let stream = read_stream(ctx, key)?;
    let Some(group) = stream.and_then(|s| s.groups.get(group_name)) else {
        return Err(no_group(key, group_name));
    };
    let Some((min_idle, start, end, count, consumer)) = range else { return Ok(pending_summary(group)) };
    let ids: Box<dyn Iterator<Item = &StreamId>> = match consumer {
        Some(name) => match group.consumers.get(name) {
            Some(c) => Box::new(c.pel.range(start..=end.max(start))),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => Box::new(group.pel.range(start..=end.max(start)).map(|(id, _)| id)),
    };
    let mut out = Vec::new();
    for id in ids.filter(|id| **id <= end) {
        if out.len() as i64 >= count {
            break;
        }
        let nack = &group.pel[id];
        let idle = now_ms.wrapping_sub(nack.delivery_time_ms);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        out.push(Reply::Array(vec![
            id_reply(*id),
            Reply::Bulk(nack.consumer.clone()),
            Reply::Int(idle.max(0)),
            Reply::Int(nack.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// XPENDING's summary form: count, first and last ID, and each consumer's pending count.
fn pending_summary(group: &Group) -> Reply {
    let (Some((first, _)), Some((last, _))) = (group.pel.first_key_value(), group.pel.last_key_value()) else {
        return Reply::Array(vec![Reply::Int(0), Reply::Null, Reply::Null, Reply::NullArray]);
    };
    let consumers = group
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| Reply::Array(vec![Reply::Bulk(name.clone()), Reply::bulk_i64(c.pel.len() as i64)]))
        .collect();
    Reply::Array(vec![Reply::Int(group.pel.len() as i64), id_reply(*first), id_reply(*last), Reply::Array(consumers)])
}

/// The `XCLAIM` Redis propagates for a claimed (or dropped) entry (`streamPropagateXCLAIM`).
pub(super) fn propagate_claim(
    ctx: &mut Ctx,
    key: &[u8],
    group_name: &[u8],
    id: StreamId,
    nack: &Nack,
    last_id: StreamId,
) {
    let (time, count) = (nack.delivery_time_ms.to_string(), nack.delivery_count.to_string());
    ctx.propagate_also(&[
        b"XCLAIM",
        key,
        group_name,
        &nack.consumer,
        b"0",
        &id.to_bytes(),
        b"TIME",
        time.as_bytes(),
        b"RETRYCOUNT",
        count.as_bytes(),
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        &last_id.to_bytes(),
    ]);
}

/// Stops the command's own propagation: what it changed goes out as the commands it adds.
fn prevent_propagation(ctx: &mut Ctx) {
    ctx.propagate.get_or_insert_with(Vec::new);
}

/// Moves pending entry `id` to `consumer` with the given delivery data (the part of XCLAIM and
/// XAUTOCLAIM after the checks), creating the consumer first if needed; the NACK after.
fn claim_one(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    id: StreamId,
    delivery_time_ms: i64,
    delivery_count: Option<u64>,
    bump: bool,
) -> Nack {
    let (key, group_name, consumer) = (argv[1], argv[2], argv[3]);
    let created = create_consumer(ctx, key, group_name, consumer);
    let now_ms = ctx.now_ms();
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    let group = stream.groups.get_mut(group_name).expect("the caller found the group");
    if !created {
        if let Some(c) = group.consumers.get_mut(consumer) {
            c.seen_time_ms = now_ms;
        }
    }
    let nack = group.pel.entry(id).or_insert_with(Nack::forced);
    let previous = std::mem::replace(&mut nack.consumer, consumer.to_vec());
    nack.delivery_time_ms = delivery_time_ms;
    match delivery_count {
        Some(n) => nack.delivery_count = n,
        None if bump => nack.delivery_count = nack.delivery_count.wrapping_add(1),
        None => {}
    }
    let nack = nack.clone();
    if previous != consumer {
        if let Some(c) = group.consumers.get_mut(&previous) {
            c.pel.remove(&id);
        }
        group.consumers.get_mut(consumer).expect("created above").pel.insert(id);
    }
    nack
}

/// Drops pending entry `id`, whose stream entry is gone, propagating the drop as Redis does.
fn drop_deleted(ctx: &mut Ctx, key: &[u8], group_name: &[u8], id: StreamId) {
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    let group = stream.groups.get_mut(group_name).expect("the caller found the group");
    let Some(nack) = group.pel.remove(&id) else { return };
    if let Some(c) = group.consumers.get_mut(&nack.consumer) {
        c.pel.remove(&id);
    }
    let last_id = group.last_id;
    propagate_claim(ctx, key, group_name, id, &nack, last_id);
    ctx.dirty += 1;
}

/// The entry `id` as XCLAIM replies with it: the ID alone with JUSTID, else the whole entry.
fn claimed_reply(ctx: &mut Ctx, key: &[u8], id: StreamId, justid: bool) -> Reply {
    if justid {
        return id_reply(id);
    }
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    stream.get(id).map_or(Reply::Null, |e| entry_reply(&e))
}

/// XCLAIM: takes over pending entries idle long enough.
pub fn xclaim(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, group_name) = (argv[1], argv[2]);
    let has_group = read_stream(ctx, key)?.map(|s| s.groups.contains_key(group_name));
    if has_group != Some(true) {
        return Err(no_group(key, group_name));
    }
    let int = |arg: &[u8], what: &'static str| parse_i64(arg).ok_or_else(|| CmdError::msg(what));
    let min_idle = int(argv[4], "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while let Some(id) = argv.get(j).and_then(|a| parse_strict_id(a).ok()) {
        ids.push(id);
        j += 1;
    }
    let now_ms = ctx.now_ms();
    let (mut force, mut justid) = (false, false);
    let mut retry_count: Option<i64> = None;
    let mut delivery_time: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = argv[j];
        if eq_ci(opt, "FORCE") {
            force = true;
        } else if eq_ci(opt, "JUSTID") {
            justid = true;
        } else if eq_ci(opt, "IDLE") && more {
            j += 1;
            delivery_time = Some(now_ms.wrapping_sub(int(argv[j], "ERR Invalid IDLE option argument for XCLAIM")?));
        } else if eq_ci(opt, "TIME") && more {
            j += 1;
            delivery_time = Some(int(argv[j], "ERR Invalid TIME option argument for XCLAIM")?);
        } else if eq_ci(opt, "RETRYCOUNT") && more {
            j += 1;
            retry_count = Some(int(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")?);
        } else if eq_ci(opt, "LASTID") && more {
            j += 1;
            last_id = parse_strict_id(argv[j])?;
        } else {
            return Err(CmdError::quoting("ERR Unrecognized XCLAIM option '", opt, "'"));
        }
        j += 1;
    }
    prevent_propagation(ctx);
    let stream = write_stream(ctx, key)?.expect("found above");
    let group = stream.groups.get_mut(group_name).expect("found above");
    let mut propagate_last_id = false;
    if last_id > group.last_id {
        group.last_id = last_id;
        propagate_last_id = true;
    }
    let delivery_time = match delivery_time {
        Some(t) if (0..=now_ms).contains(&t) => t,
        _ => now_ms,
    };
    let mut out = Vec::new();
    for id in ids {
        let stream = write_stream(ctx, key)?.expect("found above");
        let exists = stream.get(id).is_some();
        let group = stream.groups.get_mut(group_name).expect("found above");
        let pending = group.pel.get(&id).cloned();
        if !exists {
            if pending.is_some() {
                drop_deleted(ctx, key, group_name, id);
                propagate_last_id = false;
            }
            continue;
        }
        let Some(nack) = pending.or_else(|| force.then(Nack::forced)) else { continue };
        if !nack.consumer.is_empty() && min_idle != 0 && now_ms.wrapping_sub(nack.delivery_time_ms) < min_idle {
            continue;
        }
        let count = retry_count.filter(|n| *n >= 0).map(|n| n as u64);
        let nack = claim_one(ctx, argv, id, delivery_time, count, !justid);
        out.push(claimed_reply(ctx, key, id, justid));
        let last = write_stream(ctx, key)?.expect("found above").groups[group_name].last_id;
        propagate_claim(ctx, key, group_name, id, &nack, last);
        propagate_last_id = false;
        ctx.dirty += 1;
    }
    if propagate_last_id {
        let stream = write_stream(ctx, key)?.expect("found above");
        let group = &stream.groups[group_name];
        let (last, read) = (group.last_id.to_bytes(), group.entries_read.to_string());
        ctx.propagate_also(&[b"XGROUP", b"SETID", key, group_name, &last, b"ENTRIESREAD", read.as_bytes()]);
        ctx.dirty += 1;
    }
    Ok(Reply::Array(out))
}

/// XAUTOCLAIM: claims entries idle long enough, scanning the PEL from a cursor.
pub fn xautoclaim(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, group_name) = (argv[1], argv[2]);
    let min_idle =
        parse_i64(argv[4]).ok_or_else(|| CmdError::msg("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?.max(0);
    let start = parse_interval(argv[5], false)?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        if eq_ci(argv[j], "COUNT") && j + 1 < argv.len() {
            let max_count = i64::MAX / 16;
            count = parse_i64(argv[j + 1])
                .filter(|n| (1..=max_count).contains(n))
                .ok_or_else(|| CmdError::msg("ERR COUNT must be > 0"))?;
            j += 1;
        } else if eq_ci(argv[j], "JUSTID") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let has_group = read_stream(ctx, key)?.map(|s| s.groups.contains_key(group_name));
    if has_group != Some(true) {
        return Err(no_group(key, group_name));
    }
    prevent_propagation(ctx);
    let now_ms = ctx.now_ms();
    let mut attempts = count * AUTOCLAIM_ATTEMPTS_FACTOR;
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    // The scan position (`None` past the largest ID) and whether the PEL ran out, which makes
    // the returned cursor 0-0.
    let mut cursor = Some(start);
    let mut exhausted = false;
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let stream = write_stream(ctx, key)?.expect("found above");
        let group = &stream.groups[group_name];
        let found = cursor.and_then(|from| group.pel.range(from..).next());
        let Some((&id, nack)) = found else {
            exhausted = true;
            break;
        };
        let idle = now_ms.wrapping_sub(nack.delivery_time_ms);
        cursor = id.incr();
        if stream.get(id).is_none() {
            drop_deleted(ctx, key, group_name, id);
            deleted.push(id_reply(id));
            count -= 1;
        } else if min_idle == 0 || idle >= min_idle {
            let nack = claim_one(ctx, argv, id, now_ms, None, !justid);
            claimed.push(claimed_reply(ctx, key, id, justid));
            count -= 1;
            let last = write_stream(ctx, key)?.expect("found above").groups[group_name].last_id;
            propagate_claim(ctx, key, group_name, id, &nack, last);
            ctx.dirty += 1;
        }
    }
    let stream = write_stream(ctx, key)?.expect("found above");
    let pel = &stream.groups[group_name].pel;
    let next = match cursor {
        Some(from) if !exhausted => pel.range(from..).next().map_or(StreamId::MIN, |(id, _)| *id),
        _ => StreamId::MIN,
    };
    Ok(Reply::Array(vec![id_reply(next), Reply::Array(claimed), Reply::Array(deleted)]))
}

impl Nack {
    /// A NACK FORCE creates (Redis's `streamCreateNACK(NULL)`): no owner yet, one delivery.
    fn forced() -> Nack {
        Nack { delivery_time_ms: 0, delivery_count: 1, consumer: Vec::new() }
    }
}
