//! BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value |
//!               [OVERFLOW WRAP|SAT|FAIL] INCRBY type offset increment ...]
//! BITFIELD_RO key [GET type offset ...]
//!
//! Redis's `bitfieldGeneric`. Every operation is parsed (and every error reported) before the key
//! is touched; then a command with only GETs reads the key, and one with a write makes room up to
//! the highest bit written (creating the key, and making it `raw`, even if every write then fails
//! under OVERFLOW FAIL). A write counts as a change when it created or grew the key or changed the
//! field, one `setbit` event covers the whole command, and a command that changed nothing is not
//! propagated — except, unlike Redis, one that created or grew the key (see `bitfield_generic`).
//! The overflow checks are Redis's `check*BitfieldOverflow` kept line for line, with
//! its wrapping arithmetic, because their odd corners are observable: OVERFLOW SAT SET i8 0
//! -9223372036854775808 stores 127, not -128.

use super::{bit_offset, bits_for_write};
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::cmd::string::c_option;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// What a write does when its result does not fit the field.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Overflow {
    /// Keep the low bits (two's complement for signed fields).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Write nothing and reply nil.
    Fail,
}

/// A field: its signedness, width (i1..i64, u1..u63) and first bit.
#[derive(Clone, Copy, Debug)]
struct Field {
    signed: bool,
    bits: u32,
    offset: u64,
}

/// The two writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Write {
    /// SET: stores the value, replies the old one.
    Set,
    /// INCRBY: adds to the field, replies the new value.
    Incrby,
}

/// One parsed operation.
#[derive(Clone, Copy, Debug)]
enum Op {
    Get(Field),
    Write { field: Field, write: Write, value: i64, overflow: Overflow },
}

/// Redis's reply to a bad field type.
fn type_error() -> CmdError {
    CmdError::msg("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
}

/// A field type (Redis's `getBitfieldTypeFromArgument`, which reads it as a C string).
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let (signed, width) = match c_option(arg) {
        [b'i', width @ ..] => (true, width),
        [b'u', width @ ..] => (false, width),
        _ => return Err(type_error()),
    };
    let max = if signed { 64 } else { 63 };
    match parse_i64(width) {
        Some(bits) if (1..=max).contains(&bits) => Ok((signed, bits as u32)),
        _ => Err(type_error()),
    }
}

/// Parses every operation in Redis's order of checks, with the highest bit any write reaches
/// (`None` when there is no write).
fn parse(ctx: &Ctx, argv: &[&[u8]]) -> Result<(Vec<Op>, Option<u64>), CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest_write_bit: Option<u64> = None;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let name = c_option(argv[j]).to_ascii_lowercase();
        let writes = match name.as_slice() {
            b"get" if remaining >= 2 => false,
            b"set" | b"incrby" if remaining >= 3 => true,
            b"overflow" if remaining >= 1 => {
                overflow = match c_option(argv[j + 1]).to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => return Err(CmdError::msg("ERR Invalid OVERFLOW type specified")),
                };
                j += 2;
                continue;
            }
            _ => return Err(CmdError::Syntax),
        };
        let (signed, bits) = field_type(argv[j + 1])?;
        let field = Field { signed, bits, offset: bit_offset(ctx, argv[j + 2], Some(bits))? };
        ops.push(if writes {
            let last_bit = field.offset + u64::from(bits) - 1;
            highest_write_bit = highest_write_bit.max(Some(last_bit));
            let value = parse_i64(argv[j + 3]).ok_or(CmdError::NotInteger)?;
            let write = if name == b"set" { Write::Set } else { Write::Incrby };
            Op::Write { field, write, value, overflow }
        } else {
            Op::Get(field)
        });
        j += if writes { 4 } else { 3 };
    }
    Ok((ops, highest_write_bit))
}

/// The low `bits` bits set.
fn mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

/// The window of up to 9 bytes holding `field`, as a big-endian number, and the shift that puts
/// the field's last bit at bit 0 (bytes past the end of `bytes` read as zero).
fn window(bytes: &[u8], field: Field) -> (u128, u32) {
    let first = usize::try_from(field.offset >> 3).unwrap_or(usize::MAX);
    let mut buf = [0u8; 16];
    if first < bytes.len() {
        let n = (bytes.len() - first).min(9);
        buf[..n].copy_from_slice(&bytes[first..first + n]);
    }
    (u128::from_be_bytes(buf), 128 - (field.offset & 7) as u32 - field.bits)
}

/// The field's bits as an unsigned number (Redis's `getUnsignedBitfield`).
fn read_unsigned(bytes: &[u8], field: Field) -> u64 {
    let (window, shift) = window(bytes, field);
    (window >> shift) as u64 & mask(field.bits)
}

/// The field's value: its bits, sign-extended when the field is signed (`getSignedBitfield`).
fn read(bytes: &[u8], field: Field) -> i64 {
    let raw = read_unsigned(bytes, field);
    if field.signed && field.bits < 64 && raw >> (field.bits - 1) & 1 == 1 {
        (raw | !mask(field.bits)) as i64
    } else {
        raw as i64
    }
}

/// Stores the low bits of `value` in the field, which lies inside `bytes`.
fn store(bytes: &mut [u8], field: Field, value: u64) {
    let first = (field.offset >> 3) as usize;
    let n = ((field.offset & 7) as usize + field.bits as usize).div_ceil(8);
    let (window, shift) = window(bytes, field);
    let field_mask = u128::from(mask(field.bits)) << shift;
    let window = (window & !field_mask) | (u128::from(value & mask(field.bits)) << shift);
    bytes[first..first + n].copy_from_slice(&window.to_be_bytes()[..n]);
}

/// What an overflow check decided.
#[derive(Debug, PartialEq, Eq)]
enum Checked {
    /// The result fits the field.
    Fits,
    /// It does not: store this instead (WRAP and SAT).
    Replaced(u64),
    /// It does not, and nothing is stored (FAIL).
    Failed,
}

/// The result of an overflow under `overflow`: `wrap` or `saturated` as the mode asks.
fn overflowed(overflow: Overflow, wrap: impl FnOnce() -> u64, saturated: u64) -> Checked {
    match overflow {
        Overflow::Wrap => Checked::Replaced(wrap()),
        Overflow::Sat => Checked::Replaced(saturated),
        Overflow::Fail => Checked::Failed,
    }
}

/// Redis's `checkUnsignedBitfieldOverflow` for `value + incr` in a field of `bits` (< 64).
fn check_unsigned(value: u64, incr: i64, bits: u32, overflow: Overflow) -> Checked {
    let max = mask(bits);
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        overflowed(overflow, wrap, max)
    } else if incr < 0 && incr < min_incr {
        overflowed(overflow, wrap, 0)
    } else {
        Checked::Fits
    }
}

/// Redis's `checkSignedBitfieldOverflow` for `value + incr` in a field of `bits`.
fn check_signed(value: i64, incr: i64, bits: u32, overflow: Overflow) -> Checked {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let sum = (value as u64).wrapping_add(incr as u64);
        match bits {
            64 => sum,
            _ if sum >> (bits - 1) & 1 == 1 => sum | !mask(bits),
            _ => sum & mask(bits),
        }
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        overflowed(overflow, wrap, max as u64)
    } else if value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr) {
        overflowed(overflow, wrap, min as u64)
    } else {
        Checked::Fits
    }
}

/// Runs a SET or INCRBY of `arg` on `bytes`: the reply (the old value for SET, the new one for
/// INCRBY) and whether the field changed, or `None` when a FAIL overflow stored nothing.
fn apply(bytes: &mut [u8], field: Field, write: Write, arg: i64, overflow: Overflow) -> Option<(i64, bool)> {
    let incr = write == Write::Incrby;
    let old = read(bytes, field);
    // The value to store before the overflow check, and the check itself.
    let (new, checked) = match (field.signed, incr) {
        (true, true) => (old.wrapping_add(arg), check_signed(old, arg, field.bits, overflow)),
        (true, false) => (arg, check_signed(arg, 0, field.bits, overflow)),
        (false, true) => (old.wrapping_add(arg), check_unsigned(old as u64, arg, field.bits, overflow)),
        (false, false) => (arg, check_unsigned(arg as u64, 0, field.bits, overflow)),
    };
    let new = match checked {
        Checked::Fits => new,
        Checked::Replaced(value) => value as i64,
        Checked::Failed => return None,
    };
    store(bytes, field, new as u64);
    Some((if incr { new } else { old }, new != old))
}

/// The shared body of BITFIELD and BITFIELD_RO.
fn bitfield_generic(ctx: &mut Ctx, argv: &[&[u8]], read_only: bool) -> Result<Reply, CmdError> {
    let key = argv[1];
    let (ops, highest_write_bit) = parse(ctx, argv)?;
    let Some(highest_write_bit) = highest_write_bit else {
        let replies = match ctx.read_str(key)? {
            Some(value) => value.with_bytes(|bytes| ops.iter().map(|op| get(bytes, op)).collect()),
            None => ops.iter().map(|op| get(&[], op)).collect(),
        };
        return Ok(Reply::Array(replies));
    };
    if read_only {
        return Err(CmdError::msg("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let (bytes, grew) = bits_for_write(ctx, key, highest_write_bit)?;
    let mut changes = 0;
    let replies = ops
        .iter()
        .map(|op| match *op {
            Op::Get(field) => Reply::Int(read(bytes, field)),
            Op::Write { field, write, value, overflow } => match apply(bytes, field, write, value, overflow) {
                // A write that stored counts when the key was created or grew, or the field
                // changed.
                Some((reply, changed)) => {
                    changes += u64::from(grew || changed);
                    Reply::Int(reply)
                }
                None => Reply::Null,
            },
        })
        .collect();
    if changes > 0 {
        ctx.notify(NotifyClass::STRING, "setbit", key);
        ctx.dirty += changes;
    } else if grew {
        // Every write failed, yet the key was created or grew. Redis 7.0.15 propagates nothing
        // then, so its AOF and replicas lose those zero bytes (the simulator's table commands
        // found it: seeds 13318 and 27060 recovered a shorter string than the node held). verdis
        // propagates the command, which replays to the same bytes; replies, dirty and events
        // stay Redis's.
        ctx.propagate_as(argv);
    }
    Ok(Reply::Array(replies))
}

/// The reply to an operation of a command without writes (each one is a GET).
fn get(bytes: &[u8], op: &Op) -> Reply {
    match *op {
        Op::Get(field) | Op::Write { field, .. } => Reply::Int(read(bytes, field)),
    }
}

/// BITFIELD: reads and writes integer fields of a string.
pub fn bitfield(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bitfield_generic(ctx, argv, false)
}

/// BITFIELD_RO: BITFIELD limited to GET, so it may run on replicas.
pub fn bitfield_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    bitfield_generic(ctx, argv, true)
}

#[cfg(test)]
mod tests {
    use crate::cmd::effects::NotifyClass;
    use crate::cmd::testing::TestDb;

    #[test]
    fn bitfield_reads_and_writes_like_redis() {
        // Proves GET/SET/INCRBY across byte boundaries, sign extension, `#` offsets (including
        // one whose product wraps, as in Redis), reads past the end, int-encoded values read as
        // digits, BITFIELD_RO and empty commands (replies taken from Redis 7.0.15).
        TestDb::new().check(&[
            (
                "BITFIELD b SET u8 0 255 GET u8 0 GET u4 0 GET i4 0 GET i8 0 GET u1 7 GET i1 7",
                "[:0, :255, :15, :-1, :-1, :1, :-1]",
            ),
            (
                "BITFIELD b SET i8 #1 -2 GET u16 0 GET i16 0 GET i64 0 GET u63 0 GET u63 1",
                "[:0, :65534, :-2, :-562949953421312, :9223090561878065152, :9222809086901354496]",
            ),
            ("BITFIELD b INCRBY u8 4 1 GET u16 0", "[:0, :61454]"),
            ("BITFIELD b GET u8 #1 GET u8 #2 GET i8 12 GET u4 #3", "[:14, :0, :-32, :14]"),
            ("BITFIELD b SET i5 3 -16 GET i5 3 GET u16 0", "[:-16, :-16, :61454]"),
            (
                "BITFIELD b GET i64 60 SET i64 60 -1 GET i64 60 GET u63 61 GET u8 120",
                "[:0, :0, :-1, :9223372036854775807, :240]",
            ),
            ("GET b", "\"\\xf0\\x0e\\x00\\x00\\x00\\x00\\x00\\x0f\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xf0\""),
            ("SET n 12", "+OK"),
            ("BITFIELD n GET u16 0 GET i8 4", "[:12594, :19]"),
            ("BITFIELD nokey GET i64 0 GET u63 100", "[:0, :0]"),
            ("BITFIELD_RO n GET u8 0 OVERFLOW sat GET u8 8", "[:49, :50]"),
            ("BITFIELD_RO nokey GET i8 0", "[:0]"),
            ("BITFIELD n", "[]"),
            ("BITFIELD_RO n", "[]"),
            ("BITFIELD f GET u3 #6148914691236517206", "[:0]"),
            ("BITFIELD f SET u8 0 255 GET u3 #6148914691236517206", "[:0, :7]"),
        ]);
    }

    #[test]
    fn bitfield_overflow_at_every_width_boundary() {
        // Proves WRAP, SAT and FAIL for signed and unsigned fields at the edges of i1, i2, i8,
        // i63, i64, u1, u2, u8, u62, u63, with SET and INCRBY of the extreme i64 values, including
        // Redis's quirks (SAT SET i8 of i64::MIN stores the maximum) (replies from Redis 7.0.15).
        TestDb::new().check(&[
            ("BITFIELD i1wrap OVERFLOW WRAP SET i1 3 0 INCRBY i1 3 1 GET i1 3 SET i1 3 -1 INCRBY i1 3 -1 GET i1 3 SET i1 3 1 SET i1 3 -2 INCRBY i1 3 9223372036854775807 INCRBY i1 3 -9223372036854775808 SET i1 3 -9223372036854775808 SET i1 3 9223372036854775807 GET i1 3", "[:0, :-1, :-1, :-1, :0, :0, :0, :-1, :-1, :-1, :-1, :0, :-1]"),
            ("BITFIELD i1sat OVERFLOW SAT SET i1 3 0 INCRBY i1 3 1 GET i1 3 SET i1 3 -1 INCRBY i1 3 -1 GET i1 3 SET i1 3 1 SET i1 3 -2 INCRBY i1 3 9223372036854775807 INCRBY i1 3 -9223372036854775808 SET i1 3 -9223372036854775808 SET i1 3 9223372036854775807 GET i1 3", "[:0, :0, :0, :0, :-1, :-1, :-1, :0, :0, :-1, :-1, :0, :0]"),
            ("BITFIELD i1fail OVERFLOW FAIL SET i1 3 0 INCRBY i1 3 1 GET i1 3 SET i1 3 -1 INCRBY i1 3 -1 GET i1 3 SET i1 3 1 SET i1 3 -2 INCRBY i1 3 9223372036854775807 INCRBY i1 3 -9223372036854775808 SET i1 3 -9223372036854775808 SET i1 3 9223372036854775807 GET i1 3", "[:0, (nil), :0, :0, (nil), :-1, (nil), (nil), (nil), (nil), (nil), (nil), :-1]"),
            ("BITFIELD i2wrap OVERFLOW WRAP SET i2 3 1 INCRBY i2 3 1 GET i2 3 SET i2 3 -2 INCRBY i2 3 -1 GET i2 3 SET i2 3 2 SET i2 3 -3 INCRBY i2 3 9223372036854775807 INCRBY i2 3 -9223372036854775808 SET i2 3 -9223372036854775808 SET i2 3 9223372036854775807 GET i2 3", "[:0, :-2, :-2, :-2, :1, :1, :1, :-2, :0, :0, :0, :0, :-1]"),
            ("BITFIELD i2sat OVERFLOW SAT SET i2 3 1 INCRBY i2 3 1 GET i2 3 SET i2 3 -2 INCRBY i2 3 -1 GET i2 3 SET i2 3 2 SET i2 3 -3 INCRBY i2 3 9223372036854775807 INCRBY i2 3 -9223372036854775808 SET i2 3 -9223372036854775808 SET i2 3 9223372036854775807 GET i2 3", "[:0, :1, :1, :1, :-2, :-2, :-2, :1, :1, :-2, :-2, :1, :1]"),
            ("BITFIELD i2fail OVERFLOW FAIL SET i2 3 1 INCRBY i2 3 1 GET i2 3 SET i2 3 -2 INCRBY i2 3 -1 GET i2 3 SET i2 3 2 SET i2 3 -3 INCRBY i2 3 9223372036854775807 INCRBY i2 3 -9223372036854775808 SET i2 3 -9223372036854775808 SET i2 3 9223372036854775807 GET i2 3", "[:0, (nil), :1, :1, (nil), :-2, (nil), (nil), (nil), (nil), (nil), (nil), :-2]"),
            ("BITFIELD i8wrap OVERFLOW WRAP SET i8 3 127 INCRBY i8 3 1 GET i8 3 SET i8 3 -128 INCRBY i8 3 -1 GET i8 3 SET i8 3 128 SET i8 3 -129 INCRBY i8 3 9223372036854775807 INCRBY i8 3 -9223372036854775808 SET i8 3 -9223372036854775808 SET i8 3 9223372036854775807 GET i8 3", "[:0, :-128, :-128, :-128, :127, :127, :127, :-128, :126, :126, :126, :0, :-1]"),
            ("BITFIELD i8sat OVERFLOW SAT SET i8 3 127 INCRBY i8 3 1 GET i8 3 SET i8 3 -128 INCRBY i8 3 -1 GET i8 3 SET i8 3 128 SET i8 3 -129 INCRBY i8 3 9223372036854775807 INCRBY i8 3 -9223372036854775808 SET i8 3 -9223372036854775808 SET i8 3 9223372036854775807 GET i8 3", "[:0, :127, :127, :127, :-128, :-128, :-128, :127, :127, :-128, :-128, :127, :127]"),
            ("BITFIELD i8fail OVERFLOW FAIL SET i8 3 127 INCRBY i8 3 1 GET i8 3 SET i8 3 -128 INCRBY i8 3 -1 GET i8 3 SET i8 3 128 SET i8 3 -129 INCRBY i8 3 9223372036854775807 INCRBY i8 3 -9223372036854775808 SET i8 3 -9223372036854775808 SET i8 3 9223372036854775807 GET i8 3", "[:0, (nil), :127, :127, (nil), :-128, (nil), (nil), (nil), (nil), (nil), (nil), :-128]"),
            ("BITFIELD i63wrap OVERFLOW WRAP SET i63 3 4611686018427387903 INCRBY i63 3 1 GET i63 3 SET i63 3 -4611686018427387904 INCRBY i63 3 -1 GET i63 3 SET i63 3 4611686018427387904 SET i63 3 -4611686018427387905 INCRBY i63 3 9223372036854775807 INCRBY i63 3 -9223372036854775808 SET i63 3 -9223372036854775808 SET i63 3 9223372036854775807 GET i63 3", "[:0, :-4611686018427387904, :-4611686018427387904, :-4611686018427387904, :4611686018427387903, :4611686018427387903, :4611686018427387903, :-4611686018427387904, :4611686018427387902, :4611686018427387902, :4611686018427387902, :0, :-1]"),
            ("BITFIELD i63sat OVERFLOW SAT SET i63 3 4611686018427387903 INCRBY i63 3 1 GET i63 3 SET i63 3 -4611686018427387904 INCRBY i63 3 -1 GET i63 3 SET i63 3 4611686018427387904 SET i63 3 -4611686018427387905 INCRBY i63 3 9223372036854775807 INCRBY i63 3 -9223372036854775808 SET i63 3 -9223372036854775808 SET i63 3 9223372036854775807 GET i63 3", "[:0, :4611686018427387903, :4611686018427387903, :4611686018427387903, :-4611686018427387904, :-4611686018427387904, :-4611686018427387904, :4611686018427387903, :4611686018427387903, :-4611686018427387904, :-4611686018427387904, :4611686018427387903, :4611686018427387903]"),
            ("BITFIELD i63fail OVERFLOW FAIL SET i63 3 4611686018427387903 INCRBY i63 3 1 GET i63 3 SET i63 3 -4611686018427387904 INCRBY i63 3 -1 GET i63 3 SET i63 3 4611686018427387904 SET i63 3 -4611686018427387905 INCRBY i63 3 9223372036854775807 INCRBY i63 3 -9223372036854775808 SET i63 3 -9223372036854775808 SET i63 3 9223372036854775807 GET i63 3", "[:0, (nil), :4611686018427387903, :4611686018427387903, (nil), :-4611686018427387904, (nil), (nil), :4611686018427387903, (nil), (nil), (nil), :4611686018427387903]"),
            ("BITFIELD i64wrap OVERFLOW WRAP SET i64 3 9223372036854775807 INCRBY i64 3 1 GET i64 3 SET i64 3 -9223372036854775808 INCRBY i64 3 -1 GET i64 3 SET i64 3 -9223372036854775808 SET i64 3 9223372036854775807 INCRBY i64 3 9223372036854775807 INCRBY i64 3 -9223372036854775808 SET i64 3 -9223372036854775808 SET i64 3 9223372036854775807 GET i64 3", "[:0, :-9223372036854775808, :-9223372036854775808, :-9223372036854775808, :9223372036854775807, :9223372036854775807, :9223372036854775807, :-9223372036854775808, :-2, :9223372036854775806, :9223372036854775806, :-9223372036854775808, :9223372036854775807]"),
            ("BITFIELD i64sat OVERFLOW SAT SET i64 3 9223372036854775807 INCRBY i64 3 1 GET i64 3 SET i64 3 -9223372036854775808 INCRBY i64 3 -1 GET i64 3 SET i64 3 -9223372036854775808 SET i64 3 9223372036854775807 INCRBY i64 3 9223372036854775807 INCRBY i64 3 -9223372036854775808 SET i64 3 -9223372036854775808 SET i64 3 9223372036854775807 GET i64 3", "[:0, :9223372036854775807, :9223372036854775807, :9223372036854775807, :-9223372036854775808, :-9223372036854775808, :-9223372036854775808, :-9223372036854775808, :9223372036854775807, :-1, :-1, :-9223372036854775808, :9223372036854775807]"),
            ("BITFIELD i64fail OVERFLOW FAIL SET i64 3 9223372036854775807 INCRBY i64 3 1 GET i64 3 SET i64 3 -9223372036854775808 INCRBY i64 3 -1 GET i64 3 SET i64 3 -9223372036854775808 SET i64 3 9223372036854775807 INCRBY i64 3 9223372036854775807 INCRBY i64 3 -9223372036854775808 SET i64 3 -9223372036854775808 SET i64 3 9223372036854775807 GET i64 3", "[:0, (nil), :9223372036854775807, :9223372036854775807, (nil), :-9223372036854775808, :-9223372036854775808, :-9223372036854775808, (nil), :-1, :-1, :-9223372036854775808, :9223372036854775807]"),
            ("BITFIELD u1wrap OVERFLOW WRAP SET u1 3 1 INCRBY u1 3 1 GET u1 3 SET u1 3 0 INCRBY u1 3 -1 GET u1 3 SET u1 3 2 SET u1 3 -1 INCRBY u1 3 9223372036854775807 INCRBY u1 3 -9223372036854775808 SET u1 3 -9223372036854775808 SET u1 3 9223372036854775807 GET u1 3", "[:0, :0, :0, :0, :1, :1, :1, :0, :0, :0, :0, :0, :1]"),
            ("BITFIELD u1sat OVERFLOW SAT SET u1 3 1 INCRBY u1 3 1 GET u1 3 SET u1 3 0 INCRBY u1 3 -1 GET u1 3 SET u1 3 2 SET u1 3 -1 INCRBY u1 3 9223372036854775807 INCRBY u1 3 -9223372036854775808 SET u1 3 -9223372036854775808 SET u1 3 9223372036854775807 GET u1 3", "[:0, :1, :1, :1, :0, :0, :0, :1, :1, :0, :0, :1, :1]"),
            ("BITFIELD u1fail OVERFLOW FAIL SET u1 3 1 INCRBY u1 3 1 GET u1 3 SET u1 3 0 INCRBY u1 3 -1 GET u1 3 SET u1 3 2 SET u1 3 -1 INCRBY u1 3 9223372036854775807 INCRBY u1 3 -9223372036854775808 SET u1 3 -9223372036854775808 SET u1 3 9223372036854775807 GET u1 3", "[:0, (nil), :1, :1, (nil), :0, (nil), (nil), (nil), (nil), (nil), (nil), :0]"),
            ("BITFIELD u2wrap OVERFLOW WRAP SET u2 3 3 INCRBY u2 3 1 GET u2 3 SET u2 3 0 INCRBY u2 3 -1 GET u2 3 SET u2 3 4 SET u2 3 -1 INCRBY u2 3 9223372036854775807 INCRBY u2 3 -9223372036854775808 SET u2 3 -9223372036854775808 SET u2 3 9223372036854775807 GET u2 3", "[:0, :0, :0, :0, :3, :3, :3, :0, :2, :2, :2, :0, :3]"),
            ("BITFIELD u2sat OVERFLOW SAT SET u2 3 3 INCRBY u2 3 1 GET u2 3 SET u2 3 0 INCRBY u2 3 -1 GET u2 3 SET u2 3 4 SET u2 3 -1 INCRBY u2 3 9223372036854775807 INCRBY u2 3 -9223372036854775808 SET u2 3 -9223372036854775808 SET u2 3 9223372036854775807 GET u2 3", "[:0, :3, :3, :3, :0, :0, :0, :3, :3, :0, :0, :3, :3]"),
            ("BITFIELD u2fail OVERFLOW FAIL SET u2 3 3 INCRBY u2 3 1 GET u2 3 SET u2 3 0 INCRBY u2 3 -1 GET u2 3 SET u2 3 4 SET u2 3 -1 INCRBY u2 3 9223372036854775807 INCRBY u2 3 -9223372036854775808 SET u2 3 -9223372036854775808 SET u2 3 9223372036854775807 GET u2 3", "[:0, (nil), :3, :3, (nil), :0, (nil), (nil), (nil), (nil), (nil), (nil), :0]"),
            ("BITFIELD u8wrap OVERFLOW WRAP SET u8 3 255 INCRBY u8 3 1 GET u8 3 SET u8 3 0 INCRBY u8 3 -1 GET u8 3 SET u8 3 256 SET u8 3 -1 INCRBY u8 3 9223372036854775807 INCRBY u8 3 -9223372036854775808 SET u8 3 -9223372036854775808 SET u8 3 9223372036854775807 GET u8 3", "[:0, :0, :0, :0, :255, :255, :255, :0, :254, :254, :254, :0, :255]"),
            ("BITFIELD u8sat OVERFLOW SAT SET u8 3 255 INCRBY u8 3 1 GET u8 3 SET u8 3 0 INCRBY u8 3 -1 GET u8 3 SET u8 3 256 SET u8 3 -1 INCRBY u8 3 9223372036854775807 INCRBY u8 3 -9223372036854775808 SET u8 3 -9223372036854775808 SET u8 3 9223372036854775807 GET u8 3", "[:0, :255, :255, :255, :0, :0, :0, :255, :255, :0, :0, :255, :255]"),
            ("BITFIELD u8fail OVERFLOW FAIL SET u8 3 255 INCRBY u8 3 1 GET u8 3 SET u8 3 0 INCRBY u8 3 -1 GET u8 3 SET u8 3 256 SET u8 3 -1 INCRBY u8 3 9223372036854775807 INCRBY u8 3 -9223372036854775808 SET u8 3 -9223372036854775808 SET u8 3 9223372036854775807 GET u8 3", "[:0, (nil), :255, :255, (nil), :0, (nil), (nil), (nil), (nil), (nil), (nil), :0]"),
            ("BITFIELD u62wrap OVERFLOW WRAP SET u62 3 4611686018427387903 INCRBY u62 3 1 GET u62 3 SET u62 3 0 INCRBY u62 3 -1 GET u62 3 SET u62 3 4611686018427387904 SET u62 3 -1 INCRBY u62 3 9223372036854775807 INCRBY u62 3 -9223372036854775808 SET u62 3 -9223372036854775808 SET u62 3 9223372036854775807 GET u62 3", "[:0, :0, :0, :0, :4611686018427387903, :4611686018427387903, :4611686018427387903, :0, :4611686018427387902, :4611686018427387902, :4611686018427387902, :0, :4611686018427387903]"),
            ("BITFIELD u62sat OVERFLOW SAT SET u62 3 4611686018427387903 INCRBY u62 3 1 GET u62 3 SET u62 3 0 INCRBY u62 3 -1 GET u62 3 SET u62 3 4611686018427387904 SET u62 3 -1 INCRBY u62 3 9223372036854775807 INCRBY u62 3 -9223372036854775808 SET u62 3 -9223372036854775808 SET u62 3 9223372036854775807 GET u62 3", "[:0, :4611686018427387903, :4611686018427387903, :4611686018427387903, :0, :0, :0, :4611686018427387903, :4611686018427387903, :0, :0, :4611686018427387903, :4611686018427387903]"),
            ("BITFIELD u62fail OVERFLOW FAIL SET u62 3 4611686018427387903 INCRBY u62 3 1 GET u62 3 SET u62 3 0 INCRBY u62 3 -1 GET u62 3 SET u62 3 4611686018427387904 SET u62 3 -1 INCRBY u62 3 9223372036854775807 INCRBY u62 3 -9223372036854775808 SET u62 3 -9223372036854775808 SET u62 3 9223372036854775807 GET u62 3", "[:0, (nil), :4611686018427387903, :4611686018427387903, (nil), :0, (nil), (nil), (nil), (nil), (nil), (nil), :0]"),
            ("BITFIELD u63wrap OVERFLOW WRAP SET u63 3 9223372036854775807 INCRBY u63 3 1 GET u63 3 SET u63 3 0 INCRBY u63 3 -1 GET u63 3 SET u63 3 -9223372036854775808 SET u63 3 -1 INCRBY u63 3 9223372036854775807 INCRBY u63 3 -9223372036854775808 SET u63 3 -9223372036854775808 SET u63 3 9223372036854775807 GET u63 3", "[:0, :0, :0, :0, :9223372036854775807, :9223372036854775807, :9223372036854775807, :0, :9223372036854775806, :9223372036854775806, :9223372036854775806, :0, :9223372036854775807]"),
            ("BITFIELD u63sat OVERFLOW SAT SET u63 3 9223372036854775807 INCRBY u63 3 1 GET u63 3 SET u63 3 0 INCRBY u63 3 -1 GET u63 3 SET u63 3 -9223372036854775808 SET u63 3 -1 INCRBY u63 3 9223372036854775807 INCRBY u63 3 -9223372036854775808 SET u63 3 -9223372036854775808 SET u63 3 9223372036854775807 GET u63 3", "[:0, :9223372036854775807, :9223372036854775807, :9223372036854775807, :0, :0, :0, :9223372036854775807, :9223372036854775807, :0, :0, :9223372036854775807, :9223372036854775807]"),
            ("BITFIELD u63fail OVERFLOW FAIL SET u63 3 9223372036854775807 INCRBY u63 3 1 GET u63 3 SET u63 3 0 INCRBY u63 3 -1 GET u63 3 SET u63 3 -9223372036854775808 SET u63 3 -1 INCRBY u63 3 9223372036854775807 INCRBY u63 3 -9223372036854775808 SET u63 3 -9223372036854775808 SET u63 3 9223372036854775807 GET u63 3", "[:0, (nil), :9223372036854775807, :9223372036854775807, (nil), :0, (nil), (nil), :9223372036854775807, (nil), (nil), :9223372036854775807, :9223372036854775807]"),
        ]);
    }

    #[test]
    fn bitfield_errors_in_redis_order() {
        // Proves every parse error and its order (all operations are parsed before the key is
        // looked at, BITFIELD_RO refuses writes only after parsing), and that a failed command
        // creates nothing.
        TestDb::new().check(&[
            (
                "BITFIELD w SET u64 0 1",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w get U8 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            ("BITFIELD w GET u8", "-ERR syntax error"),
            ("BITFIELD w foo", "-ERR syntax error"),
            ("BITFIELD w OVERFLOW", "-ERR syntax error"),
            ("BITFIELD w OVERFLOW bar GET u8 0", "-ERR Invalid OVERFLOW type specified"),
            (
                "BITFIELD w GET x8 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w GET i0 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w GET i65 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w GET u 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w GET u08 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w GET u+8 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            (
                "BITFIELD w GET i-1 0",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            ("BITFIELD w SET u8 0", "-ERR syntax error"),
            ("BITFIELD w SET u8 0 a", "-ERR value is not an integer or out of range"),
            ("BITFIELD w SET u8 0 1.5", "-ERR value is not an integer or out of range"),
            ("BITFIELD w INCRBY u8 a 1", "-ERR bit offset is not an integer or out of range"),
            (
                "BITFIELD w GET u64 a",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            ("BITFIELD w GET u8 -1", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w GET u8 #-1", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w GET u8 #", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w GET u8 #a", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w GET i64 #144115188075855872", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w GET u8 4294967296", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w GET u8 4294967295", "[:0]"),
            ("BITFIELD w SET u8 0 1 GET u8 bad", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD w OVERFLOW bad SET u8 0 1", "-ERR Invalid OVERFLOW type specified"),
            ("BITFIELD w OVERFLOW fail SET u8 0 1 OVERFLOW", "-ERR syntax error"),
            ("EXISTS w", ":0"),
            ("BITFIELD_RO w GET u8 0 SET u8 0 1", "-ERR BITFIELD_RO only supports the GET subcommand"),
            ("BITFIELD_RO w GET u8 0 INCRBY u8 0 1", "-ERR BITFIELD_RO only supports the GET subcommand"),
            ("BITFIELD_RO w GET u8 0 SET u8 0", "-ERR syntax error"),
            (
                "BITFIELD_RO w GET u8 0 SET u65 0 1",
                "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            ),
            ("EXISTS w", ":0"),
            ("LPUSH l x", ":1"),
            ("BITFIELD l GET u8 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITFIELD l SET u8 0 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITFIELD l SET u8 -1 1", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD_RO l GET u8 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITFIELD_RO l SET u8 0 1", "-ERR BITFIELD_RO only supports the GET subcommand"),
            ("BITFIELD l", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("BITFIELD", "-ERR wrong number of arguments for 'bitfield' command"),
        ]);
    }

    #[test]
    fn bitfield_changes_dirty_and_events_like_redis() {
        // Proves Redis 7.0.15's accounting: a write counts when the key was created or grew or
        // the field changed, FAIL writes count nothing though the key is still created and grown,
        // one `setbit` event per command, no propagation without a change (but, unlike Redis,
        // when the key was created or grew), GETs keep the encoding.
        let mut db = TestDb::new();
        let cases: &[(&str, &str, u64, bool)] = &[
            ("BITFIELD b OVERFLOW FAIL INCRBY u2 0 5", "[(nil)]", 0, true),
            ("BITFIELD nw SET u8 0 0 SET u8 0 0 GET u8 0", "[:0, :0, :0]", 2, true),
            ("BITFIELD nw OVERFLOW SAT INCRBY u8 0 -5 INCRBY i8 0 0", "[:0, :0]", 0, false),
            ("BITFIELD nw SET u8 8 0", "[:0]", 1, true),
            (
                "BITFIELD nw SET u8 0 255 OVERFLOW SAT INCRBY u8 0 1 OVERFLOW WRAP INCRBY u8 0 256",
                "[:0, :255, :255]",
                1,
                true,
            ),
            ("BITFIELD nw OVERFLOW FAIL INCRBY u8 100 1000", "[(nil)]", 0, true),
            ("BITFIELD nw OVERFLOW FAIL INCRBY u8 100 1000", "[(nil)]", 0, false),
            ("BITFIELD nw GET u8 0", "[:255]", 0, false),
            ("BITFIELD_RO nw GET u8 0", "[:255]", 0, false),
        ];
        for (line, reply, changes, propagated) in cases {
            let before = db.dirty;
            assert_eq!(db.cmd(line), *reply, "{line}");
            assert_eq!(db.dirty - before, *changes, "{line}");
            let events: Vec<_> = db.own_touches().iter().map(|t| t.event).collect();
            let expected = if *changes > 0 { vec![Some((NotifyClass::STRING, "setbit"))] } else { vec![] };
            assert_eq!(events, expected, "{line}");
            assert_eq!(!db.propagated.is_empty(), *propagated, "{line}");
        }
        assert_eq!(db.raw_get("b"), Some(vec![0]));
        assert_eq!(db.encoding("b"), Some("raw"));
        assert_eq!(db.raw_get("nw").map(|v| v.len()), Some(14));
        db.check(&[("SET n 12", "+OK"), ("BITFIELD n GET u16 0", "[:12594]")]);
        assert_eq!(db.encoding("n"), Some("int"));
        db.check(&[("BITFIELD n OVERFLOW FAIL SET u2 0 9", "[(nil)]")]);
        assert_eq!(db.encoding("n"), Some("raw"));
    }

    #[test]
    fn bitfield_offsets_obey_proto_max_bulk_len() {
        // Proves the offset limit follows proto-max-bulk-len, for plain and `#` offsets.
        let mut db = TestDb::new();
        db.config.proto_max_bulk_len = 2;
        db.check(&[
            ("BITFIELD k SET u8 #2 1", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD k GET u8 16", "-ERR bit offset is not an integer or out of range"),
            ("BITFIELD k SET u8 15 1", "[:0]"),
            ("BITFIELD k SET u8 #1 1", "[:0]"),
        ]);
        assert_eq!(db.raw_get("k"), Some(vec![0, 1, 2]));
    }
}
