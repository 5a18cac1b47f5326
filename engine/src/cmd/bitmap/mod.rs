//! The bitmap family: bit-level commands on `string` values (Redis's `bitops.c`).
//!
//! | file | commands |
//! |---|---|
//! | `setbit.rs` | SETBIT, GETBIT |
//! | `bitcount.rs` | BITCOUNT (and the BYTE/BIT range both it and BITPOS take) |
//! | `bitpos.rs` | BITPOS |
//! | `bitop.rs` | BITOP AND/OR/XOR/NOT |
//! | `bitfield.rs` | BITFIELD, BITFIELD_RO |
//!
//! Bits are numbered from the most significant bit of the first byte. A bitmap is a plain
//! string: reads see an `int`-encoded value as its decimal digits, and every write leaves the
//! value `raw` (Redis's `dbUnshareStringValue`), even a write that changes no bit.

mod bitcount;
mod bitfield;
mod bitop;
mod bitpos;
mod setbit;

use super::redis_specs as s;
use super::table::{engine, Command};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::value::{StrValue, Value};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::SETBIT, setbit::setbit),
    engine(&s::GETBIT, setbit::getbit),
    engine(&s::BITCOUNT, bitcount::bitcount),
    engine(&s::BITPOS, bitpos::bitpos),
    engine(&s::BITOP, bitop::bitop),
    engine(&s::BITFIELD, bitfield::bitfield),
    engine(&s::BITFIELD_RO, bitfield::bitfield_ro),
];

/// Redis's reply to a bad or too large bit offset.
fn offset_error() -> CmdError {
    CmdError::msg("ERR bit offset is not an integer or out of range")
}

/// A bit offset argument (Redis's `getBitOffsetFromArgument`): a non-negative integer whose byte
/// lies below `proto-max-bulk-len`. With `hash_bits` (BITFIELD), `#n` means `n * hash_bits`; the
/// product wraps on overflow as Redis's does, so a wrapped product that lands in range is used.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, multiplier) = match (hash_bits, arg) {
        (Some(bits), [b'#', rest @ ..]) if !rest.is_empty() => (rest, i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits).ok_or_else(offset_error)?.wrapping_mul(multiplier);
    if offset < 0 || (offset as u64 >> 3) >= ctx.config.proto_max_bulk_len {
        return Err(offset_error());
    }
    Ok(offset as u64)
}

/// Redis's `lookupStringForBitCommand`: the string at `key` made `raw` and zero-extended to
/// hold bit `max_bit`, created if missing. The flag is true when the key was created or grew,
/// which counts as a change even if no bit then flips.
fn bits_for_write<'c>(ctx: &'c mut Ctx, key: &[u8], max_bit: u64) -> Result<(&'c mut Vec<u8>, bool), CmdError> {
    let len = usize::try_from(max_bit >> 3).map_err(|_| offset_error())? + 1;
    let grew = match ctx.write_str(key)? {
        None => {
            ctx.set_key(key, Value::Str(StrValue::Raw(vec![0; len])), false);
            true
        }
        Some(s) => {
            let buf = s.make_raw();
            let grew = buf.len() < len;
            if grew {
                buf.resize(len, 0);
            }
            grew
        }
    };
    let buf = ctx.write_str(key)?.expect("the key was just written").make_raw();
    Ok((buf, grew))
}

/// The value of bit `offset` in `bytes` (0 past the end).
fn bit_at(bytes: &[u8], offset: u64) -> bool {
    let byte = usize::try_from(offset >> 3).ok().and_then(|i| bytes.get(i)).copied().unwrap_or(0);
    byte & (0x80 >> (offset & 7)) != 0
}
