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

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn keyspace_events_match_redis() {
        // Proves the family raises Redis 7.0's keyspace events, names and order: SADD/SREM/SPOP with del once empty, SMOVE as srem [del] [new] sadd, the STORE forms (their event, or del for an empty result) and keymiss for their missing sources. The
        // table is the event stream a real redis-server 7.0.15 (notify-keyspace-events EAmn)
        // published for the same lines.
        TestDb::new().check_events(&[
            ("SADD s a b", "new:s sadd:s"),
            ("SADD s a", ""),
            ("SADD s c", "sadd:s"),
            ("SREM s zz", ""),
            ("SREM s a zz", "srem:s"),
            ("SREM nos a", ""),
            ("SISMEMBER nos a", "keymiss:nos"),
            ("SMISMEMBER nos a", "keymiss:nos"),
            ("SCARD nos", "keymiss:nos"),
            ("SMEMBERS nos", "keymiss:nos"),
            ("SRANDMEMBER nos", "keymiss:nos"),
            ("SSCAN nos 0", "keymiss:nos"),
            ("SPOP nos", ""),
            ("SPOP s 0", ""),
            ("SPOP s 1", "spop:s"),
            ("SPOP s 5", "spop:s del:s"),
            ("SADD s a b c", "new:s sadd:s"),
            ("SPOP s", "spop:s"),
            ("SPOP s", "spop:s"),
            ("SPOP s", "spop:s del:s"),
            ("SADD s a b c", "new:s sadd:s"),
            ("SMOVE s s2 a", "srem:s new:s2 sadd:s2"),
            ("SMOVE s s2 a", ""),
            ("SMOVE s s2 zz", ""),
            ("SMOVE s s b", ""),
            ("SMOVE nos s2 a", ""),
            ("SADD s3 b", "new:s3 sadd:s3"),
            ("SMOVE s3 s2 b", "srem:s3 del:s3 sadd:s2"),
            ("SMOVE s s2 b", "srem:s"),
            ("SADD s x y", "sadd:s"),
            ("SINTER s nos", "keymiss:nos"),
            ("SUNION s nos", "keymiss:nos"),
            ("SDIFF s nos", "keymiss:nos"),
            ("SINTERCARD 2 s nos", "keymiss:nos"),
            ("SINTERSTORE d s s2", ""),
            ("SINTERSTORE d s nos", "keymiss:nos"),
            ("SADD d q", "new:d sadd:d"),
            ("SINTERSTORE d s nos", "keymiss:nos del:d"),
            ("SUNIONSTORE d s s2", "new:d sunionstore:d"),
            ("SUNIONSTORE d s s2", "sunionstore:d"),
            ("SUNIONSTORE d nos nos2", "keymiss:nos keymiss:nos2 del:d"),
            ("SDIFFSTORE d s s2", "new:d sdiffstore:d"),
            ("SDIFFSTORE d s s", "del:d"),
            ("SDIFFSTORE d s s", ""),
            ("SDIFFSTORE s s nos", "keymiss:nos sdiffstore:s"),
        ]);
    }
}
