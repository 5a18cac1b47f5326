//! XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
//! XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
//!
//! Redis's `streamParseAddOrTrimArgsOrReply`, `xaddCommand` and `xtrimCommand`. An approximate
//! trim is propagated as exact (`~` becomes `=`, the threshold what the trim left: the length, or
//! the first entry's ID), and XADD propagates the ID it chose, so the AOF and replicas rebuild
//! the same stream.

use super::{limits, parse_id_generic, parse_strict_id, write_stream, Parsed};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::stream::{StreamId, StreamValue, TrimStrategy, LISTPACK_MAX_SIZE};
use crate::value::Value;

/// Most entries an approximate trim removes without LIMIT, whatever `stream-node-max-entries`.
const APPROX_LIMIT_MAX: i64 = 10_000;

/// The parsed options of XADD or XTRIM.
struct TrimArgs {
    /// The strategy and where its threshold argument sits, if any.
    strategy: Option<(TrimStrategy, usize)>,
    /// `~` was given.
    approx: bool,
    /// Most entries to remove (0: no limit).
    limit: u64,
    /// NOMKSTREAM (XADD).
    no_mkstream: bool,
    /// The ID argument's position (XADD).
    id_pos: usize,
    /// The ID as written (XADD, absent for `*`).
    id: Option<Parsed>,
}

fn int_arg(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// Redis's `streamParseAddOrTrimArgsOrReply` (`xadd` picks the XADD grammar).
fn parse(ctx: &Ctx, argv: &[&[u8]], xadd: bool) -> Result<TrimArgs, CmdError> {
    let both = || CmdError::msg("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
    let mut args =
        TrimArgs { strategy: None, approx: false, limit: 0, no_mkstream: false, id_pos: argv.len(), id: None };
    let mut limit_given = false;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv[i];
        if xadd && opt == b"*" {
            break;
        } else if (eq_ci(opt, "maxlen") || eq_ci(opt, "minid")) && more > 0 {
            if args.strategy.is_some() {
                return Err(both());
            }
            args.approx = false;
            let next = argv[i + 1];
            if more >= 2 && next == b"~" {
                args.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let threshold = argv[i + 1];
            let strategy = if eq_ci(opt, "maxlen") {
                let max = int_arg(threshold)?;
                if max < 0 {
                    return Err(CmdError::msg("ERR The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(max as u64)
            } else {
                TrimStrategy::MinId(parse_strict_id(threshold)?)
            };
            i += 1;
            args.strategy = Some((strategy, i));
        } else if eq_ci(opt, "limit") && more > 0 {
            let limit = int_arg(argv[i + 1])?;
            if limit < 0 {
                return Err(CmdError::msg("ERR The LIMIT argument must be >= 0."));
            }
            args.limit = limit as u64;
            limit_given = true;
            i += 1;
        } else if xadd && eq_ci(opt, "nomkstream") {
            args.no_mkstream = true;
        } else if xadd {
            args.id = Some(parse_id_generic(opt, 0, true, true)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    args.id_pos = i;
    if args.limit != 0 && args.strategy.is_none() {
        return Err(CmdError::msg("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && args.strategy.is_none() {
        return Err(CmdError::msg("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if ctx.keyspace.loading {
        // The AOF holds the trim as it happened (rewritten exact), so it is never limited.
        args.limit = 0;
    } else if limit_given {
        if !args.approx {
            return Err(CmdError::msg("ERR syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if args.approx {
        let limit = 100 * ctx.config.stream_node_max_entries as i64;
        args.limit = if limit <= 0 || limit > APPROX_LIMIT_MAX { APPROX_LIMIT_MAX } else { limit } as u64;
    } else {
        args.limit = 0;
    }
    Ok(args)
}

/// Trims `key`'s stream per `args` and, when something went, raises `xtrim` and rewrites the
/// propagated argv of an approximate trim to the exact result. Returns how many went.
fn trim(ctx: &mut Ctx, key: &[u8], args: &TrimArgs, propagated: &mut [Vec<u8>]) -> u64 {
    let Some((strategy, at)) = args.strategy else { return 0 };
    let stream = write_stream(ctx, key).ok().flatten().expect("the caller found the stream");
    let deleted = stream.trim(strategy, args.approx, args.limit);
    if args.approx {
        propagated[at - 1] = b"=".to_vec();
        propagated[at] = match strategy {
            TrimStrategy::MaxLen(_) => stream.len().to_string().into_bytes(),
            TrimStrategy::MinId(_) => stream.edge_id_with_tombstones(false).to_bytes(),
        };
    }
    if deleted > 0 {
        ctx.notify(NotifyClass::STREAM, "xtrim", key);
    }
    deleted
}

/// XADD: appends an entry and replies with its ID.
pub fn xadd(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = parse(ctx, argv, true)?;
    let fields = &argv[(args.id_pos + 1).min(argv.len())..];
    if fields.len() < 2 || !fields.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity("xadd".into()));
    }
    if args.id == Some(Parsed::Full(StreamId::MIN)) {
        return Err(CmdError::msg("ERR The ID specified in XADD must be greater than 0-0"));
    }
    let key = argv[1];
    if write_stream(ctx, key)?.is_none() {
        if args.no_mkstream {
            return Ok(Reply::Null);
        }
        let obj = ctx.new_object(Value::Stream(Box::new(StreamValue::new())));
        ctx.add_key(key, obj);
    }
    let now_ms = ctx.now_ms() as u64;
    let limits = limits(ctx);
    let stream = write_stream(ctx, key)?.expect("found or created above");
    if stream.last_id == StreamId::MAX {
        return Err(CmdError::msg("ERR The stream has exhausted the last possible ID, unable to add more items"));
    }
    let last = stream.last_id;
    let id = match args.id {
        None if now_ms > last.ms => Some(StreamId::new(now_ms, 0)),
        None => last.incr(),
        Some(Parsed::Full(id)) => Some(id),
        Some(Parsed::AutoSeq(ms)) if ms == last.ms => last.incr().filter(|_| last.seq != u64::MAX),
        Some(Parsed::AutoSeq(ms)) => Some(StreamId::new(ms, 0)),
    };
    let too_small =
        || CmdError::msg("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    let id = id.filter(|id| *id > last).ok_or_else(too_small)?;
    if fields.iter().map(|f| f.len()).sum::<usize>() > LISTPACK_MAX_SIZE {
        return Err(CmdError::msg("ERR Elements are too large to be stored"));
    }
    stream.append(id, fields, limits);
    ctx.dirty += 1;
    ctx.reply_first();
    ctx.notify(NotifyClass::STREAM, "xadd", key);
    let mut propagated: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    trim(ctx, key, &args, &mut propagated);
    if !matches!(args.id, Some(Parsed::Full(_))) {
        propagated[args.id_pos] = id.to_bytes();
    }
    let refs: Vec<&[u8]> = propagated.iter().map(Vec::as_slice).collect();
    ctx.propagate_as(&refs);
    Ok(Reply::Bulk(id.to_bytes()))
}

/// XTRIM: trims a stream and replies with how many entries went.
pub fn xtrim(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = parse(ctx, argv, false)?;
    let key = argv[1];
    if write_stream(ctx, key)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let mut propagated: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    let deleted = trim(ctx, key, &args, &mut propagated);
    if deleted > 0 {
        ctx.dirty += deleted;
        let refs: Vec<&[u8]> = propagated.iter().map(Vec::as_slice).collect();
        ctx.propagate_as(&refs);
    }
    Ok(Reply::Int(deleted as i64))
}
