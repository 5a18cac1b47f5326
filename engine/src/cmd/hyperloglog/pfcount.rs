//! PFCOUNT key [key ...]
//!
//! Redis's `pfcountCommand`. With one key the cached cardinality answers when valid; otherwise
//! it is computed and stored back into the header, which is a change to a string value: Redis
//! signals the key, counts one dirty and so propagates PFCOUNT (flagged `may-replicate`), and so
//! do we. With many keys the union is counted from merged registers and nothing is written.

use super::{check, hll_bytes, hll_error};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::hll::{self, Registers, REGISTERS};

/// PFCOUNT: the estimated cardinality of one HLL or of the union of several.
pub fn pfcount(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if argv.len() > 2 {
        let mut max: Box<Registers> = Box::new([0; REGISTERS]);
        for key in &argv[1..] {
            let Some(value) = ctx.read_str(key)? else { continue };
            check(value)?;
            value.with_bytes(|bytes| hll::merge_into(&mut max, bytes)).map_err(hll_error)?;
        }
        return Ok(Reply::Int(hll::count_registers(&max) as i64));
    }
    let key = argv[1];
    match ctx.read_str(key)? {
        None => return Ok(Reply::Int(0)),
        Some(value) => check(value)?,
    };
    let bytes = hll_bytes(ctx, key);
    if let Some(card) = hll::cached_card(bytes) {
        return Ok(Reply::Int(card as i64));
    }
    let card = hll::count(bytes).map_err(hll_error)?;
    hll::set_cached_card(bytes, card);
    ctx.signal_modified(key);
    ctx.dirty += 1;
    Ok(Reply::Int(card as i64))
}
