//! The generic key family: commands on keys of any type (Redis's db.c and expire.c commands).
//!
//! Each file holds one command or a few that share a body. How each command looks keys up
//! matters to clients (keyspace hits and misses, access times, lazy expiry) and follows Redis
//! 7.0: EXISTS, TYPE, TTL and OBJECT read without touching the access time; TOUCH and COPY's
//! source read normally; DEL, EXPIRE, PERSIST, RENAME and MOVE look up for writing (no hit or miss
//! counted); KEYS filters expired keys without removing them; SCAN and RANDOMKEY remove the
//! expired keys they meet; DBSIZE counts expired keys not yet removed.

mod copy;
mod dbsize;
mod del;
mod dump;
mod exists;
mod expire;
mod flush;
mod key_type;
mod keys_glob;
mod move_key;
mod object;
mod persist;
mod randomkey;
mod rename;
mod restore;
pub(crate) mod scan;
mod sort;
mod swapdb;
mod ttl;

use super::ctx::Ctx;
use super::redis_specs as s;
use super::table::{container, engine, Command};
use crate::error::CmdError;
use crate::num::parse_i64;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::DEL, del::del),
    engine(&s::UNLINK, del::unlink),
    engine(&s::EXISTS, exists::exists),
    engine(&s::TOUCH, exists::touch),
    engine(&s::TYPE, key_type::type_of),
    engine(&s::EXPIRE, expire::expire),
    engine(&s::PEXPIRE, expire::pexpire),
    engine(&s::EXPIREAT, expire::expireat),
    engine(&s::PEXPIREAT, expire::pexpireat),
    engine(&s::TTL, ttl::ttl),
    engine(&s::PTTL, ttl::pttl),
    engine(&s::EXPIRETIME, ttl::expiretime),
    engine(&s::PEXPIRETIME, ttl::pexpiretime),
    engine(&s::PERSIST, persist::persist),
    engine(&s::RENAME, rename::rename),
    engine(&s::RENAMENX, rename::renamenx),
    engine(&s::KEYS, keys_glob::keys),
    engine(&s::SCAN, scan::scan),
    engine(&s::RANDOMKEY, randomkey::randomkey),
    engine(&s::COPY, copy::copy),
    engine(&s::MOVE, move_key::move_key),
    engine(&s::DBSIZE, dbsize::dbsize),
    engine(&s::FLUSHDB, flush::flushdb),
    engine(&s::FLUSHALL, flush::flushall),
    engine(&s::SWAPDB, swapdb::swapdb),
    engine(&s::SORT, sort::sort),
    engine(&s::SORT_RO, sort::sort_ro),
    engine(&s::DUMP, dump::dump),
    engine(&s::RESTORE, restore::restore),
    container(&s::OBJECT),
    engine(&s::OBJECT_ENCODING, object::encoding),
    engine(&s::OBJECT_FREQ, object::freq),
    engine(&s::OBJECT_IDLETIME, object::idletime),
    engine(&s::OBJECT_REFCOUNT, object::refcount),
    engine(&s::OBJECT_HELP, object::help),
];

/// A database number argument that must name an existing database (MOVE, COPY ... DB): Redis's
/// `getIntFromObjectOrReply` then `selectDb`, with their error texts.
fn parse_db_index(ctx: &Ctx, arg: &[u8]) -> Result<usize, CmdError> {
    let n = parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if i32::try_from(n).is_err() {
        return Err(CmdError::OutOfRange { min: i32::MIN.into(), max: i32::MAX.into() });
    }
    usize::try_from(n).ok().filter(|&i| i < ctx.keyspace.dbs.len()).ok_or(CmdError::DbIndexOutOfRange)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! What the shared `TestDb` does not cover: running in another database, at a chosen LRU
    //! clock, and container subcommands (OBJECT ...).

    use crate::cmd::ctx::Ctx;
    use crate::cmd::table::{lookup, lookup_sub, Handler};
    use crate::cmd::testing::{show, TestDb};
    use crate::error::CmdError;
    use crate::reply::Reply;

    /// Runs `line` (split on spaces, `""` for an empty argument) in database `db` with Redis's
    /// LRU clock at `lru_clock`, as the dispatcher would, and shows the reply.
    pub(crate) fn run_in(t: &mut TestDb, db: usize, lru_clock: u32, line: &str) -> String {
        let argv: Vec<&[u8]> = line.split(' ').map(|w| if w == "\"\"" { &b""[..] } else { w.as_bytes() }).collect();
        let mut cmd = lookup(argv[0]).expect("known command");
        if !cmd.spec.subcommands.is_empty() && argv.len() > 1 {
            match lookup_sub(cmd, argv[1]) {
                Some(sub) => cmd = sub,
                None => {
                    return show(&Reply::Error(CmdError::UnknownSubcommand {
                        sub: crate::error::clip128(argv[1]),
                        container: crate::error::ClientText(argv[0].to_ascii_uppercase()),
                    }))
                }
            }
        }
        if !cmd.spec.arity_ok(argv.len()) {
            return show(&Reply::Error(CmdError::WrongArity(cmd.spec.name.into())));
        }
        let Handler::Engine(f) = cmd.handler else { panic!("{} is not an engine command", cmd.spec.name) };
        let mut ctx = Ctx::new(&mut t.keyspace, db, t.now_ms * 1000, &mut t.rng, t.resp, &t.config, lru_clock);
        let reply = f(&mut ctx, &argv).unwrap_or_else(Reply::Error);
        t.dirty += ctx.dirty;
        for db in &t.keyspace.dbs {
            db.audit();
        }
        show(&reply)
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn keyspace_events_match_redis() {
        // Proves the family raises Redis 7.0's keyspace events, names and order: EXPIRE/PERSIST/DEL, RENAME (new, rename_from, rename_to), COPY (copy_to, DB), MOVE (move_from, move_to), SORT STORE (sortstore, del), keymiss for TYPE/TTL/EXISTS/DUMP/SORT patterns but not OBJECT, and nothing for FLUSHDB/FLUSHALL/SWAPDB. The
        // table is the event stream a real redis-server 7.0.15 (notify-keyspace-events EAmn)
        // published for the same lines.
        TestDb::new().check_events(&[
            ("SET k v", "new:k set:k"),
            ("EXPIRE k 100", "expire:k"),
            ("EXPIRE k 100 NX", ""),
            ("EXPIRE k 200 XX", "expire:k"),
            ("PEXPIRE k 100000", "expire:k"),
            ("EXPIREAT k 1900000000", "expire:k"),
            ("PEXPIREAT k 1900000000000", "expire:k"),
            ("EXPIRE nokey 10", ""),
            ("PERSIST k", "persist:k"),
            ("PERSIST k", ""),
            ("PERSIST nokey", ""),
            ("EXPIRE k 0", "del:k"),
            ("SET k v", "new:k set:k"),
            ("PEXPIREAT k 1", "del:k"),
            ("SET k v", "new:k set:k"),
            ("EXPIRE k -5", "del:k"),
            ("SET k v", "new:k set:k"),
            ("SET k2 v", "new:k2 set:k2"),
            ("DEL k nokey k2", "del:k del:k2"),
            ("UNLINK nokey", ""),
            ("SET a 1", "new:a set:a"),
            ("EXPIRE a 100", "expire:a"),
            ("RENAME a b", "new:b rename_from:a rename_to:b"),
            ("RENAME b b", ""),
            ("RENAME nokey x", ""),
            ("SET c 1", "new:c set:c"),
            ("RENAMENX b c", ""),
            ("RENAMENX b d", "new:d rename_from:b rename_to:d"),
            ("RENAME d c", "new:c rename_from:d rename_to:c"),
            ("COPY c e", "new:e copy_to:e"),
            ("COPY c e", ""),
            ("COPY c e REPLACE", "new:e copy_to:e"),
            ("COPY nokey e", "keymiss:nokey"),
            ("COPY c e DB 2", "new:e@2 copy_to:e@2"),
            ("COPY c e DB 2 REPLACE", "new:e@2 copy_to:e@2"),
            ("MOVE e 2", ""),
            ("MOVE e 3", "new:e@3 move_from:e move_to:e@3"),
            ("MOVE nokey 3", ""),
            ("EXISTS c nokey", "keymiss:nokey"),
            ("TOUCH c nokey", "keymiss:nokey"),
            ("TYPE nokey", "keymiss:nokey"),
            ("TTL nokey", "keymiss:nokey"),
            ("PTTL nokey", "keymiss:nokey"),
            ("EXPIRETIME nokey", "keymiss:nokey"),
            ("PEXPIRETIME nokey", "keymiss:nokey"),
            ("DUMP nokey", "keymiss:nokey"),
            ("DUMP c", ""),
            ("RANDOMKEY", ""),
            ("KEYS *", ""),
            ("SCAN 0", ""),
            ("DBSIZE", ""),
            ("RPUSH l 3 1 2", "new:l rpush:l"),
            ("SORT l STORE s", "new:s sortstore:s"),
            ("SORT l STORE s", "sortstore:s"),
            ("SORT nol STORE s", "keymiss:nol del:s"),
            ("SORT nol STORE s", "keymiss:nol"),
            ("SORT nol", "keymiss:nol"),
            ("SORT_RO nol", "keymiss:nol"),
            ("SORT l BY nosort GET g_*", "keymiss:g_3 keymiss:g_1 keymiss:g_2"),
            ("SORT l BY w_* STORE s2", "keymiss:w_3 keymiss:w_1 keymiss:w_2 new:s2 sortstore:s2"),
            ("FLUSHDB", ""),
            ("SET x 1", "new:x set:x"),
            ("FLUSHALL", ""),
            ("SET x 1", "new:x set:x"),
            ("SWAPDB 0 1", ""),
        ]);
    }
}
