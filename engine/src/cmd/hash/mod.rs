//! The hash family: commands on `hash` values (Redis's `t_hash.c`).
//!
//! | file | commands |
//! |---|---|
//! | `hset.rs` | HSET, HMSET, HSETNX |
//! | `hget.rs` | HGET, HMGET, HEXISTS, HLEN, HSTRLEN |
//! | `hgetall.rs` | HKEYS, HVALS, HGETALL |
//! | `hdel.rs` | HDEL |
//! | `hincrby.rs` | HINCRBY, HINCRBYFLOAT |
//! | `hrandfield.rs` | HRANDFIELD |
//! | `hscan.rs` | HSCAN (and the option parsing SSCAN shares) |

mod hdel;
mod hget;
mod hgetall;
mod hincrby;
pub(crate) mod hrandfield;
pub(crate) mod hscan;
mod hset;

use super::redis_specs as s;
use super::table::{engine, Command};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::rng::Rng;
use crate::types::hash::HashValue;
use crate::value::Value;

/// The hash at `key`, created empty when absent (Redis's `hashTypeLookupWriteOrCreate`), and
/// the RNG a conversion to a hash table draws its hash keys from. The caller must leave the
/// hash non-empty: nothing here deletes it.
fn hash_for_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<(&'c mut HashValue, &'c mut Rng), CmdError> {
    if ctx.write_hash(key)?.is_none() {
        let obj = ctx.new_object(Value::Hash(HashValue::default()));
        ctx.add_key(key, obj);
    }
    let Ctx { keyspace, db, rng, .. } = ctx;
    match keyspace.dbs[*db].get_mut(key).map(|o| &mut o.value) {
        Some(Value::Hash(h)) => Ok((h, rng)),
        _ => unreachable!("the key was just type-checked or created as a hash"),
    }
}

/// The hash at `key` for reading (`None` when absent) and the RNG, borrowed together for
/// random picks.
fn hash_for_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<(Option<&'c HashValue>, &'c mut Rng), CmdError> {
    if ctx.read_hash(key)?.is_none() {
        return Ok((None, &mut *ctx.rng));
    }
    let Ctx { keyspace, db, rng, .. } = ctx;
    match keyspace.dbs[*db].get(key).map(|o| &o.value) {
        Some(Value::Hash(h)) => Ok((Some(h), rng)),
        _ => unreachable!("the key was just type-checked"),
    }
}

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::HSET, hset::hset),
    engine(&s::HMSET, hset::hmset),
    engine(&s::HSETNX, hset::hsetnx),
    engine(&s::HGET, hget::hget),
    engine(&s::HMGET, hget::hmget),
    engine(&s::HEXISTS, hget::hexists),
    engine(&s::HLEN, hget::hlen),
    engine(&s::HSTRLEN, hget::hstrlen),
    engine(&s::HKEYS, hgetall::hkeys),
    engine(&s::HVALS, hgetall::hvals),
    engine(&s::HGETALL, hgetall::hgetall),
    engine(&s::HDEL, hdel::hdel),
    engine(&s::HINCRBY, hincrby::hincrby),
    engine(&s::HINCRBYFLOAT, hincrby::hincrbyfloat),
    engine(&s::HRANDFIELD, hrandfield::hrandfield),
    engine(&s::HSCAN, hscan::hscan),
];

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn keyspace_events_match_redis() {
        // Proves the family raises Redis 7.0's keyspace events, names and order: HSET (even with no new field), HSETNX, HINCRBY*, HDEL with del once empty, and keymiss for every read of a missing hash. The
        // table is the event stream a real redis-server 7.0.15 (notify-keyspace-events EAmn)
        // published for the same lines.
        TestDb::new().check_events(&[
            ("HSET h a 1 b 2", "new:h hset:h"),
            ("HSET h a 1", "hset:h"),
            ("HMSET h c 3", "hset:h"),
            ("HSETNX h a 9", ""),
            ("HSETNX h d 4", "hset:h"),
            ("HSETNX noh d 4", "new:noh hset:noh"),
            ("HDEL h zz", ""),
            ("HDEL h a zz", "hdel:h"),
            ("HDEL noh a", ""),
            ("HGET noh a", ""),
            ("HMGET noh a b", ""),
            ("HEXISTS noh a", ""),
            ("HLEN noh", ""),
            ("HSTRLEN noh a", ""),
            ("HKEYS noh", ""),
            ("HVALS noh", ""),
            ("HGETALL noh", ""),
            ("HRANDFIELD noh", ""),
            ("HSCAN noh 0", ""),
            ("HINCRBY h n 5", "hincrby:h"),
            ("HINCRBY noh2 n 5", "new:noh2 hincrby:noh2"),
            ("HINCRBY h a x", ""),
            ("HINCRBYFLOAT h f 1.5", "hincrbyfloat:h"),
            ("HINCRBYFLOAT noh3 f 1.5", "new:noh3 hincrbyfloat:noh3"),
            ("HDEL noh2 n", "hdel:noh2 del:noh2"),
            ("HDEL noh3 f zz", "hdel:noh3 del:noh3"),
            ("HDEL h b c d n f", "hdel:h del:h"),
            ("HGET nohash a", "keymiss:nohash"),
            ("HMGET nohash a b", "keymiss:nohash"),
            ("HEXISTS nohash a", "keymiss:nohash"),
            ("HLEN nohash", "keymiss:nohash"),
            ("HSTRLEN nohash a", "keymiss:nohash"),
            ("HKEYS nohash", "keymiss:nohash"),
            ("HVALS nohash", "keymiss:nohash"),
            ("HGETALL nohash", "keymiss:nohash"),
            ("HRANDFIELD nohash 2", "keymiss:nohash"),
            ("HSCAN nohash 0", "keymiss:nohash"),
        ]);
    }
}
