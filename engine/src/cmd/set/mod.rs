//! The set family: commands on `set` values (Redis's `t_set.c`).
//!
//! | file | commands |
//! |---|---|
//! | `sadd.rs` | SADD, SREM |
//! | `sismember.rs` | SISMEMBER, SMISMEMBER, SCARD, SMEMBERS |
//! | `spop.rs` | SPOP, SRANDMEMBER |
//! | `smove.rs` | SMOVE |
//! | `setops.rs` | SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE |
//! | `sscan.rs` | SSCAN |

mod sadd;
mod setops;
mod sismember;
mod smove;
mod spop;
mod sscan;

use super::redis_specs as s;
use super::table::{engine, Command};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::rng::Rng;
use crate::types::set::SetValue;
use crate::value::Value;

/// The set at `key`, created empty in the encoding `first` calls for when absent (Redis's
/// `setTypeCreate`, raising `new`), and the RNG a conversion to a hash table draws its hash keys from. The
/// caller must leave the set non-empty.
fn set_for_add<'c>(ctx: &'c mut Ctx, key: &[u8], first: &[u8]) -> Result<(&'c mut SetValue, &'c mut Rng), CmdError> {
    if ctx.write_set(key)?.is_none() {
        let set = SetValue::new_for(first, ctx.rng);
        let obj = ctx.new_object(Value::Set(set));
        ctx.add_key(key, obj);
    }
    let Ctx { keyspace, db, rng, .. } = ctx;
    match keyspace.dbs[*db].get_mut(key).map(|o| &mut o.value) {
        Some(Value::Set(s)) => Ok((s, rng)),
        _ => unreachable!("the key was just type-checked or created as a set"),
    }
}

/// The set at `key` for reading (`None` when absent) and the RNG, borrowed together for
/// random picks.
fn set_for_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<(Option<&'c SetValue>, &'c mut Rng), CmdError> {
    if ctx.read_set(key)?.is_none() {
        return Ok((None, &mut *ctx.rng));
    }
    let Ctx { keyspace, db, rng, .. } = ctx;
    match keyspace.dbs[*db].get(key).map(|o| &o.value) {
        Some(Value::Set(s)) => Ok((Some(s), rng)),
        _ => unreachable!("the key was just type-checked"),
    }
}

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::SADD, sadd::sadd),
    engine(&s::SREM, sadd::srem),
    engine(&s::SISMEMBER, sismember::sismember),
    engine(&s::SMISMEMBER, sismember::smismember),
    engine(&s::SCARD, sismember::scard),
    engine(&s::SMEMBERS, sismember::smembers),
    engine(&s::SPOP, spop::spop),
    engine(&s::SRANDMEMBER, spop::srandmember),
    engine(&s::SMOVE, smove::smove),
    engine(&s::SINTER, setops::sinter),
    engine(&s::SINTERCARD, setops::sintercard),
    engine(&s::SINTERSTORE, setops::sinterstore),
    engine(&s::SUNION, setops::sunion),
    engine(&s::SUNIONSTORE, setops::sunionstore),
    engine(&s::SDIFF, setops::sdiff),
    engine(&s::SDIFFSTORE, setops::sdiffstore),
    engine(&s::SSCAN, sscan::sscan),
];
