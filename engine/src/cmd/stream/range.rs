//! XRANGE key start end [COUNT count]
//! XREVRANGE key end start [COUNT count]
//! XLEN key
//!
//! Redis's `xrangeGenericCommand` and `xlenCommand`: bounds are parsed (with `(` for exclusive)
//! before COUNT and before the key is looked up; COUNT 0 answers the null array.

use super::{entry_reply, parse_interval, read_stream};
use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

fn range(ctx: &mut Ctx, argv: &[&[u8]], rev: bool) -> Result<Reply, CmdError> {
    let (start_arg, end_arg) = if rev { (argv[3], argv[2]) } else { (argv[2], argv[3]) };
    let start = parse_interval(start_arg, false)?;
    let end = parse_interval(end_arg, true)?;
    let mut count: Option<usize> = None;
    let mut j = 4;
    while j < argv.len() {
        if eq_ci(argv[j], "COUNT") && j + 1 < argv.len() {
            let n = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            count = Some(n.max(0) as usize);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(stream) = read_stream(ctx, argv[1])? else { return Ok(Reply::Array(Vec::new())) };
    if count == Some(0) {
        return Ok(Reply::NullArray);
    }
    let entries = stream.range(start, end, rev).take(count.unwrap_or(usize::MAX));
    Ok(Reply::Array(entries.map(|e| entry_reply(&e)).collect()))
}

/// XRANGE: entries from start to end.
pub fn xrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    range(ctx, argv, false)
}

/// XREVRANGE: entries from end down to start.
pub fn xrevrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    range(ctx, argv, true)
}

/// XLEN: the number of live entries.
pub fn xlen(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(read_stream(ctx, argv[1])?.map_or(0, |s| s.len() as i64)))
}
