//! XDEL key id [id ...]
//! XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
//!
//! Redis 7.0's `xdelCommand` (every ID parsed before any is deleted; the largest deleted ID and
//! the first ID kept up to date) and `xsetidCommand`.

use super::{parse_strict_id, write_stream};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::stream::StreamId;

/// XDEL: flags entries deleted; replies with how many existed.
pub fn xdel(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[1];
    if write_stream(ctx, key)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let ids = argv[2..].iter().map(|a| parse_strict_id(a)).collect::<Result<Vec<_>, _>>()?;
    let stream = write_stream(ctx, key)?.expect("found above");
    let mut deleted = 0u64;
    let mut first_entry = false;
    for id in ids {
        if stream.delete(id) {
            first_entry |= id == stream.first_id;
            stream.max_deleted_entry_id = stream.max_deleted_entry_id.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        if stream.is_empty() {
            stream.first_id = StreamId::MIN;
        } else if first_entry {
            stream.first_id = stream.edge_id(false).expect("a live entry");
        }
        ctx.notify(NotifyClass::STREAM, "xdel", key);
        ctx.dirty += deleted;
    }
    Ok(Reply::Int(deleted as i64))
}

/// XSETID: sets the last ID (and optionally the added count and the largest deleted ID).
pub fn xsetid(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let id = parse_strict_id(argv[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if eq_ci(argv[i], "ENTRIESADDED") && more {
            let n = parse_i64(argv[i + 1]).ok_or(CmdError::NotInteger)?;
            if n < 0 {
                return Err(CmdError::msg("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if eq_ci(argv[i], "MAXDELETEDID") && more {
            max_deleted = parse_strict_id(argv[i + 1])?;
            if id < max_deleted {
                return Err(CmdError::msg(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let key = argv[1];
    let stream = write_stream(ctx, key)?.ok_or(CmdError::NoSuchKey)?;
    if !stream.is_empty() {
        let top = stream.edge_id(true).expect("a live entry");
        if id < top {
            return Err(CmdError::msg("ERR The ID specified in XSETID is smaller than the target stream top item"));
        }
        if entries_added.is_some_and(|n| stream.len() > n) {
            return Err(CmdError::msg(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.last_id = id;
    if let Some(n) = entries_added {
        stream.entries_added = n;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted_entry_id = max_deleted;
    }
    ctx.dirty += 1;
    ctx.reply_first();
    ctx.notify(NotifyClass::STREAM, "xsetid", key);
    Ok(Reply::Ok)
}
