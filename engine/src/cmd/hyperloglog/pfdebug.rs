//! PFDEBUG subcommand key, PFSELFTEST
//!
//! Redis's `pfdebugCommand`: the key is looked up (for writing) and checked before the
//! subcommand is, so a missing key or a non-HLL wins over an unknown subcommand. GETREG and
//! TODENSE convert a sparse HLL to dense in place and count one dirty so the conversion is
//! propagated, without signalling the key, as Redis does.

use super::{check, hll_bytes, hll_error};
use crate::cmd::ctx::Ctx;
use crate::cmd::string::c_option;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::hll::{self, Encoding};

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
pub fn pfdebug(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[2];
    match ctx.write_str(key)? {
        None => return Err(CmdError::msg("ERR The specified key does not exist")),
        Some(value) => check(value)?,
    };
    let bytes = hll_bytes(ctx, key);
    let was_sparse = hll::encoding(bytes) == Encoding::Sparse;
    let (reply, converted) = match c_option(argv[1]).to_ascii_lowercase().as_slice() {
        b"getreg" => {
            let registers = hll::registers(bytes).map_err(hll_error)?;
            (Reply::Array(registers.into_iter().map(|r| Reply::Int(i64::from(r))).collect()), was_sparse)
        }
        b"decode" if !was_sparse => return Err(CmdError::msg("ERR HLL encoding is not sparse")),
        b"decode" => (Reply::Bulk(hll::decode(bytes).into_bytes()), false),
        b"encoding" => (Reply::Simple(hll::encoding(bytes).name().into()), false),
        b"todense" => {
            hll::to_dense(bytes).map_err(hll_error)?;
            (Reply::Int(i64::from(was_sparse)), was_sparse)
        }
        _ => return Err(CmdError::quoting("ERR Unknown PFDEBUG subcommand '", argv[1], "'")),
    };
    if converted {
        ctx.dirty += 1;
    }
    Ok(reply)
}

/// PFSELFTEST: Redis's register and estimate self-test; `+OK` or a `TESTFAILED` error.
pub fn pfselftest(ctx: &mut Ctx, _argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let sparse_max_bytes = ctx.config.hll_sparse_max_bytes;
    let rng = &mut *ctx.rng;
    match hll::self_test(|| rng.next_u64() as u32, sparse_max_bytes) {
        Ok(()) => Ok(Reply::Ok),
        Err(text) => Err(CmdError::Message(text.into())),
    }
}
