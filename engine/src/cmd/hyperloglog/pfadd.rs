//! PFADD key [element ...]
//!
//! Redis's `pfaddCommand`: creates a sparse HLL when the key is missing (a change on its own),
//! then raises one register per element. Each change counts once in dirty; the key is
//! signalled with a `pfadd` event only when something changed. A corrupt HLL stops at the
//! first element that finds it, leaving earlier changes in place, unsignalled, as Redis does.

use super::{check, hll_bytes, hll_error};
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::hll;
use crate::value::{StrValue, Value};

/// PFADD: replies 1 when the HLL was created or a register changed, else 0.
pub fn pfadd(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[1];
    let sparse_max_bytes = ctx.config.hll_sparse_max_bytes;
    let mut updated = 0u64;
    match ctx.write_str(key)? {
        Some(value) => {
            check(value)?;
        }
        None => {
            ctx.set_key(key, Value::Str(StrValue::Raw(hll::new_sparse())), false);
            updated += 1;
        }
    }
    let bytes = hll_bytes(ctx, key);
    for element in &argv[2..] {
        if hll::add(bytes, element, sparse_max_bytes).map_err(hll_error)? {
            updated += 1;
        }
    }
    if updated == 0 {
        return Ok(Reply::Int(0));
    }
    hll::invalidate_cache(bytes);
    ctx.notify(NotifyClass::STRING, "pfadd", key);
    ctx.dirty += updated;
    Ok(Reply::Int(1))
}
