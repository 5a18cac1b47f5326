//! PFMERGE destkey [sourcekey ...]
//!
//! Redis's `pfmergeCommand`: every source (the destination included, as `argv[1]`) is checked
//! and merged into one register array; the destination is created sparse if missing, made dense
//! if any source was dense, then raised register by register. Always one change, signalled with
//! a `pfadd` event ("a mass-add of elements", in Redis's words).

use super::{check, hll_bytes, hll_error};
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::hll::{self, Encoding, Registers, REGISTERS};
use crate::value::{StrValue, Value};

/// PFMERGE: stores the union of the HLLs at `destkey`.
pub fn pfmerge(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let dest = argv[1];
    let mut max: Box<Registers> = Box::new([0; REGISTERS]);
    let mut dense = false;
    for key in &argv[1..] {
        let Some(value) = ctx.read_str(key)? else { continue };
        dense |= check(value)? == Encoding::Dense;
        value.with_bytes(|bytes| hll::merge_into(&mut max, bytes)).map_err(hll_error)?;
    }
    if ctx.write_str(dest)?.is_none() {
        ctx.set_key(dest, Value::Str(StrValue::Raw(hll::new_sparse())), false);
    }
    let sparse_max_bytes = ctx.config.hll_sparse_max_bytes;
    hll::store_merged(hll_bytes(ctx, dest), &max, dense, sparse_max_bytes).map_err(hll_error)?;
    ctx.notify(NotifyClass::STRING, "pfadd", dest);
    ctx.dirty += 1;
    Ok(Reply::Ok)
}
