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
